import Configuration
import Foundation
import NPMTrust
import Registry
import Reports
import Verification

/// Runs `provcheck watch`: observes every configured package (or one shard of them), compares with the state of
/// the previous run, and returns the findings plus the updated state.
///
/// A package that cannot be fetched gets a ``WatchFindingCode/packageUnavailable`` finding and keeps its previous
/// state (an unreachable registry is never "no change"); a check that cannot run for a package (tags, staging list,
/// trust, verification) is listed as incomplete with a ``WatchFindingCode/checkIncomplete`` finding and keeps its
/// previously recorded values. The engine never prints: progress goes to ``progress``.
public struct WatchEngine: Sendable {
    /// Registry reads.
    public var registry: any WatchRegistry
    /// Trust verification.
    public var trust: any WatchTrustReading
    /// Tag lookups.
    public var tags: any WatchTagReading
    /// Full verification for packages with `rebuild: true` (`nil`: reported as incomplete).
    public var verifier: (any WatchVerifying)?
    /// The clock (tests pin it).
    public var now: @Sendable () -> Date
    /// Progress lines (the CLI prints them on stderr).
    public var progress: (@Sendable (String) -> Void)?
    /// Packages checked at once.
    public var concurrency: Int

    /// Makes an engine.
    public init(registry: any WatchRegistry, trust: any WatchTrustReading, tags: any WatchTagReading = GitTagReader(),
                verifier: (any WatchVerifying)? = nil, now: @escaping @Sendable () -> Date = { Date() },
                progress: (@Sendable (String) -> Void)? = nil, concurrency: Int = 4) {
        self.registry = registry
        self.trust = trust
        self.tags = tags
        self.verifier = verifier
        self.now = now
        self.progress = progress
        self.concurrency = max(1, concurrency)
    }

    /// Runs once.
    /// - Parameters:
    ///   - configuration: the packages.
    ///   - state: the previous state (empty on the first run: every version is recorded as new).
    ///   - shard: only the packages of this shard; the returned state keeps the other packages as they were.
    /// - Returns: the report and the new state.
    /// - Throws: ``PolicyFileError`` when a package's policy file cannot be read (a usage error).
    public func run(configuration: WatchConfiguration, state: WatchState, shard: WatchShard? = nil) async throws
        -> (report: WatchReport, state: WatchState)
    {
        let runTime = now()
        let packages = configuration.packages.filter { shard?.contains($0.name) ?? true }
        var policies: [String: PolicyDocument] = [:]
        for package in packages {
            if let path = package.policy { policies[package.name] = try PolicyDocument.load(contentsOf: URL(fileURLWithPath: path)) }
        }
        var outcomes: [PackageOutcome] = []
        var next = 0
        let total = packages.count
        await withTaskGroup(of: PackageOutcome.self) { group in
            func start(_ i: Int) {
                let package = packages[i]
                let previous = state.packages[package.name]
                let policy = policies[package.name] ?? .default
                progress?("[\(i + 1)/\(total)] \(package.name)")
                let checkStaged = configuration.checkStaged
                group.addTask {
                    await self.check(package, previous: previous, policy: policy, runTime: runTime, checkStaged: checkStaged)
                }
            }
            while next < min(concurrency, total) { start(next); next += 1 }
            for await outcome in group {
                outcomes.append(outcome)
                if next < total { start(next); next += 1 }
            }
        }
        var newState = state
        var findings: [WatchFinding] = []
        var summaries: [PackageRunSummary] = []
        var stagingUnreadable: [(name: String, problem: String)] = []
        for outcome in outcomes {
            findings += outcome.findings
            summaries.append(outcome.summary)
            if let packageState = outcome.state { newState.packages[outcome.summary.name] = packageState }
            if let problem = outcome.stagingListProblem { stagingUnreadable.append((outcome.summary.name, problem)) }
        }
        // A staging list that cannot be read is said once per run (it is usually the registry, not the package).
        if let first = stagingUnreadable.sorted(by: { $0.name < $1.name }).first {
            let names = stagingUnreadable.map(\.name).sorted()
            findings.append(WatchFinding(
                .checkIncomplete, package: first.name,
                message: "the staging list could not be read for \(names.count) package(s) (\(names.prefix(5).joined(separator: ", "))"
                    + (names.count > 5 ? ", …" : "") + "): \(first.problem); direct publishes while versions were staged "
                    + "cannot be detected (set \"staged\": false in the config if this registry has no staging endpoints)"))
        }
        let report = WatchReport(generatedAt: runTime, shard: shard?.description, packages: summaries, findings: findings)
        return (report, newState)
    }

