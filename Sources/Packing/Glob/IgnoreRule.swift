/// One ignore/include rule as npm's file walker (ignore-walk + minimatch 9) understands it.
///
/// Compiled with the options ignore-walk uses: `matchBase`, `dot`, `flipNegate`, `nocase`. Supported glob syntax:
/// `*`, `?`, `**` (a whole path segment), `[...]` classes (with `!`/`^` negation, ranges, POSIX `[:alpha:]` names),
/// `\` escapes, brace expansion (`{a,b}`, `{1..3}`), and the extglobs `@(…)`, `?(…)`, `*(…)`, `+(…)`, `!(…)`.
/// Matching is case-insensitive, like minimatch with `nocase`.
public struct IgnoreRule: Sendable, CustomStringConvertible {
    /// The rule text as written (after trimming).
    public let source: String
    /// `true` when the rule starts with an odd number of `!`: a match means "include".
    public let negate: Bool
    /// minimatch's `globParts`: the brace-expanded alternatives split on `/`.
    let globParts: [[String]]
    /// The compiled alternatives (one segment matcher per path part).
    private let set: [[Segment]]
    private let isComment: Bool
    private let isEmpty: Bool

    public var description: String { source }

    /// Compiles one rule.
    public init(_ pattern: String) {
        source = pattern
        if pattern.hasPrefix("#") {
            isComment = true; isEmpty = false; negate = false; globParts = []; set = []; isRelativeRule = false
            return
        }
        if pattern.isEmpty {
            isComment = false; isEmpty = true; negate = false; globParts = []; set = []; isRelativeRule = false
            return
        }
        isComment = false
        isEmpty = false
        var body = Substring(pattern)
        var neg = false
        while body.first == "!" {
            neg.toggle()
            body = body.dropFirst()
        }
        negate = neg
        var seen = Set<String>()
        var expanded: [String] = []
        for alternative in BraceExpansion.expand(String(body)) where seen.insert(alternative).inserted {
            expanded.append(alternative)
        }
        let parts = expanded.map { IgnoreRule.levelOneOptimize(IgnoreRule.slashSplit($0)) }
        globParts = parts
        isRelativeRule = parts.contains { part in part.count <= ((part.last ?? "").isEmpty ? 2 : 1) }
        set = parts.map { $0.map(Segment.compile) }
    }

