import Foundation
import COpenSSL

// TEMPORARY: stand-ins until the Digest and Sigstore modules land; replaced by their APIs before merge.
enum CryptoPrimitives {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, EVP_sha256(), nil)
        }
        return out
    }

    /// ECDSA P-256 / SHA-256 verification of a DER signature with a DER SPKI key.
    static func verifyECDSA(spki: Data, signature: Data, message: [UInt8]) -> Bool {
        let keyBytes = [UInt8](spki)
        let key: OpaquePointer? = keyBytes.withUnsafeBufferPointer { buffer in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &pointer, buffer.count)
        }
        guard let key else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let sig = [UInt8](signature)
        let result = message.withUnsafeBufferPointer { msg in
            sig.withUnsafeBufferPointer { s in
                EVP_DigestVerify(context, s.baseAddress, s.count, msg.baseAddress, msg.count)
            }
        }
        return result == 1
    }
}
