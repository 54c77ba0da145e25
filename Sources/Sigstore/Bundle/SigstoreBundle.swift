import Foundation
import JSON

/// A Sigstore bundle (`application/vnd.dev.sigstore.bundle…`), versions 0.1, 0.2 and 0.3.
///
/// Parse with ``parse(_:source:)``; the parser is strict: unknown media types, missing or mistyped fields,
/// negative indices and invalid base64 are ``SigstoreFormatError``s naming the field.
public struct SigstoreBundle: Sendable, Equatable {
    /// The bundle format version, from the media type.
    public enum Version: String, Sendable, Codable, Comparable {
        /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
        case v0_1 = "0.1"
        /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
        case v0_2 = "0.2"
        /// `application/vnd.dev.sigstore.bundle+json;version=0.3` or `application/vnd.dev.sigstore.bundle.v0.3+json`
        case v0_3 = "0.3"

        public static func < (lhs: Version, rhs: Version) -> Bool { lhs.rawValue < rhs.rawValue }

        /// The version a media type names, or nil for an unknown one.
        public init?(mediaType: String) {
            switch mediaType {
            case "application/vnd.dev.sigstore.bundle+json;version=0.1": self = .v0_1
            case "application/vnd.dev.sigstore.bundle+json;version=0.2": self = .v0_2
            case "application/vnd.dev.sigstore.bundle+json;version=0.3",
                 "application/vnd.dev.sigstore.bundle.v0.3+json": self = .v0_3
            default: return nil
            }
        }
    }

    /// What was signed.
    public enum Content: Sendable, Equatable {
        /// A signature over an artifact's bytes (or its digest).
        case messageSignature(MessageSignature)
        /// A DSSE envelope (for npm and SLSA, an in-toto statement).
        case dsseEnvelope(DSSEEnvelope)
    }

    /// The media type as written in the bundle.
    public let mediaType: String
    /// The bundle version the media type names.
    public let version: Version
    /// Certificate or key hint, transparency log entries and timestamps.
    public let verificationMaterial: VerificationMaterial
    /// The signed content.
    public let content: Content

    /// Creates a bundle from its parts.
    public init(mediaType: String, version: Version, verificationMaterial: VerificationMaterial, content: Content) {
        self.mediaType = mediaType
        self.version = version
        self.verificationMaterial = verificationMaterial
        self.content = content
    }

    /// Parses bundle JSON. `source` names the input (a file path) in errors.
    public static func parse(_ data: Data, source: String = "bundle") throws(SigstoreFormatError) -> SigstoreBundle {
        try parse(fields: JSONFields.parseDocument(data, source: source))
    }

    /// Parses a bundle already read with provcheck's JSON parser (for example inside an npm attestations
    /// document). `source` names the input in errors; `path` is the value's JSON path there.
    public static func parse(json: RawJSON, source: String, path: String = "") throws(SigstoreFormatError)
        -> SigstoreBundle
    {
        try parse(fields: JSONFields.document(json, source: source, path: path))
    }

    static func parse(fields json: JSONFields) throws(SigstoreFormatError) -> SigstoreBundle {
        let mediaType = try json.string("mediaType")
        guard let version = Version(mediaType: mediaType) else {
            throw json.error("mediaType", "unsupported bundle media type '\(mediaType)'")
        }
        let material = try VerificationMaterial.parse(json.object("verificationMaterial"), version: version)
        let hasMessage = json.has("messageSignature")
        let hasEnvelope = json.has("dsseEnvelope")
        let content: Content
        switch (hasMessage, hasEnvelope) {
        case (true, false): content = .messageSignature(try MessageSignature.parse(json.object("messageSignature")))
        case (false, true): content = .dsseEnvelope(try DSSEEnvelope.parse(json.object("dsseEnvelope")))
        case (true, true):
            throw json.error("dsseEnvelope", "a bundle holds either messageSignature or dsseEnvelope, not both")
        case (false, false): throw json.error("messageSignature", "is missing (and there is no dsseEnvelope)")
        }
        return SigstoreBundle(mediaType: mediaType, version: version, verificationMaterial: material, content: content)
    }
}

/// How the signer is identified, and the evidence that the signature was logged and timestamped.
public struct VerificationMaterial: Sendable, Equatable {
    /// The signer's certificate(s) or key hint.
    public enum Signer: Sendable, Equatable {
        /// v0.1/v0.2: DER certificates, leaf first (the rest are ignored; paths are built from the trusted root).
        case x509CertificateChain([Data])
        /// v0.3: the DER leaf certificate.
        case certificate(Data)
        /// A managed key, named by a hint (for npm publish attestations, `SHA256:<base64>` of the registry key).
        case publicKey(hint: String)

        /// The DER leaf certificate, if the signer is a certificate.
        public var leafCertificate: Data? {
            switch self {
            case .x509CertificateChain(let chain): return chain.first
            case .certificate(let der): return der
            case .publicKey: return nil
            }
        }
    }

    /// The signer's certificate(s) or key hint.
    public let signer: Signer
    /// Transparency log entries (Rekor v1 or v2).
    public let tlogEntries: [TransparencyLogEntry]
    /// DER RFC 3161 `TimeStampResp` values.
    public let rfc3161Timestamps: [Data]