    /// The rules of one ignore file: lines split on `\n`/`\r\n`, trimmed; empty lines and `#` comments skipped.
    /// - Parameter trimRules: ignore-walk ≥ 5.0.1 trims each rule; older versions (npm ≤ 8.6) only used the trimmed
    ///   line to skip blanks and comments, keeping surrounding spaces in the pattern.
    public static func parseFile(_ text: String, trimRules: Bool = true) -> [IgnoreRule] {
        var rules: [IgnoreRule] = []
        // JS `split(/\r?\n/)`; note "\r\n" is one Swift Character, so split on scalars.
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(String(current))
        for line in lines {
            let trimmed = JSTrim.trim(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            rules.append(IgnoreRule(trimRules ? trimmed : line))
        }
        return rules
    }

    /// `minimatch.match(path, partial)` with `flipNegate`: `true` when the pattern (without its `!`) matches.
    public func matches(_ path: String, partial: Bool = false) -> Bool {
        matches(MatchInput(path.lowercased()), partial: partial)
    }

    /// Matching against a pre-split, lowercased path (see ``MatchInput``).
    func matches(_ input: MatchInput, partial: Bool) -> Bool {
        if isComment { return false }
        if isEmpty { return input.isEmptyPath }
        if input.isRoot && partial { return true }
        for pattern in set {
            if pattern.count == 1 {
                if IgnoreRule.matchOne(input.filename[...], pattern[...], partial: partial) { return true }
            } else if IgnoreRule.matchOne(input.parts[...], pattern[...], partial: partial) {
                return true
            }
        }
        return false
    }

    /// ignore-walk's "relative rule" test: a single part, or two parts of which the last is empty (`foo/`).
    let isRelativeRule: Bool

    // MARK: - minimatch internals

    static func slashSplit(_ string: String) -> [String] {
        // JS `split(/\/+/)`, on scalars (a "/" followed by a combining mark is one Swift Character).
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        var lastWasSlash = false
        for scalar in string.unicodeScalars {
            if scalar == "/" {
                if !lastWasSlash {
                    parts.append(String(current))
                    current = String.UnicodeScalarView()
                }
                lastWasSlash = true
            } else {
                current.append(scalar)
                lastWasSlash = false
            }
        }
        parts.append(String(current))
        return parts
    }

    static func levelOneOptimize(_ parts: [String]) -> [String] {
        var result: [String] = []
        for part in parts {
            let previous = result.last
            if part == "**" && previous == "**" { continue }
            if part == "..", let previous, previous != "..", previous != ".", previous != "**" {
                result.removeLast()
                continue
            }
            result.append(part)
        }
        return result.isEmpty ? [""] : result
    }

    private static func matchOne(_ file: ArraySlice<String>, _ pattern: ArraySlice<Segment>, partial: Bool) -> Bool {
        var fi = file.startIndex
        var pi = pattern.startIndex
        while fi < file.endIndex && pi < pattern.endIndex {
            let segment = pattern[pi]
            let name = file[fi]
            if case .globstar = segment {
                let pr = pi + 1
                if pr == pattern.endIndex {
                    while fi < file.endIndex {
                        if file[fi] == "." || file[fi] == ".." { return false }
                        fi += 1
                    }
                    return true
                }
                var fr = fi
                while fr < file.endIndex {
                    if matchOne(file[fr...], pattern[pr...], partial: partial) { return true }
                    let swallowee = file[fr]
                    if swallowee == "." || swallowee == ".." { break }
                    fr += 1
                }
                if partial && fr == file.endIndex { return true }
                return false
            }
            if !segment.matches(name) { return false }
            fi += 1
            pi += 1
        }
        if fi == file.endIndex && pi == pattern.endIndex { return true }
        if fi == file.endIndex { return partial }
        if pi == pattern.endIndex { return fi == file.endIndex - 1 && file[fi].isEmpty }
        return false
    }
}

/// A path prepared for matching: lowercased, split like JS `split(/\/+/)`, with minimatch's `matchBase` filename.
struct MatchInput {
    let parts: [String]
    let filename: [String]
    let isEmptyPath: Bool
    let isRoot: Bool

    /// `lowercasedPath` must already be lowercased.
    init(_ lowercasedPath: String) {
        isEmptyPath = lowercasedPath.isEmpty
        isRoot = lowercasedPath == "/"
        var parts: [String] = []
        var start = lowercasedPath.utf8.startIndex
        var index = start
        let utf8 = lowercasedPath.utf8
        var lastWasSlash = false
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                if !lastWasSlash { parts.append(String(lowercasedPath[start..<index])) }
                lastWasSlash = true
                start = utf8.index(after: index)
            } else {
                if lastWasSlash { start = index }
                lastWasSlash = false
            }
            index = utf8.index(after: index)
        }
        parts.append(lastWasSlash ? "" : String(lowercasedPath[start..<utf8.endIndex]))
        self.parts = parts
        var name = parts[parts.count - 1]
        if name.isEmpty {
            var i = parts.count - 2
            while name.isEmpty && i >= 0 {
                name = parts[i]
                i -= 1
            }
        }
        filename = [name]
    }
}

/// JavaScript `String.prototype.trim` (whitespace and line terminators).
enum JSTrim {
    static func isJSWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
             0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    static func trim<S: StringProtocol>(_ text: S) -> String {
        let scalars = Array(text.unicodeScalars)
        var lower = 0
        var upper = scalars.count
        while lower < upper && isJSWhitespace(scalars[lower]) { lower += 1 }
        while upper > lower && isJSWhitespace(scalars[upper - 1]) { upper -= 1 }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[lower..<upper])
        return String(result)
    }
}
