import Foundation
import Lockfiles
import Reports
import Verification

/// Check ids only `provcheck audit` produces.
extension CheckID {
    /// The lockfile's `integrity` equals the registry's `dist.integrity`.
    public static let auditLockfileIntegrity: CheckID = "audit.lockfile-integrity"
    /// The installed `node_modules/<pkg>/package.json` has the lockfile's name and version.
    public static let auditInstalled: CheckID = "audit.installed"
    /// The package comes from a registry (git, file, link and tarball-URL packages cannot be audited).
    public static let auditSource: CheckID = "audit.source"
    /// The registry answered for the package (packument, version, attestations).
    public static let auditRegistry: CheckID = "audit.registry"
}

/// Why a package was not (fully) audited.
public enum AuditSkipReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The package's registry has no signing keys (its keys endpoint answered 404/400).
    case noRegistryKeys = "no-registry-keys"
    /// git, file, link or tarball-URL package.
    case notFromRegistry = "not-from-registry"
    /// The registry could not be reached or answered garbage, after retries.
    case networkError = "network-error"
    /// `--rebuild`: a source or rebuild check of the package was skipped (e.g. files not in source, no local
    /// source offline), so the rebuild did not verify it.
    case rebuildSkipped = "rebuild-skipped"

    /// A short phrase for summaries.
    public var phrase: String { Self.phrases[self] ?? rawValue }

    private static let phrases: [AuditSkipReason: String] = [
        .noRegistryKeys: "registry has no signing keys", .notFromRegistry: "not from a registry",
        .networkError: "network error after retries", .rebuildSkipped: "rebuild check skipped",
    ]
}

/// The audit outcome of one package.
public enum PackageAuditStatus: String, Hashable, Sendable, Codable {
    /// Every check that ran passed, and signatures (and announced attestations) verified.
    case verified
    /// A check failed: bad or unverifiable signature, invalid attestation, integrity or install mismatch, policy.
    case invalid
    /// The registry has keys but the version has no signature, or an announced attestation is absent.
    case missing
    /// The package could not be audited (see ``AuditSkipReason``); never counted as verified.
    case skipped
}

/// How a package's registry signatures came out.
public enum SignatureOutcome: String, Hashable, Sendable, Codable {
    /// Every `dist.signatures` entry verified.
    case verified
    /// The registry has keys but the version has no signature.
    case missing
    /// A signature failed (bad signature, unknown key, expired key, malformed).
    case invalid
    /// Not checked (no keys, not a registry package, registry unreachable).
    case notChecked = "not-checked"
}

/// How a package's attestations came out.
public enum AttestationOutcome: String, Hashable, Sendable, Codable {
    /// The packument announces none.
    case none
    /// Every attestation verified.
    case verified
    /// Announced but not served.
    case missing
    /// An attestation failed verification.
    case invalid
    /// Not checked (no keys, registry unreachable, not a registry package).
    case notChecked = "not-checked"
}

/// Everything the audit found about one locked package.
public struct PackageAudit: Hashable, Sendable, Codable {
    /// The registry name.
    public var name: String
    /// The version.
    public var version: String
    /// The lockfile location (npm: install path; yarn/pnpm: the lockfile key).
    public var location: String
    /// The outcome.
    public var status: PackageAuditStatus
    /// Why it was skipped (status `skipped`), if it was.
    public var skipReason: AuditSkipReason?
    /// The registry-signature outcome.
    public var signatures: SignatureOutcome
    /// The attestation outcome.
    public var attestations: AttestationOutcome
    /// One sentence per finding or skipped check (empty for a clean pass).
    public var reasons: [String]
    /// Every check, in the shared verdict model (for SARIF and `--json`).
    public var checks: [Check]
    /// The build identity of the verified provenance, when the package has one.
    public var provenance: ProvenanceIdentity?

    /// Creates a value.
    public init(
        name: String, version: String, location: String, status: PackageAuditStatus, skipReason: AuditSkipReason?,
        signatures: SignatureOutcome, attestations: AttestationOutcome, reasons: [String], checks: [Check],
        provenance: ProvenanceIdentity? = nil
    ) {
        self.name = name
        self.version = version
        self.location = location
        self.status = status
        self.skipReason = skipReason
        self.signatures = signatures
        self.attestations = attestations
        self.reasons = reasons
        self.checks = checks
        self.provenance = provenance
    }

    /// Whether the registry had keys and the signatures were checked (npm's "audited").
    public var audited: Bool { signatures != .notChecked }

    enum CodingKeys: String, CodingKey {
        case name, version, location, status, skipReason = "skip_reason", signatures, attestations, reasons, checks
        case provenance
    }
}

