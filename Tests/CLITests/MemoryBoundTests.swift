import Foundation
import Testing
import TestSupport

/// Issue 8 memory bound: the integrity path (streaming SHA-512 + streaming archive inspection) over a 1 GiB
/// generated tarball keeps the process's peak RSS under 100 MB. The tarball is generated in a stream (a tar with one
/// big entry piped through `gzip -1`) into a temporary file; the check runs in a child `provcheck archive-probe`
/// process, which reports its own `VmHWM` from `/proc/self/status`.
/// `PROVCHECK_MEMORY_TEST_MIB` sets the tar size in MiB (default 1024; 0 skips).
@Suite struct MemoryBoundTests {
    static let mebibytes = Int(ProcessInfo.processInfo.environment["PROVCHECK_MEMORY_TEST_MIB"] ?? "") ?? 1024
    /// 100 MB (decimal) in KiB.
    static let limitKiB = 100_000_000 / 1024

    @Test(.enabled(if: mebibytes > 0 && FileManager.default.fileExists(atPath: "/proc/self/status")))
    func oneGiBTarballStaysUnder100MB() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tarball = folder.appendingPathComponent("big.tgz")
        let sriFile = folder.appendingPathComponent("sri")

        // Generate: ustar header + one entry filling the tar to exactly `mebibytes` MiB + end-of-archive marker.
        let total = Self.mebibytes << 20
        let contentSize = total - 512 - 1024
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/bin/sh")
        generator.arguments = ["-c", "gzip -1 | tee \"$1\" | openssl dgst -sha512 -binary | base64 -w0 > \"$2\"", "sh",
                               tarball.path, sriFile.path]
        let input = Pipe()
        generator.standardInput = input
        try generator.run()
        let writer = input.fileHandleForWriting
        writer.write(Data(Self.ustarHeader(name: "package/big.bin", size: contentSize)))
        // Content: 1 MiB pattern (8 pseudo-random bytes in every 64, compresses ~6:1, under the ratio limit),
        // with a per-chunk counter so no two chunks are equal.
        var rng = UInt64(0x5EED)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        for i in stride(from: 0, to: chunk.count, by: 64) {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: rng) { chunk.replaceSubrange(i..<(i + 8), with: $0) }
        }
        var remaining = contentSize
        var counter: UInt64 = 0
        while remaining > 0 {
            counter += 1
            withUnsafeBytes(of: counter) { chunk.replaceSubrange(8..<16, with: $0) }
            let count = min(remaining, chunk.count)
            writer.write(Data(chunk[0..<count]))
            remaining -= count
        }
        writer.write(Data(count: 1024))
        try writer.close()
        generator.waitUntilExit()
        #expect(generator.terminationStatus == 0)
        let sri = "sha512-" + (try String(contentsOf: sriFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)

        let run = try CompareCommandTests.run(["archive-probe", tarball.path, "--integrity", sri])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(run.json, "\(run.stdout) \(run.stderr)")
        #expect(json["integrity"] as? String == "match")
        #expect(json["archiveOK"] as? String == "true", "\(json)")
        #expect(json["entries"] as? String == "1")
        #expect(json["decompressedBytes"] as? String == String(contentSize))
        let peak = try #require(Int(json["peakRSSKiB"] as? String ?? ""), "\(json)")
        print("memory bound: \(Self.mebibytes) MiB tar, \(try FileManager.default.attributesOfItem(atPath: tarball.path)[.size] ?? 0) bytes gzip, peak RSS \(peak) KiB")
        #expect(peak < Self.limitKiB, "peak RSS \(peak) KiB ≥ 100 MB")
    }

    /// A ustar header for a regular file.
    static func ustarHeader(name: String, size: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int) { block.replaceSubrange(offset..<(offset + text.utf8.count), with: Array(text.utf8)) }
        func octal(_ value: Int, _ width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, 0)
        put(octal(0o644, 8), 100)
        put(octal(0, 8), 108)
        put(octal(0, 8), 116)
        put(octal(size, 12), 124)
        put(octal(499_162_500, 12), 136)
        put("0", 156)
        put("ustar\u{0}00", 257)
        put("        ", 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, 7) + "\u{0}", 148)
        return block
    }
}
