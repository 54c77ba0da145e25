import Configuration
import Digest
import Foundation
import JSON
import Packing
import Registry

/// Verifies one package version end to end and returns a ``Verdict``:
///
/// 1. registry: packument, tarball, attestations and keys (fetched concurrently); integrity, shasum, archive findings;
/// 2. trust: registry signatures, publish attestation, provenance;
/// 3. source: repository and commit from the verified provenance, else the packument's `repository` and `gitHead`,
///    else `--source`/`--ref`; the version's tag must exist and point at that commit; the commit must exist;
/// 4. rebuild at the commit with the publishing npm generation, compare, list files not in source separately;
/// 5. policy.
///
/// Every stage is a seam (``RegistryAccess``, ``TrustVerifying``, ``SourceOpening``, ``Rebuilding``,
/// ``ArchiveInspecting``, ``TarballHashing``), so tests drive the orchestration with fakes and the CLI plugs in the
/// real modules. The pipeline never prints; an error before a verdict exists is a ``VerificationError``.
public struct VerificationPipeline: Sendable {
    /// Registry access.
    public var registry: any RegistryAccess
    /// Signature and attestation verification.
    public var trust: any TrustVerifying
    /// Source repositories.
    public var sources: any SourceOpening
    /// Rebuild and compare.
    public var rebuilder: any Rebuilding
    /// Archive inspection (`nil`: `archive.findings` is skipped).
    public var inspector: (any ArchiveInspecting)?
    /// Hashing.
    public var hasher: any TarballHashing

    /// Makes a pipeline from its stages.
    public init(registry: any RegistryAccess, trust: any TrustVerifying, sources: any SourceOpening,
                rebuilder: any Rebuilding, inspector: (any ArchiveInspecting)?, hasher: any TarballHashing) {
        self.registry = registry
        self.trust = trust
        self.sources = sources
        self.rebuilder = rebuilder
        self.inspector = inspector
        self.hasher = hasher
    }

    /// Runs the pipeline: the fetch stage (``fetch(_:)``), then every check stage (``evaluate(_:request:)``).
    /// - Throws: ``VerificationError`` when nothing can be verified (registry unreachable, no such version, no tarball).
    public func verify(_ request: VerificationRequest) async throws -> VerificationResult {
        let evidence = try await fetch(request)
        return await evaluate(evidence, request: request)
    }

    /// The fetch stage for a published version: the packument (parsed once into ``PackumentFacts``), then the
    /// tarball (or ``VerificationRequest/tarballOverride``), the attestations and the registry keys, concurrently.
    /// - Throws: ``VerificationError`` when the packument, the version or the tarball cannot be had.
    public func fetch(_ request: VerificationRequest) async throws -> FetchedEvidence {
        let spec = request.spec
        let progress = request.progress
        let packumentData: Data
        progress?(.started(stage: "fetch", detail: "packument of \(spec.name)"))
        do {
            packumentData = try await registry.packument(name: spec.name)
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.registry(url: registry.baseURL.absoluteString + spec.name, problem: "\(error)")
        }
        let source = registry.baseURL.absoluteString + spec.name.replacingOccurrences(of: "/", with: "%2f")
        // The packument is parsed once: the facts and the Registry model both read this document.
        let document = try Self.parseDocument(packumentData, source: source)
        let facts = try PackumentFacts.parse(document: document, version: spec.version, source: source)
        let packument = Self.model(document, source: source, raw: packumentData)
        guard let tarballURL = facts.tarballURL else {
            throw VerificationError.malformedPackument(source: spec.name, problem: "version \(spec.version) has no dist.tarball")
        }
        let attestationsURL = facts.attestationsURL.map { Self.onRegistry($0, base: registry.baseURL) }
        let override = request.tarballOverride
        let folder = registry.temporaryFolder
        let destination = try Self.temporaryTarball(in: folder, url: tarballURL)
        async let tarballFetch = override == nil ? fetchRequired(tarballURL, into: destination, progress: progress)
            : try TarballFile.holding(override!, in: folder)
        async let attestationsFetch = fetchOptional(attestationsURL)
        async let keysFetch = fetchKeys()
        if override == nil { progress?(.started(stage: "fetch", detail: tarballURL)) }
        let fetchStart = Date()
        let tarball = try await tarballFetch
        if override == nil {
            progress?(.transferred(stage: "fetch", detail: tarballURL, bytes: (try? FileManager.default.attributesOfItem(atPath: tarball.url.path)[.size] as? Int) ?? 0,
                                   seconds: Date().timeIntervalSince(fetchStart)))
        }
        let attestations = await attestationsFetch
        let keys = await keysFetch
        return FetchedEvidence(
            origin: .registry, facts: facts, packument: packument, tarball: tarball, tarballURL: tarballURL,
            attestations: attestations.data, attestationsURL: attestationsURL, attestationsProblem: attestations.problem,
            attestationsUnreachable: attestations.unreachable, keys: keys.data, keysProblem: keys.problem)
    }

