import Archive
import ArgumentParser
import Foundation
import Registry
import Verification

/// `provcheck integrity <name>@<version>`: does the registry's tarball match the registry's own integrity, and
/// what is inside it.
struct IntegrityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrity",
        abstract: "Check a version's tarball against dist.integrity and dist.shasum, and inspect its gzip and tar layers.",
        discussion: """
        Fetches the packument and the tarball (streamed to a temporary file), checks the tarball against the
        strongest hash in dist.integrity (W3C SRI: sha512, sha384, sha256 or sha1) and against the legacy
        dist.shasum, and inspects the archive without extracting it: gzip header fields and members, every tar
        entry, and findings (path traversal, duplicate paths, links, entries after the end-of-archive marker,
        trailing data, decompression bombs, malformed headers).

        Examples:
          provcheck integrity ms@2.1.3
          provcheck integrity ms@latest
          provcheck integrity @scope/name@^1.2 --registry http://127.0.0.1:4873/ --json

        Exit codes: 0 every hash matched and no finding of severity error; 1 a hash differs, is malformed or
        missing, or a finding of severity error; 2 usage, network or environment error.
        """
    )

    @Argument(help: ArgumentHelp("Package version: <name>@<version>, a dist-tag (<name>@latest) or a range (<name>@^4); scoped names allowed.", valueName: "spec"))
    var spec: String

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let report: IntegrityReport
        do {
            let spec = try await SpecResolution.resolve(spec, registry: registryOptions, command: "integrity")
            // --offline still allows a loopback registry (the one rule, as verify).
            let client = RegistryClient(configuration: try registryOptions.configuration().offline(registryOptions.offline))
            let progress = ProgressRenderer(command: "integrity", quiet: output.quiet)
            defer { progress.finish() }
            report = try await IntegrityVerifier(client: client).verify(spec, progress: progress.handler)
        } catch {
            throw CommandFailure("integrity", error)
        }
        try output.emit(report, text: IntegrityText.render(report), passed: report.ok)
    }
}

/// Renders an ``IntegrityReport`` as text.
enum IntegrityText {
    static func render(_ report: IntegrityReport) -> String {
        var lines = ["\(report.name)@\(report.version)  \(report.tarballURL)"]
        func line(_ label: String, _ check: HashComparison?) {
            guard let check else { lines.append("  -     \(label): not given by the packument"); return }
            lines.append("  \(check.ok ? "ok  " : "FAIL") \(label) (\(check.algorithm)): \(check.expected)")
            if !check.ok {
                lines.append("        tarball: \(check.actual ?? "-")\(check.reason.map { "  (\($0))" } ?? "")")
            }
        }
        line("integrity", report.integrity)
        line("shasum", report.shasum)
        for problem in report.problems { lines.append("  FAIL \(problem)") }
        for warning in report.warnings { lines.append("  WARN \(warning)") }
        let archive = report.archive
        if let member = archive.gzip?.members.first {
            let h = member.header
            lines.append("  gzip: \(archive.gzip!.members.count) member(s), FLG \(h.flg), MTIME \(h.mtime), XFL \(h.xfl), OS \(h.os) (\(h.osName))"
                         + ((archive.gzip!.trailingBytes > 0) ? ", \(archive.gzip!.trailingBytes) trailing byte(s)" : ""))
        }
        let bytes = archive.entries.reduce(UInt64(0)) { $0 + $1.size }
        lines.append("  tar: \(archive.entries.count) entries, \(bytes) bytes of content")
        for entry in archive.entries.prefix(200) {
            lines.append(String(format: "    %06o %10llu  %@", entry.mode, entry.size, entry.path))
        }
        if archive.entries.count > 200 { lines.append("    … \(archive.entries.count - 200) more (use --json)") }
        if archive.findings.isEmpty {
            lines.append("  findings: none")
        } else {
            lines.append("  findings:")
            for finding in archive.findings {
                lines.append("    \(finding)")
            }
        }
        lines.append(report.ok ? "OK: the tarball matches the registry's integrity" : "FAILED")
        return lines.joined(separator: "\n") + "\n"
    }
}
