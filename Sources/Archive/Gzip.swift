import CZlib
import Foundation

/// The header of one gzip member (RFC 1952 §2.3).
public struct GzipHeader: Codable, Sendable, Hashable {
    /// FLG: bit 0 FTEXT, 1 FHCRC, 2 FEXTRA, 3 FNAME, 4 FCOMMENT.
    public let flg: UInt8
    /// MTIME (seconds since 1970, 0 = none; npm writes 0).
    public let mtime: UInt32
    /// XFL: 2 = maximum compression (level 9), 4 = fastest (level 1), 0 otherwise.
    public let xfl: UInt8
    /// OS: 3 Unix, 0 FAT, 7 old macOS zlib, 10 NTFS, 19 macOS zlib ≥ 1.2.11, 255 unknown (npm ≥ 7 "portable").
    public let os: UInt8
    /// FNAME (ISO-8859-1), when present.
    public let name: String?
    /// FCOMMENT (ISO-8859-1), when present.
    public let comment: String?
    /// FEXTRA bytes in hex, when present.
    public let extra: String?
    /// The stored header CRC16 (FHCRC), when present.
    public let headerCRC16: UInt16?
    /// Whether the stored header CRC16 matches (nil when absent).
    public let headerCRC16OK: Bool?
    /// The header length in bytes (10 plus optional fields).
    public let length: Int

    enum CodingKeys: String, CodingKey {
        case flg, mtime, xfl, os, name, comment, extra
        case headerCRC16 = "header_crc16"
        case headerCRC16OK = "header_crc16_ok"
        case length
    }

    /// The 10 fixed header bytes in hex, e.g. `1f8b0800000000000203`.
    public var fixedBytesHex: String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The 10 fixed header bytes (ID1 ID2 CM FLG MTIME XFL OS), what a writer puts in front of the deflate stream.
    public var bytes: Data {
        Data([0x1f, 0x8b, 0x08, flg,
              UInt8(truncatingIfNeeded: mtime), UInt8(truncatingIfNeeded: mtime >> 8),
              UInt8(truncatingIfNeeded: mtime >> 16), UInt8(truncatingIfNeeded: mtime >> 24),
              xfl, os])
    }

    /// What the OS byte means.
    public var osName: String {
        switch os {
        case 0: return "FAT (0)"
        case 3: return "Unix (3)"
        case 7: return "Macintosh, zlib <= 1.2.10 (7)"
        case 10: return "NTFS/Windows (10)"
        case 11: return "NTFS (11)"
        case 19: return "macOS, zlib >= 1.2.11 (19)"
        case 255: return "unknown / node-tar portable (255)"
        default: return "\(os)"
        }
    }
}

extension GzipHeader: CustomStringConvertible {
    /// A plain 10-byte header (no name, comment, extra field or header CRC), as a writer emits it: the one gzip
    /// header model for reading (``GzipReader``) and for writing (Deflate's `NPMGzip`, Packing's candidates).
    public init(flg: UInt8 = 0, mtime: UInt32 = 0, xfl: UInt8, os: UInt8) {
        self.init(flg: flg, mtime: mtime, xfl: xfl, os: os, name: nil, comment: nil, extra: nil, headerCRC16: nil,
                  headerCRC16OK: nil, length: 10)
    }

    /// npm ≥ 7 (node-tar `portable`): `1f 8b 08 00 00000000 02 ff`.
    public static let npm7 = GzipHeader(xfl: 2, os: 255)

    /// The header zlib's own gzip wrapper writes (as npm 5/6 and node-tar < 5.0.5 left it):
    /// MTIME 0, XFL from the level, and the OS code of the publisher's platform.
    public static func zlib(level: Int, os: UInt8) -> GzipHeader {
        GzipHeader(xfl: level == 9 ? 2 : (level < 2 ? 4 : 0), os: os)
    }

    public var description: String { "gzip header FLG \(flg) MTIME \(mtime) XFL \(xfl) OS \(os)" }
}

/// One gzip member: its header, where its raw deflate stream lies in the compressed input, and its trailer checks.
public struct GzipMember: Codable, Sendable, Hashable {
    /// Offset of the member's first byte in the compressed input.
    public let offset: UInt64
    /// The member header.
    public let header: GzipHeader
    /// Offset of the raw deflate stream in the compressed input.
    public let deflateOffset: UInt64
    /// Length in bytes of the raw deflate stream.
    public var deflateLength: UInt64
    /// The CRC32 stored in the trailer (nil if the trailer was not reached).
    public var storedCRC32: UInt32?
    /// The CRC32 of the decompressed data.
    public var computedCRC32: UInt32
    /// The ISIZE stored in the trailer (nil if not reached).
    public var storedISize: UInt32?
    /// The decompressed length of this member.
    public var uncompressedSize: UInt64

