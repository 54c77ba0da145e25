import Digest
import Foundation

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

    /// Runs the pipeline.
    /// - Throws: ``VerificationError`` when nothing can be verified (registry unreachable, no such version, no tarball).
    public func verify(_ request: VerificationRequest) async throws -> VerificationResult {
        let spec = request.spec
        // 1. Registry.
        let packumentData: Data
        do {
            packumentData = try await registry.packument(name: spec.name)
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.registry(url: registry.baseURL.absoluteString + spec.name, problem: "\(error)")
        }
        let facts = try PackumentFacts.parse(
            packument: packumentData, version: spec.version,
            source: registry.baseURL.absoluteString + spec.name.replacingOccurrences(of: "/", with: "%2f"))
        guard let tarballURL = facts.tarballURL else {
            throw VerificationError.malformedPackument(source: spec.name, problem: "version \(spec.version) has no dist.tarball")
        }
        let attestationsURL = facts.attestationsURL.map { Self.onRegistry($0, base: registry.baseURL) }
        let override = request.tarballOverride
        async let tarballFetch = override == nil ? fetchRequired(tarballURL) : override!
        async let attestationsFetch = fetchOptional(attestationsURL)
        async let keysFetch = fetchKeys()
        let tarball = try await tarballFetch
        let attestations = await attestationsFetch
        let keys = await keysFetch

        let digests = hasher.sha512AndSHA1Hex(tarball)
        var checks = [Check]()
        checks.append(integrityCheck(facts, sha512: digests.sha512, sha1: digests.sha1, tarball: tarball))
        checks.append(shasumCheck(facts, sha1: digests.sha1))

        // 2. Archive findings and trust, concurrently.
        async let findingsTask = archiveCheck(tarball)
        async let trustTask = trust.verify(
            packument: facts, packumentData: packumentData, attestations: attestations.data,
            attestationsURL: attestationsURL, keys: keys.data, tarballSHA512Hex: digests.sha512)
        checks.append(await findingsTask)
        var outcome = await trustTask
        if let problem = attestations.problem {
            outcome.publishAttestation.reasons.append(problem)
            outcome.provenance.reasons.append(problem)
        }
        if let problem = keys.problem { outcome.signatures.reasons.append(problem) }
        checks += [outcome.signatures, outcome.publishAttestation, outcome.provenance]

        // 3 + 4. Source and rebuild.
        let sourceResult: SourceStageResult
        if request.scope == .full {
            sourceResult = await sourceChecks(request, facts: facts, identity: outcome.identity, tarball: tarball)
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

        // 5. Policy.
        let input = PolicyInput(
            name: spec.name, version: spec.version, provenance: outcome.identity,
            provenanceInvalid: outcome.provenanceInvalid,
            provenanceUncheckedReason: outcome.provenance.status.isSkipped ? outcome.provenance.status.reason : nil,
            publishAttestationPresent: outcome.publishAttestationVerified, packumentRepository: facts.repositoryURL,
            earlierVersionsWithProvenance: facts.earlierVersionsWithProvenance,
            rebuildOutcome: sourceResult.rebuildOutcome, sourceCommit: sourceResult.commit,
            branchesContainingCommit: sourceResult.branches, sourceNotRequested: sourceResult.notRequested)
        checks += request.policy.policy.evaluate(input)

        let verdict = Verdict(
            subject: VerdictSubject(name: spec.name, version: spec.version, integrity: facts.integrity,
                                    sha512Hex: digests.sha512, tarballURL: tarballURL),
            checks: checks, strictness: request.strictness)
        return VerificationResult(verdict: verdict, inputAttestations: outcome.inputAttestations)
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

    private func fetchRequired(_ url: String) async throws -> Data {
        do {
            guard let data = try await registry.fetch(url) else {
                throw VerificationError.registry(url: url, problem: "404 Not Found (the tarball the packument names is missing)")
            }
            return data
        } catch let error as VerificationError {
            throw error
        } catch {
            throw VerificationError.registry(url: url, problem: "\(error)")
        }
    }

    private func fetchOptional(_ url: String?) async -> (data: Data?, problem: String?) {
        guard let url else { return (nil, nil) }
        do {
            let data = try await registry.fetch(url)
            return (data, data == nil ? "the packument announces attestations, but \(url) answered 404" : nil)
        } catch {
            return (nil, "fetching \(url) failed: \(error)")
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

    /// Checks the tarball against `dist.integrity` with the `Digest` module's SRI rules: the strongest algorithm
    /// present is the one checked (a second hash of the same algorithm may match), unknown algorithms are ignored,
    /// a malformed string fails.
    private func integrityCheck(_ facts: PackumentFacts, sha512: String, sha1: String, tarball: Data) -> Check {
        let title = "Registry integrity"
        var evidence = ["tarballSHA512": sha512]
        guard let integrity = facts.integrity else {
            return .skipped(.registryIntegrity, title, reason: "the packument gives no dist.integrity", evidence: evidence)
        }
        evidence["integrity"] = integrity
        let parsed: Integrity
        do {
            parsed = try Integrity(integrity)
        } catch {
            return .fail(.registryIntegrity, title, evidence: evidence,
                         reasons: ["dist.integrity is not a valid SRI string: \(error)"])
        }
        var known: [HashAlgorithm: [UInt8]] = [:]
        known[.sha512] = DigestEncoding.bytes(fromHex: sha512)
        known[.sha1] = DigestEncoding.bytes(fromHex: sha1)
        var digests = DigestSet(known)
        if digests[parsed.strongestAlgorithm] == nil {
            digests = Hashing.digests(of: tarball, algorithms: [parsed.strongestAlgorithm])
        }
        let check = parsed.verify(digests)
        evidence["algorithm"] = check.algorithm.rawValue
        if check.ok { return .pass(.registryIntegrity, title, evidence: evidence) }
        return .fail(.registryIntegrity, title, evidence: evidence,
                     reasons: ["the tarball's \(check.algorithm.rawValue) is \(check.actual ?? "?"), dist.integrity says \(check.expected)"])
    }

    private func shasumCheck(_ facts: PackumentFacts, sha1: String) -> Check {
        let title = "Registry shasum"
        var evidence = ["tarballSHA1": sha1]
        guard let shasum = facts.shasum else {
            return .skipped(.registryShasum, title, reason: "the packument gives no dist.shasum", evidence: evidence)
        }
        evidence["shasum"] = shasum
        return shasum.lowercased() == sha1
            ? .pass(.registryShasum, title, evidence: evidence)
            : .fail(.registryShasum, title, evidence: evidence,
                    reasons: ["the tarball's sha1 is \(sha1), dist.shasum says \(shasum)"])
    }

    private func archiveCheck(_ tarball: Data) async -> Check {
        let title = "Archive structure"
        guard let inspector else {
            return .skipped(.archiveFindings, title, reason: "archive inspection is not available in this build")
        }
        do {
            let findings = try await inspector.findings(in: tarball)
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
        var tags = ["v\(version)", version, "\(name)@\(version)", "\(name)-v\(version)"]
        if name.hasPrefix("@"), let slash = name.firstIndex(of: "/") {
            let bare = name[name.index(after: slash)...]
            tags += ["\(bare)@\(version)", "\(bare)-v\(version)"]
        }
        return tags
    }

    private func sourceChecks(
        _ request: VerificationRequest, facts: PackumentFacts, identity: ProvenanceIdentity?, tarball: Data
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
                            reasons: ["commit \(commit) named by the \(commitFrom) does not exist in \(repository.location) "
                                + "(never pushed, or history rewritten)"]))
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
            return SourceStageResult(checks: checks)
        }
        let comparison: RebuildComparison
        do {
            comparison = try await rebuilder.rebuildAndCompare(
                repository: repository, commit: commit, directory: facts.repositoryDirectory,
                npmVersion: facts.npmVersion, nodeVersion: facts.nodeVersion, registryTarball: tarball,
                context: RebuildContext(workflowPath: commitFrom == "provenance" ? identity?.workflowPath : nil))
        } catch {
            checks.append(.skipped(.rebuildCompare, rebuildTitle, reason: "the rebuild did not complete: \(error)"))
            return SourceStageResult(checks: checks, commit: commit, branches: branches)
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
        return SourceStageResult(checks: checks, rebuildOutcome: comparison.outcome, commit: commit, branches: branches)
    }

    struct SourceStageResult {
        var checks: [Check]
        var rebuildOutcome: RebuildOutcome?
        var commit: String?
        var branches: [String]?
        var notRequested = false
    }
}
