/// One compiled path part of a glob (minimatch `parse` result), matched case-insensitively.
enum Segment: Sendable {
    case globstar
    case literal(String)
    case pattern(SegmentPattern)

    static func compile(_ part: String) -> Segment {
        if part == "**" { return .globstar }
        if part.isEmpty { return .literal("") }
        let scalars = Array(part.lowercased().unicodeScalars)
        var index = 0
        let tokens = GlobParser.parseSequence(scalars, &index, stopAtBar: false)
        if let literal = GlobParser.literalText(tokens) { return .literal(literal) }
        return .pattern(SegmentPattern(tokens: tokens))
    }

    /// `name` must already be lowercased.
    func matches(_ name: String) -> Bool {
        switch self {
        case .globstar: return true
        case .literal(let text): return name == text
        case .pattern(let pattern): return pattern.matches(name)
        }
    }
}

indirect enum GlobToken: Sendable {
    case scalar(Unicode.Scalar)
    case any
    case star
    case charClass(ClassSpec)
    case extglob(Character, [[GlobToken]])
}

struct ClassSpec: Sendable {
    var negated: Bool
    var singles: Set<Unicode.Scalar>
    var ranges: [ClosedRange<UInt32>]
    var named: [String]

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var hit = singles.contains(scalar) || ranges.contains { $0.contains(scalar.value) }
        if !hit {
            for name in named where ClassSpec.namedClass(name, scalar) {
                hit = true
                break
            }
        }
        return hit != negated
    }

    static func namedClass(_ name: String, _ scalar: Unicode.Scalar) -> Bool {
        let p = scalar.properties
        switch name {
        case "alnum": return p.isAlphabetic || p.numericType != nil
        case "alpha": return p.isAlphabetic
        case "ascii": return scalar.value < 0x80
        case "blank": return scalar == " " || scalar == "\t"
        case "cntrl": return p.generalCategory == .control
        case "digit": return ("0"..."9").contains(scalar)
        case "graph": return !p.isWhitespace && p.generalCategory != .control && scalar != " "
        case "lower": return p.isLowercase
        case "print": return p.generalCategory != .control
        case "punct": return [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                              .initialPunctuation, .finalPunctuation, .otherPunctuation, .mathSymbol,
                              .currencySymbol, .modifierSymbol, .otherSymbol].contains(p.generalCategory)
        case "space": return p.isWhitespace
        case "upper": return p.isUppercase
        case "word": return p.isAlphabetic || p.numericType != nil || scalar == "_"
        case "xdigit": return ("0"..."9").contains(scalar) || ("a"..."f").contains(scalar) || ("A"..."F").contains(scalar)
        default: return false
        }
    }
}

enum GlobParser {
    static let extglobIntroducers: Set<Unicode.Scalar> = ["@", "!", "?", "+", "*"]

    /// Parses until the end, or (inside an extglob) until an unmatched `|` or `)`.
    static func parseSequence(_ s: [Unicode.Scalar], _ i: inout Int, stopAtBar: Bool) -> [GlobToken] {
        var tokens: [GlobToken] = []
        while i < s.count {
            let c = s[i]
            if stopAtBar && (c == "|" || c == ")") { return tokens }
            if extglobIntroducers.contains(c), i + 1 < s.count, s[i + 1] == "(",
               let (alternatives, end) = parseExtglob(s, i + 2) {
                tokens.append(.extglob(Character(c), alternatives))
                i = end
                continue
            }
            switch c {
            case "\\":
                if i + 1 < s.count {
                    tokens.append(.scalar(s[i + 1]))
                    i += 2
                } else {
                    tokens.append(.scalar(c))
                    i += 1
                }
            case "*":
                if case .star? = tokens.last {} else { tokens.append(.star) }
                i += 1
            case "?":
                tokens.append(.any)
                i += 1
            case "[":
                if let (spec, end) = parseClass(s, i + 1) {
                    tokens.append(.charClass(spec))
                    i = end
                } else {
                    tokens.append(.scalar(c))
                    i += 1
                }
            default:
                tokens.append(.scalar(c))
                i += 1
            }
        }
        return tokens
    }

