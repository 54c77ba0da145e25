import COpenSSL
import Foundation

/// Small internal helpers around libcrypto.
enum OpenSSL {
    /// Drains and renders the thread's OpenSSL error queue (for error messages).
    static func drainErrors() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            messages.append(String(decoding: text, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }

    /// Clears the thread's OpenSSL error queue.
    static func clearErrors() { ERR_clear_error() }

    /// Runs `body` with a read-only memory BIO over `bytes`.
    static func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw -> T in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw CryptoError(.openSSL, "BIO_new_mem_buf failed: \(drainErrors())")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Encodes a libcrypto object with its `i2d_*` function.
    static func encode(_ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
        let length = i2d(nil)
        guard length > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d(&cursor)
        }
        guard written == length else { return nil }
        return out
    }

    /// Decodes DER with a `d2i_*` function; the returned pointer is owned by the caller.
    static func decode(_ bytes: [UInt8], _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?) -> OpaquePointer? {
        bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let object = d2i(&cursor, buffer.count) else { return nil }
            // DER input must be consumed completely.
            return object
        }
    }
}

/// An error from the cryptographic primitives (key/certificate parsing, OpenSSL failures).
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Codable {
        /// The input is not well-formed (bad DER, PEM, base64, lengths…).
        case malformedInput
        /// The input is well-formed but uses an algorithm, curve or form this library does not support.
        case unsupportedAlgorithm
        /// libcrypto reported an internal failure.
        case openSSL
    }

    /// The failure kind.
    public let code: Code
    /// A human-readable explanation naming the input.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// PEM armour helpers.
enum PEM {
    /// Returns the base64-decoded bodies of every `-----BEGIN <label>-----` block in `text`.
    static func blocks(in text: String, label: String) throws -> [[UInt8]] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        var result: [[UInt8]] = []
        var rest = Substring(text)
        while let start = rest.range(of: begin) {
            guard let stop = rest.range(of: end, range: start.upperBound..<rest.endIndex) else {
                throw CryptoError(.malformedInput, "PEM block '\(label)' has no END line")
            }
            let body = rest[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: String(body)) else {
                throw CryptoError(.malformedInput, "PEM block '\(label)' is not valid base64")
            }
            result.append([UInt8](data))
            rest = rest[stop.upperBound...]
        }
        return result
    }

    static func encode(_ der: [UInt8], label: String) -> String {
        let b64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(b64)\n-----END \(label)-----\n"
    }
}
