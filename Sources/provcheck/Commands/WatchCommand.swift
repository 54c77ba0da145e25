import ArgumentParser
import Build
import Configuration
import Digest
import Foundation
import NPMTrust
import Registry
import Verification
import Watch

/// `provcheck watch`: nightly comparison of watched packages with what was seen before.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch packages between runs (nightly CI) and report what changed in a way that smells like a compromise.",
        discussion: """
        Reads the packages from --config (docs/watch.md), compares what the registry shows now with --state (created \
        on the first run, which records a baseline), writes the new state atomically to the same path, and reports \
        findings: new versions, changed integrity, trust downgrades, missing or moved tags, provenance from another \
        repository/workflow/ref, direct publishes while versions were staged, staged tarballs not published as \
        checked, verdict changes. A registry error on one package is reported for that package; the run goes on.

        Examples:
          provcheck watch --config docs/examples/watch.toml --state watch-state.json
          provcheck watch --config watch.toml --state s.json --sarif watch.sarif
          provcheck watch --config w.toml --state s1.json --shard 1/4 --output r1.json
          provcheck watch merge r1.json r2.json r3.json r4.json --output report.json

        Exit codes: 0 no finding of severity error; 1 at least one error finding (with --strict: also any check \
        that could not run, a watch.check-incomplete finding); 2 usage or environment error.
        """,
        subcommands: [WatchRunCommand.self, WatchMergeCommand.self],
        defaultSubcommand: WatchRunCommand.self
    )
}

/// Writes a line on standard error.
private func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Report outputs shared by `watch` and `watch merge`.
struct WatchReportOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write the JSON report to this file.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Write a Markdown summary (CI job summary, issue body) to this file.", valueName: "file"))
    var markdown: String?

    @Option(name: .long, help: ArgumentHelp("Write SARIF 2.1.0 (GitHub code scanning) to this file.", valueName: "file"))
    var sarif: String?

    @Flag(name: .long, help: "Print the JSON report on stdout instead of a text summary.")
    var json: Bool = false

    @OptionGroup var strictOptions: StrictOptions

    func emit(_ report: WatchReport, command: String) throws {
        do {
            if let output { try WatchReport.write(try report.jsonData(), to: URL(fileURLWithPath: output)) }
            if let markdown { try WatchReport.write(Data(report.markdown().utf8), to: URL(fileURLWithPath: markdown)) }
            if let sarif {
                try WatchReport.write(try ProvcheckJSON.encode(report.sarif(toolVersion: ProvcheckVersion.current)),
                                      to: URL(fileURLWithPath: sarif))
            }
        } catch {
            throw CommandFailure(command, error)
        }
        if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self), terminator: "")
        } else {
            let c = report.counts
            print("provcheck \(command): \(report.packages.count) package(s), \(c[.error] ?? 0) error(s), "
                + "\(c[.warning] ?? 0) warning(s), \(c[.note] ?? 0) note(s)")
            for finding in report.findings.sorted(by: { $0.severity > $1.severity }) where finding.severity != .note {
                print("  \(finding.severity.rawValue.uppercased())  \(finding.code.rawValue)  "
                    + "\(finding.package)\(finding.version.map { "@\($0)" } ?? ""): \(finding.message)")
            }
        }
        if report.hasErrors || (strictOptions.strict && report.isIncomplete) { throw ExitStatus.failed }
    }
}

