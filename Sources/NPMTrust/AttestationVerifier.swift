import Foundation
import Sigstore

/// What Sigstore established about a bundle whose verification succeeded.
struct VerifiedBundle: Sendable {
    /// The DSSE payload bytes (the in-toto statement) and payload type, covered by the verified signature.
    var payload: Data
    var payloadType: String
    /// Verified times (Rekor integrated times with a verified SET or proof, RFC 3161 times).
    var verifiedTimes: [Date]
    /// The signing certificate's values, for certificate-signed bundles.
    var certificate: SigningCertificateFacts?
}

/// Unverified parts of a bundle needed before verification: which key it claims.
struct BundleOutline: Sendable {
    /// `verificationMaterial.publicKey.hint`, for key-signed bundles.
    var publicKeyHint: String?
    /// `dsseEnvelope.signatures[0].keyid`.
    var envelopeKeyid: String?
    /// Whether the bundle carries a certificate (chain).
    var hasCertificate: Bool
}

/// The Sigstore operations attestation checks need (implemented on top of the Sigstore module).
protocol AttestationBundleVerifying: Sendable {
    /// Reads the bundle's key claims without verifying anything.
    func outline(of bundle: Data) throws -> BundleOutline
    /// Verifies a bundle signed by a registry key (DSSE signature, transparency log, timestamps).
    func verify(bundle: Data, signedBy key: TrustedRegistryKey) throws -> VerifiedBundle
    /// Verifies a Fulcio-certificate-signed bundle against the trusted root.
    func verifyCertificateSigned(bundle: Data) throws -> VerifiedBundle
}

/// One entry of the attestations response: `{"predicateType": …, "bundle": {…}}`.
public struct AttestationEnvelope: Sendable, Hashable {
    /// The (unsigned) predicate type the registry lists.
    public var predicateType: String
    /// The Sigstore bundle JSON bytes, or `nil` when the entry has no bundle.
    public var bundle: Data?

    /// Creates an entry.
    public init(predicateType: String, bundle: Data?) {
        self.predicateType = predicateType
        self.bundle = bundle
    }
}

/// Verifies npm attestations: the registry-signed publish attestation and Fulcio-signed SLSA provenance.
struct AttestationVerifier: Sendable {
    let bundles: any AttestationBundleVerifying

    static let inTotoPayloadType = InTotoStatement.payloadType
    static let statementTypes: Set<String> = ["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"]

    /// Checks every attestation of a version, and that each one the packument announces is present.
    func verify(_ envelopes: [AttestationEnvelope], evidence: PackageVersionEvidence,
                keys: RegistryKeysAvailability) -> [AttestationCheck] {
        var checks = envelopes.map { verify($0, evidence: evidence, keys: keys) }
        if let announced = evidence.attestations?.provenancePredicateType,
           !envelopes.contains(where: { $0.predicateType == announced && $0.bundle != nil }) {
            checks.append(AttestationCheck(
                predicateType: announced, status: .missing,
                reason: "the packument announces \(announced) provenance (dist.attestations) but the registry serves no bundle for it"))
        }
        return checks
    }

