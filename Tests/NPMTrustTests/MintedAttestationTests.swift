import Foundation
import JSON
import Testing
import TestSupport
@testable import NPMTrust

/// The production attestation path (``RegistryTrustVerifier`` → Sigstore → in-toto statement → provenance facts)
/// on bundles minted by TestSupport's ``VirtualSigstore``, with its trusted root and registry key.
@Suite struct MintedAttestationTests {
    static let tarball = Data("a tarball minted for the test".utf8)
    static let identity = VirtualSigstore.BuildIdentity(repository: "https://github.com/example/minted",
                                                        ref: "refs/tags/v2.0.0",
                                                        commit: "1111111111111111111111111111111111111111",
                                                        workflowPath: ".github/workflows/release.yml")

    struct Minted {
        let sigstore: VirtualSigstore
        let verifier: RegistryTrustVerifier
        let keys: RegistryKeysAvailability

        init() throws {
            sigstore = try VirtualSigstore()
            verifier = try RegistryTrustVerifier(trustedRootContentsOf: sigstore.writeTrustedRoot())
            keys = .keys(try TrustedRegistryKeys(document: ["keys": [sigstore.registryKey.keysEntry]], source: "virtual sigstore"))
        }

        var sha512Hex: String { VirtualSigstore.sha512Hex(MintedAttestationTests.tarball) }

        func evidence(integrity: String? = nil) -> PackageVersionEvidence {
            let sri = VirtualSigstore.integrity(MintedAttestationTests.tarball)
            return PackageVersionEvidence(
                name: "minted", version: "2.0.0", integrity: integrity ?? sri, publishTime: nil, signatures: [],
                attestations: .init(url: "https://registry.npmjs.org/-/npm/v1/attestations/minted@2.0.0",
                                    provenancePredicateType: VirtualSigstore.slsaProvenanceV1),
                npmUser: nil)
        }

        func envelopes(statementIdentity: VirtualSigstore.BuildIdentity = MintedAttestationTests.identity) throws
            -> [AttestationEnvelope]
        {
            let publish = try sigstore.publishAttestationBundle(
                payload: VirtualSigstore.publishStatement(name: "minted", version: "2.0.0", sha512Hex: sha512Hex))
            let provenance = try sigstore.provenanceBundle(
                payload: VirtualSigstore.provenanceStatement(name: "minted", version: "2.0.0", sha512Hex: sha512Hex,
                                                             identity: statementIdentity),
                identity: MintedAttestationTests.identity)
            return [AttestationEnvelope(predicateType: VirtualSigstore.npmPublishV01, bundle: publish),
                    AttestationEnvelope(predicateType: VirtualSigstore.slsaProvenanceV1, bundle: provenance)]
        }

        /// One attestation whose statement is edited by `edit` before it is signed: the signature is valid, so only
        /// npm's statement checks can fail it.
        func signed(provenance: Bool, _ edit: (inout RawJSON) -> Void) throws -> AttestationEnvelope {
            var statement = try RawJSON(parsing: provenance
                ? VirtualSigstore.provenanceStatement(name: "minted", version: "2.0.0", sha512Hex: sha512Hex,
                                                      identity: MintedAttestationTests.identity)
                : VirtualSigstore.publishStatement(name: "minted", version: "2.0.0", sha512Hex: sha512Hex))
            edit(&statement)
            let bundle = provenance
                ? try sigstore.provenanceBundle(payload: statement.encoded(), identity: MintedAttestationTests.identity)
                : try sigstore.publishAttestationBundle(payload: statement.encoded())
            return AttestationEnvelope(predicateType: provenance ? VirtualSigstore.slsaProvenanceV1 : VirtualSigstore.npmPublishV01,
                                       bundle: bundle)
        }

        /// The status of one attestation's check.
        func status(of envelope: AttestationEnvelope) -> AttestationStatus? {
            verifier.verify(evidence(), keys: keys, attestations: .fetched([envelope])).attestations
                .first { $0.predicateType == envelope.predicateType }?.status
        }
    }

