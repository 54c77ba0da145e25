import Archive
import CDeflate
import CZlib
import Digest
import Foundation

/// gzip framing of a tar the way npm does it.
public enum NPMGzip {
    /// gzips `tar`: header, raw deflate with `parameters`, CRC-32 and ISIZE (little-endian).
    public static func compress(tar: Data, parameters: DeflateParameters, header: GzipHeader = .npm7) throws -> Data {
        var out = header.bytes
        out.append(try Deflate.compress(tar, parameters: parameters))
        out.append(trailer(for: tar))
        return out
    }

    /// The 8-byte gzip trailer of `data`: CRC-32 (ISO 3309) and the length modulo 2^32, little-endian.
    public static func trailer(for data: Data) -> Data {
        var crc: UInt = crc32(0, nil, 0)
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = data.index(offset, offsetBy: min(1 << 30, data.endIndex - offset))
            crc = data[offset..<end].withUnsafeBytes { raw in
                crc32(crc, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count))
            }
            offset = end
        }
        let c = UInt32(truncatingIfNeeded: crc), n = UInt32(truncatingIfNeeded: data.count)
        return Data([UInt8(truncatingIfNeeded: c), UInt8(truncatingIfNeeded: c >> 8),
                     UInt8(truncatingIfNeeded: c >> 16), UInt8(truncatingIfNeeded: c >> 24),
                     UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8),
                     UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 24)])
    }
}

/// SHA-512 used to compare candidate tarballs with `dist.integrity`: the `Digest` module's (OpenSSL), the one
/// SHA-512 in provcheck.
enum SHA512 {
    static func hash(_ parts: [Data]) -> Data {
        let hasher = MultiHasher([.sha512])
        for part in parts { hasher.update(part) }
        return Data(hasher.finalize()[.sha512] ?? [])
    }
}
