import Archive
import Compare
import Configuration
import Digest
import Foundation
import JSON
import NPMTrust
import Packing
import Registry
import Verification
import Watch

extension CheckID {
    /// The staged tarball's sha1 equals the stage item's `shasum`.
    public static let stagedShasum: CheckID = "staged.shasum"
    /// The staged tarball's `package.json` names the stage item's package and version.
    public static let stagedManifest: CheckID = "staged.manifest"
}

/// What to check before approving a staged publish.
public struct StagedCheckRequest: Sendable {
    /// The source repository (path, bundle or URL); default: the staged `package.json`'s `repository`.
    public var source: String?
    /// The ref to rebuild; default: the version's tag (`v<version>`, `<version>`, `<name>@<version>`).
    public var ref: String?
    /// A Sigstore provenance bundle for the staged tarball (the `.sigstore` the CI attached to the stage request).
    public var bundle: URL?
    /// The policy (same format as `provcheck verify --policy`).
    public var policy: PolicyDocument
    /// `.strict` (`--strict`): a skipped check makes the verdict `failed`, as in `verify`.
    public var strictness: Strictness

    /// Makes a request.
    public init(source: String? = nil, ref: String? = nil, bundle: URL? = nil, policy: PolicyDocument = .default,
                strictness: Strictness = .standard) {
        self.strictness = strictness
        self.source = source
        self.ref = ref
        self.bundle = bundle
        self.policy = policy
    }
}

/// The verdict on one staged publish, meant to be read right before `npm stage approve`.
public struct StagedCheckResult: Codable, Sendable {
    /// The stage item as the registry describes it.
    public var item: StageItem
    /// sha512 hex of the staged tarball: the `dist.integrity` the version must have once approved.
    public var sha512: String
    /// The same as an SRI string (`sha512-…`).
    public var integrity: String
    /// sha1 hex of the staged tarball.
    public var sha1: String
    /// The tag and commit rebuilt, when the rebuild ran.
    public var tag: String?
    /// The commit rebuilt.
    public var commit: String?
    /// The full comparison of the rebuild (A) with the staged tarball (B), when the rebuild ran.
    public var comparison: ComparisonReport?
    /// The checks and the overall result.
    public var verdict: Verdict

    /// The overall result.
    public var overall: OverallResult { verdict.overall }
}

/// A staged publish that cannot be checked at all (exit code 2).
public struct StagedCheckError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the stage id, package or file.
    public var message: String
    /// Makes an error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Checks staged publishes through the registry's staging endpoints (`GET /-/stage?package=`, `GET /-/stage/<id>`,
/// `GET /-/stage/<id>/tarball`; the client's configuration carries the user's auth token).
///
/// A thin layer over the verification engine (``VerificationPipeline``): only the fetch stage differs. It downloads
/// the staged tarball, checks its sha1 against the stage item (`staged.shasum`) and its `package.json` against the
/// stage item's name and version (`staged.manifest`), and reads the facts (repository, directory) from that
/// `package.json`; then the engine's stages run unchanged — archive findings, trust (provenance from `--bundle`,
/// the registry signs and attests only on approval), source (tag, commit), rebuild and compare, policy — so a
/// staged tarball passes exactly when `verify` would pass the same tarball.
public struct StagedChecker: Sendable {
    /// The registry client (with the auth token).
    public var client: RegistryClient
    /// Verifies provenance bundles.
    public var trustVerifier: RegistryTrustVerifier

    /// Makes a checker.
    public init(client: RegistryClient, trustVerifier: RegistryTrustVerifier = RegistryTrustVerifier()) {
        self.client = client
        self.trustVerifier = trustVerifier
    }

    /// Every staged publish of `package`.
    public func list(package: String) async throws -> [StageItem] {
        try await client.stagedPackages(name: package)
    }

    /// The stage items `argument` names: one item for a stage id (a UUID), every pending item for a package name.
    public func items(for argument: String) async throws -> [StageItem] {
        if Self.looksLikeStageID(argument) { return [try await client.stage(id: argument)] }
        return try await client.stagedPackages(name: argument)
    }

