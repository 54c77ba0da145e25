import ArgumentParser
import Foundation
import NPMTrust
import Registry
import Sigstore
import Verification

/// `provcheck attestations <spec>`: verify a published version's registry signatures and attestations
/// (npm publish attestation, SLSA provenance) offline, and print the provenance facts.
struct AttestationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attestations",
        abstract: "Verify a version's registry signatures and Sigstore attestations, and print its provenance.",
        discussion: """
        Fetches the packument and the attestations from the registry, then verifies offline: every
        dist.signatures entry over <name>@<version>:<integrity> (key expiry judged at the publish time), the npm
        publish attestation (registry key, expiry at the Rekor integrated time) and SLSA provenance v0.2/v1
        (Fulcio certificate, Sigstore trusted root). Every subject must be pkg:npm/<name>@<version> with the
        tarball's sha512. Unknown predicate types, missing bundles and registries without keys never pass.

        Examples:
          provcheck attestations sigstore@2.3.1
          provcheck attestations @scope/name@latest --json
          provcheck attestations name@1.2.3 --registry http://127.0.0.1:4873/ \\
            --keys keys.json --trusted-root trusted_root.json

        Exit codes: 0 every check verified; 1 a check failed or could not run (e.g. the registry has no keys);
        2 usage, network or environment error. Trust checks are strict by default here (a skipped one exits 1);
        --strict is accepted as in every command.
        """
    )

    @Argument(help: ArgumentHelp("Package spec: <name>@<version> (scoped names allowed), or <name>[@<dist-tag>].",
                                 valueName: "spec"))
    var spec: String

    @OptionGroup var registryOptions: RegistryOptions

    @OptionGroup var trust: TrustOptions

    @OptionGroup var output: OutputOptions

    @OptionGroup var strictOptions: StrictOptions

    func run() async throws {
        let report: TrustReport
        do {
            report = try await AttestationsRun(spec: spec, registry: registryOptions, keysFile: trust.keys,
                                               trustedRootFile: trust.trustedRoot).report()
        } catch {
            throw CommandFailure("attestations", error)
        }
        try output.emit(report, text: TrustReportText.render(report), passed: report.ok)
    }
}

/// Renders a ``TrustReport`` as text.
enum TrustReportText {
    static func render(_ report: TrustReport) -> String {
        var lines: [String] = []
        lines.append("\(report.package)  \(report.integrity)")
        if let time = report.publishTime {
            lines.append("  published \(time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))")
        }
        lines.append("registry signatures:")
        for check in report.signatures {
            lines.append("  \(mark(check.ok, skipped: check.status == .skippedNoKeys)) \(check.keyid ?? "-")  \(check.status.rawValue): \(check.reason)")
        }
        lines.append("attestations:")
        if report.attestations.isEmpty {
            lines.append(report.skipped.contains { $0.hasPrefix("attestations: ") } ? "  (not fetched, see skipped)" : "  (none published)")
        }
        for check in report.attestations {
            lines.append("  \(mark(check.ok, skipped: check.status == .skippedNoKeys)) \(check.predicateType)  \(check.status.rawValue): \(check.reason)")
            if let facts = check.facts {
                let rows: [(String, String?)] = [
                    ("repository", facts.repository), ("commit", facts.commit), ("ref", facts.ref),
                    ("workflow", facts.workflowPath), ("builder", facts.builderID), ("trigger", facts.trigger),
                    ("run", facts.runInvocationURL), ("runner", facts.runnerEnvironment),
                    ("repository id", facts.repositoryID), ("owner id", facts.repositoryOwnerID),
                    ("environment", facts.environment), ("signer", facts.certificateIdentity),
                    ("issuer", facts.certificateIssuer),
                ]
                for (label, value) in rows {
                    if let value { lines.append("      \(label.padding(toLength: 14, withPad: " ", startingAt: 0)) \(value)") }
                }
            }
        }
        for reason in report.skipped { lines.append("skipped: \(reason)") }
        lines.append("trust level: \(report.trustLevel.rawValue)")
        lines.append(report.ok ? "result: verified" : "result: NOT verified")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func mark(_ ok: Bool, skipped: Bool) -> String {
        ok ? "ok  " : (skipped ? "skip" : "FAIL")
    }
}

/// Resolves the spec, loads keys and the trusted root, fetches and verifies.
struct AttestationsRun {
    var spec: String
    var registry: RegistryOptions
    var keysFile: String?
    var trustedRootFile: String?

    /// A usage problem with the spec or a file option.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the engine's trust-only configuration (the same key-source choice, trusted root, `--offline`
    /// loopback rule and trust stage as `verify`) and returns NPMTrust's full report.
    func report() async throws -> TrustReport {
        let (name, requested) = try Self.parse(spec: spec)
        let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(
            registry: try registry.configuration(), offline: registry.offline,
            trustedRoot: trustedRootFile.map { URL(fileURLWithPath: $0) }, keys: keysFile.map { URL(fileURLWithPath: $0) }))
        let (_, outcome) = try await pipeline.verifyTrust(name: name, versionOrTag: requested)
        guard let report = outcome.report else {
            // The trust stage could not even start (unusable keys file, a version without integrity): a usage or
            // input problem, not a verdict.
            throw UsageError(description: outcome.signatures.reasons.first ?? "the trust checks could not run")
        }
        return report
    }

    /// Splits `<name>[@<version or tag>]`; scoped names start with `@`.
    static func parse(spec: String) throws -> (name: String, versionOrTag: String?) {
        let scoped = spec.hasPrefix("@")
        let body = scoped ? spec.dropFirst() : Substring(spec)
        var name = String(body)
        var version: String? = nil
        if let at = body.lastIndex(of: "@") {
            name = String(body[..<at])
            version = String(body[body.index(after: at)...])
        }
        if scoped { name = "@" + name }
        guard !name.isEmpty, name != "@", !(scoped && !name.contains("/")), version?.isEmpty != true else {
            throw UsageError(description: "\"\(spec)\" is not a package spec (<name>@<version>, @scope/name@<version>)")
        }
        return (name, version)
    }
}
