import Configuration
import Foundation
import NPMTrust
import Registry
import Sigstore

/// The trust stage on top of the `NPMTrust` module: registry signatures, the publish attestation and the SLSA
/// provenance, verified offline against registry keys and a Sigstore trusted root.
public struct NPMTrustStage: TrustVerifying {
    let verifier: RegistryTrustVerifier
    let keys: RegistryKeysSource
    let registry: URL

    /// Makes the stage with a trusted root (default: the production Sigstore root built into the tool), the key
    /// source (``NPMTrust/RegistryKeysAvailability/choose(_:registry:document:documentSource:)``, the one choice)
    /// and the registry whose keys document the fetch stage reads.
    public init(trustedRoot: TrustedRoot = .production, keys: RegistryKeysSource, registry: URL) {
        self.verifier = RegistryTrustVerifier(trustedRoot: trustedRoot)
        self.keys = keys
        self.registry = registry
    }

    /// Loads a trusted root file, naming it in errors.
    public static func loadTrustedRoot(_ url: URL) throws -> TrustedRoot {
        do {
            return try TrustedRoot.load(contentsOf: url)
        } catch {
            throw VerificationError.input(path: url.path, problem: "not a Sigstore trusted root: \(error)")
        }
    }

    public func verify(packument: PackumentFacts, document: PackumentDocument?, attestations: Data?, attestationsURL: String?,
                       keys keysDocument: Data?, tarballSHA512Hex: String?) async -> TrustOutcome {
        let spec = "\(packument.name)@\(packument.version)"
        // Evidence.
        let evidence: PackageVersionEvidence
        do {
            guard let document else {
                throw VerificationError.malformedPackument(source: spec, problem: "no packument was read")
            }
            evidence = try PackageVersionEvidence(packument: try document.get(), version: packument.version, source: spec)
        } catch {
            return Self.allFailed("the packument cannot be read for trust checks: \(error)",
                                  attestationsAnnounced: packument.attestationsURL != nil)
        }
        // Keys.
        let availability: RegistryKeysAvailability
        do {
            availability = try RegistryKeysAvailability.choose(
                keys, registry: registry, document: keysDocument, documentSource: registry.absoluteString + "-/npm/v1/keys")
        } catch {
            return Self.allFailed("the registry keys cannot be used: \(error)",
                                  attestationsAnnounced: packument.attestationsURL != nil)
        }
        // Attestations.
        let response: AttestationsResponseBody
        var inputs = [ResourceDescriptor]()
        if let pointer = evidence.attestations {
            let url = attestationsURL ?? pointer.url
            if let attestations {
                response = .body(attestations, url: url)
                inputs.append(ResourceDescriptor(uri: url, digest: ["sha256": SHA256Hex.of(attestations)]))
            } else {
                response = .notFound(url: url)
            }
        } else {
            response = .notAnnounced
        }
        var outcome = Self.outcome(of: evidence, keys: availability, attestations: response, verifier: verifier)
        outcome.inputAttestations = inputs
        return outcome
    }

    /// What the attestations endpoint gave for a version, as the trust checks read it.
    public enum AttestationsResponseBody: Sendable {
        /// The packument announces no attestations.
        case notAnnounced
        /// The response body fetched from `url`.
        case body(Data, url: String)
        /// The endpoint answered 404: announced attestations are absent.
        case notFound(url: String)
        /// `dist.attestations.url` cannot be used (the reason says why): nothing was fetched.
        case unusablePointer(String)
        /// A network error or a 5xx: nothing is known about the attestations
        /// (``TrustOutcome/attestationsUnreachable(_:)``).
        case unreachable(String)
    }

