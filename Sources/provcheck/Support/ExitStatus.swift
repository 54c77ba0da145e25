import ArgumentParser

/// provcheck's documented exit codes, shared by every subcommand.
enum ExitStatus {
    /// Every check ran and passed.
    static let verified = ExitCode(0)
    /// A check failed, a finding of severity error was found, or (with `--strict`) a check was skipped.
    static let failed = ExitCode(1)
    /// Usage, network or environment error: nothing was verified.
    static let error = ExitCode(2)
}
