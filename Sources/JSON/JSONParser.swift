import Foundation

/// Why bytes are not valid JSON: the byte offset and the problem.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Zero-based byte offset where the problem was found.
    public let offset: Int
    /// What is wrong there.
    public let message: String

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension RawJSON {
    /// Parses JSON bytes (RFC 8259) with a fast byte-level parser: numbers keep their literal text, strings must
    /// be valid UTF-8, nesting is limited to 512 levels, and a leading byte order mark is refused (as Node's
    /// `JSON.parse` refuses it). Duplicate object keys keep the last value, as `JSON.parse` does (what npm and
    /// sigstore-js read), unless `rejectingDuplicateKeys` is set: documents where a repeated key could weaken a
    /// decision (policies) refuse them.
    /// - Throws: ``JSONSyntaxError`` naming the byte offset and the problem.
    public init(parsing data: Data, rejectingDuplicateKeys: Bool = false) throws(JSONSyntaxError) {
        let result: Result<RawJSON, JSONSyntaxError> = data.withUnsafeBytes { raw in
            var parser = JSONByteParser(bytes: raw.bindMemory(to: UInt8.self))
            parser.rejectDuplicateKeys = rejectingDuplicateKeys
            do throws(JSONSyntaxError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        self = try result.get()
    }
}

/// Recursive-descent JSON parser over a byte buffer.
struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    /// Refuse an object that repeats a key.
    var rejectDuplicateKeys = false

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? index, message: message)
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> RawJSON {
        skipWhitespace()
        // Node's JSON.parse (npm) refuses a byte order mark; so does provcheck, so both read the same documents.
        if bytes.count - index >= 3, bytes[index] == 0xEF, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF {
            throw fail("a byte order mark (U+FEFF) before the JSON value; JSON.parse refuses it too")
        }
        guard index < bytes.count else { throw fail("empty document") }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected data after the JSON value") }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> RawJSON {
        guard index < bytes.count else { throw fail("unexpected end of data") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character \(describe(bytes[index]))")
        }
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "0x%02x", byte)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw fail("invalid literal", at: start) }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw fail("invalid literal", at: start)
        }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > 512 { throw fail("arrays and objects nested deeper than 512 levels") }
    }

    /// Skips white space; at `closing`, consumes it and returns `true` (an empty object or array).
    private mutating func consumeClosing(_ closing: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == closing else { return false }
        index += 1
        return true
    }

    /// After a member or element of `container` ("an object", "an array"): consumes a ',' and returns `false`
    /// (another follows), or consumes `closing` and returns `true`; anything else is a syntax error.
    private mutating func consumeSeparator(closing: UInt8, in container: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of data in \(container)") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        guard bytes[index] == closing else {
            throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(container)")
        }
        index += 1
        return true
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> RawJSON {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [String: RawJSON] = [:]
        if consumeClosing(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail(index < bytes.count ? "expected a string key" : "unexpected end of data in an object")
            }
            let keyOffset = index
            let key = try parseString()
            if rejectDuplicateKeys && members[key] != nil {
                throw fail("duplicate key \"\(key.prefix(100))\" in an object (a repeated key could override a rule)", at: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue()
            if try consumeSeparator(closing: UInt8(ascii: "}"), in: "an object") { return .object(members) }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> RawJSON {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [RawJSON] = []
        if consumeClosing(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            if try consumeSeparator(closing: UInt8(ascii: "]"), in: "an array") { return .array(elements) }
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        guard isDigit(index) else { throw fail("invalid number", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw fail("invalid number: no digits after '.'", at: start) }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("invalid number: no digits in the exponent", at: start) }
            while isDigit(index) { index += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var runStart = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try decodeUTF8(runStart..<index, stringStart: start)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("unescaped control character in a string") }
            index += 1
        }
        var result = try decodeUTF8(runStart..<index, stringStart: start)
        runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                result += try decodeUTF8(runStart..<index, stringStart: start)
                index += 1
                return result
            }
            if byte < 0x20 { throw fail("unescaped control character in a string") }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            result += try decodeUTF8(runStart..<index, stringStart: start)
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): result.append("\"")
            case UInt8(ascii: "\\"): result.append("\\")
            case UInt8(ascii: "/"): result.append("/")
            case UInt8(ascii: "b"): result.append("\u{08}")
            case UInt8(ascii: "f"): result.append("\u{0C}")
            case UInt8(ascii: "n"): result.append("\n")
            case UInt8(ascii: "r"): result.append("\r")
            case UInt8(ascii: "t"): result.append("\t")
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    else { throw fail("unpaired UTF-16 surrogate in a \\u escape") }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid UTF-16 surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired UTF-16 surrogate in a \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                result.unicodeScalars.append(unicode)
            default:
                throw fail("invalid escape \\\(Character(Unicode.Scalar(escape)))", at: index - 2)
            }
            runStart = index
        }
        throw fail("unterminated string", at: start)
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw fail("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func decodeUTF8(_ range: Range<Int>, stringStart: Int) throws(JSONSyntaxError) -> String {
        if range.isEmpty { return "" }
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw fail("invalid UTF-8 in a string", at: stringStart)
        }
        return text
    }
}
