import Foundation
import JSON

/// What a log entry body must describe: the bundle's signature, signed digest and signer.
struct SignedContentFacts {
    /// The signature bytes (message signature or the single DSSE signature).
    let signature: Data
    /// For message signatures: SHA-256 of the artifact (nil if only a non-SHA-256 path exists).
    let artifactSHA256: Data?
    /// For DSSE: the envelope.
    let envelope: DSSEEnvelope?
    /// DER leaf certificate, if the signer is a certificate.
    let leafCertificate: Data?
    /// DER SPKI of the managed key, if the signer is a key.
    let publicKeySPKI: Data?
}

/// Compares a Rekor entry's canonicalized body with the bundle (`intoto` 0.0.2, `dsse` 0.0.1,
/// `hashedrekord` 0.0.1, and Rekor v2 `hashedrekord`/`dsse` 0.0.2).
enum RekorBodyComparison {
    static func check(entry: TransparencyLogEntry, facts: SignedContentFacts) throws(BundleVerificationError) {
        let label = "tlog entry \(entry.logIndex) (\(entry.kind) \(entry.kindVersion))"
        func mismatch(_ what: String) -> BundleVerificationError {
            BundleVerificationError(.bodyMismatch, "\(label): \(what)")
        }
        guard let body = try? RawJSON(parsing: entry.canonicalizedBody), body.objectValue != nil else {
            throw mismatch("the canonicalized body is not a JSON object")
        }
        guard body["kind"]?.stringValue == entry.kind, body["apiVersion"]?.stringValue == entry.kindVersion else {
            throw mismatch("body kind/apiVersion \(body["kind"]?.stringValue ?? "nil")/\(body["apiVersion"]?.stringValue ?? "nil") differ from kindVersion")
        }
        guard let spec = body["spec"], spec.objectValue != nil else { throw mismatch("the body has no spec") }
        switch (entry.kind, entry.kindVersion) {
        case ("hashedrekord", "0.0.1"):
            guard facts.envelope == nil else { throw mismatch("a hashedrekord 0.0.1 entry cannot log a DSSE envelope") }
            let signature = spec["signature"]
            guard let content = signature?["content"]?.stringValue, Base64.decode(content) == facts.signature else {
                throw mismatch("spec.signature.content differs from the bundle signature")
            }
            let hash = spec["data"]?["hash"]
            guard let algorithm = hash?["algorithm"]?.stringValue, algorithm == "sha256",
                  let value = hash?["value"]?.stringValue, let digest = Hex.decode(value) else {
                throw mismatch("spec.data.hash is missing or not sha256")
            }
            guard let artifact = facts.artifactSHA256, digest == artifact else {
                throw BundleVerificationError(.artifactMismatch, "\(label): the logged artifact digest \(value) is not the artifact's SHA-256")
            }
            let keyContent = signature?["publicKey"]?["content"]?.stringValue.flatMap(Base64.decode)
            try checkVerifier(pem: keyContent, facts: facts, mismatch: mismatch)
        case ("intoto", "0.0.2"):
            guard let envelope = facts.envelope else { throw mismatch("an intoto entry cannot log a message signature") }
            let content = spec["content"]
            let logged = content?["envelope"]
            guard let signatures = logged?["signatures"]?.arrayValue, signatures.count == 1 else {
                throw mismatch("spec.content.envelope.signatures must hold exactly one signature")
            }
            guard let outer = signatures[0]["sig"]?.stringValue, let inner = Base64.decode(outer),
                  let innerText = String(data: inner, encoding: .utf8), Base64.decode(innerText) == facts.signature else {
                throw mismatch("the logged DSSE signature differs from the bundle's")
            }
            try checkPayloadHash(content?["payloadHash"], envelope: envelope, mismatch: mismatch)
            if let key = signatures[0]["publicKey"]?.stringValue.flatMap(Base64.decode) {
                try checkVerifier(pem: key, facts: facts, mismatch: mismatch)
            }
        case ("dsse", "0.0.1"):
            guard let envelope = facts.envelope else { throw mismatch("a dsse entry cannot log a message signature") }
            guard let signatures = spec["signatures"]?.arrayValue, signatures.count == 1 else {
                throw mismatch("spec.signatures must hold exactly one signature")
            }
            guard let sig = signatures[0]["signature"]?.stringValue.flatMap(Base64.decode), sig == facts.signature else {
                throw mismatch("spec.signatures[0].signature differs from the bundle's DSSE signature")
            }
            try checkPayloadHash(spec["payloadHash"], envelope: envelope, mismatch: mismatch)
            if let key = signatures[0]["verifier"]?.stringValue.flatMap(Base64.decode) {
                try checkVerifier(pem: key, facts: facts, mismatch: mismatch)
            }
        case ("hashedrekord", "0.0.2"):
            let record = spec["hashedRekordV002"]
            let data = record?["data"]
            guard data?["algorithm"]?.stringValue == "SHA2_256",
                  let digest = data?["digest"]?.stringValue.flatMap(Base64.decode) else {
                throw mismatch("spec.hashedRekordV002.data is missing or not SHA2_256")
            }
            if let envelope = facts.envelope {
                guard digest == SHA2.sha256(envelope.preAuthenticationEncoding) else {
                    throw mismatch("the logged digest is not SHA-256 of the DSSE PAE")
                }
            } else {
                guard let artifact = facts.artifactSHA256, digest == artifact else {
                    throw BundleVerificationError(.artifactMismatch, "\(label): the logged digest is not the artifact's SHA-256")
                }
            }
            let signature = record?["signature"]
            guard let content = signature?["content"]?.stringValue.flatMap(Base64.decode), content == facts.signature else {
                throw mismatch("spec.hashedRekordV002.signature.content differs from the bundle signature")
            }
            try checkV2Verifier(signature?["verifier"], facts: facts, mismatch: mismatch)
        case ("dsse", "0.0.2"):
            guard let envelope = facts.envelope else { throw mismatch("a dsse entry cannot log a message signature") }
            let record = spec["dsseV002"]
            let payloadHash = record?["payloadHash"]
            guard payloadHash?["algorithm"]?.stringValue == "SHA2_256",
                  payloadHash?["digest"]?.stringValue.flatMap(Base64.decode) == SHA2.sha256(envelope.payload) else {
                throw mismatch("spec.dsseV002.payloadHash is not SHA-256 of the payload")
            }
            guard let signatures = record?["signatures"]?.arrayValue, signatures.count == 1,
                  signatures[0]["content"]?.stringValue.flatMap(Base64.decode) == facts.signature else {
                throw mismatch("spec.dsseV002.signatures does not hold exactly the bundle's signature")
            }
            try checkV2Verifier(signatures[0]["verifier"], facts: facts, mismatch: mismatch)
        default:
            throw BundleVerificationError(.unsupported, "\(label): unsupported log entry kind/version")
        }
    }

