import Digest
import Foundation

/// A closed validity interval from `trusted_root.json` (`validFor`): `start <= t <= end`; no `end` means open.
public struct ValidityPeriod: Sendable, Equatable, Codable {
    /// Inclusive start.
    public let start: Date
    /// Inclusive end; nil means no end.
    public let end: Date?

    /// Creates a validity period.
    public init(start: Date, end: Date?) {
        self.start = start
        self.end = end
    }

    /// Whether `date` lies within the period (both ends inclusive).
    public func contains(_ date: Date) -> Bool {
        date >= start && (end.map { date <= $0 } ?? true)
    }

    static func parse(_ json: JSONFields, key: String) throws(SigstoreFormatError) -> ValidityPeriod {
        let period = try json.object(key)
        let startText = try period.string("start")
        guard let start = RFC3339.parse(startText) else {
            throw period.error("start", "is not an RFC 3339 timestamp: '\(startText)'")
        }
        var end: Date?
        if let endText = try period.optionalString("end") {
            guard let parsed = RFC3339.parse(endText) else {
                throw period.error("end", "is not an RFC 3339 timestamp: '\(endText)'")
            }
            end = parsed
        }
        return ValidityPeriod(start: start, end: end)
    }
}

/// A public key from the trusted root, with its declared algorithm and validity.
public struct TrustedPublicKey: Sendable, Equatable {
    /// The key bytes: DER SubjectPublicKeyInfo, or a PKCS#1 RSAPublicKey for `PKCS1_RSA_*` key details.
    public let rawBytes: Data
    /// The declared algorithm (`PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, `PKCS1_RSA_PKCS1V5`, …).
    public let keyDetails: String
    /// When the key may be used.
    public let validFor: ValidityPeriod
}

/// A transparency log (Rekor) or certificate transparency log from the trusted root.
public struct TransparencyLogInstance: Sendable, Equatable {
    /// The log's base URL (`https://rekor.sigstore.dev`); checkpoint signer names must occur in it.
    public let baseURL: String
    /// The tree hash algorithm (`SHA2_256`).
    public let hashAlgorithm: String
    /// The log's signing key.
    public let publicKey: TrustedPublicKey
    /// The log id: SHA-256 of the DER SPKI.
    public let logID: Data
    /// The checkpoint key id, when the root states one (its first 4 bytes are the signed-note key hint).
    public let checkpointKeyID: Data?

    /// The 4-byte signed-note key hint for this log's checkpoints.
    public var checkpointKeyHint: Data { Data((checkpointKeyID ?? logID).prefix(4)) }

    static func parse(_ json: JSONFields) throws(SigstoreFormatError) -> TransparencyLogInstance {
        let key = try json.object("publicKey")
        let checkpoint = try json.optionalObject("checkpointKeyId")
        return TransparencyLogInstance(
            baseURL: try json.string("baseUrl"),
            hashAlgorithm: try json.optionalString("hashAlgorithm") ?? "SHA2_256",
            publicKey: TrustedPublicKey(rawBytes: try key.base64("rawBytes"), keyDetails: try key.string("keyDetails"),
                                        validFor: try ValidityPeriod.parse(key, key: "validFor")),
            logID: try json.object("logId").base64("keyId"),
            checkpointKeyID: try checkpoint?.base64("keyId"))
    }
}

extension CertificateAuthority {
    /// Parses a `certificateAuthorities[]` / `timestampAuthorities[]` entry of `trusted_root.json`.
    static func parse(_ json: JSONFields) throws(SigstoreFormatError) -> CertificateAuthority {
        let chain = try json.object("certChain").objects("certificates")
        var certificates: [Certificate] = []
        for certificate in chain {
            let der = try certificate.base64("rawBytes")
            do { certificates.append(try Certificate(derEncoded: [UInt8](der))) } catch {
                throw certificate.error("rawBytes", "is not a valid DER X.509 certificate (\(error))")
            }
        }
        guard !certificates.isEmpty else { throw json.error("certChain.certificates", "is empty") }
        let validity = try ValidityPeriod.parse(json, key: "validFor")
        return CertificateAuthority(certificateChain: certificates, validFrom: validity.start, validUntil: validity.end,
                                    uri: try json.optionalString("uri"))
    }

