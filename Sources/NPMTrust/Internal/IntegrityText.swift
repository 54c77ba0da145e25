import Foundation

// TEMPORARY: replaced by Digest.Integrity once the Digest module lands.
enum IntegrityText {
    /// Lowercase hex of the sha512 in an SRI string, or `nil` when it has none (or several different ones).
    static func sha512Hex(_ sri: String) -> String? {
        let values = sri.split(whereSeparator: \.isWhitespace).compactMap { token -> String? in
            guard token.hasPrefix("sha512-") else { return nil }
            var base64 = token.dropFirst("sha512-".count)
            if let question = base64.firstIndex(of: "?") { base64 = base64[..<question] }
            guard let bytes = Data(base64Encoded: String(base64)), bytes.count == 64 else { return nil }
            return bytes.map { String(format: "%02x", $0) }.joined()
        }
        guard let first = values.first, values.allSatisfy({ $0 == first }) else { return nil }
        return first
    }
}