    /// The trust-only configuration (`provcheck attestations`): the packument (a version or a dist-tag, default
    /// `latest`), the attestations and the registry keys — no tarball — through the same trust stage `verify` runs.
    /// - Throws: ``VerificationError`` when the packument or the version cannot be had.
    public func verifyTrust(name: String, versionOrTag: String?) async throws -> (facts: PackumentFacts, outcome: TrustOutcome) {
        let source = registry.baseURL.absoluteString + name.replacingOccurrences(of: "/", with: "%2f")
        let packumentData: Data
        do {
            packumentData = try await registry.packument(name: name)
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.registry(url: source, problem: "\(error)")
        }
        let document = try Self.parseDocument(packumentData, source: source)
        let version = try PackumentFacts.resolve(versionOrTag, document: document, source: source)
        let facts = try PackumentFacts.parse(document: document, version: version, source: source)
        let attestationsURL = facts.attestationsURL.map { Self.onRegistry($0, base: registry.baseURL) }
        async let attestationsFetch = fetchOptional(attestationsURL)
        async let keysFetch = fetchKeys()
        let attestations = await attestationsFetch
        let keys = await keysFetch
        var outcome = await trust.verify(
            packument: facts, document: Self.model(document, source: source, raw: packumentData), attestations: attestations.data,
            attestationsURL: attestationsURL, keys: keys.data, tarballSHA512Hex: nil)
        outcome.noteFetchProblems(attestations: attestations.problem, attestationsUnreachable: attestations.unreachable,
                                  keys: keys.problem)
        return (facts, outcome)
    }

