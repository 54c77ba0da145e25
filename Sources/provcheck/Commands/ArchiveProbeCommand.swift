import Archive
import ArgumentParser
import Digest
import Foundation

/// `provcheck archive-probe FILE [--integrity SRI]` (hidden): the integrity code path on a local tarball — one
/// streaming digest pass plus the streaming archive inspection — and the process's peak resident memory. Used by the
/// memory-bound test (`Tests/CLITests/MemoryBoundTests.swift`); not a user command.
///
/// `provcheck archive-probe --list FILE...`: one JSON line per file with the entry list as provcheck reads it (the
/// path npm installs) and the codes of the error findings. Used by the node-tar differential fuzzer
/// (`Scripts/fuzz-node-tar.py`).
struct ArchiveProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive-probe",
        abstract: "Hash and inspect a local tarball, then print the peak RSS (test support).",
        shouldDisplay: false
    )

    @Option(help: ArgumentHelp("The expected SRI integrity of the file.", valueName: "sri"))
    var integrity: String?

    @Flag(help: "Print each file's entry list and error findings as one JSON line.")
    var list = false

    @Argument(help: ArgumentHelp("The tarball to check (several with --list).", valueName: "file"))
    var files: [String]

    func validate() throws {
        if !list && files.count != 1 { throw ValidationError("give exactly one file (or --list)") }
    }

    func run() throws {
        if list {
            for file in files { try listEntries(file) }
            return
        }
        let file = files[0]
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

    /// One JSON line: `{"file", "entries": [{"path", "type", "size", "linkpath"}], "errors": [code…], "messages"}`.
    private func listEntries(_ file: String) throws {
        struct Listed: Encodable {
            var path: String
            var type: String
            var size: UInt64
            var linkpath: String
        }
        struct Listing: Encodable {
            var file: String
            var entries: [Listed]
            var errors: [String]
            var messages: [String]
        }
        let listing: Listing
        do {
            let report = try ArchiveInspector().inspect(fileAt: URL(fileURLWithPath: file))
            listing = Listing(
                file: file,
                entries: report.entries.map { Listed(path: $0.path, type: $0.type.rawValue, size: $0.size, linkpath: $0.linkname) },
                errors: report.findings.filter { $0.severity == .error }.map(\.code.rawValue),
                messages: report.findings.filter { $0.severity == .error }.map(\.message))
        } catch {
            listing = Listing(file: file, entries: [], errors: [error.code.rawValue], messages: [error.message])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(listing), as: UTF8.self))
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
