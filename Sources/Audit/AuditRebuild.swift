import Configuration
import Foundation
import Lockfiles
import Verification

/// How `provcheck audit --rebuild` rebuilds packages.
public struct AuditRebuildOptions: Sendable {
    /// The verification pipeline that reads the source, rebuilds and compares (``VerificationPipeline/standard(_:)``).
    public var pipeline: VerificationPipeline
    /// How many rebuilds run at once (they are CPU- and disk-heavy).
    public var concurrency: Int
    /// Local sources (git repository, bare repository or bundle) by repository URL, used instead of cloning;
    /// keys are compared after ``RepositoryURL/normalize(_:)``.
    public var sources: [String: SourceLocator]
    /// Only local sources and the configured registry: a repository without a local source is skipped.
    public var offline: Bool

    /// Creates options.
    public init(pipeline: VerificationPipeline, concurrency: Int = 2, sources: [String: SourceLocator] = [:],
                offline: Bool = false) {
        self.pipeline = pipeline
        self.concurrency = concurrency
        self.sources = sources
        self.offline = offline
    }

    /// The local source for `repository`, if one was given.
    func source(for repository: String) -> SourceLocator? {
        guard let normalized = RepositoryURL.normalize(repository) else { return nil }
        return sources.first { RepositoryURL.normalize($0.key) == normalized }?.value
    }
}

extension PackageAuditor {
    /// The check ids a rebuild adds to a package's audit.
    static let rebuildCheckIDs: Set<CheckID> = [
        .sourceTag, .sourceCommitExists, .sourceTagMatchesProvenance, .rebuildCompare, .rebuildNotInSource, .policyRebuild,
    ]

    /// The engine's checks of the downloaded tarball that a rebuild adds too (audit without `--rebuild` never
    /// downloads tarballs): the same ids and pass rules as `verify`.
    static let tarballCheckIDs: Set<CheckID> = [.registryIntegrity, .registryShasum, .archiveFindings]

    /// The rebuild outcome of a package audited with `--rebuild`, in one line (`nil` when no rebuild ran for it).
    public static func rebuildSummary(_ package: PackageAudit) -> String? {
        guard let compare = package.checks.first(where: { $0.id == .rebuildCompare }) else { return nil }
        var line: String
        switch compare.status {
        case .pass: line = "rebuilt: \(compare.evidence["outcome"] ?? "pass")"
        case .fail: line = "rebuild differs: " + (compare.reasons.first ?? "fail")
        case .skipped(let reason): line = "rebuild skipped: \(reason)"
        case .notApplicable(let reason): line = "rebuild not applicable: \(reason)"
        }
        if let notInSource = package.checks.first(where: { $0.id == .rebuildNotInSource }), notInSource.status.isSkipped {
            line += "; not verified: \(notInSource.status.reason ?? "files not in source")"
        }
        return line
    }

    /// Rebuilds every registry package version the audit could read (each version once, bounded concurrency)
    /// through the engine, which picks the repository as `verify` does (verified provenance, else the packument's
    /// `repository`), and adds the tarball, source and rebuild checks to each of its packages; statuses are
    /// re-derived.
    func rebuild(_ packages: [PackageAudit], options: AuditRebuildOptions, policy: PolicyDocument?) async -> [PackageAudit] {
        var candidates: [String: (name: String, version: String, repository: String?)] = [:]
        for package in packages {
            guard package.status != .skipped else { continue }
            candidates["\(package.name)@\(package.version)"] = (package.name, package.version, package.provenance?.repository)
        }
        var checksByID: [String: [Check]] = [:]
        await withTaskGroup(of: (String, [Check]).self) { group in
            var pending = candidates.sorted { $0.key < $1.key }.makeIterator()
            func addNext() -> Bool {
                guard let (id, candidate) = pending.next() else { return false }
                group.addTask {
                    (id, await Self.rebuildChecks(candidate.name, candidate.version, repository: candidate.repository,
                                                  options: options, policy: policy))
                }
                return true
            }
            for _ in 0..<max(1, options.concurrency) where addNext() {}
            while let (id, checks) = await group.next() {
                checksByID[id] = checks
                _ = addNext()
            }
        }
        return packages.map { package in
            guard let added = checksByID["\(package.name)@\(package.version)"] else { return package }
            var updated = package
            updated.checks += added
            let rederived = Self.finishing(updated)
            return rederived
        }
    }

    static func rebuildChecks(_ name: String, _ version: String, repository: String?, options: AuditRebuildOptions,
                              policy: PolicyDocument?) async -> [Check] {
        let title = "Rebuild matches the registry tarball"
        let request = VerificationRequest(spec: PackageSpec(name: name, version: version), policy: policy ?? .default,
                                          offline: options.offline)
        do {
            let evidence = try await options.pipeline.fetch(request)
            guard let repository = repository ?? evidence.facts.repositoryURL else {
                let result = await options.pipeline.evaluate(evidence, request: request)
                return Self.added(result.verdict.checks, title: title)
            }
            let source = options.source(for: repository)
            if options.offline && source == nil {
                return result(tarballChecks: await options.pipeline.evaluate(evidence, request: VerificationRequest(
                    spec: request.spec, policy: request.policy, offline: true, scope: .registryAndTrust)).verdict.checks,
                    skipped: .skipped(.rebuildCompare, title, reason: "offline and no local source given for \(repository)"))
            }
            var withSource = request
            withSource.source = source
            return Self.added(await options.pipeline.evaluate(evidence, request: withSource).verdict.checks, title: title)
        } catch {
            return [.skipped(.rebuildCompare, title, reason: "the rebuild could not run: \(error)")]
        }
    }

    /// The engine's tarball checks plus one skipped rebuild check.
    private static func result(tarballChecks: [Check], skipped: Check) -> [Check] {
        tarballChecks.filter { tarballCheckIDs.contains($0.id) } + [skipped]
    }

    /// The checks an engine verdict adds to an audited package.
    private static func added(_ checks: [Check], title: String) -> [Check] {
        let added = checks.filter { rebuildCheckIDs.contains($0.id) || tarballCheckIDs.contains($0.id) }
        return added.contains { $0.id == .rebuildCompare } ? added
            : added + [.skipped(.rebuildCompare, title, reason: "the pipeline produced no rebuild check")]
    }

    /// Re-derives status and reasons after checks were added: a package whose source or rebuild check was skipped
    /// is `skipped` (reason ``AuditSkipReason/rebuildSkipped``), never `verified`, as `verify` makes it incomplete.
    static func finishing(_ package: PackageAudit) -> PackageAudit {
        let locked = LockedPackage(name: package.name, version: package.version, location: package.location, source: .registry)
        let rebuildSkipped = package.checks.contains { rebuildCheckIDs.contains($0.id) && $0.status.isSkipped }
        var result = finish(locked, checks: package.checks, signatures: package.signatures,
                            attestations: package.attestations,
                            skip: package.skipReason ?? (rebuildSkipped ? .rebuildSkipped : nil))
        result.provenance = package.provenance
        return result
    }
}
