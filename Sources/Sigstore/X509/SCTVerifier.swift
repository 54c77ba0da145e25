import Digest
import Foundation

/// A Certificate Transparency log key from the trusted root (`ctlogs[]`).
public struct CTLogKey: Sendable, Hashable {
    /// The log id (`logId.keyId`, SHA-256 of the log's SPKI).
    public let logID: [UInt8]
    /// The log's public key.
    public let publicKey: PublicKey
    /// Start of the key's validity (`validFor.start`), inclusive.
    public let validFrom: Date
    /// End of the key's validity (`validFor.end`), inclusive; nil means open-ended.
    public let validUntil: Date?

    /// Creates a CT log key.
    public init(logID: [UInt8], publicKey: PublicKey, validFrom: Date, validUntil: Date?) {
        self.logID = logID
        self.publicKey = publicKey
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether `date` lies within the key's validity window (both ends inclusive).
    public func isValid(at date: Date) -> Bool { validFrom <= date && (validUntil.map { date <= $0 } ?? true) }
}

/// A signed certificate timestamp (RFC 6962 §3.2), as embedded in a certificate.
public struct SignedCertificateTimestamp: Sendable, Hashable, Codable {
    /// The SCT version (0 = v1).
    public let version: UInt8
    /// The log id (SHA-256 of the log's SPKI).
    public let logID: [UInt8]
    /// Milliseconds since the epoch.
    public let timestampMilliseconds: UInt64
    /// The `extensions` field (opaque; non-empty for Static CT logs).
    public let extensions: [UInt8]
    /// TLS HashAlgorithm code (4 = SHA-256, 5 = SHA-384, 6 = SHA-512).
    public let hashAlgorithmCode: UInt8
    /// TLS SignatureAlgorithm code (1 = RSA, 3 = ECDSA, 7 = Ed25519).
    public let signatureAlgorithmCode: UInt8
    /// The signature bytes.
    public let signature: [UInt8]

    /// The timestamp as a date.
    public var timestamp: Date { Date(timeIntervalSince1970: Double(timestampMilliseconds) / 1000) }

    /// The signature scheme the codes name, or nil when unsupported.
    public var signatureAlgorithm: SignatureAlgorithm? {
        let hash: HashAlgorithm?
        switch hashAlgorithmCode {
        case 4: hash = .sha256
        case 5: hash = .sha384
        case 6: hash = .sha512
        case 8: hash = nil  // "intrinsic" (Ed25519)
        default: return nil
        }
        switch (signatureAlgorithmCode, hash) {
        case (1, let h?): return .rsaPKCS1v15(h)
        case (3, let h?): return .ecdsa(h)
        case (7, _): return .ed25519
        default: return nil
        }
    }
}

/// The outcome of checking one embedded SCT.
public struct SCTCheck: Sendable, Hashable, Codable {
    /// The SCT.
    public let sct: SignedCertificateTimestamp
    /// Whether its signature verified with a trusted log key valid at its timestamp.
    public let verified: Bool
    /// Why it did not verify (nil when verified).
    public let failureReason: String?
}

/// Verifies the precertificate SCTs embedded in a leaf certificate (RFC 6962 §3.2 and §3.3).
public enum SCTVerifier {
    /// The SCTs in the leaf's SignedCertificateTimestampList extension (empty when the extension is absent).
    public static func embeddedSCTs(in leaf: Certificate) throws -> [SignedCertificateTimestamp] {
        guard let ext = leaf.extension(oid: ExtensionOID.signedCertificateTimestampList) else { return [] }
        let list: ArraySlice<UInt8>
        do {
            let node = try DER.parse(ext.value)
            guard node.identifier == DERTag.octetString else { throw DERError("not an OCTET STRING") }
            list = node.content
        } catch {
            throw CryptoError(.malformedInput, "malformed SCT list extension: \(error)")
        }
        var reader = TLSReader(list)
        var result: [SignedCertificateTimestamp] = []
        do {
            var entries = TLSReader(try reader.vector(lengthBytes: 2))
            guard reader.isAtEnd else { throw DERError("trailing bytes after the SCT list") }
            while !entries.isAtEnd {
                var sct = TLSReader(try entries.vector(lengthBytes: 2))
                let version = try sct.byte()
                guard version == 0 else { throw DERError("unsupported SCT version \(version)") }
                let logID = try sct.bytes(32)
                let timestamp = try sct.integer(8)
                let extensions = try sct.vector(lengthBytes: 2)
                let hash = try sct.byte()
                let signatureAlgorithm = try sct.byte()
                let signature = try sct.vector(lengthBytes: 2)
                guard sct.isAtEnd else { throw DERError("trailing bytes in an SCT") }
                result.append(SignedCertificateTimestamp(
                    version: version, logID: Array(logID), timestampMilliseconds: timestamp,
                    extensions: Array(extensions), hashAlgorithmCode: hash, signatureAlgorithmCode: signatureAlgorithm,
                    signature: Array(signature)))
            }
        } catch let error as DERError {
            throw CryptoError(.malformedInput, "malformed SCT list: \(error)")
        }
        return result
    }

