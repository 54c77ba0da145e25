import COpenSSL
import Digest
import Foundation

/// Owns a `TS_RESP*` or a `PKCS7*` token plus its `TS_TST_INFO*`.
final class TimestampTokenBox: @unchecked Sendable {
    let response: OpaquePointer?
    let token: UnsafeMutablePointer<PKCS7>
    let info: OpaquePointer
    private let ownsTokenAndInfo: Bool

    init(response: OpaquePointer) throws {
        self.response = response
        guard let token = TS_RESP_get_token(response), let info = TS_RESP_get_tst_info(response) else {
            TS_RESP_free(response)
            throw TimestampError(.notGranted, "the TimeStampResp carries no token")
        }
        self.token = token
        self.info = info
        ownsTokenAndInfo = false
    }

    init(token: UnsafeMutablePointer<PKCS7>) throws {
        guard let info = PKCS7_to_TS_TST_INFO(token) else {
            PKCS7_free(token)
            throw TimestampError(.malformed, "the token's content is not a TSTInfo: \(OpenSSL.drainErrors())")
        }
        response = nil
        self.token = token
        self.info = info
        ownsTokenAndInfo = true
    }

    deinit {
        if let response { TS_RESP_free(response) }
        if ownsTokenAndInfo {
            PKCS7_free(token)
            TS_TST_INFO_free(info)
        }
    }
}

/// Verifies RFC 3161 timestamps as Sigstore bundles carry them
/// (`verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`).
public enum RFC3161Verifier {
    /// Decodes a DER `TimeStampResp` (status must be granted) or a bare `TimeStampToken` without verifying it.
    public static func parse(token bytes: [UInt8]) throws -> TimestampInfo {
        try info(of: decode(bytes))
    }

    /// Verifies `token` over `signedData` (the bytes that were timestamped: the bundle's signature bytes)
    /// against `authorities`, and returns `genTime`.
    ///
    /// Checks: the response status is granted; the message imprint equals the hash of `signedData` with the
    /// token's algorithm; some authority is valid at genTime (inclusive window); the CMS signature verifies and
    /// the signer certificate (embedded or from the authority's chain) chains to that authority's
    /// certificates with the timeStamping purpose, every certificate valid at genTime.
    public static func verify(token bytes: [UInt8], signedData: [UInt8], authorities: [TimestampAuthority]) throws -> Date {
        let box = try decode(bytes)
        let info = try info(of: box)
        guard let hash = info.hashAlgorithm else {
            throw TimestampError(.unsupportedHash, "unsupported message imprint algorithm \(info.hashAlgorithmOID)")
        }
        guard hash.hash(signedData) == info.messageImprint else {
            throw TimestampError(.imprintMismatch, "the timestamp's message imprint is not the \(hash) of the signed data")
        }
        let current = authorities.filter { $0.isValid(at: info.generationTime) && !$0.certificateChain.isEmpty }
        guard !current.isEmpty else {
            throw TimestampError(.noAuthorityValidAtTime, "no trusted timestamp authority is valid at genTime \(info.generationTime) (\(authorities.count) configured)")
        }
        var reasons: [String] = []
        for authority in current {
            if let reason = verifySignature(box, authority: authority, at: info.generationTime) {
                reasons.append(reason)
            } else {
                return info.generationTime
            }
        }
        throw TimestampError(.untrustedSignature, "the timestamp signature does not verify against any trusted timestamp authority: \(reasons.joined(separator: "; "))")
    }

    // MARK: Internals

