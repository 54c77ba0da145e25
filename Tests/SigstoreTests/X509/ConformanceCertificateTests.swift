import Foundation
import TestSupport
import Testing

@testable import Sigstore

/// Runs the certificate part of Sigstore verification (path at the signing time + embedded SCTs) over every
/// conformance bundle that carries a certificate. The rest of bundle verification belongs to the bundle layer.
@Suite struct ConformanceCertificateTests {
    struct Outcome {
        let name: String
        let expectedPass: Bool
        let pathValid: Bool
        let verifiedSCTs: Int
        let detail: String
    }

    static func outcome(_ name: String, expectedPass: Bool) throws -> Outcome? {
        let dir = "sigstore/conformance/bundle-verify/\(name)"
        guard let data = try? Fixtures.data("\(dir)/bundle.sigstore.json"),
            let bundle = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let material = bundle["verificationMaterial"] as? [String: Any],
            let raw = X509Fixtures.leafRawBytes(material)
        else { return nil }
        let leaf = try Certificate(derEncoded: X509Fixtures.b64(raw))
        let rootPath = (try? Fixtures.url("\(dir)/trusted_root.json")) != nil
            ? "\(dir)/trusted_root.json" : "sigstore/conformance/trusted_roots/production.trusted_root.json"
        // Signing time: the integrated time of the first entry, else the RFC 3161 genTime.
        var time: Date?
        if let entry = (material["tlogEntries"] as? [[String: Any]])?.first, let text = entry["integratedTime"] as? String,
            let seconds = Double(text), seconds > 0
        {
            time = Date(timeIntervalSince1970: seconds)
        } else if let material = try? RFC3161Tests.material(name) {
            time = try? RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: material.authorities)
        }
        guard let time else {
            return Outcome(name: name, expectedPass: expectedPass, pathValid: false, verifiedSCTs: 0, detail: "no usable time")
        }
        let authorities = try FulcioPathTests.authorities(rootPath)
        let verdict = CertificatePathValidator.fulcio(authorities: authorities, at: time).validate(leaf, at: time)
        guard let chain = verdict.chain else {
            return Outcome(name: name, expectedPass: expectedPass, pathValid: false, verifiedSCTs: 0, detail: "\(verdict.failures)")
        }
        let checks = try SCTVerifier.verify(leaf: leaf, issuer: chain[1], logs: X509Fixtures.ctLogs(rootPath))
        return Outcome(
            name: name, expectedPass: expectedPass, pathValid: true, verifiedSCTs: checks.filter { $0.verified }.count,
            detail: checks.compactMap { $0.failureReason }.joined(separator: "; "))
    }

    /// Failing conformance cases whose failure lies in the certificate path or the SCTs.
    static let certificateFailures: Set<String> = [
        "intoto-expired-certificate_fail", "invalid-ct-key_fail", "intoto-set-outside-signing-cert-validity_fail",
    ]

    @Test func certificatePathsAndSCTsOfConformanceBundles() throws {
        let index = try X509Fixtures.json("sigstore/conformance/INDEX.json")
        var checked = 0
        for entry in index["cases"] as! [[String: Any]] {
            let dir = entry["dir"] as! String
            guard dir.hasPrefix("bundle-verify/") else { continue }
            let name = String(dir.dropFirst("bundle-verify/".count))
            guard let outcome = try Self.outcome(name, expectedPass: entry["expected"] as? String == "pass") else { continue }
            checked += 1
            let certificateOK = outcome.pathValid && outcome.verifiedSCTs >= 1
            if outcome.expectedPass {
                #expect(certificateOK, "\(name): path \(outcome.pathValid), SCTs \(outcome.verifiedSCTs): \(outcome.detail)")
            } else if Self.certificateFailures.contains(name) {
                #expect(!certificateOK, "\(name) should fail in the certificate checks")
            }
        }
        print("conformance bundles with certificates checked: \(checked)")
        #expect(checked > 20)
    }
}
