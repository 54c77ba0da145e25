/// Why a bundle did not verify: a stable reason code (for tests, JSON and exit decisions) and a message that
/// names the part of the bundle or trust root at fault.
public struct BundleVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Reason codes, one per kind of check.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// The bundle, trusted root, key or artifact could not be read or parsed.
        case malformedInput
        /// The input uses something this verifier does not support (fail closed).
        case unsupported
        /// The artifact or DSSE signature does not verify with the signer's key.
        case signatureMismatch
        /// No path from the signing certificate to a trusted CA valid at the verified time.
        case certificateChain
        /// Fewer verified embedded SCTs than the CT log threshold.
        case sctInvalid
        /// A transparency log entry names a log that is not in the trusted root (or not valid then).
        case untrustedLog
        /// A signed entry timestamp (Rekor inclusion promise) does not verify.
        case setInvalid
        /// An inclusion proof is missing or does not lead to the checkpoint root.
        case inclusionProofInvalid
        /// A checkpoint is malformed or carries no verifying signature of the log.
        case checkpointInvalid
        /// A log entry body does not describe this bundle's signature, key or artifact.
        case bodyMismatch
        /// The artifact (bytes or digest, or the DSSE in-toto subject) is not what was signed.
        case artifactMismatch
        /// The signer does not match the identity policy (SAN, OIDC issuer, extension values, or key kind).
        case identityMismatch
        /// Fewer trusted timestamps (verified SET times or RFC 3161 times) than the timestamp threshold.
        case noTrustedTimestamp
        /// An RFC 3161 timestamp is present but does not verify.
        case timestampInvalid
        /// Fewer verified transparency log entries than the tlog threshold.
        case transparencyLogThreshold
    }

    /// The reason code.
    public let reason: Reason
    /// A human-readable explanation naming the failing part.
    public let message: String

    /// Creates an error.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
