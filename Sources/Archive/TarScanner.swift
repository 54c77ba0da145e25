import Digest
import Foundation

/// Where the tar stream ended and what came after its end-of-archive marker.
public struct TarLayout: Codable, Sendable, Hashable {
    /// Total decompressed (tar) bytes read.
    public var size: UInt64 = 0
    /// Number of entries (not counting PAX/GNU extension headers), including any after the end marker.
    public var entryCount: Int = 0
    /// Whether the two zero blocks of the end-of-archive marker were found.
    public var endOfArchiveFound: Bool = false
    /// Offset of the first zero block of the end-of-archive marker.
    public var endOfArchiveOffset: UInt64?
    /// Bytes after the 1024-byte end marker (npm writes none; other tars pad to a 10240-byte record).
    public var bytesAfterEndOfArchive: UInt64 = 0
    /// How many of those bytes are non-zero.
    public var nonZeroBytesAfterEndOfArchive: UInt64 = 0
    /// The first path component of the first entry (npm: `package`).
    public var topDirectory: String?
    /// SHA-512 hex of the whole decompressed tar stream (nil when reading stopped early).
    public var sha512: String?
    /// Whether the input was read to its end (false when a problem stopped reading; see the findings).
    public var complete: Bool = false
    /// libarchive's reading of the same input, when the cross-check ran.
    public var libarchive: LibarchiveCrossCheck?

    enum CodingKeys: String, CodingKey {
        case size
        case entryCount = "entry_count"
        case endOfArchiveFound = "end_of_archive_found"
        case endOfArchiveOffset = "end_of_archive_offset"
        case bytesAfterEndOfArchive = "bytes_after_end_of_archive"
        case nonZeroBytesAfterEndOfArchive = "non_zero_bytes_after_end_of_archive"
        case topDirectory = "top_directory"
        case sha512, complete
        case libarchive
    }

    /// Creates an empty layout.
    public init() {}
}

/// What libarchive made of the same input (a second, independent reader).
public struct LibarchiveCrossCheck: Codable, Sendable, Hashable {
    /// Entries libarchive listed.
    public var entryCount: Int
    /// Whether libarchive's listing (path, type, size of each entry before the end marker) equals provcheck's.
    public var agrees: Bool
    /// libarchive's error, when it stopped with one.
    public var error: String?
    /// The first few differences, described.
    public var differences: [String]

    enum CodingKeys: String, CodingKey {
        case entryCount = "entry_count"
        case agrees, error, differences
    }
}

/// The engine shared by ``ArchiveInspector`` and ``TarballReader``: detects gzip, parses tar headers itself
/// (so raw header bytes, PAX record order and everything after the end marker are visible), hashes content,
/// and records findings. Memory is bounded by the read buffers, extension-header bodies, and (when collecting)
/// one entry's content.
final class TarScanner {
    let inputName: String
    let limits: ArchiveLimits
    private let input: InputBuffer
    private let inputHasher = MultiHasher([.sha512, .sha1])
    private var stream: (any DecompressedStream)?
    private let tarHasher = MultiHasher([.sha512])
    private(set) var findings: [ArchiveFinding] = []
    private(set) var layout = TarLayout()
    private(set) var inputDigests: DigestSet?
    private(set) var compressedSize: UInt64 = 0
    private(set) var finished = false