    private static func checkPayloadHash(_ hash: RawJSON?, envelope: DSSEEnvelope,
                                         mismatch: (String) -> BundleVerificationError) throws(BundleVerificationError) {
        guard hash?["algorithm"]?.stringValue == "sha256", let value = hash?["value"]?.stringValue,
              Hex.decode(value) == SHA2.sha256(envelope.payload) else {
            throw mismatch("the logged payload hash is not SHA-256 of the DSSE payload")
        }
    }

    /// Compares a logged PEM certificate or public key with the bundle's signer.
    private static func checkVerifier(pem: Data?, facts: SignedContentFacts,
                                      mismatch: (String) -> BundleVerificationError) throws(BundleVerificationError) {
        guard let pem, let text = String(data: pem, encoding: .utf8) else { throw mismatch("the logged verifier key is missing") }
        let der = Data(base64Encoded: text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())
        if text.contains("CERTIFICATE") {
            guard let leaf = facts.leafCertificate, der == leaf else {
                throw mismatch("the logged certificate is not the bundle's signing certificate")
            }
        } else {
            guard let spki = facts.publicKeySPKI, let der, normalizedSPKI(der) == spki else {
                throw mismatch("the logged public key is not the bundle's signing key")
            }
        }
    }

    /// The SPKI of a DER public key as ``PublicKey`` stores it, or nil.
    private static func normalizedSPKI(_ der: Data) -> Data? {
        (try? PublicKey(derSubjectPublicKeyInfo: [UInt8](der))).map { Data($0.subjectPublicKeyInfo) }
    }

    private static func checkV2Verifier(_ verifier: RawJSON?, facts: SignedContentFacts,
                                        mismatch: (String) -> BundleVerificationError) throws(BundleVerificationError) {
        if let cert = verifier?["x509Certificate"]?["rawBytes"]?.stringValue {
            guard let leaf = facts.leafCertificate, Base64.decode(cert) == leaf else {
                throw mismatch("the logged certificate is not the bundle's signing certificate")
            }
        } else if let key = verifier?["publicKey"]?["rawBytes"]?.stringValue {
            guard let spki = facts.publicKeySPKI, let der = Base64.decode(key), normalizedSPKI(der) == spki else {
                throw mismatch("the logged public key is not the bundle's signing key")
            }
        } else {
            throw mismatch("the logged verifier has neither a certificate nor a public key")
        }
    }
}
