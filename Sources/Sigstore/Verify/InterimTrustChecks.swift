import COpenSSL
import Foundation

// Interim RFC 3161 check for the bundle verifier, on OpenSSL libcrypto over the X509/Crypto
// types of the sigstore-x509 branch (Certificate, PublicKey). That branch will provide
// RFC3161Verifier; this file is the single seam to replace then.

/// SHA-2 digests over `Data`.
enum SHA2 {
    static func sha256(_ data: Data) -> Data { Data(HashAlgorithm.sha256.hash([UInt8](data))) }

    /// SHA-256 of a file, streamed in 1 MiB chunks.
    static func sha256(fileAt url: URL) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw CocoaError(.fileReadUnknown) }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            _ = chunk.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Data(out)
    }
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

/// An OpenSSL `X509*` decoded from a ``Certificate``'s DER (owned).
private final class OpenSSLX509: @unchecked Sendable {
    let pointer: OpaquePointer
    init?(_ certificate: Certificate) {
        let der = certificate.derEncoded
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else { return nil }
        pointer = parsed
    }
    deinit { X509_free(pointer) }
}

/// RFC 3161 timestamp verification (TimeStampResp over the signature bytes).
enum InterimRFC3161Verifier {
    /// The verified genTime of `response`, or nil when it does not verify: status granted, imprint ==
    /// SHA-256/384/512(`data`), CMS signature by a TSA in `authorities` whose chain is valid at genTime, and
    /// genTime within the authority's `validFor`.
    static func verifiedTime(response: Data, data: Data, authorities: [CertificateAuthority])
        -> (time: Date, authority: CertificateAuthority)?
    {
        let parsed: OpaquePointer? = response.withUnsafeBytes { buffer in
            guard let base = buffer.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            return d2i_TS_RESP(nil, &cursor, buffer.count)
        }
        guard let tsResponse = parsed else { return nil }
        defer { TS_RESP_free(tsResponse) }
        guard let status = TS_RESP_get_status_info(tsResponse),
              let statusCode = TS_STATUS_INFO_get0_status(status),
              ASN1_INTEGER_get(statusCode) == 0 || ASN1_INTEGER_get(statusCode) == 1,
              let info = TS_RESP_get_tst_info(tsResponse), let token = TS_RESP_get_token(tsResponse),
              let genTime = date(TS_TST_INFO_get_time(info)) else { return nil }
        guard let imprint = TS_TST_INFO_get_msg_imprint(info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
              let message = TS_MSG_IMPRINT_get_msg(imprint) else { return nil }
        var algorithmObject: OpaquePointer?
        X509_ALGOR_get0(&algorithmObject, nil, nil, algorithm)
        let hash: HashAlgorithm
        switch OBJ_obj2nid(algorithmObject) {
        case NID_sha256: hash = .sha256
        case NID_sha384: hash = .sha384
        case NID_sha512: hash = .sha512
        default: return nil
        }
        let actual = [UInt8](UnsafeBufferPointer(start: ASN1_STRING_get0_data(message), count: Int(ASN1_STRING_length(message))))
        guard actual == hash.hash([UInt8](data)) else { return nil }
        for authority in authorities where authority.isValid(at: genTime) {
            if verifyToken(token, chain: authority.certificateChain, at: genTime) { return (genTime, authority) }
        }
        return nil
    }

    private static func date(_ time: UnsafePointer<ASN1_GENERALIZEDTIME>?) -> Date? {
        guard let time else { return nil }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return nil }
        let days = RFC3339.daysFromCivil(year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday))
        return Date(timeIntervalSince1970: Double(days * 86_400 + Int(tm.tm_hour) * 3600 + Int(tm.tm_min) * 60 + Int(tm.tm_sec)))
    }

    private static func verifyToken(_ token: UnsafeMutablePointer<PKCS7>, chain: [Certificate], at time: Date) -> Bool {
        let x509s = chain.compactMap(OpenSSLX509.init)
        guard x509s.count == chain.count, let store = X509_STORE_new() else { return false }
        defer { X509_STORE_free(store) }
        for cert in x509s { X509_STORE_add_cert(store, cert.pointer) }
        guard let param = X509_VERIFY_PARAM_new() else { return false }
        defer { X509_VERIFY_PARAM_free(param) }
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970.rounded(.down)))
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_TIMESTAMP_SIGN)
        X509_STORE_set1_param(store, param)
        guard let certs = OPENSSL_sk_new_null() else { return false }
        defer { OPENSSL_sk_free(certs) }
        for cert in x509s { OPENSSL_sk_push(certs, UnsafeRawPointer(cert.pointer)) }
        guard let context = TS_VERIFY_CTX_new() else { return false }
        defer {
            // The context must not free the store and certificate stack we own.
            TS_VERIFY_CTX_set_store(context, nil)
            TS_VERIFY_CTX_set_certs(context, nil)
            TS_VERIFY_CTX_free(context)
        }
        TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_SIGNATURE))
        TS_VERIFY_CTX_set_store(context, store)
        TS_VERIFY_CTX_set_certs(context, certs)
        let ok = TS_RESP_verify_token(context, token) == 1
        ERR_clear_error()
        return ok
    }
}
