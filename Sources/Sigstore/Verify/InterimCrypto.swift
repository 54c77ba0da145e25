import COpenSSL
import Foundation

// Interim cryptographic primitives for the bundle verifier, on OpenSSL libcrypto.
// The X509/Crypto/Timestamp subfolders (branch sigstore-x509) own the real implementations; this file is the
// single seam the verifier calls, to be rewritten over their API once it lands.

/// SHA-2 digests through OpenSSL EVP.
enum SHA2 {
    static func sha256(_ data: Data) -> Data { digest(data, EVP_sha256(), 32) }
    static func sha384(_ data: Data) -> Data { digest(data, EVP_sha384(), 48) }
    static func sha512(_ data: Data) -> Data { digest(data, EVP_sha512(), 64) }

    private static func digest(_ data: Data, _ md: OpaquePointer?, _ size: Int) -> Data {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        _ = data.withUnsafeBytes { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &out, &length, md, nil)
        }
        return Data(out.prefix(Int(length)))
    }

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

/// A verification key (EVP_PKEY) owned by Swift.
final class VerifierKey: @unchecked Sendable {
    enum Algorithm: Equatable { case ecdsaP256, ecdsaP384, ecdsaP521, ed25519, rsa, other }

    let pointer: OpaquePointer
    let algorithm: Algorithm

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_ED25519: algorithm = .ed25519
        case EVP_PKEY_RSA: algorithm = .rsa
        case EVP_PKEY_EC:
            switch EVP_PKEY_get_bits(pointer) {
            case 256: algorithm = .ecdsaP256
            case 384: algorithm = .ecdsaP384
            case 521: algorithm = .ecdsaP521
            default: algorithm = .other
            }
        default: algorithm = .other
        }
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A key from DER SubjectPublicKeyInfo, or (fallback) a DER PKCS#1 RSAPublicKey.
    static func fromDER(_ der: Data) -> VerifierKey? {
        let key: OpaquePointer? = der.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let base = buffer.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            if let key = d2i_PUBKEY(nil, &cursor, buffer.count), cursor == base + buffer.count { return key }
            cursor = base
            return d2i_PublicKey(EVP_PKEY_RSA, nil, &cursor, buffer.count)
        }
        return key.map(VerifierKey.init(owning:))
    }

    /// A key from PEM (`-----BEGIN PUBLIC KEY-----`) or DER bytes.
    static func fromPEMOrDER(_ data: Data) -> VerifierKey? {
        if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN") {
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let der = Data(base64Encoded: body.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
            return fromDER(der)
        }
        return fromDER(data)
    }

    /// The DER SubjectPublicKeyInfo encoding.
    var spkiDER: Data {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &out)
        guard length > 0, let bytes = out else { return Data() }
        defer { CRYPTO_free(bytes, #fileID, #line) }
        return Data(bytes: bytes, count: Int(length))
    }

    /// The digest Sigstore pairs with this key for message signatures.
    var defaultDigest: OpaquePointer? {
        switch algorithm {
        case .ecdsaP384: return EVP_sha384()
        case .ecdsaP521: return EVP_sha512()
        case .ed25519: return nil
        default: return EVP_sha256()
        }
    }

    /// Verifies `signature` over `message` (hashed with the key's default digest; Ed25519 signs the message).
    func isValidSignature(_ signature: Data, for message: Data, digest: OpaquePointer?? = .none) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let md: OpaquePointer? = digest ?? defaultDigest
        guard EVP_DigestVerifyInit(context, nil, md, nil, pointer) == 1 else { return false }
        let result = signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { msg in
                EVP_DigestVerify(context, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                                 msg.bindMemory(to: UInt8.self).baseAddress, msg.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// Verifies `signature` over a precomputed SHA-256 digest (ECDSA and RSA only).
    func isValidSignature(_ signature: Data, forSHA256Digest digest: Data) -> Bool {
        guard algorithm != .ed25519, digest.count == 32, let context = EVP_PKEY_CTX_new(pointer, nil) else { return false }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_init(context) == 1, EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 else {
            return false
        }
        if algorithm == .rsa { EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) }
        let result = signature.withUnsafeBytes { sig in
            digest.withUnsafeBytes { dig in
                EVP_PKEY_verify(context, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                                dig.bindMemory(to: UInt8.self).baseAddress, dig.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }
}

/// A parsed X.509 certificate (X509*) owned by Swift.
final class InterimCertificate: @unchecked Sendable {
    let pointer: OpaquePointer
    let der: Data

    private init(pointer: OpaquePointer, der: Data) {
        self.pointer = pointer
        self.der = der
    }

    deinit { X509_free(pointer) }

    static func parse(der: Data) -> InterimCertificate? {
        let parsed: OpaquePointer? = der.withUnsafeBytes { buffer in
            guard let base = buffer.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let cert = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            if cursor != base + buffer.count { X509_free(cert); return nil }
            return cert
        }
        return parsed.map { InterimCertificate(pointer: $0, der: der) }
    }

    var publicKey: VerifierKey? {
        guard let key = X509_get_pubkey(pointer) else { return nil }
        return VerifierKey(owning: key)
    }

    var notBefore: Date? { Self.date(X509_get0_notBefore(pointer)) }
    var notAfter: Date? { Self.date(X509_get0_notAfter(pointer)) }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return nil }
        let days = RFC3339.daysFromCivil(year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday))
        return Date(timeIntervalSince1970: Double(days * 86_400 + Int(tm.tm_hour) * 3600 + Int(tm.tm_min) * 60 + Int(tm.tm_sec)))
    }

    /// Subject alternative names: URIs, e-mail addresses, DNS names (in order).
    var subjectAlternativeNames: [String] {
        guard let names = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { GENERAL_NAMES_free(stack) }
        var result: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let raw = OPENSSL_sk_value(stack, index) else { continue }
            let name = raw.assumingMemoryBound(to: GENERAL_NAME.self)
            let type = name.pointee.type
            guard type == GEN_URI || type == GEN_EMAIL || type == GEN_DNS, let ia5 = name.pointee.d.ia5 else { continue }
            let bytes = Data(bytes: ASN1_STRING_get0_data(ia5), count: Int(ASN1_STRING_length(ia5)))
            result.append(String(decoding: bytes, as: UTF8.self))
        }
        return result
    }

    /// The extension's `extnValue` contents for a dotted OID, if present.
    func extensionValue(oid: String) -> Data? {
        guard let object = OBJ_txt2obj(oid, 1) else { return nil }
        defer { ASN1_OBJECT_free(object) }
        let index = X509_get_ext_by_OBJ(pointer, object, -1)
        guard index >= 0, let ext = X509_get_ext(pointer, index), let data = X509_EXTENSION_get_data(ext) else {
            return nil
        }
        return Data(bytes: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data)))
    }

    /// Every extension as dotted OID → extnValue contents.
    var extensionValues: [String: Data] {
        var result: [String: Data] = [:]
        for index in 0..<X509_get_ext_count(pointer) {
            guard let ext = X509_get_ext(pointer, index), let object = X509_EXTENSION_get_object(ext),
                  let data = X509_EXTENSION_get_data(ext) else { continue }
            var buffer = [CChar](repeating: 0, count: 128)
            let length = OBJ_obj2txt(&buffer, 128, object, 1)
            guard length > 0 else { continue }
            let oid = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result[oid] = Data(bytes: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data)))
        }
        return result
    }

    var isSelfSigned: Bool { X509_check_issued(pointer, pointer) == X509_V_OK }
}

