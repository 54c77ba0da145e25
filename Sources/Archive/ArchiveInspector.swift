import Digest
import Foundation

/// Everything provcheck found in a tarball without extracting it: the gzip layer, every tar entry, where the tar
/// ended, and findings. Encodes to JSON with keys `input`, `compressed_size`, `input_digests`, `gzip`, `tar`,
/// `entries`, `findings`, `ok`.
public struct ArchiveReport: Codable, Sendable, Hashable {
    /// The input's name (file path, or `<data: N bytes>`).
    public var input: String
    /// The compressed input length in bytes.
    public var compressedSize: UInt64
    /// SHA-512 and SHA-1 of the whole compressed input (nil if it could not be read to the end).
    public var inputDigests: DigestSet?
    /// The gzip layer, or nil when the input is not gzip (see the `not-gzip` finding).
    public var gzip: GzipReport?
    /// The tar stream's layout: size, end-of-archive marker, what follows it, libarchive cross-check.
    public var tar: TarLayout
    /// Every entry in archive order (including any after the end-of-archive marker, flagged).
    public var entries: [TarEntry]
    /// Findings in the order they were found.
    public var findings: [ArchiveFinding]

    enum CodingKeys: String, CodingKey {
        case input
        case compressedSize = "compressed_size"
        case inputDigests = "input_digests"
        case gzip, tar, entries, findings, ok
    }

    /// Creates a report.
    public init(input: String, compressedSize: UInt64, inputDigests: DigestSet?, gzip: GzipReport?, tar: TarLayout,
                entries: [TarEntry], findings: [ArchiveFinding]) {
        self.input = input
        self.compressedSize = compressedSize
        self.inputDigests = inputDigests
        self.gzip = gzip
        self.tar = tar
        self.entries = entries
        self.findings = findings
    }

    /// True when no finding has severity `error`.
    public var ok: Bool { !findings.contains { $0.severity == .error } }

    /// The most serious severity found, or nil when there are no findings.
    public var worstSeverity: FindingSeverity? { findings.map(\.severity).max() }

    /// Findings with the given code.
    public func findings(_ code: FindingCode) -> [ArchiveFinding] { findings.filter { $0.code == code } }

    /// Decodes a report (`ok` is derived and ignored).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decode(String.self, forKey: .input)
        compressedSize = try c.decode(UInt64.self, forKey: .compressedSize)
        inputDigests = try c.decodeIfPresent(DigestSet.self, forKey: .inputDigests)
        gzip = try c.decodeIfPresent(GzipReport.self, forKey: .gzip)
        tar = try c.decode(TarLayout.self, forKey: .tar)
        entries = try c.decode([TarEntry].self, forKey: .entries)
        findings = try c.decode([ArchiveFinding].self, forKey: .findings)
    }

    /// Encodes the report, including the derived `ok`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encode(compressedSize, forKey: .compressedSize)
        try c.encodeIfPresent(inputDigests, forKey: .inputDigests)
        try c.encodeIfPresent(gzip, forKey: .gzip)
        try c.encode(tar, forKey: .tar)
        try c.encode(entries, forKey: .entries)
        try c.encode(findings, forKey: .findings)
        try c.encode(ok, forKey: .ok)
    }
}

/// Inspects a registry `.tgz` without extracting it, in bounded memory.
///
/// Problems in the archive (truncation, bad checksums, limits) become findings of severity `error` in the report,
/// with everything read up to that point; only an unreadable file throws.
///
/// ```swift
/// let report = try ArchiveInspector().inspect(fileAt: url)
/// if !report.ok { … report.findings … }
/// ```
public struct ArchiveInspector: Sendable {
    /// The limits applied while reading.
    public var limits: ArchiveLimits
    /// Whether to list the archive a second time with libarchive and report disagreements
    /// (`libarchive-disagrees`). Only for file and in-memory inputs.
    public var crossCheckWithLibarchive: Bool

    /// Creates an inspector.
    public init(limits: ArchiveLimits = .npmDefault, crossCheckWithLibarchive: Bool = true) {
        self.limits = limits
        self.crossCheckWithLibarchive = crossCheckWithLibarchive
    }

    /// Inspects the file at `url`.
    /// - Throws: ``ArchiveError`` with code `unreadable-input` when the file cannot be opened or read.
    public func inspect(fileAt url: URL) throws(ArchiveError) -> ArchiveReport {
        try inspect(source: FileByteSource(url: url), crossCheck: .file(url))
    }

    /// Inspects in-memory tarball bytes. `name` is used in messages.
    public func inspect(data: Data, name: String? = nil) throws(ArchiveError) -> ArchiveReport {
        try inspect(source: DataByteSource(data: data, displayName: name), crossCheck: .data(data))
    }