    struct PackageOutcome: Sendable {
        var summary: PackageRunSummary
        var findings: [WatchFinding]
        var state: PackageState?
        /// Why the staging list could not be read (reported once per run by ``run(configuration:state:shard:)``).
        var stagingListProblem: String? = nil
    }

    // MARK: One package

    func check(_ package: WatchedPackage, previous: PackageState?, policy: PolicyDocument, runTime: Date,
               checkStaged: Bool = true) async -> PackageOutcome {
        let name = package.name
        let packument: Packument
        do {
            packument = try await registry.packument(name: name)
        } catch {
            let finding = WatchFinding(.packageUnavailable, package: name,
                                       message: "the packument could not be fetched: \(Self.describe(error)); nothing about this package is known this run")
            return PackageOutcome(summary: PackageRunSummary(name: name, status: "unavailable", incomplete: [finding.message]),
                                  findings: [finding], state: previous)
        }
        var state = previous ?? PackageState(lastChecked: runTime)
        state.lastChecked = runTime
        var findings: [WatchFinding] = []
        var incomplete: [String] = []
        func note(_ text: String, version: String? = nil) {
            incomplete.append((version.map { "\($0): " } ?? "") + text)
            findings.append(WatchFinding(.checkIncomplete, package: name, version: version, message: text))
        }

        // Staged publishes pending now.
        var stagingListProblem: String? = nil
        if checkStaged { do {
            var listed = Set<String>()
            for item in try await registry.stagedItems(name: name) {
                listed.insert(item.id)
                if state.staged[item.id] == nil {
                    state.staged[item.id] = StagedRecord(version: item.version, createdAt: item.createdAt.flatMap(Timestamp.parse),
                                                         shasum: item.shasum, firstSeen: runTime)
                }
                state.staged[item.id]?.lastSeenPending = runTime
            }
            for (id, record) in state.staged where !listed.contains(id) && record.leftListAt == nil {
                state.staged[id]?.leftListAt = runTime
            }
        } catch {
            stagingListProblem = Self.describe(error)
            incomplete.append("staging list unavailable (see the run's check-incomplete finding)")
        } }

        // Observe the selected versions.
        let selected = package.versions.select(Array(packument.versions.keys), time: packument.time)
        var tagCache: [String: Result<[String: String], Error>] = [:]
        var tagErrorsReported = Set<String>()
        var observed: [String: VersionObservation] = [:]
        var known: [String: VersionObservation] = state.versions.compactMapValues { $0.removed == true ? nil : $0.observed }
        for version in selected {
            guard let manifest = packument.versions[version] else { continue }
            let old = state.versions[version]?.observed
            var observation = VersionObservation(
                integrity: manifest.dist.integrity, shasum: manifest.dist.shasum,
                signatureKeyIDs: (manifest.dist.signatures ?? []).map(\.keyid).sorted(),
                publisher: manifest.npmUser?.name, stagedApproval: manifest.npmUser?.approver != nil,
                trustedPublisher: manifest.npmUser?.trustedPublisher != nil,
                publishTime: packument.time[version].flatMap(Timestamp.parse))
            // Trust.
            var trustKnown = true
            do {
                let trust = try await self.trust.trust(packument: packument, version: version)
                observation.trustLevel = trust.level
                observation.provenance = trust.provenance.map(ProvenanceSummary.init)
            } catch {
                trustKnown = false
                observation.trustLevel = old?.trustLevel ?? .none
                observation.provenance = old?.provenance
                note("trust could not be verified: \(Self.describe(error))", version: version)
            }
            // Tag.
            var tagsKnown = false
            let location = package.source ?? observation.provenance?.repository ?? manifest.repository?.url
            if let location {
                let normalized = package.source ?? RepositoryURL.normalize(location) ?? location
                if tagCache[normalized] == nil {
                    do { tagCache[normalized] = .success(try await tags.tags(location: normalized, userGiven: package.source != nil)) } catch { tagCache[normalized] = .failure(error) }
                }
                switch tagCache[normalized]! {
                case .success(let all):
                    tagsKnown = true
                    for candidate in VerificationPipeline.tagCandidates(name: name, version: version) {
                        if let commit = all[candidate] {
                            observation.tag = candidate
                            observation.tagCommit = commit
                            break
                        }
                    }
                case .failure(let error):
                    observation.tag = old?.tag
                    observation.tagCommit = old?.tagCommit
                    // The (often multi-line) git error once per repository; each version's row points to it.
                    if tagErrorsReported.insert(normalized).inserted {
                        let text = Self.describe(error).split(whereSeparator: \.isNewline)
                            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
                        findings.append(WatchFinding(.checkIncomplete, package: name,
                                                     message: "the tags of \(normalized) could not be read: \(text)"))
                    }
                    incomplete.append("\(version): tags of \(normalized) unreadable (see the package's check-incomplete finding)")
                }
            }
            // Verification.
            if package.rebuild {
                if let verifier {
                    do {
                        let verdict = try await verifier.verify(name: name, version: version, source: package.source, policy: policy)
                        observation.verdict = verdict.overall.rawValue
                        let failed = verdict.checks.filter { $0.status == .fail }.map(\.id.rawValue)
                        observation.failedChecks = failed.isEmpty ? nil : failed
                        // Like every command that prints a verdict, watch lists the skipped checks (`--strict`
                        // fails the run on them).
                        let skipped = verdict.checks.filter { $0.status.isSkipped }.map(\.id.rawValue)
                        if !skipped.isEmpty {
                            note("verification skipped \(skipped.joined(separator: ", ")) (verdict \(verdict.overall.rawValue))",
                                 version: version)
                        }
                        if let check = verdict.check(.rebuildCompare) {
                            observation.rebuild = check.evidence["outcome"] ?? check.status.keyword
                        }
                    } catch {
                        observation.verdict = old?.verdict
                        observation.rebuild = old?.rebuild
                        observation.failedChecks = old?.failedChecks
                        note("verification did not complete: \(Self.describe(error))", version: version)
                    }
                } else {
                    note("rebuilding is on but no verifier is configured", version: version)
                }
            }

            // Compare.
            let record = state.versions[version]
            let context = Context(name: name, version: version, packument: packument, state: state, known: known,
                                  runTime: runTime,
                                  trustKnown: trustKnown, tagsKnown: tagsKnown, hasLocation: location != nil)
            findings += record == nil ? Self.firstSightFindings(observation, context) : Self.changeFindings(observation, record!, context)
            if var pin = state.stagedPins[version], pin.matchedPublished == nil {
                let published = observation.integrity.flatMap { VerificationSummary.sriSHA512Hex($0) }
                pin.matchedPublished = published == pin.sha512
                if published != pin.sha512 {
                    findings.append(WatchFinding(
                        .stagedIntegrityMismatch, package: name, version: version,
                        message: "the published dist.integrity \(observation.integrity ?? "(none)") is not the staged tarball checked before approval (sha512 \(pin.sha512), stage \(pin.stageID))",
                        evidence: ["published": observation.integrity ?? "", "stagedSHA512": pin.sha512, "stageID": pin.stageID]))
                }
                state.stagedPins[version] = pin
            }
            if var updated = record {
                updated.observed = observation
                updated.removed = nil
                state.versions[version] = updated
            } else {
                state.versions[version] = VersionRecord(firstSeen: runTime, observed: observation)
            }
            observed[version] = observation
            known[version] = observation
        }

        // Open failures: restated every run until the registry serves the first-seen bytes again, the verdict is no
        // longer failed, or the configuration acknowledges them (version + the digest now served). Change events
        // above are reported once; this keeps the job red while the problem lasts.
        let reportedNow = Set(findings.compactMap { f -> String? in
            guard f.severity == .error, let version = f.version else { return nil }
            return version
        })
        for version in observed.keys.sorted() where !reportedNow.contains(version) {
            guard let record = state.versions[version], let current = observed[version] else { continue }
            var open: [String] = []
            if current.integrity != record.integrity || current.shasum != record.shasum {
                open.append("dist.integrity is \(current.integrity ?? "(none)"), not \(record.integrity ?? "(none)") as first seen "
                    + Timestamp.format(record.firstSeen))
            }
            if current.verdict == OverallResult.failed.rawValue {
                open.append("fails verification (" + (current.failedChecks ?? []).joined(separator: ", ") + ")")
            }
            guard !open.isEmpty else { continue }
            if let acknowledgement = package.acknowledged.first(where: { $0.version == version && $0.digest == current.integrity }) {
                incomplete.append("\(version): acknowledged (\(acknowledgement.reason))")
                continue
            }
            findings.append(WatchFinding(
                .openFailure, package: name, version: version,
                message: "still open: " + open.joined(separator: "; ")
                    + ". Acknowledge it in the config (acknowledge: version \(version), digest \(current.integrity ?? "(none)"), reason) once handled",
                evidence: ["integrity": current.integrity ?? "", "firstSeenIntegrity": record.integrity ?? ""]))
        }

        // Versions that disappeared.
        for (version, record) in state.versions where record.removed != true && packument.versions[version] == nil {
            findings.append(WatchFinding(.versionRemoved, package: name, version: version,
                                         message: "the version is no longer in the packument (unpublished?); it had integrity \(record.observed.integrity ?? "(none)")"))
            state.versions[version]?.removed = true
        }
        let summary = PackageRunSummary(name: name, status: "checked", versionsChecked: selected, incomplete: incomplete)
        return PackageOutcome(summary: summary, findings: findings, state: state, stagingListProblem: stagingListProblem)
    }