/// Chain validation (leaf → trusted CA) at a given time, via an OpenSSL X509_STORE.
enum InterimPathValidator {
    /// Returns the validated path (leaf first) or nil. `anchors` are trusted (partial chains allowed, so an
    /// intermediate from the trusted root is a valid anchor), `intermediates` untrusted helpers.
    static func validate(leaf: InterimCertificate, anchors: [InterimCertificate], intermediates: [InterimCertificate],
                         at time: Date) -> [InterimCertificate]? {
        guard let store = X509_STORE_new() else { return nil }
        defer { X509_STORE_free(store) }
        for anchor in anchors { X509_STORE_add_cert(store, anchor.pointer) }
        guard let untrusted = OPENSSL_sk_new_null() else { return nil }
        defer { OPENSSL_sk_free(untrusted) }
        for cert in intermediates { OPENSSL_sk_push(untrusted, UnsafeRawPointer(cert.pointer)) }
        guard let context = X509_STORE_CTX_new() else { return nil }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted) == 1 else { return nil }
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970.rounded(.down)))
        let ok = X509_verify_cert(context) == 1
        ERR_clear_error()
        guard ok, let chain = X509_STORE_CTX_get0_chain(context) else { return nil }
        var path: [InterimCertificate] = []
        for index in 0..<OPENSSL_sk_num(chain) {
            guard let raw = OPENSSL_sk_value(chain, index) else { return nil }
            let cert = OpaquePointer(raw)
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_X509(cert, &out)
            guard length > 0, let bytes = out else { return nil }
            let der = Data(bytes: bytes, count: Int(length))
            CRYPTO_free(bytes, #fileID, #line)
            guard let parsed = InterimCertificate.parse(der: der) else { return nil }
            path.append(parsed)
        }
        return path
    }
}