    /// The trust checks of one version — registry signatures, publish attestation, provenance — from its
    /// packument evidence, the chosen registry keys and what the attestations endpoint gave: the one rule every
    /// command applies (`verify`, `watch`, `staged check` and `attestations` through ``verify(packument:document:attestations:attestationsURL:keys:tarballSHA512Hex:)``;
    /// `audit`, which fetches abbreviated packuments and chooses the keys once for a whole lockfile, directly).
    /// The outcome carries NPMTrust's report (``TrustOutcome/report``).
    public static func outcome(of evidence: PackageVersionEvidence, keys: RegistryKeysAvailability,
                               attestations response: AttestationsResponseBody, verifier: RegistryTrustVerifier) -> TrustOutcome {
        let announcedType = evidence.attestations?.provenancePredicateType ?? "attestations"
        var malformed: String?
        var unreachable: String?
        var checked: TrustReport?
        switch response {
        case .notAnnounced:
            checked = verifier.verify(evidence, keys: keys, attestations: .notAnnounced)
        case .notFound(let url):
            checked = verifier.verify(evidence, keys: keys, attestations: .notFound(url: url))
        case .body(let data, let url):
            do {
                let response = try AttestationsResponse.decode(data, from: URL(string: url) ?? URL(fileURLWithPath: "attestations"))
                checked = verifier.verify(evidence, keys: keys, attestations: .fetched(response.attestations.map {
                    AttestationEnvelope(predicateType: $0.predicateType, bundle: $0.bundleJSON)
                }))
            } catch {
                malformed = "the attestations response is malformed: \(error)"
            }
        case .unusablePointer(let reason):
            malformed = reason
        case .unreachable(let reason):
            unreachable = reason
        }
        // No usable attestations response: the signatures are still checked.
        var report = checked ?? TrustReport(evidence: evidence, signatures: RegistrySignatureVerifier.verify(evidence, keys: keys),
                                            attestations: [])
        if let malformed {
            report.attestations.append(AttestationCheck(predicateType: announcedType, status: .malformed, reason: malformed))
        }
        var outcome = Self.outcome(report, announced: evidence.attestations != nil)
        outcome.report = report
        if let unreachable { outcome.attestationsUnreachable(unreachable) }
        if let malformed {
            outcome.provenance = .fail(.trustProvenance, "Provenance attestation", reasons: [malformed])
            outcome.publishAttestation = .fail(.trustPublishAttestation, "Publish attestation", reasons: [malformed])
            outcome.identity = nil
            outcome.provenanceInvalid = true
            outcome.publishAttestationVerified = false
        }
        return outcome
    }

    /// Every trust check failed for one reason; attestation checks fail only when attestations were announced
    /// (otherwise there is nothing to verify and they do not apply).
    static func allFailed(_ reason: String, attestationsAnnounced: Bool) -> TrustOutcome {
        let none = "the packument announces no attestations"
        return TrustOutcome(
            signatures: .fail(.trustSignatures, "Registry signatures", reasons: [reason]),
            publishAttestation: attestationsAnnounced
                ? .fail(.trustPublishAttestation, "Publish attestation", reasons: [reason])
                : .notApplicable(.trustPublishAttestation, "Publish attestation", reason: none),
            provenance: attestationsAnnounced
                ? .fail(.trustProvenance, "Provenance attestation", reasons: [reason])
                : .notApplicable(.trustProvenance, "Provenance attestation", reason: "the packument announces no provenance"),
            identity: nil, publishAttestationVerified: false, provenanceInvalid: attestationsAnnounced)
    }

