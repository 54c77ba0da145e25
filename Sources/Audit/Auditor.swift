import Configuration
import Digest
import Foundation
import Lockfiles
import NPMTrust
import Registry
import Verification

/// Options of an audit.
public struct AuditOptions: Sendable {
    /// Dependency types to leave out (`--omit`).
    public var omit: Set<DependencyKind>
    /// How many packuments are fetched at once (`--concurrency`); also the client's connection limit.
    public var concurrency: Int
    /// Where the default registry's keys come from (`--keys FILE` → `.file`).
    public var keys: RegistryKeysSource
    /// The identity policy (`--policy`), evaluated for every registry package; `nil` for none.
    public var policy: PolicyDocument?
    /// The project folder whose `node_modules` is compared with the lockfile; `nil` skips that check.
    public var projectDirectory: URL?
    /// Rebuild packages whose verified provenance names a repository (`--rebuild`); `nil` for no rebuilds.
    public var rebuild: AuditRebuildOptions?

    /// Whether the full packuments are needed: an identity policy reads `repository`, rebuilds read `gitHead` and
    /// `repository`. Otherwise the abbreviated packument is fetched (every version's `dist` with signatures and
    /// attestations), and the full one only for a version signed by a key that has an `expires` date (its publish
    /// time decides).
    public var needsFullPackuments: Bool { policy != nil || rebuild != nil }

    /// Creates options.
    public init(
        omit: Set<DependencyKind> = [], concurrency: Int = 128, keys: RegistryKeysSource = .automatic,
        policy: PolicyDocument? = nil, projectDirectory: URL? = nil, rebuild: AuditRebuildOptions? = nil
    ) {
        self.rebuild = rebuild
        self.omit = omit
        self.concurrency = concurrency
        self.keys = keys
        self.policy = policy
        self.projectDirectory = projectDirectory
    }
}

/// Audits the packages of a lockfile against their registries: lockfile integrity vs `dist.integrity`, installed
/// `node_modules` vs the lockfile, registry signatures, attestations, and an optional identity policy.
///
/// Each packument is fetched once, concurrently (bounded by ``AuditOptions/concurrency``, over the client's
/// kept-alive connections), and each package is verified as soon as its packument arrives, while other fetches
/// are still in flight. One package's registry failure never aborts the audit: it is reported as skipped with
/// the reason. Results are values; nothing is printed.
///
/// ```swift
/// let lockfile = try LockfileLoader.load(from: projectFolder)
/// let auditor = PackageAuditor(client: RegistryClient(configuration: configuration))
/// let report = await auditor.audit(lockfile, options: AuditOptions(omit: [.dev], projectDirectory: projectFolder))
/// ```
public struct PackageAuditor: Sendable {
    /// The registry client (scoped registries and auth come from its configuration).
    public let client: RegistryClient
    /// The trust verifier (its trusted root checks attestation bundles).
    public let trust: RegistryTrustVerifier

    /// Creates an auditor.
    public init(client: RegistryClient, trust: RegistryTrustVerifier = RegistryTrustVerifier()) {
        self.client = client
        self.trust = trust
    }

