import Digest
/// A signature scheme: the algorithm family plus the hash it signs with.
public enum SignatureAlgorithm: Sendable, Hashable, Codable, CustomStringConvertible {
    /// ECDSA with a DER-encoded (r, s) signature over the hash of the message.
    case ecdsa(HashAlgorithm)
    /// Pure Ed25519 (RFC 8032) over the message itself.
    case ed25519
    /// RSASSA-PKCS1-v1_5.
    case rsaPKCS1v15(HashAlgorithm)
    /// RSASSA-PSS with MGF1 using the same hash; the salt length is recovered from the signature.
    case rsaPSS(HashAlgorithm)

    /// The hash the scheme uses, or nil for pure Ed25519.
    public var hash: HashAlgorithm? {
        switch self {
        case .ecdsa(let h), .rsaPKCS1v15(let h), .rsaPSS(let h): h
        case .ed25519: nil
        }
    }

    public var description: String {
        switch self {
        case .ecdsa(let h): "ECDSA-\(h)"
        case .ed25519: "Ed25519"
        case .rsaPKCS1v15(let h): "RSA-PKCS1v1.5-\(h)"
        case .rsaPSS(let h): "RSA-PSS-\(h)"
        }
    }
}

/// The `keyDetails` values of Sigstore's `PublicKeyDetails` (protobuf-specs) that this library supports.
public enum PublicKeyDetails: String, Sendable, Codable, Hashable, CaseIterable {
    /// ECDSA P-256 with SHA-256, key as DER SubjectPublicKeyInfo.
    case pkixECDSAP256SHA256 = "PKIX_ECDSA_P256_SHA_256"
    /// ECDSA P-384 with SHA-384, key as DER SubjectPublicKeyInfo.
    case pkixECDSAP384SHA384 = "PKIX_ECDSA_P384_SHA_384"
    /// ECDSA P-521 with SHA-512, key as DER SubjectPublicKeyInfo.
    case pkixECDSAP521SHA512 = "PKIX_ECDSA_P521_SHA_512"
    /// Ed25519, key as DER SubjectPublicKeyInfo.
    case pkixEd25519 = "PKIX_ED25519"
    /// RSA PKCS#1 v1.5 with SHA-256, key as DER PKCS#1 RSAPublicKey (deprecated form).
    case pkcs1RSAPKCS1v5 = "PKCS1_RSA_PKCS1V5"
    /// RSA PSS with SHA-256, key as DER PKCS#1 RSAPublicKey (deprecated form).
    case pkcs1RSAPSS = "PKCS1_RSA_PSS"
    /// RSA PKCS#1 v1.5 with SHA-256, key as DER SubjectPublicKeyInfo (deprecated form).
    case pkixRSAPKCS1v5 = "PKIX_RSA_PKCS1V5"
    /// RSA PSS with SHA-256, key as DER SubjectPublicKeyInfo (deprecated form).
    case pkixRSAPSS = "PKIX_RSA_PSS"
    /// RSA-2048 PKCS#1 v1.5 with SHA-256.
    case pkixRSAPKCS1v15_2048SHA256 = "PKIX_RSA_PKCS1V15_2048_SHA256"
    /// RSA-3072 PKCS#1 v1.5 with SHA-256.
    case pkixRSAPKCS1v15_3072SHA256 = "PKIX_RSA_PKCS1V15_3072_SHA256"
    /// RSA-4096 PKCS#1 v1.5 with SHA-256.
    case pkixRSAPKCS1v15_4096SHA256 = "PKIX_RSA_PKCS1V15_4096_SHA256"
    /// RSA-2048 PSS with SHA-256.
    case pkixRSAPSS2048SHA256 = "PKIX_RSA_PSS_2048_SHA256"
    /// RSA-3072 PSS with SHA-256.
    case pkixRSAPSS3072SHA256 = "PKIX_RSA_PSS_3072_SHA256"
    /// RSA-4096 PSS with SHA-256.
    case pkixRSAPSS4096SHA256 = "PKIX_RSA_PSS_4096_SHA256"

    /// The signature scheme the key is used with.
    public var signatureAlgorithm: SignatureAlgorithm {
        switch self {
        case .pkixECDSAP256SHA256: .ecdsa(.sha256)
        case .pkixECDSAP384SHA384: .ecdsa(.sha384)
        case .pkixECDSAP521SHA512: .ecdsa(.sha512)
        case .pkixEd25519: .ed25519
        case .pkcs1RSAPKCS1v5, .pkixRSAPKCS1v5, .pkixRSAPKCS1v15_2048SHA256, .pkixRSAPKCS1v15_3072SHA256,
            .pkixRSAPKCS1v15_4096SHA256:
            .rsaPKCS1v15(.sha256)
        case .pkcs1RSAPSS, .pkixRSAPSS, .pkixRSAPSS2048SHA256, .pkixRSAPSS3072SHA256, .pkixRSAPSS4096SHA256:
            .rsaPSS(.sha256)
        }
    }

    /// Whether `rawBytes` is a PKCS#1 RSAPublicKey rather than a SubjectPublicKeyInfo.
    var isPKCS1Encoded: Bool { self == .pkcs1RSAPKCS1v5 || self == .pkcs1RSAPSS }

    /// The key type the details require.
    var keyType: PublicKey.KeyType {
        switch self {
        case .pkixECDSAP256SHA256: .ecdsaP256
        case .pkixECDSAP384SHA384: .ecdsaP384
        case .pkixECDSAP521SHA512: .ecdsaP521
        case .pkixEd25519: .ed25519
        default: .rsa
        }
    }

    /// The RSA modulus size the details require, if any.
    var rsaBits: Int? {
        switch self {
        case .pkixRSAPKCS1v15_2048SHA256, .pkixRSAPSS2048SHA256: 2048
        case .pkixRSAPKCS1v15_3072SHA256, .pkixRSAPSS3072SHA256: 3072
        case .pkixRSAPKCS1v15_4096SHA256, .pkixRSAPSS4096SHA256: 4096
        default: nil
        }
    }
}
