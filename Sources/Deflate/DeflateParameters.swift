/// How the deflate engine hashes a string when inserting it into its hash chains.
///
/// The three modes are the three output classes of the zlib builds that npm tarballs were made
/// with (see `docs/deflate.md`): the same input, level and memLevel give different deflate bytes
/// in each class, and identical bytes within a class.
public enum DeflateHashMode: String, Codable, Sendable, CaseIterable {
    /// Stock zlib (madler/zlib 1.2.x/1.3.x, system zlib, Node < 12.17 and Node 20.0–20.9):
    /// the Rabin–Karp rolling hash over 3 bytes.
    case stock
    /// Chromium zlib with the CRC32C insert hash (Node 12.17 to 18.18 on x86-64 CPUs with SSE4.2
    /// and PCLMUL): CRC32C of 3 bytes (4 below level 6), with a 15-bit hash table.
    case crc32c
    /// Chromium zlib with the multiplicative ("ANZAC") insert hash (Node ≥ 20.10, 21+, 18.19+):
    /// `(le32 * 66521 + 66521) >> 16`, with at least a 15-bit hash table.
    case anzac
}

/// The zlib deflate settings the engine reproduces: windowBits 15 and the default strategy are fixed.
public struct DeflateParameters: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The compression level, 1–9 (zlib's `Z_DEFAULT_COMPRESSION` is 6).
    public var level: Int
    /// zlib's memLevel, 1–9 (Node and zlib default to 8).
    public var memLevel: Int
    /// The hash mode (the zlib build being reproduced).
    public var mode: DeflateHashMode

    /// Creates parameters; they are checked when a stream is created.
    public init(level: Int = 9, memLevel: Int = 8, mode: DeflateHashMode) {
        self.level = level
        self.memLevel = memLevel
        self.mode = mode
    }

    /// npm ≥ 7.7 settings (level 9, memLevel 8) for a given mode.
    public static func npm7(_ mode: DeflateHashMode) -> DeflateParameters {
        DeflateParameters(level: 9, memLevel: 8, mode: mode)
    }

    public var description: String { "\(mode.rawValue) level \(level) memLevel \(memLevel)" }
}

/// Errors of the deflate engine and of the gzip reproduction helpers.
public enum DeflateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A level or memLevel outside 1–9.
    case invalidParameters(DeflateParameters)
    /// The engine could not allocate its buffers.
    case outOfMemory
    /// `write` or `finish` was called after `finish`.
    case streamFinished
    /// An expected digest that is not a sha512 SRI string or 64 raw bytes.
    case unsupportedIntegrity(String)

    public var description: String {
        switch self {
        case .invalidParameters(let p):
            return "deflate parameters out of range (\(p)): level and memLevel must be 1-9"
        case .outOfMemory:
            return "deflate engine: out of memory"
        case .streamFinished:
            return "deflate stream already finished: create a new DeflateStream for more input"
        case .unsupportedIntegrity(let value):
            return "expected digest '\(value)' is not a sha512 integrity (SRI 'sha512-<base64>' or 64 raw bytes)"
        }
    }
}