/// The counts of an audit. Each package is in exactly one of verified / invalid / missing / skipped.
public struct AuditCounts: Hashable, Sendable, Codable {
    /// Packages whose signatures were checked against registry keys (npm's "audited").
    public var audited: Int
    /// Packages whose every registry signature verified.
    public var verifiedSignatures: Int
    /// Packages with attestations, all of which verified.
    public var verifiedAttestations: Int
    /// Packages with status `missing`.
    public var missing: Int
    /// Packages with status `invalid`.
    public var invalid: Int
    /// Packages with status `skipped`.
    public var skipped: Int
    /// Skipped packages by reason.
    public var skippedByReason: [String: Int]
    /// Packages with status `verified`.
    public var verified: Int
    /// Every package listed.
    public var total: Int

    /// Counts `packages`.
    public init(_ packages: [PackageAudit]) {
        audited = packages.filter(\.audited).count
        verifiedSignatures = packages.filter { $0.signatures == .verified }.count
        verifiedAttestations = packages.filter { $0.attestations == .verified }.count
        missing = packages.filter { $0.status == .missing }.count
        invalid = packages.filter { $0.status == .invalid }.count
        skipped = packages.filter { $0.status == .skipped }.count
        verified = packages.filter { $0.status == .verified }.count
        total = packages.count
        var byReason: [String: Int] = [:]
        for package in packages where package.status == .skipped {
            byReason[(package.skipReason ?? .networkError).rawValue, default: 0] += 1
        }
        skippedByReason = byReason
    }

    enum CodingKeys: String, CodingKey {
        case audited, verifiedSignatures = "verified_signatures", verifiedAttestations = "verified_attestations"
        case missing, invalid, skipped, skippedByReason = "skipped_by_reason", verified, total
    }
}

/// The result of `provcheck audit`.
public struct AuditReport: Hashable, Sendable, Codable {
    /// The lockfile read.
    public var lockfile: String
    /// Its format.
    public var format: LockfileFormat
    /// The counts.
    public var counts: AuditCounts
    /// One entry per locked package (after `--omit`), sorted by location.
    public var packages: [PackageAudit]
    /// Seconds the audit took.
    public var elapsed: Double

    /// Creates a report; counts are derived.
    public init(lockfile: String, format: LockfileFormat, packages: [PackageAudit], elapsed: Double) {
        self.lockfile = lockfile
        self.format = format
        self.packages = packages.sorted { ($0.location, $0.name) < ($1.location, $1.name) }
        self.counts = AuditCounts(packages)
        self.elapsed = elapsed
    }

    /// Whether the audit fails: any invalid or missing package; with `strict`, also any skipped package or any
    /// skipped check of a package (the engine's ``Strictness/strict`` rule: a skipped check is a failure).
    public func failed(strict: Bool) -> Bool {
        if counts.invalid > 0 || counts.missing > 0 { return true }
        guard strict else { return false }
        return counts.skipped > 0 || packages.contains { $0.checks.contains { $0.status.isSkipped } }
    }

    /// The JSON document `--json` prints: the counts at the top level, then `packages`.
    public func jsonData() throws -> Data {
        struct Document: Encodable {
            let report: AuditReport
            enum Keys: String, CodingKey {
                case audited, verifiedSignatures = "verified_signatures", verifiedAttestations = "verified_attestations"
                case missing, invalid, skipped, skippedByReason = "skipped_by_reason", verified, total, lockfile
                case format, elapsedSeconds = "elapsed_seconds", packages
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                let n = report.counts
                try c.encode(n.audited, forKey: .audited)
                try c.encode(n.verifiedSignatures, forKey: .verifiedSignatures)
                try c.encode(n.verifiedAttestations, forKey: .verifiedAttestations)
                try c.encode(n.missing, forKey: .missing)
                try c.encode(n.invalid, forKey: .invalid)
                try c.encode(n.skipped, forKey: .skipped)
                try c.encode(n.skippedByReason, forKey: .skippedByReason)
                try c.encode(n.verified, forKey: .verified)
                try c.encode(n.total, forKey: .total)
                try c.encode(report.lockfile, forKey: .lockfile)
                try c.encode(report.format, forKey: .format)
                try c.encode((report.elapsed * 1000).rounded() / 1000, forKey: .elapsedSeconds)
                try c.encode(report.packages, forKey: .packages)
            }
        }
        return try ProvcheckJSON.encode(Document(report: self))
    }

    /// A SARIF log with one result per failed (error) or skipped (warning) check of every package.
    public func sarif(toolVersion: String, artifactURI: String? = nil) -> SARIFLog {
        let verdicts = packages.filter { $0.status != .verified }.map { package in
            Verdict(subject: VerdictSubject(name: package.name, version: package.version), checks: package.checks)
        }
        return SARIFLog.make(verdicts: verdicts, toolVersion: toolVersion,
                             artifactURI: artifactURI ?? URL(fileURLWithPath: lockfile).lastPathComponent)
    }
}
