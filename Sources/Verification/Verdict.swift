import Foundation

/// The stable identifier of a check, e.g. `registry.integrity` or `policy.workflow`.
///
/// Identifiers are part of the documented JSON, SARIF (rule ids) and VSA outputs: never rename one, add new ones.
/// They are encoded as plain JSON strings.
public struct CheckID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The dotted identifier, `<area>.<name>`.
    public let rawValue: String

    /// Wraps a dotted identifier.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Wraps a dotted identifier given as a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }
    public static func < (lhs: CheckID, rhs: CheckID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The area before the first dot (`registry`, `archive`, `trust`, `source`, `rebuild`, `policy`).
    public var area: String { String(rawValue.prefix { $0 != "." }) }
}

extension CheckID {
    /// The tarball's sha512 equals the packument's `dist.integrity`.
    public static let registryIntegrity: CheckID = "registry.integrity"
    /// The tarball's sha1 equals the packument's `dist.shasum`.
    public static let registryShasum: CheckID = "registry.shasum"
    /// The tarball's gzip and tar structure has no findings (path traversal, duplicate entries, trailing data…).
    public static let archiveFindings: CheckID = "archive.findings"
    /// The registry's ECDSA signature over `name@version:integrity` verifies with a registry key.
    public static let trustSignatures: CheckID = "trust.signatures"
    /// The registry-signed publish attestation verifies and names this package and digest.
    public static let trustPublishAttestation: CheckID = "trust.publish-attestation"
    /// The Sigstore SLSA provenance bundle verifies and its subject is this package and digest.
    public static let trustProvenance: CheckID = "trust.provenance"
    /// A git tag for the version exists in the source repository.
    public static let sourceTag: CheckID = "source.tag"
    /// The commit named by the provenance (or the packument's `gitHead`) exists in the source repository.
    public static let sourceCommitExists: CheckID = "source.commit-exists"
    /// The version's tag points at the commit the provenance names (a moved tag is a finding).
    public static let sourceTagMatchesProvenance: CheckID = "source.tag-matches-provenance"
    /// The tarball rebuilt from the source at the commit equals the registry tarball.
    public static let rebuildCompare: CheckID = "rebuild.compare"
    /// Files present in the registry tarball but absent from the source (built output): cannot be verified by rebuild.
    public static let rebuildNotInSource: CheckID = "rebuild.not-in-source"
    /// The provenance names the expected source repository (URL and, when given, numeric ids).
    public static let policyRepository: CheckID = "policy.repository"
    /// The provenance names the expected workflow file.
    public static let policyWorkflow: CheckID = "policy.workflow"
    /// The provenance's git ref is an allowed ref.
    public static let policyRef: CheckID = "policy.ref"
    /// The provenance's build trigger (event) is an allowed trigger.
    public static let policyTrigger: CheckID = "policy.trigger"
    /// The build ran on an allowed runner environment (`github-hosted`).
    public static let policyRunner: CheckID = "policy.runner"
    /// The build ran in the expected deployment environment (Fulcio extension 1.3.6.1.4.1.57264.1.23).
    public static let policyEnvironment: CheckID = "policy.environment"
    /// Provenance is present when the policy (or the package's history) requires it.
    public static let policyProvenanceRequired: CheckID = "policy.provenance-required"
    /// A publish attestation is present when the policy requires it.
    public static let policyPublishAttestationRequired: CheckID = "policy.publish-attestation-required"
    /// The rebuild verdict is one the policy accepts.
    public static let policyRebuild: CheckID = "policy.rebuild"
    /// The source commit is in the history of an allowed branch (not an orphan or fork-pushed commit).
    public static let policyBranch: CheckID = "policy.branch"
}

/// The outcome of one check.
///
/// `skipped` and `notApplicable` carry the reason; a skipped check is never counted as passed.
/// JSON form: `"status": "pass" | "fail" | "skipped" | "not-applicable"`, with the reason in `"statusReason"`.
public enum CheckStatus: Hashable, Sendable {
    /// The check ran and passed.
    case pass
    /// The check ran and failed; the check's `reasons` say why.
    case fail
    /// The check could not run (missing input, unavailable data, unsupported format); never a pass.
    case skipped(reason: String)
    /// The check does not apply to this package (e.g. no provenance under a policy that does not require it).
    case notApplicable(reason: String)

    /// The stable JSON keyword: `pass`, `fail`, `skipped` or `not-applicable`.
    public var keyword: String {
        switch self {
        case .pass: "pass"
        case .fail: "fail"
        case .skipped: "skipped"
        case .notApplicable: "not-applicable"
        }
    }

    /// The reason of a `skipped` or `notApplicable` status, `nil` otherwise.
    public var reason: String? {
        switch self {
        case .pass, .fail: nil
        case .skipped(let reason), .notApplicable(let reason): reason
        }
    }

    /// Whether this is `skipped`.
    public var isSkipped: Bool {
        if case .skipped = self { return true }
        return false
    }
}

