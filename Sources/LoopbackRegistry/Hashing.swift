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
