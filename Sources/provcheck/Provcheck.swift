import ArgumentParser
import COpenSSL
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
          provcheck verify <name>@<version>
              every check, one verdict (rebuild, trust, policy)
          provcheck verify <name>@<version> --policy p.json
              bind provenance to your repository, workflow and refs
          provcheck verify <name>@latest
              a dist-tag or a range (<name>@^4) is resolved as npm does
          provcheck audit
              a project's lockfile and node_modules
          provcheck integrity <name>@<version>
              just the registry tarball and its integrity

        Every subcommand has --help with examples, and --json. Progress and \
        errors go to stderr. provcheck --version (or -V, or provcheck version) \
        prints the version. Shell completions: provcheck \
        --generate-completion-script bash|zsh|fish (Scripts/install.sh \
        installs them, and man pages).

        Exit codes (every subcommand):
          0  no check failed: verified, or (without --strict) incomplete,
             with the skipped checks listed
          1  a check failed (or, with --strict, was skipped)
          2  usage, network or environment error: nothing was verified;
             with --json, stdout holds {"error": {"code", "message", ...}}
        """,
        version: ProvcheckVersion.current,
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
            VersionCommand.self,
        ]
    )

    /// Runs the command line. Errors are mapped in one place (``ErrorReporting``): ArgumentParser's usage errors
    /// (its exit code 64) and every error that stops a command exit 2, with a JSON error object on stdout when
    /// `--json` was given; `-V` is `--version`.
    static func main() async {
        // Before any other OpenSSL use: no cleanup handler at exit. provcheck exits (with its verdict or an error)
        // while HTTP worker threads may still be in a TLS handshake or a retry; OpenSSL's atexit cleanup freeing
        // state under them crashed the process (SIGSEGV, seen once in ~35 runs of an untrusted-CA fetch).
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
        StandardOutput.prepare()
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["-V"] { arguments = ["--version"] }
        let json = ErrorReporting.wantsJSON(arguments)
        let commandName: String
        do {
            var command = try parseAsRoot(arguments)
            commandName = Self.name(of: command)
            do {
                if var asyncCommand = command as? AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch let failure as CommandFailure {
                ErrorReporting.exit(with: failure, json: json)
            } catch let code as ExitCode {
                Foundation.exit(code.rawValue)
            } catch {
                // ArgumentParser's clean exits (help requested by a command group) print themselves.
                if exitCode(for: error) == .success { exit(withError: error) }
                if exitCode(for: error) == .validationFailure {
                    ErrorReporting.exitForUsage(command: commandName, fullMessage: fullMessage(for: error), json: json)
                }
                ErrorReporting.exit(with: CommandFailure(commandName, error), json: json)
            }
            StandardOutput.finish()
        } catch {
            StandardOutput.finish()
            let code = exitCode(for: error)
            if code == .validationFailure {
                ErrorReporting.exitForUsage(command: Self.subcommandName(in: arguments),
                                            fullMessage: fullMessage(for: error), json: json)
            }
            exit(withError: error)
        }
        Foundation.exit(0)
    }

    /// The subcommand path of a parsed command (`verify`, `watch merge`), for messages.
    static func name(of command: ParsableCommand) -> String {
        let wanted = type(of: command)
        func search(_ node: ParsableCommand.Type, _ path: [String]) -> [String]? {
            if node == wanted { return path }
            for child in node.configuration.subcommands {
                if let found = search(child, path + [child._commandName]) { return found }
            }
            return nil
        }
        let names = search(Self.self, []) ?? []
        return names.isEmpty ? "provcheck" : names.joined(separator: " ")
    }

    /// The subcommand named first in `arguments` (for usage errors, before parsing succeeded).
    static func subcommandName(in arguments: [String]) -> String {
        let names = Set(configuration.subcommands.map { $0._commandName })
        return arguments.first(where: { names.contains($0) }) ?? "provcheck"
    }
}