/// One check of a verification: what was checked, the outcome, the evidence it is based on and why it failed.
public struct Check: Codable, Hashable, Sendable {
    /// Stable identifier (see ``CheckID``).
    public var id: CheckID
    /// A one-line human title, e.g. "Registry integrity".
    public var title: String
    /// The outcome.
    public var status: CheckStatus
    /// Whether the overall verdict needs this check to pass to be `verified`.
    public var required: Bool
    /// What the check looked at: digests, commit, tag, workflow, integrity, key ids… (stable keys, string values).
    public var evidence: [String: String]
    /// Why the check failed or what it found, one sentence each (empty on a clean pass).
    public var reasons: [String]

    /// Makes a check.
    public init(
        id: CheckID, title: String, status: CheckStatus, required: Bool = true,
        evidence: [String: String] = [:], reasons: [String] = []
    ) {
        self.id = id
        self.title = title
        self.status = status
        self.required = required
        self.evidence = evidence
        self.reasons = reasons
    }

    /// A passing check.
    public static func pass(
        _ id: CheckID, _ title: String, evidence: [String: String] = [:], reasons: [String] = []
    ) -> Check {
        Check(id: id, title: title, status: .pass, evidence: evidence, reasons: reasons)
    }
    /// A failing check; `reasons` should say what differed from what was expected.
    public static func fail(
        _ id: CheckID, _ title: String, evidence: [String: String] = [:], reasons: [String]
    ) -> Check {
        Check(id: id, title: title, status: .fail, evidence: evidence, reasons: reasons)
    }
    /// A check that could not run.
    public static func skipped(
        _ id: CheckID, _ title: String, reason: String, evidence: [String: String] = [:], reasons: [String] = []
    ) -> Check {
        Check(id: id, title: title, status: .skipped(reason: reason), evidence: evidence, reasons: reasons)
    }
    /// A check that does not apply.
    public static func notApplicable(
        _ id: CheckID, _ title: String, reason: String, evidence: [String: String] = [:]
    ) -> Check {
        Check(id: id, title: title, status: .notApplicable(reason: reason), evidence: evidence)
    }

    enum CodingKeys: String, CodingKey {
        case id, title, status, statusReason, required, evidence, reasons
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(CheckID.self, forKey: .id)
        title = try c.decode(String.self, forKey: .title)
        let keyword = try c.decode(String.self, forKey: .status)
        let reason = try c.decodeIfPresent(String.self, forKey: .statusReason)
        switch keyword {
        case "pass": status = .pass
        case "fail": status = .fail
        case "skipped": status = .skipped(reason: reason ?? "")
        case "not-applicable": status = .notApplicable(reason: reason ?? "")
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: c,
                debugDescription: "unknown check status \"\(keyword)\" (expected pass, fail, skipped, not-applicable)")
        }
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? true
        evidence = try c.decodeIfPresent([String: String].self, forKey: .evidence) ?? [:]
        reasons = try c.decodeIfPresent([String].self, forKey: .reasons) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(status.keyword, forKey: .status)
        try c.encodeIfPresent(status.reason, forKey: .statusReason)
        try c.encode(required, forKey: .required)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(reasons, forKey: .reasons)
    }
}

/// How skipped checks count.
public enum Strictness: String, Codable, Hashable, Sendable {
    /// A skipped check makes the verdict `incomplete` (never `verified`), but not `failed`.
    case standard
    /// A skipped check (required or not) is a failure.
    case strict
}

/// The overall result of a verification, derived from its checks and the strictness.
public enum OverallResult: String, Codable, Hashable, Sendable {
    /// Every required check ran and passed, and no check failed (with `strict`: nothing was skipped either).
    case verified
    /// No check failed, but a required check was skipped (or nothing passed at all): the package is NOT verified.
    case incomplete
    /// At least one check failed (with `strict`: or was skipped).
    case failed

    /// Derives the overall result:
    /// - any `fail` → `failed`;
    /// - with `strict`, any `skipped` → `failed`;
    /// - a required check `skipped` → `incomplete` (an optional skipped check is reported but does not block);
    /// - no check passed at all → `incomplete` (fail closed: nothing was verified);
    /// - otherwise `verified`. `not-applicable` counts as neither pass nor fail.
    public static func derive(from checks: [Check], strictness: Strictness) -> OverallResult {
        if checks.contains(where: { $0.status == .fail }) { return .failed }
        if strictness == .strict, checks.contains(where: { $0.status.isSkipped }) { return .failed }
        if checks.contains(where: { $0.required && $0.status.isSkipped }) { return .incomplete }
        if !checks.contains(where: { $0.status == .pass }) { return .incomplete }
        return .verified
    }
}

