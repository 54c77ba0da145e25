import Foundation
import Digest

/// ISO-8601 instants as npm writes them (`2025-01-29T00:00:00.000Z`, fractional seconds optional).
enum NPMDate {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// The sha512 of an SRI integrity string, as subject digests state it.
enum IntegritySHA512 {
    /// Lowercase hex of the sha512 in `sri`, or `nil` when it has none, several different ones, or is malformed.
    static func hex(_ sri: String) -> String? {
        guard let integrity = try? Integrity(sri) else { return nil }
        let values = Set(integrity.hashes.filter { $0.algorithm == .sha512 }.map(\.hexDigest))
        return values.count == 1 ? values.first : nil
    }
}