    /// Creates verification material from its parts.
    public init(signer: Signer, tlogEntries: [TransparencyLogEntry], rfc3161Timestamps: [Data]) {
        self.signer = signer
        self.tlogEntries = tlogEntries
        self.rfc3161Timestamps = rfc3161Timestamps
    }

    static func parse(_ json: JSONFields, version: SigstoreBundle.Version) throws(SigstoreFormatError)
        -> VerificationMaterial
    {
        let signer: Signer
        let present = ["x509CertificateChain", "certificate", "publicKey"].filter { json.has($0) }
        guard present.count == 1 else {
            throw json.error("certificate", present.isEmpty
                ? "no signer: expected one of x509CertificateChain, certificate, publicKey"
                : "more than one signer: \(present.joined(separator: ", "))")
        }
        switch present[0] {
        case "x509CertificateChain":
            guard version < .v0_3 else {
                throw json.error("x509CertificateChain", "bundle v0.3 must use 'certificate', not a chain")
            }
            let chain = try json.object("x509CertificateChain")
            let certificates = try chain.objects("certificates")
            guard !certificates.isEmpty else { throw chain.error("certificates", "is empty") }
            var ders: [Data] = []
            for certificate in certificates { ders.append(try certificate.base64("rawBytes")) }
            signer = .x509CertificateChain(ders)
        case "certificate":
            signer = .certificate(try json.object("certificate").base64("rawBytes"))
        default:
            signer = .publicKey(hint: try json.object("publicKey").optionalString("hint") ?? "")
        }
        var entries: [TransparencyLogEntry] = []
        for entry in try json.objects("tlogEntries", required: false) {
            entries.append(try TransparencyLogEntry.parse(entry, version: version))
        }
        var timestamps: [Data] = []
        if let data = try json.optionalObject("timestampVerificationData") {
            for stamp in try data.objects("rfc3161Timestamps", required: false) {
                timestamps.append(try stamp.base64("signedTimestamp"))
            }
        }
        return VerificationMaterial(signer: signer, tlogEntries: entries, rfc3161Timestamps: timestamps)
    }
}

/// One transparency log entry as carried in a bundle.
public struct TransparencyLogEntry: Sendable, Equatable {
    /// The entry's global index in the log.
    public let logIndex: Int64
    /// The log's id: SHA-256 of its public key (DER SPKI).
    public let logID: Data
    /// Entry kind (`hashedrekord`, `intoto`, `dsse`).
    public let kind: String
    /// Entry kind version (`0.0.1`, `0.0.2`).
    public let kindVersion: String
    /// Seconds since the epoch when the log integrated the entry (0 or absent for Rekor v2).
    public let integratedTime: Int64
    /// The signed entry timestamp (Rekor v1 inclusion promise), if present.
    public let signedEntryTimestamp: Data?
    /// The Merkle inclusion proof with its checkpoint, if present.
    public let inclusionProof: InclusionProof?
    /// The log entry body exactly as the log canonicalized it (JSON bytes).
    public let canonicalizedBody: Data

    /// Creates an entry from its parts.
    public init(logIndex: Int64, logID: Data, kind: String, kindVersion: String, integratedTime: Int64,
                signedEntryTimestamp: Data?, inclusionProof: InclusionProof?, canonicalizedBody: Data) {
        self.logIndex = logIndex
        self.logID = logID
        self.kind = kind
        self.kindVersion = kindVersion
        self.integratedTime = integratedTime
        self.signedEntryTimestamp = signedEntryTimestamp
        self.inclusionProof = inclusionProof
        self.canonicalizedBody = canonicalizedBody
    }

    static func parse(_ json: JSONFields, version: SigstoreBundle.Version) throws(SigstoreFormatError)
        -> TransparencyLogEntry
    {
        let kindVersion = try json.object("kindVersion")
        let promise = try json.optionalObject("inclusionPromise")
        let set = try promise?.base64("signedEntryTimestamp")
        let proof = try json.optionalObject("inclusionProof").map { (p: JSONFields) throws(SigstoreFormatError) in
            try InclusionProof.parse(p)
        }
        if version == .v0_1, set == nil {
            throw json.error("inclusionPromise", "bundle v0.1 requires an inclusion promise on every entry")
        }
        if version >= .v0_2, proof == nil {
            throw json.error("inclusionProof", "bundle v\(version.rawValue) requires an inclusion proof on every entry")
        }
        return TransparencyLogEntry(
            logIndex: try json.nonNegativeInt64("logIndex"),
            logID: try json.object("logId").base64("keyId"),
            kind: try kindVersion.string("kind"),
            kindVersion: try kindVersion.string("version"),
            integratedTime: try json.optionalNonNegativeInt64("integratedTime") ?? 0,
            signedEntryTimestamp: set,
            inclusionProof: proof,
            canonicalizedBody: try json.base64("canonicalizedBody"))
    }
}

