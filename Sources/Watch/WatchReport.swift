import Configuration
import Foundation
import Reports
import Verification

/// How serious a watch finding is. `error` findings make `provcheck watch` exit 1.
public enum WatchSeverity: String, Codable, Hashable, Sendable, Comparable, CaseIterable {
    /// For the record (a new version).
    case note
    /// Worth a look.
    case warning
    /// Smells like a compromise, or a check could not run.
    case error

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: WatchSeverity, rhs: WatchSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// The stable finding codes of `provcheck watch` (also the SARIF rule ids).
public enum WatchFindingCode: String, Codable, Hashable, Sendable, CaseIterable {
    /// A version not seen before (note).
    case newVersion = "watch.new-version"
    /// `dist.integrity` or `dist.shasum` changed since the version was first seen (error).
    case integrityChanged = "watch.integrity-changed"
    /// `dist.signatures` key ids changed (warning).
    case signaturesChanged = "watch.signatures-changed"
    /// Lower trust level than the previous version of the same major line (error).
    case trustDowngrade = "watch.trust-downgrade"
    /// No tag for the version in the source repository, or its tag was deleted (error).
    case noMatchingTag = "watch.no-matching-tag"
    /// The tag points at another commit than the provenance's, or than when first seen (error).
    case tagMoved = "watch.tag-moved"
    /// Provenance from another repository, workflow or ref kind than the previous versions (error).
    case provenanceIdentityChanged = "watch.provenance-identity-changed"
    /// A version was published directly (no staged approval) while staged versions were pending (error).
    case directPublishWhileStaged = "watch.direct-publish-while-staged"
    /// The published `dist.integrity` differs from the staged tarball pinned before approval (error).
    case stagedIntegrityMismatch = "watch.staged-integrity-mismatch"
    /// The verification verdict (rebuild, policy) changed since the last run, or a new version fails it (error
    /// when it now fails, warning otherwise).
    case verdictChanged = "watch.verdict-changed"
    /// A version disappeared from the packument (warning).
    case versionRemoved = "watch.version-removed"
    /// The package could not be checked this run (network, registry error); nothing about it is known (error).
    case packageUnavailable = "watch.package-unavailable"
    /// Part of a package's checks could not run (source repository, staging list, trust); not "no change" (warning).
    case checkIncomplete = "watch.check-incomplete"
    /// A failure reported on an earlier run is still there and not acknowledged (restated every run).
    case openFailure = "watch.open-failure"

    /// The default severity.
    public var severity: WatchSeverity {
        switch self {
        case .newVersion: .note
        case .signaturesChanged, .versionRemoved, .checkIncomplete: .warning
        default: .error
        }
    }

    /// A one-line description (SARIF rule text, docs).
    public var summary: String {
        switch self {
        case .newVersion: "A version not seen before"
        case .integrityChanged: "dist.integrity or dist.shasum changed since the version was first seen"
        case .signaturesChanged: "The registry signature key ids changed"
        case .trustDowngrade: "Lower trust level than the previous version of the same major line"
        case .noMatchingTag: "No tag for the version in the source repository"
        case .tagMoved: "The version's tag now points at another commit"
        case .provenanceIdentityChanged: "Provenance from another repository, workflow or ref than previous versions"
        case .directPublishWhileStaged: "A version was published directly while staged versions were pending"
        case .stagedIntegrityMismatch: "The published tarball is not the staged tarball checked before approval"
        case .verdictChanged: "The verification verdict changed"
        case .versionRemoved: "A version disappeared from the registry"
        case .packageUnavailable: "The package could not be checked"
        case .openFailure: "A failure found earlier is still open (not acknowledged in the configuration)"
        case .checkIncomplete: "Some checks could not run"
        }
    }
}

/// One finding of a watch run.
public struct WatchFinding: Codable, Hashable, Sendable {
    /// The stable code.
    public var code: WatchFindingCode
    /// The severity.
    public var severity: WatchSeverity
    /// The package.
    public var package: String
    /// The version, when the finding is about one.
    public var version: String?
    /// What was found, in a sentence naming the values.
    public var message: String
    /// The values compared (before/after, digests, commits).
    public var evidence: [String: String]

    /// Makes a finding with the code's default severity unless given.
    public init(_ code: WatchFindingCode, package: String, version: String? = nil, message: String,
                evidence: [String: String] = [:], severity: WatchSeverity? = nil) {
        self.code = code
        self.severity = severity ?? code.severity
        self.package = package
        self.version = version
        self.message = message
        self.evidence = evidence
    }

