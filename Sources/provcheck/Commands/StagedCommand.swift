import ArgumentParser
import Foundation
import NPMTrust
import Registry
import Staged
import Verification

/// `provcheck staged list|check`: look at staged publishes before approving them.
struct StagedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staged",
        abstract: "List and check staged publishes (npm stage) before approving them with 2FA.",
        discussion: """
        Uses the registry's staging endpoints with your auth token (from .npmrc, like npm). provcheck never \
        approves or rejects: it tells you whether the staged tarball is exactly what the tag produces.

        Examples:
          provcheck staged list my-lib
          provcheck staged check my-lib --policy org.policy.toml
          provcheck staged check <stage-id> --bundle provenance.sigstore.json
        """,
        subcommands: [StagedListCommand.self, StagedCheckCommand.self]
    )
}

private func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

private func makeClient(_ options: RegistryOptions) throws -> RegistryClient {
    RegistryClient(configuration: try options.configuration())
}

/// `provcheck staged list <pkg>`.
struct StagedListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the pending staged publishes of a package.",
        discussion: """
        Examples:
          provcheck staged list my-lib
          provcheck staged list @scope/lib --registry https://npm.example.com/ --json

        Exit codes: 0 listed (possibly none); 2 usage, auth or network error.
        """)

    @Argument(help: ArgumentHelp("The package name.", valueName: "package"))
    var package: String

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let items: [StageItem]
        do {
            items = try await StagedChecker(client: try makeClient(registryOptions)).list(package: package)
        } catch {
            throw CommandFailure("staged list", error)
        }
        if output.json {
            print(String(decoding: try ProvcheckJSON.encode(items), as: UTF8.self), terminator: "")
            return
        }
        if items.isEmpty { print("no staged publishes of \(package)"); return }
        for item in items {
            print("\(item.id)  \(item.packageName)@\(item.version)  tag \(item.tag ?? "-")  created \(item.createdAt ?? "-")  "
                + "by \(item.actor ?? "-") (\(item.actorType ?? "-"))  shasum \(item.shasum ?? "-")")
        }
    }
}

/// `provcheck staged check <stage-id>|<pkg>`.
struct StagedCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a staged publish (or every pending one of a package) before approving it.",
        discussion: """
        Downloads the staged tarball, checks its sha1 against the stage item, checks its package.json name and \
        version, rebuilds the version's tag and compares, verifies --bundle (the provenance bundle CI attached to \
        the stage request) against the staged tarball, and applies --policy. With --record, the staged tarball's \
        sha512 is pinned in a watch state file, so `provcheck watch` reports it if the approved version is \
        published with another dist.integrity.

        Examples:
          provcheck staged check my-lib
          provcheck staged check my-lib --source ./my-lib --ref v1.4.0 --json
          provcheck staged check <stage-id> --bundle provenance.sigstore.json \\
            --policy org.policy.toml --record watch-state.json

        Exit codes: 0 verified (safe to approve as far as provcheck can tell); 1 a check failed or could not run; \
        2 usage, auth or network error. A stage is checked strictly by default (approving cannot be undone): an \
        incomplete verdict already exits 1; --strict, accepted as in every command, also marks it failed.
        """)

    @Argument(help: ArgumentHelp("A stage id (UUID) or a package name (every pending stage of it).", valueName: "stage-id|package"))
    var target: String

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var sourceOptions: SourceOptions
    var source: String? { sourceOptions.source }
    var ref: String? { sourceOptions.ref }

    @Option(name: .long, help: ArgumentHelp("Sigstore provenance bundle of the staged tarball.", valueName: "file"))
    var bundle: String?

    @OptionGroup var policyOptions: PolicyOptions

    @OptionGroup var strictOptions: StrictOptions

    @Option(name: .long, help: ArgumentHelp("Pin the staged tarball's sha512 in this watch state file.", valueName: "statefile"))
    var record: String?

    @Option(name: .customLong("trusted-root"), help: ArgumentHelp(TrustOptions.trustedRootHelp, valueName: "file"))
    var trustedRoot: String?

    func validate() throws { try SourceArgument.validate(source) }

    func run() async throws {
        var results: [StagedCheckResult] = []
        do {
            let verifier = try trustedRoot.map { try RegistryTrustVerifier(trustedRootContentsOf: URL(fileURLWithPath: $0)) }
                ?? RegistryTrustVerifier()
            let checker = StagedChecker(client: try makeClient(registryOptions), trustVerifier: verifier)
            let request = StagedCheckRequest(
                source: source, ref: ref, bundle: bundle.map { URL(fileURLWithPath: $0) },
                policy: try policyOptions.load() ?? .default, strictness: strictOptions.strict ? .strict : .standard)
            let items = try await checker.items(for: target)
            if items.isEmpty { throw StagedCheckError(message: "no staged publishes of \(target)") }
            for item in items {
                standardError("provcheck staged check: \(item.packageName)@\(item.version) (stage \(item.id))")
                let result = try await checker.check(item, request: request)
                if let record { try StagedPinRecorder.record(result, in: URL(fileURLWithPath: record)) }
                results.append(result)
            }
        } catch {
            throw CommandFailure("staged check", error)
        }
        if output.json {
            print(String(decoding: try ProvcheckJSON.encode(results), as: UTF8.self), terminator: "")
        } else {
            for result in results { print(Self.render(result, style: .forStandardOutput(output.color)), terminator: "") }
        }
        if results.contains(where: { $0.overall != .verified }) { throw ExitStatus.failed }
    }

    static func render(_ result: StagedCheckResult, style: VerdictText.Style) -> String {
        let item = result.item
        var out = "provcheck staged check \(item.packageName)@\(item.version)\n"
        out += "  stage      \(item.id) (tag \(item.tag ?? "-"), created \(item.createdAt ?? "-") by \(item.actor ?? "-") (\(item.actorType ?? "-")))\n"
        out += "  integrity  \(result.integrity)\n"
        out += "  source     " + (result.tag.map { "tag \($0) → \(result.commit ?? "?")" } ?? "(not rebuilt)") + "\n"
        let body = VerdictText.render(result.verdict, style: style)
        out += body.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        if result.overall == .verified {
            out += "The staged tarball is what the tag produces. After approval, dist.integrity must be \(result.integrity).\n"
        } else {
            out += "Do NOT approve stage \(item.id) before the failures above are explained.\n"
        }
        return out
    }
}
