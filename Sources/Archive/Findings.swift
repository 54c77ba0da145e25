/// How serious a finding is.
public enum FindingSeverity: String, Codable, Sendable, Hashable, Comparable, CaseIterable {
    /// Context only; nothing wrong.
    case info
    /// Unusual; npm would still install the package, but a reviewer should look.
    case warning
    /// The archive is unsafe, corrupt, or would be read differently by different tools. Checks fail.
    case error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    /// Orders by seriousness (`info` < `warning` < `error`).
    public static func < (lhs: FindingSeverity, rhs: FindingSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// The stable code of an archive finding. The raw value (kebab-case) is what JSON output and users see; it never
/// changes once published.
public enum FindingCode: String, Codable, Sendable, Hashable, CaseIterable {
    // MARK: paths
    /// The entry is not under the archive's first directory (npm strips the first component, whatever it is, on
    /// install).
    case pathOutsidePackageDir = "path-outside-package-dir"
    /// A path component is `..`.
    case pathTraversal = "path-traversal"
    /// The path is absolute (`/…`, `\…` or a drive letter).
    case absolutePath = "absolute-path"
    /// Two entries install to the same path (npm keeps the last one).
    case duplicatePath = "duplicate-path"
    /// Two entries differ only in letter case (collide on case-insensitive file systems).
    case caseInsensitiveDuplicatePath = "case-insensitive-duplicate-path"
    /// The path is longer than ``ArchiveLimits/maxPathLength``.
    case pathTooLong = "path-too-long"
    // MARK: entry types
    /// A symbolic link entry (npm skips links on install).
    case symlink
    /// A hard link entry (npm skips links on install).
    case hardlink
    /// A character/block device or FIFO entry.
    case deviceOrFifo = "device-or-fifo"
    /// A type flag provcheck does not know (e.g. GNU sparse); it is reported but not interpreted.
    case unsupportedEntryType = "unsupported-entry-type"
    /// A PAX global header (`g`), which changes how later entries are read.
    case paxGlobalHeader = "pax-global-header"
    /// setuid, setgid or sticky bits in the mode.
    case specialModeBits = "special-mode-bits"
    // MARK: tar structure
    /// A valid tar header after the end-of-archive marker (hidden from tools that stop there).
    case entryAfterEndOfArchive = "entry-after-end-of-archive"
    /// Non-zero bytes after the end-of-archive marker that are not a tar header.
    case dataAfterEndOfArchive = "data-after-end-of-archive"
    /// The tar stream ends without the two zero blocks of the end-of-archive marker.
    case missingEndOfArchive = "missing-end-of-archive"
    /// A header field cannot be parsed, or a header is inconsistent.
    case malformedHeader = "malformed-header"
    /// A header's checksum does not match its bytes.
    case badChecksum = "bad-checksum"
    /// The tar stream ends inside a header or an entry's data.
    case truncatedTar = "truncated-tar"
    // MARK: gzip
    /// The input is not gzip-compressed (read as a plain tar).
    case notGzip = "not-gzip"
    /// The gzip header or deflate data is invalid.
    case malformedGzip = "malformed-gzip"
    /// Bytes after the last gzip member that are not a gzip member.
    case gzipTrailingData = "gzip-trailing-data"
    /// More than one gzip member (their data is concatenated).
    case gzipExtraMembers = "gzip-extra-members"
    /// A member's CRC32, ISIZE or header CRC16 does not match the data.
    case gzipCRCMismatch = "gzip-crc-mismatch"
    /// The gzip stream ends before its last member is complete.
    case truncatedGzip = "truncated-gzip"
    // MARK: limits (decompression bombs)
    /// More decompressed bytes than ``ArchiveLimits/maxDecompressedBytes``.
    case sizeLimitExceeded = "size-limit-exceeded"
    /// The decompressed/compressed ratio exceeds ``ArchiveLimits/maxCompressionRatio``.
    case ratioLimitExceeded = "ratio-limit-exceeded"
    /// More entries than ``ArchiveLimits/maxEntries``.
    case entryCountLimitExceeded = "entry-count-limit-exceeded"
    // MARK: cross-check
    /// libarchive lists the archive differently from provcheck's own parser.
    case libarchiveDisagrees = "libarchive-disagrees"
    /// npm's tar reader (node-tar 6.x/7.x) reads a header differently from POSIX tar readers (path, link target,
    /// size, or whether the header counts at all): what npm installs is not what other tools show.
    case npmReadsDifferently = "npm-reads-differently"
    /// The input cannot be read at all (I/O error).
    case unreadableInput = "unreadable-input"

    /// The default severity for this code.
    public var defaultSeverity: FindingSeverity {
        switch self {
        case .pathTraversal, .absolutePath, .duplicatePath, .pathTooLong, .entryAfterEndOfArchive,
             .malformedHeader, .badChecksum, .truncatedTar, .malformedGzip, .gzipCRCMismatch, .truncatedGzip,
             .sizeLimitExceeded, .ratioLimitExceeded, .entryCountLimitExceeded, .libarchiveDisagrees,
             .npmReadsDifferently, .unreadableInput, .notGzip:
            return .error
        case .pathOutsidePackageDir, .caseInsensitiveDuplicatePath, .symlink, .hardlink, .deviceOrFifo,
             .unsupportedEntryType, .paxGlobalHeader, .specialModeBits, .dataAfterEndOfArchive,
             .missingEndOfArchive, .gzipTrailingData, .gzipExtraMembers:
            return .warning
        }
    }
}

/// One thing found in an archive: a stable code, a severity, a message naming what is at fault, and where.
public struct ArchiveFinding: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The stable code.
    public let code: FindingCode
    /// How serious it is.
    public let severity: FindingSeverity
    /// A human-readable explanation.
    public let message: String
    /// The entry path concerned, when there is one.
    public let path: String?
    /// The byte offset concerned (in the tar stream for tar findings, in the compressed input for gzip findings).
    public let offset: UInt64?

    /// Creates a finding; the severity defaults to the code's ``FindingCode/defaultSeverity``.
    public init(_ code: FindingCode, severity: FindingSeverity? = nil, _ message: String, path: String? = nil,
                offset: UInt64? = nil) {
        self.code = code
        self.severity = severity ?? code.defaultSeverity
        self.message = message
        self.path = path
        self.offset = offset
    }

    /// `error [code] message`.
    public var description: String { "\(severity.rawValue) [\(code.rawValue)] \(message)" }
}

/// A failure that stops reading an archive. It carries the ``FindingCode`` it corresponds to and names the input.
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The finding code this error corresponds to.
    public let code: FindingCode
    /// The input (file path or `<data: N bytes>`).
    public let input: String
    /// A human-readable explanation naming the input.
    public let message: String
    /// The byte offset concerned, when known.
    public let offset: UInt64?