    enum CodingKeys: String, CodingKey {
        case offset, header
        case deflateOffset = "deflate_offset"
        case deflateLength = "deflate_length"
        case storedCRC32 = "stored_crc32"
        case computedCRC32 = "computed_crc32"
        case storedISize = "stored_isize"
        case uncompressedSize = "uncompressed_size"
    }

    /// Whether the trailer's CRC32 and ISIZE (size mod 2^32) match the data.
    public var trailerOK: Bool {
        storedCRC32 == computedCRC32 && storedISize == UInt32(truncatingIfNeeded: uncompressedSize)
    }

    /// The byte range of the raw deflate stream in the compressed input.
    public var deflateRange: Range<Int> { Int(deflateOffset)..<Int(deflateOffset + deflateLength) }
}

/// The gzip layer of a tarball.
public struct GzipReport: Codable, Sendable, Hashable {
    /// Every member, in order (normally exactly one).
    public var members: [GzipMember]
    /// Bytes after the last complete member that are not a gzip member.
    public var trailingBytes: UInt64
    /// Up to the first 32 trailing bytes, in hex.
    public var trailingPreview: String?
    /// Total compressed input length.
    public var compressedSize: UInt64
    /// Total decompressed length (all members).
    public var decompressedSize: UInt64

    enum CodingKeys: String, CodingKey {
        case members
        case memberCount = "member_count"
        case header
        case trailingBytes = "trailing_bytes"
        case trailingPreview = "trailing_preview"
        case compressedSize = "compressed_size"
        case decompressedSize = "decompressed_size"
    }

    /// Creates a report.
    public init(members: [GzipMember] = [], trailingBytes: UInt64 = 0, trailingPreview: String? = nil,
                compressedSize: UInt64 = 0, decompressedSize: UInt64 = 0) {
        self.members = members
        self.trailingBytes = trailingBytes
        self.trailingPreview = trailingPreview
        self.compressedSize = compressedSize
        self.decompressedSize = decompressedSize
    }

    /// The number of members.
    public var memberCount: Int { members.count }

    /// The first member's header (what tools and npm look at).
    public var header: GzipHeader? { members.first?.header }

    /// Decodes the report (derived keys are ignored).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        members = try c.decode([GzipMember].self, forKey: .members)
        trailingBytes = try c.decode(UInt64.self, forKey: .trailingBytes)
        trailingPreview = try c.decodeIfPresent(String.self, forKey: .trailingPreview)
        compressedSize = try c.decode(UInt64.self, forKey: .compressedSize)
        decompressedSize = try c.decode(UInt64.self, forKey: .decompressedSize)
    }

    /// Encodes the report, with `member_count` and the first member's `header` for convenience.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(members, forKey: .members)
        try c.encode(memberCount, forKey: .memberCount)
        try c.encodeIfPresent(header, forKey: .header)
        try c.encode(trailingBytes, forKey: .trailingBytes)
        try c.encodeIfPresent(trailingPreview, forKey: .trailingPreview)
        try c.encode(compressedSize, forKey: .compressedSize)
        try c.encode(decompressedSize, forKey: .decompressedSize)
    }
}

/// A pull stream of decompressed (tar) bytes.
protocol DecompressedStream: AnyObject {
    /// Fills up to `out.count` bytes; returns 0 only at the end of the stream.
    func read(into out: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int
    /// Total bytes produced so far.
    var producedBytes: UInt64 { get }
    /// Non-fatal findings so far.
    var findings: [ArchiveFinding] { get }
}

/// Input buffering shared by the gzip decoder and the plain-tar pass-through.
final class InputBuffer {
    var source: any ByteSource
    let capacity: Int
    let storage: UnsafeMutablePointer<UInt8>
    var start = 0
    var end = 0
    /// Absolute offset of `storage[start]` in the input.
    var offset: UInt64 = 0
    var atEOF = false