    /// Whether `text` is a stage id (UUID form) rather than a package name.
    public static func looksLikeStageID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && text.allSatisfy { $0.isHexDigit || $0 == "-" }
    }

    /// The engine configured for staged publishes: the client's registry, provenance from `bundle`, the standard
    /// source, rebuild and archive stages.
    func pipeline(bundle: StagedBundleTrust.Bundle?) -> VerificationPipeline {
        VerificationPipeline(
            registry: RegistryClientAccess(client: client),
            trust: StagedBundleTrust(verifier: trustVerifier, bundle: bundle),
            sources: PackingSource(cacheDirectory: client.configuration.cacheDirectory?.appendingPathComponent("git")),
            rebuilder: PackingRebuilder(), inspector: ArchiveStage(), hasher: DigestTarballHashing())
    }

    /// Checks one staged publish.
    /// - Throws: ``StagedCheckError`` or ``Registry/RegistryError`` when the staged tarball cannot be fetched.
    public func check(_ item: StageItem, request: StagedCheckRequest) async throws -> StagedCheckResult {
        let evidence = try await fetch(item)
        var bundle: StagedBundleTrust.Bundle?
        if let url = request.bundle {
            do { bundle = .init(path: url.path, data: try InputFile.read(url)) } catch {
                throw StagedCheckError(message: "--bundle \(url.path): the file \(error.problem)")
            }
        }
        let verification = VerificationRequest(
            spec: PackageSpec(name: item.packageName, version: item.version),
            source: request.source.map(SourceLocator.init(argument:)), ref: request.ref, policy: request.policy,
            strictness: request.strictness)
        let result = await pipeline(bundle: bundle).evaluate(evidence, request: verification)
        let sha512 = result.verdict.subject.sha512Hex ?? ""
        return StagedCheckResult(item: item, sha512: sha512, integrity: result.verdict.subject.integrity ?? "",
                                 sha1: result.sha1Hex, tag: result.tag, commit: result.commit,
                                 comparison: result.rebuild?.report, verdict: result.verdict)
    }

    /// The staged fetch stage: the staged tarball, the stage item's checks (`staged.shasum`, `staged.manifest`), and
    /// the facts the later stages need, read from the tarball's `package.json` (and, for the policy's "earlier
    /// versions had provenance" rule, from the published packument when there is one).
    func fetch(_ item: StageItem) async throws -> FetchedEvidence {
        let tarball = try TarballFile.temporary(in: client.configuration.cacheDirectory?.appendingPathComponent("tmp"))
        let staged = tarball.url
        try await client.stagedTarball(id: item.id, to: staged)
        let sha1: String
        do { sha1 = try DigestTarballHashing().sha512AndSHA1Hex(fileAt: staged).sha1 } catch {
            throw StagedCheckError(message: "stage \(item.id): cannot hash the downloaded tarball: \(error)")
        }

        var checks: [Check] = []
        let shasumTitle = "Staged tarball sha1 matches the stage item"
        if let expected = item.shasum?.lowercased(), !expected.isEmpty {
            checks.append(expected == sha1
                ? .pass(.stagedShasum, shasumTitle, evidence: ["shasum": expected, "tarballSHA1": sha1])
                : .fail(.stagedShasum, shasumTitle, evidence: ["shasum": expected, "tarballSHA1": sha1],
                        reasons: ["the downloaded tarball's sha1 is \(sha1), the stage item says \(expected)"]))
        } else {
            checks.append(.fail(.stagedShasum, shasumTitle, evidence: ["tarballSHA1": sha1],
                                reasons: ["the stage item has no shasum to check the tarball against"]))
        }

        var facts = PackumentFacts(
            name: item.packageName, version: item.version, integrity: nil, shasum: item.shasum, tarballURL: nil,
            signatures: [], attestationsURL: nil, provenancePredicateType: nil, gitHead: nil, repositoryURL: nil,
            repositoryDirectory: nil, npmVersion: nil, nodeVersion: nil, publishTime: nil, npmUserName: nil,
            hasStagedApproval: false, hasTrustedPublisher: false, earlierVersionsWithProvenance: [])
        let manifestTitle = "Staged package.json names the staged package and version"
        switch Self.readManifest(staged) {
        case .failure(let problem):
            checks.append(.fail(.stagedManifest, manifestTitle, reasons: [problem.message]))
        case .success(let json):
            let name = json["name"]?.stringValue
            let version = json["version"]?.stringValue
            var reasons: [String] = []
            if name != item.packageName { reasons.append("package.json name is \(name ?? "(missing)"), the stage item is for \(item.packageName)") }
            if version != item.version { reasons.append("package.json version is \(version ?? "(missing)"), the stage item is \(item.version)") }
            let evidence = ["name": name ?? "", "version": version ?? ""]
            checks.append(reasons.isEmpty ? .pass(.stagedManifest, manifestTitle, evidence: evidence)
                                          : .fail(.stagedManifest, manifestTitle, evidence: evidence, reasons: reasons))
            (facts.repositoryURL, facts.repositoryDirectory) = PackumentFacts.repository(of: json)
        }
        // Without a bundle the staged version counts as having no provenance, so a policy requiring it
        // (explicitly, or because earlier published versions had it) fails: pass --bundle.
        if let packument = try? await client.packument(name: item.packageName) {
            // A monorepo package's package.json often lacks repository.directory (npm publish adds it from the
            // workspace); the version's (or, before the first approval, the latest) published manifest has it.
            if facts.repositoryDirectory == nil {
                let published = packument.versions[item.version]
                    ?? packument.distTags["latest"].flatMap { packument.versions[$0] }
                if let repository = published?.repository, let directory = repository.directory {
                    facts.repositoryDirectory = directory
                    if facts.repositoryURL == nil { facts.repositoryURL = repository.url }
                }
            }
            facts.earlierVersionsWithProvenance = packument.versions.filter { version, manifest in
                manifest.dist.attestations?.provenance != nil && SemVer.precedes(version, item.version)
            }.keys.sorted(by: SemVer.precedes)
        }
        return FetchedEvidence(
            origin: .staged(id: item.id), facts: facts, tarball: tarball,
            tarballURL: client.configuration.registry.absoluteString + "-/stage/\(item.id)/tarball", originChecks: checks)
    }

    static func outcome(_ verdict: ComparisonVerdict) -> RebuildOutcome {
        switch verdict {
        case .exact: .identical
        case .tarIdentical: .identicalTar
        case .contentIdentical: .sameContent
        default: .different
        }
    }

    /// The differences a maintainer must see, one per line (install scripts and package.json first).
    static func differences(_ report: ComparisonReport) -> [String] {
        var lines: [String] = []
        for script in report.highlights.installScripts {
            lines.append("install script \(script.name) \(script.change.rawValue): \(script.a ?? "(none)") → \(script.b ?? "(none)")")
        }
        for field in report.highlights.packageJSONFields {
            lines.append("package.json \(field.field): \(field.a) → \(field.b)")
        }
        for file in report.filesOnlyInB { lines.append("only in the staged tarball (not produced by the tag): \(file.path) (\(file.size) bytes, sha512 \(file.sha512.prefix(16))…)") }
        for file in report.filesOnlyInA { lines.append("missing from the staged tarball: \(file.path)") }
        for file in report.changed {
            lines.append("content differs: \(file.path)" + (file.diff.map { "\n" + $0 } ?? file.note.map { " (\($0))" } ?? ""))
        }
        if lines.isEmpty { lines.append(report.summary) }
        return lines
    }

    struct ManifestProblem: Error { var message: String }

    static func readManifest(_ tarball: URL) -> Result<RawJSON, ManifestProblem> {
        do {
            let reader = try TarballReader(fileAt: tarball)
            while let item = try reader.next() {
                guard item.entry.pathInPackage == "package.json" else { continue }
                guard let content = item.content, let json = try? RawJSON(parsing: content), json.objectValue != nil else {
                    return .failure(ManifestProblem(message: "the staged tarball's package.json is not a JSON object"))
                }
                return .success(json)
            }
            return .failure(ManifestProblem(message: "the staged tarball has no package/package.json"))
        } catch {
            return .failure(ManifestProblem(message: "the staged tarball cannot be read: \(error)"))
        }
    }
}