    /// Every check stage over fetched evidence, in order: integrity → archive → trust → source → rebuild → policy →
    /// verdict. Commands differ only in the evidence they fetch (registry, staged endpoint) and the stages they
    /// configure; the checks, their ids and their pass rules are the same for all.
    public func evaluate(_ evidence: FetchedEvidence, request: VerificationRequest) async -> VerificationResult {
        let spec = request.spec
        let facts = evidence.facts
        let tarball = evidence.tarball.url
        let digests: (sha512: String, sha1: String)
        do { digests = try hasher.sha512AndSHA1Hex(fileAt: tarball) } catch { digests = ("", "") }
        var checks = evidence.originChecks
        // Integrity.
        switch evidence.origin {
        case .registry:
            checks.append(integrityCheck(facts, sha512: digests.sha512, sha1: digests.sha1, tarball: tarball))
            checks.append(shasumCheck(facts, sha1: digests.sha1))
        case .staged:
            let reason = "a staged publish has no dist.integrity or dist.shasum until it is approved (staged.shasum "
                + "checks the stage item's sha1)"
            checks.append(.notApplicable(.registryIntegrity, "Registry integrity", reason: reason))
            checks.append(.notApplicable(.registryShasum, "Registry shasum", reason: reason))
        }

        // Archive findings and trust, concurrently.
        async let findingsTask = archiveCheck(tarball)
        async let trustTask = trust.verify(
            packument: facts, document: evidence.packument, attestations: evidence.attestations,
            attestationsURL: evidence.attestationsURL, keys: evidence.keys, tarballSHA512Hex: digests.sha512)
        checks.append(await findingsTask)
        var outcome = await trustTask
        outcome.noteFetchProblems(attestations: evidence.attestationsProblem,
                                  attestationsUnreachable: evidence.attestationsUnreachable, keys: evidence.keysProblem)
        checks += [outcome.signatures, outcome.publishAttestation, outcome.provenance]

        // Source and rebuild.
        let sourceResult: SourceStageResult
        if request.scope == .full {
            sourceResult = await sourceChecks(request, facts: facts, identity: outcome.identity, tarball: tarball,
                                              origin: evidence.origin)
        } else {
            let reason = "source and rebuild checks were not requested"
            sourceResult = SourceStageResult(checks: [
                .notApplicable(.sourceTag, "Version tag exists", reason: reason),
                .notApplicable(.sourceCommitExists, "Source commit exists", reason: reason),
                .notApplicable(.sourceTagMatchesProvenance, "Tag points at the provenance commit", reason: reason),
                .notApplicable(.rebuildCompare, "Rebuild matches the registry tarball", reason: reason),
            ], notRequested: true)
        }
        checks += sourceResult.checks

        // Policy.
        let input = PolicyInput(
            name: spec.name, version: spec.version, provenance: outcome.identity,
            provenanceInvalid: outcome.provenanceInvalid,
            provenanceUncheckedReason: outcome.provenance.status.isSkipped ? outcome.provenance.status.reason : nil,
            publishAttestationPresent: outcome.publishAttestationVerified, packumentRepository: facts.repositoryURL,
            earlierVersionsWithProvenance: facts.earlierVersionsWithProvenance,
            rebuildOutcome: sourceResult.rebuildOutcome, sourceCommit: sourceResult.commit,
            branchesContainingCommit: sourceResult.branches, sourceNotRequested: sourceResult.notRequested)
        checks += request.policy.policy.evaluate(input)

        let integrity: String?
        switch evidence.origin {
        case .registry: integrity = facts.integrity
        case .staged: integrity = "sha512-" + Data(DigestEncoding.bytes(fromHex: digests.sha512) ?? []).base64EncodedString()
        }
        let verdict = Verdict(
            subject: VerdictSubject(name: spec.name, version: spec.version, integrity: integrity,
                                    sha512Hex: digests.sha512, tarballURL: evidence.tarballURL),
            checks: checks, strictness: request.strictness)
        return VerificationResult(verdict: verdict, inputAttestations: outcome.inputAttestations,
                                  sha1Hex: digests.sha1, tag: sourceResult.tag, commit: sourceResult.commit,
                                  rebuild: sourceResult.comparison, trustReport: outcome.report)
    }

    /// Parses a packument with provcheck's JSON parser.
    static func parseDocument(_ data: Data, source: String) throws -> RawJSON {
        do { return try RawJSON(parsing: data) } catch {
            throw VerificationError.malformedPackument(source: source, problem: "\(error)")
        }
    }

    /// The `Registry` module's model of an already parsed packument.
    static func model(_ document: RawJSON, source: String, raw: Data) -> PackumentDocument {
        let url = URL(string: source) ?? URL(fileURLWithPath: "packument")
        do { return .success(try Packument.decode(document: document, from: url, raw: raw)) } catch { return .failure(error) }
    }

