import Foundation

/// A strict TOML 1.0 reader (https://toml.io/en/v1.0.0) that turns a document into the JSON text the policy and
/// watch configuration parsers already read, so both formats share one set of field rules and error messages.
///
/// Supported: comments, bare/quoted/dotted keys, basic and literal strings (single- and multi-line, every escape of
/// the specification), integers (decimal, `0x`, `0o`, `0b`, underscores), floats (`inf` and `nan` are rejected
/// because JSON cannot carry them), booleans, offset and local date-times, dates and times (kept as RFC 3339 text,
/// with the delimiter written `T`), arrays, inline tables, `[tables]` and `[[arrays of tables]]`, and the
/// specification's rules against defining a key or a table twice. Nesting is bounded (``defaultMaximumDepth``), and
/// the reader runs in time linear in the input, so a hostile file fails fast instead of exhausting the stack.
public enum TOML {
    /// The deepest nesting of tables and arrays accepted by default.
    public static let defaultMaximumDepth = 64

    /// Parses TOML `data` and returns the equivalent JSON document (an object; keys in file order).
    /// - Parameters:
    ///   - file: names the input in errors (a path, or `<memory>`).
    ///   - maximumDepth: the deepest nesting of tables and arrays accepted.
    /// - Throws: ``TOMLError`` naming the file, line, column and problem.
    public static func jsonData(from data: Data, file: String = "<memory>", maximumDepth: Int = defaultMaximumDepth) throws -> Data {
        var parser = TOMLParser(bytes: [UInt8](data), file: file, maximumDepth: maximumDepth)
        let root = try parser.parseDocument()
        var out = [UInt8]()
        out.reserveCapacity(data.count + 64)
        TOMLJSONWriter.write(.table(root), into: &out)
        return Data(out)
    }
}

/// Why a TOML document was rejected, and where.
public struct TOMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input (file path as given, or `<memory>`).
    public var file: String
    /// 1-based line of the problem.
    public var line: Int
    /// 1-based column (in Unicode scalars) of the problem.
    public var column: Int
    /// What is wrong.
    public var message: String

    /// Makes an error.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// The document format of a policy or watch configuration file.
public enum ConfigurationFormat: String, Hashable, Sendable, CaseIterable {
    /// JSON (RFC 8259).
    case json
    /// TOML 1.0.
    case toml

    /// The format of a file: by extension (`.toml`, `.json`), otherwise sniffed: a document whose first
    /// non-whitespace character is `{` is JSON, anything else TOML.
    public static func detect(path: String, data: Data) -> ConfigurationFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".toml") { return .toml }
        if lower.hasSuffix(".json") { return .json }
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first == UInt8(ascii: "{") ? .json : .toml
    }
}

// MARK: - Document model

/// A table under construction; a class so that headers can reopen it by reference.
final class TOMLTable {
    enum Origin {
        /// Created as the parent of a `[header]` (may be defined once later by its own header).
        case implicit
        /// Defined by its own `[header]` or `[[header]]` element.
        case header
        /// Created by a dotted key (`a.b = 1`); extendable by dotted keys, sub-tables by headers.
        case dotted
        /// An inline table `{…}`: complete once closed.
        case inline
        /// The document root.
        case root
    }

    var origin: Origin
    let depth: Int
    /// Byte offset where it was created (for "already defined on line N").
    let offset: Int
    var keys: [String] = []
    var values: [String: TOMLValue] = [:]
    var offsets: [String: Int] = [:]

    init(origin: Origin, depth: Int, offset: Int) {
        self.origin = origin
        self.depth = depth
        self.offset = offset
    }

    func insert(_ key: String, _ value: TOMLValue, at offset: Int) {
        keys.append(key)
        values[key] = value
        offsets[key] = offset
    }
}

/// An array of tables (`[[name]]`), appended to by each header.
final class TOMLTableArray {
    var tables: [TOMLTable]
    init(_ first: TOMLTable) { tables = [first] }
}

enum TOMLValue {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// RFC 3339 text (offset or local date-time, local date or local time).
    case datetime(String)
    case array([TOMLValue])
    case table(TOMLTable)
    case tableArray(TOMLTableArray)
}

// MARK: - Parser

struct TOMLParser {
    private let bytes: [UInt8]
    private let file: String
    private let maximumDepth: Int
    private var index = 0

    init(bytes: [UInt8], file: String, maximumDepth: Int) {
        self.bytes = bytes
        self.file = file
        self.maximumDepth = maximumDepth
    }

