import Foundation
import Testing
import TestSupport
@testable import Sigstore

@Suite struct BundleModelTests {
    @Test func mediaTypes() {
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1") == .v0_1)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2") == .v0_2)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3") == .v0_3)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json") == .v0_3)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle+json;version=99.9") == nil)
        #expect(SigstoreBundle.Version(mediaType: "application/json") == nil)
    }

    @Test func parsesEveryConformanceBundleOrNamesTheField() throws {
        let base = try Fixtures.url("sigstore/conformance/bundle-verify")
        var parsed = 0
        for directory in try FileManager.default.contentsOfDirectory(atPath: base.path).sorted() {
            let url = base.appendingPathComponent(directory).appendingPathComponent("bundle.sigstore.json")
            guard let data = try? Data(contentsOf: url) else { continue }
            do {
                _ = try SigstoreBundle.parse(data, source: url.path)
                parsed += 1
            } catch {
                #expect(directory.hasSuffix("_fail"), "\(directory) should parse: \(error)")
                #expect(error.source == url.path)
            }
        }
        #expect(parsed >= 38)
    }

    @Test func strictParsingErrorsNameTheField() throws {
        func problem(_ json: String) -> SigstoreFormatError? {
            do { _ = try SigstoreBundle.parse(Data(json.utf8), source: "b.json"); return nil } catch { return error }
        }
        let v3 = #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","#
        #expect(problem("{").map { $0.field } == "")
        #expect(problem("[]")?.problem.contains("not an object") == true)
        #expect(problem(#"{"mediaType":"x"}"#)?.field == "mediaType")
        #expect(problem(v3 + #""verificationMaterial":{}}"#)?.field == "verificationMaterial.certificate")
        #expect(problem(v3 + #""verificationMaterial":{"x509CertificateChain":{"certificates":[]}},"messageSignature":{"signature":"AA=="}}"#)?
            .field == "verificationMaterial.x509CertificateChain")
        #expect(problem(v3 + #""verificationMaterial":{"certificate":{"rawBytes":"!!"}},"messageSignature":{"signature":"AA=="}}"#)?
            .field == "verificationMaterial.certificate.rawBytes")
        #expect(problem(v3 + #""verificationMaterial":{"certificate":{"rawBytes":"AA=="}}}"#)?.field == "messageSignature")
        let twoSignatures = v3 + #""verificationMaterial":{"certificate":{"rawBytes":"AA=="}},"dsseEnvelope":{"payload":"","payloadType":"t","signatures":[{"sig":"AA=="},{"sig":"AA=="}]}}"#
        #expect(problem(twoSignatures)?.field == "dsseEnvelope.signatures")
        let entry = #"{"logIndex":"1","logId":{"keyId":"AA=="},"kindVersion":{"kind":"k","version":"v"},"canonicalizedBody":"AA=="}"#
        let noProof = v3 + #""verificationMaterial":{"certificate":{"rawBytes":"AA=="},"tlogEntries":["# + entry
            + #"]},"messageSignature":{"signature":"AA=="}}"#
        #expect(problem(noProof)?.field == "verificationMaterial.tlogEntries[0].inclusionProof")
    }

    @Test func trustedRootValidity() throws {
        func root(_ validFor: String) -> String {
            #"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"https://x","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AA==","keyDetails":"PKIX_ED25519","validFor":"#
                + validFor + #"},"logId":{"keyId":"AA=="}}]}"#
        }
        let parsed = try TrustedRoot.parse(Data(root(#"{"start":"2021-01-12T11:53:27Z","end":"2022-01-01T00:00:59.999000Z"}"#).utf8))
        let validity = try #require(parsed.tlogs.first?.publicKey.validFor)
        #expect(validity.contains(validity.start))
        #expect(validity.contains(try #require(validity.end)))
        #expect(!validity.contains(validity.start.addingTimeInterval(-1)))
        #expect(!validity.contains(try #require(validity.end).addingTimeInterval(0.001)))
        #expect(ValidityPeriod(start: validity.start, end: nil).contains(.distantFuture))
        #expect(throws: SigstoreFormatError.self) { try TrustedRoot.parse(Data(root(#"{"end":"2022-01-01T00:00:00Z"}"#).utf8)) }
        #expect(throws: SigstoreFormatError.self) { try TrustedRoot.parse(Data(root(#"{"start":"yesterday"}"#).utf8)) }
        // JSON null end = open.
        let open = try TrustedRoot.parse(Data(root(#"{"start":"2021-01-12T11:53:27+01:00","end":null}"#).utf8))
        #expect(open.tlogs[0].publicKey.validFor.end == nil)
        #expect(open.tlogs[0].publicKey.validFor.start == RFC3339.parse("2021-01-12T10:53:27Z"))
        #expect(RFC3339.parse("2021-01-12T11:53:27Z") == Date(timeIntervalSince1970: 1_610_452_407))
    }

    @Test func embeddedProductionRootMatchesFixture() throws {
        let fixture = try TrustedRoot.load(contentsOf: Fixtures.url("sigstore/trusted_root.production.json"))
        #expect(TrustedRoot.production == fixture)
        #expect(TrustedRoot.production.tlogs.count == 2)
        #expect(TrustedRoot.production.certificateAuthorities.count == 2)
        #expect(TrustedRoot.production.ctlogs.count == 2)
        #expect(TrustedRoot.production.timestampAuthorities.count == 1)
        #expect(Hex.encode(SHA2.sha256(try Fixtures.data("sigstore/trusted_root.production.json"))) == EmbeddedTrustedRoot.sourceSHA256)
    }

    @Test func dssePreAuthenticationEncoding() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Data("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        #expect(String(decoding: DSSEEnvelope.preAuthenticationEncoding(payloadType: "", payload: Data()), as: UTF8.self) == "DSSEv1 0  0 ")
    }

    @Test func merkleInclusionShapes() {
        // A 5-leaf tree built by hand (RFC 6962 §2.1).
        let leaves = (0..<5).map { MerkleInclusion.leafHash(Data([UInt8($0)])) }
        let h01 = MerkleInclusion.nodeHash(leaves[0], leaves[1])
        let h23 = MerkleInclusion.nodeHash(leaves[2], leaves[3])
        let h0123 = MerkleInclusion.nodeHash(h01, h23)
        let root = MerkleInclusion.nodeHash(h0123, leaves[4])
        #expect(MerkleInclusion.root(leafHash: leaves[2], index: 2, treeSize: 5, proof: [leaves[3], h01, leaves[4]]) == root)
        #expect(MerkleInclusion.root(leafHash: leaves[4], index: 4, treeSize: 5, proof: [h0123]) == root)
        #expect(MerkleInclusion.root(leafHash: leaves[4], index: 4, treeSize: 5, proof: [h0123, h0123]) == nil)
        #expect(MerkleInclusion.root(leafHash: leaves[0], index: 5, treeSize: 5, proof: []) == nil)
        #expect(MerkleInclusion.root(leafHash: leaves[0], index: 0, treeSize: 1, proof: []) == leaves[0])
    }

    @Test func canonicalSETPayload() {
        let entry = TransparencyLogEntry(logIndex: 7, logID: Data([0xc0, 0xd2]), kind: "k", kindVersion: "v", integratedTime: 1_700_000_000,
                                         signedEntryTimestamp: nil, inclusionProof: nil, canonicalizedBody: Data("{}".utf8))
        #expect(String(decoding: RekorCanonicalJSON.signedEntryTimestampPayload(entry: entry), as: UTF8.self)
            == #"{"body":"e30=","integratedTime":1700000000,"logID":"c0d2","logIndex":7}"#)
    }

    @Test func checkpointParsing() throws {
        let note = "rekor.sigstore.dev - 2605736670972794746\n12\n\(Data(repeating: 1, count: 32).base64EncodedString())\nextra\n"
        let signature = "\u{2014} rekor.sigstore.dev \(Data([0xc0, 0xd2, 0x3d, 0x6a, 9, 9]).base64EncodedString())\n"
        let witness = "\u{2014} witness.example/w1 \(Data([1, 2, 3, 4, 5]).base64EncodedString())\n"
        guard case .success(let checkpoint) = Checkpoint.parse(note + "\n" + signature + witness) else {
            Issue.record("checkpoint should parse"); return
        }
        #expect(checkpoint.origin == "rekor.sigstore.dev - 2605736670972794746")
        #expect(checkpoint.treeSize == 12)
        #expect(checkpoint.note == Data(note.utf8))
        #expect(checkpoint.signatures.map(\.name) == ["rekor.sigstore.dev", "witness.example/w1"])
        #expect(checkpoint.signatures[0].keyHint == Data([0xc0, 0xd2, 0x3d, 0x6a]))
        for broken in ["12\n\(Data(repeating: 1, count: 32).base64EncodedString())\n\n" + signature,  // no origin
                       "origin\nx\nAAAA\n\n" + signature, note + "\n", note + signature, note + "\n- name AAAAAAAA\n"] {
            guard case .failure = Checkpoint.parse(broken) else { Issue.record("should not parse: \(broken)"); continue }
        }
    }

    @Test func inTotoStatement() throws {
        let statement = try InTotoStatement.parse(Data(#"""
            {"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"pkg:npm/%40a/b@1.0.0","digest":{"SHA512":"ABCD"}}],
             "predicateType":"https://slsa.dev/provenance/v1","predicate":{"b":1,"a":[true]}}
            """#.utf8))
        #expect(statement.subjects == [.init(name: "pkg:npm/%40a/b@1.0.0", digest: ["sha512": "abcd"])])
        #expect(String(decoding: statement.predicateJSON, as: UTF8.self) == #"{"a":[true],"b":1}"#)
        #expect(throws: SigstoreFormatError.self) {
            try InTotoStatement.parse(Data(#"{"_type":"x","subject":[],"predicateType":"p"}"#.utf8))
        }
    }
}
