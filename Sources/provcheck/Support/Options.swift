import ArgumentParser
import Configuration
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Registry
import Verification

/// Flags shared by every subcommand that talks to a registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Registry base URL (default: $npm_config_registry, then .npmrc, then https://registry.npmjs.org/).",
        valueName: "url"))
    var registry: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Nothing but this machine: the on-disk cache, local sources, and a registry on loopback (127.0.0.1, localhost, ::1); no clones, no remote requests."))
    var offline: Bool = false

    @Option(name: .long, help: ArgumentHelp("Cache folder (default: $XDG_CACHE_HOME/provcheck).", valueName: "dir"))
    var cacheDir: String?

    @Option(name: .long, help: ArgumentHelp("Seconds without data before a request fails (default: 30).",
                                            valueName: "seconds"))
    var timeout: Double?

    @Option(name: .long, help: ArgumentHelp(
        "Attempts per request, including the first; 429, 5xx and connection errors are retried with backoff (default: 4).",
        valueName: "n"))
    var attempts: Int?

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp(
        "Seconds one request may take in all, however steadily data arrives (default: 600).", valueName: "seconds"))
    var requestTimeout: Double?

    func validate() throws {
        if let timeout { try NumericOption.seconds(timeout, name: "--timeout") }
        if let requestTimeout { try NumericOption.seconds(requestTimeout, name: "--request-timeout") }
        if let attempts { try NumericOption.count(attempts, name: "--attempts", in: 1...100) }
    }
}

/// The one check for numeric options: a value that is not a finite number in range is a usage error (exit 2),
/// never clamped, wrapped or passed on (`1e19`, `inf`, `nan`, `0`, negatives).
enum NumericOption {
    /// The longest duration accepted for a timeout: one day.
    static let maximumSeconds: Double = 86_400

    /// A duration in seconds: finite, at least 1 ms, at most ``maximumSeconds``.
    static func seconds(_ value: Double, name: String) throws {
        guard value.isFinite, value >= 0.001, value <= maximumSeconds else {
            throw ValidationError("\(name) \(value): expected a number of seconds from 0.001 to \(Int(maximumSeconds))")
        }
    }

    /// A count within `range`.
    static func count(_ value: Int, name: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) \(value): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
    }
}

/// Trust anchors shared by every subcommand that verifies registry signatures or Sigstore attestations.
struct TrustOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Registry keys file ({\"keys\":[…]}, as GET /-/npm/v1/keys returns). Default: npm's built-in keys for registry.npmjs.org, else the registry's /-/npm/v1/keys.",
        valueName: "file"))
    var keys: String?

    @Option(name: .customLong("trusted-root"), help: ArgumentHelp(TrustOptions.trustedRootHelp, valueName: "file"))
    var trustedRoot: String?

    /// The `--trusted-root` help, the same in every command.
    static let trustedRootHelp =
        "Sigstore trusted_root.json for provenance (default: the Sigstore production root built into provcheck)."

    /// `--keys` as a URL.
    var keysURL: URL? { keys.map { URL(fileURLWithPath: $0) } }
    /// `--trusted-root` as a URL.
    var trustedRootURL: URL? { trustedRoot.map { URL(fileURLWithPath: $0) } }
}

/// The policy file shared by every subcommand that applies one.
struct PolicyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Policy file (JSON or TOML, docs/policy.md): required trust, repository, workflow, refs. Default: provenance when earlier versions had it, repository = packument repository.",
        valueName: "file"))
    var policy: String?

    /// The policy document `--policy` names, or `nil` when none was given.
    /// Deprecation notes (old rebuild words) go to stderr.
    func load() throws -> PolicyDocument? {
        guard let policy else { return nil }
        let document = try PolicyDocument.load(contentsOf: URL(fileURLWithPath: policy))
        for note in document.notes { FileHandle.standardError.write(Data("provcheck: note: \(note)\n".utf8)) }
        return document
    }
}

/// Flags that choose how results are printed.
/// `--strict`, the same flag with the same meaning in every command that prints a verdict (verify, audit, watch,
/// staged check, attestations): exit 1 when any check was skipped (unverifiable), besides the command's failure
/// rules.
struct StrictOptions: ParsableArguments {
    /// The `--strict` help, the same in every command.
    static let help = "Exit 1 when any check was skipped or could not be verified (as well as when one failed)."

    @Flag(name: .long, help: ArgumentHelp(StrictOptions.help))
    var strict: Bool = false
}

/// `--source` and `--ref`, shared by the commands that rebuild one version (verify, staged check): where the source
/// is read from when the evidence does not name it, or instead of what it names. Each command's `validate()` checks a local
/// `--source` path (``SourceArgument``) before anything is fetched.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the source from this git repository, bundle or URL instead of the one the provenance, packument or staged package.json names.", valueName: "path|url"))
    var source: String?

    @Option(name: .long, help: ArgumentHelp("The ref naming the source commit when neither provenance nor gitHead does (default: the version's tag).", valueName: "ref"))
    var ref: String?
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout instead of text (on exit 2: {\"error\": {\"code\", \"message\"}}).")
    var json: Bool = false

    @Flag(name: [.customShort("q"), .long], help: "No progress on stderr (errors are still printed).")
    var quiet: Bool = false

    @Option(name: .long, help: ArgumentHelp(
        "Colour: auto (a terminal, unless NO_COLOR is set or TERM=dumb; FORCE_COLOR forces it), always or never.",
        valueName: "auto|always|never"))
    var color: ColorChoice = .auto

    /// Prints `report`: one JSON object with `--json`, else `text` as it is; then ends the command with
    /// exit 0 when `passed`, else 1 (the one ending of every command that prints one report).
    func emit(_ report: some Encodable, text: @autoclosure () -> String, passed: Bool) throws -> Never {
        if json {
            print(try JSONRendering.string(report))
        } else {
            print(text(), terminator: "")
        }
        throw passed ? ExitStatus.verified : ExitStatus.failed
    }
}

/// `--color`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether output on `fd` gets colour: `--color always/never` first, then `FORCE_COLOR` (set and not `0`),
    /// then `NO_COLOR` (set and non-empty), then `TERM=dumb`, then whether `fd` is a terminal.
    func enabled(for fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let force = environment["FORCE_COLOR"], !force.isEmpty, force != "0", force != "false" { return true }
            if !(environment["NO_COLOR"] ?? "").isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return isatty(fd) == 1
        }
    }
}

extension RegistryOptions {
    /// The registry configuration these flags select: `--registry`, then `npm_config_registry`, then `.npmrc`,
    /// then the public registry; `--cache-dir` and `--offline` applied.
    func configuration() throws -> RegistryConfiguration {
        var configuration = try RegistryConfiguration.resolve(
            registry: registry, projectDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            cacheDirectory: cacheDir, offline: offline)
        try validate()
        if let timeout { configuration.timeout = timeout }
        if let requestTimeout { configuration.resourceTimeout = requestTimeout }
        if let attempts { configuration.retry.maxAttempts = attempts }
        return configuration
    }
}

/// JSON output shared by every subcommand (``ProvcheckJSON``'s settings).
enum JSONRendering {
    static func string(_ value: some Encodable) throws -> String {
        String(decoding: try ProvcheckJSON.encode(value), as: UTF8.self)
    }
}