/// The trust stage of a staged publish: the registry signs a version and makes its publish attestation only when
/// the stage is approved, so those checks do not apply; provenance comes from the bundle CI attached to the stage
/// request (`--bundle`), verified against the staged tarball's sha512 like any registry attestation.
struct StagedBundleTrust: TrustVerifying {
    /// A provenance bundle file.
    struct Bundle: Sendable {
        /// Its path (for evidence).
        var path: String
        /// Its bytes.
        var data: Data
    }

    var verifier: RegistryTrustVerifier
    var bundle: Bundle?

    func verify(packument facts: PackumentFacts, document: PackumentDocument?, attestations: Data?, attestationsURL: String?,
                keys: Data?, tarballSHA512Hex: String?) async -> TrustOutcome {
        let signatures = Check.notApplicable(.trustSignatures, "Registry signatures",
                                             reason: "the registry signs a staged publish only when it is approved")
        let publish = Check.notApplicable(.trustPublishAttestation, "Publish attestation",
                                          reason: "the registry attests a staged publish only when it is approved")
        guard let bundle else {
            return TrustOutcome(
                signatures: signatures, publishAttestation: publish,
                // Like a published version whose packument announces no provenance: a policy that requires it
                // (explicitly, or because earlier versions had it) fails; pass --bundle.
                provenance: .notApplicable(.trustProvenance, "Provenance attestation",
                                           reason: "no --bundle given (the registry has no endpoint serving a staged "
                                               + "publish's attestations): the staged version counts as having no provenance"),
                identity: nil, publishAttestationVerified: false, provenanceInvalid: false)
        }
        let integrity = "sha512-" + Data(DigestEncoding.bytes(fromHex: tarballSHA512Hex ?? "") ?? []).base64EncodedString()
        let envelopes = Self.provenanceEnvelopes(bundle)
        let evidence = PackageVersionEvidence(
            name: facts.name, version: facts.version, integrity: integrity, publishTime: nil, signatures: [],
            attestations: .init(url: bundle.path, provenancePredicateType: envelopes.first?.predicateType
                                    ?? AttestationPredicate.slsaProvenanceV1.rawValue), npmUser: nil)
        let report = verifier.verify(
            evidence, keys: .registryHasNoKeys(source: "staged publish (no registry signature before approval)"),
            attestations: .fetched(envelopes))
        var outcome = NPMTrustStage.outcome(report, announced: true)
        outcome.signatures = signatures
        outcome.publishAttestation = publish
        outcome.publishAttestationVerified = false
        outcome.provenance.evidence["bundle"] = bundle.path
        outcome.report = report
        return outcome
    }
}

