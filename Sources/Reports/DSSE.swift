import Configuration
import COpenSSL
import Digest
import Foundation
import JSON
import Sigstore
import Verification

/// An error while signing or verifying a DSSE envelope, naming the key input.
public struct DSSEError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    /// Makes an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension DSSEEnvelope {
    /// The payload media type for in-toto statements.
    public static let inTotoPayloadType = Sigstore.InTotoStatement.payloadType

    /// Signs `payload` with an EC private key in PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`), ECDSA with
    /// SHA-256 over the PAE (the `Sigstore` module's envelope model and PAE: one DSSE in provcheck). `keySource`
    /// names the key in errors (e.g. the file path).
    public static func sign(
        payload: Data, payloadType: String = inTotoPayloadType, privateKeyPEM: Data, keySource: String
    ) throws -> DSSEEnvelope {
        let key = try ECKey(privateKeyPEM: privateKeyPEM, source: keySource)
        let pae = preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        let signature = try key.sign(pae)
        return DSSEEnvelope(payload: payload, payloadType: payloadType,
                            signatures: [Signature(sig: signature, keyid: key.keyID)])
    }

    /// The envelope's JSON document (`payloadType`, `payload` and each signature's `sig` in standard base64,
    /// `keyid` when present), written with provcheck's JSON writer.
    public var jsonDocument: Data {
        RawJSON.object([
            "payloadType": .string(payloadType), "payload": .string(payload.base64EncodedString()),
            "signatures": .array(signatures.map { signature in
                var members: [String: RawJSON] = ["sig": .string(signature.sig.base64EncodedString())]
                if let keyid = signature.keyid { members["keyid"] = .string(keyid) }
                return .object(members)
            }),
        ]).encoded()
    }

    /// Verifies every signature with a public key in PEM (`PUBLIC KEY`); returns whether all verify.
    public func verify(publicKeyPEM: Data) throws -> Bool {
        let key = try ECKey(publicKeyPEM: publicKeyPEM)
        guard !signatures.isEmpty else { return false }
        return signatures.allSatisfy { key.verify($0.sig, over: preAuthenticationEncoding) }
    }
}

/// An OpenSSL EVP_PKEY holding an EC key.
final class ECKey: @unchecked Sendable {
    private let pkey: OpaquePointer

    init(privateKeyPEM: Data, source: String) throws {
        let bio = privateKeyPEM.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw DSSEError("\(source): cannot read the key (out of memory)") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw DSSEError("\(source): not a PEM private key (expected -----BEGIN PRIVATE KEY----- "
                + "or -----BEGIN EC PRIVATE KEY-----, unencrypted)")
        }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_EC else {
            EVP_PKEY_free(key)
            throw DSSEError("\(source): the private key is not an EC key (ECDSA P-256/P-384 expected)")
        }
        pkey = key
    }

    init(publicKeyPEM: Data) throws {
        let bio = publicKeyPEM.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw DSSEError("cannot read the public key (out of memory)") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
            throw DSSEError("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)")
        }
        pkey = key
    }

    deinit { EVP_PKEY_free(pkey) }

    /// The DER SubjectPublicKeyInfo.
    var subjectPublicKeyInfoDER: Data {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pkey, &out)
        guard length > 0, let out else { return Data() }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Data(bytes: out, count: Int(length))
    }

    /// sha256 hex of the DER SubjectPublicKeyInfo.
    var keyID: String { SHA256Hex.of(subjectPublicKeyInfoDER) }

    /// The public key as PEM.
    var publicKeyPEM: Data {
        guard let bio = BIO_new(BIO_s_mem()) else { return Data() }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, pkey) == 1 else { return Data() }
        var pointer: UnsafeMutablePointer<CChar>? = nil
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard length > 0, let pointer else { return Data() }
        return Data(bytes: pointer, count: length)
    }

    func sign(_ message: Data) throws -> Data {
        guard let ctx = EVP_MD_CTX_new() else { throw DSSEError("OpenSSL: cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else {
            throw DSSEError("OpenSSL: cannot initialise ECDSA-SHA256 signing with this key")
        }
        var length = 0
        let sized = message.withUnsafeBytes { EVP_DigestSign(ctx, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else { throw DSSEError("OpenSSL: signing failed") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBytes { EVP_DigestSign(ctx, &signature, &length, $0.baseAddress, $0.count) }
        guard signed == 1 else { throw DSSEError("OpenSSL: signing failed") }
        return Data(signature.prefix(length))
    }

    func verify(_ signature: Data, over message: Data) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        let result = signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { msg in
                EVP_DigestVerify(ctx, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                                 msg.bindMemory(to: UInt8.self).baseAddress, msg.count)
            }
        }
        return result == 1
    }
}
