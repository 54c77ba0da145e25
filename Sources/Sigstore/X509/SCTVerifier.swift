import Foundation

/// A Certificate Transparency log key from the trusted root (`ctlogs[]`).
public struct CTLogKey: Sendable, Hashable {
    /// The log id (`logId.keyId`, SHA-256 of the log's SPKI).
    public let logID: [UInt8]
    /// The log's public key.
    public let publicKey: PublicKey
    /// Start of the key's validity (`validFor.start`), inclusive.
    public let validFrom: Date
    /// End of the key's validity (`validFor.end`), inclusive; nil means open-ended.
    public let validUntil: Date?

    /// Creates a CT log key.
    public init(logID: [UInt8], publicKey: PublicKey, validFrom: Date, validUntil: Date?) {
        self.logID = logID
        self.publicKey = publicKey
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether `date` lies within the key's validity window (both ends inclusive).
    public func isValid(at date: Date) -> Bool { validFrom <= date && (validUntil.map { date <= $0 } ?? true) }
}
