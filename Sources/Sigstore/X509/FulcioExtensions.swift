/// The Fulcio certificate extensions (OIDs `1.3.6.1.4.1.57264.1.*`), decoded into named fields.
///
/// `.1`–`.6` are raw UTF-8 octets (deprecated); `.8` and later are DER UTF8Strings. A field is nil when the
/// extension is absent. Malformed values make ``init(certificate:)`` throw (fail closed).
public struct FulcioExtensions: Sendable, Hashable, Codable {
    /// The arc under which all Fulcio extensions live.
    public static let arc = "1.3.6.1.4.1.57264.1"

    /// OID of each named field.
    public enum OID {
        /// OID of ``FulcioExtensions/issuerV1``.
        public static let issuerV1 = "1.3.6.1.4.1.57264.1.1"
        /// OID of ``FulcioExtensions/githubWorkflowTrigger``.
        public static let githubWorkflowTrigger = "1.3.6.1.4.1.57264.1.2"
        /// OID of ``FulcioExtensions/githubWorkflowSHA``.
        public static let githubWorkflowSHA = "1.3.6.1.4.1.57264.1.3"
        /// OID of ``FulcioExtensions/githubWorkflowName``.
        public static let githubWorkflowName = "1.3.6.1.4.1.57264.1.4"
        /// OID of ``FulcioExtensions/githubWorkflowRepository``.
        public static let githubWorkflowRepository = "1.3.6.1.4.1.57264.1.5"
        /// OID of ``FulcioExtensions/githubWorkflowRef``.
        public static let githubWorkflowRef = "1.3.6.1.4.1.57264.1.6"
        /// OID of the Fulcio otherName SAN type (a UTF8String username).
        public static let otherNameSAN = "1.3.6.1.4.1.57264.1.7"
        /// OID of ``FulcioExtensions/issuerV2``.
        public static let issuerV2 = "1.3.6.1.4.1.57264.1.8"
        /// OID of ``FulcioExtensions/buildSignerURI``.
        public static let buildSignerURI = "1.3.6.1.4.1.57264.1.9"
        /// OID of ``FulcioExtensions/buildSignerDigest``.
        public static let buildSignerDigest = "1.3.6.1.4.1.57264.1.10"
        /// OID of ``FulcioExtensions/runnerEnvironment``.
        public static let runnerEnvironment = "1.3.6.1.4.1.57264.1.11"
        /// OID of ``FulcioExtensions/sourceRepositoryURI``.
        public static let sourceRepositoryURI = "1.3.6.1.4.1.57264.1.12"
        /// OID of ``FulcioExtensions/sourceRepositoryDigest``.
        public static let sourceRepositoryDigest = "1.3.6.1.4.1.57264.1.13"
        /// OID of ``FulcioExtensions/sourceRepositoryRef``.
        public static let sourceRepositoryRef = "1.3.6.1.4.1.57264.1.14"
        /// OID of ``FulcioExtensions/sourceRepositoryIdentifier``.
        public static let sourceRepositoryIdentifier = "1.3.6.1.4.1.57264.1.15"
        /// OID of ``FulcioExtensions/sourceRepositoryOwnerURI``.
        public static let sourceRepositoryOwnerURI = "1.3.6.1.4.1.57264.1.16"
        /// OID of ``FulcioExtensions/sourceRepositoryOwnerIdentifier``.
        public static let sourceRepositoryOwnerIdentifier = "1.3.6.1.4.1.57264.1.17"
        /// OID of ``FulcioExtensions/buildConfigURI``.
        public static let buildConfigURI = "1.3.6.1.4.1.57264.1.18"
        /// OID of ``FulcioExtensions/buildConfigDigest``.
        public static let buildConfigDigest = "1.3.6.1.4.1.57264.1.19"
        /// OID of ``FulcioExtensions/buildTrigger``.
        public static let buildTrigger = "1.3.6.1.4.1.57264.1.20"
        /// OID of ``FulcioExtensions/runInvocationURI``.
        public static let runInvocationURI = "1.3.6.1.4.1.57264.1.21"
        /// OID of ``FulcioExtensions/sourceRepositoryVisibilityAtSigning``.
        public static let sourceRepositoryVisibilityAtSigning = "1.3.6.1.4.1.57264.1.22"
    }