    // MARK: Errors and positions

    private func error(_ message: String, at offset: Int? = nil) -> TOMLError {
        let position = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<position where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        // Columns count Unicode scalars: skip UTF-8 continuation bytes.
        let column = 1 + bytes[lineStart..<position].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return TOMLError(file: file, line: line, column: column, message: message)
    }

    private func lineNumber(of offset: Int) -> Int {
        1 + bytes[0..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "the end of the file" }
        switch byte {
        case 0x0A: return "a newline"
        case 0x0D: return "a carriage return"
        case 0x09: return "a tab"
        case 0x20...0x7E: return "\"\(Character(Unicode.Scalar(byte)))\""
        default: return String(format: "byte 0x%02X", byte)
        }
    }

    // MARK: Bytes

    private var atEnd: Bool { index >= bytes.count }
    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    private func peek(_ ahead: Int) -> UInt8? { index + ahead < bytes.count ? bytes[index + ahead] : nil }

    private func isControl(_ b: UInt8) -> Bool { (b < 0x20 && b != 0x09) || b == 0x7F }

    private mutating func skipWhitespace() {
        while let b = peek, b == 0x20 || b == 0x09 { index += 1 }
    }

    /// Consumes a newline (LF or CRLF) if one is next.
    private mutating func consumeNewline() throws -> Bool {
        if peek == 0x0A { index += 1; return true }
        if peek == 0x0D {
            guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a newline") }
            index += 2
            return true
        }
        return false
    }

    private mutating func skipComment() throws {
        guard peek == UInt8(ascii: "#") else { return }
        index += 1
        while let b = peek, b != 0x0A {
            if b == 0x0D, peek(1) == 0x0A { return }
            if isControl(b) { throw error("control character \(describe(b)) is not allowed in a comment") }
            index += 1
        }
    }

    /// After a key/value pair or header: optional whitespace and comment, then a newline or the end.
    private mutating func expectLineEnd(after what: String) throws {
        skipWhitespace()
        try skipComment()
        if atEnd { return }
        guard try consumeNewline() else { throw error("expected a newline after \(what), found \(describe(peek))") }
    }

    /// Whitespace, comments and newlines (inside arrays).
    private mutating func skipBlank() throws {
        while true {
            skipWhitespace()
            try skipComment()
            if try !consumeNewline() { return }
        }
    }

    // MARK: Document

    mutating func parseDocument() throws -> TOMLTable {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TOMLError(file: file, line: 1, column: 1, message: "the document is not valid UTF-8")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let root = TOMLTable(origin: .root, depth: 0, offset: 0)
        var current = root
        while true {
            try skipBlank()
            guard let b = peek else { break }
            if b == UInt8(ascii: "[") {
                current = try parseHeader(root: root)
            } else {
                try parseKeyValue(into: current)
                try expectLineEnd(after: "a value")
            }
        }
        return root
    }

    // MARK: Keys

    private typealias KeyPart = (name: String, offset: Int)