    /// The path (and query) of an absolute URL, on the configured registry (never the host a packument names).
    static func onRegistry(_ announced: String, base: URL) -> String {
        guard let components = URLComponents(string: announced), !components.percentEncodedPath.isEmpty else {
            return announced
        }
        var prefix = base.absoluteString
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let path = components.percentEncodedPath.hasPrefix("/") ? components.percentEncodedPath : "/" + components.percentEncodedPath
        return prefix + path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// Streams the tarball to a file in `folder` (the registry cache's temporary folder when there is one).
    /// A fresh owned file for the tarball at `url` (created before the download, so progress can follow it).
    private static func temporaryTarball(in folder: URL?, url: String) throws -> TarballFile {
        do { return try TarballFile.temporary(in: folder) } catch {
            throw VerificationError.registry(url: url, problem: "cannot create a file for the tarball: \(error)")
        }
    }

    private func fetchRequired(_ url: String, into file: TarballFile, progress: ProgressHandler?) async throws -> TarballFile {
        do {
            let receiving: @Sendable (URL) -> Void = { progress?(.downloading(stage: "fetch", detail: url, file: $0)) }
            guard try await registry.downloadTarball(url, to: file.url, receiving: receiving) else {
                throw VerificationError.registry(url: url, problem: "404 Not Found (the tarball the packument names is missing)")
            }
            return file
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.registry(url: url, problem: "\(error)")
        }
    }

    /// The attestations: `data` nil with a problem for a 404 (absent), `unreachable` for a fetch that failed.
    private func fetchOptional(_ url: String?) async -> (data: Data?, problem: String?, unreachable: Bool) {
        guard let url else { return (nil, nil, false) }
        do {
            let data = try await registry.fetch(url)
            return (data, data == nil ? "the packument announces attestations, but \(url) answered 404" : nil, false)
        } catch {
            return (nil, "cannot fetch the attestations: \(error)", true)
        }
    }

    private func fetchKeys() async -> (data: Data?, problem: String?) {
        do {
            return (try await registry.keys(), nil)
        } catch {
            return (nil, "fetching the registry keys failed: \(error)")
        }
    }

    // MARK: Registry checks

    /// `registry.integrity`: the tarball against `dist.integrity` (``DistDigestRule``, shared with `integrity`).
    private func integrityCheck(_ facts: PackumentFacts, sha512: String, sha1: String, tarball: URL) -> Check {
        let title = "Registry integrity"
        var evidence = ["tarballSHA512": sha512]
        guard let integrity = facts.integrity else {
            return .skipped(.registryIntegrity, title, reason: "the packument gives no dist.integrity", evidence: evidence)
        }
        evidence["integrity"] = integrity
        var known: [HashAlgorithm: [UInt8]] = [:]
        known[.sha512] = DigestEncoding.bytes(fromHex: sha512)
        known[.sha1] = DigestEncoding.bytes(fromHex: sha1)
        var digests = DigestSet(known)
        let comparison = DistDigestRule.integrity(integrity, digests: &digests) { try? Hashing.digest(fileAt: tarball, algorithms: $0) }
        if comparison.algorithm != "?" { evidence["algorithm"] = comparison.algorithm }
        return comparison.ok ? .pass(.registryIntegrity, title, evidence: evidence)
            : .fail(.registryIntegrity, title, evidence: evidence, reasons: comparison.reason.map { [$0] } ?? [])
    }

    /// `registry.shasum`: the tarball against `dist.shasum` (``DistDigestRule``, shared with `integrity`).
    private func shasumCheck(_ facts: PackumentFacts, sha1: String) -> Check {
        let title = "Registry shasum"
        var evidence = ["tarballSHA1": sha1]
        guard let shasum = facts.shasum else {
            return .skipped(.registryShasum, title, reason: "the packument gives no dist.shasum", evidence: evidence)
        }
        evidence["shasum"] = shasum
        let digests = DigestSet([.sha1: DigestEncoding.bytes(fromHex: sha1) ?? []])
        let comparison = DistDigestRule.shasum(shasum, digests: digests)
        return comparison.ok ? .pass(.registryShasum, title, evidence: evidence)
            : .fail(.registryShasum, title, evidence: evidence, reasons: comparison.reason.map { [$0] } ?? [])
    }

    private func archiveCheck(_ tarball: URL) async -> Check {
        let title = "Archive structure"
        guard let inspector else {
            return .skipped(.archiveFindings, title, reason: "archive inspection is not available in this build")
        }
        do {
            let findings = try await inspector.findings(inFileAt: tarball)
            let evidence = ["errors": "\(findings.errors.count)", "warnings": "\(findings.warnings.count)"]
            return findings.errors.isEmpty
                ? .pass(.archiveFindings, title, evidence: evidence, reasons: findings.warnings)
                : .fail(.archiveFindings, title, evidence: evidence, reasons: findings.errors + findings.warnings)
        } catch {
            return .fail(.archiveFindings, title, reasons: ["the tarball cannot be read: \(error)"])
        }
    }

    // MARK: Source

    /// The tag names a version may be released under, in the order tried.
    public static func tagCandidates(name: String, version: String) -> [String] {
        GitRepository.tagCandidates(name: name, version: version)
    }

    private func sourceChecks(
        _ request: VerificationRequest, facts: PackumentFacts, identity: ProvenanceIdentity?, tarball: URL,
        origin: FetchedEvidence.Origin
    ) async -> SourceStageResult {
        let spec = request.spec
        // Which commit, named by whom.
        var commit: String?
        var commitFrom: String
        var repositoryURL: String?
        if let identity, let provenanceCommit = identity.commit {
            commit = provenanceCommit
            commitFrom = "provenance"
            repositoryURL = identity.repository
        } else if let gitHead = facts.gitHead {
            commit = gitHead
            commitFrom = "gitHead"
            repositoryURL = facts.repositoryURL
        } else {
            commitFrom = request.ref != nil ? "--ref" : "tag"
            repositoryURL = facts.repositoryURL
        }
        let location = request.source ?? repositoryURL.map { SourceLocator.url(RepositoryURL.normalize($0) ?? $0) }

        func allSkipped(_ reason: String) -> [Check] {
            [
                .skipped(.sourceTag, "Version tag exists", reason: reason),
                .skipped(.sourceCommitExists, "Source commit exists", reason: reason),
                .skipped(.sourceTagMatchesProvenance, "Tag points at the provenance commit", reason: reason),
                .skipped(.rebuildCompare, "Rebuild matches the registry tarball", reason: reason),
            ]
        }
        guard let location else {
            return SourceStageResult(checks: allSkipped("no source repository: neither the provenance nor the packument names one; "
                + "pass --source PATH|URL (and --ref REF)"))
        }
        let repository: any SourceRepository
        request.progress?(.started(stage: "clone", detail: "\(location)"))
        do {
            repository = try await sources.open(location, offline: request.offline)
        } catch {
            return SourceStageResult(checks: allSkipped("cannot open the source repository \(location): \(error)"))
        }

        var checks = [Check]()
        // The version's tag.
        var tag: String?
        var tagCommit: String?
        var lookupProblem: String?
        var candidates = Self.tagCandidates(name: spec.name, version: spec.version)
        // The tag the provenance was built from comes first (monorepos use their own tag names).
        if commitFrom == "provenance", let ref = identity?.ref, ref.hasPrefix("refs/tags/") {
            let provenanceTag = String(ref.dropFirst("refs/tags/".count))
            candidates.removeAll { $0 == provenanceTag }
            candidates.insert(provenanceTag, at: 0)
        }
        for candidate in candidates {
            do {
                if let c = try await repository.commit(forTag: candidate) {
                    tag = candidate
                    tagCommit = c
                    break
                }
            } catch {
                lookupProblem = "reading tag \(candidate) failed: \(error)"
                break
            }
        }
        if let tag, let tagCommit {
            checks.append(.pass(.sourceTag, "Version tag exists",
                                evidence: ["tag": tag, "tagCommit": tagCommit, "repository": repository.location]))
        } else if let lookupProblem {
            checks.append(.skipped(.sourceTag, "Version tag exists", reason: lookupProblem))
        } else {
            checks.append(.fail(.sourceTag, "Version tag exists", evidence: ["repository": repository.location],
                                reasons: ["no tag " + candidates.joined(separator: ", ") + " in \(repository.location)"]))
        }

        // Which commit, when neither provenance nor gitHead names one.
        if commit == nil, let ref = request.ref {
            do {
                commit = try await repository.resolve(ref: ref)
                if commit == nil {
                    checks.append(.fail(.sourceCommitExists, "Source commit exists",
                                        reasons: ["--ref \(ref) does not resolve in \(repository.location)"]))
                }
            } catch {
                checks.append(.skipped(.sourceCommitExists, "Source commit exists", reason: "resolving --ref \(ref) failed: \(error)"))
            }
        } else if commit == nil {
            commit = tagCommit
        }

        // The commit exists.
        var commitExists = false
        var branches: [String]?
        if let commit, !checks.contains(where: { $0.id == .sourceCommitExists }) {
            do {
                commitExists = try await repository.commitExists(commit)
                var evidence = ["commit": commit, "commitFrom": commitFrom, "repository": repository.location]
                if commitExists {
                    branches = try? await repository.branches(containing: commit)
                    evidence["branches"] = branches.map { $0.isEmpty ? "(none)" : $0.joined(separator: ", ") } ?? "(unknown)"
                }
                checks.append(commitExists
                    ? .pass(.sourceCommitExists, "Source commit exists", evidence: evidence)
                    : .fail(.sourceCommitExists, "Source commit exists", evidence: evidence,
                            reasons: [Self.missingCommitReason(commit: commit, commitFrom: commitFrom, in: repository.location,
                                                               userSource: request.source, namedRepository: repositoryURL)]))
            } catch {
                checks.append(.skipped(.sourceCommitExists, "Source commit exists", reason: "looking up \(commit) failed: \(error)"))
            }
        } else if commit == nil, !checks.contains(where: { $0.id == .sourceCommitExists }) {
            checks.append(.skipped(.sourceCommitExists, "Source commit exists",
                                   reason: "no commit: no provenance, no gitHead, no tag and no --ref"))
        }

        // The tag points at the named commit.
        let matchTitle = "Tag points at the provenance commit"
        if commitFrom == "provenance" || commitFrom == "gitHead", let commit {
            if let tag, let tagCommit {
                let evidence = ["tag": tag, "tagCommit": tagCommit, "commit": commit, "commitFrom": commitFrom]
                checks.append(tagCommit.lowercased() == commit.lowercased()
                    ? .pass(.sourceTagMatchesProvenance, matchTitle, evidence: evidence)
                    : .fail(.sourceTagMatchesProvenance, matchTitle, evidence: evidence,
                            reasons: ["tag \(tag) points at \(tagCommit), but the \(commitFrom) names \(commit) "
                                + "(the tag was moved after the release, or the release was not built from it)"]))
            } else if let lookupProblem {
                checks.append(.skipped(.sourceTagMatchesProvenance, matchTitle, reason: lookupProblem))
            } else {
                checks.append(.notApplicable(.sourceTagMatchesProvenance, matchTitle,
                                             reason: "no tag for the version (source.tag fails)"))
            }
        } else {
            checks.append(.notApplicable(.sourceTagMatchesProvenance, matchTitle,
                                         reason: "neither provenance nor gitHead names a commit"))
        }

        // Rebuild.
        let rebuildTitle = "Rebuild matches the registry tarball"
        guard let commit, commitExists else {
            checks.append(.skipped(.rebuildCompare, rebuildTitle, reason: "no source commit to rebuild"))
            return SourceStageResult(checks: checks, commit: commit, branches: branches, tag: tag)
        }
        let comparison: RebuildComparison
        request.progress?(.started(stage: "rebuild", detail: "\(commit.prefix(12)) and compare with the registry tarball"))
        defer { request.progress?(.finished(stage: "rebuild")) }
        do {
            comparison = try await rebuilder.rebuildAndCompare(
                repository: repository, commit: commit, directory: facts.repositoryDirectory,
                npmVersion: facts.npmVersion, nodeVersion: facts.nodeVersion, registryTarballFile: tarball,
                context: RebuildContext(workflowPath: commitFrom == "provenance" ? identity?.workflowPath : nil))
        } catch {
            checks.append(.skipped(.rebuildCompare, rebuildTitle, reason: "the rebuild did not complete: \(error)"))
            return SourceStageResult(checks: checks, commit: commit, branches: branches, tag: tag)
        }
        var evidence = ["commit": commit, "outcome": comparison.outcome.rawValue,
                        "publisherNPM": facts.npmVersion ?? "unknown (packument has no _npmVersion)"]
        if let generation = comparison.generation { evidence["npmGeneration"] = generation }
        if let directory = facts.repositoryDirectory { evidence["directory"] = directory }
        if let rebuilt = comparison.rebuiltSHA512Hex { evidence["rebuiltSHA512"] = rebuilt }
        evidence.merge(comparison.buildEvidence) { _, build in build }
        var reasons = [String]()
        if !comparison.contentDiffers.isEmpty {
            reasons.append("content differs: " + comparison.contentDiffers.joined(separator: ", "))
        }
        if !comparison.onlyInRebuild.isEmpty {
            reasons.append("only in the rebuild (missing from the registry tarball): "
                + comparison.onlyInRebuild.joined(separator: ", "))
        }
        reasons += comparison.notes
        checks.append(comparison.outcome == .different
            ? .fail(.rebuildCompare, rebuildTitle, evidence: evidence, reasons: reasons)
            : .pass(.rebuildCompare, rebuildTitle, evidence: evidence, reasons: reasons))
        let notInSourceTitle = "Files not in source"
        if comparison.onlyInRegistry.isEmpty {
            checks.append(.notApplicable(.rebuildNotInSource, notInSourceTitle,
                                         reason: "every file of the registry tarball is produced by the source"))
        } else {
            checks.append(.skipped(
                .rebuildNotInSource, notInSourceTitle,
                reason: comparison.notInSourceReason
                    ?? "\(comparison.onlyInRegistry.count) file(s) of the registry tarball are not in the source at "
                    + "the commit (build output?): the rebuild cannot verify them",
                evidence: ["files": comparison.onlyInRegistry.joined(separator: ", ")],
                reasons: comparison.onlyInRegistry.map { "not in source: \($0)" }))
        }
        return SourceStageResult(checks: checks, rebuildOutcome: comparison.outcome, commit: commit, branches: branches,
                                 tag: tag, comparison: comparison)
    }

    /// Why a commit is missing from the source. When the user's `--source` is another repository than the one the
    /// provenance (or packument) names, that is said plainly, not "history rewritten".
    static func missingCommitReason(commit: String, commitFrom: String, in location: String, userSource: SourceLocator?,
                                    namedRepository: String?) -> String {
        let base = "commit \(commit) named by the \(commitFrom) does not exist in \(location)"
        guard let userSource, let namedRepository else { return base + " (never pushed, or history rewritten)" }
        let named = RepositoryURL.normalize(namedRepository) ?? namedRepository
        if case .url(let url) = userSource, let given = RepositoryURL.normalize(url), given.lowercased() != named.lowercased() {
            return base + ": --source \(url) and the \(commitFrom)'s repository \(named) are different repositories"
        }
        return base + ": --source \(userSource) is probably not \(named) (the repository the \(commitFrom) names), "
            + "or a copy without this commit"
    }

    struct SourceStageResult {
        var checks: [Check]
        var rebuildOutcome: RebuildOutcome?
        var commit: String?
        var branches: [String]?
        var notRequested = false
        var tag: String?
        var comparison: RebuildComparison?
    }
}
