import Digest
import Foundation
import JSON

/// A malformed Sigstore input (bundle, trusted root, in-toto statement, key file): names the input, the field
/// and what is wrong with it, so a user can find the problem.
public struct SigstoreFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input that was being read: a file path or a label such as `bundle` or `trusted root`.
    public let source: String
    /// The JSON path of the offending field (`verificationMaterial.tlogEntries[0].logIndex`), or `""` for the
    /// whole document.
    public let field: String
    /// What is wrong, in words.
    public let problem: String

    /// Creates a format error.
    public init(source: String, field: String, problem: String) {
        self.source = source
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "\(source): \(problem)" : "\(source): field '\(field)': \(problem)"
    }
}

/// Strict, path-aware access to a JSON object read with provcheck's own parser (``JSON/RawJSON``): strings are
/// exactly as signed (a leading U+FEFF is kept), numbers keep their literal text.
struct JSONFields {
    let object: [String: RawJSON]
    let path: String
    let source: String

    init(_ object: [String: RawJSON], path: String, source: String) {
        self.object = object
        self.path = path
        self.source = source
    }

    /// Parses `data` as a JSON object.
    static func parseDocument(_ data: Data, source: String) throws(SigstoreFormatError) -> JSONFields {
        let value: RawJSON
        do {
            value = try RawJSON(parsing: data)
        } catch {
            throw SigstoreFormatError(source: source, field: "", problem: "not valid JSON (\(error))")
        }
        return try document(value, source: source)
    }

    /// Wraps an already parsed document, which must be an object.
    static func document(_ value: RawJSON, source: String, path: String = "") throws(SigstoreFormatError) -> JSONFields {
        guard let object = value.objectValue else {
            throw SigstoreFormatError(source: source, field: path, problem: "the top-level JSON value is not an object")
        }
        return JSONFields(object, path: path, source: source)
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ problem: String) -> SigstoreFormatError {
        SigstoreFormatError(source: source, field: fieldPath(key), problem: problem)
    }

    /// The member, `nil` when absent or `null`.
    func value(_ key: String) -> RawJSON? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) throws(SigstoreFormatError) -> String {
        guard let value = value(key) else { throw error(key, "is missing") }
        guard let text = value.stringValue else { throw error(key, "is not a string") }
        return text
    }

    func optionalString(_ key: String) throws(SigstoreFormatError) -> String? {
        has(key) ? try string(key) : nil
    }

    func object(_ key: String) throws(SigstoreFormatError) -> JSONFields {
        guard let value = value(key) else { throw error(key, "is missing") }
        guard let nested = value.objectValue else { throw error(key, "is not an object") }
        return JSONFields(nested, path: fieldPath(key), source: source)
    }

    func optionalObject(_ key: String) throws(SigstoreFormatError) -> JSONFields? {
        has(key) ? try object(key) : nil
    }

    /// An array of objects (missing means empty when `required` is false).
    func objects(_ key: String, required: Bool = true) throws(SigstoreFormatError) -> [JSONFields] {
        try elements(key, required: required, kind: "an object") { element, elementKey in
            element.objectValue.map { JSONFields($0, path: fieldPath(elementKey), source: source) }
        }
    }

    /// An array of strings (missing means empty when `required` is false).
    func strings(_ key: String, required: Bool = true) throws(SigstoreFormatError) -> [String] {
        try elements(key, required: required, kind: "a string") { element, _ in element.stringValue }
    }

    /// The elements of the array `key`, each read by `read` (given the element and its `key[i]`; `nil` means it
    /// is not `kind`). Missing means empty when `required` is false.
    private func elements<Element>(_ key: String, required: Bool, kind: String,
                                   _ read: (RawJSON, String) -> Element?) throws(SigstoreFormatError) -> [Element] {
        guard let value = value(key) else {
            if required { throw error(key, "is missing") }
            return []
        }
        guard let array = value.arrayValue else { throw error(key, "is not an array") }
        var result: [Element] = []
        for (index, element) in array.enumerated() {
            let elementKey = "\(key)[\(index)]"
            guard let item = read(element, elementKey) else { throw error(elementKey, "is not \(kind)") }
            result.append(item)
        }
        return result
    }

    /// A protobuf-JSON int64: a decimal string (or, leniently, an integral JSON number), which must not be negative.
    func nonNegativeInt64(_ key: String) throws(SigstoreFormatError) -> Int64 {
        guard let value = value(key) else { throw error(key, "is missing") }
        let parsed: Int64?
        switch value {
        case .string(let text):
            parsed = text.allSatisfy({ $0 == "-" || $0.isASCII && $0.isNumber }) ? Int64(text) : nil
        case .number(let literal):
            if let integer = Int64(literal) {
                parsed = integer
            } else if let double = Double(literal), double.rounded() == double, abs(double) < 9.2e18 {
                parsed = Int64(double)
            } else {
                parsed = nil
            }
        default:
            parsed = nil
        }
        guard let result = parsed else { throw error(key, "is not a decimal integer") }
        guard result >= 0 else { throw error(key, "is negative (\(result))") }
        return result
    }

    func optionalNonNegativeInt64(_ key: String) throws(SigstoreFormatError) -> Int64? {
        has(key) ? try nonNegativeInt64(key) : nil
    }

    /// Standard (or URL-safe) base64 bytes; invalid characters are an error.
    func base64(_ key: String) throws(SigstoreFormatError) -> Data {
        let text = try string(key)
        guard let data = Base64.decode(text) else { throw error(key, "is not valid base64") }
        return data
    }

    func optionalBase64(_ key: String) throws(SigstoreFormatError) -> Data? {
        has(key) ? try base64(key) : nil
    }
}

/// Base64 helpers that accept the standard and URL-safe alphabets with optional padding (protobuf JSON).
enum Base64 {
    static func decode(_ text: String) -> Data? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard normalized.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") })
        else { return nil }
        let remainder = normalized.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized)
    }
}

/// Hex encoding and decoding: Digest's ``DigestEncoding`` (one hex codec), with `Data` for the decoded bytes.
enum Hex {
    static func encode(_ data: some Sequence<UInt8>) -> String { DigestEncoding.hex(data) }

    static func decode(_ text: String) -> Data? { DigestEncoding.bytes(fromHex: text).map { Data($0) } }
}

/// RFC 3339 timestamps as used in `trusted_root.json` (`2021-01-12T11:53:27Z`, `…59.999000Z`, offsets).
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20,
              let year = number(0, 4), bytes[4] == 0x2d, let month = number(5, 2), bytes[7] == 0x2d,
              let day = number(8, 2), bytes[10] == 0x54 || bytes[10] == 0x74,
              let hour = number(11, 2), bytes[13] == 0x3a, let minute = number(14, 2), bytes[16] == 0x3a,
              let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 0x2e {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            if index == start { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if bytes[index] == 0x5a || bytes[index] == 0x7a {
            index += 1
        } else if bytes[index] == 0x2b || bytes[index] == 0x2d {
            guard let oh = number(index + 1, 2), bytes.count > index + 3, bytes[index + 3] == 0x3a,
                  let om = number(index + 4, 2) else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (bytes[index] == 0x2b ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = DER.daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}
