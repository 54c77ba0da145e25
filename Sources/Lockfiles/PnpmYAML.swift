import Foundation
import Yams

/// A YAML value as pnpm lockfiles use it (mappings keep document order).
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

/// Reads `pnpm-lock.yaml` text with a real YAML parser (libyaml through Yams), with pnpm's rules on top:
/// - a duplicated mapping key is an error, as js-yaml (which pnpm reads lockfiles with) refuses it;
/// - a file that starts with `---` and holds two documents is pnpm's combined lockfile: the first document is the
///   env lockfile (config dependencies), the second the main lockfile, which is the one read; more documents are an
///   error.
enum PnpmYAML {
    /// Parses `text` (from `file`, for messages) into the main lockfile document.
    /// - Throws: ``LockfileError`` naming the file, and the line where known.
    static func parse(_ text: String, file: String) throws -> YAMLValue {
        try checkNesting(text, file: file)
        let documents: [Node]
        do {
            documents = Array(try Yams.compose_all(yaml: text))
        } catch {
            throw LockfileError(file: file, message: "not valid YAML: \(error)")
        }
        let main: Node
        switch documents.count {
        case 0: throw LockfileError(file: file, message: "the file holds no YAML document")
        case 1: main = documents[0]
        case 2: main = documents[1]
        default:
            throw LockfileError(file: file, message: "\(documents.count) YAML documents; a pnpm lockfile holds one, "
                + "or an env document and the main one")
        }
        return try value(main, file: file)
    }

    /// Deeper nesting than this is refused before libyaml and Yams see the text (Yams composes recursively, so a
    /// hostile `{a: {a: …` would exhaust the stack); real lockfiles nest fewer than 10 levels.
    static let maxNesting = 64

    /// Refuses flow nesting (`[`, `{` outside quotes and comments) or block indentation deeper than ``maxNesting``.
    static func checkNesting(_ text: String, file: String) throws {
        var flow = 0
        var line = 1
        var atLineStart = true
        var indent = 0
        var quote: UInt8? = nil
        var comment = false
        var previous: UInt8 = 0x0A
        var escaped = false
        func refuse(_ what: String) -> LockfileError {
            LockfileError(file: file, message: "line \(line): \(what) nested deeper than \(maxNesting) levels")
        }
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == 0x0A {
                line += 1
                atLineStart = true
                indent = 0
                comment = false
                if quote == 0x27 || quote == 0x22 { continue }  // quoted scalars may span lines
                continue
            }
            if atLineStart {
                if byte == 0x20 || byte == 0x2D && quote == nil { indent += 1; continue }  // spaces and "- " markers
                atLineStart = false
                if quote == nil, indent / 2 > maxNesting { throw refuse("block structure") }
            }
            if comment { continue }
            if let open = quote {
                if open == 0x22 {
                    if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { quote = nil }
                } else if byte == 0x27 {
                    quote = nil  // '' (an escaped quote) closes and reopens: the same as staying inside
                }
                continue
            }
            switch byte {
            case 0x27, 0x22: quote = byte
            case 0x23 where previous == 0x20 || previous == 0x09 || previous == 0x0A: comment = true
            case 0x5B, 0x7B:
                flow += 1
                if flow > maxNesting { throw refuse("flow collections") }
            case 0x5D, 0x7D: flow = max(0, flow - 1)
            default: break
            }
        }
    }

    static func value(_ node: Node, file: String) throws -> YAMLValue {
        switch node {
        case .scalar(let scalar):
            // A plain `~`, `null` or empty scalar is YAML's null; a quoted one is a string.
            return scalar.style == .plain && NSNull.construct(from: scalar) != nil ? .null : .scalar(scalar.string)
        case .sequence(let sequence):
            return .sequence(try sequence.map { try value($0, file: file) })
        case .mapping(let mapping):
            var members: [String: YAMLValue] = [:]
            var order: [String] = []
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let key) = keyNode else {
                    throw LockfileError(file: file, message: "line \(keyNode.mark?.line ?? 0): a mapping key is not a scalar")
                }
                guard members[key.string] == nil else {
                    throw LockfileError(file: file, entry: key.string,
                                        message: "line \(keyNode.mark?.line ?? 0): duplicated mapping key \"\(key.string)\" "
                                            + "(pnpm refuses such a lockfile)")
                }
                members[key.string] = try value(valueNode, file: file)
                order.append(key.string)
            }
            return .mapping(members, order: order)
        }
    }
}
