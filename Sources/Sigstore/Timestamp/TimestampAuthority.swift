import Digest
import Foundation

/// A timestamp authority from the trusted root (`timestampAuthorities[]`): the same shape as a certificate
/// authority (one parser reads both), its chain holding the TSA signing certificate first, then its issuers
/// up to the root.
public typealias TimestampAuthority = CertificateAuthority

/// The decoded TSTInfo of an RFC 3161 timestamp token.
public struct TimestampInfo: Sendable, Hashable {
    /// `genTime`.
    public let generationTime: Date
    /// The message imprint's hash algorithm, or nil when unsupported.
    public let hashAlgorithm: HashAlgorithm?
    /// The message imprint's hash algorithm OID.
    public let hashAlgorithmOID: String
    /// The message imprint's digest.
    public let messageImprint: [UInt8]
    /// The serial number's INTEGER contents.
    public let serialNumber: [UInt8]
    /// The TSA policy OID.
    public let policyOID: String
}

/// Why an RFC 3161 timestamp was rejected.
public struct TimestampError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Failure categories.
    public enum Code: String, Sendable, Hashable, Codable {
        /// The token is not a DER TimeStampResp or TimeStampToken.
        case malformed
        /// The response status is not granted.
        case notGranted
        /// The imprint algorithm is not supported.
        case unsupportedHash
        /// The message imprint is not the hash of the signed data.
        case imprintMismatch
        /// No trusted authority is valid at genTime.
        case noAuthorityValidAtTime
        /// The CMS signature or the signer's certificate chain does not verify against any valid authority.
        case untrustedSignature
    }

    /// The category.
    public let code: Code
    /// Details naming what failed.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RFC 3161 timestamp \(code.rawValue): \(message)" }
}
