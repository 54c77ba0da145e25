import ArgumentParser
import Configuration
import Digest
import Foundation
import Packing
import Registry
import Reports
import Sigstore
import Verification

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `provcheck verify <name>@<version>`: every check (registry, trust, source, rebuild, policy) joined into one verdict.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify one package version end to end: registry integrity, signatures and attestations, source tag and commit, rebuild, policy.",
        discussion: """
        The source is the repository and commit the verified provenance names, else the packument's repository \
        and gitHead, else --source with --ref. Skipped checks are never counted as passed: the verdict is then \
        "incomplete" (exit 0), or "failed" with --strict (exit 1).

        The spec's version may be an exact version, a dist-tag (name@latest, name@next) or a semver range \
        (name@^4, name@4, name@">=1.2 <2"), resolved as npm does; the resolved version is printed on stderr.

        Examples:
          provcheck verify gundam-visor@1.0.1
          provcheck verify ms@latest --json | jq .overall
          provcheck verify @scope/name@^2 --policy org.policy.toml --strict
          provcheck verify my-lib@1.4.0 --source ./my-lib --ref v1.4.0
          provcheck verify my-lib@1.4.0 --sarif out.sarif --vsa vsa.json
          provcheck verify my-lib@1.4.0 --registry http://127.0.0.1:4873/ --offline

        Exit codes: 0 verified (or incomplete without --strict: skipped checks are listed); 1 a check failed; \
        2 usage, network or environment error (nothing was verified).
        """
    )

    @Argument(help: ArgumentHelp("The package version, e.g. gundam-visor@1.0.1, @scope/name@1.2.3, ms@latest or ini@^4.", valueName: "name@version"))
    var spec: String

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var sourceOptions: SourceOptions
    var source: String? { sourceOptions.source }
    var ref: String? { sourceOptions.ref }

    @OptionGroup var policyOptions: PolicyOptions

    @OptionGroup var strictOptions: StrictOptions
    var strict: Bool { strictOptions.strict }

    @Option(name: .long, help: ArgumentHelp("Also write SARIF 2.1.0 (GitHub code scanning) to this file.", valueName: "file"))
    var sarif: String?

    @Option(name: .long, help: ArgumentHelp("Also write an in-toto SLSA Verification Summary (VSA) to this file.", valueName: "file"))
    var vsa: String?

    @Option(name: .customLong("vsa-key"), help: ArgumentHelp("Sign the VSA as a DSSE envelope with this PEM EC private key.", valueName: "file"))
    var vsaKey: String?

    @OptionGroup var trust: TrustOptions

    func validate() throws {
        if vsaKey != nil && vsa == nil { throw ValidationError("--vsa-key needs --vsa FILE") }
        try SourceArgument.validate(source)
    }

    @OptionGroup var buildOptions: BuildOptions

    @Option(name: .long, help: ArgumentHelp("With --build: shell command replacing the package's lifecycle scripts.", valueName: "command"))
    var buildCommand: String?

    @Option(name: .long, help: ArgumentHelp("With --build: seconds before a build step is killed (default: 600).", valueName: "seconds"))
    var buildTimeout: Double = 600

    func run() async throws {
        let result: VerificationResult
        let policyDocument: PolicyDocument
        do {
            policyDocument = try policyOptions.load() ?? .default
            let registry = try registryOptions.configuration()
            let spec = try await SpecResolution.resolve(spec, registry: registryOptions, command: "verify")
            let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(
                registry: registry, offline: registryOptions.offline,
                trustedRoot: trust.trustedRootURL, keys: trust.keysURL,
                build: buildOptions.settings(registry: registry, buildCommand: buildCommand, timeout: buildTimeout)))
            let progress = ProgressRenderer(command: "verify", quiet: output.quiet)
            defer { progress.finish() }
            result = try await pipeline.verify(VerificationRequest(
                spec: spec, source: source.map(SourceLocator.init(argument:)), ref: ref, policy: policyDocument,
                strictness: strict ? .strict : .standard, offline: registryOptions.offline, progress: progress.handler))
        } catch {
            throw CommandFailure("verify", error)
        }

        do {
            try writeDocuments(result, policy: policyDocument)
        } catch {
            throw CommandFailure("verify", error)
        }
        if output.json {
            print(String(decoding: try result.verdict.jsonData(), as: UTF8.self))
        } else {
            print(VerdictText.render(result.verdict, style: .forStandardOutput(output.color)), terminator: "")
        }
        switch result.verdict.overall {
        case .verified, .incomplete: return
        case .failed: throw ExitStatus.failed
        }
    }

    private func writeDocuments(_ result: VerificationResult, policy: PolicyDocument) throws {
        if let sarif {
            let log = SARIFLog.make(verdicts: [result.verdict], toolVersion: ProvcheckVersion.current)
            try write(try ProvcheckJSON.encode(log), to: sarif, what: "SARIF")
        }
        if let vsa {
            let statement = try VerificationSummary.statement(
                for: result.verdict, policy: policy, inputAttestations: result.inputAttestations,
                verifierVersion: ProvcheckVersion.current)
            let payload = try ProvcheckJSON.encode(statement)
            if let vsaKey {
                let keyData: Data
                do {
                    keyData = try InputFile.read(URL(fileURLWithPath: vsaKey))
                } catch {
                    throw VerificationError.input(path: vsaKey, problem: "cannot read the --vsa-key file: \(error.problem)")
                }
                let envelope = try DSSEEnvelope.sign(payload: payload, privateKeyPEM: keyData, keySource: vsaKey)
                try write(envelope.jsonDocument, to: vsa, what: "VSA envelope")
            } else {
                try write(payload, to: vsa, what: "VSA")
            }
        }
    }

    private func write(_ data: Data, to path: String, what: String) throws {
        do {
            try OutputTarget.write(data, to: URL(fileURLWithPath: path))
        } catch {
            throw VerificationError.input(path: path, problem: "cannot write the \(what): \(error.problem)")
        }
    }
}