    struct Context {
        var name: String
        var version: String
        var packument: Packument
        var state: PackageState
        /// Observations of other versions (this run first, else the state).
        var known: [String: VersionObservation]
        var runTime: Date
        var trustKnown: Bool
        var tagsKnown: Bool
        var hasLocation: Bool

        /// The closest lower version of the same major line with an observation.
        func previousInMajor() -> (String, VersionObservation)? {
            let major = version.split(separator: ".").first
            return known.filter { $0.key.split(separator: ".").first == major && SemVer.precedes($0.key, version) }
                .max { SemVer.precedes($0.key, $1.key) }.map { ($0.key, $0.value) }
        }

        /// The identities (repository, workflow, ref kind) of every lower version with verified provenance.
        func earlierIdentities() -> Set<String> {
            Set(known.filter { SemVer.precedes($0.key, version) }.compactMap { $0.value.provenance.map(WatchEngine.identityKey) })
        }

        /// The closest lower version with verified provenance.
        func previousWithProvenance() -> (String, ProvenanceSummary)? {
            known.compactMap { key, value in value.provenance.map { (key, $0) } }
                .filter { SemVer.precedes($0.0, version) }
                .max { SemVer.precedes($0.0, $1.0) }
        }
    }

    // MARK: Findings

    static func firstSightFindings(_ new: VersionObservation, _ c: Context) -> [WatchFinding] {
        let (name, version) = (c.name, c.version)
        var findings = [WatchFinding(
            .newVersion, package: name, version: version,
            message: "first seen: integrity \(new.integrity ?? "(none)"), trust level \(new.trustLevel.rawValue)"
                + (new.tag.map { ", tag \($0) → \(new.tagCommit ?? "?")" } ?? ""),
            evidence: ["integrity": new.integrity ?? "", "trustLevel": new.trustLevel.rawValue])]
        if c.trustKnown, let (previous, observation) = c.previousInMajor(), new.trustLevel < observation.trustLevel {
            findings.append(WatchFinding(
                .trustDowngrade, package: name, version: version,
                message: "trust level \(new.trustLevel.rawValue) is lower than \(observation.trustLevel.rawValue) of \(previous), the previous version of the same major line",
                evidence: ["previous": previous, "previousLevel": observation.trustLevel.rawValue, "level": new.trustLevel.rawValue]))
        }
        if !c.hasLocation {
            findings.append(WatchFinding(
                .noMatchingTag, package: name, version: version,
                message: "no source repository to look for a tag in: neither the provenance, the packument nor the configuration names one"))
        } else if c.tagsKnown, new.tag == nil {
            findings.append(WatchFinding(
                .noMatchingTag, package: name, version: version,
                message: "no tag " + VerificationPipeline.tagCandidates(name: name, version: version).joined(separator: ", ") + " in the source repository"))
        }
        if let commit = new.provenance?.commit, let tag = new.tag, let tagCommit = new.tagCommit, tagCommit.lowercased() != commit.lowercased() {
            findings.append(WatchFinding(
                .tagMoved, package: name, version: version,
                message: "tag \(tag) points at \(tagCommit), but the provenance was built from \(commit)",
                evidence: ["tag": tag, "tagCommit": tagCommit, "provenanceCommit": commit]))
        }
        // Another identity than every earlier version's (a return to an established identity is not reported).
        if let provenance = new.provenance, let (previous, earlier) = c.previousWithProvenance(),
           !c.earlierIdentities().contains(identityKey(provenance))
        {
            let changes = identityChanges(from: earlier, to: provenance, includeCommit: false)
            if !changes.isEmpty {
                findings.append(WatchFinding(
                    .provenanceIdentityChanged, package: name, version: version,
                    message: "provenance differs from \(previous)'s: " + changes.joined(separator: "; "),
                    evidence: ["previous": previous]))
            }
        }
        if !new.stagedApproval, let publishTime = new.publishTime {
            let pending = c.state.staged.filter { _, record in
                guard record.version != version else { return false }
                let start = record.createdAt ?? record.firstSeen
                // Pending until its version was published; if it left the list unpublished (rejected), until the
                // run that noticed (fail closed: the uncertain interval counts as pending); else still pending.
                let end = c.packument.time[record.version].flatMap(Timestamp.parse) ?? record.leftListAt ?? .distantFuture
                return start <= publishTime && publishTime < end
            }
            if !pending.isEmpty {
                let versions = Set(pending.values.map(\.version)).sorted(by: SemVer.precedes)
                findings.append(WatchFinding(
                    .directPublishWhileStaged, package: name, version: version,
                    message: "published directly at \(Timestamp.format(publishTime)) (no staged approval) while staged version(s) \(versions.joined(separator: ", ")) were pending",
                    evidence: ["pendingStageIDs": pending.keys.sorted().joined(separator: ", ")]))
            }
        }
        if new.verdict == OverallResult.failed.rawValue {
            findings.append(WatchFinding(
                .verdictChanged, package: name, version: version,
                message: "fails verification on first check: \((new.failedChecks ?? []).joined(separator: ", ")) failed (rebuild \(new.rebuild ?? "not run"))",
                evidence: ["verdict": new.verdict ?? "", "rebuild": new.rebuild ?? ""]))
        }
        return findings
    }

