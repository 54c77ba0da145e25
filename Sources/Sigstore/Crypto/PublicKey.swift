import COpenSSL
import Digest
import Foundation

/// Owns an `EVP_PKEY*`.
final class EVPKeyBox: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }
}

/// A verification public key (ECDSA P-256/P-384/P-521, Ed25519 or RSA) backed by libcrypto.
///
/// Equality and hashing compare the DER SubjectPublicKeyInfo.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The key family (and curve).
    public enum KeyType: String, Sendable, Codable, Hashable {
        /// ECDSA on NIST P-256 (prime256v1).
        case ecdsaP256 = "ecdsa-p256"
        /// ECDSA on NIST P-384 (secp384r1).
        case ecdsaP384 = "ecdsa-p384"
        /// ECDSA on NIST P-521 (secp521r1).
        case ecdsaP521 = "ecdsa-p521"
        /// Ed25519.
        case ed25519
        /// RSA (rsaEncryption or RSASSA-PSS keys).
        case rsa
    }

    let box: EVPKeyBox
    /// The key's DER SubjectPublicKeyInfo.
    public let subjectPublicKeyInfo: [UInt8]
    /// The key family.
    public let keyType: KeyType
    /// The scheme declared for the key (trusted-root `keyDetails`), or the natural one for its type.
    public let defaultSignatureAlgorithm: SignatureAlgorithm
    /// The raw public key: the SPKI BIT STRING contents (EC point, Ed25519 key, or PKCS#1 RSAPublicKey).
    public let rawPublicKey: [UInt8]

    // MARK: Parsing

    /// Parses a DER SubjectPublicKeyInfo.
    public init(derSubjectPublicKeyInfo der: [UInt8]) throws {
        try self.init(spki: der, declared: nil)
    }

    /// Parses a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block.
    public init(pem: String) throws {
        if let der = try PEM.blocks(in: pem, label: "PUBLIC KEY").first {
            try self.init(derSubjectPublicKeyInfo: der)
        } else if let der = try PEM.blocks(in: pem, label: "RSA PUBLIC KEY").first {
            try self.init(pkcs1RSAPublicKey: der)
        } else {
            throw CryptoError(.malformedInput, "no '-----BEGIN PUBLIC KEY-----' block found in the PEM text")
        }
    }

    /// Parses a DER PKCS#1 `RSAPublicKey`.
    public init(pkcs1RSAPublicKey der: [UInt8]) throws {
        try self.init(spki: Self.wrapPKCS1(der), declared: nil)
    }

    /// Parses a trusted-root / key-file key: `rawBytes` (DER, not base64) with its `keyDetails` string
    /// (e.g. `PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, `PKIX_RSA_PKCS1V15_2048_SHA256`).
    ///
    /// Throws when the details are unknown or do not match the key (curve, family, RSA size).
    public init(rawBytes: [UInt8], keyDetails: String) throws {
        guard let details = PublicKeyDetails(rawValue: keyDetails) else {
            throw CryptoError(.unsupportedAlgorithm, "unsupported keyDetails '\(keyDetails)'")
        }
        try self.init(rawBytes: rawBytes, details: details)
    }

    /// Parses `rawBytes` (DER) according to `details`.
    public init(rawBytes: [UInt8], details: PublicKeyDetails) throws {
        let spki = details.isPKCS1Encoded ? Self.wrapPKCS1(rawBytes) : rawBytes
        try self.init(spki: spki, declared: details.signatureAlgorithm)
        guard keyType == details.keyType else {
            throw CryptoError(.malformedInput, "keyDetails \(details.rawValue) declares a \(details.keyType.rawValue) key but the key is \(keyType.rawValue)")
        }
        if let bits = details.rsaBits, bits != self.bits {
            throw CryptoError(.malformedInput, "keyDetails \(details.rawValue) declares a \(bits)-bit RSA key but the key has \(self.bits) bits")
        }
    }

    private init(spki der: [UInt8], declared: SignatureAlgorithm?) throws {
        // Structure first, so that we know exactly what we accept.
        let keyType: KeyType
        let raw: [UInt8]
        do {
            let top = try DER.parse(der)
            let parts = try top.children()
            guard top.identifier == DERTag.sequence, parts.count == 2, parts[0].identifier == DERTag.sequence else {
                throw DERError("SubjectPublicKeyInfo must be SEQUENCE { AlgorithmIdentifier, BIT STRING }")
            }
            let algorithm = try parts[0].children()
            guard let oidNode = algorithm.first else { throw DERError("empty AlgorithmIdentifier") }
            let oid = try oidNode.objectIdentifier()
            let bits = try parts[1].bitString()
            guard bits.unusedBits == 0 else { throw DERError("public key BIT STRING has unused bits") }
            raw = Array(bits.bytes)
            switch oid {
            case "1.2.840.10045.2.1":
                guard algorithm.count == 2 else { throw DERError("EC key without named curve") }
                switch try algorithm[1].objectIdentifier() {
                case "1.2.840.10045.3.1.7": keyType = .ecdsaP256
                case "1.3.132.0.34": keyType = .ecdsaP384
                case "1.3.132.0.35": keyType = .ecdsaP521
                case let curve: throw CryptoError(.unsupportedAlgorithm, "unsupported elliptic curve \(curve)")
                }
            case "1.3.101.112": keyType = .ed25519
            case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10": keyType = .rsa
            default: throw CryptoError(.unsupportedAlgorithm, "unsupported public key algorithm \(oid)")
            }
        } catch let error as DERError {
            throw CryptoError(.malformedInput, "invalid SubjectPublicKeyInfo: \(error)")
        }
        OpenSSL.clearErrors()
        guard let pkey = OpenSSL.decode(der, { d2i_PUBKEY(nil, $0, $1) }) else {
            throw CryptoError(.malformedInput, "libcrypto rejected the public key: \(OpenSSL.drainErrors())")
        }
        self.box = EVPKeyBox(pkey)
        self.subjectPublicKeyInfo = der
        self.keyType = keyType
        self.rawPublicKey = raw
        self.defaultSignatureAlgorithm = declared ?? Self.naturalAlgorithm(for: keyType)
    }

    private static func naturalAlgorithm(for type: KeyType) -> SignatureAlgorithm {
        switch type {
        case .ecdsaP256: .ecdsa(.sha256)
        case .ecdsaP384: .ecdsa(.sha384)
        case .ecdsaP521: .ecdsa(.sha512)
        case .ed25519: .ed25519
        case .rsa: .rsaPKCS1v15(.sha256)
        }
    }

    /// Wraps a PKCS#1 RSAPublicKey in an rsaEncryption SubjectPublicKeyInfo.
    static func wrapPKCS1(_ der: [UInt8]) -> [UInt8] {
        let algorithm = DER.tlv(DERTag.sequence, DER.encodeOID("1.2.840.113549.1.1.1") + [DERTag.null, 0])
        return DER.tlv(DERTag.sequence, algorithm + DER.tlv(DERTag.bitString, [0] + der))
    }

    // MARK: Properties

    /// The key size in bits (curve size or RSA modulus size).
    public var bits: Int { Int(EVP_PKEY_get_bits(box.pointer)) }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the Rekor / CT log id (`logId.keyId`) form.
    public var keyID: [UInt8] { HashAlgorithm.sha256.hash(subjectPublicKeyInfo) }

    /// The key as a PEM `PUBLIC KEY` block.
    public var pemEncoded: String { PEM.encode(subjectPublicKeyInfo, label: "PUBLIC KEY") }

    /// The OpenSSH wire-format public key blob (`ssh-keygen -e -m RFC4716` body).
    public var opensshWireFormat: [UInt8] {
        func string(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + bytes
        }
        switch keyType {
        case .ecdsaP256: return string(Array("ecdsa-sha2-nistp256".utf8)) + string(Array("nistp256".utf8)) + string(rawPublicKey)
        case .ecdsaP384: return string(Array("ecdsa-sha2-nistp384".utf8)) + string(Array("nistp384".utf8)) + string(rawPublicKey)
        case .ecdsaP521: return string(Array("ecdsa-sha2-nistp521".utf8)) + string(Array("nistp521".utf8)) + string(rawPublicKey)
        case .ed25519: return string(Array("ssh-ed25519".utf8)) + string(rawPublicKey)
        case .rsa:
            // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }; DER INTEGER contents are mpints.
            guard let parts = try? DER.parse(rawPublicKey).children(), parts.count == 2 else { return [] }
            return string(Array("ssh-rsa".utf8)) + string(Array(parts[1].content)) + string(Array(parts[0].content))
        }
    }

    /// The OpenSSH SHA-256 fingerprint, `"SHA256:" + unpadded base64(SHA-256(wire format))`.
    /// This is how the npm registry names its keys (`keyid`).
    public var opensshFingerprint: String {
        let b64 = Data(HashAlgorithm.sha256.hash(opensshWireFormat)).base64EncodedString()
        return "SHA256:" + b64.replacingOccurrences(of: "=", with: "")
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.subjectPublicKeyInfo == rhs.subjectPublicKeyInfo }
    public func hash(into hasher: inout Hasher) { hasher.combine(subjectPublicKeyInfo) }
    public var description: String { "PublicKey(\(keyType.rawValue), \(bits) bits)" }

    // MARK: Verification

    /// Whether `algorithm` can be used with this key at all.
    public func supports(_ algorithm: SignatureAlgorithm) -> Bool {
        switch (algorithm, keyType) {
        case (.ecdsa, .ecdsaP256), (.ecdsa, .ecdsaP384), (.ecdsa, .ecdsaP521): true
        case (.ed25519, .ed25519): true
        case (.rsaPKCS1v15, .rsa), (.rsaPSS, .rsa): true
        default: false
        }
    }

    /// Verifies `signature` over `message` (the message is hashed by the scheme; Ed25519 signs it directly).
    /// Returns false for a bad signature, a malformed signature, or an algorithm that does not fit the key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard supports(algorithm), !signature.isEmpty else { return false }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        let md: OpaquePointer? = algorithm.hash?.evpMD
        guard EVP_DigestVerifyInit(ctx, &pctx, md, nil, box.pointer) == 1, let pctx else {
            OpenSSL.clearErrors()
            return false
        }
        guard configurePadding(pctx, algorithm) else { return false }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress ?? UnsafePointer(bitPattern: 1), msg.count)
            }
        }
        OpenSSL.clearErrors()
        return result == 1
    }

    /// Verifies `signature` over a precomputed `digest` of the message made with `hash`
    /// (hashedrekord "by digest"). Ed25519 cannot verify a digest and returns false.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        guard supports(algorithm), let hash = algorithm.hash, digest.count == hash.digestLength, !signature.isEmpty else {
            return false
        }
        guard let pctx = EVP_PKEY_CTX_new(box.pointer, nil) else { return false }
        defer { EVP_PKEY_CTX_free(pctx) }
        guard EVP_PKEY_verify_init(pctx) == 1, EVP_PKEY_CTX_set_signature_md(pctx, hash.evpMD) == 1,
            configurePadding(pctx, algorithm)
        else {
            OpenSSL.clearErrors()
            return false
        }
        let result = signature.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { dig in
                EVP_PKEY_verify(pctx, sig.baseAddress, sig.count, dig.baseAddress, dig.count)
            }
        }
        OpenSSL.clearErrors()
        return result == 1
    }

    /// Verifies with ``defaultSignatureAlgorithm``.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        isValidSignature(signature, for: message, algorithm: defaultSignatureAlgorithm)
    }

    private func configurePadding(_ pctx: OpaquePointer, _ algorithm: SignatureAlgorithm) -> Bool {
        switch algorithm {
        case .rsaPKCS1v15:
            return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1
        case .rsaPSS(let hash):
            return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, hash.evpMD) == 1
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1
        default:
            return true
        }
    }
}
