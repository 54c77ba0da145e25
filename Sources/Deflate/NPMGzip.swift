import CDeflate
import CZlib
import Digest
import Foundation

/// The 10-byte gzip member header (RFC 1952) that precedes the deflate stream.
public struct GzipHeader: Hashable, Codable, Sendable, CustomStringConvertible {
    /// FLG (0: no name, comment, extra field or header CRC; only 0 is supported).
    public var flags: UInt8
    /// MTIME, seconds since the epoch (npm writes 0).
    public var mtime: UInt32
    /// XFL: zlib writes 2 at level 9, 4 at level 1, else 0.
    public var extraFlags: UInt8
    /// OS: 255 for npm ≥ 7 (node-tar "portable"), 3 Unix, 19 macOS (zlib ≥ 1.2.11), 7 older macOS, 10 Windows.
    public var os: UInt8

    /// Creates a header.
    public init(flags: UInt8 = 0, mtime: UInt32 = 0, extraFlags: UInt8, os: UInt8) {
        self.flags = flags
        self.mtime = mtime
        self.extraFlags = extraFlags
        self.os = os
    }

    /// npm ≥ 7: `1f 8b 08 00 00000000 02 ff`.
    public static let npm7 = GzipHeader(extraFlags: 2, os: 255)

    /// Any header (FLG, MTIME, XFL, OS).
    public static func custom(flags: UInt8 = 0, mtime: UInt32 = 0, xfl: UInt8, os: UInt8) -> GzipHeader {
        GzipHeader(flags: flags, mtime: mtime, extraFlags: xfl, os: os)
    }

    /// The header zlib's own gzip wrapper writes (as npm 5/6 and node-tar < 5.0.5 left it):
    /// MTIME 0, XFL from the level, and the OS code of the publisher's platform.
    public static func zlib(level: Int, os: UInt8) -> GzipHeader {
        GzipHeader(extraFlags: level == 9 ? 2 : (level < 2 ? 4 : 0), os: os)
    }

    /// The header's 10 bytes.
    public var bytes: Data {
        Data([0x1f, 0x8b, 0x08, flags,
              UInt8(truncatingIfNeeded: mtime), UInt8(truncatingIfNeeded: mtime >> 8),
              UInt8(truncatingIfNeeded: mtime >> 16), UInt8(truncatingIfNeeded: mtime >> 24),
              extraFlags, os])
    }

    public var description: String {
        "gzip header FLG \(flags) MTIME \(mtime) XFL \(extraFlags) OS \(os)"
    }
}

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