    /// Checks one attestation.
    func verify(_ envelope: AttestationEnvelope, evidence: PackageVersionEvidence,
                keys: RegistryKeysAvailability) -> AttestationCheck {
        let listedType = envelope.predicateType
        func failure(_ status: AttestationStatus, _ reason: String, signer: String? = nil) -> AttestationCheck {
            AttestationCheck(predicateType: listedType, status: status, reason: reason, signer: signer)
        }
        guard let predicate = AttestationPredicate(rawValue: listedType) else {
            return failure(.unsupportedPredicate, "predicate type \(listedType) is not one provcheck verifies "
                + "(\(AttestationPredicate.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let bundle = envelope.bundle else {
            return failure(.missing, "the attestations response lists \(listedType) without a bundle")
        }
        let outline: BundleOutline
        do {
            outline = try bundles.outline(of: bundle)
        } catch {
            return failure(.malformed, "the \(listedType) bundle cannot be read: \(error)")
        }

        // 1. Verify the bundle with the signer its predicate requires.
        let verified: VerifiedBundle
        var signer: String?
        if predicate.isProvenance {
            guard outline.hasCertificate, outline.publicKeyHint == nil else {
                return failure(.wrongSigner, "SLSA provenance must be signed with a Fulcio certificate; this bundle names key \(outline.publicKeyHint ?? "none")")
            }
            do {
                verified = try bundles.verifyCertificateSigned(bundle: bundle)
            } catch {
                return failure(.bundleInvalid, "Sigstore verification of the provenance bundle failed: \(error)")
            }
            signer = verified.certificate?.subjectAlternativeName
        } else {
            guard !outline.hasCertificate, let hint = outline.publicKeyHint, !hint.isEmpty else {
                return failure(.wrongSigner, "the npm publish attestation must be signed by a registry key (verificationMaterial.publicKey.hint)")
            }
            signer = hint
            if let envelopeKeyid = outline.envelopeKeyid, !envelopeKeyid.isEmpty, envelopeKeyid != hint {
                return failure(.wrongSigner, "the DSSE signature names key \(envelopeKeyid) but the bundle's key hint is \(hint)", signer: hint)
            }
            let keySet: TrustedRegistryKeys
            switch keys {
            case .registryHasNoKeys(let source):
                return failure(.skippedNoKeys, "not verified: the registry has no signing keys (\(source) answered 404 or 400)", signer: hint)
            case .keys(let set):
                keySet = set
            }
            guard let key = keySet.key(withID: hint) else {
                return failure(.unknownKey, "no registry key has keyid \(hint) (keys from \(keySet.source))", signer: hint)
            }
            do {
                verified = try bundles.verify(bundle: bundle, signedBy: key)
            } catch {
                return failure(.bundleInvalid, "Sigstore verification of the publish attestation with key \(hint) failed: \(error)", signer: hint)
            }
            guard !verified.verifiedTimes.isEmpty else {
                return failure(.bundleInvalid, "the publish attestation has no verified timestamp to judge key \(hint)'s expiry at", signer: hint)
            }
            if let expired = verified.verifiedTimes.first(where: { !key.isValid(at: $0) }) {
                return failure(.keyExpired, "key \(hint) expired \(key.expires.map(NPMDate.format) ?? "?") before the attestation's integrated time \(NPMDate.format(expired))", signer: hint)
            }
        }
        let signedAt = verified.verifiedTimes.min()

        // 2. The signed statement must be an in-toto statement of the listed predicate type.
        guard verified.payloadType == Self.inTotoPayloadType else {
            return failure(.statementMismatch, "DSSE payload type is \(verified.payloadType), not \(Self.inTotoPayloadType)", signer: signer)
        }
        let statement: InTotoStatement
        do {
            statement = try InTotoStatement.parse(verified.payload, source: "the signed \(listedType) statement")
        } catch {
            return failure(.malformed, "\(error)", signer: signer)
        }
        guard Self.statementTypes.contains(statement.type) else {
            return failure(.statementMismatch, "the signed payload is not an in-toto Statement v0.1/v1 (_type \(statement.type))", signer: signer)
        }
        guard statement.predicateType == listedType else {
            return failure(.statementMismatch, "the registry lists \(listedType) but the signed statement's predicateType is \(statement.predicateType)", signer: signer)
        }

        // 3. Every subject must be this package version and this tarball.
        if let subjectFailure = checkSubjects(statement.subjects, evidence: evidence) {
            return AttestationCheck(predicateType: listedType, status: subjectFailure.0, reason: subjectFailure.1, signer: signer, signedAt: signedAt)
        }
        let predicateBody = statement.predicate

        // 4. Predicate-specific checks.
        switch predicate {
        case .npmPublishV01:
            let name = predicateBody["name"]?.stringValue
            let version = predicateBody["version"]?.stringValue
            guard name == evidence.name, version == evidence.version else {
                return AttestationCheck(predicateType: listedType, status: .predicateMismatch,
                                        reason: "the publish attestation is for \(name ?? "?")@\(version ?? "?"), not \(evidence.id)",
                                        signer: signer, signedAt: signedAt)
            }
            return AttestationCheck(predicateType: listedType, status: .verified,
                                    reason: "publish attestation for \(evidence.id) signed by registry key \(signer ?? "?"), logged \(signedAt.map(NPMDate.format) ?? "?")",
                                    signer: signer, signedAt: signedAt)
        case .slsaProvenanceV02, .slsaProvenanceV1:
            let facts = ProvenanceFactsExtractor.facts(predicateType: listedType, predicate: predicateBody, certificate: verified.certificate)
            guard facts.inconsistencies.isEmpty else {
                return AttestationCheck(predicateType: listedType, status: .provenanceInconsistent,
                                        reason: facts.inconsistencies.joined(separator: "; "), signer: signer, signedAt: signedAt, facts: facts)
            }
            return AttestationCheck(predicateType: listedType, status: .verified,
                                    reason: "provenance for \(evidence.id) signed by \(signer ?? "?"): \(facts.repository ?? "?")@\(facts.commit ?? "?") (\(facts.ref ?? "?"))",
                                    signer: signer, signedAt: signedAt, facts: facts)
        }
    }

    /// Checks every subject; returns the first failure.
    func checkSubjects(_ subjects: [InTotoStatement.Subject], evidence: PackageVersionEvidence) -> (AttestationStatus, String)? {
        guard !subjects.isEmpty else {
            return (.noSubjects, "the statement has no subjects")
        }
        let expectedName = NPMPackageURL.purl(name: evidence.name, version: evidence.version)
        guard let expectedDigest = IntegritySHA512.hex(evidence.integrity) else {
            return (.subjectDigestMismatch, "the integrity \(evidence.integrity) has no sha512 to compare subject digests with")
        }
        for (index, subject) in subjects.enumerated() {
            guard subject.name == expectedName else {
                return (.subjectNameMismatch, "subject[\(index)] name is \(subject.name.isEmpty ? "absent" : subject.name), expected \(expectedName)")
            }
            guard let digest = subject.digest["sha512"], digest == expectedDigest else {
                return (.subjectDigestMismatch, "subject[\(index)] sha512 is \(subject.digest["sha512"] ?? "absent"), expected \(expectedDigest) (the tarball integrity \(evidence.integrity))")
            }
        }
        return nil
    }
}