/// `provcheck watch [--config F] --state F`.
struct WatchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Check the watched packages once (the default subcommand).",
        discussion: """
        Examples:
          provcheck watch --config docs/examples/watch.toml --state watch-state.json
          provcheck watch run --config watch.toml --state s.json --json
        """)

    @Option(name: .long, help: ArgumentHelp("The watch configuration (TOML or JSON, docs/watch.md).", valueName: "file"))
    var config: String

    @Option(name: .long, help: ArgumentHelp("The state file: read if present, then replaced atomically.", valueName: "file"))
    var state: String

    @Option(name: .long, help: ArgumentHelp("Check only shard i of n (1-based; stable split by package name hash).", valueName: "i/n"))
    var shard: String?

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var report: WatchReportOptions

    @OptionGroup var trustOptions: TrustOptions

    func validate() throws {
        if let shard, WatchShard(shard) == nil { throw ValidationError("--shard \(shard): expected i/n with 1 ≤ i ≤ n") }
    }

    func run() async throws {
        let configuration: WatchConfiguration
        let previous: WatchState
        let registry: RegistryConfiguration
        let stateURL = URL(fileURLWithPath: state)
        let trustVerifier: RegistryTrustVerifier
        do {
            configuration = try WatchConfiguration.load(contentsOf: URL(fileURLWithPath: config))
            previous = try WatchState.load(contentsOf: stateURL)
            registry = try registryOptions.configuration()
            trustVerifier = try trustOptions.trustedRoot.map { try RegistryTrustVerifier(trustedRootContentsOf: URL(fileURLWithPath: $0)) }
                ?? RegistryTrustVerifier()
        } catch {
            throw CommandFailure("watch", error)
        }
        // --offline means "nothing but this machine": a loopback registry is still asked (as `verify` does).
        let effective = registry.offline(registryOptions.offline)
        let client = RegistryClient(configuration: effective)
        let trust: any WatchTrustReading
        do {
            let source: RegistryKeysSource = trustOptions.keysURL.map { .file($0) } ?? .automatic
            trust = NPMTrustWatchReader(client: client, verifier: trustVerifier,
                                        keys: try await RegistryKeysAvailability.load(source, client: client))
        } catch {
            // Not fatal: every version's trust is then reported as incomplete, never as unchanged.
            standardError("provcheck watch: registry keys unavailable: \(error)")
            trust = UnavailableWatchTrust(reason: "registry keys unavailable: \(error)")
        }
        var verifier: (any WatchVerifying)? = nil
        if configuration.packages.contains(where: \.rebuild) {
            do {
                verifier = PipelineWatchVerifier(
                    pipeline: try VerificationPipeline.standard(StandardPipelineOptions(
                        registry: registry, offline: registryOptions.offline,
                        trustedRoot: trustOptions.trustedRootURL, keys: trustOptions.keysURL)),
                    offline: registryOptions.offline,
                    // For packages whose policy says build = "auto" (docs/build.md): sandboxed build, default limits.
                    buildingPipeline: try VerificationPipeline.standard(StandardPipelineOptions(
                        registry: registry, offline: registryOptions.offline,
                        trustedRoot: trustOptions.trustedRootURL, keys: trustOptions.keysURL,
                        build: BuildSettings(registry: registry))))
            } catch {
                throw CommandFailure("watch", error)
            }
        }
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: client), trust: trust,
                                 tags: GitTagReader(offline: registryOptions.offline), verifier: verifier, progress: { standardError("provcheck watch: \($0)") })
        let result: (report: WatchReport, state: WatchState)
        do {
            result = try await engine.run(configuration: configuration, state: previous, shard: shard.flatMap(WatchShard.init))
            try result.state.write(to: stateURL)
        } catch {
            throw CommandFailure("watch", error)
        }
        try report.emit(result.report, command: "watch")
    }
}

/// Trust that cannot be established (keys unavailable): every version is reported as incomplete.
struct UnavailableWatchTrust: WatchTrustReading {
    var reason: String
    struct Unavailable: Error, CustomStringConvertible { var description: String }
    func trust(packument: Packument, version: String) async throws -> WatchTrust { throw Unavailable(description: reason) }
}

/// `provcheck watch merge REPORTS... --output F`.
struct WatchMergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join shard reports (and optionally shard states) into one, as if one run had checked every package.",
        discussion: """
        Examples:
          provcheck watch merge r1.json r2.json --output report.json
          provcheck watch merge r1.json r2.json --state s1.json --state s2.json \\
            --state-output state.json --json

        Exit codes: 0 no finding of severity error; 1 at least one; 2 unreadable or overlapping reports.
        """)

    @Argument(help: ArgumentHelp("Shard reports written by `provcheck watch --shard i/n --output F`.", valueName: "report"))
    var reports: [String]

    @OptionGroup var report: WatchReportOptions

    @Option(name: .long, help: ArgumentHelp("A shard state file to merge (repeat); needs --state-output.", valueName: "file"))
    var state: [String] = []

    @Option(name: .customLong("state-output"), help: ArgumentHelp("Write the merged state here (each package from the shard that checked it last).", valueName: "file"))
    var stateOutput: String?

    func validate() throws {
        if reports.isEmpty { throw ValidationError("give at least one report") }
        if !state.isEmpty && stateOutput == nil { throw ValidationError("--state needs --state-output FILE") }
        if report.output == nil && !report.json { throw ValidationError("give --output FILE (or --json)") }
    }

    func run() async throws {
        let merged: WatchReport
        do {
            merged = try WatchReport.merge(try reports.map { path in
                let data: Data
                do { data = try InputFile.read(URL(fileURLWithPath: path)) } catch {
                    throw WatchReportError(message: "\(error)")
                }
                return try WatchReport.decode(data, source: path)
            })
            if let stateOutput {
                let states = try state.map { try WatchState.load(contentsOf: URL(fileURLWithPath: $0)) }
                try WatchState.merged(states).write(to: URL(fileURLWithPath: stateOutput))
            }
        } catch {
            throw CommandFailure("watch merge", error)
        }
        try report.emit(merged, command: "watch merge")
    }
}
