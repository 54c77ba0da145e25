/// A cryptographic hash algorithm used by npm integrity strings and shasums.
///
/// Cases are declared in strength order (weakest first), so ``HashAlgorithm/allCases`` is sorted by strength and
/// ``HashAlgorithm/strength`` follows that order. The raw value is the lowercase name used in Subresource Integrity
/// (SRI) strings, e.g. `sha512`.
public enum HashAlgorithm: String, Codable, Sendable, CaseIterable, Hashable, Comparable {
    /// SHA-1 (160 bits). Only used by npm's legacy `dist.shasum`; weak, but still checked when present.
    case sha1
    /// SHA-256 (256 bits).
    case sha256
    /// SHA-384 (384 bits).
    case sha384
    /// SHA-512 (512 bits). What npm writes into `dist.integrity`.
    case sha512

    /// The rank of the algorithm; a larger value is stronger.
    public var strength: Int {
        switch self {
        case .sha1: return 1
        case .sha256: return 2
        case .sha384: return 3
        case .sha512: return 4
        }
    }

    /// The digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    /// The OpenSSL 3 algorithm name given to `EVP_MD_fetch`.
    var openSSLName: String {
        switch self {
        case .sha1: return "SHA1"
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        case .sha512: return "SHA512"
        }
    }

    /// Orders algorithms by ``strength``.
    public static func < (lhs: HashAlgorithm, rhs: HashAlgorithm) -> Bool {
        lhs.strength < rhs.strength
    }
}

extension HashAlgorithm {
    /// The digest of `bytes` in one shot (OpenSSL, as ``MultiHasher``).
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        let hasher = MultiHasher([self])
        hasher.update(bytes)
        return hasher.finalize()[self] ?? []
    }
}