/// An RFC 6962/9162 inclusion proof plus the signed checkpoint it leads to.
public struct InclusionProof: Sendable, Equatable {
    /// The leaf index in the log shard the proof refers to (not necessarily the global `logIndex`).
    public let logIndex: Int64
    /// The tree root the proof leads to.
    public let rootHash: Data
    /// The tree size the proof refers to.
    public let treeSize: Int64
    /// Sibling hashes, leaf to root.
    public let hashes: [Data]
    /// The signed-note checkpoint text (`origin\nsize\nroot\n\n— name sig\n`); nil when the bundle has none
    /// (verification then fails: a proof is only trusted through a signed checkpoint).
    public let checkpointEnvelope: String?

    /// Creates a proof from its parts.
    public init(logIndex: Int64, rootHash: Data, treeSize: Int64, hashes: [Data], checkpointEnvelope: String?) {
        self.logIndex = logIndex
        self.rootHash = rootHash
        self.treeSize = treeSize
        self.hashes = hashes
        self.checkpointEnvelope = checkpointEnvelope
    }

    static func parse(_ json: JSONFields) throws(SigstoreFormatError) -> InclusionProof {
        var hashes: [Data] = []
        for (index, text) in try json.strings("hashes", required: false).enumerated() {
            guard let hash = Base64.decode(text) else { throw json.error("hashes[\(index)]", "is not valid base64") }
            hashes.append(hash)
        }
        return InclusionProof(
            logIndex: try json.nonNegativeInt64("logIndex"),
            rootHash: try json.base64("rootHash"),
            treeSize: try json.nonNegativeInt64("treeSize"),
            hashes: hashes,
            checkpointEnvelope: try json.optionalObject("checkpoint")?.string("envelope"))
    }
}

/// A signature over an artifact, with an optional (unauthenticated) digest hint.
public struct MessageSignature: Sendable, Equatable {
    /// The artifact digest the bundle claims: algorithm name (`SHA2_256`) and bytes.
    public let messageDigest: (algorithm: String, digest: Data)?
    /// The signature bytes.
    public let signature: Data

    /// Creates a message signature.
    public init(messageDigest: (algorithm: String, digest: Data)?, signature: Data) {
        self.messageDigest = messageDigest
        self.signature = signature
    }

    public static func == (lhs: MessageSignature, rhs: MessageSignature) -> Bool {
        lhs.signature == rhs.signature && lhs.messageDigest?.algorithm == rhs.messageDigest?.algorithm
            && lhs.messageDigest?.digest == rhs.messageDigest?.digest
    }

    static func parse(_ json: JSONFields) throws(SigstoreFormatError) -> MessageSignature {
        let digest = try json.optionalObject("messageDigest").map { (d: JSONFields) throws(SigstoreFormatError) in
            (algorithm: try d.string("algorithm"), digest: try d.base64("digest"))
        }
        let signature = try json.base64("signature")
        guard !signature.isEmpty else { throw json.error("signature", "is empty") }
        return MessageSignature(messageDigest: digest, signature: signature)
    }
}

/// A DSSE envelope (Dead Simple Signing Envelope).
public struct DSSEEnvelope: Sendable, Equatable {
    /// One DSSE signature.
    public struct Signature: Sendable, Equatable {
        /// The signature bytes (over the PAE).
        public let sig: Data
        /// The key id, if any (npm publish attestations use the registry key id).
        public let keyid: String?

        /// Creates a DSSE signature.
        public init(sig: Data, keyid: String?) {
            self.sig = sig
            self.keyid = keyid
        }
    }

    /// The payload bytes (for in-toto, the statement JSON).
    public let payload: Data
    /// The payload type (`application/vnd.in-toto+json`).
    public let payloadType: String
    /// The signatures; Sigstore requires exactly one.
    public let signatures: [Signature]

    /// Creates an envelope.
    public init(payload: Data, payloadType: String, signatures: [Signature]) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The DSSE pre-authentication encoding that is signed:
    /// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` (lengths in ASCII decimal bytes).
    public var preAuthenticationEncoding: Data {
        DSSEEnvelope.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    }

    /// The DSSE PAE of a payload type and payload.
    public static func preAuthenticationEncoding(payloadType: String, payload: Data) -> Data {
        let type = Data(payloadType.utf8)
        var out = Data("DSSEv1 \(type.count) ".utf8)
        out.append(type)
        out.append(Data(" \(payload.count) ".utf8))
        out.append(payload)
        return out
    }

    static func parse(_ json: JSONFields) throws(SigstoreFormatError) -> DSSEEnvelope {
        var signatures: [Signature] = []
        let list = try json.objects("signatures")
        for signature in list {
            signatures.append(Signature(sig: try signature.base64("sig"), keyid: try signature.optionalString("keyid")))
        }
        guard signatures.count == 1 else {
            throw json.error("signatures", "a Sigstore DSSE envelope must have exactly 1 signature, found \(signatures.count)")
        }
        guard !signatures[0].sig.isEmpty else { throw json.error("signatures[0].sig", "is empty") }
        return DSSEEnvelope(payload: try json.base64("payload"), payloadType: try json.string("payloadType"),
                            signatures: signatures)
    }
}