    /// Parses `…|…)` starting after `(`; returns the alternatives and the index after `)`, or nil if unclosed.
    static func parseExtglob(_ s: [Unicode.Scalar], _ start: Int) -> ([[GlobToken]], Int)? {
        var i = start
        var alternatives: [[GlobToken]] = []
        while true {
            let alternative = parseSequence(s, &i, stopAtBar: true)
            alternatives.append(alternative)
            guard i < s.count else { return nil }
            if s[i] == ")" { return (alternatives, i + 1) }
            i += 1  // "|"
        }
    }

    static func parseClass(_ s: [Unicode.Scalar], _ start: Int) -> (ClassSpec, Int)? {
        var i = start
        var spec = ClassSpec(negated: false, singles: [], ranges: [], named: [])
        if i < s.count && (s[i] == "!" || s[i] == "^") {
            spec.negated = true
            i += 1
        }
        var first = true
        while i < s.count {
            var c = s[i]
            if c == "]" && !first { return (spec, i + 1) }
            first = false
            if c == "[" && i + 1 < s.count && s[i + 1] == ":" {
                var j = i + 2
                var name = ""
                while j + 1 < s.count && !(s[j] == ":" && s[j + 1] == "]") {
                    name.unicodeScalars.append(s[j])
                    j += 1
                }
                if j + 1 < s.count {
                    spec.named.append(name)
                    i = j + 2
                    continue
                }
            }
            if c == "\\" && i + 1 < s.count {
                i += 1
                c = s[i]
            }
            if i + 2 < s.count && s[i + 1] == "-" && s[i + 2] != "]" {
                var upper = s[i + 2]
                var next = i + 3
                if upper == "\\" && i + 3 < s.count {
                    upper = s[i + 3]
                    next = i + 4
                }
                if c.value <= upper.value { spec.ranges.append(c.value...upper.value) }
                i = next
                continue
            }
            spec.singles.insert(c)
            i += 1
        }
        return nil
    }

    static func literalText(_ tokens: [GlobToken]) -> String? {
        var text = String.UnicodeScalarView()
        for token in tokens {
            guard case .scalar(let scalar) = token else { return nil }
            text.append(scalar)
        }
        return String(text)
    }
}

/// A compiled magic segment.
struct SegmentPattern: Sendable {
    let tokens: [GlobToken]
    private let onlyStars: Bool
    private let suffix: [Unicode.Scalar]?  // `*literal`
    private let prefix: [Unicode.Scalar]?  // `literal*`

    init(tokens: [GlobToken]) {
        self.tokens = tokens
        onlyStars = tokens.allSatisfy { if case .star = $0 { return true } else { return false } }
        if tokens.count >= 1, case .star = tokens[0], let rest = GlobParser.literalText(Array(tokens.dropFirst())) {
            suffix = Array(rest.unicodeScalars)
        } else {
            suffix = nil
        }
        if tokens.count >= 1, case .star = tokens[tokens.count - 1],
           let rest = GlobParser.literalText(Array(tokens.dropLast())) {
            prefix = Array(rest.unicodeScalars)
        } else {
            prefix = nil
        }
    }

    func matches(_ name: String) -> Bool {
        if onlyStars { return !name.isEmpty && name != "." && name != ".." }
        let s = Array(name.unicodeScalars)
        if let suffix { return s.count >= suffix.count && Array(s.suffix(suffix.count)) == suffix }
        if let prefix { return s.count >= prefix.count && Array(s.prefix(prefix.count)) == prefix }
        return SegmentPattern.match(tokens[...], s[...])
    }

    static func match(_ tokens: ArraySlice<GlobToken>, _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let token = tokens.first else { return s.isEmpty }
        let rest = tokens.dropFirst()
        switch token {
        case .scalar(let c):
            guard let f = s.first, f == c else { return false }
            return match(rest, s.dropFirst())
        case .any:
            guard !s.isEmpty else { return false }
            return match(rest, s.dropFirst())
        case .charClass(let spec):
            guard let f = s.first, spec.contains(f) else { return false }
            return match(rest, s.dropFirst())
        case .star:
            if rest.isEmpty { return true }
            var k = s.startIndex
            while k <= s.endIndex {
                if match(rest, s[k...]) { return true }
                k += 1
            }
            return false
        case .extglob(let kind, let alternatives):
            var k = s.startIndex
            while k <= s.endIndex {
                if extMatch(kind, alternatives, s[s.startIndex..<k]) && match(rest, s[k...]) { return true }
                k += 1
            }
            return false
        }
    }

    static func anyAlternative(_ alternatives: [[GlobToken]], _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        alternatives.contains { match($0[...], s) }
    }

