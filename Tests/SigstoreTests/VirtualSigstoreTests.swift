import Foundation
import Testing
import TestSupport
@testable import Sigstore

/// Bundles minted by TestSupport's ``VirtualSigstore`` (a test Fulcio CA, CT log and Rekor) go through the real
/// ``BundleVerifier``: a minted bundle verifies, and each tampering fails with its own reason.
@Suite struct VirtualSigstoreTests {
    static let identity = VirtualSigstore.BuildIdentity(repository: "https://github.com/example/minted")

    func mint(untrustedCA: Bool = false) throws -> (VirtualSigstore, Data, BundleVerifier) {
        let sigstore = try VirtualSigstore()
        let payload = VirtualSigstore.provenanceStatement(name: "minted", version: "1.0.0",
                                                          sha512Hex: String(repeating: "ab", count: 64), identity: Self.identity)
        let bundle = try sigstore.provenanceBundle(payload: payload, identity: Self.identity, untrustedCA: untrustedCA)
        let root = try TrustedRoot.parse(sigstore.trustedRootJSON, source: "minted trusted root")
        return (sigstore, bundle, BundleVerifier(trustedRoot: root))
    }

    func reason(_ body: () throws(BundleVerificationError) -> BundleVerificationResult) -> BundleVerificationError.Reason? {
        do { _ = try body() } catch { return error.reason }
        return nil
    }

    @Test func mintedProvenanceBundleVerifies() throws {
        let (sigstore, bundle, verifier) = try mint()
        defer { sigstore.cleanup() }
        let result = try verifier.verify(bundleJSON: bundle, policy: VerificationPolicy(artifact: .none, signer: .anyCertificate))
        #expect(result.bundleVersion == .v0_3)
        #expect(result.logEntries.first?.verifiedSET == true)
        #expect(result.logEntries.first?.verifiedInclusionProof == true)
        #expect(result.timestamps.map(\.time) == [Date(timeIntervalSince1970: TimeInterval(VirtualSigstore.integratedTime))])
        guard case .certificate(let signer) = result.signer else {
            Issue.record("expected a certificate signer")
            return
        }
        #expect(signer.verifiedSCTCount == 1)
        #expect(signer.subjectAlternativeNames == [Self.identity.workflowURI])
        #expect(signer.oidcIssuer == "https://token.actions.githubusercontent.com")
        #expect(signer.extensions.value(forOID: "1.3.6.1.4.1.57264.1.12") == "https://github.com/example/minted")
        #expect(signer.extensions.value(forOID: "1.3.6.1.4.1.57264.1.14") == "refs/tags/v1.0.0")
        #expect(result.statement?.predicateType == VirtualSigstore.slsaProvenanceV1)

        // The identity policy sees the minted Fulcio extensions.
        let identity = VerificationPolicy.CertificateIdentity(
            subjectAlternativeName: .exact(Self.identity.workflowURI), oidcIssuer: Self.identity.issuer,
            extensions: ["1.3.6.1.4.1.57264.1.12": "https://github.com/example/other"])
        #expect(reason { () throws(BundleVerificationError) in
            try verifier.verify(bundleJSON: bundle, policy: VerificationPolicy(artifact: .none, signer: .certificateIdentity(identity)))
        } == .identityMismatch)
    }

    @Test func mintedPublishAttestationVerifiesWithTheRegistryKey() throws {
        let sigstore = try VirtualSigstore()
        defer { sigstore.cleanup() }
        let payload = VirtualSigstore.publishStatement(name: "minted", version: "1.0.0", sha512Hex: String(repeating: "cd", count: 64))
        let bundle = try sigstore.publishAttestationBundle(payload: payload)
        let verifier = BundleVerifier(trustedRoot: try TrustedRoot.parse(sigstore.trustedRootJSON))
        let result = try verifier.verify(bundleJSON: bundle, policy: VerificationPolicy(
            artifact: .none, signer: .publicKey(sigstore.registryKey.key.spki)))
        #expect(result.bundleVersion == .v0_2)
        #expect(result.payload == payload)
        // Another key does not verify it.
        #expect(reason { () throws(BundleVerificationError) in
            try verifier.verify(bundleJSON: bundle, policy: VerificationPolicy(artifact: .none, signer: .publicKey(sigstore.rekorKey.spki)))
        } == .signatureMismatch)
    }

    /// Why `verifier` rejects `bundle` signed by any certificate (nil when it verifies).
    func failure(of bundle: Data, with verifier: BundleVerifier) -> BundleVerificationError.Reason? {
        reason { () throws(BundleVerificationError) in
            try verifier.verify(bundleJSON: bundle, policy: VerificationPolicy(artifact: .none, signer: .anyCertificate))
        }
    }

    /// `bundle` with its DSSE envelope changed by `edit`.
    func editingEnvelope(_ bundle: Data, _ edit: (inout [String: Any]) throws -> Void) throws -> Data {
        var json = try #require(try JSONSerialization.jsonObject(with: bundle) as? [String: Any])
        var envelope = try #require(json["dsseEnvelope"] as? [String: Any])
        try edit(&envelope)
        json["dsseEnvelope"] = envelope
        return try JSONSerialization.data(withJSONObject: json)
    }

    @Test func tamperedSignatureFails() throws {
        let (sigstore, bundle, verifier) = try mint()
        defer { sigstore.cleanup() }
        let tampered = try editingEnvelope(bundle) { envelope in
            var signatures = try #require(envelope["signatures"] as? [[String: Any]])
            let encoded = try #require(signatures[0]["sig"] as? String)
            var sig = [UInt8](try #require(Data(base64Encoded: encoded)))
            sig[sig.count - 3] ^= 0x01
            signatures[0]["sig"] = Data(sig).base64EncodedString()
            envelope["signatures"] = signatures
        }
        #expect(failure(of: tampered, with: verifier) == .signatureMismatch)
    }

    @Test func tamperedPayloadFails() throws {
        let (sigstore, bundle, verifier) = try mint()
        defer { sigstore.cleanup() }
        let other = VirtualSigstore.provenanceStatement(name: "minted", version: "1.0.0",
                                                        sha512Hex: String(repeating: "ef", count: 64), identity: Self.identity)
        let tampered = try editingEnvelope(bundle) { $0["payload"] = other.base64EncodedString() }
        #expect(failure(of: tampered, with: verifier) == .signatureMismatch)
    }

    @Test func certificateFromAnUntrustedCAFails() throws {
        let (sigstore, bundle, verifier) = try mint(untrustedCA: true)
        defer { sigstore.cleanup() }
        #expect(failure(of: bundle, with: verifier) == .certificateChain)
    }

    @Test func theProductionRootDoesNotTrustMintedBundles() throws {
        let (sigstore, bundle, _) = try mint()
        defer { sigstore.cleanup() }
        #expect(failure(of: bundle, with: BundleVerifier()) == .untrustedLog)
    }

    /// npm's client (`@sigstore/bundle`, sigstore-js) knows only `…+json;version=0.2` for v0.2 — the spelling every
    /// real npm v0.2 bundle in Fixtures/npm/attestations uses; the `.v0.N+json` form exists from v0.3 on. So
    /// provcheck, like npm, rejects `application/vnd.dev.sigstore.bundle.v0.2+json`.
    @Test func v02MediaTypeSpellings() {
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2") == .v0_2)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle.v0.2+json") == nil)
        #expect(SigstoreBundle.Version(mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json") == .v0_3)
    }
}
