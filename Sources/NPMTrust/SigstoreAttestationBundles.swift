import Foundation
import Sigstore

/// Attestation bundle verification on top of ``Sigstore/BundleVerifier``: the publish attestation with the
/// registry key, provenance with any Fulcio certificate that chains to the trusted root (npm pins no identity;
/// the caller reads the identity from the facts and applies its own policy).
struct SigstoreAttestationBundles: AttestationBundleVerifying {
    let verifier: BundleVerifier

    /// The Fulcio extension holding the job's deployment environment (not yet a named ``FulcioExtensions`` field).
    static let deploymentEnvironmentOID = "1.3.6.1.4.1.57264.1.23"

    func outline(of bundle: Data) throws -> BundleOutline {
        let parsed = try SigstoreBundle.parse(bundle, source: "attestation bundle")
        var envelopeKeyid: String?
        if case .dsseEnvelope(let envelope) = parsed.content {
            envelopeKeyid = envelope.signatures.first?.keyid
        }
        switch parsed.verificationMaterial.signer {
        case .publicKey(let hint):
            return BundleOutline(publicKeyHint: hint, envelopeKeyid: envelopeKeyid, hasCertificate: false)
        case .certificate, .x509CertificateChain:
            return BundleOutline(publicKeyHint: nil, envelopeKeyid: envelopeKeyid, hasCertificate: true)
        }
    }

    func verify(bundle: Data, signedBy key: TrustedRegistryKey) throws -> VerifiedBundle {
        let policy = VerificationPolicy(artifact: .none, signer: .publicKey(key.subjectPublicKeyInfo))
        return try content(of: verifier.verify(bundleJSON: bundle, source: "publish attestation bundle", policy: policy))
    }

    func verifyCertificateSigned(bundle: Data) throws -> VerifiedBundle {
        let policy = VerificationPolicy(artifact: .none, signer: .anyCertificate)
        return try content(of: verifier.verify(bundleJSON: bundle, source: "provenance bundle", policy: policy))
    }

    private func content(of result: BundleVerificationResult) throws -> VerifiedBundle {
        guard let payload = result.payload, let payloadType = result.payloadType else {
            throw BundleVerificationError(.malformedInput, "the bundle is a message signature, not a DSSE attestation")
        }
        var certificate: SigningCertificateFacts?
        if case .certificate(let signer) = result.signer {
            var extensions: [Int: String] = [:]
            for arc in 1...22 {
                if let value = signer.extensions.value(forOID: "\(FulcioExtensions.arc).\(arc)") { extensions[arc] = value }
            }
            if let leaf = try? Certificate(derEncoded: [UInt8](signer.certificateDER)),
               let environment = leaf.extension(oid: Self.deploymentEnvironmentOID).flatMap({ Self.utf8String($0.value) }) {
                extensions[23] = environment
            }
            certificate = SigningCertificateFacts(subjectAlternativeName: signer.subjectAlternativeNames.first,
                                                  issuer: signer.oidcIssuer, extensions: extensions)
        }
        return VerifiedBundle(payload: payload, payloadType: payloadType, verifiedTimes: result.timestamps.map(\.time),
                              certificate: certificate)
    }

    /// The text of a DER UTF8String (tag 0x0C, definite length).
    static func utf8String<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        let der = Array(bytes)
        guard der.count >= 2, der[0] == 0x0C else { return nil }
        var length = Int(der[1])
        var offset = 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count > 0, count <= 2, der.count >= 2 + count else { return nil }
            length = der[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
            offset = 2 + count
        }
        guard der.count == offset + length else { return nil }
        return String(bytes: der[offset...], encoding: .utf8)
    }
}

extension RegistryTrustVerifier {
    /// Creates a verifier that checks attestation bundles against `trustedRoot` (default: the production
    /// Sigstore trusted root built into the tool) with sigstore-js's default thresholds.
    public init(trustedRoot: TrustedRoot = .production) {
        self.init(bundles: SigstoreAttestationBundles(verifier: BundleVerifier(trustedRoot: trustedRoot)))
    }

    /// Creates a verifier with the Sigstore `trusted_root.json` at `url` (`--trusted-root`).
    ///
    /// - Throws: ``Sigstore/SigstoreFormatError`` naming the file when it cannot be read or parsed.
    public init(trustedRootContentsOf url: URL) throws {
        self.init(trustedRoot: try TrustedRoot.load(contentsOf: url))
    }
}
