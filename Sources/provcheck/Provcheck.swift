import ArgumentParser
import Foundation

/// The `provcheck` command: verifies that what the npm registry serves is what the tagged source produces,
/// and that it came from where it says.
///
/// Each subcommand lives in `Commands/<Name>Command.swift`; shared flags are `@OptionGroup`s in
/// `Support/Options.swift`; exit codes are in `Support/ExitStatus.swift`.
@main
struct Provcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provcheck",
        abstract: "Verify npm package provenance: rebuild from the tagged source, check integrity, signatures and attestations.",
        discussion: """
        Is what the registry serves exactly what the tagged source produces, and did it come from where it says?

        Start with:
          provcheck verify <name>@<version>                 every check, one verdict (rebuild, trust, policy)
          provcheck verify <name>@<version> --policy p.json  bind provenance to your repository/workflow/refs
          provcheck audit                                    a project's lockfile and node_modules
          provcheck integrity <name>@<version>               just the registry tarball and its integrity

        Every subcommand has --help with examples, and --json. Progress and errors go to stderr.

        Exit codes (every subcommand):
          0  every check ran and passed
          1  a check failed (or, with --strict, was skipped)
          2  usage, network or environment error: nothing was verified
        """,
        subcommands: [
            // Keep one line per subcommand; add yours here.
            IntegrityCommand.self,
            RebuildCommand.self,
            HashCommand.self,
            CompareCommand.self,
            AttestationsCommand.self,
            VerifyCommand.self,
            AuditCommand.self,
            ArchiveProbeCommand.self,
            SigstoreCommand.self,
            WatchCommand.self,
            StagedCommand.self,
        ]
    )

    /// Runs the command line, mapping ArgumentParser's usage errors (its exit code 64) onto provcheck's documented
    /// exit code 2, so scripts see one code for "nothing was verified".
    static func main() async {
        StandardOutput.prepare()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            StandardOutput.finish()
        } catch {
            StandardOutput.finish()
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                FileHandle.standardError.write(Data("Run 'provcheck help' or 'provcheck <subcommand> --help' for usage.\n".utf8))
                Foundation.exit(ExitStatus.error.rawValue)
            }
            exit(withError: error)
        }
    }
}