    static func changeFindings(_ new: VersionObservation, _ record: VersionRecord, _ c: Context) -> [WatchFinding] {
        let (name, version) = (c.name, c.version)
        let old = record.observed
        var findings: [WatchFinding] = []
        if new.integrity != old.integrity || new.shasum != old.shasum {
            var parts: [String] = []
            if new.integrity != old.integrity { parts.append("dist.integrity \(old.integrity ?? "(none)") → \(new.integrity ?? "(none)")") }
            if new.shasum != old.shasum { parts.append("dist.shasum \(old.shasum ?? "(none)") → \(new.shasum ?? "(none)")") }
            findings.append(WatchFinding(
                .integrityChanged, package: name, version: version,
                message: parts.joined(separator: "; ") + " (first seen \(Timestamp.format(record.firstSeen)) with \(record.integrity ?? "(none)"))",
                evidence: ["firstSeenIntegrity": record.integrity ?? "", "firstSeenShasum": record.shasum ?? "",
                           "integrity": new.integrity ?? "", "shasum": new.shasum ?? ""]))
        }
        if new.signatureKeyIDs != old.signatureKeyIDs {
            findings.append(WatchFinding(
                .signaturesChanged, package: name, version: version,
                message: "registry signature key ids changed from [\(old.signatureKeyIDs.joined(separator: ", "))] to [\(new.signatureKeyIDs.joined(separator: ", "))]"))
        }
        if c.trustKnown, new.trustLevel < old.trustLevel {
            findings.append(WatchFinding(
                .trustDowngrade, package: name, version: version,
                message: "trust level fell from \(old.trustLevel.rawValue) to \(new.trustLevel.rawValue) since the last run",
                evidence: ["previousLevel": old.trustLevel.rawValue, "level": new.trustLevel.rawValue]))
        }
        if c.tagsKnown, let tag = old.tag, new.tag == nil {
            findings.append(WatchFinding(
                .noMatchingTag, package: name, version: version,
                message: "tag \(tag) (\(old.tagCommit ?? "?")) was deleted from the source repository"))
        }
        if let before = old.tagCommit, let after = new.tagCommit, before.lowercased() != after.lowercased() {
            findings.append(WatchFinding(
                .tagMoved, package: name, version: version,
                message: "tag \(new.tag ?? "?") moved from \(before) to \(after)"
                    + (new.provenance?.commit.map { " (the provenance was built from \($0))" } ?? ""),
                evidence: ["tag": new.tag ?? "", "previousCommit": before, "tagCommit": after,
                           "provenanceCommit": new.provenance?.commit ?? ""]))
        }
        if let before = old.provenance, let after = new.provenance {
            let changes = identityChanges(from: before, to: after, includeCommit: true)
            if !changes.isEmpty {
                findings.append(WatchFinding(
                    .provenanceIdentityChanged, package: name, version: version,
                    message: "the version's provenance changed since the last run: " + changes.joined(separator: "; ")))
            }
        }
        if (new.verdict != nil && old.verdict != nil && new.verdict != old.verdict)
            || (new.rebuild != nil && old.rebuild != nil
                && RebuildOutcome.normalized(new.rebuild) != RebuildOutcome.normalized(old.rebuild))
        {
            let failed = new.verdict == OverallResult.failed.rawValue
            findings.append(WatchFinding(
                .verdictChanged, package: name, version: version,
                message: "verdict \(old.verdict ?? "?") → \(new.verdict ?? "?"), rebuild \(old.rebuild ?? "?") → \(new.rebuild ?? "?")"
                    + (new.failedChecks.map { "; failing now: " + $0.joined(separator: ", ") } ?? ""),
                evidence: ["previousVerdict": old.verdict ?? "", "verdict": new.verdict ?? "",
                           "previousRebuild": old.rebuild ?? "", "rebuild": new.rebuild ?? ""],
                severity: failed ? .error : .warning))
        }
        return findings
    }

