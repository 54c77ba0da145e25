import Foundation

/// A certificate authority from the trusted root (`certificateAuthorities[]`): its chain and validity window.
public struct CertificateAuthority: Sendable, Hashable {
    /// `certChain.certificates`, in trusted-root order (issuing CA first, root last).
    public var certificateChain: [Certificate]
    /// `validFor.start` (inclusive).
    public var validFrom: Date
    /// `validFor.end` (inclusive); nil means open-ended.
    public var validUntil: Date?
    /// `uri`, informational.
    public var uri: String?

    /// Creates a certificate authority.
    public init(certificateChain: [Certificate], validFrom: Date, validUntil: Date? = nil, uri: String? = nil) {
        self.certificateChain = certificateChain
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.uri = uri
    }

    /// Whether `date` lies within the validity window (both ends inclusive).
    public func isValid(at date: Date) -> Bool { validFrom <= date && (validUntil.map { date <= $0 } ?? true) }
}

extension CertificatePathValidator {
    /// A validator for a Fulcio leaf at `time`, as sigstore-js does it: the trust anchors are every certificate
    /// of every authority whose validity window contains `time`; the chain must satisfy the RFC 5280 profile and
    /// ``FulcioCodeSigningPolicy``, and every certificate must be valid at `time`.
    ///
    /// Pass no bundle-supplied intermediates unless you mean to trust them for path building only.
    public static func fulcio(
        authorities: [CertificateAuthority], at time: Date, intermediates: [Certificate] = []
    ) -> CertificatePathValidator {
        let anchors = authorities.filter { $0.isValid(at: time) }.flatMap(\.certificateChain)
        return CertificatePathValidator(
            trustAnchors: anchors,
            intermediates: intermediates,
            policies: [RFC5280ProfilePolicy(), FulcioCodeSigningPolicy()],
            allowsPartialChains: true)
    }
}
