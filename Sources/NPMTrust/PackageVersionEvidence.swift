import Foundation
import Registry

/// What a packument says about one version that bears on trust: the values npm signs and the pointers to
/// attestations. Build it from the registry's packument (``init(name:version:integrity:publishTime:signatures:attestations:npmUser:)``).
public struct PackageVersionEvidence: Sendable, Hashable, Codable {
    /// One `dist.signatures[]` entry: `{keyid, sig}` with `sig` base64 of a DER ECDSA signature — the registry
    /// model's own type, so a packument's entries are the evidence's without a copy.
    public typealias RegistrySignature = DistSignature

    /// `dist.attestations`: where the attestations are and which provenance predicate the registry announces.
    public struct AttestationsPointer: Sendable, Hashable, Codable {
        /// `dist.attestations.url`; only its path is used, resolved against the configured registry.
        public var url: String
        /// `dist.attestations.provenance.predicateType`, when the registry announces provenance.
        public var provenancePredicateType: String?
        /// Creates a pointer.
        public init(url: String, provenancePredicateType: String?) {
            self.url = url
            self.provenancePredicateType = provenancePredicateType
        }
    }

    /// `_npmUser` fields that say how the version was published.
    public struct Publisher: Sendable, Hashable, Codable {
        /// `_npmUser.name`.
        public var name: String?
        /// `_npmUser.approver` is present: a maintainer approved a staged publish with 2FA.
        public var hasStagedApproval: Bool
        /// `_npmUser.trustedPublisher` is present: published through OIDC trusted publishing.
        public var hasTrustedPublisher: Bool
        /// Creates the publisher facts.
        public init(name: String?, hasStagedApproval: Bool, hasTrustedPublisher: Bool) {
            self.name = name
            self.hasStagedApproval = hasStagedApproval
            self.hasTrustedPublisher = hasTrustedPublisher
        }
    }

    /// The package name (`@scope/name` for scoped packages).
    public var name: String
    /// The exact version.
    public var version: String
    /// `dist.integrity` (SRI), the value registry signatures and attestation subjects bind.
    public var integrity: String
    /// `time[version]` from the packument: the publish time at which registry key expiry is judged.
    /// `nil` when the packument has none; npm then assumes 2015-01-01 (``missingPublishTimeCutoff``).
    public var publishTime: Date?
    /// `dist.signatures` (empty when absent).
    public var signatures: [RegistrySignature]
    /// `dist.attestations`, when present.
    public var attestations: AttestationsPointer?
    /// `_npmUser`, when present.
    public var npmUser: Publisher?

    /// Creates the evidence for one version.
    public init(name: String, version: String, integrity: String, publishTime: Date?,
                signatures: [RegistrySignature], attestations: AttestationsPointer?, npmUser: Publisher?) {
        self.name = name
        self.version = version
        self.integrity = integrity
        self.publishTime = publishTime
        self.signatures = signatures
        self.attestations = attestations
        self.npmUser = npmUser
    }

    /// The time npm assumes when a version has no `time[version]` (pacote `MISSING_TIME_CUTOFF`).
    public static let missingPublishTimeCutoff = Date(timeIntervalSince1970: 1_420_070_400)  // 2015-01-01T00:00:00Z

    /// `<name>@<version>`, the npm id.
    public var id: String { "\(name)@\(version)" }

    /// The message registry signatures sign: `<name>@<version>:<integrity>` (UTF-8).
    public var signedMessage: String { "\(id):\(integrity)" }
}

/// npm package URLs (purl, `pkg:npm/…`) as npm writes them in attestation subjects.
public enum NPMPackageURL {
    /// `pkg:npm/<name>@<version>` with the scope's `@` percent-encoded (`pkg:npm/%40scope/name@1.0.0`),
    /// as `npm-package-arg`'s `toPurl` produces for a version spec.
    public static func purl(name: String, version: String) -> String {
        let encodedName = name.hasPrefix("@") ? "%40" + name.dropFirst() : name
        return "pkg:npm/\(encodedName)@\(version)"
    }
}