    /// The RFC 6962 precertificate TBSCertificate: the leaf's TBS with the SCT list extension removed.
    public static func precertificateTBS(of leaf: Certificate) throws -> [UInt8] {
        do {
            let tbs = try DER.parse(leaf.tbsCertificate)
            var fields: [UInt8] = []
            for field in try tbs.children() {
                guard field.identifier == 0xa3 else {
                    fields += field.encoded
                    continue
                }
                let list = try DER.parse(field.content)
                let kept = try list.children().filter { ext in
                    var reader = DERReader(ext.content)
                    return try reader.read().objectIdentifier() != ExtensionOID.signedCertificateTimestampList
                }
                fields += DER.tlv(0xa3, DER.tlv(DERTag.sequence, kept.flatMap { Array($0.encoded) }))
            }
            return DER.tlv(DERTag.sequence, fields)
        } catch {
            throw CryptoError(.malformedInput, "cannot rebuild the precertificate TBS: \(error)")
        }
    }

    /// The bytes an SCT log signed for `sct` over a precertificate (`digitally-signed` struct of RFC 6962 §3.2).
    public static func signedData(for sct: SignedCertificateTimestamp, precertificateTBS tbs: [UInt8], issuerKeyHash: [UInt8]) -> [UInt8] {
        func be(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xff) } }
        return [sct.version, 0]  // signature_type = certificate_timestamp
            + be(sct.timestampMilliseconds, 8)
            + be(1, 2)  // entry_type = precert_entry
            + issuerKeyHash
            + be(UInt64(tbs.count), 3) + tbs
            + be(UInt64(sct.extensions.count), 2) + sct.extensions
    }

    /// Checks every SCT embedded in `leaf`, whose issuer is `issuer`, against `logs`.
    ///
    /// An SCT verifies when a log with its `logID` has a key valid at the SCT's timestamp and the signature
    /// verifies. Callers count the verified ones against their threshold (sigstore-js requires at least 1) and
    /// should reject duplicate log ids.
    public static func verify(leaf: Certificate, issuer: Certificate, logs: [CTLogKey]) throws -> [SCTCheck] {
        let scts = try embeddedSCTs(in: leaf)
        guard !scts.isEmpty else { return [] }
        let tbs = try precertificateTBS(of: leaf)
        let issuerKeyHash = HashAlgorithm.sha256.hash(issuer.publicKey.subjectPublicKeyInfo)
        return scts.map { sct in
            let candidates = logs.filter { $0.logID == sct.logID }
            guard !candidates.isEmpty else {
                return SCTCheck(sct: sct, verified: false, failureReason: "no trusted CT log has id \(Data(sct.logID).base64EncodedString())")
            }
            let current = candidates.filter { $0.isValid(at: sct.timestamp) }
            guard !current.isEmpty else {
                return SCTCheck(sct: sct, verified: false, failureReason: "the CT log key \(Data(sct.logID).base64EncodedString()) is not valid at the SCT time \(sct.timestamp)")
            }
            guard let algorithm = sct.signatureAlgorithm else {
                return SCTCheck(sct: sct, verified: false, failureReason: "unsupported SCT signature algorithm (hash \(sct.hashAlgorithmCode), signature \(sct.signatureAlgorithmCode))")
            }
            let message = signedData(for: sct, precertificateTBS: tbs, issuerKeyHash: issuerKeyHash)
            if current.contains(where: { $0.publicKey.isValidSignature(sct.signature, for: message, algorithm: algorithm) }) {
                return SCTCheck(sct: sct, verified: true, failureReason: nil)
            }
            return SCTCheck(sct: sct, verified: false, failureReason: "the SCT signature does not verify with the key of CT log \(Data(sct.logID).base64EncodedString())")
        }
    }
}

/// Reader for TLS presentation-language encodings.
struct TLSReader {
    private var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
    var isAtEnd: Bool { bytes.isEmpty }

    mutating func byte() throws -> UInt8 {
        guard let b = bytes.popFirst() else { throw DERError("truncated TLS structure") }
        return b
    }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard bytes.count >= count else { throw DERError("truncated TLS structure") }
        defer { bytes = bytes.dropFirst(count) }
        return bytes.prefix(count)
    }

    mutating func integer(_ count: Int) throws -> UInt64 {
        try bytes(count).reduce(0) { ($0 << 8) | UInt64($1) }
    }

    mutating func vector(lengthBytes: Int) throws -> ArraySlice<UInt8> {
        try bytes(Int(integer(lengthBytes)))
    }
}
