import ArgumentParser
import Archive
import Compare
import Foundation

/// `provcheck compare A B`: compares two tarballs layer by layer and prints one verdict.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two .tgz files (e.g. a rebuild and the registry tarball) layer by layer.",
        discussion: """
        Verdicts, most to least similar:
          exact              same .tgz bytes
          tar-identical      same tar bytes; the gzip difference is named (header fields, level, deflate stream)
          content-identical  same files and contents; differing metadata named per field
          differs            files only in A / only in B / changed (unified diff for text, sizes and
                             sha512 for binary); package.json and install-script changes come first

        Examples:
          provcheck compare rebuilt.tgz registry.tgz
          provcheck compare rebuilt.tgz registry.tgz --json | jq .verdict

        Exit codes:
          0  exact, tar-identical, or content-identical with only
             order/mtime/uid/gid/uname/gname differences
          1  any other difference
          2  a file is missing, unreadable, truncated or corrupt: nothing was compared
        """
    )

    @Argument(help: ArgumentHelp("The first tarball (e.g. the rebuilt or source .tgz).", valueName: "a.tgz"))
    var a: String

    @Argument(help: ArgumentHelp("The second tarball (e.g. the registry .tgz).", valueName: "b.tgz"))
    var b: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let report: ComparisonReport
        do {
            report = try TarballComparator().compare(URL(fileURLWithPath: a), URL(fileURLWithPath: b))
        } catch {
            throw CommandFailure("compare", code: "EINPUT", message: error.message, input: error.input,
                                 reason: error.code?.rawValue)
        }
        try output.emit(report, text: Self.render(report), passed: report.acceptable)
    }

    /// Human-readable rendering: verdict, call-outs first, then file lists, diffs, metadata, gzip.
    static func render(_ report: ComparisonReport) -> String {
        var out = "verdict: \(report.verdict.rawValue)\(report.acceptable ? "" : " (not acceptable)")\n"
        out += "  A: \(report.a.input)  \(report.a.integrity)\n"
        out += "  B: \(report.b.input)  \(report.b.integrity)\n"
        out += "  \(report.summary)\n"
        let highlights = report.highlights
        if !highlights.isEmpty {
            out += "\n!! install-time changes and package.json:\n"
            for change in highlights.installScripts {
                out += "  \(change.name) \(change.change.rawValue): \(change.a ?? "(none)") -> \(change.b ?? "(none)")\n"
            }
            for field in highlights.packageJSONFields {
                out += "  package.json \(field.field): \(field.a) -> \(field.b)\n"
            }
            if highlights.packageJSONDiffers && highlights.packageJSONFields.isEmpty {
                out += "  package.json differs (present on one side only, or not parseable)\n"
            }
        }
        if !report.filesOnlyInA.isEmpty {
            out += "\nonly in A (\(report.filesOnlyInA.count)):\n"
            for file in report.filesOnlyInA { out += "  \(file.path)  (\(file.size) bytes)\n" }
        }
        if !report.filesOnlyInB.isEmpty {
            out += "\nonly in B (\(report.filesOnlyInB.count)):\n"
            for file in report.filesOnlyInB { out += "  \(file.path)  (\(file.size) bytes)\n" }
        }
        if !report.notInSource.isEmpty {
            out += "\nnot in source, unverified (\(report.notInSource.count)):\n"
            for path in report.notInSource { out += "  \(path)\n" }
        }
        if !report.changed.isEmpty {
            out += "\nchanged (\(report.changed.count)):\n"
            for file in report.changed {
                out += "  \(file.path)  \(file.sizeA) -> \(file.sizeB) bytes"
                if let note = file.note { out += "  [\(note)]" }
                out += "\n"
                if let diff = file.diff {
                    let lines = diff.hasSuffix("\n") ? diff.dropLast() : Substring(diff)
                    out += lines.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
                    out += "\n"
                } else {
                    out += "    sha512 A \(file.sha512A)\n    sha512 B \(file.sha512B)\n"
                }
            }
        }
        if !report.metadataDifferences.isEmpty {
            out += "\nmetadata differences:\n"
            for difference in report.metadataDifferences {
                out += "  \(difference.field.rawValue): \(difference.files) file(s); A \(difference.aValues.joined(separator: ", "))"
                    + " | B \(difference.bValues.joined(separator: ", "))\n"
                for example in difference.examples.prefix(5) {
                    out += "    \(example.path): \(example.a) -> \(example.b)\n"
                }
            }
        }
        out += "\ngzip: \(report.gzip.summary)\n"
        out += "tar: \(report.tar.identical ? "identical" : "differs") (\(report.tar.sizeA) vs \(report.tar.sizeB) bytes, \(report.tar.filesA) vs \(report.tar.filesB) files)\n"
        for (label, side) in [("A", report.a), ("B", report.b)] where !side.findings.isEmpty {
            out += "\narchive findings in \(label):\n"
            for finding in side.findings { out += "  \(finding)\n" }
        }
        return out
    }
}