    /// Inspects a tarball given as a sequence of chunks (e.g. a download), in one pass. No libarchive cross-check.
    public func inspect<Chunks: Sequence>(chunks: Chunks, name: String) throws(ArchiveError) -> ArchiveReport
    where Chunks.Element == Data {
        try inspect(source: ChunkByteSource(chunks: chunks, displayName: name), crossCheck: nil)
    }

    private func inspect(source: any ByteSource, crossCheck: TarballInput?) throws(ArchiveError) -> ArchiveReport {
        let scanner = TarScanner(source: source, limits: limits)
        var entries: [TarEntry] = []
        var stoppedEarly = false
        do {
            while let scanned = try scanner.next(collectUpTo: nil) {
                entries.append(scanned.entry)
            }
        } catch {
            if error.code == .unreadableInput { throw error }
            stoppedEarly = true
        }
        var tar = scanner.layout
        var findings = scanner.findings
        if crossCheckWithLibarchive, let crossCheck, !stoppedEarly {
            let check = LibarchiveLister.crossCheck(crossCheck, entries: entries, limits: limits)
            tar.libarchive = check
            if !check.agrees {
                findings.append(ArchiveFinding(
                    .libarchiveDisagrees,
                    severity: findings.contains { $0.severity == .error } ? .warning : .error,
                    "\(source.displayName): libarchive reads this archive differently: "
                        + check.differences.joined(separator: "; ")))
            }
        }
        return ArchiveReport(input: source.displayName, compressedSize: scanner.compressedSize,
                             inputDigests: scanner.inputDigests, gzip: scanner.gzipReport, tar: tar,
                             entries: entries, findings: findings)
    }
}

/// One entry read by ``TarballReader``, with its content when it fits the reader's per-entry cap.
public struct TarballEntry: Sendable {
    /// The entry's header data.
    public let entry: TarEntry
    /// The content, or nil when ``TarEntry/size`` exceeds the reader's `maxContentBytes` (the entry's
    /// ``TarEntry/sha512`` is still computed).
    public let content: Data?
}

/// Streams the entries of a tarball one at a time with their content, in bounded memory (one entry's content at a
/// time, capped per entry). For Compare and Packing oracles.
///
/// ```swift
/// let reader = try TarballReader(fileAt: url)
/// while let item = try reader.next() { … item.entry.path, item.content … }
/// let report = reader.report   // gzip layer, tar layout, findings (complete after the last `next()`)
/// ```
public final class TarballReader {
    /// The per-entry content cap.
    public let maxContentBytes: Int
    private let scanner: TarScanner
    private var entries: [TarEntry] = []

    /// Reads the file at `url`.
    /// - Throws: ``ArchiveError`` (`unreadable-input`) when the file cannot be opened.
    public init(fileAt url: URL, limits: ArchiveLimits = .npmDefault, maxContentBytes: Int = 64 << 20) throws(ArchiveError) {
        scanner = TarScanner(source: try FileByteSource(url: url), limits: limits)
        self.maxContentBytes = maxContentBytes
    }

    /// Reads in-memory tarball bytes.
    public init(data: Data, name: String? = nil, limits: ArchiveLimits = .npmDefault, maxContentBytes: Int = 64 << 20) {
        scanner = TarScanner(source: DataByteSource(data: data, displayName: name), limits: limits)
        self.maxContentBytes = maxContentBytes
    }

    /// Reads a tarball given as a sequence of chunks.
    public init<Chunks: Sequence>(chunks: Chunks, name: String, limits: ArchiveLimits = .npmDefault,
                                  maxContentBytes: Int = 64 << 20) where Chunks.Element == Data {
        scanner = TarScanner(source: ChunkByteSource(chunks: chunks, displayName: name), limits: limits)
        self.maxContentBytes = maxContentBytes
    }

    /// The next entry, or nil at the end of the archive.
    /// - Throws: ``ArchiveError`` for problems that stop reading (truncation, corrupt gzip, bad checksum, limits);
    ///   the same problem is also in ``report``'s findings.
    public func next() throws(ArchiveError) -> TarballEntry? {
        guard let scanned = try scanner.next(collectUpTo: maxContentBytes) else { return nil }
        entries.append(scanned.entry)
        return TarballEntry(entry: scanned.entry, content: scanned.content)
    }

    /// Reads every remaining entry, returning them with content.
    public func readAll() throws(ArchiveError) -> [TarballEntry] {
        var all: [TarballEntry] = []
        while let item = try next() { all.append(item) }
        return all
    }

    /// Whether the end of the input was reached (or reading stopped on an error).
    public var isFinished: Bool { scanner.finished }

    /// What was read so far: complete once ``next()`` returned nil or threw. No libarchive cross-check.
    public var report: ArchiveReport {
        ArchiveReport(input: scanner.inputName, compressedSize: scanner.compressedSize,
                      inputDigests: scanner.inputDigests, gzip: scanner.gzipReport, tar: scanner.layout,
                      entries: entries, findings: scanner.findings)
    }
}
