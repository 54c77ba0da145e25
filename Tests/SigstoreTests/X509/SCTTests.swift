import Digest
import Foundation
import TestSupport
import Testing

@testable import Sigstore

@Suite struct SCTTests {
    static func issuer(of leaf: Certificate, rootFile: String, at time: Date) throws -> Certificate {
        let authorities = try FulcioPathTests.authorities(rootFile)
        let verdict = CertificatePathValidator.fulcio(authorities: authorities, at: time).validate(leaf, at: time)
        let chain = try #require(verdict.chain)
        return chain[1]
    }

    @Test func realNPMLeavesHaveVerifiedSCTs() throws {
        let logs = try X509Fixtures.ctLogs("sigstore/trusted_root.production.json")
        var verified = 0
        for (name, leaf, time) in try X509Fixtures.npmProvenanceLeaves() {
            let issuer = try Self.issuer(of: leaf, rootFile: "sigstore/trusted_root.production.json", at: time)
            let checks = try SCTVerifier.verify(leaf: leaf, issuer: issuer, logs: logs)
            #expect(checks.count == 1, "\(name)")
            #expect(checks.allSatisfy { $0.verified }, "\(name): \(checks.map { $0.failureReason })")
            verified += checks.filter(\.verified).count
            let sct = try #require(checks.first?.sct)
            #expect(abs(sct.timestamp.timeIntervalSince(leaf.notValidBefore)) < 5)

            // The wrong issuer key changes the issuer_key_hash: no longer verifies.
            let wrong = try SCTVerifier.verify(leaf: leaf, issuer: leaf, logs: logs)
            #expect(wrong.allSatisfy { !$0.verified })
            // Unknown log.
            let none = try SCTVerifier.verify(leaf: leaf, issuer: issuer, logs: [])
            #expect(none.first?.failureReason?.contains("no trusted CT log") == true)
            // A log key whose validity ends before the SCT.
            let expiredLogs = logs.map { CTLogKey(logID: $0.logID, publicKey: $0.publicKey, validFrom: $0.validFrom, validUntil: sct.timestamp.addingTimeInterval(-1)) }
            #expect(try SCTVerifier.verify(leaf: leaf, issuer: issuer, logs: expiredLogs).allSatisfy { !$0.verified })
            // A tampered SCT signature.
            var tbs = try SCTVerifier.precertificateTBS(of: leaf)
            #expect(tbs.count < leaf.tbsCertificate.count)
            tbs[tbs.count - 1] ^= 1
            let message = SCTVerifier.signedData(for: sct, precertificateTBS: tbs, issuerKeyHash: HashAlgorithm.sha256.hash(issuer.publicKey.subjectPublicKeyInfo))
            #expect(!logs.contains { $0.publicKey.isValidSignature(sct.signature, for: message, algorithm: .ecdsa(.sha256)) })
        }
        print("embedded SCTs verified on real npm leaves: \(verified)")
        #expect(verified >= 3)
    }

    static func conformanceLeaf(_ dir: String) throws -> Certificate {
        let bundle = try X509Fixtures.json("sigstore/conformance/bundle-verify/\(dir)/bundle.sigstore.json")
        let material = bundle["verificationMaterial"] as! [String: Any]
        let raw: String
        if let chain = material["x509CertificateChain"] as? [String: Any] {
            raw = (chain["certificates"] as! [[String: Any]])[0]["rawBytes"] as! String
        } else {
            raw = (material["certificate"] as! [String: Any])["rawBytes"] as! String
        }
        return try Certificate(derEncoded: X509Fixtures.b64(raw))
    }

    @Test func sctWithExtensionsVerifiesAndWrongCTKeyFails() throws {
        // Static CT: the SCT carries a non-empty extensions field.
        let leaf = try Self.conformanceLeaf("bundle-with-sct-with-extensions")
        let root = "sigstore/conformance/bundle-verify/bundle-with-sct-with-extensions/trusted_root.json"
        let time = leaf.notValidBefore.addingTimeInterval(2)
        let issuer = try Self.issuer(of: leaf, rootFile: root, at: time)
        let checks = try SCTVerifier.verify(leaf: leaf, issuer: issuer, logs: X509Fixtures.ctLogs(root))
        #expect(checks.contains { !$0.sct.extensions.isEmpty })
        #expect(!checks.isEmpty && checks.allSatisfy { $0.verified }, "\(checks)")

        // The case's root lists staging CT keys: the production SCT cannot verify.
        let bad = try Self.conformanceLeaf("invalid-ct-key_fail")
        let badRoot = "sigstore/conformance/bundle-verify/invalid-ct-key_fail/trusted_root.json"
        let badTime = bad.notValidBefore.addingTimeInterval(2)
        let badIssuer = try Self.issuer(of: bad, rootFile: badRoot, at: badTime)
        let badChecks = try SCTVerifier.verify(leaf: bad, issuer: badIssuer, logs: X509Fixtures.ctLogs(badRoot))
        #expect(!badChecks.isEmpty && badChecks.allSatisfy { !$0.verified })
    }
}
