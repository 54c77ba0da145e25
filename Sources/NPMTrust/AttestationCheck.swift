import Foundation

/// The outcome of checking one attestation from `GET /-/npm/v1/attestations/<name>@<version>`.
public enum AttestationStatus: String, Sendable, Hashable, Codable {
    /// The bundle verifies, the statement covers exactly this package version and tarball.
    case verified
    /// The packument announces an attestation (`dist.attestations`) that the registry does not serve.
    case missing
    /// The predicate type is not one this tool knows how to verify (reported, never passed).
    case unsupportedPredicate = "unsupported-predicate"
    /// The response, bundle or statement is not well-formed.
    case malformed
    /// The publish attestation names a key id no registry key has.
    case unknownKey = "unknown-key"
    /// The registry key had expired at the Rekor integrated time.
    case keyExpired = "key-expired"
    /// The bundle is signed the wrong way for its predicate (publish attestations by the registry key,
    /// provenance by a Fulcio certificate).
    case wrongSigner = "wrong-signer"
    /// Sigstore verification of the bundle failed (signature, certificate chain, transparency log).
    case bundleInvalid = "bundle-invalid"
    /// The signed statement does not match the envelope (payload type, statement type or predicate type).
    case statementMismatch = "statement-mismatch"
    /// The statement has no subjects.
    case noSubjects = "no-subjects"
    /// A subject's name is not `pkg:npm/<name>@<version>`.
    case subjectNameMismatch = "subject-name-mismatch"
    /// A subject's sha512 is not the tarball integrity.
    case subjectDigestMismatch = "subject-digest-mismatch"
    /// The publish predicate names another package or version.
    case predicateMismatch = "predicate-mismatch"
    /// The provenance predicate contradicts its signing certificate.
    case provenanceInconsistent = "provenance-inconsistent"
    /// The registry has no keys, so a registry-signed attestation could not be verified.
    case skippedNoKeys = "skipped-no-keys"
}

/// One attestation check: what it claims, whether it verified, why, and the provenance facts it states.
public struct AttestationCheck: Sendable, Hashable, Codable {
    /// The predicate type the registry lists for the attestation (a verified attestation's signed statement
    /// has the same one; a difference is ``AttestationStatus/statementMismatch``).
    public var predicateType: String
    /// The outcome.
    public var status: AttestationStatus
    /// A sentence saying what was checked and why it passed or failed.
    public var reason: String
    /// Who signed: the registry key id (publish attestations) or the certificate identity (provenance).
    public var signer: String?
    /// The verified Rekor integrated time (or RFC 3161 time), when the bundle verified.
    public var signedAt: Date?
    /// Provenance facts (SLSA provenance only; `nil` for publish attestations and unreadable bundles).
    public var facts: ProvenanceFacts?

    /// Creates a check result.
    public init(predicateType: String, status: AttestationStatus, reason: String, signer: String? = nil,
                signedAt: Date? = nil, facts: ProvenanceFacts? = nil) {
        self.predicateType = predicateType
        self.status = status
        self.reason = reason
        self.signer = signer
        self.signedAt = signedAt
        self.facts = facts
    }

    /// `true` only for ``AttestationStatus/verified``.
    public var ok: Bool { status == .verified }

    /// Whether this is SLSA provenance (v0.2 or v1).
    public var isProvenance: Bool { AttestationPredicate(rawValue: predicateType)?.isProvenance ?? false }

    private enum CodingKeys: String, CodingKey {
        case predicateType = "predicate_type", status, ok, reason, signer
        case signedAt = "signed_at", facts
    }

    /// Decodes a check (the `ok` field is derived and ignored on input).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        predicateType = try container.decode(String.self, forKey: .predicateType)
        status = try container.decode(AttestationStatus.self, forKey: .status)
        reason = try container.decode(String.self, forKey: .reason)
        signer = try container.decodeIfPresent(String.self, forKey: .signer)
        signedAt = try container.decodeIfPresent(String.self, forKey: .signedAt).flatMap(NPMDate.parse)
        facts = try container.decodeIfPresent(ProvenanceFacts.self, forKey: .facts)
    }

    /// Encodes `predicate_type`, `status`, `ok`, `reason`, `signer`, `signed_at` (ISO-8601), `facts`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(predicateType, forKey: .predicateType)
        try container.encode(status, forKey: .status)
        try container.encode(ok, forKey: .ok)
        try container.encode(reason, forKey: .reason)
        try container.encode(signer, forKey: .signer)
        try container.encode(signedAt.map(NPMDate.format), forKey: .signedAt)
        try container.encode(facts, forKey: .facts)
    }
}

/// The attestation predicate types npm serves and this tool verifies.
public enum AttestationPredicate: String, Sendable, Hashable, CaseIterable, Codable {
    /// The npm publish attestation, signed by the registry key.
    case npmPublishV01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
    /// SLSA provenance v0.2 (in-toto Statement v0.1), Fulcio-signed.
    case slsaProvenanceV02 = "https://slsa.dev/provenance/v0.2"
    /// SLSA provenance v1 (in-toto Statement v1), Fulcio-signed.
    case slsaProvenanceV1 = "https://slsa.dev/provenance/v1"

    /// Whether this is SLSA provenance.
    public var isProvenance: Bool { self != .npmPublishV01 }
}