    /// Creates an error.
    public init(code: FindingCode, input: String, message: String, offset: UInt64? = nil) {
        self.code = code
        self.input = input
        self.message = message
        self.offset = offset
    }

    /// The message.
    public var description: String { message }

    /// The same problem as a finding.
    public var finding: ArchiveFinding { ArchiveFinding(code, message, offset: offset) }
}

/// Limits that keep reading an untrusted archive bounded (decompression bombs, huge entry counts).
public struct ArchiveLimits: Codable, Sendable, Hashable {
    /// Maximum total decompressed (tar) bytes. Default 1 GiB.
    public var maxDecompressedBytes: UInt64
    /// Maximum ratio of decompressed to compressed bytes, enforced once more than
    /// ``ratioCheckThresholdBytes`` have been decompressed. Default 200.
    public var maxCompressionRatio: Double
    /// Decompressed size below which the ratio is not enforced (small, highly compressible packages are normal).
    /// Default 16 MiB.
    public var ratioCheckThresholdBytes: UInt64
    /// Maximum number of tar entries (including extension headers). Default 100 000.
    public var maxEntries: Int
    /// Maximum path length in bytes. Default 4096.
    public var maxPathLength: Int
    /// Maximum size of one PAX or GNU long-name body held in memory. Default 1 MiB.
    public var maxExtendedHeaderBytes: Int

    /// Creates limits; every parameter has an npm-sized default.
    public init(maxDecompressedBytes: UInt64 = 1 << 30, maxCompressionRatio: Double = 200,
                ratioCheckThresholdBytes: UInt64 = 16 << 20, maxEntries: Int = 100_000, maxPathLength: Int = 4096,
                maxExtendedHeaderBytes: Int = 1 << 20) {
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioCheckThresholdBytes = ratioCheckThresholdBytes
        self.maxEntries = maxEntries
        self.maxPathLength = maxPathLength
        self.maxExtendedHeaderBytes = maxExtendedHeaderBytes
    }

    /// Defaults sized for npm packages.
    public static let npmDefault = ArchiveLimits()
}
