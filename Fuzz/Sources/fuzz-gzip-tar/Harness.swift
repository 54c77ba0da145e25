// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Archive

/// Tight limits keep each execution fast and exercise the limit paths; the reader must end every input with
/// entries + findings or a typed error, never a crash or a hang.
private let limits = ArchiveLimits(maxDecompressedBytes: 4 << 20, maxCompressionRatio: 200, ratioCheckThresholdBytes: 64 << 10,
                                   maxEntries: 2_000, maxPathLength: 4_096, maxExtendedHeaderBytes: 64 << 10)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    let data = Data(bytes: bytes, count: count)
    // Streaming inspector (no libarchive cross-check: that library is not instrumented).
    _ = try? ArchiveInspector(limits: limits, crossCheckWithLibarchive: false).inspect(data: data, name: "fuzz.tgz")
    // Chunked input through the entry reader, with content collection.
    let chunks = stride(from: 0, to: data.count, by: 4093).map { data.subdata(in: $0..<min($0 + 4093, data.count)) }
    let reader = TarballReader(chunks: chunks, name: "fuzz.tgz", limits: limits, maxContentBytes: 1 << 20)
    while let entry = try? reader.next() { _ = entry.content?.count }
    _ = reader.report
    _ = try? Gunzip.decompress(data, name: "fuzz.tgz", limits: limits)
    return 0
}