    /// `.1` OIDC issuer (v1, raw octets, deprecated).
    public var issuerV1: String?
    /// `.2` GitHub workflow trigger (deprecated).
    public var githubWorkflowTrigger: String?
    /// `.3` GitHub workflow SHA (deprecated).
    public var githubWorkflowSHA: String?
    /// `.4` GitHub workflow name (deprecated).
    public var githubWorkflowName: String?
    /// `.5` GitHub workflow repository (deprecated).
    public var githubWorkflowRepository: String?
    /// `.6` GitHub workflow ref (deprecated).
    public var githubWorkflowRef: String?
    /// `.8` OIDC issuer (v2, DER UTF8String).
    public var issuerV2: String?
    /// `.9` Build signer URI (e.g. the workflow file at a ref).
    public var buildSignerURI: String?
    /// `.10` Build signer digest.
    public var buildSignerDigest: String?
    /// `.11` Runner environment (`github-hosted` / `self-hosted`).
    public var runnerEnvironment: String?
    /// `.12` Source repository URI.
    public var sourceRepositoryURI: String?
    /// `.13` Source repository digest (commit).
    public var sourceRepositoryDigest: String?
    /// `.14` Source repository ref.
    public var sourceRepositoryRef: String?
    /// `.15` Source repository identifier.
    public var sourceRepositoryIdentifier: String?
    /// `.16` Source repository owner URI.
    public var sourceRepositoryOwnerURI: String?
    /// `.17` Source repository owner identifier.
    public var sourceRepositoryOwnerIdentifier: String?
    /// `.18` Build config URI.
    public var buildConfigURI: String?
    /// `.19` Build config digest.
    public var buildConfigDigest: String?
    /// `.20` Build trigger (event name).
    public var buildTrigger: String?
    /// `.21` Run invocation URI.
    public var runInvocationURI: String?
    /// `.22` Source repository visibility at signing.
    public var sourceRepositoryVisibilityAtSigning: String?

    /// The OIDC issuer as sigstore-js reads it: `.8` if present, else `.1`.
    public var issuer: String? { issuerV2 ?? issuerV1 }

    /// Creates an empty value (all fields nil).
    public init() {}

    /// Decodes every Fulcio extension of `certificate`.
    public init(certificate: Certificate) throws {
        func raw(_ oid: String) throws -> String? {
            guard let ext = certificate.extension(oid: oid) else { return nil }
            guard let s = String(bytes: ext.value, encoding: .utf8) else {
                throw CryptoError(.malformedInput, "Fulcio extension \(oid) is not UTF-8")
            }
            return s
        }
        func utf8(_ oid: String) throws -> String? {
            guard let ext = certificate.extension(oid: oid) else { return nil }
            guard let node = try? DER.parse(ext.value), node.identifier == DERTag.utf8String,
                let s = String(bytes: node.content, encoding: .utf8)
            else {
                throw CryptoError(.malformedInput, "Fulcio extension \(oid) is not a DER UTF8String")
            }
            return s
        }
        issuerV1 = try raw(OID.issuerV1)
        githubWorkflowTrigger = try raw(OID.githubWorkflowTrigger)
        githubWorkflowSHA = try raw(OID.githubWorkflowSHA)
        githubWorkflowName = try raw(OID.githubWorkflowName)
        githubWorkflowRepository = try raw(OID.githubWorkflowRepository)
        githubWorkflowRef = try raw(OID.githubWorkflowRef)
        issuerV2 = try utf8(OID.issuerV2)
        buildSignerURI = try utf8(OID.buildSignerURI)
        buildSignerDigest = try utf8(OID.buildSignerDigest)
        runnerEnvironment = try utf8(OID.runnerEnvironment)
        sourceRepositoryURI = try utf8(OID.sourceRepositoryURI)
        sourceRepositoryDigest = try utf8(OID.sourceRepositoryDigest)
        sourceRepositoryRef = try utf8(OID.sourceRepositoryRef)
        sourceRepositoryIdentifier = try utf8(OID.sourceRepositoryIdentifier)
        sourceRepositoryOwnerURI = try utf8(OID.sourceRepositoryOwnerURI)
        sourceRepositoryOwnerIdentifier = try utf8(OID.sourceRepositoryOwnerIdentifier)
        buildConfigURI = try utf8(OID.buildConfigURI)
        buildConfigDigest = try utf8(OID.buildConfigDigest)
        buildTrigger = try utf8(OID.buildTrigger)
        runInvocationURI = try utf8(OID.runInvocationURI)
        sourceRepositoryVisibilityAtSigning = try utf8(OID.sourceRepositoryVisibilityAtSigning)
    }

    /// The value of a field by its OID (as decoded text), or nil.
    public func value(forOID oid: String) -> String? {
        switch oid {
        case OID.issuerV1: issuerV1
        case OID.githubWorkflowTrigger: githubWorkflowTrigger
        case OID.githubWorkflowSHA: githubWorkflowSHA
        case OID.githubWorkflowName: githubWorkflowName
        case OID.githubWorkflowRepository: githubWorkflowRepository
        case OID.githubWorkflowRef: githubWorkflowRef
        case OID.issuerV2: issuerV2
        case OID.buildSignerURI: buildSignerURI
        case OID.buildSignerDigest: buildSignerDigest
        case OID.runnerEnvironment: runnerEnvironment
        case OID.sourceRepositoryURI: sourceRepositoryURI
        case OID.sourceRepositoryDigest: sourceRepositoryDigest
        case OID.sourceRepositoryRef: sourceRepositoryRef
        case OID.sourceRepositoryIdentifier: sourceRepositoryIdentifier
        case OID.sourceRepositoryOwnerURI: sourceRepositoryOwnerURI
        case OID.sourceRepositoryOwnerIdentifier: sourceRepositoryOwnerIdentifier
        case OID.buildConfigURI: buildConfigURI
        case OID.buildConfigDigest: buildConfigDigest
        case OID.buildTrigger: buildTrigger
        case OID.runInvocationURI: runInvocationURI
        case OID.sourceRepositoryVisibilityAtSigning: sourceRepositoryVisibilityAtSigning
        default: nil
        }
    }
}