    // Read buffer over the decompressed stream.
    private static let bufferCapacity = 64 << 10
    private let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: TarScanner.bufferCapacity)
    private var bufferStart = 0
    private var bufferEnd = 0
    private var streamEnded = false
    /// Offset in the tar stream of `buffer[bufferStart]`.
    private var tarOffset: UInt64 = 0

    // Parser state.
    private var zeroRun = 0
    private var globalPax: [PaxRecord] = []
    /// node-tar's global extended header (`GEX`), as node-tar keeps its values.
    private var nodeGlobal: [String: String] = [:]
    private var headerCount = 0
    private var seenPaths: [String: String] = [:]  // path in package -> full path
    private var seenFolded: [String: String] = [:]

    init(source: any ByteSource, limits: ArchiveLimits) {
        inputName = source.displayName
        self.limits = limits
        let hasher = inputHasher
        input = InputBuffer(source: HashingSource(base: source, hasher: hasher))
    }

    deinit { storage.deallocate() }

    /// The buffered bytes `[from, to)` (indices into the storage).
    private func bytes(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage + from, count: to - from)
    }

    /// The gzip layer report (nil for plain tar input or before the stream was opened).
    var gzipReport: GzipReport? {
        guard let decoder = stream as? GzipDecoder else { return nil }
        var report = decoder.report
        report.compressedSize = max(report.compressedSize, compressedSize)
        return report
    }

    private func add(_ finding: ArchiveFinding) { findings.append(finding) }

    // MARK: stream setup

    private func openStream() throws(ArchiveError) -> any DecompressedStream {
        if let stream { return stream }
        guard try input.ensure(1) else {
            throw ArchiveError(code: .truncatedGzip, input: inputName, message: "\(inputName) is empty: no gzip data", offset: 0)
        }
        // A lone 0x1f byte is a truncated gzip header, not a tar.
        let hasSecondByte = try input.ensure(2)
        let isGzip = input[0] == 0x1f && (!hasSecondByte || input[1] == 0x8b)
        let opened: any DecompressedStream
        if isGzip {
            opened = try GzipDecoder(input: input, limits: limits)
        } else {
            add(ArchiveFinding(.notGzip, "\(inputName) does not start with the gzip magic bytes 1f 8b; read as an uncompressed tar"))
            opened = PlainStream(input: input, limits: limits)
        }
        stream = opened
        return opened
    }

    // MARK: buffered reading of the decompressed stream

    private var buffered: Int { bufferEnd - bufferStart }

    /// Makes at least `n` (≤ buffer size) bytes available; false at end of stream.
    private func ensure(_ n: Int) throws(ArchiveError) -> Bool {
        while buffered < n {
            if streamEnded { return false }
            if bufferStart > 0 {
                if buffered > 0 { memmove(storage, storage + bufferStart, buffered) }
                bufferEnd -= bufferStart
                bufferStart = 0
            }
            let stream = try openStream()
            let end = bufferEnd
            let got = try stream.read(into: UnsafeMutableRawBufferPointer(start: storage + end, count: Self.bufferCapacity - end))
            if got == 0 {
                streamEnded = true
                return buffered >= n
            }
            tarHasher.update(UnsafeRawBufferPointer(bytes(end, end + got)))
            bufferEnd += got
        }
        return true
    }

    private func consume(_ n: Int) {
        bufferStart += n
        tarOffset += UInt64(n)
    }

    /// Reads one 512-byte block; nil at a clean end of stream; throws `truncated-tar` on a partial block.
    private func readBlock() throws(ArchiveError) -> [UInt8]? {
        if try !ensure(512) {
            if buffered == 0 { return nil }
            if layout.endOfArchiveFound {
                let tail = bytes(bufferStart, bufferEnd)
                layout.bytesAfterEndOfArchive += UInt64(tail.count)
                let nonZero = UInt64(tail.filter { $0 != 0 }.count)
                layout.nonZeroBytesAfterEndOfArchive += nonZero
                if nonZero > 0 {
                    add(ArchiveFinding(.dataAfterEndOfArchive,
                                       "\(inputName): \(tail.count) byte(s) (\(nonZero) non-zero) follow the end-of-archive marker at offset \(tarOffset)",
                                       offset: tarOffset))
                }
                consume(tail.count)
                return nil
            }
            throw ArchiveError(code: .truncatedTar, input: inputName,
                               message: "\(inputName): the tar stream ends inside a 512-byte header block at offset \(tarOffset) (\(buffered) bytes left)",
                               offset: tarOffset)
        }
        let block = Array(bytes(bufferStart, bufferStart + 512))
        consume(512)
        return block
    }

    /// Streams `count` bytes to `sink`; throws `truncated-tar` if the stream ends first.
    private func readData(_ count: UInt64, what: String, sink: (UnsafeRawBufferPointer) -> Void) throws(ArchiveError) {
        var remaining = count
        while remaining > 0 {
            if buffered == 0, try !ensure(1) {
                throw ArchiveError(code: .truncatedTar, input: inputName,
                                   message: "\(inputName): the tar stream ends inside \(what): \(remaining) of \(count) bytes missing at offset \(tarOffset)",
                                   offset: tarOffset)
            }
            let n = Int(min(UInt64(buffered), remaining))
            let start = bufferStart
            sink(UnsafeRawBufferPointer(bytes(start, start + n)))
            consume(n)
            remaining -= UInt64(n)
        }
    }

    private func skipPadding(after size: UInt64, what: String) throws(ArchiveError) {
        let pad = (512 - size % 512) % 512
        try readData(pad, what: "the padding of \(what)") { _ in }
    }

    private func readBody(_ size: UInt64, what: String) throws(ArchiveError) -> [UInt8] {
        guard size <= UInt64(limits.maxExtendedHeaderBytes) else {
            throw ArchiveError(code: .malformedHeader, input: inputName,
                               message: "\(inputName): \(what) at offset \(tarOffset) declares \(size) bytes, more than the \(limits.maxExtendedHeaderBytes)-byte limit for extension headers",
                               offset: tarOffset)
        }
        var body: [UInt8] = []
        body.reserveCapacity(Int(size))
        try readData(size, what: what) { body.append(contentsOf: $0) }
        try skipPadding(after: size, what: what)
        return body
    }

    // MARK: entries

    struct Scanned {
        var entry: TarEntry
        var content: Data?
    }

    /// Reads the next entry. With `collectUpTo`, content of at most that many bytes is returned in memory.
    /// Returns nil after the end of the stream (then ``layout``, ``findings`` and the gzip report are complete).
    func next(collectUpTo maxContent: Int?) throws(ArchiveError) -> Scanned? {
        if finished { return nil }
        do {
            if let scanned = try nextEntry(collectUpTo: maxContent) { return scanned }
            try finish()
            return nil
        } catch {
            failed(error)
            throw error
        }
    }

    /// On a fatal error: record it, then read the rest of the compressed input (no decompression) so the input
    /// digests and size are still complete.
    private func failed(_ error: ArchiveError) {
        finished = true
        add(error.finding)
        layout.size = tarOffset + UInt64(buffered)
        layout.sha512 = nil
        if let stream { findings.append(contentsOf: stream.findings) }
        if error.code != .unreadableInput, (try? input.drain(previewCount: 0)) != nil {
            inputDigests = inputHasher.finalize()
        }
        compressedSize = input.offset
    }

    private func finish() throws(ArchiveError) {
        finished = true
        // Read the gzip layer to its end (trailer, extra members, trailing bytes).
        if let stream {
            while true {
                // Normally nothing is left: nextEntry read the stream to its end.
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: storage, count: Self.bufferCapacity))
                if n == 0 { break }
                tarHasher.update(UnsafeRawBufferPointer(bytes(0, n)))
                layout.bytesAfterEndOfArchive += UInt64(n)
                layout.nonZeroBytesAfterEndOfArchive += UInt64(bytes(0, n).filter { $0 != 0 }.count)
            }
            findings.append(contentsOf: stream.findings)
        }
        _ = try input.drain(previewCount: 0)
        compressedSize = input.offset
        layout.size = tarOffset
        layout.sha512 = tarHasher.finalize().hex(.sha512)
        layout.complete = true
        inputDigests = inputHasher.finalize()
        if !layout.endOfArchiveFound {
            add(ArchiveFinding(.missingEndOfArchive,
                               "\(inputName): the tar stream ends at offset \(tarOffset) without the two zero blocks of the end-of-archive marker",
                               offset: tarOffset))
        }
    }

    private func nextEntry(collectUpTo maxContent: Int?) throws(ArchiveError) -> Scanned? {
        var pendingPax: [PaxRecord] = []
        var pendingLongName: String?
        var pendingLongLink: String?
        var posixPaxPath: String?
        var posixPaxLink: String?
        // node-tar's pending extended header (`EX`): the last PAX path / GNU long name wins, and so on.
        var nodePath: String?
        var nodeLink: String?
        var nodeEx: [String: String] = [:]
        var pathSources: [String] = []
        var linkSources: [String] = []
        var npmIssues: [String] = []
        var nodeExtensionSizeApplies: Bool { nodeEx["size"] != nil || nodeGlobal["size"] != nil }
        var extensionBytes: [UInt8] = []
        /// Keeps a PAX or GNU extension header as the entry it precedes stores it: the block, then the body
        /// padded to 512 bytes.
        func keepExtension(_ block: [UInt8], _ body: [UInt8]) {
            extensionBytes.append(contentsOf: block)
            extensionBytes.append(contentsOf: body)
            extensionBytes.append(contentsOf: [UInt8](repeating: 0, count: (512 - body.count % 512) % 512))
        }
        var entryStart: UInt64?
        var reportedDataAfterEnd = false

        while true {
            let blockOffset = tarOffset
            guard let block = try readBlock() else {
                if entryStart != nil {
                    throw ArchiveError(code: .truncatedTar, input: inputName,
                                       message: "\(inputName): the tar stream ends after an extension header at offset \(entryStart!) without the entry it describes",
                                       offset: entryStart)
                }
                return nil
            }
            if block.allSatisfy({ $0 == 0 }) {
                if entryStart != nil {
                    throw ArchiveError(code: .malformedHeader, input: inputName,
                                       message: "\(inputName): a zero block at offset \(blockOffset) follows an extension header instead of its entry",
                                       offset: blockOffset)
                }
                zeroRun += 1
                if layout.endOfArchiveFound {
                    layout.bytesAfterEndOfArchive += 512
                } else if zeroRun == 2 {
                    layout.endOfArchiveFound = true
                    layout.endOfArchiveOffset = blockOffset - 512
                }
                continue
            }
            // A non-zero block.
            let afterEnd = layout.endOfArchiveFound
            if afterEnd {
                guard TarField.hasValidChecksum(block) else {
                    // Not a header: count the rest as data after the end marker.
                    var nonZero = UInt64(block.filter { $0 != 0 }.count)
                    var total: UInt64 = 512
                    while try ensure(1) {
                        let slice = bytes(bufferStart, bufferEnd)
                        nonZero += UInt64(slice.filter { $0 != 0 }.count)
                        total += UInt64(slice.count)
                        consume(slice.count)
                    }
                    total += UInt64(buffered)
                    consume(buffered)
                    layout.bytesAfterEndOfArchive += total
                    layout.nonZeroBytesAfterEndOfArchive += nonZero
                    if !reportedDataAfterEnd {
                        reportedDataAfterEnd = true
                        add(ArchiveFinding(.dataAfterEndOfArchive,
                                           "\(inputName): \(total) byte(s) (\(nonZero) non-zero) follow the end-of-archive marker at offset \(blockOffset); they are not a tar header",
                                           offset: blockOffset))
                    }
                    return nil
                }
            } else if zeroRun == 1 {
                add(ArchiveFinding(.malformedHeader,
                                   "\(inputName): a single zero block at offset \(blockOffset - 512) is followed by a header; some readers (libarchive) stop at the first zero block",
                                   offset: blockOffset - 512))
            }
            zeroRun = 0
            if entryStart == nil { entryStart = blockOffset }

            // Checksum.
            guard case .value(let storedChecksum) = TarField.number(block, 148, 8) else {
                throw ArchiveError(code: .badChecksum, input: inputName,
                                   message: "\(inputName): the header at offset \(blockOffset) has an unreadable checksum field; stopped reading",
                                   offset: blockOffset)
            }
            let sums = TarField.checksums(block)
            guard storedChecksum == sums.unsigned || storedChecksum == sums.signed else {
                throw ArchiveError(code: .badChecksum, input: inputName,
                                   message: "\(inputName): the header at offset \(blockOffset) (name '\(TarField.string(block, 0, 100))') has checksum \(String(storedChecksum, radix: 8)) but its bytes sum to \(String(sums.unsigned, radix: 8)); stopped reading",
                                   offset: blockOffset)
            }
            headerCount += 1
            guard headerCount <= limits.maxEntries else {
                throw ArchiveError(code: .entryCountLimitExceeded, input: inputName,
                                   message: "\(inputName): more than \(limits.maxEntries) tar headers; stopped reading",
                                   offset: blockOffset)
            }
            guard case .value(let headerSize) = TarField.number(block, 124, 12) else {
                throw ArchiveError(code: .malformedHeader, input: inputName,
                                   message: "\(inputName): the header at offset \(blockOffset) has an unreadable size field; stopped reading",
                                   offset: blockOffset)
            }
            let flag = block[156]
            // node-tar's view of this header block (npm installs with node-tar 6.x / 7.x).
            npmIssues += nodeHeaderIssues(block, flag: flag, headerSize: headerSize)
            switch flag {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "X"):
                let global = flag == UInt8(ascii: "g")
                let what = global ? "a PAX global header" : "a PAX extended header"
                if flag == UInt8(ascii: "X") {
                    npmIssues.append("an obsolete 'X' extended header at offset \(blockOffset) (node-tar reads it as PAX, other readers may not)")
                }
                if headerSize == 0 {
                    npmIssues.append("\(what) at offset \(blockOffset) is empty; node-tar ignores it")
                }
                if nodeExtensionSizeApplies {
                    npmIssues.append("\(what) at offset \(blockOffset) follows a PAX header that sets size: node-tar 6 (npm 10) reads this header's body with that size, node-tar 7 and POSIX readers with its own")
                }
                let body = try readBody(UInt64(headerSize), what: what)
                var records: [PaxRecord]
                switch TarField.paxRecords(body) {
                case .records(let r):
                    records = r
                case .malformed(let why, let r):
                    records = r
                    add(ArchiveFinding(.malformedHeader, "\(inputName): malformed PAX record in \(what) at offset \(blockOffset): \(why)",
                                       offset: blockOffset))
                }
                let nodeRecords = NodeTarField.paxRecords(body)
                // (A PAX size is compared where it matters, as the entry's effective size: node-tar 7 writes
                // `size=0` for directories, which node-tar reads as absent and POSIX readers as 0 — the same.)
                for key in ["path", "linkpath"] {
                    let ours = records.last { $0.key == key }?.value
                    if let ours, nodeRecords[key] != ours {
                        npmIssues.append("\(what) at offset \(blockOffset) has \(key) '\(ours)', which node-tar reads as "
                            + (nodeRecords[key].map { "'\($0)'" } ?? "absent (empty, zero or unparseable)"))
                    } else if ours == nil, let theirs = nodeRecords[key] {
                        npmIssues.append("\(what) at offset \(blockOffset): node-tar reads a \(key) '\(theirs)' that POSIX readers do not")
                    }
                }
                if global {
                    add(ArchiveFinding(.paxGlobalHeader,
                                       "\(inputName): a PAX global header at offset \(blockOffset) sets \(records.map(\.key).joined(separator: ", ")) for every later entry",
                                       offset: blockOffset))
                    let listing = records.map(\.key).filter { ["path", "linkpath", "size"].contains($0) }
                        + nodeRecords.keys.filter { ["path", "linkpath", "size"].contains($0) }
                    if let key = listing.first {
                        add(ArchiveFinding(.npmReadsDifferently,
                                           "\(inputName): a PAX global header at offset \(blockOffset) sets \(key) for every later entry: node-tar 6 lets it override each entry's own value, node-tar 7 does not (and ignores a global path), other readers differ again",
                                           offset: blockOffset))
                    }
                    for record in records {
                        globalPax.removeAll { $0.key == record.key }
                        globalPax.append(record)
                    }
                    for (key, value) in nodeRecords { nodeGlobal[key] = value }
                    if !npmIssues.isEmpty {
                        add(ArchiveFinding(.npmReadsDifferently,
                                           "\(inputName): npm reads the header(s) at offset \(entryStart ?? blockOffset) differently from POSIX tar readers: "
                                               + npmIssues.joined(separator: "; "), offset: entryStart ?? blockOffset))
                        npmIssues = []
                    }
                    entryStart = nil
                    continue
                }
                pendingPax.append(contentsOf: records)
                for (key, value) in nodeRecords { nodeEx[key] = value }
                // POSIX: the last PAX path/linkpath applies; node-tar: the last of PAX and GNU long name.
                if let p = records.last(where: { $0.key == "path" })?.value {
                    posixPaxPath = p
                    pathSources.append("PAX path '\(p)'")
                    nodePath = nodeRecords["path"]
                }
                if let l = records.last(where: { $0.key == "linkpath" })?.value {
                    posixPaxLink = l
                    linkSources.append("PAX linkpath '\(l)'")
                    nodeLink = nodeRecords["linkpath"]
                }
                keepExtension(block, body)
                continue
            case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "N"):
                let isName = flag != UInt8(ascii: "K")
                let what = isName ? "a GNU long-name header" : "a GNU long-link header"
                if flag == UInt8(ascii: "N") {
                    npmIssues.append("an obsolete GNU 'N' long-name header at offset \(blockOffset) (node-tar reads it like 'L', other readers do not)")
                }
                if headerSize == 0 {
                    npmIssues.append("\(what) at offset \(blockOffset) is empty; node-tar ignores it")
                }
                if nodeExtensionSizeApplies {
                    npmIssues.append("\(what) at offset \(blockOffset) follows a PAX header that sets size: node-tar 6 (npm 10) reads its body with that size")
                }
                let body = try readBody(UInt64(headerSize), what: what)
                let value = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                let nodeValue = NodeTarField.string(body[...])
                if Array(nodeValue.utf8) != Array(value.utf8) {
                    npmIssues.append("\(what) at offset \(blockOffset) reads '\(value)' in POSIX readers and '\(nodeValue)' in node-tar (bytes after a NUL)")
                }
                if isName {
                    pendingLongName = value
                    pathSources.append("GNU long name '\(value)'")
                    if headerSize > 0 { nodePath = nodeValue }
                } else {
                    pendingLongLink = value
                    linkSources.append("GNU long link '\(value)'")
                    if headerSize > 0 { nodeLink = nodeValue }
                }
                keepExtension(block, body)
                continue
            default:
                break
            }

            // A real entry.
            let magic = Array(block[257..<263])
            let version = Array(block[263..<265])
            let format: TarHeaderFormat
            if magic == Array("ustar\0".utf8) {
                format = .ustar
                if version != Array("00".utf8) {
                    add(ArchiveFinding(.malformedHeader, severity: .warning,
                                       "\(inputName): the ustar header at offset \(blockOffset) has version bytes \(version) instead of \"00\"",
                                       offset: blockOffset))
                }
            } else if magic == Array("ustar ".utf8), version == [0x20, 0] {
                format = .gnu
            } else {
                format = .v7
                if !magic.allSatisfy({ $0 == 0 }) {
                    add(ArchiveFinding(.malformedHeader, severity: .warning,
                                       "\(inputName): the header at offset \(blockOffset) has unknown magic bytes \(magic); read as a v7 header",
                                       offset: blockOffset))
                }
            }
            // Global records apply except `path` (node-tar ignores a global path; so does provcheck).
            let records = globalPax.filter { $0.key != "path" } + pendingPax
            func pax(_ key: String) -> String? { records.last { $0.key == key }?.value }

            // The POSIX reading (libarchive, GNU tar): PAX path, else GNU long name, else prefix + "/" + name, each
            // string field up to its first NUL.
            let posixPath: String
            if let p = posixPaxPath {
                posixPath = p
            } else if let long = pendingLongName {
                posixPath = long
            } else {
                let name = TarField.string(block, 0, 100)
                let prefix = format == .ustar ? TarField.string(block, 345, 155) : ""
                posixPath = prefix.isEmpty ? name : prefix + "/" + name
            }
            // npm's reading (node-tar): the last PAX path or GNU long name, else the name field with the ustar
            // prefix — all 155 bytes when byte 475 is not NUL, else 130 — joined by "/" even when the prefix reads
            // as empty; fields end at the first NUL unless a line break follows it.
            let ustar00 = magic == Array("ustar\0".utf8) && version == Array("00".utf8)
            let nodeName = nodePath ?? NodeTarField.string(block, 0, 100)
            var npmPath = nodeName
            if nodePath == nil, ustar00 {
                if block[475] != 0 {
                    npmPath = NodeTarField.string(block, 345, 155) + "/" + nodeName
                } else {
                    let prefix = NodeTarField.string(block, 345, 130)
                    if !prefix.isEmpty { npmPath = prefix + "/" + nodeName }
                }
            }
            if Array(npmPath.utf8) != Array(posixPath.utf8) {
                npmIssues.append("npm (node-tar) installs it as '\(npmPath)' but POSIX tar readers (libarchive, GNU tar) read '\(posixPath)'")
            }
            if pathSources.count > 1 {
                npmIssues.append("\(pathSources.count) long names precede it (\(pathSources.joined(separator: ", "))); npm uses the last, other readers the PAX one")
            }
            if linkSources.count > 1 {
                npmIssues.append("\(linkSources.count) long link names precede it (\(linkSources.joined(separator: ", "))); readers disagree on which applies")
            }
            if npmPath.isEmpty {
                npmIssues.append("its path is empty; node-tar skips the header and reads its content as headers")
            }
            let path = npmPath
            let posixLink = posixPaxLink ?? pendingLongLink ?? TarField.string(block, 157, 100)
            let npmLink = nodeGlobal["linkpath"] ?? nodeLink ?? NodeTarField.string(block, 157, 100)
            if Array(npmLink.utf8) != Array(posixLink.utf8) {
                npmIssues.append("its link target reads '\(npmLink)' in node-tar and '\(posixLink)' in POSIX readers")
            }
            let linkname = npmLink

            func numeric(_ offset: Int, _ length: Int, _ field: String) -> Int64? {
                switch TarField.number(block, offset, length) {
                case .empty: return nil
                case .value(let v): return v
                case .invalid:
                    add(ArchiveFinding(.malformedHeader,
                                       "\(inputName): the \(field) field of '\(path)' (header at offset \(blockOffset)) is not a number",
                                       path: path, offset: blockOffset))
                    return nil
                }
            }
            func paxNumber(_ key: String) -> Int64?? {
                guard let text = pax(key) else { return nil }
                let integral = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                guard let v = Int64(integral) else {
                    add(ArchiveFinding(.malformedHeader, "\(inputName): the PAX \(key) record '\(text)' of '\(path)' is not a number",
                                       path: path, offset: blockOffset))
                    return .some(nil)
                }
                return .some(v)
            }

            var size = UInt64(headerSize)
            if let paxSize = paxNumber("size") {
                guard let s = paxSize, s >= 0 else {
                    throw ArchiveError(code: .malformedHeader, input: inputName,
                                       message: "\(inputName): the PAX size of '\(path)' is unreadable; stopped reading",
                                       offset: blockOffset)
                }
                size = UInt64(s)
            }
            let rawMode = numeric(100, 8, "mode") ?? 0
            let mtime = paxNumber("mtime") ?? numeric(136, 12, "mtime") ?? 0
            let uid = paxNumber("uid") ?? numeric(108, 8, "uid")
            let gid = paxNumber("gid") ?? numeric(116, 8, "gid")
            var type = TarEntryType(flag: flag)
            // node-tar (and libarchive) read a regular file whose name ends in "/" as a directory.
            if flag == 0 || flag == UInt8(ascii: "0"), nodeName.hasSuffix("/") { type = .directory }
            // Content size: node-tar 6 lets a global PAX size override the entry's, node-tar 7 the reverse.
            let fieldSize: Double? = {
                if case .value(let v) = NodeTarField.number(block, 124, 12) { return v }
                return nil
            }()
            let exSize = nodeEx["size"].map { Double($0) ?? .nan }
            let gexSize = nodeGlobal["size"].map { Double($0) ?? .nan }
            let node6Size = type == .directory ? 0 : (gexSize ?? exSize ?? fieldSize ?? 0)
            let node7Size = type == .directory ? 0 : (exSize ?? gexSize ?? fieldSize ?? 0)
            if node6Size != Double(size) || node7Size != Double(size) {
                npmIssues.append("node-tar reads \(Self.jsNumber(node6Size))"
                    + (node6Size == node7Size ? "" : " (node-tar 6) or \(Self.jsNumber(node7Size)) (node-tar 7)")
                    + " content bytes, POSIX readers \(size)")
            }
            switch flag {
            case 0, UInt8(ascii: "0")...UInt8(ascii: "7"):
                break
            case UInt8(ascii: "A"), UInt8(ascii: "I"), UInt8(ascii: "M"), UInt8(ascii: "S"), UInt8(ascii: "V"):
                npmIssues.append("its type flag '\(UnicodeScalar(flag))' makes npm (node-tar) skip it, while GNU tar and libarchive read it")
            case UInt8(ascii: "D"):
                npmIssues.append("its type flag 'D' (GNU dump directory) is a directory to node-tar and GNU tar, an unknown type to others")
            default:
                npmIssues.append("its type flag \(flag < 0x80 ? "'\(UnicodeScalar(flag))'" : "0x" + String(flag, radix: 16)) is unknown: node-tar 6 (npm 10) skips the entry, node-tar 7 (npm 11) installs it as a regular file")
            }
            if !npmIssues.isEmpty {
                add(ArchiveFinding(.npmReadsDifferently,
                                   "\(inputName): npm reads the entry at offset \(entryStart!) differently from POSIX tar readers: "
                                       + npmIssues.joined(separator: "; "),
                                   path: path, offset: entryStart!))
                npmIssues = []
            }
            let dataOffset = tarOffset

            var entry = TarEntry(
                path: path, type: type, typeflag: flag == 0 ? "" : String(UnicodeScalar(flag)), format: format,
                mode: UInt32(truncatingIfNeeded: rawMode & 0o7777), size: size, mtime: mtime ?? 0, uid: uid ?? nil,
                gid: gid ?? nil, uname: pax("uname") ?? TarField.string(block, 265, 32),
                gname: pax("gname") ?? TarField.string(block, 297, 32), linkname: linkname,
                devmajor: format == .v7 ? nil : numeric(329, 8, "devmajor"),
                devminor: format == .v7 ? nil : numeric(337, 8, "devminor"),
                paxRecords: records, usedGNULongName: pendingLongName != nil || pendingLongLink != nil,
                offset: entryStart!, headerOffset: blockOffset, dataOffset: dataOffset, rawHeader: block,
                rawExtensionHeaders: extensionBytes, headerSHA256: DigestEncoding.hex(Hashing.sha256(Data(block))),
                sha512: "", afterEndOfArchive: afterEnd)

            layout.entryCount += 1
            if layout.topDirectory == nil, !afterEnd {
                layout.topDirectory = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            }
            checkEntry(entry)

            // Content (every type: node-tar skips `size` bytes whatever the type).
            let hasher = MultiHasher([.sha512])
            var content: Data?
            let collect = maxContent.map { size <= UInt64($0) } ?? false
            if collect { content = Data(capacity: Int(size)) }
            try readData(size, what: "the content of '\(path)'") { bytes in
                hasher.update(bytes)
                if collect { content!.append(contentsOf: bytes) }
            }
            try skipPadding(after: size, what: "the content of '\(path)'")
            entry.sha512 = hasher.finalize().hex(.sha512)!
            return Scanned(entry: entry, content: content)
        }
    }

    /// A size as JavaScript prints it.
    private static func jsNumber(_ value: Double) -> String {
        value.isNaN ? "NaN" : value == value.rounded() && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }

    /// Where node-tar (npm) reads one header block differently from provcheck's POSIX reading: it rejects the
    /// checksum, cannot read a numeric field, or skips the header for its link name or an empty name. A skipped
    /// header makes node-tar read the following blocks (its content) as headers.
    private func nodeHeaderIssues(_ block: [UInt8], flag: UInt8, headerSize: Int64) -> [String] {
        var issues: [String] = []
        let at = tarOffset - 512
        if !NodeTarField.checksumValid(block) {
            issues.append("node-tar rejects the checksum of the header at offset \(at) (it reads 12 bytes from offset 148 and accepts only the unsigned sum) and reads the next block as a header")
        }
        var fields: [(Int, Int, String)] = [(100, 8, "mode"), (108, 8, "uid"), (116, 8, "gid"), (124, 12, "size"),
                                            (136, 12, "mtime")]
        if Array(block[257..<265]) == Array("ustar\u{0}00".utf8) {
            fields += [(329, 8, "devmajor"), (337, 8, "devminor")]
            if block[475] == 0 { fields += [(476, 12, "atime"), (488, 12, "ctime")] }
        }
        for (offset, length, name) in fields where NodeTarField.number(block, offset, length) == .rejected {
            issues.append("node-tar cannot read the \(name) field of the header at offset \(at) (base-256 value out of range) and skips the header")
        }
        if case .value(let nodeSize) = NodeTarField.number(block, 124, 12), nodeSize != Double(headerSize) {
            issues.append("the size field of the header at offset \(at) reads \(Self.jsNumber(nodeSize)) in node-tar and \(headerSize) in POSIX readers")
        }
        let isLink = flag == UInt8(ascii: "1") || flag == UInt8(ascii: "2")
        let nodeLinkField = NodeTarField.string(block, 157, 100)
        if isLink, nodeLinkField.isEmpty {
            issues.append("the link header at offset \(at) has an empty link name field; node-tar skips it (a PAX or GNU link target does not count)")
        } else if !isLink, !nodeLinkField.isEmpty {
            issues.append("the header at offset \(at) is not a link but has a link name '\(nodeLinkField)'; node-tar skips it")
        }
        if NodeTarField.string(block, 0, 100).isEmpty, [UInt8]("xgXLKN".utf8).contains(flag) {
            issues.append("the extension header at offset \(at) has an empty name; node-tar 6 skips it and reads its body as headers")
        }
        return issues
    }

    /// Path and type findings for one entry.
    private func checkEntry(_ entry: TarEntry) {
        let path = entry.path
        let at = entry.headerOffset
        if entry.afterEndOfArchive {
            add(ArchiveFinding(.entryAfterEndOfArchive,
                               "\(inputName): entry '\(path)' at offset \(entry.offset) comes after the end-of-archive marker (offset \(layout.endOfArchiveOffset ?? 0)); tools that stop at the marker do not see it",
                               path: path, offset: entry.offset))
        }
        if path.utf8.count > limits.maxPathLength {
            add(ArchiveFinding(.pathTooLong, "\(inputName): a path of \(path.utf8.count) bytes (limit \(limits.maxPathLength)) at offset \(at)",
                               path: String(path.prefix(200)), offset: at))
        }
        if path.hasPrefix("/") || path.hasPrefix("\\") || (path.count >= 2 && path.dropFirst().first == ":" && path.first!.isLetter) {
            add(ArchiveFinding(.absolutePath, "\(inputName): entry '\(path)' has an absolute path", path: path, offset: at))
        }
        let components = path.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if components.contains("..") {
            add(ArchiveFinding(.pathTraversal, "\(inputName): entry '\(path)' has a '..' component (path traversal)", path: path, offset: at))
        }
        if entry.type == .symbolicLink || entry.type == .hardLink {
            let linkTraversal = entry.linkname.hasPrefix("/") || entry.linkname.split(separator: "/").contains("..")
            add(ArchiveFinding(entry.type == .symbolicLink ? .symlink : .hardlink,
                               "\(inputName): entry '\(path)' is a \(entry.type == .symbolicLink ? "symbolic" : "hard") link to '\(entry.linkname)'"
                                   + (linkTraversal ? " (target outside the package)" : "") + "; npm skips links on install",
                               path: path, offset: at))
        }
        switch entry.type {
        case .characterDevice, .blockDevice, .fifo:
            add(ArchiveFinding(.deviceOrFifo, "\(inputName): entry '\(path)' is a \(entry.type.rawValue)", path: path, offset: at))
        case .unsupported:
            add(ArchiveFinding(.unsupportedEntryType, "\(inputName): entry '\(path)' has type flag '\(entry.typeflag)' which provcheck does not interpret",
                               path: path, offset: at))
        default:
            break
        }
        if entry.size > 0, [.symbolicLink, .characterDevice, .blockDevice, .directory, .fifo].contains(entry.type) {
            add(ArchiveFinding(.malformedHeader,
                               "\(inputName): \(entry.type.rawValue) entry '\(path)' declares \(entry.size) content bytes; tar readers disagree on whether to skip them",
                               path: path, offset: at))
        }
        if entry.mode & 0o7000 != 0 {
            add(ArchiveFinding(.specialModeBits, "\(inputName): entry '\(path)' has mode \(entry.modeOctal) (setuid/setgid/sticky)",
                               path: path, offset: at))
        }
        guard !entry.afterEndOfArchive else { return }
        if let top = layout.topDirectory {
            let first = components.first.map(String.init) ?? ""
            let isTopItself = components.count <= 1 && entry.type == .directory && first == top
            if first != top || (components.count <= 1 && !isTopItself) {
                // npm (node-tar `strip: 1`) removes the first "/"-separated component, whatever it is.
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                let installed = parts.dropFirst().joined(separator: "/")
                let consequence = installed.isEmpty
                    ? "npm installs nothing for it (removing its first path component leaves no name)"
                    : "npm removes its first path component ('\(parts[0])') whatever it is and installs it as '\(installed)' in the package folder"
                add(ArchiveFinding(.pathOutsidePackageDir,
                                   "\(inputName): entry '\(path)' is not inside the archive's first directory '\(top)/'; \(consequence)",
                                   path: path, offset: at))
            }
        }
        guard entry.type != .directory else { return }
        let installed = entry.pathInPackage.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        if let previous = seenPaths[installed] {
            add(ArchiveFinding(.duplicatePath,
                               "\(inputName): entry '\(path)' installs to the same path as the earlier entry '\(previous)'; npm keeps the last one",
                               path: path, offset: at))
        } else {
            let folded = installed.lowercased()
            if let previous = seenFolded[folded] {
                add(ArchiveFinding(.caseInsensitiveDuplicatePath,
                                   "\(inputName): entries '\(previous)' and '\(path)' differ only in letter case and collide on case-insensitive file systems",
                                   path: path, offset: at))
            }
            seenFolded[folded] = path
        }
        seenPaths[installed] = path
    }
}

/// Feeds every byte read from a source to a hasher (the digests of the compressed input).
struct HashingSource: ByteSource {
    var base: any ByteSource
    let hasher: MultiHasher
    var displayName: String { base.displayName }

    mutating func read(maxCount: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        let chunk = try base.read(maxCount: maxCount)
        chunk.withUnsafeBytes { hasher.update($0) }
        return chunk
    }
}