    /// Maps NPMTrust's report onto the three trust checks and the provenance identity: the one mapping every
    /// command uses (`audit` included, which leaves out the checks that do not apply).
    /// - Parameters:
    ///   - report: NPMTrust's report on the version.
    ///   - announced: whether the packument announces attestations (`dist.attestations`).
    public static func outcome(_ report: TrustReport, announced: Bool) -> TrustOutcome {
        // Signatures.
        let signatures: Check
        let sigTitle = "Registry signatures"
        let keyids = report.signatures.compactMap(\.keyid).joined(separator: ", ")
        var sigEvidence = ["signedMessage": "\(report.package):\(report.integrity)"]
        if !keyids.isEmpty { sigEvidence["keyids"] = keyids }
        if report.signatures.contains(where: { $0.status == .skippedNoKeys }) {
            signatures = .skipped(.trustSignatures, sigTitle,
                                  reason: report.signatures.first { $0.status == .skippedNoKeys }!.reason, evidence: sigEvidence)
        } else if !report.signatures.isEmpty, report.signatures.allSatisfy(\.ok) {
            signatures = .pass(.trustSignatures, sigTitle, evidence: sigEvidence)
        } else {
            signatures = .fail(.trustSignatures, sigTitle, evidence: sigEvidence,
                               reasons: report.signatures.filter { !$0.ok }.map { "\($0.status.rawValue): \($0.reason)" }
                                   + (report.signatures.isEmpty ? ["no registry signature"] : []))
        }

        // Attestations.
        let publishType = AttestationPredicate.npmPublishV01.rawValue
        let publishChecks = report.attestations.filter { $0.predicateType == publishType }
        let provenanceChecks = report.attestations.filter(\.isProvenance)
        let otherFailures = report.attestations.filter {
            $0.predicateType != publishType && !$0.isProvenance && !$0.ok
        }

        func check(_ id: CheckID, _ title: String, _ checks: [AttestationCheck], absentReason: String) -> Check {
            var evidence = [String: String]()
            if let signer = checks.first(where: \.ok)?.signer ?? checks.first?.signer { evidence["signer"] = signer }
            if let at = checks.first(where: \.ok)?.signedAt { evidence["signedAt"] = Timestamp.format(at) }
            if checks.isEmpty {
                return .notApplicable(id, title, reason: absentReason)
            }
            if let skipped = checks.first(where: { $0.status == .skippedNoKeys }), !checks.contains(where: { !$0.ok && $0.status != .skippedNoKeys }) {
                return .skipped(id, title, reason: skipped.reason, evidence: evidence)
            }
            if checks.allSatisfy(\.ok) { return .pass(id, title, evidence: evidence) }
            return .fail(id, title, evidence: evidence,
                         reasons: checks.filter { !$0.ok }.map { "\($0.status.rawValue): \($0.reason)" })
        }
        var publish = check(.trustPublishAttestation, "Publish attestation", publishChecks,
                            absentReason: announced ? "the registry serves no publish attestation for this version"
                                : "the packument announces no attestations")
        var provenance = check(.trustProvenance, "Provenance attestation", provenanceChecks,
                               absentReason: "the packument announces no provenance")
        // An attestation of another (unsupported or unlabelled) kind that failed is a failure of both.
        for failure in otherFailures {
            let reason = "\(failure.predicateType): \(failure.status.rawValue): \(failure.reason)"
            if failure.status == .missing && provenanceChecks.isEmpty {
                provenance = .fail(.trustProvenance, "Provenance attestation", reasons: [reason])
            } else if publish.status != .fail {
                publish.status = .fail
                publish.reasons.append(reason)
            }
        }

        var identity: ProvenanceIdentity?
        if provenance.status == .pass, let facts = report.provenance {
            let mapped = ProvenanceIdentity(facts: facts)
            identity = mapped
            for (key, value) in [("repository", mapped.repository), ("workflow", mapped.workflowPath),
                                 ("ref", mapped.ref), ("commit", mapped.commit), ("trigger", mapped.trigger),
                                 ("runner", mapped.runnerEnvironment), ("environment", mapped.deploymentEnvironment),
                                 ("repositoryId", mapped.repositoryID), ("ownerId", mapped.ownerID),
                                 ("invocation", mapped.invocationURI)] {
                if let value { provenance.evidence[key] = value }
            }
            if let identity = facts.certificateIdentity { provenance.evidence["certificateIdentity"] = identity }
        }
        return TrustOutcome(
            signatures: signatures, publishAttestation: publish, provenance: provenance, identity: identity,
            publishAttestationVerified: publish.status == .pass,
            provenanceInvalid: provenance.status == .fail)
    }
}

extension ProvenanceIdentity {
    /// The identity facts of a verified provenance attestation (NPMTrust's ``ProvenanceFacts``).
    public init(facts: ProvenanceFacts) {
        self.init(
            repository: facts.repository, repositoryID: facts.repositoryID, ownerID: facts.repositoryOwnerID,
            workflowPath: facts.workflowPath, ref: facts.ref, commit: facts.commit, trigger: facts.trigger,
            runnerEnvironment: facts.runnerEnvironment, deploymentEnvironment: facts.environment,
            builderID: facts.builderID, invocationURI: facts.runInvocationURL)
    }
}