    /// Stable report order: package, version (semver), code, message.
    static func ordered(_ a: WatchFinding, _ b: WatchFinding) -> Bool {
        if a.package != b.package { return a.package < b.package }
        if a.version != b.version {
            guard let x = a.version else { return true }
            guard let y = b.version else { return false }
            return SemVer.precedes(x, y) || (!SemVer.precedes(y, x) && x < y)
        }
        if a.code != b.code { return a.code.rawValue < b.code.rawValue }
        return a.message < b.message
    }
}

/// How one package fared in a run.
public struct PackageRunSummary: Codable, Hashable, Sendable {
    /// The package.
    public var name: String
    /// `checked` or `unavailable` (nothing known this run).
    public var status: String
    /// Versions looked at.
    public var versionsChecked: [String]
    /// Checks that could not run, each with its reason.
    public var incomplete: [String]

    /// Makes a summary.
    public init(name: String, status: String, versionsChecked: [String] = [], incomplete: [String] = []) {
        self.name = name
        self.status = status
        self.versionsChecked = versionsChecked
        self.incomplete = incomplete
    }
}

/// A `provcheck watch` report (JSON): the findings of one run, one shard, or merged shards.
public struct WatchReport: Codable, Hashable, Sendable {
    /// The schema version of this document.
    public static let schemaVersion = 1

    /// Always ``schemaVersion``.
    public var schemaVersion: Int
    /// When the run happened (merged reports: the latest shard's time).
    public var generatedAt: Date
    /// `i/n` when this is one shard's report; `nil` for a whole run or a merged report.
    public var shard: String?
    /// Packages, sorted by name.
    public var packages: [PackageRunSummary]
    /// Findings in stable order (package, version, code).
    public var findings: [WatchFinding]

    /// Makes a report; packages and findings are put in stable order.
    public init(generatedAt: Date, shard: String? = nil, packages: [PackageRunSummary], findings: [WatchFinding]) {
        self.schemaVersion = Self.schemaVersion
        self.generatedAt = generatedAt
        self.shard = shard
        self.packages = packages.sorted { $0.name < $1.name }
        self.findings = findings.sorted(by: WatchFinding.ordered)
    }

    /// The highest severity present (`nil` without findings).
    public var highestSeverity: WatchSeverity? { findings.map(\.severity).max() }

    /// Whether any finding has severity `error` (exit code 1).
    public var hasErrors: Bool { highestSeverity == .error }

    /// Whether some check could not run (a ``WatchFindingCode/checkIncomplete`` finding, or a package with nothing
    /// known this run): what `--strict` fails on.
    public var isIncomplete: Bool {
        findings.contains { $0.code == .checkIncomplete } || packages.contains { $0.status == "unavailable" }
    }

    /// Counts per severity.
    public var counts: [WatchSeverity: Int] {
        Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
    }

    /// Joins shard reports into one, as if one run had checked every package.
    /// - Throws: ``WatchReportError`` when a package appears in two reports.
    public static func merge(_ reports: [WatchReport]) throws -> WatchReport {
        var seen = Set<String>()
        for report in reports {
            for package in report.packages where !seen.insert(package.name).inserted {
                throw WatchReportError(message: "package \(package.name) appears in more than one shard report")
            }
        }
        return WatchReport(
            generatedAt: reports.map(\.generatedAt).max() ?? Date(timeIntervalSince1970: 0), shard: nil,
            packages: reports.flatMap(\.packages), findings: reports.flatMap(\.findings))
    }

    /// Reads a report written by ``jsonData()``.
    public static func decode(_ data: Data, source: String) throws -> WatchReport {
        do {
            let report = try WatchJSON.decoder.decode(WatchReport.self, from: data)
            guard report.schemaVersion == schemaVersion else {
                throw WatchReportError(message: "\(source): schemaVersion \(report.schemaVersion) is not supported")
            }
            return report
        } catch let error as WatchReportError {
            throw error
        } catch {
            throw WatchReportError(message: "\(source): not a provcheck watch report: \(error)")
        }
    }

    /// The JSON document (sorted keys, ISO 8601 dates).
    public func jsonData() throws -> Data { try WatchJSON.encode(self) }