/// Embedded SCT verification (RFC 6962 §3.2, precertificate form).
enum InterimSCTVerifier {
    /// The number of embedded SCTs on `leaf` (issued by `issuer`) that verify against a CT log whose key is
    /// valid at the SCT's time. Duplicate log ids count once.
    static func verifiedCount(leaf: InterimCertificate, issuer: InterimCertificate, ctlogs: [TransparencyLogInstance]) -> Int {
        guard var list = leaf.extensionValue(oid: "1.3.6.1.4.1.11129.2.4.2") else { return 0 }
        // The extension value is an OCTET STRING holding the TLS-encoded SignedCertificateTimestampList.
        guard let inner = DER.unwrapOctetString(list) else { return 0 }
        list = inner
        guard let tbs = precertificateTBS(leaf), let issuerSPKI = issuerSPKI(issuer) else { return 0 }
        let issuerKeyHash = SHA2.sha256(issuerSPKI)
        var reader = ByteReader(list)
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
                if let key = VerifierKey.fromDER(log.publicKey.rawBytes),
                   key.isValidSignature(signature, for: signed) {
                    verifiedLogs.insert(logID)
                }
            }
        }
        return verifiedLogs.count
    }

    private static func precertificateTBS(_ leaf: InterimCertificate) -> Data? {
        guard let copy = X509_dup(leaf.pointer) else { return nil }
        defer { X509_free(copy) }
        let index = X509_get_ext_by_NID(copy, NID_ct_precert_scts, -1)
        guard index >= 0, let removed = X509_delete_ext(copy, index) else { return nil }
        X509_EXTENSION_free(removed)
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_re_X509_tbs(copy, &out)
        guard length > 0, let bytes = out else { return nil }
        defer { CRYPTO_free(bytes, #fileID, #line) }
        return Data(bytes: bytes, count: Int(length))
    }

    private static func issuerSPKI(_ issuer: InterimCertificate) -> Data? {
        guard let spki = X509_get_X509_PUBKEY(issuer.pointer) else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_PUBKEY(spki, &out)
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
              let genTime = InterimCertificate.date(TS_TST_INFO_get_time(info)) else { return nil }
        // Message imprint.
        guard let imprint = TS_TST_INFO_get_msg_imprint(info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
              let message = TS_MSG_IMPRINT_get_msg(imprint) else { return nil }
        var algorithmObject: OpaquePointer?
        X509_ALGOR_get0(&algorithmObject, nil, nil, algorithm)
        let expected: Data
        switch OBJ_obj2nid(algorithmObject) {
        case NID_sha256: expected = SHA2.sha256(data)
        case NID_sha384: expected = SHA2.sha384(data)
        case NID_sha512: expected = SHA2.sha512(data)
        default: return nil
        }
        let actual = Data(bytes: ASN1_STRING_get0_data(message), count: Int(ASN1_STRING_length(message)))
        guard actual == expected else { return nil }
        for authority in authorities where authority.validFor.contains(genTime) {
            let chain = authority.certificates.compactMap(InterimCertificate.parse(der:))
            guard chain.count == authority.certificates.count, !chain.isEmpty else { continue }
            if verifyToken(token, chain: chain, at: genTime) { return genTime }
        }
        return nil
    }

    private static func verifyToken(_ token: UnsafeMutablePointer<PKCS7>, chain: [InterimCertificate], at time: Date) -> Bool {
        guard let store = X509_STORE_new() else { return false }
        defer { X509_STORE_free(store) }
        // The authority's last certificate is its root; trust it (and allow partial chains to the others).
        for cert in chain { X509_STORE_add_cert(store, cert.pointer) }
        guard let param = X509_VERIFY_PARAM_new() else { return false }
        defer { X509_VERIFY_PARAM_free(param) }
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970.rounded(.down)))
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_TIMESTAMP_SIGN)
        X509_STORE_set1_param(store, param)
        guard let certs = OPENSSL_sk_new_null() else { return false }
        defer { OPENSSL_sk_free(certs) }
        for cert in chain { OPENSSL_sk_push(certs, UnsafeRawPointer(cert.pointer)) }
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

/// Minimal DER helpers.
enum DER {
    /// The contents of a DER OCTET STRING that spans all of `data`.
    static func unwrapOctetString(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == 0x04 else { return nil }
        var offset = 2
        var length = Int(bytes[1])
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 4, bytes.count >= 2 + count else { return nil }
            length = 0
            for byte in bytes[2..<2 + count] { length = length << 8 | Int(byte) }
            offset += count
        }
        guard offset + length == bytes.count else { return nil }
        return Data(bytes[offset...])
    }

    /// The UTF-8 text of a DER UTF8String (or other string type) spanning `data`, else nil.
    static func decodeString(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        guard bytes.count >= 2, [0x0c, 0x13, 0x16, 0x1a].contains(bytes[0]) else { return nil }
        var offset = 2
        var length = Int(bytes[1])
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 4, bytes.count >= 2 + count else { return nil }
            length = 0
            for byte in bytes[2..<2 + count] { length = length << 8 | Int(byte) }
            offset += count
        }
        guard offset + length == bytes.count else { return nil }
        return String(bytes: bytes[offset...], encoding: .utf8)
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
