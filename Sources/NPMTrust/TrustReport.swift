import Foundation

/// How strong the evidence for a version's origin is, weakest first. Used to detect trust downgrades
/// between versions (pnpm `trustPolicy: no-downgrade` ranks the same way).
public enum TrustLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Nothing verified.
    case none
    /// Only the registry signature verified.
    case registrySignature = "registry-signature"
    /// SLSA provenance verified.
    case provenance
    /// Published by an OIDC trusted publisher (`_npmUser.trustedPublisher`) and provenance verified.
    case trustedPublisher = "trusted-publisher"
    /// A maintainer approved a staged publish with 2FA (`_npmUser.approver`). This comes from the unsigned
    /// packument and cannot be verified cryptographically.
    case stagedApproval = "staged-approval"

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// Orders levels from weakest to strongest.
    public static func < (lhs: TrustLevel, rhs: TrustLevel) -> Bool { lhs.rank < rhs.rank }

    /// Classifies a version from its publisher metadata and the checks that ran.
    ///
    /// Staged approval counts on its metadata alone; every other level needs its checks to have verified:
    /// provenance levels need a verified SLSA provenance and no failed attestation, the signature level
    /// needs every registry signature verified.
    public static func classify(npmUser: PackageVersionEvidence.Publisher?, signatures: [SignatureCheck],
                                attestations: [AttestationCheck]) -> TrustLevel {
        let signaturesVerified = !signatures.isEmpty && signatures.allSatisfy(\.ok)
        let provenanceVerified = attestations.allSatisfy(\.ok) && attestations.contains { $0.ok && $0.isProvenance }
        if npmUser?.hasStagedApproval == true { return .stagedApproval }
        if provenanceVerified && npmUser?.hasTrustedPublisher == true { return .trustedPublisher }
        if provenanceVerified { return .provenance }
        if signaturesVerified { return .registrySignature }
        return .none
    }
}

/// Everything checked about one version's registry trust: signatures, attestations, what was skipped and why.
public struct TrustReport: Sendable, Hashable, Codable {
    /// `<name>@<version>`.
    public var package: String
    /// The integrity that signatures and attestation subjects were checked against.
    public var integrity: String
    /// The publish time (`time[version]`) signature key expiry was judged at, when the packument has one.
    public var publishTime: Date?
    /// One check per registry signature (or one saying there are none).
    public var signatures: [SignatureCheck]
    /// One check per attestation, plus a `missing` check for each announced but absent one.
    public var attestations: [AttestationCheck]
    /// Checks that could not run, each with its reason (for example "the registry has no keys").
    public var skipped: [String]
    /// The strength of the verified evidence.
    public var trustLevel: TrustLevel

    /// Creates a report; ``skipped`` and ``trustLevel`` are derived from the checks.
    public init(evidence: PackageVersionEvidence, signatures: [SignatureCheck], attestations: [AttestationCheck]) {
        package = evidence.id
        integrity = evidence.integrity
        publishTime = evidence.publishTime
        self.signatures = signatures
        self.attestations = attestations
        skipped = signatures.filter { $0.status == .skippedNoKeys }.map { "registry signature \($0.keyid ?? "(none)"): \($0.reason)" }
            + attestations.filter { $0.status == .skippedNoKeys }.map { "attestation \($0.predicateType): \($0.reason)" }
        trustLevel = TrustLevel.classify(npmUser: evidence.npmUser, signatures: signatures, attestations: attestations)
    }

    /// `true` when every check verified and nothing was skipped (fail closed: skipped is not verified).
    public var ok: Bool {
        !signatures.isEmpty && signatures.allSatisfy(\.ok) && attestations.allSatisfy(\.ok) && skipped.isEmpty
    }

    /// The facts of the verified provenance attestation, if there is one.
    public var provenance: ProvenanceFacts? {
        attestations.first { $0.ok && $0.isProvenance }?.facts
    }

    private enum CodingKeys: String, CodingKey {
        case package, integrity, publishTime = "publish_time", ok, trustLevel = "trust_level"
        case signatures, attestations, skipped, provenance
    }

    /// Decodes a report written by ``encode(to:)`` (`ok` and `provenance` are derived and ignored).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        package = try container.decode(String.self, forKey: .package)
        integrity = try container.decode(String.self, forKey: .integrity)
        publishTime = try container.decodeIfPresent(String.self, forKey: .publishTime).flatMap(NPMDate.parse)
        signatures = try container.decode([SignatureCheck].self, forKey: .signatures)
        attestations = try container.decode([AttestationCheck].self, forKey: .attestations)
        skipped = try container.decode([String].self, forKey: .skipped)
        trustLevel = try container.decode(TrustLevel.self, forKey: .trustLevel)
    }

    /// Encodes `package`, `integrity`, `publish_time`, `ok`, `trust_level`, `signatures`, `attestations`,
    /// `skipped`, `provenance`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(package, forKey: .package)
        try container.encode(integrity, forKey: .integrity)
        try container.encode(publishTime.map(NPMDate.format), forKey: .publishTime)
        try container.encode(ok, forKey: .ok)
        try container.encode(trustLevel, forKey: .trustLevel)
        try container.encode(signatures, forKey: .signatures)
        try container.encode(attestations, forKey: .attestations)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(provenance, forKey: .provenance)
    }
}
