import Foundation

/// What to verify a bundle against: the artifact, and who must have signed it.
public struct VerificationPolicy: Sendable {
    /// The artifact a bundle is checked against.
    public enum Artifact: Sendable, Equatable {
        /// The artifact bytes.
        case bytes(Data)
        /// The SHA-256 digest of the artifact (32 bytes), e.g. from `sha256:<hex>` on the command line.
        case sha256Digest(Data)
        /// Skip artifact binding (DSSE only; the caller checks the in-toto subjects itself, as NPMTrust does).
        case none
    }

    /// How a Subject Alternative Name is matched.
    public enum SANMatcher: Sendable, Equatable {
        /// The SAN must equal the value exactly.
        case exact(String)
        /// The SAN must match the regular expression (unanchored search, as sigstore-js; anchor with ^…$).
        case regularExpression(String)
    }

    /// The identity a Fulcio certificate must carry.
    public struct CertificateIdentity: Sendable, Equatable {
        /// The SAN (URI or e-mail) matcher.
        public var subjectAlternativeName: SANMatcher
        /// The OIDC issuer (`1.3.6.1.4.1.57264.1.8`, else `.1.1`), matched exactly.
        public var oidcIssuer: String
        /// Further Fulcio extension values that must match exactly, keyed by dotted OID
        /// (e.g. `1.3.6.1.4.1.57264.1.12` → `https://github.com/owner/repo`); see ``FulcioExtensions/OID``.
        public var extensions: [String: String]

        /// Creates an identity policy.
        public init(subjectAlternativeName: SANMatcher, oidcIssuer: String, extensions: [String: String] = [:]) {
            self.subjectAlternativeName = subjectAlternativeName
            self.oidcIssuer = oidcIssuer
            self.extensions = extensions
        }
    }

    /// Who must have signed.
    public enum Signer: Sendable, Equatable {
        /// A Fulcio certificate chaining to the trusted root, with this identity.
        case certificateIdentity(CertificateIdentity)
        /// A managed key (DER SubjectPublicKeyInfo or PEM), e.g. `--key KEY.pub` or the npm registry key; the
        /// bundle must carry `verificationMaterial.publicKey`.
        case publicKey(Data)
        /// Any Fulcio certificate chaining to the trusted root (identity checked by the caller from the result).
        case anyCertificate
    }

    /// The artifact to bind.
    public var artifact: Artifact
    /// The required signer.
    public var signer: Signer

    /// Creates a policy.
    public init(artifact: Artifact, signer: Signer) {
        self.artifact = artifact
        self.signer = signer
    }
}

/// Thresholds and clock options, as sigstore-js's defaults.
public struct VerificationOptions: Sendable, Equatable {
    /// Minimum number of verified transparency log entries (default 1).
    public var transparencyLogThreshold: Int = 1
    /// Minimum number of verified SCTs on a Fulcio certificate (default 1).
    public var certificateTransparencyThreshold: Int = 1
    /// Minimum number of verified timestamps (SET integrated times and RFC 3161 times; default 1).
    public var timestampThreshold: Int = 1
    /// Reject Rekor integrated times later than the current clock plus this slack (seconds). The clock is used
    /// only for this sanity check, never as the verification time.
    public var futureIntegratedTimeSlack: TimeInterval = 300

    /// Default options.
    public init() {}
}