    /// Writes `data` atomically to `url` (temporary file + rename).
    public static func write(_ data: Data, to url: URL) throws { try WatchJSON.writeAtomically(data, to: url) }
}

/// A report that cannot be used.
public struct WatchReportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Makes an error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Markdown and SARIF

extension WatchReport {
    /// A Markdown summary for a CI job summary or an issue body: counts, a table of findings (errors first),
    /// then the packages that could not be fully checked.
    public func markdown() -> String {
        var lines = ["## provcheck watch" + (shard.map { " (shard \($0))" } ?? ""), ""]
        let c = counts
        lines.append("\(packages.count) package(s) checked at \(Timestamp.format(generatedAt)): "
            + "\(c[.error] ?? 0) error(s), \(c[.warning] ?? 0) warning(s), \(c[.note] ?? 0) note(s).")
        lines.append("")
        let shown = findings.sorted { $0.severity != $1.severity ? $0.severity > $1.severity : WatchFinding.ordered($0, $1) }
        func table(_ rows: [WatchFinding]) {
            lines.append("| Severity | Package | Version | Finding | Details |")
            lines.append("|---|---|---|---|---|")
            for finding in rows {
                lines.append("| \(finding.severity.rawValue) | \(Self.cell(finding.package)) | \(Self.cell(finding.version ?? "")) | `\(finding.code.rawValue)` | \(Self.cell(finding.message)) |")
            }
        }
        if shown.isEmpty {
            lines.append("No findings: nothing changed since the last run.")
        } else {
            let important = shown.filter { $0.severity != .note }
            let notes = shown.filter { $0.severity == .note }
            if !important.isEmpty { table(important) }
            if !notes.isEmpty {
                // Notes (new versions) can be many on a first run: folded, so errors stay on top.
                lines += ["", "<details><summary>\(notes.count) note(s): new versions</summary>", ""]
                table(notes)
                lines += ["", "</details>"]
            }
        }
        let incomplete = packages.filter { !$0.incomplete.isEmpty || $0.status != "checked" }
        if !incomplete.isEmpty {
            lines += ["", "### Not fully checked", ""]
            for package in incomplete {
                lines.append("- **\(package.name)** (\(package.status)): " + (package.incomplete.isEmpty ? "see findings" : package.incomplete.joined(separator: "; ")))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// The findings as a SARIF 2.1.0 log: one rule per finding code, one result per finding (level = severity),
    /// located at `artifactURI` (default `package.json`) and logically at the package's purl.
    public func sarif(toolVersion: String = "0", artifactURI: String = "package.json") -> SARIFLog {
        let codes = WatchFindingCode.allCases
        let index = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ($1, $0) })
        let rules = codes.map { code in
            SARIFLog.ReportingDescriptor(
                id: code.rawValue, name: SARIFLog.pascalCase(code.rawValue),
                shortDescription: .init(code.summary), fullDescription: .init(code.summary),
                help: .init("See docs/watch.md, finding \(code.rawValue)."),
                defaultConfiguration: .init(level: code.severity.rawValue),
                properties: ["tags": .strings(["security", "supply-chain", "npm", "watch"]), "precision": .string("high")])
        }
        let results = findings.map { finding in
            let purl = PackageURL.npm(name: finding.package, version: finding.version)
            let subject = finding.package + (finding.version.map { "@\($0)" } ?? "")
            return SARIFLog.Result(
                ruleId: finding.code.rawValue, ruleIndex: index[finding.code]!, level: finding.severity.rawValue,
                message: .init("\(subject): \(finding.message)"),
                locations: [SARIFLog.Location(
                    physicalLocation: .init(artifactLocation: .init(uri: artifactURI), region: .init(startLine: 1)),
                    logicalLocations: [.init(fullyQualifiedName: purl, kind: "package")])],
                partialFingerprints: ["provcheck-watch/v1": SHA256Hex.of(Data("\(finding.code.rawValue)|\(subject)|\(finding.message)".utf8))],
                properties: finding.evidence.isEmpty ? nil : finding.evidence)
        }
        return SARIFLog(runs: [SARIFLog.Run(
            tool: SARIFLog.Tool(driver: SARIFLog.ToolComponent(
                name: "provcheck", version: toolVersion, semanticVersion: toolVersion,
                informationUri: VerificationSummary.verifierID, rules: rules)),
            results: results, automationDetails: SARIFLog.AutomationDetails(id: "provcheck-watch/"))])
    }
}
