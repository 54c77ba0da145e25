import COpenSSL
import Foundation

// Interim chain, SCT and RFC 3161 checks for the bundle verifier, on OpenSSL libcrypto over the X509/Crypto
// types of the sigstore-x509 branch (Certificate, PublicKey). That branch will provide
// CertificatePathValidator, SCTVerifier and RFC3161Verifier; this file is the single seam to replace then.

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

/// Chain validation (leaf → trusted CA) at a given time, via an OpenSSL X509_STORE.
enum InterimPathValidator {
    /// The validated path (leaf first) or nil. Every certificate of `anchors` is trusted (partial chains are
    /// allowed, so a trusted-root intermediate is an anchor); every certificate must be valid at `time`.
    static func validate(leaf: Certificate, anchors: [Certificate], at time: Date) -> [Certificate]? {
        guard let leafX509 = OpenSSLX509(leaf), let store = X509_STORE_new() else { return nil }
        defer { X509_STORE_free(store) }
        let anchorX509 = anchors.compactMap(OpenSSLX509.init)
        for anchor in anchorX509 { X509_STORE_add_cert(store, anchor.pointer) }
        guard let context = X509_STORE_CTX_new() else { return nil }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leafX509.pointer, nil) == 1 else { return nil }
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
        let ok = X509_verify_cert(context) == 1
        defer { ERR_clear_error() }
        guard ok, let chain = X509_STORE_CTX_get0_chain(context) else { return nil }
        var path: [Certificate] = []
        for index in 0..<OPENSSL_sk_num(chain) {
            guard let raw = OPENSSL_sk_value(chain, index) else { return nil }
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_X509(OpaquePointer(raw), &out)
            guard length > 0, let bytes = out else { return nil }
            let der = [UInt8](UnsafeBufferPointer(start: bytes, count: Int(length)))
            CRYPTO_free(bytes, #fileID, #line)
            guard let parsed = try? Certificate(derEncoded: der) else { return nil }
            path.append(parsed)
        }
        return path
    }
}

/// Embedded SCT verification (RFC 6962 §3.2, precertificate form).
enum InterimSCTVerifier {
    /// The number of distinct CT logs whose embedded SCT on `leaf` (issued by `issuer`) verifies with a log key
    /// valid at the SCT's time.
    static func verifiedCount(leaf: Certificate, issuer: Certificate, ctlogs: [TransparencyLogInstance]) -> Int {
        guard let ext = leaf.extension(oid: "1.3.6.1.4.1.11129.2.4.2"),
              let node = try? DER.parse(ext.value), node.identifier == 0x04,
              let tbs = precertificateTBS(leaf) else { return 0 }
        let issuerKeyHash = SHA2.sha256(Data(issuer.publicKey.subjectPublicKeyInfo))
        var reader = ByteReader(Data(node.content))
        guard let total = reader.uint(2), Int(total) == reader.remaining else { return 0 }
        var verifiedLogs = Set<Data>()
        while reader.remaining > 0 {
            guard let length = reader.uint(2), let sctBytes = reader.bytes(Int(length)) else { return 0 }
            var sct = ByteReader(sctBytes)
            guard let version = sct.uint(1), version == 0, let logID = sct.bytes(32), let timestamp = sct.uint(8),
                  let extLength = sct.uint(2), let extensions = sct.bytes(Int(extLength)),
                  sct.uint(1) != nil, sct.uint(1) != nil, let sigLength = sct.uint(2),
                  let signature = sct.bytes(Int(sigLength)), sct.remaining == 0 else { continue }
            var signed = Data([0, 0])
            signed.append(bigEndian: timestamp, count: 8)
            signed.append(contentsOf: [0, 1])
            signed.append(issuerKeyHash)
            signed.append(bigEndian: UInt64(tbs.count), count: 3)
            signed.append(tbs)
            signed.append(bigEndian: UInt64(extensions.count), count: 2)
            signed.append(extensions)
            let time = Date(timeIntervalSince1970: Double(timestamp) / 1000)
            for log in ctlogs where log.logID == logID && log.publicKey.validFor.contains(time) {
                if let key = try? PublicKey(rawBytes: [UInt8](log.publicKey.rawBytes), keyDetails: log.publicKey.keyDetails),
                   key.isValidSignature([UInt8](signature), for: [UInt8](signed)) {
                    verifiedLogs.insert(logID)
                }
            }
        }
        return verifiedLogs.count
    }

    private static func precertificateTBS(_ leaf: Certificate) -> Data? {
        guard let x509 = OpenSSLX509(leaf) else { return nil }
        let index = X509_get_ext_by_NID(x509.pointer, NID_ct_precert_scts, -1)
        guard index >= 0, let removed = X509_delete_ext(x509.pointer, index) else { return nil }
        X509_EXTENSION_free(removed)
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_re_X509_tbs(x509.pointer, &out)
        guard length > 0, let bytes = out else { return nil }
        defer { CRYPTO_free(bytes, #fileID, #line) }
        return Data(bytes: bytes, count: Int(length))
    }
}

/// RFC 3161 timestamp verification (TimeStampResp over the signature bytes).
enum InterimRFC3161Verifier {
    /// The verified genTime of `response`, or nil when it does not verify: status granted, imprint ==
    /// SHA-256/384/512(`data`), CMS signature by a TSA in `authorities` whose chain is valid at genTime, and
    /// genTime within the authority's `validFor`.
    static func verifiedTime(response: Data, data: Data, authorities: [CertificateAuthority]) -> Date? {
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
        for authority in authorities where authority.validFor.contains(genTime) {
            let chain = authority.certificates.compactMap(Certificate.parse)
            guard chain.count == authority.certificates.count, !chain.isEmpty else { continue }
            if verifyToken(token, chain: chain, at: genTime) { return genTime }
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

/// A cursor over big-endian bytes.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ data: Data) { bytes = [UInt8](data) }
    var remaining: Int { bytes.count - offset }
    mutating func uint(_ count: Int) -> UInt64? {
        guard remaining >= count else { return nil }
        var value: UInt64 = 0
        for byte in bytes[offset..<offset + count] { value = value << 8 | UInt64(byte) }
        offset += count
        return value
    }
    mutating func bytes(_ count: Int) -> Data? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Data(bytes[offset..<offset + count])
    }
}

extension Data {
    mutating func append(bigEndian value: UInt64, count: Int) {
        for shift in stride(from: (count - 1) * 8, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
