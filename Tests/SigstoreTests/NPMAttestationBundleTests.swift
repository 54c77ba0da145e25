import Foundation
import JSON
import Testing
import TestSupport
@testable import Sigstore

/// The npm attestation fixtures: every bundle (SLSA provenance signed by Fulcio, publish attestation signed by
/// the npm registry key) verifies offline with the embedded production root and with the 2023 public-good root.
enum NPMAttestationFixtures {
    static let files = [
        "%40trishankatdatadog+supreme-goggles@1.0.5",
        "gundam-visor@1.0.1",
        "sigstore@1.0.0",
        "sigstore@2.3.1",
    ]

    /// The attestations of one fixture: predicate type and the bundle JSON object.
    static func attestations(_ name: String) throws -> [(predicateType: String, bundle: RawJSON)] {
        let document = try RawJSON(parsing: Fixtures.data("npm/attestations/\(name).json"))
        return (document["attestations"]?.arrayValue ?? []).map {
            (predicateType: $0["predicateType"]?.stringValue ?? "", bundle: $0["bundle"] ?? .null)
        }
    }

    /// The npm registry key (DER SPKI) for a `SHA256:…` key id, from `npm/keys.json`.
    static func registryKey(keyID: String) throws -> Data? {
        let document = try JSONSerialization.jsonObject(with: Fixtures.data("npm/keys.json")) as! [String: Any]
        let key = (document["keys"] as! [[String: Any]]).first { $0["keyid"] as? String == keyID }
        return (key?["key"] as? String).flatMap { Data(base64Encoded: $0) }
    }

    /// The policy npm uses: provenance = any Fulcio certificate (identity checked by NPMTrust), publish = the
    /// registry key named by the bundle's hint. No artifact: the in-toto subjects carry sha512 digests.
    static func policy(for bundle: SigstoreBundle) throws -> VerificationPolicy {
        if case .publicKey(let hint) = bundle.verificationMaterial.signer {
            return VerificationPolicy(artifact: .none, signer: .publicKey(try #require(try registryKey(keyID: hint))))
        }
        return VerificationPolicy(artifact: .none, signer: .anyCertificate)
    }

    /// `integrity` (sha512, hex) of an npm case.
    static func integrityHex(_ name: String) throws -> String {
        let document = try JSONSerialization.jsonObject(with: Fixtures.data("npm/cases/\(name).json")) as! [String: Any]
        let sri = document["integrity"] as! String
        return Hex.encode(Data(base64Encoded: String(sri.dropFirst("sha512-".count)))!)
    }
}

@Suite struct NPMAttestationBundleTests {
    @Test(arguments: NPMAttestationFixtures.files, ["trusted_root.production.json", "trusted_root.public-good.json"])
    func everyBundleVerifies(_ name: String, rootFile: String) throws {
        let root = try TrustedRoot.load(contentsOf: Fixtures.url("sigstore/\(rootFile)"))
        let verifier = BundleVerifier(trustedRoot: root)
        let attestations = try NPMAttestationFixtures.attestations(name)
        #expect(attestations.count == 2)
        for attestation in attestations {
            let bundle = try SigstoreBundle.parse(json: attestation.bundle, source: "\(name).json")
            let result = try verifier.verify(bundle, policy: NPMAttestationFixtures.policy(for: bundle))
            let statement = try #require(result.statement)
            #expect(statement.predicateType == attestation.predicateType)
            #expect(result.payloadType == InTotoStatement.payloadType)
            #expect(result.timestamps.contains { $0.source == .transparencyLog })
            #expect(result.logEntries.allSatisfy { $0.kind == "intoto" && $0.verifiedSET })
            if name != "sigstore@1.0.0" {  // sigstore@1.0.0 has no npm case file
                let integrity = try NPMAttestationFixtures.integrityHex(name)
                #expect(statement.subjects.allSatisfy { $0.digest["sha512"] == integrity }, "\(name): subject digest")
            }
            switch result.signer {
            case .certificate(let signer):
                #expect(attestation.predicateType.hasPrefix("https://slsa.dev/provenance/"))
                #expect(signer.oidcIssuer == "https://token.actions.githubusercontent.com")
                #expect(signer.verifiedSCTCount >= 1)
                #expect(signer.subjectAlternativeNames.first?.hasPrefix("https://github.com/") == true)
            case .publicKey(_, let hint):
                #expect(hint == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA")
            }
        }
    }

    @Test func gundamVisorProvenanceFacts() throws {
        let attestation = try #require(try NPMAttestationFixtures.attestations("gundam-visor@1.0.1")
            .first { $0.predicateType == "https://slsa.dev/provenance/v1" })
        let bundle = try SigstoreBundle.parse(json: attestation.bundle, source: "gundam-visor")
        let result = try BundleVerifier().verify(bundle, policy: .init(artifact: .none, signer: .certificateIdentity(.init(
            subjectAlternativeName: .regularExpression("^https://github.com/ramonpetgrave64/gundam-visor/"),
            oidcIssuer: "https://token.actions.githubusercontent.com",
            extensions: [FulcioExtensions.OID.sourceRepositoryRef: "refs/tags/v1.0.1"]))))
        guard case .certificate(let signer) = result.signer else { Issue.record("expected a certificate signer"); return }
        #expect(signer.extensions.sourceRepositoryURI == "https://github.com/ramonpetgrave64/gundam-visor")
        #expect(signer.extensions.sourceRepositoryDigest?.hasPrefix("5995008213") == true)
        #expect(result.statement?.subjects.map(\.name) == ["pkg:npm/gundam-visor@1.0.1"])
        #expect(result.earliestVerifiedTime == Date(timeIntervalSince1970: 1717453079))
    }

    @Test func identityPolicyMismatchesAreReported() throws {
        let attestation = try #require(try NPMAttestationFixtures.attestations("gundam-visor@1.0.1")
            .first { $0.predicateType == "https://slsa.dev/provenance/v1" })
        let bundle = try SigstoreBundle.parse(json: attestation.bundle, source: "gundam-visor")
        let policies: [VerificationPolicy.CertificateIdentity] = [
            .init(subjectAlternativeName: .exact("https://github.com/someone/else"), oidcIssuer: "https://token.actions.githubusercontent.com"),
            .init(subjectAlternativeName: .regularExpression("gundam-visor"), oidcIssuer: "https://accounts.google.com"),
            .init(subjectAlternativeName: .regularExpression("gundam-visor"), oidcIssuer: "https://token.actions.githubusercontent.com",
                  extensions: [FulcioExtensions.OID.sourceRepositoryRef: "refs/tags/v9.9.9"]),
        ]
        for identity in policies {
            #expect {
                try BundleVerifier().verify(bundle, policy: .init(artifact: .none, signer: .certificateIdentity(identity)))
            } throws: { ($0 as? BundleVerificationError)?.reason == .identityMismatch }
        }
        // A managed key cannot stand in for a certificate signer.
        let key = try #require(try NPMAttestationFixtures.registryKey(keyID: "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"))
        #expect {
            try BundleVerifier().verify(bundle, policy: .init(artifact: .none, signer: .publicKey(key)))
        } throws: { ($0 as? BundleVerificationError)?.reason == .identityMismatch }
    }
}
