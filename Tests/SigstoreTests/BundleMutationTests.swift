import Foundation
import Testing
import TestSupport
@testable import Sigstore

/// Tampering with each part of a real bundle fails with the reason for that part.
@Suite struct BundleMutationTests {
    typealias JSONObject = [String: Any]

    /// The gundam-visor SLSA v1 provenance bundle (v0.2, DSSE, Rekor intoto 0.0.2 with SET and inclusion proof).
    static func provenanceBundle() throws -> JSONObject {
        let bundle = try #require(try NPMAttestationFixtures.attestations("gundam-visor@1.0.1")
            .first { $0.predicateType == "https://slsa.dev/provenance/v1" }).bundle
        return try #require(try JSONSerialization.jsonObject(with: bundle.encoded()) as? JSONObject)
    }

    static func verify(_ bundle: JSONObject, artifact: VerificationPolicy.Artifact = .none,
                       root: TrustedRoot = .production) throws -> BundleVerificationError.Reason? {
        let data = try JSONSerialization.data(withJSONObject: bundle)
        do {
            _ = try BundleVerifier(trustedRoot: root).verify(
                bundleJSON: data, policy: .init(artifact: artifact, signer: .anyCertificate))
            return nil
        } catch {
            return error.reason
        }
    }

    /// Flips one bit of the byte at `index` (negative: from the end) of a base64 value.
    static func flip(_ base64: String, at index: Int) -> String {
        var bytes = [UInt8](Data(base64Encoded: base64)!)
        let position = index >= 0 ? index : bytes.count + index
        bytes[position] ^= 0x01
        return Data(bytes).base64EncodedString()
    }

    static func editEntry(_ bundle: inout JSONObject, _ edit: (inout JSONObject) -> Void) {
        var material = bundle["verificationMaterial"] as! JSONObject
        var entries = material["tlogEntries"] as! [JSONObject]
        edit(&entries[0])
        material["tlogEntries"] = entries
        bundle["verificationMaterial"] = material
    }

    static func editProof(_ bundle: inout JSONObject, _ edit: (inout JSONObject) -> Void) {
        editEntry(&bundle) { entry in
            var proof = entry["inclusionProof"] as! JSONObject
            edit(&proof)
            entry["inclusionProof"] = proof
        }
    }

    @Test func unmodifiedBundleVerifies() throws {
        #expect(try Self.verify(Self.provenanceBundle()) == nil)
    }

    @Test func payload() throws {
        var bundle = try Self.provenanceBundle()
        var envelope = bundle["dsseEnvelope"] as! JSONObject
        let payload = Data(base64Encoded: envelope["payload"] as! String)!
        envelope["payload"] = Data(String(decoding: payload, as: UTF8.self)
            .replacingOccurrences(of: "gundam-visor@1.0.1", with: "gundam-visor@1.0.2").utf8).base64EncodedString()
        bundle["dsseEnvelope"] = envelope
        #expect(try Self.verify(bundle) == .signatureMismatch)
    }

    @Test func signature() throws {
        var bundle = try Self.provenanceBundle()
        var envelope = bundle["dsseEnvelope"] as! JSONObject
        var signatures = envelope["signatures"] as! [JSONObject]
        signatures[0]["sig"] = Self.flip(signatures[0]["sig"] as! String, at: -1)
        envelope["signatures"] = signatures
        bundle["dsseEnvelope"] = envelope
        #expect(try Self.verify(bundle) == .signatureMismatch)
    }

    @Test func certificate() throws {
        var bundle = try Self.provenanceBundle()
        var material = bundle["verificationMaterial"] as! JSONObject
        var chain = material["x509CertificateChain"] as! JSONObject
        var certificates = chain["certificates"] as! [JSONObject]
        // The last byte is inside the issuer's ECDSA signature: still parses, no longer chains.
        certificates[0]["rawBytes"] = Self.flip(certificates[0]["rawBytes"] as! String, at: -1)
        chain["certificates"] = certificates
        material["x509CertificateChain"] = chain
        bundle["verificationMaterial"] = material
        #expect(try Self.verify(bundle) == .certificateChain)
    }

    @Test func signedEntryTimestamp() throws {
        var bundle = try Self.provenanceBundle()
        Self.editEntry(&bundle) { entry in
            var promise = entry["inclusionPromise"] as! JSONObject
            promise["signedEntryTimestamp"] = Self.flip(promise["signedEntryTimestamp"] as! String, at: -1)
            entry["inclusionPromise"] = promise
        }
        #expect(try Self.verify(bundle) == .setInvalid)
        // The integrated time is covered by the SET too.
        var shifted = try Self.provenanceBundle()
        Self.editEntry(&shifted) { entry in
            entry["integratedTime"] = String(Int(entry["integratedTime"] as! String)! + 1)
        }
        #expect(try Self.verify(shifted) == .setInvalid)
    }

    @Test func inclusionProofHash() throws {
        var bundle = try Self.provenanceBundle()
        Self.editProof(&bundle) { proof in
            var hashes = proof["hashes"] as! [String]
            hashes[0] = Self.flip(hashes[0], at: 0)
            proof["hashes"] = hashes
        }
        #expect(try Self.verify(bundle) == .inclusionProofInvalid)
        var truncated = try Self.provenanceBundle()
        Self.editProof(&truncated) { proof in proof["hashes"] = Array((proof["hashes"] as! [String]).dropLast()) }
        #expect(try Self.verify(truncated) == .inclusionProofInvalid)
    }

    @Test func checkpoint() throws {
        // A flipped signature bit.
        var bundle = try Self.provenanceBundle()
        Self.editProof(&bundle) { proof in
            var checkpoint = proof["checkpoint"] as! JSONObject
            let envelope = checkpoint["envelope"] as! String
            let parts = envelope.components(separatedBy: "\n\n")
            let line = parts[1].trimmingCharacters(in: .newlines)
            let fields = line.split(separator: " ").map(String.init)
            let tampered = "\(fields[0]) \(fields[1]) \(Self.flip(fields[2], at: -1))\n"
            checkpoint["envelope"] = parts[0] + "\n\n" + tampered
            proof["checkpoint"] = checkpoint
        }
        #expect(try Self.verify(bundle) == .checkpointInvalid)
        // A note whose size differs from the proof's (signature no longer covers it either).
        var resized = try Self.provenanceBundle()
        Self.editProof(&resized) { proof in
            var checkpoint = proof["checkpoint"] as! JSONObject
            var lines = (checkpoint["envelope"] as! String).components(separatedBy: "\n")
            lines[1] = String(Int(lines[1])! + 1)
            checkpoint["envelope"] = lines.joined(separator: "\n")
            proof["checkpoint"] = checkpoint
        }
        #expect(try Self.verify(resized) == .checkpointInvalid)
        // No checkpoint at all.
        var missing = try Self.provenanceBundle()
        Self.editProof(&missing) { proof in proof["checkpoint"] = nil }
        #expect(try Self.verify(missing) == .checkpointInvalid)
    }

    @Test func canonicalizedBody() throws {
        // The log signed the body: any change breaks the SET first…
        var bundle = try Self.provenanceBundle()
        Self.editEntry(&bundle) { entry in
            entry["canonicalizedBody"] = Self.flip(entry["canonicalizedBody"] as! String, at: 10)
        }
        #expect(try Self.verify(bundle) == .setInvalid)
        // …and, without a SET, the inclusion proof.
        var withoutSET = bundle
        Self.editEntry(&withoutSET) { entry in entry["inclusionPromise"] = nil }
        #expect(try Self.verify(withoutSET) == .inclusionProofInvalid)
        // A body that the log did sign but that describes another envelope is a body mismatch
        // (sigstore-conformance intoto-log-entry-mismatch_fail, dsse-mismatch-*_fail: see ConformanceSuiteTests).
        let base = try Fixtures.url("sigstore/conformance")
        let mismatchCase = try #require(try ConformanceCase.all().first { $0.id == "intoto-log-entry-mismatch_fail" })
        let mismatch = try ConformanceInvocation(arguments: mismatchCase.digestForm, base: base).run()
        guard case .failure(let error) = mismatch else { Issue.record("expected a failure"); return }
        #expect(error.reason == .bodyMismatch)
    }

    @Test func logAndTimeMaterial() throws {
        // An unknown log id.
        var bundle = try Self.provenanceBundle()
        Self.editEntry(&bundle) { entry in
            entry["logId"] = ["keyId": Data(repeating: 7, count: 32).base64EncodedString()]
        }
        #expect(try Self.verify(bundle) == .untrustedLog)
        // No tlog entries at all.
        var empty = try Self.provenanceBundle()
        var material = empty["verificationMaterial"] as! JSONObject
        material["tlogEntries"] = [JSONObject]()
        empty["verificationMaterial"] = material
        #expect(try Self.verify(empty) == .transparencyLogThreshold)
        // A trusted root without the CA: no path.
        let root = TrustedRoot.production
        let withoutCAs = TrustedRoot(mediaType: root.mediaType, tlogs: root.tlogs, certificateAuthorities: [],
                                     ctlogs: root.ctlogs, timestampAuthorities: root.timestampAuthorities)
        #expect(try Self.verify(Self.provenanceBundle(), root: withoutCAs) == .certificateChain)
        // …and without the CT logs: no SCT.
        let withoutCT = TrustedRoot(mediaType: root.mediaType, tlogs: root.tlogs,
                                    certificateAuthorities: root.certificateAuthorities, ctlogs: [],
                                    timestampAuthorities: root.timestampAuthorities)
        #expect(try Self.verify(Self.provenanceBundle(), root: withoutCT) == .sctInvalid)
    }

    @Test func rekorV2LogKeyMustBeValidAtTheTimestamp() throws {
        let base = try Fixtures.url("sigstore/conformance")
        let happy = try #require(try ConformanceCase.all().first { $0.id == "rekor2-happy-path" })
        let invocation = try ConformanceInvocation(arguments: happy.digestForm, base: base)
        guard case .success = try invocation.run() else { Issue.record("rekor2-happy-path should verify"); return }
        let root = try TrustedRoot.load(contentsOf: #require(invocation.trustedRoot))
        let late = Date(timeIntervalSince1970: 1_900_000_000)
        let shifted = TrustedRoot(mediaType: root.mediaType, tlogs: root.tlogs.map { log in
            TransparencyLogInstance(baseURL: log.baseURL, hashAlgorithm: log.hashAlgorithm, publicKey: TrustedPublicKey(
                rawBytes: log.publicKey.rawBytes, keyDetails: log.publicKey.keyDetails,
                validFor: ValidityPeriod(start: late, end: nil)), logID: log.logID, checkpointKeyID: log.checkpointKeyID)
        }, certificateAuthorities: root.certificateAuthorities, ctlogs: root.ctlogs,
           timestampAuthorities: root.timestampAuthorities)
        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: invocation.bundle)) as! JSONObject
        let digest = Hex.decode(String(invocation.artifact.dropFirst("sha256:".count)))!
        let data = try JSONSerialization.data(withJSONObject: bundle)
        #expect {
            try BundleVerifier(trustedRoot: shifted).verify(bundleJSON: data, policy: .init(
                artifact: .sha256Digest(digest), signer: .anyCertificate))
        } throws: { ($0 as? BundleVerificationError)?.reason == .untrustedLog }
    }

    @Test func artifactBinding() throws {
        // The gundam-visor subject has only a sha512 digest, so a sha256 artifact cannot match it.
        #expect(try Self.verify(Self.provenanceBundle(), artifact: .sha256Digest(Data(repeating: 0, count: 32)))
            == .artifactMismatch)
    }
}