    /// Audits `lockfile` (narrow it first with ``Lockfile/selectingWorkspaces(_:)`` for `--workspace`).
    /// `progress` is called (from any task) with (done, total) after each package.
    public func audit(
        _ lockfile: Lockfile, options: AuditOptions = AuditOptions(),
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async -> AuditReport {
        let start = Date()
        let packages = lockfile.packages(omitting: options.omit)
        let keyring = RegistryKeyring(client: client, defaultKeys: options.keys)
        let installed = InstalledTree(projectDirectory: options.projectDirectory)
        let total = packages.count
        let counter = ProgressCounter()

        var results: [PackageAudit] = []
        results.reserveCapacity(total)
        var byName: [String: [LockedPackage]] = [:]
        var order: [String] = []
        for package in packages {
            if let reason = package.source.notAuditableReason {
                results.append(Self.notAuditable(package, reason: reason, installed: installed))
                if let progress { progress(counter.increment(), total) }
                continue
            }
            if byName[package.name] == nil { order.append(package.name) }
            byName[package.name, default: []].append(package)
        }

        let window = max(1, options.concurrency)
        await withTaskGroup(of: [PackageAudit].self) { group in
            var next = order.makeIterator()
            func addNext() -> Bool {
                guard let name = next.next(), let locked = byName[name] else { return false }
                group.addTask {
                    let audits = await self.audit(name: name, locked: locked, keyring: keyring, installed: installed,
                                                  policy: options.policy, fullPackument: options.needsFullPackuments)
                    if let progress { for _ in audits { progress(counter.increment(), total) } }
                    return audits
                }
                return true
            }
            for _ in 0..<window where addNext() {}
            while let finished = await group.next() {
                results.append(contentsOf: finished)
                _ = addNext()
            }
        }
        if let rebuild = options.rebuild {
            results = await self.rebuild(results, options: rebuild, policy: options.policy)
        }
        return AuditReport(lockfile: lockfile.file.path, format: lockfile.format, packages: results,
                           elapsed: Date().timeIntervalSince(start))
    }

    // MARK: One package name

    private func audit(
        name: String, locked: [LockedPackage], keyring: RegistryKeyring, installed: InstalledTree,
        policy: PolicyDocument?, fullPackument: Bool
    ) async -> [PackageAudit] {
        let registry = client.configuration.registry(forPackage: name)
        // The keys and the packument are fetched side by side (the keys once per registry, shared).
        async let fetched = Self.fetchPackument(client, name: name, abbreviated: !fullPackument)
        let keys: RegistryKeysAvailability
        switch await keyring.keys(for: registry) {
        case .available(let available): keys = available
        case .failed(let reason):
            _ = await fetched
            return locked.map { Self.registryFailure($0, reason: reason, installed: installed) }
        }
        var packument: Packument
        let source: String
        do {
            source = try client.packumentURL(name: name).absoluteString
            packument = try await fetched.get()
            // Signature key expiry is judged at the publish time, which only the full packument has.
            if packument.isAbbreviated, Self.needsPublishTime(packument, versions: locked.map(\.version), keys: keys) {
                packument = try await client.packument(name: name, abbreviated: false)
            }
        } catch {
            if error.code == .notFound || error.code == .invalidPackageName {
                return locked.map {
                    Self.invalid($0, check: .fail(.auditRegistry, "Package on the registry", reasons: [
                        "the registry has no package \(name) (\(error)); the lockfile names a package the registry does not serve"]),
                                 installed: installed)
                }
            }
            return locked.map { Self.registryFailure($0, reason: "\(error)", installed: installed) }
        }

        // Verify each distinct version once; every location of it shares the result.
        let document = packument.isAbbreviated ? "abbreviated" : "full"
        var results: [PackageAudit] = []
        var trustByVersion: [String: TrustOutcome] = [:]
        for package in locked {
            let outcome: TrustOutcome
            if let cached = trustByVersion[package.version] {
                outcome = cached
            } else {
                outcome = await verifyTrust(packument: packument, version: package.version, source: source, keys: keys)
                trustByVersion[package.version] = outcome
            }
            var audit = Self.assemble(package, packument: packument, outcome: outcome, keys: keys,
                                      installed: installed, policy: policy)
            // `--json` shows which packument the checks read (in the registry source check's evidence).
            if let index = audit.checks.firstIndex(where: { $0.id == .auditSource }) {
                audit.checks[index].evidence["packument"] = document
            }
            results.append(audit)
        }
        return results
    }

    private static func fetchPackument(
        _ client: RegistryClient, name: String, abbreviated: Bool
    ) async -> Result<Packument, RegistryError> {
        do { return .success(try await client.packument(name: name, abbreviated: abbreviated)) } catch {
            return .failure(error)
        }
    }

    /// Whether a signature of one of `versions` names a key with an `expires` date: its validity depends on the
    /// publish time (`time[version]`), which the abbreviated packument lacks.
    static func needsPublishTime(_ packument: Packument, versions: [String], keys: RegistryKeysAvailability) -> Bool {
        guard case .keys(let trusted) = keys else { return false }
        let expiring = Set(trusted.keys.filter { $0.expires != nil }.map(\.keyid))
        guard !expiring.isEmpty else { return false }
        return versions.contains { version in
            packument.versions[version]?.dist.signatures?.contains { expiring.contains($0.keyid) } ?? false
        }
    }

    /// The registry-trust outcome of one version.
    enum TrustOutcome: Sendable {
        /// The engine's trust checks (``NPMTrustStage/outcome(of:keys:attestations:verifier:)``, carrying NPMTrust's
        /// report) on the version's evidence.
        case checked(Verification.TrustOutcome, PackageVersionEvidence)
        /// The packument lacks the version or its integrity.
        case unusable(String)
    }

    /// Fetches the version's attestations (only the path of `dist.attestations.url` is used, resolved against the
    /// package's own registry, as pacote does) and runs the engine's trust checks on what came back.
    private func verifyTrust(packument: Packument, version: String, source: String,
                             keys: RegistryKeysAvailability) async -> TrustOutcome {
        let evidence: PackageVersionEvidence
        do {
            evidence = try PackageVersionEvidence(packument: packument, version: version, source: source)
        } catch {
            return .unusable("\(error)")
        }
        let response: NPMTrustStage.AttestationsResponseBody
        if let pointer = evidence.attestations {
            let registry = client.configuration.registry(forPackage: evidence.name)
            if let url = Self.attestationsURL(pointer.url, registry: registry) {
                do {
                    response = .body(try await client.document(url, accept: "application/json"), url: url.absoluteString)
                } catch where error.code == .notFound {
                    response = .notFound(url: url.absoluteString)
                } catch {
                    response = .unreachable("cannot fetch the attestations: \(error)")
                }
            } else {
                response = .unusablePointer("dist.attestations.url \"\(pointer.url)\" is not a URL")
            }
        } else {
            response = .notAnnounced
        }
        return .checked(NPMTrustStage.outcome(of: evidence, keys: keys, attestations: response, verifier: trust), evidence)
    }

    /// The path of `pointer` resolved against `registry` (which ends in `/`).
    static func attestationsURL(_ pointer: String, registry: URL) -> URL? {
        guard let components = URLComponents(string: pointer), !components.percentEncodedPath.isEmpty else { return nil }
        var base = registry.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let path = components.percentEncodedPath.hasPrefix("/") ? components.percentEncodedPath : "/" + components.percentEncodedPath
        return URL(string: base + path)
    }

    // MARK: Assembling a package's result

    static func assemble(
        _ package: LockedPackage, packument: Packument, outcome: TrustOutcome, keys: RegistryKeysAvailability,
        installed: InstalledTree, policy: PolicyDocument?
    ) -> PackageAudit {
        var checks: [Check] = [Check.pass(.auditSource, "Package from a registry", evidence: ["resolved": package.resolved ?? ""])]
        let registryIntegrity = packument.versions[package.version]?.dist.integrity
        let registryShasum = packument.versions[package.version]?.dist.shasum

        let evidence: PackageVersionEvidence
        // The trust checks are the engine's (the rule verify, watch and staged check apply, including the one rule
        // for unreachable attestations); audit leaves out those that do not apply and derives npm's counts
        // (verified / missing / invalid / not checked) from the same report.
        var trust: Verification.TrustOutcome
        switch outcome {
        case .unusable(let reason):
            checks.append(.fail(.auditRegistry, "Version on the registry", reasons: [reason]))
            checks.append(installed.check(package))
            return finish(package, checks: checks, signatures: .notChecked, attestations: .notChecked, skip: nil)
        case .checked(let engineOutcome, let versionEvidence):
            trust = engineOutcome
            evidence = versionEvidence
        }
        let report = trust.report ?? TrustReport(evidence: evidence, signatures: [], attestations: [])
        let attestationsUnreachable = trust.attestationsWereUnreachable
        let signatureChecks = report.signatures
        checks.append(integrityCheck(lockfile: package.integrity, registry: registryIntegrity, shasum: registryShasum))
        checks.append(installed.check(package))

        // Signatures.
        let signatures: SignatureOutcome
        let keysMissing: Bool
        if case .registryHasNoKeys = keys { keysMissing = true } else { keysMissing = false }
        if keysMissing {
            signatures = .notChecked
        } else if signatureChecks.contains(where: { $0.status == .noSignatures }) {
            signatures = .missing
            trust.signatures.evidence["outcome"] = "missing"
            trust.signatures.reasons = signatureChecks.map(\.reason)
        } else if signatureChecks.allSatisfy(\.ok) {
            signatures = .verified
        } else {
            signatures = .invalid
            trust.signatures.evidence["outcome"] = "invalid"
        }
        if keysMissing, !trust.signatures.status.isSkipped {
            trust.signatures = .skipped(.trustSignatures, "Registry signatures",
                                        reason: signatureChecks.first?.reason ?? "the registry has no signing keys")
        }
        checks.append(trust.signatures)

        // Attestations.
        var attestations: AttestationOutcome = evidence.attestations == nil ? .none : .verified
        if attestationsUnreachable {
            attestations = .notChecked
        } else {
            for check in report.attestations {
                switch check.status {
                case .verified: break
                case .skippedNoKeys: if attestations == .verified { attestations = .notChecked }
                case .missing: if attestations != .invalid { attestations = .missing }
                default: attestations = .invalid
                }
            }
        }
        for var check in [trust.publishAttestation, trust.provenance] {
            if case .notApplicable = check.status { continue }
            // npm counts an absent attestation as missing, apart from an invalid one.
            if check.status == .fail, attestations == .missing {
                check.evidence["outcome"] = "missing"
                let publish = check.id == .trustPublishAttestation
                let missing = report.attestations.filter {
                    $0.status == .missing && ($0.predicateType == AttestationPredicate.npmPublishV01.rawValue) == publish
                }.map(\.reason)
                if !missing.isEmpty { check.reasons = missing }
            }
            checks.append(check)
        }

        // Identity policy (no rebuild runs in an audit, so rebuild rules do not apply).
        if let policy {
            let input = policyInput(package: package, packument: packument, report: report)
            checks += policy.policy.evaluate(input).filter { $0.id != .policyRebuild }
        }

        let skip: AuditSkipReason? = keysMissing ? .noRegistryKeys : (attestationsUnreachable ? .networkError : nil)
        var result = finish(package, checks: checks, signatures: signatures, attestations: attestations, skip: skip)
        result.provenance = report.provenance.map(ProvenanceIdentity.init(facts:))
        return result
    }

    /// Derives the status: any failed check → invalid; else missing signature/attestation → missing; else a skip
    /// reason → skipped; else verified.
    static func finish(
        _ package: LockedPackage, checks: [Check], signatures: SignatureOutcome, attestations: AttestationOutcome,
        skip: AuditSkipReason?
    ) -> PackageAudit {
        let missing = signatures == .missing || attestations == .missing
        let failed = checks.contains { $0.status == .fail && $0.evidence["outcome"] != "missing" }
        let status: PackageAuditStatus
        if failed {
            status = .invalid
        } else if missing {
            status = .missing
        } else if skip != nil {
            status = .skipped
        } else {
            status = .verified
        }
        var reasons: [String] = []
        for check in checks {
            switch check.status {
            case .fail: reasons += check.reasons.isEmpty ? ["\(check.title) failed"] : check.reasons
            case .skipped(let reason):
                reasons.append(check.id == .auditSource ? reason : "\(check.title) not checked: \(reason)")
            case .pass, .notApplicable: break
            }
        }
        return PackageAudit(
            name: package.name, version: package.version, location: package.location, status: status,
            skipReason: status == .skipped ? skip : nil, signatures: signatures, attestations: attestations,
            reasons: reasons, checks: checks)
    }

    static func notAuditable(_ package: LockedPackage, reason: String, installed: InstalledTree) -> PackageAudit {
        let checks = [Check.skipped(.auditSource, "Package from a registry", reason: reason,
                                    evidence: ["resolved": package.resolved ?? ""])]
        return finish(package, checks: checks, signatures: .notChecked, attestations: .notChecked, skip: .notFromRegistry)
    }

    static func registryFailure(_ package: LockedPackage, reason: String, installed: InstalledTree) -> PackageAudit {
        let checks = [
            Check.pass(.auditSource, "Package from a registry", evidence: ["resolved": package.resolved ?? ""]),
            Check.skipped(.auditRegistry, "Registry reachable", reason: reason),
            installed.check(package),
        ]
        return finish(package, checks: checks, signatures: .notChecked, attestations: .notChecked, skip: .networkError)
    }

    static func invalid(_ package: LockedPackage, check: Check, installed: InstalledTree) -> PackageAudit {
        finish(package, checks: [check, installed.check(package)], signatures: .notChecked, attestations: .notChecked,
               skip: nil)
    }

    /// Compares the lockfile's integrity with the registry's: the strongest algorithm both name must agree
    /// (ssri semantics); a sha1-only lockfile is compared with `dist.shasum`.
    static func integrityCheck(lockfile: String?, registry: String?, shasum: String?) -> Check {
        let title = "Lockfile integrity matches the registry"
        guard let lockfile, !lockfile.isEmpty else {
            return .skipped(.auditLockfileIntegrity, title, reason: "the lockfile records no integrity for this package")
        }
        var evidence = ["lockfile": lockfile]
        let locked: Integrity
        do { locked = try Integrity(lockfile) } catch {
            return .fail(.auditLockfileIntegrity, title, evidence: evidence,
                         reasons: ["the lockfile integrity is not a valid SRI value: \(error)"])
        }
        var served: Integrity?
        if let registry, !registry.isEmpty {
            evidence["registry"] = registry
            served = try? Integrity(registry)
        }
        if let shasum, let sha1 = try? Shasum(shasum) {
            evidence["registryShasum"] = shasum
            served = Integrity(hashes: (served?.hashes ?? []) + sha1.integrity.hashes)
        }
        guard let served, !served.hashes.isEmpty else {
            return .skipped(.auditLockfileIntegrity, title, reason: "the registry gives no usable dist.integrity or dist.shasum",
                            evidence: evidence)
        }
        let common = Set(locked.algorithms).intersection(served.algorithms)
        guard let algorithm = common.max() else {
            return .skipped(.auditLockfileIntegrity, title,
                            reason: "the lockfile (\(locked.algorithms.map(\.rawValue).joined(separator: ","))) and the registry (\(served.algorithms.map(\.rawValue).joined(separator: ","))) share no hash algorithm",
                            evidence: evidence)
        }
        let lockedDigests = Set(locked.hashes.filter { $0.algorithm == algorithm }.map(\.digest))
        let servedDigests = Set(served.hashes.filter { $0.algorithm == algorithm }.map(\.digest))
        guard !lockedDigests.isDisjoint(with: servedDigests) else {
            return .fail(.auditLockfileIntegrity, title, evidence: evidence, reasons: [
                "the lockfile pins \(algorithm.rawValue) \(locked.hashes.first { $0.algorithm == algorithm }!.base64Digest) but the registry now serves \(served.hashes.first { $0.algorithm == algorithm }!.base64Digest): the registry content changed or the lockfile was edited",
            ])
        }
        return .pass(.auditLockfileIntegrity, title, evidence: evidence)
    }

    static func policyInput(package: LockedPackage, packument: Packument, report: TrustReport) -> PolicyInput {
        let provenance = report.provenance.map(ProvenanceIdentity.init(facts:))
        let provenanceInvalid = report.provenance == nil && report.attestations.contains { $0.isProvenance && !$0.ok }
        let publishPresent = report.attestations.contains {
            $0.ok && $0.predicateType == AttestationPredicate.npmPublishV01.rawValue
        }
        let earlier = packument.versions.compactMap { version, manifest -> String? in
            manifest.dist.attestations?.provenance != nil && SemVer.precedes(version, package.version) ? version : nil
        }.sorted { SemVer.precedes($0, $1) }
        return PolicyInput(
            name: package.name, version: package.version, provenance: provenance, provenanceInvalid: provenanceInvalid,
            publishAttestationPresent: publishPresent,
            packumentRepository: packument.versions[package.version]?.repository?.url,
            earlierVersionsWithProvenance: earlier)
    }
}

/// A thread-safe counter for progress reports.
final class ProgressCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
