import Configuration
import Foundation
import Reports
import Sigstore
import Testing
import TestSupport
import VerdictSupport
@testable import Verification

@Suite struct SARIFTests {
    @Test func sarifValidatesAgainstTheSchemaAndHasOneResultPerFinding() throws {
        let verdict = SampleVerdict.verdict()
        let log = SARIFLog.make(verdicts: [verdict], toolVersion: "0.1.0")
        let data = try ProvcheckJSON.encode(log)
        #expect(try SchemaValidation.sarifErrors(data) == [])

        let run = try #require(log.runs.first)
        #expect(run.results.map(\.ruleId) == ["rebuild.compare", "trust.signatures", "rebuild.not-in-source"])
        #expect(run.results.map(\.level) == ["error", "warning", "warning"])
        #expect(run.tool.driver.rules.count == 5)
        for result in run.results {
            #expect(run.tool.driver.rules[result.ruleIndex].id == result.ruleId)
            #expect(result.locations[0].logicalLocations?[0].fullyQualifiedName == "pkg:npm/%40scope/pkg@1.2.3")
        }
        #expect(run.results[0].message.text.contains("index.js differs"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["$schema"] as? String == SARIFLog.schemaURI)
        #expect(object["version"] as? String == "2.1.0")
    }

    @Test func theSchemaRejectsWhatGitHubRejects() throws {
        // Sanity of the shipped schema: a result without a location, a bad level, a missing driver name.
        let bad = [
            #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"a","message":{"text":"m"}}]}]}"#,
            #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"a","level":"fatal","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"p"}}}]}]}]}"#,
            #"{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}"#,
            #"{"version":"2.0.0","runs":[]}"#,
        ]
        for json in bad {
            #expect(try !SchemaValidation.sarifErrors(Data(json.utf8)).isEmpty, "\(json)")
        }
    }

    @Test func aVerifiedVerdictHasNoResults() throws {
        let verdict = Verdict(subject: VerdictSubject(name: "a", version: "1.0.0"),
                              checks: [.pass(.registryIntegrity, "Registry integrity")])
        let log = SARIFLog.make(verdicts: [verdict], toolVersion: "0.1.0")
        #expect(log.runs[0].results.isEmpty)
        #expect(try SchemaValidation.sarifErrors(try ProvcheckJSON.encode(log)) == [])
    }
}

