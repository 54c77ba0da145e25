import Foundation

/// What a successful bundle verification established.
public struct BundleVerificationResult: Sendable {
    /// Who signed.
    public enum Signer: Sendable, Equatable {
        /// A Fulcio certificate.
        case certificate(CertificateSigner)
        /// A managed key; `keyID` is hex SHA-256 of its DER SPKI.
        case publicKey(keyID: String, hint: String)
    }

    /// The identity in a verified Fulcio certificate.
    public struct CertificateSigner: Sendable, Equatable {
        /// Subject Alternative Names (URI or e-mail), in certificate order.
        public let subjectAlternativeNames: [String]
        /// The OIDC issuer.
        public let oidcIssuer: String?
        /// The Fulcio extensions as named fields.
        public let extensions: FulcioExtensions
        /// The DER leaf certificate.
        public let certificateDER: Data
        /// Leaf validity start.
        public let notBefore: Date
        /// Leaf validity end.
        public let notAfter: Date
        /// The trusted root CA the path ended at (`organization/commonName`).
        public let certificateAuthority: String
        /// Number of verified SCTs.
        public let verifiedSCTCount: Int
    }

    /// A timestamp that was verified and used as a verification time.
    public struct VerifiedTimestamp: Sendable, Equatable, Codable {
        /// Where the time came from.
        public enum Source: String, Sendable, Codable {
            /// A Rekor integrated time covered by a verified SET.
            case transparencyLog
            /// An RFC 3161 timestamp's genTime.
            case timestampAuthority
        }

        /// Where the time came from.
        public let source: Source
        /// The time.
        public let time: Date
        /// The log base URL or the TSA name.
        public let authority: String
    }

    /// A verified transparency log entry.
    public struct LogEntry: Sendable, Equatable, Codable {
        /// The log base URL from the trusted root.
        public let logBaseURL: String
        /// Hex log id.
        public let logID: String
        /// Global index.
        public let logIndex: Int64
        /// Kind and version (`intoto 0.0.2`).
        public let kind: String
        /// Kind version.
        public let kindVersion: String
        /// The integrated time, if the entry had a verified SET.
        public let integratedTime: Date?
        /// Whether a signed entry timestamp was verified.
        public let verifiedSET: Bool
        /// Whether an inclusion proof to a signed checkpoint was verified.
        public let verifiedInclusionProof: Bool
    }

    /// The bundle version.
    public let bundleVersion: SigstoreBundle.Version
    /// Who signed.
    public let signer: Signer
    /// All verified timestamps (at least the threshold).
    public let timestamps: [VerifiedTimestamp]
    /// The verified log entries.
    public let logEntries: [LogEntry]
    /// For DSSE bundles: the payload type.
    public let payloadType: String?
    /// For DSSE bundles: the verified payload bytes (the in-toto statement JSON).
    public let payload: Data?
    /// For in-toto DSSE payloads: the parsed statement.
    public let statement: InTotoStatement?
    /// The earliest verified time (what validity checks used).
    public var earliestVerifiedTime: Date? { timestamps.map(\.time).min() }
}
