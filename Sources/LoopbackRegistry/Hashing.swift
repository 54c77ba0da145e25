import COpenSSL
import Foundation

/// Digests the loopback registry needs to build documents (sha1 `shasum`, sha512 `integrity`), via OpenSSL EVP.
public enum Hashing {
    /// The SRI string `sha512-<base64>` of `data`.
    public static func sriSHA512(_ data: Data) -> String {
        "sha512-" + Data(digest(data, algorithm: "SHA512")).base64EncodedString()
    }

    /// Lowercase hex sha1 of `data` (npm's legacy `shasum`).
    public static func sha1Hex(_ data: Data) -> String {
        hex(digest(data, algorithm: "SHA1"))
    }

    /// Lowercase hex sha512 of `data`.
    public static func sha512Hex(_ data: Data) -> String {
        hex(digest(data, algorithm: "SHA512"))
    }

    /// sha512 SRI, sha1 hex and size of a file, streamed in 1 MiB chunks.
    /// - Throws: when the file cannot be read.
    public static func digests(ofFile url: URL) throws -> (sriSHA512: String, sha1Hex: String, size: Int) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        guard let sha512 = EVP_MD_fetch(nil, "SHA512", nil), let sha1 = EVP_MD_fetch(nil, "SHA1", nil),
            let context512 = EVP_MD_CTX_new(), let context1 = EVP_MD_CTX_new()
        else { throw LoopbackRegistryError.fixture(path: url.path, problem: "OpenSSL digest unavailable") }
        defer {
            EVP_MD_CTX_free(context512)
            EVP_MD_CTX_free(context1)
            EVP_MD_free(sha512)
            EVP_MD_free(sha1)
        }
        EVP_DigestInit_ex2(context512, sha512, nil)
        EVP_DigestInit_ex2(context1, sha1, nil)
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { buffer in
                _ = EVP_DigestUpdate(context512, buffer.baseAddress, buffer.count)
                _ = EVP_DigestUpdate(context1, buffer.baseAddress, buffer.count)
            }
            size += chunk.count
        }
        func finish(_ context: OpaquePointer?) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            _ = output.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            return Array(output.prefix(Int(length)))
        }
        return ("sha512-" + Data(finish(context512)).base64EncodedString(), hex(finish(context1)), size)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func digest(_ data: Data, algorithm: String) -> [UInt8] {
        guard let md = EVP_MD_fetch(nil, algorithm, nil) else { return [] }
        defer { EVP_MD_free(md) }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { buffer in
            output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, &length, md, nil)
            }
        }
        return ok == 1 ? Array(output.prefix(Int(length))) : []
    }
}