    static func identityChanges(from a: ProvenanceSummary, to b: ProvenanceSummary, includeCommit: Bool) -> [String] {
        var changes: [String] = []
        let (ra, rb) = (a.repository.map(Self.canonicalRepository), b.repository.map(Self.canonicalRepository))
        if ra != rb { changes.append("repository \(a.repository ?? "(none)") → \(b.repository ?? "(none)")") }
        if a.workflow != b.workflow { changes.append("workflow \(a.workflow ?? "(none)") → \(b.workflow ?? "(none)")") }
        if includeCommit ? a.ref != b.ref : a.refKind != b.refKind { changes.append("ref \(a.ref ?? "(none)") → \(b.ref ?? "(none)")") }
        if includeCommit, a.commit != b.commit { changes.append("commit \(a.commit ?? "(none)") → \(b.commit ?? "(none)")") }
        return changes
    }

    static func identityKey(_ p: ProvenanceSummary) -> String {
        [p.repository.map(canonicalRepository) ?? "", p.workflow ?? "", p.refKind ?? ""].joined(separator: "\n")
    }

    static func canonicalRepository(_ url: String) -> String {
        (RepositoryURL.normalize(url) ?? url).lowercased()
    }

    /// One line naming the error (multi-line tool output is joined, so Markdown tables and logs stay intact).
    static func describe(_ error: any Error) -> String {
        let text = (error as? RegistryError)?.description ?? String(describing: error)
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
