import Foundation

/// OpenSSH key fingerprints (`ssh-keygen -l -E sha256`), the form npm uses for registry key ids.
public enum OpenSSHFingerprint {
    /// The DER prefix of every uncompressed P-256 SubjectPublicKeyInfo
    /// (SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) }).
    static let p256SPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    /// The uncompressed point (`04 ‖ X ‖ Y`, 65 bytes) of a DER P-256 SubjectPublicKeyInfo, or `nil` when the
    /// bytes are anything else (another curve, a compressed point, trailing bytes).
    public static func p256Point(ofSubjectPublicKeyInfo spki: Data) -> [UInt8]? {
        let bytes = [UInt8](spki)
        guard bytes.count == p256SPKIPrefix.count + 65, Array(bytes.prefix(p256SPKIPrefix.count)) == p256SPKIPrefix
        else { return nil }
        let point = Array(bytes.suffix(65))
        return point.first == 0x04 ? point : nil
    }

    /// The OpenSSH wire-format public key blob of a P-256 key:
    /// `string "ecdsa-sha2-nistp256" ‖ string "nistp256" ‖ string Q` (RFC 5656 §3.1).
    public static func wireFormat(ofP256SubjectPublicKeyInfo spki: Data) -> [UInt8]? {
        guard let point = p256Point(ofSubjectPublicKeyInfo: spki) else { return nil }
        var blob: [UInt8] = []
        func appendString(_ value: [UInt8]) {
            let length = UInt32(value.count)
            blob += [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            blob += value
        }
        appendString(Array("ecdsa-sha2-nistp256".utf8))
        appendString(Array("nistp256".utf8))
        appendString(point)
        return blob
    }

    /// `SHA256:<unpadded base64 of SHA-256(wire-format blob)>` for a DER P-256 SubjectPublicKeyInfo,
    /// or `nil` when it is not one.
    public static func sha256(ofP256SubjectPublicKeyInfo spki: Data) -> String? {
        guard let blob = wireFormat(ofP256SubjectPublicKeyInfo: spki) else { return nil }
        let digest = CryptoPrimitives.sha256(blob)
        var base64 = Data(digest).base64EncodedString()
        while base64.hasSuffix("=") { base64.removeLast() }
        return "SHA256:" + base64
    }
}

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
