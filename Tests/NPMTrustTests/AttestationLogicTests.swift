import Foundation
import Registry
import Testing
import TestSupport
@testable import NPMTrust

/// A stand-in for Sigstore that trusts the bundle as written (no cryptography), so the npm-specific logic
/// (predicate types, signers, key expiry, statement and subject checks) can be tested on edited statements.
struct UnverifiedBundles: AttestationBundleVerifying {
    var certificate: SigningCertificateFacts? = nil
    var failVerification = false

    struct Failure: Error, CustomStringConvertible { var description: String { "signature does not verify (test)" } }

    private func json(_ bundle: Data) throws -> [String: Any] {
        try unwrap(try JSONSerialization.jsonObject(with: bundle) as? [String: Any], "bundle object")
    }

    func outline(of bundle: Data) throws -> BundleOutline {
        let object = try json(bundle)
        let material = object["verificationMaterial"] as? [String: Any] ?? [:]
        let envelope = object["dsseEnvelope"] as? [String: Any] ?? [:]
        let signatures = envelope["signatures"] as? [[String: Any]] ?? []
        return BundleOutline(publicKeyHint: (material["publicKey"] as? [String: Any])?["hint"] as? String,
                             envelopeKeyid: signatures.first?["keyid"] as? String,
                             hasCertificate: material["x509CertificateChain"] != nil || material["certificate"] != nil)
    }

    private func content(_ bundle: Data) throws -> VerifiedBundle {
        if failVerification { throw Failure() }
        let object = try json(bundle)
        let envelope = try unwrap(object["dsseEnvelope"] as? [String: Any], "dsseEnvelope")
        let payload = try unwrap(Data(base64Encoded: try unwrap(envelope["payload"] as? String, "payload")), "base64 payload")
        let material = object["verificationMaterial"] as? [String: Any] ?? [:]
        let entries = material["tlogEntries"] as? [[String: Any]] ?? []
        let times = entries.compactMap { ($0["integratedTime"] as? String).flatMap(Double.init) }.map { Date(timeIntervalSince1970: $0) }
        return VerifiedBundle(payload: payload, payloadType: envelope["payloadType"] as? String ?? "", verifiedTimes: times,
                              certificate: material["publicKey"] == nil ? certificate : nil)
    }

    func verify(bundle: Data, signedBy key: TrustedRegistryKey) throws -> VerifiedBundle { try content(bundle) }
    func verifyCertificateSigned(bundle: Data) throws -> VerifiedBundle { try content(bundle) }
}

/// A real npm attestation case from Fixtures/npm/cases with its attestations response.
struct AttestationCase {
    let name: String
    let version: String
    let integrity: String
    let envelopes: [AttestationEnvelope]

    static let files = [
        "gundam-visor@1.0.1", "sigstore@2.3.1", "sigstore@1.0.0", "%40trishankatdatadog+supreme-goggles@1.0.5",
    ]

    static func load(_ file: String) throws -> AttestationCase {
        let testCase = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("npm/cases/\(file).json")) as? [String: Any])
        let attestations = try unwrap(testCase["attestations"] as? String, "attestations")
        return AttestationCase(name: try unwrap(testCase["name"] as? String, "name"),
                               version: try unwrap(testCase["version"] as? String, "version"),
                               integrity: try unwrap(testCase["integrity"] as? String, "integrity"),
                               envelopes: try AttestationsResponse.decode(Fixtures.data(attestations), from: Fixtures.url(attestations))
                                .attestations.map { AttestationEnvelope(predicateType: $0.predicateType, bundle: $0.bundleJSON) })
    }

    var provenanceType: String { envelopes.first { $0.predicateType.hasPrefix("https://slsa.dev/") }!.predicateType }

    var evidence: PackageVersionEvidence {
        PackageVersionEvidence(name: name, version: version, integrity: integrity, publishTime: nil, signatures: [],
                               attestations: .init(url: "https://registry.npmjs.org/-/npm/v1/attestations/\(name)@\(version)",
                                                   provenancePredicateType: provenanceType),
                               npmUser: nil)
    }
}

struct MissingValue: Error, CustomStringConvertible { let description: String }

/// Unwraps a test value or throws naming it (nested `#require` is not allowed).
func unwrap<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw MissingValue(description: "missing \(what)") }
    return value
}

