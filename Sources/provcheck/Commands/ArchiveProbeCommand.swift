import Archive
import ArgumentParser
import Digest
import Foundation

/// `provcheck archive-probe FILE [--integrity SRI]` (hidden): the integrity code path on a local tarball — one
/// streaming digest pass plus the streaming archive inspection — and the process's peak resident memory. Used by the
/// memory-bound test (`Tests/CLITests/MemoryBoundTests.swift`); not a user command.
struct ArchiveProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-probe",
        abstract: "Hash and inspect a local tarball, then print the peak RSS (test support).",
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("The expected SRI integrity of the file.", valueName: "sri"))
    var integrity: String?

    @Argument(help: ArgumentHelp("The tarball to check.", valueName: "file"))
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        var result: [String: String] = ["file": file]
        do {
            let digests = try Hashing.digest(fileAt: url, algorithms: [.sha512])
            result["sha512"] = digests.sri(.sha512)
            if let integrity {
                let expected = try Integrity(integrity)
                let matches = expected.hashes.contains {
                    $0.algorithm == .sha512 && DigestEncoding.hex($0.digest) == digests.hex(.sha512)
                }
                result["integrity"] = matches ? "match" : "mismatch"
            }
            let report = try ArchiveInspector().inspect(fileAt: url)
            result["archiveOK"] = String(report.ok)
            result["entries"] = String(report.entries.count)
            result["findings"] = report.findings.map(\.code.rawValue).joined(separator: ",")
            result["decompressedBytes"] = String(report.entries.reduce(UInt64(0)) { $0 + $1.size })
        } catch {
            throw CommandFailure("archive-probe", error)
        }
        result["peakRSSKiB"] = Self.statusField("VmHWM").map(String.init) ?? "unknown"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }

    /// A `kB` field of `/proc/self/status` (Linux), e.g. `VmHWM` (peak resident set size).
    static func statusField(_ name: String) -> Int? {
        // procfs reports a size of 0, so read to the end instead of trusting the size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/status") else { return nil }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            // "VmHWM:\t   12345 kB"
            return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
