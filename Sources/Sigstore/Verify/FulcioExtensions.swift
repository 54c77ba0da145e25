import Foundation

/// The Fulcio certificate extensions (OIDs `1.3.6.1.4.1.57264.1.*`) as named fields.
/// (Interim: the sigstore-x509 branch provides the canonical parser; this type mirrors its field names.)
public struct FulcioExtensions: Sendable, Equatable, Codable {
    /// Dotted OIDs of the Fulcio extensions.
    public enum OID {
        public static let issuerV1 = "1.3.6.1.4.1.57264.1.1"
        public static let githubWorkflowTrigger = "1.3.6.1.4.1.57264.1.2"
        public static let githubWorkflowSHA = "1.3.6.1.4.1.57264.1.3"
        public static let githubWorkflowName = "1.3.6.1.4.1.57264.1.4"
        public static let githubWorkflowRepository = "1.3.6.1.4.1.57264.1.5"
        public static let githubWorkflowRef = "1.3.6.1.4.1.57264.1.6"
        public static let issuer = "1.3.6.1.4.1.57264.1.8"
        public static let buildSignerURI = "1.3.6.1.4.1.57264.1.9"
        public static let buildSignerDigest = "1.3.6.1.4.1.57264.1.10"
        public static let runnerEnvironment = "1.3.6.1.4.1.57264.1.11"
        public static let sourceRepositoryURI = "1.3.6.1.4.1.57264.1.12"
        public static let sourceRepositoryDigest = "1.3.6.1.4.1.57264.1.13"
        public static let sourceRepositoryRef = "1.3.6.1.4.1.57264.1.14"
        public static let sourceRepositoryIdentifier = "1.3.6.1.4.1.57264.1.15"
        public static let sourceRepositoryOwnerURI = "1.3.6.1.4.1.57264.1.16"
        public static let sourceRepositoryOwnerIdentifier = "1.3.6.1.4.1.57264.1.17"
        public static let buildConfigURI = "1.3.6.1.4.1.57264.1.18"
        public static let buildConfigDigest = "1.3.6.1.4.1.57264.1.19"
        public static let buildTrigger = "1.3.6.1.4.1.57264.1.20"
        public static let runInvocationURI = "1.3.6.1.4.1.57264.1.21"
        public static let sourceRepositoryVisibilityAtSigning = "1.3.6.1.4.1.57264.1.22"
    }

    /// OIDC issuer (`.1.8`, falling back to the deprecated raw `.1.1`).
    public var issuer: String?
    public var githubWorkflowTrigger: String?
    public var githubWorkflowSHA: String?
    public var githubWorkflowName: String?
    public var githubWorkflowRepository: String?
    public var githubWorkflowRef: String?
    public var buildSignerURI: String?
    public var buildSignerDigest: String?
    public var runnerEnvironment: String?
    public var sourceRepositoryURI: String?
    public var sourceRepositoryDigest: String?
    public var sourceRepositoryRef: String?
    public var sourceRepositoryIdentifier: String?
    public var sourceRepositoryOwnerURI: String?
    public var sourceRepositoryOwnerIdentifier: String?
    public var buildConfigURI: String?
    public var buildConfigDigest: String?
    public var buildTrigger: String?
    public var runInvocationURI: String?
    public var sourceRepositoryVisibilityAtSigning: String?
    /// Every `1.3.6.1.4.1.57264.1.*` extension, dotted OID → decoded text (UTF8String for `.1.8`+, raw for `.1.1`–`.1.6`).
    public var all: [String: String]

    /// Decodes the Fulcio extensions from a map of dotted OID → extnValue bytes.
    init(extensionValues: [String: Data]) {
        var all: [String: String] = [:]
        for (oid, value) in extensionValues where oid.hasPrefix("1.3.6.1.4.1.57264.1.") {
            let arc = Int(oid.dropFirst("1.3.6.1.4.1.57264.1.".count)) ?? 0
            if (1...6).contains(arc) {
                all[oid] = String(decoding: value, as: UTF8.self)
            } else if let text = DER.decodeString(value) {
                all[oid] = text
            }
        }
        self.all = all
        issuer = all[OID.issuer] ?? all[OID.issuerV1]
        githubWorkflowTrigger = all[OID.githubWorkflowTrigger]
        githubWorkflowSHA = all[OID.githubWorkflowSHA]
        githubWorkflowName = all[OID.githubWorkflowName]
        githubWorkflowRepository = all[OID.githubWorkflowRepository]
        githubWorkflowRef = all[OID.githubWorkflowRef]
        buildSignerURI = all[OID.buildSignerURI]
        buildSignerDigest = all[OID.buildSignerDigest]
        runnerEnvironment = all[OID.runnerEnvironment]
        sourceRepositoryURI = all[OID.sourceRepositoryURI]
        sourceRepositoryDigest = all[OID.sourceRepositoryDigest]
        sourceRepositoryRef = all[OID.sourceRepositoryRef]
        sourceRepositoryIdentifier = all[OID.sourceRepositoryIdentifier]
        sourceRepositoryOwnerURI = all[OID.sourceRepositoryOwnerURI]
        sourceRepositoryOwnerIdentifier = all[OID.sourceRepositoryOwnerIdentifier]
        buildConfigURI = all[OID.buildConfigURI]
        buildConfigDigest = all[OID.buildConfigDigest]
        buildTrigger = all[OID.buildTrigger]
        runInvocationURI = all[OID.runInvocationURI]
        sourceRepositoryVisibilityAtSigning = all[OID.sourceRepositoryVisibilityAtSigning]
    }
}