/// Rewrites the DSSE payload (the statement) of a bundle.
func editingStatement(_ envelope: AttestationEnvelope, _ edit: (inout [String: Any]) -> Void) throws -> AttestationEnvelope {
    var bundle = try unwrap(try JSONSerialization.jsonObject(with: try unwrap(envelope.bundle, "bundle")) as? [String: Any], "bundle object")
    var dsse = try unwrap(bundle["dsseEnvelope"] as? [String: Any], "dsseEnvelope")
    let payload = try unwrap(Data(base64Encoded: try unwrap(dsse["payload"] as? String, "payload")), "payload bytes")
    var statement = try unwrap(try JSONSerialization.jsonObject(with: payload) as? [String: Any], "statement")
    edit(&statement)
    dsse["payload"] = try JSONSerialization.data(withJSONObject: statement).base64EncodedString()
    bundle["dsseEnvelope"] = dsse
    return AttestationEnvelope(predicateType: envelope.predicateType, bundle: try JSONSerialization.data(withJSONObject: bundle))
}

@Suite struct AttestationLogicTests {
    let keys = RegistryKeysAvailability.keys(TrustedRegistryKeys.npmPublicRegistry)
    let verifier = AttestationVerifier(bundles: UnverifiedBundles())

    @Test(arguments: AttestationCase.files)
    func everySubjectOfEveryRealStatementMatches(file: String) throws {
        let testCase = try AttestationCase.load(file)
        let checks = verifier.verify(testCase.envelopes, evidence: testCase.evidence, keys: keys)
        #expect(checks.count == testCase.envelopes.count)
        for check in checks {
            #expect(check.status == .verified, Comment(rawValue: "\(file) \(check.predicateType): \(check.reason)"))
        }
        let provenance = try #require(checks.first { $0.isProvenance })
        let facts = try #require(provenance.facts)
        #expect(facts.repository != nil && facts.commit != nil && facts.ref != nil && facts.workflowPath != nil)
    }