@Suite struct VSATests {
    @Test func vsaHasTheStatementShape() throws {
        let verdict = Verdict(
            subject: VerdictSubject(name: "gundam-visor", version: "1.0.1",
                                    integrity: "sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA==",
                                    tarballURL: "http://127.0.0.1:8080/gundam-visor/-/gundam-visor-1.0.1.tgz"),
            checks: [.pass(.registryIntegrity, "Registry integrity"), .pass(.trustProvenance, "Provenance")],
            verifiedAt: Date(timeIntervalSince1970: 1_717_453_081))
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        let statement = try VerificationSummary.statement(
            for: verdict, policy: policy,
            inputAttestations: [ResourceDescriptor(uri: "http://127.0.0.1:8080/-/npm/v1/attestations/gundam-visor@1.0.1",
                                                   digest: ["sha256": String(repeating: "0", count: 64)])],
            verifierVersion: "0.1.0")
        let data = try ProvcheckJSON.encode(statement)
        #expect(try SchemaValidation.errors(data, schema: "vsa-statement.schema.json") == [])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(object["predicateType"] as? String == "https://slsa.dev/verification_summary/v1")
        let subject = try #require((object["subject"] as? [[String: Any]])?.first)
        #expect(subject["name"] as? String == "pkg:npm/gundam-visor@1.0.1")
        #expect((subject["digest"] as? [String: String])?["sha512"]
            == "8d9d7972f676516c75014aa074e11ae604d98f0b64ec6725a61e2838ff3dab162118fa71433fb31e1550d30bd0dec9d086ce032b94457b583900c507acf39c40")
        let predicate = try #require(object["predicate"] as? [String: Any])
        #expect(predicate["verificationResult"] as? String == "PASSED")
        #expect(predicate["verifiedLevels"] as? [String] == ["SLSA_BUILD_LEVEL_2"])
        #expect(((predicate["policy"] as? [String: Any])?["digest"] as? [String: String])?["sha256"] == policy.sha256)
        #expect(predicate["timeVerified"] as? String == "2024-06-03T22:18:01Z")
    }

    @Test func incompleteIsFailed() throws {
        let statement = try VerificationSummary.statement(
            for: SampleVerdict.verdict(), policy: .default, verifierVersion: "0.1.0")
        #expect(statement.predicate.verificationResult == "FAILED")
        #expect(statement.predicate.verifiedLevels == ["FAILED"])
        #expect(statement.predicate.policy.uri == "provcheck:policy/default")
        #expect(try SchemaValidation.errors(try ProvcheckJSON.encode(statement), schema: "vsa-statement.schema.json") == [])
    }

    @Test func noDigestNoVSA() {
        let verdict = Verdict(subject: VerdictSubject(name: "a", version: "1.0.0", integrity: "sha1-abc"), checks: [])
        #expect(throws: VSAError.self) { try VerificationSummary.statement(for: verdict, policy: .default, verifierVersion: "0") }
    }

    @Test func dsseEnvelopeSignsThePAEAndVerifies() throws {
        let dir = try TemporaryFolder()
        defer { dir.cleanup() }
        let keyURL = dir.url.appendingPathComponent("key.pem")
        let pubURL = dir.url.appendingPathComponent("pub.pem")
        try ProcessRunner.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyURL.path])
        try ProcessRunner.run(["openssl", "pkey", "-in", keyURL.path, "-pubout", "-out", pubURL.path])
        let payload = Data(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8)
        let envelope = try DSSEEnvelope.sign(payload: payload, privateKeyPEM: try Data(contentsOf: keyURL),
                                             keySource: keyURL.path)
        #expect(envelope.payloadType == "application/vnd.in-toto+json")
        #expect(envelope.payload == payload)
        #expect(envelope.signatures.count == 1)
        #expect(envelope.signatures[0].keyid?.count == 64)
        #expect(try envelope.verify(publicKeyPEM: try Data(contentsOf: pubURL)))

        // Independent check with the openssl CLI over the PAE.
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: envelope.payloadType, payload: payload)
        #expect(String(decoding: pae.prefix(39), as: UTF8.self) == "DSSEv1 28 application/vnd.in-toto+json ")
        try pae.write(to: dir.url.appendingPathComponent("pae"))
        try envelope.signatures[0].sig.write(to: dir.url.appendingPathComponent("sig"))
        try ProcessRunner.run(["openssl", "dgst", "-sha256", "-verify", pubURL.path, "-signature",
                 dir.url.appendingPathComponent("sig").path, dir.url.appendingPathComponent("pae").path])

        let tampered = DSSEEnvelope(payload: Data(#"{"_type":"x"}"#.utf8), payloadType: envelope.payloadType,
                                    signatures: envelope.signatures)
        #expect(try !tampered.verify(publicKeyPEM: try Data(contentsOf: pubURL)))
    }

    @Test func nonECKeyIsRejectedWithTheFileName() throws {
        let dir = try TemporaryFolder()
        defer { dir.cleanup() }
        let keyURL = dir.url.appendingPathComponent("rsa.pem")
        try ProcessRunner.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", keyURL.path])
        #expect {
            try DSSEEnvelope.sign(payload: Data(), privateKeyPEM: try Data(contentsOf: keyURL), keySource: keyURL.path)
        } throws: { error in
            (error as? DSSEError)?.message.contains("rsa.pem") == true
        }
        #expect(throws: DSSEError.self) {
            try DSSEEnvelope.sign(payload: Data(), privateKeyPEM: Data("garbage".utf8), keySource: "k.pem")
        }
    }
}
