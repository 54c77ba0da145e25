import Foundation
import Testing
import TestSupport
@testable import NPMTrust

/// The real npm attestations in Fixtures/npm/attestations, verified with Sigstore against the production
/// trusted root (and the public-good snapshot) and the npm registry keys.
@Suite struct RealAttestationTests {
    let keys = RegistryKeysAvailability.keys(TrustedRegistryKeys.npmPublicRegistry)
    let verifier = RegistryTrustVerifier()

    @Test(arguments: AttestationCase.files)
    func everyRealAttestationVerifies(file: String) throws {
        let testCase = try AttestationCase.load(file)
        let report = verifier.verify(testCase.evidence, keys: keys, attestations: .fetched(testCase.envelopes))
        #expect(report.attestations.count == testCase.envelopes.count)
        for check in report.attestations {
            #expect(check.ok, Comment(rawValue: "\(file) \(check.predicateType): \(check.status.rawValue) \(check.reason)"))
            #expect(check.signedAt != nil)
        }
        let provenance = try #require(report.provenance)
        #expect(provenance.inconsistencies.isEmpty)
        #expect(provenance.certificateIssuer == "https://token.actions.githubusercontent.com")
        #expect(provenance.certificateIdentity?.hasPrefix("https://github.com/") == true)
    }

    @Test func alsoVerifiesWithThePublicGoodRoot() throws {
        let verifier = try RegistryTrustVerifier(trustedRootContentsOf: Fixtures.url("sigstore/trusted_root.public-good.json"))
        let testCase = try AttestationCase.load("sigstore@1.0.0")
        let report = verifier.verify(testCase.evidence, keys: keys, attestations: .fetched(testCase.envelopes))
        let allOK = report.attestations.allSatisfy { $0.ok }
        #expect(allOK)
    }