    static func extMatch(_ kind: Character, _ alternatives: [[GlobToken]], _ s: ArraySlice<Unicode.Scalar>) -> Bool {
        switch kind {
        case "@": return anyAlternative(alternatives, s)
        case "?": return s.isEmpty || anyAlternative(alternatives, s)
        case "!": return !anyAlternative(alternatives, s)
        case "*", "+":
            if s.isEmpty { return kind == "*" }
            var mid = s.startIndex + 1
            while mid <= s.endIndex {
                if anyAlternative(alternatives, s[s.startIndex..<mid])
                    && (mid == s.endIndex || extMatch("*", alternatives, s[mid...])) {
                    return true
                }
                mid += 1
            }
            return false
        default: return false
        }
    }
}

/// Bash-style brace expansion as the `brace-expansion` package does it for minimatch.
enum BraceExpansion {
    static func expand(_ pattern: String) -> [String] {
        var text = pattern
        if text.hasPrefix("{}") { text = "\\{\\}" + text.dropFirst(2) }
        return expandScalars(Array(text.unicodeScalars)).map { String(String.UnicodeScalarView($0)) }
    }

    private static func expandScalars(_ s: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        // find the first balanced {...}
        var i = 0
        while i < s.count {
            if s[i] == "\\" { i += 2; continue }
            if s[i] == "{" {
                var depth = 0
                var j = i
                var close: Int?
                while j < s.count {
                    if s[j] == "\\" { j += 2; continue }
                    if s[j] == "{" { depth += 1 }
                    if s[j] == "}" {
                        depth -= 1
                        if depth == 0 { close = j; break }
                    }
                    j += 1
                }
                guard let close else { return [s] }
                let pre = Array(s[..<i])
                let body = Array(s[(i + 1)..<close])
                let post = Array(s[(close + 1)...])
                let postExpanded = expandScalars(post)
                if let sequence = sequence(body) {
                    return sequence.flatMap { item in postExpanded.map { pre + item + $0 } }
                }
                let alternatives = splitTopLevelCommas(body)
                if alternatives.count < 2 {
                    // Not a set: keep the braces literally and expand what follows.
                    return postExpanded.map { pre + ["{"] + body + ["}"] + $0 }
                }
                var result: [[Unicode.Scalar]] = []
                for alternative in alternatives {
                    for expanded in expandScalars(alternative) {
                        for tail in postExpanded { result.append(pre + expanded + tail) }
                    }
                }
                return result
            }
            i += 1
        }
        return [s]
    }

    private static func splitTopLevelCommas(_ body: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var parts: [[Unicode.Scalar]] = [[]]
        var depth = 0
        var i = 0
        while i < body.count {
            let c = body[i]
            if c == "\\" && i + 1 < body.count {
                parts[parts.count - 1].append(c)
                parts[parts.count - 1].append(body[i + 1])
                i += 2
                continue
            }
            if c == "{" { depth += 1 }
            if c == "}" { depth -= 1 }
            if c == "," && depth == 0 {
                parts.append([])
            } else {
                parts[parts.count - 1].append(c)
            }
            i += 1
        }
        return parts
    }

    private static func sequence(_ body: [Unicode.Scalar]) -> [[Unicode.Scalar]]? {
        let text = String(String.UnicodeScalarView(body))
        let pieces = text.components(separatedBy: "..")
        guard pieces.count == 2 || pieces.count == 3 else { return nil }
        let step = pieces.count == 3 ? Int(pieces[2]).map { Swift.abs($0) } : 1
        guard let step, step > 0 else { return nil }
        if let a = Int(pieces[0]), let b = Int(pieces[1]) {
            let values = a <= b ? Array(stride(from: a, through: b, by: step)) : Array(stride(from: a, through: b, by: -step))
            return values.map { Array(String($0).unicodeScalars) }
        }
        let sa = Array(pieces[0].unicodeScalars)
        let sb = Array(pieces[1].unicodeScalars)
        if sa.count == 1, sb.count == 1, sa[0].properties.isAlphabetic, sb[0].properties.isAlphabetic {
            let a = Int(sa[0].value)
            let b = Int(sb[0].value)
            let values = a <= b ? Array(stride(from: a, through: b, by: step)) : Array(stride(from: a, through: b, by: -step))
            return values.compactMap { Unicode.Scalar(UInt32($0)).map { [$0] } }
        }
        return nil
    }
}