/// What was verified: the package version and the registry tarball's integrity.
public struct VerdictSubject: Codable, Hashable, Sendable {
    /// The package name, e.g. `@scope/name`.
    public var name: String
    /// The version.
    public var version: String
    /// The registry's `dist.integrity` (SRI), when known.
    public var integrity: String?
    /// The tarball's sha512 as lowercase hex, when the tarball was read (used for the VSA subject digest).
    public var sha512Hex: String?
    /// The tarball URL the registry named.
    public var tarballURL: String?

    /// Makes a subject.
    public init(name: String, version: String, integrity: String? = nil, sha512Hex: String? = nil,
                tarballURL: String? = nil) {
        self.name = name
        self.version = version
        self.integrity = integrity
        self.sha512Hex = sha512Hex
        self.tarballURL = tarballURL
    }

    /// The package URL (`pkg:npm/%40scope/name@version`), as used in npm attestation subjects.
    public var purl: String { PackageURL.npm(name: name, version: version) }
}

/// The result of verifying one package version: every check and the overall result.
public struct Verdict: Codable, Hashable, Sendable {
    /// The JSON schema version of this document (see docs/json-schema.md). Bumped only on incompatible changes.
    public static let schemaVersion = 1

    /// What was verified.
    public var subject: VerdictSubject
    /// Every check, in pipeline order.
    public private(set) var checks: [Check]
    /// The strictness the overall result was derived with.
    public private(set) var strictness: Strictness
    /// When the verification finished.
    public var verifiedAt: Date
    /// The overall result, derived from `checks` and `strictness`.
    public var overall: OverallResult { OverallResult.derive(from: checks, strictness: strictness) }

    /// Makes a verdict; `overall` is derived from `checks` and `strictness`.
    public init(subject: VerdictSubject, checks: [Check], strictness: Strictness = .standard,
                verifiedAt: Date = Date()) {
        self.subject = subject
        self.checks = checks
        self.strictness = strictness
        self.verifiedAt = verifiedAt
    }

    /// The first check with this id, if any.
    public func check(_ id: CheckID) -> Check? { checks.first { $0.id == id } }

    /// Counts of checks by status keyword (`pass`, `fail`, `skipped`, `not-applicable`).
    public var counts: [String: Int] {
        var result = ["pass": 0, "fail": 0, "skipped": 0, "not-applicable": 0]
        for check in checks { result[check.status.keyword, default: 0] += 1 }
        return result
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion, subject, overall, strictness, verifiedAt, counts, checks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(Int.self, forKey: .schemaVersion)
        guard version == Verdict.schemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: c,
                debugDescription: "unsupported verdict schemaVersion \(version) (this build reads \(Verdict.schemaVersion))")
        }
        subject = try c.decode(VerdictSubject.self, forKey: .subject)
        checks = try c.decode([Check].self, forKey: .checks)
        strictness = try c.decode(Strictness.self, forKey: .strictness)
        let dateString = try c.decode(String.self, forKey: .verifiedAt)
        guard let date = Timestamp.parse(dateString) else {
            throw DecodingError.dataCorruptedError(
                forKey: .verifiedAt, in: c, debugDescription: "verifiedAt is not an RFC 3339 UTC time: \(dateString)")
        }
        verifiedAt = date
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Verdict.schemaVersion, forKey: .schemaVersion)
        try c.encode(subject, forKey: .subject)
        try c.encode(overall, forKey: .overall)
        try c.encode(strictness, forKey: .strictness)
        try c.encode(Timestamp.format(verifiedAt), forKey: .verifiedAt)
        try c.encode(counts, forKey: .counts)
        try c.encode(checks, forKey: .checks)
    }

    /// The documented JSON form (sorted keys, pretty-printed, no escaped slashes; see docs/json-schema.md).
    public func jsonData() throws -> Data {
        try ProvcheckJSON.encode(self)
    }
}

/// The JSON encoding every provcheck document uses: sorted keys, pretty-printed, unescaped slashes.
public enum ProvcheckJSON {
    /// Encodes a value with provcheck's output settings: pretty-printed, sorted keys, unescaped slashes, dates
    /// as RFC 3339 strings.
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }
}

/// RFC 3339 UTC timestamps (`2026-11-28T03:05:51Z`) used in every provcheck document.
public enum Timestamp {
    /// Formats a date as `yyyy-MM-ddTHH:mm:ssZ`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
    /// Parses an RFC 3339 time with or without fractional seconds.
    public static func parse(_ string: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: string) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: string)
    }
}

/// Package URLs for npm packages (the form npm uses in attestation subjects).
public enum PackageURL {
    /// `pkg:npm/<name>@<version>` with the scope's `@` percent-encoded: `pkg:npm/%40scope/name@1.0.0`; without a
    /// version (a package-level finding), `pkg:npm/<name>` — never the malformed `pkg:npm/<name>@`.
    public static func npm(name: String, version: String?) -> String {
        let encodedName = name.hasPrefix("@") ? "%40" + name.dropFirst() : name
        guard let version, !version.isEmpty else { return "pkg:npm/\(encodedName)" }
        return "pkg:npm/\(encodedName)@\(version)"
    }
}
