import Foundation

/// Whole-buffer gzip helpers built on the same member parser as ``ArchiveInspector``: decompress a `.tgz` to its tar
/// bytes, or cut out the raw deflate stream of its first member (to compare deflate engines).
public enum Gunzip {
    /// The decompressed bytes of every member (concatenated), the gzip layer report, and non-fatal gzip findings
    /// (trailing data, extra members, CRC mismatches).
    public struct Result: Sendable {
        /// The decompressed bytes.
        public let data: Data
        /// The gzip layer.
        public let report: GzipReport
        /// Non-fatal findings of the gzip layer.
        public let findings: [ArchiveFinding]
    }

    /// Decompresses `data` in memory, within `limits` (size and ratio).
    /// - Throws: ``ArchiveError`` (`truncated-gzip`, `malformed-gzip`, `size-limit-exceeded`,
    ///   `ratio-limit-exceeded`) naming `name`.
    public static func decompress(_ data: Data, name: String? = nil, limits: ArchiveLimits = .npmDefault) throws(ArchiveError) -> Result {
        let (_, decoder) = try openDecoder(for: data, name: name, limits: limits)
        var output = Data()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try decoder.read(into: chunk)
            if n == 0 { break }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        var report = decoder.report
        report.compressedSize = UInt64(data.count)
        return Result(data: output, report: report, findings: decoder.findings)
    }

    /// A decoder over `data`, after checking that it starts with the gzip magic bytes (the one check of both entries).
    private static func openDecoder(for data: Data, name: String?,
                                    limits: ArchiveLimits) throws(ArchiveError) -> (InputBuffer, GzipDecoder) {
        let input = InputBuffer(source: DataByteSource(data: data, displayName: name))
        let displayName = input.source.displayName
        guard data.count >= 2, data[data.startIndex] == 0x1f, data[data.startIndex + 1] == 0x8b else {
            throw ArchiveError(code: data.count < 2 ? .truncatedGzip : .notGzip, input: displayName,
                               message: "\(displayName) does not start with the gzip magic bytes 1f 8b", offset: 0)
        }
        return (input, try GzipDecoder(input: input, limits: limits))
    }

    /// The raw deflate stream (RFC 1951 bytes, without gzip header and trailer) of the first member of `data`.
    /// The member is inflated (and discarded) to find where the stream ends, within `limits`.
    /// - Throws: ``ArchiveError`` when `data` is not a complete gzip member or exceeds the limits.
    public static func rawDeflateStream(of data: Data, name: String? = nil,
                                        limits: ArchiveLimits = .npmDefault) throws(ArchiveError) -> Data {
        let (input, decoder) = try openDecoder(for: data, name: name, limits: limits)
        let displayName = input.source.displayName
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { chunk.deallocate() }
        while decoder.report.members.count < 2, decoder.report.members.first?.storedISize == nil {
            if try decoder.read(into: chunk) == 0 { break }
        }
        guard let member = decoder.report.members.first, member.storedISize != nil else {
            throw ArchiveError(code: .truncatedGzip, input: displayName,
                               message: "\(displayName): the first gzip member is incomplete", offset: UInt64(data.count))
        }
        let range = member.deflateRange
        return data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound))
    }
}
