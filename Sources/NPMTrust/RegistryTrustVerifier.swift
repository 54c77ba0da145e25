import Foundation

/// What the registry's attestations endpoint gave for a version.
public enum AttestationsFetchResult: Sendable, Hashable {
    /// The packument has no `dist.attestations`: nothing was announced, nothing fetched.
    case notAnnounced
    /// The parsed `{"attestations":[…]}` response.
    case fetched([AttestationEnvelope])
    /// The packument announces attestations but the endpoint answered 404 at this URL.
    case notFound(url: String)
}

/// Verifies one version's registry trust: every `dist.signatures` entry and every attestation, offline,
/// against the given registry keys and the verifier's Sigstore trusted root.
public struct RegistryTrustVerifier: Sendable {
    let attestationVerifier: AttestationVerifier

    init(bundles: any AttestationBundleVerifying) {
        attestationVerifier = AttestationVerifier(bundles: bundles)
    }

    /// Checks signatures and attestations and returns the report.
    ///
    /// - Parameters:
    ///   - evidence: the version's packument facts.
    ///   - keys: the registry keys (``TrustedRegistryKeys/npmPublicRegistry`` for registry.npmjs.org), or the
    ///     fact that the registry has none.
    ///   - attestations: what the attestations endpoint returned.
    public func verify(_ evidence: PackageVersionEvidence, keys: RegistryKeysAvailability,
                       attestations: AttestationsFetchResult) -> TrustReport {
        let signatureChecks = RegistrySignatureVerifier.verify(evidence, keys: keys)
        var attestationChecks: [AttestationCheck] = []
        switch attestations {
        case .notAnnounced:
            if evidence.attestations != nil {
                attestationChecks.append(AttestationCheck(
                    predicateType: evidence.attestations?.provenancePredicateType ?? "attestations",
                    status: .missing, reason: "the packument announces attestations but none were fetched"))
            }
        case .fetched(let envelopes):
            attestationChecks = attestationVerifier.verify(envelopes, evidence: evidence, keys: keys)
            if envelopes.isEmpty && evidence.attestations?.provenancePredicateType == nil {
                attestationChecks.append(AttestationCheck(
                    predicateType: "attestations", status: .missing,
                    reason: "the packument announces attestations but the registry's response lists none"))
            }
        case .notFound(let url):
            attestationChecks.append(AttestationCheck(
                predicateType: evidence.attestations?.provenancePredicateType ?? "attestations", status: .missing,
                reason: "the packument announces attestations but \(url) answered 404"))
        }
        return TrustReport(evidence: evidence, signatures: signatureChecks, attestations: attestationChecks)
    }
}