    @Test func certificateFactsOfGundamVisor() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let report = verifier.verify(testCase.evidence, keys: keys, attestations: .fetched(testCase.envelopes))
        let facts = try #require(report.provenance)
        ExpectedProvenance.expect(facts, ExpectedProvenance.gundamVisor)
        ExpectedProvenance.expectGundamVisorRunner(facts)
        #expect(facts.buildConfigURI == "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1")
        let publish = try #require(report.attestations.first { $0.predicateType == AttestationPredicate.npmPublishV01.rawValue })
        #expect(publish.signer == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA")
        #expect(publish.signedAt == Date(timeIntervalSince1970: 1_717_453_081))
    }

    @Test func v02CertificateFactsOfSigstore100() throws {
        let testCase = try AttestationCase.load("sigstore@1.0.0")
        let report = verifier.verify(testCase.evidence, keys: keys, attestations: .fetched(testCase.envelopes))
        let facts = try #require(report.provenance)
        ExpectedProvenance.expect(facts, ExpectedProvenance.sigstore100)
    }

    @Test func mutatedPayloadOrSignatureIsABundleFailure() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let engine = verifier.attestationVerifier
        for envelope in testCase.envelopes {
            // The subject edited inside the signed statement: the signature no longer covers it.
            let edited = try editingStatement(envelope) { statement in
                var subjects = statement["subject"] as! [[String: Any]]
                subjects[0]["digest"] = ["sha512": String(repeating: "0", count: 128)]
                statement["subject"] = subjects
            }
            #expect(engine.verify(edited, evidence: testCase.evidence, keys: keys).status == .bundleInvalid)

            var bundle = try unwrap(try JSONSerialization.jsonObject(with: try unwrap(envelope.bundle, "bundle")) as? [String: Any], "bundle")
            var dsse = try unwrap(bundle["dsseEnvelope"] as? [String: Any], "dsse")
            var signatures = try unwrap(dsse["signatures"] as? [[String: Any]], "signatures")
            var sig = try unwrap(Data(base64Encoded: try unwrap(signatures[0]["sig"] as? String, "sig")), "sig bytes")
            sig[sig.count - 2] ^= 0x01
            signatures[0]["sig"] = sig.base64EncodedString()
            dsse["signatures"] = signatures
            bundle["dsseEnvelope"] = dsse
            let flipped = AttestationEnvelope(predicateType: envelope.predicateType, bundle: try JSONSerialization.data(withJSONObject: bundle))
            #expect(engine.verify(flipped, evidence: testCase.evidence, keys: keys).status == .bundleInvalid)
        }
    }

    @Test func tarballOrVersionOtherThanTheAttestedOneFails() throws {
        let testCase = try AttestationCase.load("%40trishankatdatadog+supreme-goggles@1.0.5")
        var otherTarball = testCase.evidence
        otherTarball.integrity = try AttestationCase.load("gundam-visor@1.0.1").integrity
        let digestReport = verifier.verify(otherTarball, keys: keys, attestations: .fetched(testCase.envelopes))
        #expect(digestReport.attestations.map(\.status) == [.subjectDigestMismatch, .subjectDigestMismatch])

        var otherName = testCase.evidence
        otherName.name = "@trishankatdatadog/supreme-goggle"
        let nameReport = verifier.verify(otherName, keys: keys, attestations: .fetched(testCase.envelopes))
        #expect(nameReport.attestations.map(\.status).allSatisfy { $0 == .subjectNameMismatch })
        #expect(!nameReport.ok && !digestReport.ok)
    }

    @Test func publishAttestationKeyMutations() throws {
        let testCase = try AttestationCase.load("sigstore@2.3.1")
        let publish = try #require(testCase.envelopes.first { $0.predicateType == AttestationPredicate.npmPublishV01.rawValue })
        let engine = verifier.attestationVerifier

        func withHint(_ hint: String) throws -> AttestationEnvelope {
            var bundle = try unwrap(try JSONSerialization.jsonObject(with: try unwrap(publish.bundle, "bundle")) as? [String: Any], "bundle")
            var material = try unwrap(bundle["verificationMaterial"] as? [String: Any], "material")
            material["publicKey"] = ["hint": hint]
            bundle["verificationMaterial"] = material
            var dsse = try unwrap(bundle["dsseEnvelope"] as? [String: Any], "dsse")
            var signatures = try unwrap(dsse["signatures"] as? [[String: Any]], "signatures")
            signatures[0]["keyid"] = hint
            dsse["signatures"] = signatures
            bundle["dsseEnvelope"] = dsse
            return AttestationEnvelope(predicateType: publish.predicateType, bundle: try JSONSerialization.data(withJSONObject: bundle))
        }
        // A key id no registry key has.
        #expect(engine.verify(try withHint("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), evidence: testCase.evidence, keys: keys).status == .unknownKey)
        // The other (real) registry key: its signature check fails.
        #expect(engine.verify(try withHint("SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U"), evidence: testCase.evidence, keys: keys).status == .bundleInvalid)

        // The signing key, expiring before the Rekor integrated time (2024-05-16).
        let real = TrustedRegistryKeys.npmPublicRegistry.keys[0]
        let early = try TrustedRegistryKey(keyid: real.keyid, keytype: real.keytype, scheme: real.scheme,
                                           subjectPublicKeyInfo: real.subjectPublicKeyInfo,
                                           expires: Date(timeIntervalSince1970: 1_715_879_000))
        let expiring = RegistryKeysAvailability.keys(try TrustedRegistryKeys(keys: [early], source: "test keys"))
        let expired = engine.verify(publish, evidence: testCase.evidence, keys: expiring)
        #expect(expired.status == .keyExpired)
        #expect(expired.reason.contains("2024-05-16"))
    }

    @Test func unknownPredicateIsNeverVerified() throws {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let renamed = testCase.envelopes.map { AttestationEnvelope(predicateType: $0.predicateType + "x", bundle: $0.bundle) }
        let report = verifier.verify(testCase.evidence, keys: keys, attestations: .fetched(renamed))
        #expect(report.attestations.filter { $0.status == .unsupportedPredicate }.count == 2)
        #expect(report.attestations.contains { $0.status == .missing })
        #expect(!report.ok)
    }
}

@Suite struct CertificateExtensionDecodingTests {
    @Test func deploymentEnvironmentIsADERUTF8String() {
        #expect(SigstoreAttestationBundles.utf8String([0x0C, 0x03] + Array("prd".utf8)) == "prd")
        let long = String(repeating: "e", count: 200)
        #expect(SigstoreAttestationBundles.utf8String([0x0C, 0x81, 200] + Array(long.utf8)) == long)
        #expect(SigstoreAttestationBundles.utf8String(Array("prd".utf8)) == nil)  // raw octets are not accepted
        #expect(SigstoreAttestationBundles.utf8String([0x0C, 0x05] + Array("prd".utf8)) == nil)  // length mismatch
    }
}