    /// Statement mutations, each genuinely signed, fail with their own reason (the logic AttestationLogicTests checks
    /// without cryptography, here through Sigstore verification).
    @Test func signedStatementMutationsFailWithTheirReason() throws {
        let minted = try Minted()
        defer { minted.sigstore.cleanup() }
        for provenance in [false, true] {
            #expect(minted.status(of: try minted.signed(provenance: provenance) { _ in }) == .verified)
            #expect(minted.status(of: try minted.signed(provenance: provenance) {
                $0["subject"] = [["name": "pkg:npm/minted@2.0.0", "digest": ["sha512": .string(String(repeating: "0", count: 128))]]]
            }) == .subjectDigestMismatch)
            #expect(minted.status(of: try minted.signed(provenance: provenance) {
                $0["subject"] = [["name": "pkg:npm/minted@2.0.1", "digest": ["sha512": .string(minted.sha512Hex)]]]
            }) == .subjectNameMismatch)
            #expect(minted.status(of: try minted.signed(provenance: provenance) {
                $0["subject"] = [["name": "pkg:npm/minted@2.0.0", "digest": ["sha512": .string(minted.sha512Hex)]],
                                 ["name": "pkg:npm/evil@1.0.0", "digest": ["sha512": .string(minted.sha512Hex)]]]
            }) == .subjectNameMismatch)
            #expect(minted.status(of: try minted.signed(provenance: provenance) { $0["subject"] = [] }) == .noSubjects)
            #expect(minted.status(of: try minted.signed(provenance: provenance) {
                $0["predicateType"] = "https://slsa.dev/provenance/v0.1"
            }) == .statementMismatch)
        }
        #expect(minted.status(of: try minted.signed(provenance: false) {
            $0["predicate"]?["version"] = "1.0.0"
        }) == .predicateMismatch)
    }

    @Test func mintedAttestationsVerifyAndProvenanceIsReadFromTheStatement() throws {
        let minted = try Minted()
        defer { minted.sigstore.cleanup() }
        let report = minted.verifier.verify(minted.evidence(), keys: minted.keys, attestations: .fetched(try minted.envelopes()))
        #expect(report.attestations.count == 2)
        for check in report.attestations {
            #expect(check.ok, Comment(rawValue: "\(check.predicateType): \(check.status.rawValue) \(check.reason)"))
            #expect(check.signedAt == Date(timeIntervalSince1970: TimeInterval(VirtualSigstore.integratedTime)))
        }
        let publish = try #require(report.attestations.first { $0.predicateType == VirtualSigstore.npmPublishV01 })
        #expect(publish.signer == minted.sigstore.registryKey.keyid)
        let facts = try #require(report.provenance)
        #expect(facts.repository == "https://github.com/example/minted")
        #expect(facts.commit == "1111111111111111111111111111111111111111")
        #expect(facts.ref == "refs/tags/v2.0.0")
        #expect(facts.workflowPath == ".github/workflows/release.yml")
        #expect(facts.trigger == "release")
        #expect(facts.repositoryID == "123456")
        #expect(facts.certificateIdentity == Self.identity.workflowURI)
        #expect(facts.certificateIssuer == "https://token.actions.githubusercontent.com")
        #expect(facts.inconsistencies.isEmpty)
    }

    @Test func statementRepositoryDifferentFromTheCertificateIsFlagged() throws {
        let minted = try Minted()
        defer { minted.sigstore.cleanup() }
        var claimed = Self.identity
        claimed.repository = "https://github.com/attacker/minted"
        let report = minted.verifier.verify(minted.evidence(), keys: minted.keys,
                                            attestations: .fetched(try minted.envelopes(statementIdentity: claimed)))
        let provenance = try #require(report.attestations.first { $0.predicateType == VirtualSigstore.slsaProvenanceV1 })
        #expect(provenance.status == .provenanceInconsistent)
        #expect(provenance.reason.contains("attacker"))
        #expect(!report.ok)
    }

    @Test func subjectDigestOfAnotherTarballFails() throws {
        let minted = try Minted()
        defer { minted.sigstore.cleanup() }
        let other = VirtualSigstore.integrity(Data("another tarball".utf8))
        let report = minted.verifier.verify(minted.evidence(integrity: other), keys: minted.keys,
                                            attestations: .fetched(try minted.envelopes()))
        #expect(report.attestations.count == 2)
        #expect(report.attestations.allSatisfy { $0.status == .subjectDigestMismatch })
    }

    @Test func theProductionRootRejectsMintedProvenance() throws {
        let minted = try Minted()
        defer { minted.sigstore.cleanup() }
        let report = RegistryTrustVerifier().verify(minted.evidence(), keys: minted.keys,
                                                    attestations: .fetched(try minted.envelopes()))
        #expect(report.attestations.allSatisfy { $0.status == .bundleInvalid })
    }
}