    @Test func predicateFactsOfGundamVisor() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let checks = verifier.verify(testCase.envelopes, evidence: testCase.evidence, keys: keys)
        let facts = try #require(checks.first { $0.isProvenance }?.facts)
        ExpectedProvenance.expect(facts, ExpectedProvenance.gundamVisor)
        ExpectedProvenance.expectGundamVisorRunner(facts)
    }

    @Test func predicateFactsOfV02Provenance() throws {
        let testCase = try AttestationCase.load("%40trishankatdatadog+supreme-goggles@1.0.5")
        let checks = verifier.verify(testCase.envelopes, evidence: testCase.evidence, keys: keys)
        let facts = try #require(checks.first { $0.isProvenance }?.facts)
        ExpectedProvenance.expect(facts, ExpectedProvenance.supremeGoggles)
    }

    @Test func subjectMutationsFailWithTheirReason() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        for envelope in testCase.envelopes {
            let wrongDigest = try editingStatement(envelope) { statement in
                var subjects = statement["subject"] as! [[String: Any]]
                subjects[0]["digest"] = ["sha512": String(repeating: "0", count: 128)]
                statement["subject"] = subjects
            }
            #expect(verifier.verify(wrongDigest, evidence: testCase.evidence, keys: keys).status == .subjectDigestMismatch)

            let wrongName = try editingStatement(envelope) { statement in
                var subjects = statement["subject"] as! [[String: Any]]
                subjects[0]["name"] = "pkg:npm/gundam-visor@1.0.2"
                statement["subject"] = subjects
            }
            #expect(verifier.verify(wrongName, evidence: testCase.evidence, keys: keys).status == .subjectNameMismatch)

            // A second subject that is another package fails even though subject[0] matches (npm checks only [0]).
            let extraSubject = try editingStatement(envelope) { statement in
                var subjects = statement["subject"] as! [[String: Any]]
                var other = subjects[0]
                other["name"] = "pkg:npm/evil@1.0.0"
                subjects.append(other)
                statement["subject"] = subjects
            }
            let extra = verifier.verify(extraSubject, evidence: testCase.evidence, keys: keys)
            #expect(extra.status == .subjectNameMismatch)
            #expect(extra.reason.contains("subject[1]"))

            let unscopedPurl = try editingStatement(envelope) { statement in
                statement["subject"] = [] as [Any]
            }
            #expect(verifier.verify(unscopedPurl, evidence: testCase.evidence, keys: keys).status == .noSubjects)

            let otherPredicate = try editingStatement(envelope) { statement in
                statement["predicateType"] = "https://slsa.dev/provenance/v0.1"
            }
            #expect(verifier.verify(otherPredicate, evidence: testCase.evidence, keys: keys).status == .statementMismatch)
        }
    }

    @Test func publishPredicateMustNameThisVersion() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let publish = try editingStatement(testCase.envelopes[0]) { statement in
            statement["predicate"] = ["name": "gundam-visor", "version": "1.0.0", "registry": "https://registry.npmjs.org"]
        }
        #expect(verifier.verify(publish, evidence: testCase.evidence, keys: keys).status == .predicateMismatch)
        let notInToto = try editingStatement(testCase.envelopes[0]) { statement in
            statement["_type"] = "https://example.com/Statement/v1"
        }
        #expect(verifier.verify(notInToto, evidence: testCase.evidence, keys: keys).status != .verified)
    }

    @Test func scopedSubjectMustUsePercentEncodedAt() throws {
        let testCase = try AttestationCase.load("%40trishankatdatadog+supreme-goggles@1.0.5")
        let envelope = testCase.envelopes[0]
        let rawAt = try editingStatement(envelope) { statement in
            var subjects = statement["subject"] as! [[String: Any]]
            subjects[0]["name"] = "pkg:npm/@trishankatdatadog/supreme-goggles@1.0.5"
            statement["subject"] = subjects
        }
        #expect(verifier.verify(rawAt, evidence: testCase.evidence, keys: keys).status == .subjectNameMismatch)
    }

    @Test func evidenceThatDiffersFromTheAttestedTarballFails() throws {
        let testCase = try AttestationCase.load("sigstore@2.3.1")
        var otherTarball = testCase.evidence
        otherTarball.integrity = try AttestationCase.load("gundam-visor@1.0.1").integrity
        let checks = verifier.verify(testCase.envelopes, evidence: otherTarball, keys: keys)
        #expect(checks.map(\.status) == [.subjectDigestMismatch, .subjectDigestMismatch])

        var otherVersion = testCase.evidence
        otherVersion.version = "2.3.2"
        #expect(verifier.verify(testCase.envelopes, evidence: otherVersion, keys: keys).map(\.status)
            == [.subjectNameMismatch, .subjectNameMismatch])
    }

    @Test func publishAttestationKeyIsCheckedAtTheIntegratedTime() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let publish = try #require(testCase.envelopes.first { $0.predicateType == AttestationPredicate.npmPublishV01.rawValue })
        // Real: logged 2024-06-03, before the old key expired.
        #expect(verifier.verify(publish, evidence: testCase.evidence, keys: keys).status == .verified)

        // The same key with an expiry before the integrated time.
        let real = TrustedRegistryKeys.npmPublicRegistry.keys[0]
        let early = try TrustedRegistryKey(keyid: real.keyid, keytype: real.keytype, scheme: real.scheme,
                                    subjectPublicKeyInfo: real.subjectPublicKeyInfo, expires: Date(timeIntervalSince1970: 1_700_000_000))
        let expiredKeys = RegistryKeysAvailability.keys(try TrustedRegistryKeys(keys: [early], source: "test"))
        let expired = verifier.verify(publish, evidence: testCase.evidence, keys: expiredKeys)
        #expect(expired.status == .keyExpired)

        let otherKeyOnly = RegistryKeysAvailability.keys(try TrustedRegistryKeys(keys: [TrustedRegistryKeys.npmPublicRegistry.keys[1]], source: "test"))
        #expect(verifier.verify(publish, evidence: testCase.evidence, keys: otherKeyOnly).status == .unknownKey)

        let noKeys = verifier.verify(publish, evidence: testCase.evidence, keys: .registryHasNoKeys(source: "test"))
        #expect(noKeys.status == .skippedNoKeys)
        #expect(!noKeys.ok)
    }

    @Test func unknownPredicateMissingBundleAndWrongSignerFail() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let publish = testCase.envelopes[0]
        let provenance = testCase.envelopes[1]

        let unknown = AttestationEnvelope(predicateType: "https://example.com/predicate/v9", bundle: publish.bundle)
        #expect(verifier.verify(unknown, evidence: testCase.evidence, keys: keys).status == .unsupportedPredicate)

        let noBundle = AttestationEnvelope(predicateType: provenance.predicateType, bundle: nil)
        #expect(verifier.verify(noBundle, evidence: testCase.evidence, keys: keys).status == .missing)

        // The registry-signed bundle presented as provenance, and the Fulcio bundle presented as the publish attestation.
        let keySignedProvenance = AttestationEnvelope(predicateType: provenance.predicateType, bundle: publish.bundle)
        #expect(verifier.verify(keySignedProvenance, evidence: testCase.evidence, keys: keys).status == .wrongSigner)
        let certificatePublish = AttestationEnvelope(predicateType: publish.predicateType, bundle: provenance.bundle)
        #expect(verifier.verify(certificatePublish, evidence: testCase.evidence, keys: keys).status == .wrongSigner)

        let garbage = AttestationEnvelope(predicateType: provenance.predicateType, bundle: Data("[]".utf8))
        #expect(verifier.verify(garbage, evidence: testCase.evidence, keys: keys).status == .malformed)

        let failing = AttestationVerifier(bundles: UnverifiedBundles(failVerification: true))
        #expect(failing.verify(provenance, evidence: testCase.evidence, keys: keys).status == .bundleInvalid)
        #expect(failing.verify(publish, evidence: testCase.evidence, keys: keys).status == .bundleInvalid)
    }

    @Test func announcedProvenanceThatIsAbsentIsAFailure() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let onlyPublish = Array(testCase.envelopes.prefix(1))
        let checks = verifier.verify(onlyPublish, evidence: testCase.evidence, keys: keys)
        #expect(checks.map(\.status) == [.verified, .missing])
        let report = TrustReport(evidence: testCase.evidence, signatures: [], attestations: checks)
        #expect(!report.ok)
    }

    @Test func certificateValuesWinAndContradictionsFail() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let provenance = testCase.envelopes[1]
        let consistent = SigningCertificateFacts(
            subjectAlternativeName: "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1",
            issuer: "https://token.actions.githubusercontent.com",
            extensions: [12: "https://github.com/ramonpetgrave64/gundam-visor", 13: "599500821344b070902a7a5666064bfdaba715df",
                         14: "refs/tags/v1.0.1", 18: "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1",
                         20: "release", 23: "production"])
        let good = AttestationVerifier(bundles: UnverifiedBundles(certificate: consistent))
            .verify(provenance, evidence: testCase.evidence, keys: keys)
        #expect(good.status == .verified)
        #expect(good.facts?.environment == "production")
        #expect(good.signer == consistent.subjectAlternativeName)

        var contradicting = consistent
        contradicting.extensions[13] = "0000000000000000000000000000000000000000"
        let bad = AttestationVerifier(bundles: UnverifiedBundles(certificate: contradicting))
            .verify(provenance, evidence: testCase.evidence, keys: keys)
        #expect(bad.status == .provenanceInconsistent)
        #expect(bad.reason.contains("commit"))
    }

    @Test func trustLevels() {
        let verifiedSignature = [SignatureCheck(keyid: "k", status: .verified, reason: "")]
        let verifiedProvenance = [AttestationCheck(predicateType: AttestationPredicate.slsaProvenanceV1.rawValue, status: .verified, reason: "")]
        let failedProvenance = [AttestationCheck(predicateType: AttestationPredicate.slsaProvenanceV1.rawValue, status: .bundleInvalid, reason: "")]
        let trusted = PackageVersionEvidence.Publisher(name: "GitHub Actions", hasStagedApproval: false, hasTrustedPublisher: true)
        let staged = PackageVersionEvidence.Publisher(name: "maintainer", hasStagedApproval: true, hasTrustedPublisher: false)
        #expect(TrustLevel.classify(npmUser: nil, signatures: [], attestations: []) == .none)
        #expect(TrustLevel.classify(npmUser: nil, signatures: verifiedSignature, attestations: []) == .registrySignature)
        #expect(TrustLevel.classify(npmUser: nil, signatures: verifiedSignature, attestations: failedProvenance) == .registrySignature)
        #expect(TrustLevel.classify(npmUser: nil, signatures: verifiedSignature, attestations: verifiedProvenance) == .provenance)
        #expect(TrustLevel.classify(npmUser: trusted, signatures: verifiedSignature, attestations: verifiedProvenance) == .trustedPublisher)
        #expect(TrustLevel.classify(npmUser: trusted, signatures: verifiedSignature, attestations: []) == .registrySignature)
        #expect(TrustLevel.classify(npmUser: staged, signatures: verifiedSignature, attestations: []) == .stagedApproval)
        #expect(TrustLevel.none < .registrySignature && .registrySignature < .provenance
            && .provenance < .trustedPublisher && .trustedPublisher < .stagedApproval)
    }
}
