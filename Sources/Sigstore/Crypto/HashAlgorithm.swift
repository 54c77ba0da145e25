import COpenSSL
import Digest

// Sigstore hashes with the `Digest` module's ``Digest/HashAlgorithm`` (one hash-algorithm type and one SHA-2
// implementation, OpenSSL's, in provcheck); this file only adds the OpenSSL digest handle signatures need.
extension HashAlgorithm {
    /// The OpenSSL message digest for signature verification (`EVP_PKEY_CTX_set_signature_md`, MGF1).
    var evpMD: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }
}
