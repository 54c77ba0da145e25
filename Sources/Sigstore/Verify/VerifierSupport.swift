import Digest
import Foundation

// Small helpers the bundle verifier uses over the Crypto/X509 types.

/// SHA-256 over `Data`.
enum SHA2 {
    static func sha256(_ data: Data) -> Data { Data(HashAlgorithm.sha256.hash([UInt8](data))) }
}

extension PublicKey {
    /// A key from a key file: PEM `PUBLIC KEY` / `RSA PUBLIC KEY`, or DER SubjectPublicKeyInfo.
    static func fromKeyFile(_ data: Data) -> PublicKey? {
        if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN") {
            return try? PublicKey(pem: text)
        }
        return try? PublicKey(derSubjectPublicKeyInfo: [UInt8](data))
    }
}

extension Certificate {
    /// Parses DER bytes, or nil.
    static func parse(_ der: Data) -> Certificate? { try? Certificate(derEncoded: [UInt8](der)) }

    /// Self-issued and verifying under its own key.
    var isSelfSigned: Bool { isSelfIssued && isSigned(by: self) }
}
