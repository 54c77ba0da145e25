import ArgumentParser

/// The `provcheck` command: verifies that what the npm registry serves is what the tagged source produces,
/// and that it came from where it says.
@main
struct Provcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provcheck",
        abstract: "Verify npm package provenance: rebuild from the tagged source, check integrity, signatures and attestations.",
        subcommands: []
    )
}