    /// `organization/commonName` of the authority's own (first) certificate, for messages.
    var displayName: String { certificateChain.first.map { "\($0.subject)" } ?? (uri ?? "certificate authority") }
}

extension TransparencyLogInstance {
    /// The CT log key form used by ``SCTVerifier``, or nil if the key does not parse.
    var ctLogKey: CTLogKey? {
        guard let key = try? PublicKey(rawBytes: [UInt8](publicKey.rawBytes), keyDetails: publicKey.keyDetails) else {
            return nil
        }
        return CTLogKey(logID: [UInt8](logID), publicKey: key, validFrom: publicKey.validFor.start,
                        validUntil: publicKey.validFor.end)
    }
}

/// The Sigstore trust material (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`): Rekor logs,
/// Fulcio CAs, CT logs and timestamp authorities, each with a validity window.
public struct TrustedRoot: Sendable, Equatable {
    /// The media type as written.
    public let mediaType: String
    /// Rekor transparency logs.
    public let tlogs: [TransparencyLogInstance]
    /// Fulcio certificate authorities.
    public let certificateAuthorities: [CertificateAuthority]
    /// Certificate transparency logs.
    public let ctlogs: [TransparencyLogInstance]
    /// RFC 3161 timestamp authorities.
    public let timestampAuthorities: [TimestampAuthority]

    /// Creates trust material from its parts (e.g. a root narrowed for a test or a policy).
    public init(mediaType: String = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                tlogs: [TransparencyLogInstance], certificateAuthorities: [CertificateAuthority],
                ctlogs: [TransparencyLogInstance], timestampAuthorities: [TimestampAuthority]) {
        self.mediaType = mediaType
        self.tlogs = tlogs
        self.certificateAuthorities = certificateAuthorities
        self.ctlogs = ctlogs
        self.timestampAuthorities = timestampAuthorities
    }

    /// Parses `trusted_root.json`. `source` names the input (a file path) in errors.
    public static func parse(_ data: Data, source: String = "trusted root") throws(SigstoreFormatError) -> TrustedRoot {
        let json = try JSONFields.parseDocument(data, source: source)
        let mediaType = try json.string("mediaType")
        guard mediaType.hasPrefix("application/vnd.dev.sigstore.trustedroot") else {
            throw json.error("mediaType", "not a Sigstore trusted root media type: '\(mediaType)'")
        }
        var tlogs: [TransparencyLogInstance] = []
        for log in try json.objects("tlogs", required: false) { tlogs.append(try .parse(log)) }
        var cas: [CertificateAuthority] = []
        for ca in try json.objects("certificateAuthorities", required: false) { cas.append(try .parse(ca)) }
        var ctlogs: [TransparencyLogInstance] = []
        for log in try json.objects("ctlogs", required: false) { ctlogs.append(try .parse(log)) }
        var tsas: [TimestampAuthority] = []
        for tsa in try json.objects("timestampAuthorities", required: false) { tsas.append(try .parse(tsa)) }
        return TrustedRoot(mediaType: mediaType, tlogs: tlogs, certificateAuthorities: cas, ctlogs: ctlogs,
                           timestampAuthorities: tsas)
    }

    /// Reads and parses a `trusted_root.json` file.
    public static func load(contentsOf url: URL) throws(SigstoreFormatError) -> TrustedRoot {
        let data: Data
        do { data = try InputFile.read(url) } catch {
            throw SigstoreFormatError(source: url.path, field: "", problem: "the file \(error.problem)")
        }
        return try parse(data, source: url.path)
    }

    /// The Sigstore public-good production trusted root shipped inside the tool
    /// (root-signing snapshot; regenerate with `Scripts/embed-trusted-root.sh`).
    public static let production: TrustedRoot = {
        do {
            return try parse(Data(EmbeddedTrustedRoot.productionJSON.utf8), source: "embedded production trusted root")
        } catch {
            fatalError("the embedded production trusted root does not parse: \(error)")
        }
    }()
}