    init(source: any ByteSource, capacity: Int = 256 << 10) {
        self.source = source
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    var available: Int { end - start }

    /// Reads more input; returns the number of bytes added (0 at end of input or when full).
    @discardableResult
    func fill() throws(ArchiveError) -> Int {
        if atEOF { return 0 }
        if start > 0 {
            if available > 0 { memmove(storage, storage + start, available) }
            end -= start
            start = 0
        }
        let room = capacity - end
        guard room > 0 else { return 0 }
        let chunk = try source.read(maxCount: min(room, 64 << 10))
        if chunk.isEmpty {
            atEOF = true
            return 0
        }
        chunk.withUnsafeBufferPointer { (storage + end).update(from: $0.baseAddress!, count: $0.count) }
        end += chunk.count
        return chunk.count
    }

    /// Makes at least `n` bytes available; false if the input ends first.
    func ensure(_ n: Int) throws(ArchiveError) -> Bool {
        precondition(n <= capacity)
        while available < n {
            if try fill() == 0 { return false }
        }
        return true
    }

    func consume(_ n: Int) {
        start += n
        offset += UInt64(n)
    }

    subscript(i: Int) -> UInt8 { storage[start + i] }

    /// Discards everything left, returning its length and up to `previewCount` leading bytes.
    func drain(previewCount: Int) throws(ArchiveError) -> (count: UInt64, preview: [UInt8]) {
        var count: UInt64 = 0
        var preview: [UInt8] = []
        while true {
            if available == 0, try fill() == 0 { break }
            let n = available
            if preview.count < previewCount {
                let take = min(n, previewCount - preview.count)
                preview.append(contentsOf: UnsafeBufferPointer(start: storage + start, count: take))
            }
            count += UInt64(n)
            consume(n)
        }
        return (count, preview)
    }
}

/// Checks the decompressed size and ratio limits.
struct LimitGuard {
    let limits: ArchiveLimits
    let input: String

    func check(produced: UInt64, consumed: UInt64) throws(ArchiveError) {
        if produced > limits.maxDecompressedBytes {
            throw ArchiveError(code: .sizeLimitExceeded, input: input,
                               message: "\(input): decompressed data exceeds the limit of \(limits.maxDecompressedBytes) bytes; stopped reading (possible decompression bomb)")
        }
        if produced > limits.ratioCheckThresholdBytes,
           Double(produced) > limits.maxCompressionRatio * Double(max(consumed, 1)) {
            throw ArchiveError(code: .ratioLimitExceeded, input: input,
                               message: "\(input): \(consumed) compressed bytes expanded to \(produced) bytes, a ratio above the limit of \(Int(limits.maxCompressionRatio)); stopped reading (possible decompression bomb)")
        }
    }
}

/// Passes uncompressed input through (for plain `.tar` input), enforcing the size limit.
final class PlainStream: DecompressedStream {
    private let input: InputBuffer
    private let guardrail: LimitGuard
    private(set) var producedBytes: UInt64 = 0
    let findings: [ArchiveFinding] = []

    init(input: InputBuffer, limits: ArchiveLimits) {
        self.input = input
        guardrail = LimitGuard(limits: limits, input: input.source.displayName)
    }

    func read(into out: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        if input.available == 0, try input.fill() == 0 { return 0 }
        let n = min(out.count, input.available)
        out.baseAddress!.copyMemory(from: input.storage + input.start, byteCount: n)
        input.consume(n)
        producedBytes += UInt64(n)
        try guardrail.check(produced: producedBytes, consumed: producedBytes)
        return n
    }
}

/// Streams the decompressed bytes of a (possibly multi-member) gzip file, recording each member's header,
/// deflate-stream position and trailer checks. Uses zlib raw inflate so member boundaries are exact.
final class GzipDecoder: DecompressedStream {
    private enum State { case memberStart, inflating, trailer, done }

    private let input: InputBuffer
    private let guardrail: LimitGuard
    private let stream: UnsafeMutablePointer<z_stream>
    private var state = State.memberStart
    private var crc: UInt = 0
    private(set) var report = GzipReport()
    private(set) var findings: [ArchiveFinding] = []
    private(set) var producedBytes: UInt64 = 0
    private var name: String { input.source.displayName }

