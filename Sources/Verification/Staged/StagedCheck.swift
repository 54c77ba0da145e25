import Archive
import Compare
import Digest
import Foundation
import NPMTrust
import Packing
import Registry

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

    /// Makes a request.
    public init(source: String? = nil, ref: String? = nil, bundle: URL? = nil, policy: PolicyDocument = .default) {
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
/// `GET /-/stage/<id>/tarball`; the client's configuration carries the user's auth token):
///
/// 1. download the staged tarball, check its sha1 against the stage item's `shasum`;
/// 2. read its `package.json`: name and version must match the stage item;
/// 3. rebuild from the version's tag (Packing) and compare (Compare) with the staged tarball;
/// 4. verify a provenance bundle when one is given, against the staged tarball's sha512;
/// 5. apply the policy.
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

    /// Checks one staged publish.
    /// - Throws: ``StagedCheckError`` or ``Registry/RegistryError`` when the staged tarball cannot be fetched.
    public func check(_ item: StageItem, request: StagedCheckRequest) async throws -> StagedCheckResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-staged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let staged = folder.appendingPathComponent("staged.tgz")
        try await client.stagedTarball(id: item.id, to: staged)

        // 1. Digests.
        let digests: DigestSet
        do { digests = try Digest.Hashing.digest(fileAt: staged, algorithms: [.sha1, .sha512]) } catch {
            throw StagedCheckError(message: "stage \(item.id): cannot hash the downloaded tarball: \(error)")
        }
        let sha1 = digests.hex(.sha1) ?? ""
        let sha512 = digests.hex(.sha512) ?? ""
        let integrity = digests.sri(.sha512) ?? ""
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

        // 2. package.json.
        let manifest = Self.readManifest(staged)
        let manifestTitle = "Staged package.json names the staged package and version"
        var repositoryURL: String?
        var repositoryDirectory: String?
        switch manifest {
        case .failure(let problem):
            checks.append(.fail(.stagedManifest, manifestTitle, reasons: [problem.message]))
        case .success(let json):
            let name = json["name"] as? String
            let version = json["version"] as? String
            var reasons: [String] = []
            if name != item.packageName { reasons.append("package.json name is \(name ?? "(missing)"), the stage item is for \(item.packageName)") }
            if version != item.version { reasons.append("package.json version is \(version ?? "(missing)"), the stage item is \(item.version)") }
            let evidence = ["name": name ?? "", "version": version ?? ""]
            checks.append(reasons.isEmpty ? .pass(.stagedManifest, manifestTitle, evidence: evidence)
                                          : .fail(.stagedManifest, manifestTitle, evidence: evidence, reasons: reasons))
            switch json["repository"] {
            case let text as String: repositoryURL = text
            case let object as [String: Any]:
                repositoryURL = object["url"] as? String
                repositoryDirectory = object["directory"] as? String
            default: break
            }
        }

        // 3. Rebuild and compare.
        var tag: String?
        var commit: String?
        var comparison: ComparisonReport?
        var rebuildOutcome: RebuildOutcome?
        let rebuildTitle = "Rebuild from the tag matches the staged tarball"
        if let location = request.source ?? repositoryURL.map({ RepositoryURL.normalize($0) ?? $0 }) {
            do {
                let output = folder.appendingPathComponent("rebuilt.tgz")
                let result = try PackRebuilder().rebuild(
                    .git(location: location, ref: request.ref),
                    options: RebuildOptions(directory: repositoryDirectory, name: item.packageName, version: item.version,
                                            expectedIntegrity: integrity, output: output))
                tag = result.tag
                commit = result.commit
                let report = try TarballComparator().compare(output, staged)
                comparison = report
                let outcome = Self.outcome(report.verdict)
                rebuildOutcome = outcome
                var evidence = ["source": location, "outcome": outcome.rawValue, "comparison": report.verdict.rawValue,
                                "rebuiltIntegrity": result.integrity]
                if let tag { evidence["tag"] = tag }
                if let commit { evidence["commit"] = commit }
                checks.append(outcome == .different
                    ? .fail(.rebuildCompare, rebuildTitle, evidence: evidence, reasons: Self.differences(report))
                    : .pass(.rebuildCompare, rebuildTitle, evidence: evidence, reasons: [report.summary]))
            } catch {
                checks.append(.fail(.rebuildCompare, rebuildTitle, evidence: ["source": location],
                                    reasons: ["the rebuild from \(location)\(request.ref.map { " at \($0)" } ?? "") did not complete: \(error)"]))
            }
        } else {
            checks.append(.fail(.rebuildCompare, rebuildTitle,
                                reasons: ["no source repository: the staged package.json names none; pass --source PATH|URL"]))
        }

        // 4. Provenance.
        var identity: ProvenanceIdentity?
        var provenanceInvalid = false
        let provenanceTitle = "Provenance bundle for the staged tarball"
        if let bundle = request.bundle {
            let data: Data
            do { data = try InputFile.read(bundle) } catch {
                throw StagedCheckError(message: "--bundle \(bundle.path): the file \(error.problem)")
            }
            let evidence = PackageVersionEvidence(
                name: item.packageName, version: item.version, integrity: integrity, publishTime: nil, signatures: [],
                attestations: .init(url: bundle.path, provenancePredicateType: Self.slsaProvenanceV1), npmUser: nil)
            let report = trustVerifier.verify(
                evidence, keys: .registryHasNoKeys(source: "staged publish (no registry signature before approval)"),
                attestations: .fetched([AttestationEnvelope(predicateType: Self.slsaProvenanceV1, bundle: data)]))
            if let facts = report.provenance {
                identity = Self.identity(facts)
                checks.append(.pass(.trustProvenance, provenanceTitle, evidence: [
                    "repository": facts.repository ?? "", "workflow": facts.workflowPath ?? "", "ref": facts.ref ?? "",
                    "commit": facts.commit ?? "", "bundle": bundle.path]))
                if let commit, let provenanceCommit = facts.commit, provenanceCommit.lowercased() != commit.lowercased() {
                    checks.append(.fail(.sourceTagMatchesProvenance, "Tag points at the provenance commit",
                                        evidence: ["tag": tag ?? "", "tagCommit": commit, "provenanceCommit": provenanceCommit],
                                        reasons: ["the rebuilt tag \(tag ?? "?") points at \(commit), the provenance was built from \(provenanceCommit)"]))
                }
            } else {
                provenanceInvalid = true
                checks.append(.fail(.trustProvenance, provenanceTitle, evidence: ["bundle": bundle.path],
                                    reasons: report.attestations.map { "\($0.predicateType): \($0.status.rawValue): \($0.reason)" }))
            }
        } else {
            checks.append(Check(id: .trustProvenance, title: provenanceTitle,
                                status: .skipped(reason: "no --bundle given: the registry has no endpoint serving a staged publish's attestations"),
                                required: false))
        }

        // 5. Policy. Without a bundle the staged version counts as having no provenance, so a policy requiring it
        // (explicitly, or because earlier published versions had it) fails: pass --bundle.
        var earlierWithProvenance: [String] = []
        if let packument = try? await client.packument(name: item.packageName) {
            earlierWithProvenance = packument.versions.filter { version, manifest in
                manifest.dist.attestations?.provenance != nil && SemVer.precedes(version, item.version)
            }.keys.sorted(by: SemVer.precedes)
        }
        let input = PolicyInput(
            name: item.packageName, version: item.version, provenance: identity, provenanceInvalid: provenanceInvalid,
            packumentRepository: repositoryURL, earlierVersionsWithProvenance: earlierWithProvenance,
            rebuildOutcome: rebuildOutcome)
        checks += request.policy.policy.evaluate(input)

        let subject = VerdictSubject(name: item.packageName, version: item.version, integrity: integrity, sha512Hex: sha512,
                                     tarballURL: client.configuration.registry.absoluteString + "-/stage/\(item.id)/tarball")
        return StagedCheckResult(item: item, sha512: sha512, integrity: integrity, sha1: sha1, tag: tag, commit: commit,
                                 comparison: comparison, verdict: Verdict(subject: subject, checks: checks))
    }

    static let slsaProvenanceV1 = "https://slsa.dev/provenance/v1"

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

    static func readManifest(_ tarball: URL) -> Result<[String: Any], ManifestProblem> {
        do {
            let reader = try TarballReader(fileAt: tarball)
            while let item = try reader.next() {
                guard item.entry.pathInPackage == "package.json" else { continue }
                guard let content = item.content,
                      let json = (try? JSONSerialization.jsonObject(with: content)) as? [String: Any] else {
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

extension StagedChecker {
    /// The policy's view of NPMTrust's verified provenance facts.
    static func identity(_ facts: ProvenanceFacts) -> ProvenanceIdentity {
        ProvenanceIdentity(repository: facts.repository, repositoryID: facts.repositoryID, ownerID: facts.repositoryOwnerID,
                  workflowPath: facts.workflowPath, ref: facts.ref, commit: facts.commit, trigger: facts.trigger,
                  runnerEnvironment: facts.runnerEnvironment, deploymentEnvironment: facts.environment,
                  builderID: facts.builderID, invocationURI: facts.runInvocationURL)
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