extension StagedBundleTrust {
    /// The provenance envelopes in a `--bundle` file: a single Sigstore bundle (SLSA provenance v1, what CI
    /// attaches to a stage request), or an npm attestations response (`{"attestations": [...]}`, as the registry
    /// serves it, read by the registry model's ``AttestationsResponse``), whose provenance entries keep their
    /// listed predicate type (the publish attestation is the registry's, made on approval, so it is left out).
    static func provenanceEnvelopes(_ bundle: Bundle) -> [AttestationEnvelope] {
        if let response = try? AttestationsResponse.decode(bundle.data, from: URL(fileURLWithPath: bundle.path)) {
            return response.attestations.compactMap { entry in
                guard entry.predicateType != AttestationPredicate.npmPublishV01.rawValue else { return nil }
                return AttestationEnvelope(predicateType: entry.predicateType, bundle: entry.bundleJSON)
            }
        }
        return [AttestationEnvelope(predicateType: AttestationPredicate.slsaProvenanceV1.rawValue, bundle: bundle.data)]
    }
}

/// Records a staged tarball's sha512 in a watch state file, so `provcheck watch` reports
/// ``WatchFindingCode/stagedIntegrityMismatch`` if the version is published with another `dist.integrity`.
public enum StagedPinRecorder {
    /// Adds (or replaces) the pin for the result's package and version in the state at `url` (created when
    /// missing), written atomically.
    public static func record(_ result: StagedCheckResult, in url: URL, at time: Date = Date()) throws {
        var state = try WatchState.load(contentsOf: url)
        var package = state.packages[result.item.packageName] ?? PackageState(lastChecked: Date(timeIntervalSince1970: 0))
        package.stagedPins[result.item.version] = StagedPin(stageID: result.item.id, sha512: result.sha512, recordedAt: time)
        state.packages[result.item.packageName] = package
        try state.write(to: url)
    }
}