    init(input: InputBuffer, limits: ArchiveLimits) throws(ArchiveError) {
        self.input = input
        guardrail = LimitGuard(limits: limits, input: input.source.displayName)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw ArchiveError(code: .malformedGzip, input: input.source.displayName,
                               message: "zlib inflateInit2 failed (\(status)) while opening \(input.source.displayName)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    private enum HeaderResult {
        case ok(GzipHeader)
        case truncated
        case malformed(String)
    }

    /// Parses a member header at the start of the buffered input without consuming it.
    private func parseHeader() throws(ArchiveError) -> HeaderResult {
        guard try input.ensure(10) else { return .truncated }
        guard input[0] == 0x1f, input[1] == 0x8b else {
            return .malformed(String(format: "bad magic bytes %02x %02x (expected 1f 8b)", input[0], input[1]))
        }
        guard input[2] == 8 else { return .malformed("compression method \(input[2]) is not deflate (8)") }
        let flg = input[3]
        guard flg & 0xe0 == 0 else { return .malformed(String(format: "reserved FLG bits set (FLG=0x%02x)", flg)) }
        let mtime = UInt32(input[4]) | UInt32(input[5]) << 8 | UInt32(input[6]) << 16 | UInt32(input[7]) << 24
        var pos = 10
        var extra: String?
        if flg & 0x04 != 0 {
            guard try input.ensure(pos + 2) else { return .truncated }
            let xlen = Int(input[pos]) | Int(input[pos + 1]) << 8
            pos += 2
            guard try input.ensure(pos + xlen) else { return .truncated }
            extra = (0..<xlen).map { String(format: "%02x", input[pos + $0]) }.joined()
            pos += xlen
        }
        func zeroTerminated(_ field: String) throws(ArchiveError) -> Result<String, HeaderError> {
            var bytes: [UInt8] = []
            while true {
                guard bytes.count < 64 << 10 else { return .failure(.malformed("\(field) is longer than 64 KiB")) }
                guard try input.ensure(pos + 1) else { return .failure(.truncated) }
                let b = input[pos]
                pos += 1
                if b == 0 { break }
                bytes.append(b)
            }
            return .success(String(bytes.map { Character(Unicode.Scalar($0)) }))  // ISO-8859-1
        }
        var name: String?
        var comment: String?
        if flg & 0x08 != 0 {
            switch try zeroTerminated("FNAME") {
            case .success(let s): name = s
            case .failure(.truncated): return .truncated
            case .failure(.malformed(let m)): return .malformed(m)
            }
        }
        if flg & 0x10 != 0 {
            switch try zeroTerminated("FCOMMENT") {
            case .success(let s): comment = s
            case .failure(.truncated): return .truncated
            case .failure(.malformed(let m)): return .malformed(m)
            }
        }
        var headerCRC: UInt16?
        var headerCRCOK: Bool?
        if flg & 0x02 != 0 {
            guard try input.ensure(pos + 2) else { return .truncated }
            let stored = UInt16(input[pos]) | UInt16(input[pos + 1]) << 8
            let computed = UInt16(truncatingIfNeeded: crc32(0, input.storage + input.start, UInt32(pos)))
            headerCRC = stored
            headerCRCOK = stored == computed
            pos += 2
        }
        return .ok(GzipHeader(flg: flg, mtime: mtime, xfl: input[8], os: input[9], name: name, comment: comment,
                              extra: extra, headerCRC16: headerCRC, headerCRC16OK: headerCRCOK, length: pos))
    }

    private enum HeaderError: Error { case truncated, malformed(String) }

    private func recordTrailing(reason: String) throws(ArchiveError) {
        let memberOffset = input.offset
        let (count, preview) = try input.drain(previewCount: 32)
        report.trailingBytes = count
        report.trailingPreview = preview.map { String(format: "%02x", $0) }.joined()
        let zeros = preview.allSatisfy { $0 == 0 } && count <= 32
        findings.append(ArchiveFinding(
            .gzipTrailingData,
            "\(name): \(count) byte(s) after the last gzip member at offset \(memberOffset)"
                + (zeros ? " (all zero)" : "") + " are not a gzip member (\(reason)); gunzip and npm ignore them",
            offset: memberOffset))
    }

    func read(into out: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        while true {
            switch state {
            case .done:
                report.compressedSize = input.offset
                return 0

            case .memberStart:
                if input.available == 0, try input.fill() == 0 {
                    if report.members.isEmpty {
                        throw ArchiveError(code: .truncatedGzip, input: name, message: "\(name) is empty: no gzip data", offset: 0)
                    }
                    report.compressedSize = input.offset
                    state = .done
                    continue
                }
                let memberOffset = input.offset
                let first = report.members.isEmpty
                switch try parseHeader() {
                case .ok(let header):
                    if !first && report.members.count == 1 {
                        findings.append(ArchiveFinding(
                            .gzipExtraMembers,
                            "\(name) has more than one gzip member (the second starts at offset \(memberOffset)); "
                                + "their data is read as one concatenated stream", offset: memberOffset))
                    }
                    if header.headerCRC16OK == false {
                        findings.append(ArchiveFinding(
                            .gzipCRCMismatch, "\(name): header CRC16 of gzip member \(report.members.count + 1) does not match",
                            offset: memberOffset))
                    }
                    input.consume(header.length)
                    report.members.append(GzipMember(offset: memberOffset, header: header, deflateOffset: input.offset,
                                                     deflateLength: 0, storedCRC32: nil, computedCRC32: 0,
                                                     storedISize: nil, uncompressedSize: 0))
                    inflateReset(stream)
                    crc = crc32(0, nil, 0)
                    state = .inflating
                case .truncated:
                    if first {
                        throw ArchiveError(code: .truncatedGzip, input: name,
                                           message: "\(name): the gzip stream ends inside the first member's header", offset: memberOffset)
                    }
                    try recordTrailing(reason: "too short for a gzip header")
                    state = .done
                case .malformed(let why):
                    if first {
                        throw ArchiveError(code: .malformedGzip, input: name, message: "\(name): malformed gzip header: \(why)", offset: 0)
                    }
                    try recordTrailing(reason: why)
                    state = .done
                }

            case .inflating:
                if input.available == 0, try input.fill() == 0 {
                    throw ArchiveError(code: .truncatedGzip, input: name,
                                       message: "\(name): the gzip stream is truncated: it ends inside the deflate data of member \(report.members.count) after \(input.offset) bytes",
                                       offset: input.offset)
                }
                let availableIn = input.available
                stream.pointee.next_in = input.storage + input.start
                stream.pointee.avail_in = UInt32(availableIn)
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(min(out.count, Int(UInt32.max)))
                let status = inflate(stream, Z_NO_FLUSH)
                let consumed = availableIn - Int(stream.pointee.avail_in)
                let produced = min(out.count, Int(UInt32.max)) - Int(stream.pointee.avail_out)
                input.consume(consumed)
                if produced > 0 {
                    crc = crc32(crc, out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(produced))
                    producedBytes += UInt64(produced)
                    report.decompressedSize = producedBytes
                    report.members[report.members.count - 1].uncompressedSize += UInt64(produced)
                }
                switch status {
                case Z_STREAM_END:
                    let index = report.members.count - 1
                    report.members[index].deflateLength = input.offset - report.members[index].deflateOffset
                    report.members[index].computedCRC32 = UInt32(truncatingIfNeeded: crc)
                    state = .trailer
                case Z_OK, Z_BUF_ERROR:
                    break
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw ArchiveError(code: .malformedGzip, input: name,
                                       message: "\(name): corrupt deflate data in gzip member \(report.members.count) near offset \(input.offset): \(message)",
                                       offset: input.offset)
                }
                try guardrail.check(produced: producedBytes, consumed: input.offset)
                if produced > 0 { return produced }
                if consumed == 0, status != Z_STREAM_END, try input.fill() == 0 {
                    // No progress and no more input: never loop forever on a stalled stream.
                    throw ArchiveError(code: .truncatedGzip, input: name,
                                       message: "\(name): the gzip stream is truncated: member \(report.members.count) stops making progress at offset \(input.offset)",
                                       offset: input.offset)
                }

            case .trailer:
                guard try input.ensure(8) else {
                    throw ArchiveError(code: .truncatedGzip, input: name,
                                       message: "\(name): the gzip stream is truncated: member \(report.members.count) ends without its 8-byte CRC32/ISIZE trailer",
                                       offset: input.offset)
                }
                func le32(_ i: Int) -> UInt32 {
                    UInt32(input[i]) | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2]) << 16 | UInt32(input[i + 3]) << 24
                }
                let index = report.members.count - 1
                report.members[index].storedCRC32 = le32(0)
                report.members[index].storedISize = le32(4)
                let trailerOffset = input.offset
                input.consume(8)
                let member = report.members[index]
                if !member.trailerOK {
                    findings.append(ArchiveFinding(
                        .gzipCRCMismatch,
                        "\(name): gzip member \(index + 1) trailer does not match its data (CRC32 stored "
                            + String(format: "%08x, computed %08x", member.storedCRC32!, member.computedCRC32)
                            + "; ISIZE stored \(member.storedISize!), actual \(member.uncompressedSize))",
                        offset: trailerOffset))
                }
                state = .memberStart
            }
        }
    }
}
