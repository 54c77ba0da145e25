import ArgumentParser
import Foundation

/// provcheck's version: printed by `provcheck --version`, `-V` and `provcheck version`, and written into SARIF
/// (`tool.driver.version`) and VSA (`verifier.version`) documents. The one place it is set.
enum ProvcheckVersion {
    static let current = "0.1.0"
}

/// `provcheck version`: prints the version (as `--version` and `-V` do).
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print provcheck's version (also: provcheck --version, provcheck -V).",
        discussion: """
        Examples:
          provcheck version
          provcheck version --json        {"version":"\(ProvcheckVersion.current)"}
        """)

    @OptionGroup var output: OutputOptions

    func run() throws {
        if output.json {
            print(#"{"version":"\#(ProvcheckVersion.current)"}"#)
        } else {
            print(ProvcheckVersion.current)
        }
    }
}