    static func decode(_ bytes: [UInt8]) throws -> TimestampTokenBox {
        OpenSSL.clearErrors()
        if let response = OpenSSL.decode(bytes, { d2i_TS_RESP(nil, $0, $1) }) {
            guard let statusInfo = TS_RESP_get_status_info(response), let status = TS_STATUS_INFO_get0_status(statusInfo) else {
                TS_RESP_free(response)
                throw TimestampError(.malformed, "the TimeStampResp has no status")
            }
            let value = ASN1_INTEGER_get(status)
            guard value == 0 || value == 1 else {
                TS_RESP_free(response)
                throw TimestampError(.notGranted, "the TimeStampResp status is \(value), not granted")
            }
            return try TimestampTokenBox(response: response)
        }
        OpenSSL.clearErrors()
        if let token = OpenSSL.decode(bytes, { OpaquePointer(d2i_PKCS7(nil, $0, $1)) }) {
            return try TimestampTokenBox(token: UnsafeMutablePointer<PKCS7>(token))
        }
        throw TimestampError(.malformed, "the signedTimestamp is neither a DER TimeStampResp nor a TimeStampToken: \(OpenSSL.drainErrors())")
    }

    static func info(of box: TimestampTokenBox) throws -> TimestampInfo {
        guard let timePointer = TS_TST_INFO_get_time(box.info) else { throw TimestampError(.malformed, "TSTInfo has no genTime") }
        let generationTime: Date
        do {
            generationTime = try DER.decodeTime(DER.parse(DER.tlv(DERTag.generalizedTime, asn1Bytes(timePointer))))
        } catch {
            throw TimestampError(.malformed, "TSTInfo genTime is malformed: \(error)")
        }
        guard let imprint = TS_TST_INFO_get_msg_imprint(box.info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
            let digest = TS_MSG_IMPRINT_get_msg(imprint)
        else {
            throw TimestampError(.malformed, "TSTInfo has no message imprint")
        }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        let oid = object.map(objectText) ?? ""
        let hash: HashAlgorithm? =
            switch oid {
            case "2.16.840.1.101.3.4.2.1": .sha256
            case "2.16.840.1.101.3.4.2.2": .sha384
            case "2.16.840.1.101.3.4.2.3": .sha512
            default: nil
            }
        let serial = TS_TST_INFO_get_serial(box.info).map { asn1Bytes($0) } ?? []
        let policy = TS_TST_INFO_get_policy_id(box.info).map(objectText) ?? ""
        return TimestampInfo(
            generationTime: generationTime, hashAlgorithm: hash, hashAlgorithmOID: oid,
            messageImprint: asn1Bytes(digest), serialNumber: serial, policyOID: policy)
    }

    private static func asn1Bytes(_ string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        guard let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    private static func asn1Bytes(_ string: UnsafeMutablePointer<ASN1_STRING>) -> [UInt8] { asn1Bytes(UnsafePointer(string)) }

    private static func objectText(_ object: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard length > 0, Int(length) < buffer.count else { return "" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Verifies the CMS signature and the signer's chain against one authority; returns the failure reason or nil.
    private static func verifySignature(_ box: TimestampTokenBox, authority: TimestampAuthority, at time: Date) -> String? {
        OpenSSL.clearErrors()
        guard let context = TS_VERIFY_CTX_new() else { return "allocation failed" }
        defer { TS_VERIFY_CTX_free(context) }
        guard let store = X509_STORE_new() else { return "allocation failed" }
        for certificate in authority.certificateChain { X509_STORE_add_cert(store, certificate.box.pointer) }
        let param = X509_STORE_get0_param(store)
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970.rounded(.down)))
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN) | UInt(X509_V_FLAG_X509_STRICT))
        TS_VERIFY_CTX_set_store(context, store)  // the context owns the store
        guard let certificates = OPENSSL_sk_new_null() else { return "allocation failed" }
        for certificate in authority.certificateChain {
            X509_up_ref(certificate.box.pointer)
            OPENSSL_sk_push(certificates, UnsafeRawPointer(certificate.box.pointer))
        }
        TS_VERIFY_CTX_set_certs(context, certificates)  // the context owns the stack and its references
        TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_SIGNATURE | TS_VFY_VERSION))
        let result = TS_RESP_verify_token(context, box.token)
        if result == 1 {
            OpenSSL.clearErrors()
            return nil
        }
        let errors = OpenSSL.drainErrors()
        let name = authority.certificateChain.first.map { "\($0.subject)" } ?? "?"
        return "authority \(name): \(errors.isEmpty ? "verification failed" : errors)"
    }
}
