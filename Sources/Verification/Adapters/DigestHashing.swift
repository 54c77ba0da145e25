import Digest
import Foundation

/// Hashes tarballs with the `Digest` module's OpenSSL multi-hasher (one pass, sha512 and sha1).
public struct DigestTarballHashing: TarballHashing {
    /// Makes the stage.
    public init() {}

    public func sha512AndSHA1Hex(_ data: Data) -> (sha512: String, sha1: String) {
        let hasher = MultiHasher([.sha512, .sha1])
        hasher.update(data)
        let digests = hasher.finalize()
        return (digests.hex(.sha512) ?? "", digests.hex(.sha1) ?? "")
    }

    public func sha512AndSHA1Hex(fileAt file: URL) throws -> (sha512: String, sha1: String) {
        let digests = try Hashing.digest(fileAt: file, algorithms: [.sha512, .sha1])
        return (digests.hex(.sha512) ?? "", digests.hex(.sha1) ?? "")
    }
}
