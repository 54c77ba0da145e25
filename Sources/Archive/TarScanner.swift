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
        var extensionBytes: [UInt8] = []
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
            switch flag {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let global = flag == UInt8(ascii: "g")
                let what = global ? "a PAX global header" : "a PAX extended header"
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
                if global {
                    add(ArchiveFinding(.paxGlobalHeader,
                                       "\(inputName): a PAX global header at offset \(blockOffset) sets \(records.map(\.key).joined(separator: ", ")) for every later entry",
                                       offset: blockOffset))
                    for record in records {
                        globalPax.removeAll { $0.key == record.key }
                        globalPax.append(record)
                    }
                    entryStart = nil
                    continue
                }
                pendingPax.append(contentsOf: records)
                extensionBytes.append(contentsOf: block)
                extensionBytes.append(contentsOf: body)
                extensionBytes.append(contentsOf: [UInt8](repeating: 0, count: (512 - body.count % 512) % 512))
                continue
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                let isName = flag == UInt8(ascii: "L")
                let body = try readBody(UInt64(headerSize), what: isName ? "a GNU long-name header" : "a GNU long-link header")
                let value = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                if isName { pendingLongName = value } else { pendingLongLink = value }
                extensionBytes.append(contentsOf: block)
                extensionBytes.append(contentsOf: body)
                extensionBytes.append(contentsOf: [UInt8](repeating: 0, count: (512 - body.count % 512) % 512))
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
            let records = globalPax + pendingPax
            func pax(_ key: String) -> String? { records.last { $0.key == key }?.value }

            var path: String
            if let p = pax("path") {
                path = p
            } else if let long = pendingLongName {
                path = long
            } else {
                let name = TarField.string(block, 0, 100)
                let prefix = format == .ustar ? TarField.string(block, 345, 155) : ""
                path = prefix.isEmpty ? name : prefix + "/" + name
            }
            let linkname = pax("linkpath") ?? pendingLongLink ?? TarField.string(block, 157, 100)

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
            let type = TarEntryType(flag: flag)
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
                add(ArchiveFinding(.pathOutsidePackageDir,
                                   "\(inputName): entry '\(path)' is not inside the archive's first directory '\(top)/' (npm strips the first path component on install)",
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
