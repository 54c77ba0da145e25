import COpenSSL

/// A hash function used for signatures, digests and key ids.
public enum HashAlgorithm: String, Sendable, Codable, Hashable, CaseIterable {
    /// SHA-256 (32-byte output).
    case sha256 = "SHA2_256"
    /// SHA-384 (48-byte output).
    case sha384 = "SHA2_384"
    /// SHA-512 (64-byte output).
    case sha512 = "SHA2_512"

    /// The digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// Parses the names Sigstore uses (`SHA2_256`, `sha256`, `SHA-256`, …); nil for anything else.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "") {
        case "sha2256", "sha256": self = .sha256
        case "sha2384", "sha384": self = .sha384
        case "sha2512", "sha512": self = .sha512
        default: return nil
        }
    }

    var evpMD: OpaquePointer? {
        switch self {
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    /// Hashes `bytes` in one shot.
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digestLength)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, evpMD, nil)
        }
        precondition(ok == 1 && Int(length) == digestLength, "EVP_Digest failed")
        return out
    }
}
