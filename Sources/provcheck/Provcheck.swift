import ArgumentParser

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
        Exit codes (every subcommand):
          0  every check ran and passed
          1  a check failed (or, with --strict, was skipped)
          2  usage, network or environment error: nothing was verified
        """,
        subcommands: [
            // Keep one line per subcommand; add yours here.
            RebuildCommand.self,
            HashCommand.self,
            VerifyCommand.self,
            AttestationsCommand.self,
            CompareCommand.self,
            AuditCommand.self,
            ArchiveProbeCommand.self,
            SigstoreCommand.self,
        ]
    )
}