/// Renders verdicts as text: one summary line per check, then its evidence and reasons indented.
enum VerdictText {
    /// Colour and symbols.
    struct Style {
        var color: Bool

        /// Colour as `--color` chooses (default auto: a TTY, `FORCE_COLOR`, `NO_COLOR`, `TERM=dumb`; see ``ColorChoice``).
        static func forStandardOutput(_ choice: ColorChoice = .auto) -> Style {
            Style(color: choice.enabled(for: STDOUT_FILENO))
        }

        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    }

    static func label(_ status: CheckStatus) -> (String, String) {
        switch status {
        case .pass: ("PASS", "32")
        case .fail: ("FAIL", "31;1")
        case .skipped: ("SKIP", "33")
        case .notApplicable: ("N/A ", "2")
        }
    }

    /// The trust level a verdict reached, in words: where the provenance says the package came from (or that only
    /// the registry vouches for it), and how the rebuild compared — e.g. "provenance from github.com/o/r, rebuilt
    /// exactly" or "registry signature only, no provenance; rebuilt (contents)".
    static func trustReached(_ verdict: Verdict) -> String {
        var parts: [String] = []
        let provenance = verdict.check(.trustProvenance)
        let signatures = verdict.check(.trustSignatures)
        let publish = verdict.check(.trustPublishAttestation)
        if provenance?.status == .pass {
            var repository = provenance?.evidence["repository"] ?? "an unnamed repository"
            for prefix in ["https://", "http://"] where repository.hasPrefix(prefix) { repository.removeFirst(prefix.count) }
            parts.append("provenance from \(repository)")
        } else {
            var vouchers: [String] = []
            if signatures?.status == .pass { vouchers.append("registry signature") }
            if publish?.status == .pass { vouchers.append("publish attestation") }
            let noProvenance = provenance?.status == .fail ? "provenance INVALID" : "no provenance"
            parts.append(vouchers.isEmpty ? "no registry signature, \(noProvenance)"
                         : vouchers.joined(separator: " and ") + " only, \(noProvenance)")
        }
        let rebuild = verdict.check(.rebuildCompare)
        switch (rebuild?.status, rebuild?.evidence["outcome"]) {
        case (.pass?, "exact"?): parts.append("rebuilt exactly")
        case (.pass?, "tar-identical"?): parts.append("rebuilt (tar-identical; gzip differs)")
        case (.pass?, "content-identical"?): parts.append("rebuilt (contents)")
        case (.pass?, _): parts.append("rebuilt")
        case (.fail?, let outcome): parts.append("rebuild \(outcome ?? "failed")")
        default: parts.append("not rebuilt")
        }
        return parts.joined(separator: "; ")
    }

    static func render(_ verdict: Verdict, style: Style) -> String {
        var out = "provcheck verify \(verdict.subject.name)@\(verdict.subject.version)\n"
        let idWidth = min(34, verdict.checks.map { $0.id.rawValue.count }.max() ?? 0)
        for check in verdict.checks {
            let (word, code) = label(check.status)
            let id = check.id.rawValue.padding(toLength: max(idWidth, check.id.rawValue.count), withPad: " ", startingAt: 0)
            var line = "  \(style.paint(word, code))  \(id)  \(check.title)"
            if let reason = check.status.reason { line += style.paint(" (\(reason))", "2") }
            if !check.required && check.status.isSkipped { line += style.paint(" [optional]", "2") }
            out += line + "\n"
            for key in check.evidence.keys.sorted() {
                out += style.paint("        \(key): \(check.evidence[key]!)", "2") + "\n"
            }
            for reason in check.reasons {
                out += "        - \(reason)\n"
            }
        }
        let counts = verdict.counts
        let summary = "\(counts["pass"]!) passed, \(counts["fail"]!) failed, \(counts["skipped"]!) skipped, "
            + "\(counts["not-applicable"]!) not applicable"
        let reached = trustReached(verdict)
        switch verdict.overall {
        case .verified:
            out += style.paint("VERIFIED", "32;1") + " \(verdict.subject.name)@\(verdict.subject.version): \(reached)"
                + " (\(summary))\n"
        case .incomplete:
            out += style.paint("INCOMPLETE", "33;1") + " \(verdict.subject.name)@\(verdict.subject.version) is NOT verified"
                + " (reached: \(reached)): \(summary)"
                + " (a skipped check is never a pass; --strict makes it a failure)\n"
        case .failed:
            out += style.paint("FAILED", "31;1") + " \(verdict.subject.name)@\(verdict.subject.version): \(summary)"
                + (verdict.strictness == .strict && counts["fail"] == 0 ? " (--strict: skipped checks fail)" : "") + "\n"
        }
        let failed = verdict.checks.filter { $0.status == .fail }.map(\.id.rawValue)
        let skipped = verdict.checks.filter { $0.status.isSkipped }.map(\.id.rawValue)
        if !failed.isEmpty { out += "  failed: " + failed.joined(separator: ", ") + "\n" }
        if !skipped.isEmpty { out += "  not checked: " + skipped.joined(separator: ", ") + "\n" }
        return out
    }
}