    private static func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    private mutating func parseKey() throws -> [KeyPart] {
        var parts = [KeyPart]()
        while true {
            skipWhitespace()
            let start = index
            let name: String
            switch peek {
            case UInt8(ascii: "\""):
                if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                    throw error("a multi-line string cannot be a key")
                }
                name = try parseBasicString()
            case UInt8(ascii: "'"):
                if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                    throw error("a multi-line string cannot be a key")
                }
                name = try parseLiteralString()
            case let b? where Self.isBareKeyByte(b):
                while let b = peek, Self.isBareKeyByte(b) { index += 1 }
                name = String(decoding: bytes[start..<index], as: UTF8.self)
            default:
                throw error("expected a key, found \(describe(peek))")
            }
            parts.append((name, start))
            if parts.count > maximumDepth { throw error("the key has more than \(maximumDepth) parts", at: start) }
            skipWhitespace()
            guard peek == UInt8(ascii: ".") else { return parts }
            index += 1
        }
    }

    private func dotted(_ parts: ArraySlice<KeyPart>) -> String {
        parts.map { part in
            part.name.utf8.allSatisfy(Self.isBareKeyByte) && !part.name.isEmpty ? part.name : "\"\(part.name)\""
        }.joined(separator: ".")
    }

    // MARK: Headers

    private mutating func parseHeader(root: TOMLTable) throws -> TOMLTable {
        let start = index
        index += 1
        let isArray = peek == UInt8(ascii: "[")
        if isArray { index += 1 }
        let key = try parseKey()
        guard peek == UInt8(ascii: "]") else { throw error("expected \"]\" to close the table header, found \(describe(peek))") }
        index += 1
        if isArray {
            guard peek == UInt8(ascii: "]") else { throw error("expected \"]]\" to close the array-of-tables header") }
            index += 1
        }
        try expectLineEnd(after: "a table header")

        // Walk (and create) the parent tables.
        var table = root
        for (i, part) in key.dropLast().enumerated() {
            let path = dotted(key[...i])
            switch table.values[part.name] {
            case nil:
                let child = try newTable(.implicit, in: table, at: part.offset)
                table.insert(part.name, .table(child), at: part.offset)
                table = child
            case .table(let child)?:
                guard child.origin != .inline else {
                    throw error("\(path) is an inline table (line \(lineNumber(of: child.offset))), which cannot be extended", at: part.offset)
                }
                table = child
            case .tableArray(let array)?:
                table = array.tables[array.tables.count - 1]
            case _?:
                throw error("\(path) is already a value (line \(lineNumber(of: table.offsets[part.name]!))), not a table", at: part.offset)
            }
        }
        let last = key[key.count - 1]
        let path = dotted(key[...])
        let existing = table.values[last.name]
        var definedLine: Int { table.offsets[last.name].map(lineNumber(of:)) ?? 0 }
        if isArray {
            switch existing {
            case nil:
                let element = try newTable(.header, in: table, at: start)
                table.insert(last.name, .tableArray(TOMLTableArray(element)), at: start)
                return element
            case .tableArray(let array)?:
                let element = try newTable(.header, in: table, at: start)
                array.tables.append(element)
                return element
            case .table?:
                throw error("[[\(path)]]: \(path) is already a table (line \(definedLine)), not an array of tables", at: start)
            case _?:
                throw error("[[\(path)]]: \(path) is already a value (line \(definedLine)); a static array cannot be extended", at: start)
            }
        }
        switch existing {
        case nil:
            let child = try newTable(.header, in: table, at: start)
            table.insert(last.name, .table(child), at: start)
            return child
        case .table(let child)?:
            switch child.origin {
            case .implicit:
                child.origin = .header
                return child
            case .header, .root:
                throw error("table [\(path)] is defined twice (first on line \(lineNumber(of: child.offset)))", at: start)
            case .dotted:
                throw error("table [\(path)] is already defined by dotted keys (line \(definedLine))", at: start)
            case .inline:
                throw error("table [\(path)] is already defined as an inline table (line \(definedLine)), which cannot be extended", at: start)
            }
        case .tableArray?:
            throw error("table [\(path)] is already an array of tables (line \(definedLine))", at: start)
        case _?:
            throw error("table [\(path)] is already a value (line \(definedLine))", at: start)
        }
    }

    private func newTable(_ origin: TOMLTable.Origin, in parent: TOMLTable, at offset: Int) throws -> TOMLTable {
        guard parent.depth < maximumDepth else { throw error("tables and arrays are nested more than \(maximumDepth) deep", at: offset) }
        return TOMLTable(origin: origin, depth: parent.depth + 1, offset: offset)
    }

    // MARK: Key/value pairs

    private mutating func parseKeyValue(into table: TOMLTable) throws {
        let key = try parseKey()
        guard peek == UInt8(ascii: "=") else { throw error("expected \"=\" after the key \(dotted(key[...])), found \(describe(peek))") }
        index += 1
        skipWhitespace()
        var target = table
        for (i, part) in key.dropLast().enumerated() {
            let path = dotted(key[...i])
            switch target.values[part.name] {
            case nil:
                let child = try newTable(.dotted, in: target, at: part.offset)
                target.insert(part.name, .table(child), at: part.offset)
                target = child
            case .table(let child)? where child.origin == .dotted:
                target = child
            case .table(let child)? where child.origin == .inline:
                throw error("\(path) is an inline table (line \(lineNumber(of: child.offset))), which cannot be extended", at: part.offset)
            case .table(let child)?:
                throw error("\(path) is already defined as a table (line \(lineNumber(of: child.offset))); dotted keys cannot add to it", at: part.offset)
            case _?:
                throw error("\(path) is already defined (line \(lineNumber(of: target.offsets[part.name]!))) and is not a table", at: part.offset)
            }
        }
        let last = key[key.count - 1]
        if let offset = target.offsets[last.name] {
            throw error("duplicate key \(dotted(key[...])) (first defined on line \(lineNumber(of: offset)))", at: last.offset)
        }
        let value = try parseValue(depth: target.depth + 1)
        target.insert(last.name, value, at: last.offset)
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws -> TOMLValue {
        switch peek {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { return .string(try parseMultilineBasicString()) }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") { return .string(try parseMultilineLiteralString()) }
            return .string(try parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth)
        case nil, 0x0A, 0x0D, UInt8(ascii: "#"):
            throw error("expected a value, found \(describe(peek))")
        default:
            return try parseScalar()
        }
    }

    private mutating func parseArray(depth: Int) throws -> TOMLValue {
        guard depth <= maximumDepth else { throw error("tables and arrays are nested more than \(maximumDepth) deep") }
        index += 1
        var elements = [TOMLValue]()
        while true {
            try skipBlank()
            if peek == UInt8(ascii: "]") { index += 1; return .array(elements) }
            elements.append(try parseValue(depth: depth + 1))
            try skipBlank()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw error("expected \",\" or \"]\" in an array, found \(describe(peek))")
            }
        }
    }

    private mutating func parseInlineTable(depth: Int) throws -> TOMLValue {
        guard depth <= maximumDepth else { throw error("tables and arrays are nested more than \(maximumDepth) deep") }
        let table = TOMLTable(origin: .dotted, depth: depth, offset: index)
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                try parseKeyValue(into: table)
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    if peek == UInt8(ascii: "}") { throw error("a trailing comma is not allowed in an inline table") }
                    continue
                }
                if peek == UInt8(ascii: "}") { index += 1; break }
                if peek == 0x0A || peek == 0x0D { throw error("an inline table must be on one line (TOML 1.0)") }
                throw error("expected \",\" or \"}\" in an inline table, found \(describe(peek))")
            }
        }
        table.origin = .inline
        return .table(table)
    }

    // MARK: Strings

    /// A single-line basic string; `index` at the opening quote.
    private mutating func parseBasicString() throws -> String {
        let open = index
        index += 1
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ end: Int, into scalars: inout String.UnicodeScalarView) {
            if run < end { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        }
        while true {
            guard let b = peek, b != 0x0A, !(b == 0x0D && peek(1) == 0x0A) else {
                throw error("unterminated string: no closing \" before the end of the line", at: open)
            }
            if b == UInt8(ascii: "\"") {
                flush(index, into: &scalars)
                index += 1
                return String(scalars)
            }
            if b == UInt8(ascii: "\\") {
                flush(index, into: &scalars)
                scalars.append(try parseEscape())
                run = index
                continue
            }
            if isControl(b) { throw error("control character \(describe(b)) must be escaped in a string") }
            index += 1
        }
    }

    /// An escape sequence; `index` at the backslash.
    private mutating func parseEscape() throws -> Unicode.Scalar {
        let start = index
        index += 1
        guard let c = peek else { throw error("unterminated escape sequence", at: start) }
        index += 1
        switch c {
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek, let digit = Self.hexValue(h) else {
                    throw error("invalid escape sequence: \\\(Character(Unicode.Scalar(c))) needs \(count) hexadecimal digits", at: start)
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error(String(format: "invalid escape sequence: U+%04X is not a Unicode scalar value", value), at: start)
            }
            return scalar
        default:
            throw error("invalid escape sequence \"\\\(c >= 0x20 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : describe(c))\" "
                + "(allowed: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: start)
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// A single-line literal string; `index` at the opening quote.
    private mutating func parseLiteralString() throws -> String {
        let open = index
        index += 1
        let start = index
        while true {
            guard let b = peek, b != 0x0A, !(b == 0x0D && peek(1) == 0x0A) else {
                throw error("unterminated string: no closing ' before the end of the line", at: open)
            }
            if b == UInt8(ascii: "'") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            if isControl(b) { throw error("control character \(describe(b)) is not allowed in a literal string") }
            index += 1
        }
    }

    /// After an opening `"""` or `'''`: skip one newline right after the delimiter.
    private mutating func skipFirstNewline() throws { _ = try consumeNewline() }

    /// A multi-line basic string; `index` at the opening `"""`.
    private mutating func parseMultilineBasicString() throws -> String {
        let open = index
        index += 3
        try skipFirstNewline()
        var scalars = String.UnicodeScalarView()
        var run = index
        func flush(_ end: Int, into scalars: inout String.UnicodeScalarView) {
            if run < end { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        }
        while true {
            guard let b = peek else { throw error("unterminated multi-line string: no closing \"\"\"", at: open) }
            if b == UInt8(ascii: "\""), peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                // Up to two more quotes right before the closing delimiter belong to the content.
                var quotes = 3
                while quotes < 5, peek(quotes) == UInt8(ascii: "\"") { quotes += 1 }
                flush(index + quotes - 3, into: &scalars)
                index += quotes
                return String(scalars)
            }
            if b == UInt8(ascii: "\\") {
                // A line-ending backslash trims the newline and the whitespace that follows.
                var probe = index + 1
                while probe < bytes.count, bytes[probe] == 0x20 || bytes[probe] == 0x09 { probe += 1 }
                if probe < bytes.count, bytes[probe] == 0x0A || (bytes[probe] == 0x0D && probe + 1 < bytes.count && bytes[probe + 1] == 0x0A) {
                    flush(index, into: &scalars)
                    index = probe
                    while true {
                        skipWhitespace()
                        if try !consumeNewline() { break }
                    }
                    run = index
                    continue
                }
                flush(index, into: &scalars)
                scalars.append(try parseEscape())
                run = index
                continue
            }
            if b == 0x0D {
                guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a newline") }
                index += 2
                continue
            }
            if b != 0x0A, isControl(b) { throw error("control character \(describe(b)) must be escaped in a string") }
            index += 1
        }
    }

    /// A multi-line literal string; `index` at the opening `'''`.
    private mutating func parseMultilineLiteralString() throws -> String {
        let open = index
        index += 3
        try skipFirstNewline()
        let start = index
        while true {
            guard let b = peek else { throw error("unterminated multi-line string: no closing '''", at: open) }
            if b == UInt8(ascii: "'"), peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                var quotes = 3
                while quotes < 5, peek(quotes) == UInt8(ascii: "'") { quotes += 1 }
                let end = index + quotes - 3
                index += quotes
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            if b == 0x0D {
                guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a newline") }
                index += 2
                continue
            }
            if b != 0x0A, isControl(b) { throw error("control character \(describe(b)) is not allowed in a literal string") }
            index += 1
        }
    }

    // MARK: Numbers, booleans, dates

    private static func isTokenByte(_ b: UInt8) -> Bool {
        isBareKeyByte(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
    }

    private mutating func parseScalar() throws -> TOMLValue {
        let start = index
        while let b = peek, Self.isTokenByte(b) { index += 1 }
        // A date and a time may be separated by one space: `1979-05-27 07:32:00Z`.
        if index - start == 10, peek == 0x20, let next = peek(1), next >= 0x30, next <= 0x39, bytes[start + 4] == UInt8(ascii: "-") {
            index += 1
            while let b = peek, Self.isTokenByte(b) { index += 1 }
        }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        guard !token.isEmpty else { throw error("expected a value, found \(describe(peek))") }
        switch token {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf", "-inf", "nan", "+nan", "-nan":
            throw error("\(token) is valid TOML but has no JSON equivalent, so it cannot be used here", at: start)
        default: break
        }
        let t = Array(token.utf8)
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        if (t.count >= 10 && t[0..<4].allSatisfy(isDigit) && t[4] == UInt8(ascii: "-"))
            || (t.count >= 8 && isDigit(t[0]) && isDigit(t[1]) && t[2] == UInt8(ascii: ":")) {
            guard let text = Self.dateTime(t) else { throw error("invalid date or time \"\(token)\"", at: start) }
            return .datetime(text)
        }
        if let first = t.first, isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            return try parseNumber(t, token: token, at: start)
        }
        throw error("invalid value \"\(token)\" (strings must be quoted)", at: start)
    }

    private func parseNumber(_ t: [UInt8], token: String, at start: Int) throws -> TOMLValue {
        func bad(_ why: String) -> TOMLError { error("invalid number \"\(token)\": \(why)", at: start) }
        // Radix integers: 0x, 0o, 0b (no sign).
        if t.count > 2, t[0] == UInt8(ascii: "0"), let radix: Int = [UInt8(ascii: "x"): 16, UInt8(ascii: "o"): 8, UInt8(ascii: "b"): 2][t[1]] {
            let digits = try Self.digits(t[2...], radix: radix, bad: bad)
            guard let value = Int64(digits, radix: radix) else { throw bad("out of the 64-bit integer range") }
            return .integer(value)
        }
        var body = t[...]
        var sign = ""
        if let s = body.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
            sign = s == UInt8(ascii: "-") ? "-" : ""
            body = body.dropFirst()
        }
        let exponentAt = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let dotAt = body.firstIndex(of: UInt8(ascii: "."))
        let intEnd = dotAt ?? exponentAt ?? body.endIndex
        let intPart = try Self.digits(body[body.startIndex..<intEnd], radix: 10, bad: bad)
        if intPart.count > 1, intPart.hasPrefix("0") { throw bad("leading zeros are not allowed") }
        if dotAt == nil, exponentAt == nil {
            guard let value = Int64(sign + intPart) else { throw bad("out of the 64-bit integer range") }
            return .integer(value)
        }
        var text = sign + intPart
        if let dotAt {
            if let exponentAt, exponentAt < dotAt { throw bad("the fraction must come before the exponent") }
            let fraction = try Self.digits(body[(dotAt + 1)..<(exponentAt ?? body.endIndex)], radix: 10, bad: bad)
            text += "." + fraction
        }
        if let exponentAt {
            var exponent = body[(exponentAt + 1)...]
            var exponentSign = ""
            if let s = exponent.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
                exponentSign = s == UInt8(ascii: "-") ? "-" : "+"
                exponent = exponent.dropFirst()
            }
            text += "e" + exponentSign + (try Self.digits(exponent, radix: 10, bad: bad))
        }
        guard let value = Double(text), value.isFinite else { throw bad("not a finite 64-bit float") }
        return .float(value)
    }

    /// Digits of `radix` with single underscores between digits; returns them without underscores.
    private static func digits(_ part: ArraySlice<UInt8>, radix: Int, bad: (String) -> TOMLError) throws -> String {
        guard !part.isEmpty else { throw bad("digits expected") }
        var out = ""
        var previousWasDigit = false
        for b in part {
            if b == UInt8(ascii: "_") {
                guard previousWasDigit else { throw bad("an underscore must be between two digits") }
                previousWasDigit = false
                continue
            }
            guard let value = hexValue(b), Int(value) < radix else {
                throw bad("\"\(Character(Unicode.Scalar(b)))\" is not a base-\(radix) digit")
            }
            out.append(Character(Unicode.Scalar(b)))
            previousWasDigit = true
        }
        guard previousWasDigit else { throw bad("an underscore must be between two digits") }
        return out
    }

    /// Validates an RFC 3339 date-time, date or time as TOML allows them; returns its text with `T`/`Z` upper-case.
    private static func dateTime(_ t: [UInt8]) -> String? {
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= t.count else { return nil }
            var value = 0
            for b in t[i..<(i + count)] {
                guard b >= 0x30, b <= 0x39 else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            i += count
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < t.count, t[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        func time() -> Bool {
            guard let h = number(2), h < 24, expect(":"), let m = number(2), m < 60, expect(":"), let s = number(2), s <= 60 else { return false }
            if i < t.count, t[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                while i < t.count, t[i] >= 0x30, t[i] <= 0x39 { i += 1 }
                if i == start { return false }
            }
            return true
        }
        var out = t
        if t.count >= 3, t[2] == UInt8(ascii: ":") {
            return time() && i == t.count ? String(decoding: t, as: UTF8.self) : nil
        }
        guard let year = number(4), expect("-"), let month = number(2), (1...12).contains(month), expect("-"), let day = number(2) else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return nil }
        if i == t.count { return String(decoding: t, as: UTF8.self) }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), 0x20].contains(t[i]) else { return nil }
        out[i] = UInt8(ascii: "T")
        i += 1
        guard time() else { return nil }
        if i == t.count { return String(decoding: out, as: UTF8.self) }
        if t[i] == UInt8(ascii: "Z") || t[i] == UInt8(ascii: "z") {
            out[i] = UInt8(ascii: "Z")
            i += 1
        } else {
            guard t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-") else { return nil }
            i += 1
            guard let h = number(2), h < 24, expect(":"), let m = number(2), m < 60 else { return nil }
        }
        return i == t.count ? String(decoding: out, as: UTF8.self) : nil
    }
}

// MARK: - JSON output

enum TOMLJSONWriter {
    static func write(_ value: TOMLValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s), .datetime(let s): writeString(s, into: &out)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .float(let d): out.append(contentsOf: "\(d)".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .tableArray(let array):
            write(.array(array.tables.map { .table($0) }), into: &out)
        case .table(let table):
            out.append(UInt8(ascii: "{"))
            for (i, key) in table.keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(table.values[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x00..<0x20, 0x7F: out.append(contentsOf: String(format: "\\u%04x", b).utf8)
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
