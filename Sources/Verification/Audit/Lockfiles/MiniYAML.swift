import Foundation

/// A YAML value of the subset pnpm lockfiles use.
indirect enum YAMLValue: Hashable, Sendable {
    case scalar(String)
    case mapping([String: YAMLValue], order: [String])
    case sequence([YAMLValue])
    case null

    subscript(key: String) -> YAMLValue? {
        if case .mapping(let members, _) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    /// Mapping members in document order.
    var entries: [(String, YAMLValue)] {
        if case .mapping(let members, let order) = self { return order.compactMap { key in members[key].map { (key, $0) } } }
        return []
    }
}

/// A small YAML reader for the subset `pnpm-lock.yaml` uses: block mappings and sequences by indentation, plain,
/// single- and double-quoted scalars, quoted keys, and one-line flow mappings/sequences (`{integrity: sha512-…}`).
/// Anchors, tags, multi-line scalars and multi-document streams are rejected (fail closed).
struct MiniYAMLParser {
    struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    let file: String
    var lines: [Line] = []
    var position = 0
    var depth = 0

    init(_ text: String, file: String) throws {
        self.file = file
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed == "---" { continue }
            if line.hasPrefix("\t") {
                throw LockfileError(file: file, entry: "line \(index + 1)", message: "tab indentation is not YAML")
            }
            lines.append(Line(number: index + 1, indent: line.prefix { $0 == " " }.count, text: trimmed))
        }
    }

    static func parse(_ text: String, file: String) throws -> YAMLValue {
        var parser = try MiniYAMLParser(text, file: file)
        guard !parser.lines.isEmpty else { return .null }
        let value = try parser.block(indent: parser.lines[0].indent)
        if parser.position < parser.lines.count {
            throw parser.error(parser.lines[parser.position], "unexpected indentation")
        }
        return value
    }

    /// How deep block collections may nest (lockfiles need fewer than 10 levels); deeper input is an error,
    /// not a stack overflow.
    static let maxNesting = 100

    mutating func enterNesting(_ line: Line) throws {
        depth += 1
        if depth > Self.maxNesting {
            depth -= 1
            throw error(line, "nesting deeper than \(Self.maxNesting) levels")
        }
    }

    func error(_ line: Line, _ message: String) -> LockfileError {
        LockfileError(file: file, entry: "line \(line.number)", message: message)
    }

    mutating func block(indent: Int) throws -> YAMLValue {
        let first = lines[position]
        try enterNesting(first)
        defer { depth -= 1 }
        if first.text == "-" || first.text.hasPrefix("- ") { return try sequence(indent: indent) }
        var members: [String: YAMLValue] = [:]
        var order: [String] = []
        while position < lines.count, lines[position].indent == indent {
            let line = lines[position]
            if line.text.hasPrefix("- ") { throw error(line, "a sequence item inside a mapping") }
            let (key, rest) = try splitKey(line)
            position += 1
            let value: YAMLValue
            if let rest, !rest.isEmpty {
                value = try inlineValue(rest, line: line)
            } else if position < lines.count, lines[position].indent > indent {
                value = try block(indent: lines[position].indent)
            } else if position < lines.count, lines[position].indent == indent, lines[position].text.hasPrefix("- ") {
                value = try sequence(indent: indent)
            } else {
                value = .null
            }
            if members.updateValue(value, forKey: key) == nil { order.append(key) }
        }
        if position < lines.count, lines[position].indent > indent {
            throw error(lines[position], "unexpected indentation")
        }
        return .mapping(members, order: order)
    }

    mutating func sequence(indent: Int) throws -> YAMLValue {
        try enterNesting(lines[position])
        defer { depth -= 1 }
        var items: [YAMLValue] = []
        while position < lines.count, lines[position].indent == indent,
            lines[position].text == "-" || lines[position].text.hasPrefix("- ")
        {
            let line = lines[position]
            let rest = line.text == "-" ? "" : String(line.text.dropFirst(2)).trimmingCharacters(in: .whitespaces)
            if rest.isEmpty {
                position += 1
                items.append(position < lines.count && lines[position].indent > indent
                    ? try block(indent: lines[position].indent) : .null)
            } else if !rest.hasPrefix("{"), !rest.hasPrefix("["), !rest.hasPrefix("'"), !rest.hasPrefix("\""),
                rest.contains(": ") || rest.hasSuffix(":")
            {
                // "- key: value" starts a mapping indented past the dash.
                lines[position] = Line(number: line.number, indent: indent + 2, text: rest)
                items.append(try block(indent: indent + 2))
            } else {
                position += 1
                items.append(try inlineValue(rest, line: line))
            }
        }
        return .sequence(items)
    }

    /// Splits `key: value` (the key may be quoted). Returns the value text (nil when the line ends at the colon).
    func splitKey(_ line: Line) throws -> (String, String?) {
        let text = line.text
        if let quote = text.first, quote == "'" || quote == "\"" {
            var chars = Array(text)
            var index = 1
            var key = ""
            while index < chars.count {
                if chars[index] == quote {
                    if quote == "'", index + 1 < chars.count, chars[index + 1] == "'" {
                        key.append("'")
                        index += 2
                        continue
                    }
                    break
                }
                if quote == "\"", chars[index] == "\\", index + 1 < chars.count {
                    key.append(chars[index + 1])
                    index += 2
                    continue
                }
                key.append(chars[index])
                index += 1
            }
            guard index < chars.count, index + 1 < chars.count, chars[index + 1] == ":" else {
                throw error(line, "expected \"key: value\"")
            }
            chars = Array(chars[(index + 2)...])
            let rest = String(chars).trimmingCharacters(in: .whitespaces)
            return (key, rest.isEmpty ? nil : rest)
        }
        if let range = text.range(of: ": ") {
            return (String(text[..<range.lowerBound]), String(text[range.upperBound...]).trimmingCharacters(in: .whitespaces))
        }
        if text.hasSuffix(":") { return (String(text.dropLast()), nil) }
        throw error(line, "expected \"key: value\" or \"key:\"")
    }

    func inlineValue(_ text: String, line: Line) throws -> YAMLValue {
        if text.hasPrefix("&") || text.hasPrefix("*") || text.hasPrefix("!") || text.hasPrefix("|") || text.hasPrefix(">") {
            throw error(line, "anchors, aliases, tags and block scalars are not supported in a lockfile")
        }
        var scanner = FlowScanner(chars: Array(text), line: line, parser: self)
        let value = try scanner.value(inFlow: false)
        scanner.skipSpaces()
        if scanner.index < scanner.chars.count, scanner.chars[scanner.index] != "#" {
            throw error(line, "unexpected text after the value: \(String(scanner.chars[scanner.index...]))")
        }
        return value
    }

    struct FlowScanner {
        var chars: [Character]
        var index = 0
        var depth = 0
        let line: Line
        let parser: MiniYAMLParser

        init(chars: [Character], line: Line, parser: MiniYAMLParser) {
            self.chars = chars
            self.line = line
            self.parser = parser
        }

        mutating func skipSpaces() { while index < chars.count, chars[index] == " " { index += 1 } }

        mutating func value(inFlow: Bool) throws -> YAMLValue {
            skipSpaces()
            guard index < chars.count else { return .null }
            guard chars[index] == "{" || chars[index] == "[" else { return try unnestedValue(inFlow: inFlow) }
            depth += 1
            guard depth <= MiniYAMLParser.maxNesting else {
                throw parser.error(line, "flow collections nested deeper than \(MiniYAMLParser.maxNesting) levels")
            }
            defer { depth -= 1 }
            return try unnestedValue(inFlow: inFlow)
        }

        private mutating func unnestedValue(inFlow: Bool) throws -> YAMLValue {
            switch chars[index] {
            case "{":
                index += 1
                var members: [String: YAMLValue] = [:]
                var order: [String] = []
                while true {
                    skipSpaces()
                    guard index < chars.count else { throw parser.error(line, "unterminated {…}") }
                    if chars[index] == "}" { index += 1; break }
                    let itemStart = index
                    let key = try scalarText(stopAt: [":", ",", "}"])
                    skipSpaces()
                    var item: YAMLValue = .null
                    if index < chars.count, chars[index] == ":" {
                        index += 1
                        item = try value(inFlow: true)
                    }
                    if members.updateValue(item, forKey: key) == nil { order.append(key) }
                    skipSpaces()
                    if index < chars.count, chars[index] == "," { index += 1 }
                    // A character no rule consumes (e.g. `]` inside `{…}`) must not loop forever.
                    if index == itemStart { throw parser.error(line, "unexpected '\(chars[index])' in {…}") }
                }
                return .mapping(members, order: order)
            case "[":
                index += 1
                var items: [YAMLValue] = []
                while true {
                    skipSpaces()
                    guard index < chars.count else { throw parser.error(line, "unterminated […]") }
                    if chars[index] == "]" { index += 1; break }
                    let itemStart = index
                    items.append(try value(inFlow: true))
                    skipSpaces()
                    if index < chars.count, chars[index] == "," { index += 1 }
                    if index == itemStart { throw parser.error(line, "unexpected '\(chars[index])' in […]") }
                }
                return .sequence(items)
            default:
                let text = try scalarText(stopAt: inFlow ? [",", "}", "]"] : [])
                return text == "null" || text == "~" ? .null : .scalar(text)
            }
        }

        /// A quoted or plain scalar. Plain scalars end at a stop character (in flow), at " #", or at the end.
        mutating func scalarText(stopAt stops: Set<Character>) throws -> String {
            skipSpaces()
            guard index < chars.count else { return "" }
            let quote = chars[index]
            if quote == "'" || quote == "\"" {
                index += 1
                var text = ""
                while index < chars.count {
                    let c = chars[index]
                    if c == quote {
                        if quote == "'", index + 1 < chars.count, chars[index + 1] == "'" {
                            text.append("'")
                            index += 2
                            continue
                        }
                        index += 1
                        return text
                    }
                    if quote == "\"", c == "\\", index + 1 < chars.count {
                        let next = chars[index + 1]
                        text.append(next == "n" ? "\n" : next == "t" ? "\t" : next)
                        index += 2
                        continue
                    }
                    text.append(c)
                    index += 1
                }
                throw parser.error(line, "unterminated quoted string")
            }
            var text = ""
            while index < chars.count {
                let c = chars[index]
                if stops.contains(c) {
                    // In flow, ":" only ends a key when followed by a space or a delimiter.
                    if c == ":", index + 1 < chars.count, chars[index + 1] != " ", chars[index + 1] != ",",
                        chars[index + 1] != "}"
                    {
                        text.append(c)
                        index += 1
                        continue
                    }
                    break
                }
                if c == "#", text.last == " " { break }
                text.append(c)
                index += 1
            }
            return text.trimmingCharacters(in: .whitespaces)
        }
    }
}
