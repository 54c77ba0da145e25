// Package specs as npm reads them: `name@1.2.3` (a version), `name@latest` (a dist-tag), `name@^4` (a semver
// range), and the choice npm makes among a packument's versions (npm-pick-manifest's rules).

/// A semantic version (semver 2.0.0), ordered by precedence; build metadata is kept but never compared.
public struct SemanticVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// One dot-separated pre-release identifier.
    public enum Identifier: Comparable, Hashable, Sendable, CustomStringConvertible {
        /// Digits only: compared numerically, and lower than any alphanumeric identifier.
        case numeric(UInt64)
        /// Anything else: compared as ASCII strings.
        case alphanumeric(String)

        public static func < (lhs: Identifier, rhs: Identifier) -> Bool {
            switch (lhs, rhs) {
            case (.numeric(let a), .numeric(let b)): a < b
            case (.numeric, .alphanumeric): true
            case (.alphanumeric, .numeric): false
            case (.alphanumeric(let a), .alphanumeric(let b)): Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
        }

        public var description: String {
            switch self {
            case .numeric(let n): String(n)
            case .alphanumeric(let s): s
            }
        }
    }

    /// The major version.
    public var major: UInt64
    /// The minor version.
    public var minor: UInt64
    /// The patch version.
    public var patch: UInt64
    /// Pre-release identifiers (`1.0.0-beta.2` → `beta`, `2`); empty for a release.
    public var prerelease: [Identifier]
    /// Build metadata (`+sha.abc`), ignored in comparisons.
    public var build: [String]

    /// Makes a version.
    public init(major: UInt64, minor: UInt64, patch: UInt64, prerelease: [Identifier] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses `1.2.3`, `1.2.3-rc.1+build`; as npm's loose reading, a leading `v` or `=` and surrounding spaces
    /// are allowed. Returns `nil` for anything else.
    public init?(_ text: String) {
        var body = Substring(text.trimmingSpaces)
        while body.first == "=" || body.first == "v" || body.first == "V" { body = body.dropFirst() }
        body = Substring(String(body).trimmingSpaces)
        var buildPart: [String] = []
        if let plus = body.firstIndex(of: "+") {
            buildPart = body[body.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard buildPart.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isIdentifierCharacter) }) else { return nil }
            body = body[..<plus]
        }
        var prereleasePart: [Identifier] = []
        if let dash = body.firstIndex(of: "-") {
            let pieces = body[body.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
            for piece in pieces {
                guard !piece.isEmpty, piece.allSatisfy(Self.isIdentifierCharacter) else { return nil }
                if piece.allSatisfy(\.isASCIIDigit) {
                    guard piece == "0" || piece.first != "0", let n = UInt64(piece) else { return nil }
                    prereleasePart.append(.numeric(n))
                } else {
                    prereleasePart.append(.alphanumeric(String(piece)))
                }
            }
            body = body[..<dash]
        }
        let numbers = body.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var values: [UInt64] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), number == "0" || number.first != "0",
                  let value = UInt64(number), value <= 9_007_199_254_740_991 else { return nil }
            values.append(value)
        }
        self.init(major: values[0], minor: values[1], patch: values[2], prerelease: prereleasePart, build: buildPart)
    }

    static func isIdentifierCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-")
    }

    /// Whether this is a pre-release (`1.0.0-rc.1`).
    public var isPrerelease: Bool { !prerelease.isEmpty }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true): return false
        case (true, false): return false
        case (false, true): return true
        case (false, false): return lhs.prerelease.lexicographicallyPrecedes(rhs.prerelease)
        }
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// `major.minor.patch[-prerelease]` (no build metadata, as npm prints versions).
    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.map(\.description).joined(separator: "."))
    }
}

/// A semver range in npm's syntax (node-semver): `^1.2.3`, `~1.2`, `1.x`, `>=1 <2`, `1.2.3 - 2.3`, `a || b`.
///
/// As in npm, a pre-release version satisfies a range only when a comparator of the same set names a pre-release
/// of the same `major.minor.patch`.
public struct VersionRange: Sendable, CustomStringConvertible {
    /// One comparison.
    struct Comparator: Sendable {
        enum Operator: String, Sendable { case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "=" }
        var op: Operator
        var version: SemanticVersion

        func test(_ v: SemanticVersion) -> Bool {
            switch op {
            case .lt: v < version
            case .le: v <= version
            case .gt: v > version
            case .ge: v >= version
            case .eq: v == version
            }
        }
    }

    /// The alternatives (`||`); each is a conjunction of comparators (an empty one matches every release).
    let sets: [[Comparator]]
    /// The range as written.
    public let text: String

    /// Parses a range; `nil` when `text` is not one (then npm reads it as a dist-tag).
    public init?(_ text: String) {
        self.text = text
        var sets: [[Comparator]] = []
        for alternative in text.components(separatedBy: "||") {
            guard let set = Self.parseSet(alternative.trimmingSpaces) else { return nil }
            sets.append(set)
        }
        self.sets = sets
    }

    /// Whether `version` is in the range (pre-releases only as described above).
    public func contains(_ version: SemanticVersion) -> Bool {
        sets.contains { set in
            guard set.allSatisfy({ $0.test(version) }) else { return false }
            guard version.isPrerelease else { return true }
            return set.contains { c in
                c.version.isPrerelease && c.version.major == version.major && c.version.minor == version.minor
                    && c.version.patch == version.patch
            }
        }
    }

    public var description: String { text }

    /// A partial version: `1`, `1.2`, `1.2.x`, `*`, `1.2.3-rc.1`.
    struct Partial {
        var major: UInt64?
        var minor: UInt64?
        var patch: UInt64?
        var prerelease: [SemanticVersion.Identifier] = []

        var full: SemanticVersion? {
            guard let major, let minor, let patch else { return nil }
            return SemanticVersion(major: major, minor: minor, patch: patch, prerelease: prerelease)
        }

        static func parse(_ text: Substring) -> Partial? {
            var body = text
            while body.first == "=" || body.first == "v" || body.first == "V" { body = body.dropFirst() }
            if body.isEmpty { return Partial() }
            if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
            var pre: [SemanticVersion.Identifier] = []
            if let dash = body.firstIndex(of: "-") {
                guard let v = SemanticVersion("0.0.0" + body[dash...]) else { return nil }
                pre = v.prerelease
                body = body[..<dash]
            }
            let parts = body.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...3).contains(parts.count) else { return nil }
            var values: [UInt64?] = []
            var wildcardSeen = false
            for part in parts {
                if part == "x" || part == "X" || part == "*" {
                    wildcardSeen = true
                    values.append(nil)
                    continue
                }
                guard !wildcardSeen, !part.isEmpty, part.allSatisfy(\.isASCIIDigit), let n = UInt64(part) else { return nil }
                values.append(n)
            }
            while values.count < 3 { values.append(nil) }
            if !pre.isEmpty && values.contains(where: { $0 == nil }) { return nil }
            return Partial(major: values[0], minor: values[1], patch: values[2], prerelease: pre)
        }
    }

    private static func v(_ major: UInt64, _ minor: UInt64, _ patch: UInt64, _ pre: [SemanticVersion.Identifier] = [])
        -> SemanticVersion {
        SemanticVersion(major: major, minor: minor, patch: patch, prerelease: pre)
    }

    /// `X.Y.Z-0`: the lowest version with that number (an exclusive upper bound that keeps pre-releases out).
    private static func floor(_ major: UInt64, _ minor: UInt64, _ patch: UInt64) -> SemanticVersion {
        v(major, minor, patch, [.numeric(0)])
    }

    private static func parseSet(_ text: String) -> [Comparator]? {
        if text.isEmpty { return [] }
        // Hyphen range: `A - B`.
        let hyphenParts = text.components(separatedBy: " - ")
        if hyphenParts.count == 2 {
            guard let low = Partial.parse(Substring(hyphenParts[0].trimmingSpaces)),
                  let high = Partial.parse(Substring(hyphenParts[1].trimmingSpaces)) else { return nil }
            var set: [Comparator] = []
            if let major = low.major {
                set.append(Comparator(op: .ge, version: v(major, low.minor ?? 0, low.patch ?? 0, low.prerelease)))
            }
            if let major = high.major {
                if let minor = high.minor {
                    if let patch = high.patch {
                        set.append(Comparator(op: .le, version: v(major, minor, patch, high.prerelease)))
                    } else {
                        set.append(Comparator(op: .lt, version: floor(major, minor + 1, 0)))
                    }
                } else {
                    set.append(Comparator(op: .lt, version: floor(major + 1, 0, 0)))
                }
            }
            return set
        } else if hyphenParts.count > 2 {
            return nil
        }
        // Join an operator with the version after it (`>= 1.2` → `>=1.2`), then split on spaces.
        var tokens: [String] = []
        var pendingOperator: String? = nil
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            if ["<", "<=", ">", ">=", "=", "~", "~>", "^"].contains(word) {
                guard pendingOperator == nil else { return nil }
                pendingOperator = word
                continue
            }
            tokens.append((pendingOperator ?? "") + word)
            pendingOperator = nil
        }
        guard pendingOperator == nil else { return nil }
        var set: [Comparator] = []
        for token in tokens {
            guard let comparators = parseComparator(Substring(token)) else { return nil }
            set += comparators
        }
        return set
    }

    private static func parseComparator(_ token: Substring) -> [Comparator]? {
        if token.hasPrefix("~>") || token.hasPrefix("~") {
            guard let p = Partial.parse(token.dropFirst(token.hasPrefix("~>") ? 2 : 1)) else { return nil }
            guard let major = p.major else { return [] }
            guard let minor = p.minor else {
                return [Comparator(op: .ge, version: v(major, 0, 0)), Comparator(op: .lt, version: floor(major + 1, 0, 0))]
            }
            return [Comparator(op: .ge, version: v(major, minor, p.patch ?? 0, p.prerelease)),
                    Comparator(op: .lt, version: floor(major, minor + 1, 0))]
        }
        if token.hasPrefix("^") {
            guard let p = Partial.parse(token.dropFirst()) else { return nil }
            guard let major = p.major else { return [] }
            guard let minor = p.minor else {
                return [Comparator(op: .ge, version: v(major, 0, 0)), Comparator(op: .lt, version: floor(major + 1, 0, 0))]
            }
            let low = Comparator(op: .ge, version: v(major, minor, p.patch ?? 0, p.prerelease))
            let high: SemanticVersion
            if major > 0 {
                high = floor(major + 1, 0, 0)
            } else if minor > 0 || p.patch == nil {
                high = p.patch == nil && minor == 0 ? floor(0, 1, 0) : floor(0, minor + 1, 0)
            } else {
                high = floor(0, 0, p.patch! + 1)
            }
            return [low, Comparator(op: .lt, version: high)]
        }
        var op: Comparator.Operator? = nil
        var rest = token
        for candidate in [Comparator.Operator.ge, .le, .gt, .lt, .eq] where rest.hasPrefix(candidate.rawValue) {
            op = candidate
            rest = rest.dropFirst(candidate.rawValue.count)
            break
        }
        guard let p = Partial.parse(rest) else { return nil }
        if let full = p.full { return [Comparator(op: op ?? .eq, version: full)] }
        // An x-range.
        guard let major = p.major else {
            // `*`: everything, except `<*` and `>*`, which match nothing.
            if op == .lt || op == .gt { return [Comparator(op: .lt, version: floor(0, 0, 0))] }
            return []
        }
        switch op {
        case nil, .eq:
            if let minor = p.minor {
                return [Comparator(op: .ge, version: v(major, minor, 0)), Comparator(op: .lt, version: floor(major, minor + 1, 0))]
            }
            return [Comparator(op: .ge, version: v(major, 0, 0)), Comparator(op: .lt, version: floor(major + 1, 0, 0))]
        case .gt:
            if let minor = p.minor { return [Comparator(op: .ge, version: v(major, minor + 1, 0))] }
            return [Comparator(op: .ge, version: v(major + 1, 0, 0))]
        case .ge:
            return [Comparator(op: .ge, version: v(major, p.minor ?? 0, 0))]
        case .lt:
            return [Comparator(op: .lt, version: floor(major, p.minor ?? 0, 0))]
        case .le:
            if let minor = p.minor { return [Comparator(op: .lt, version: floor(major, minor + 1, 0))] }
            return [Comparator(op: .lt, version: floor(major + 1, 0, 0))]
        }
    }
}

/// What follows `name@` in a package spec, read as npm reads it (npm-package-arg): a version, else a range,
/// else a dist-tag.
public enum VersionSelector: Sendable, Hashable, CustomStringConvertible {
    /// An exact version (`1.2.3`, `v1.2.3`): only that one.
    case version(String)
    /// A semver range (`^4`, `4`, `~1.2`, `>=1 <2`, `*`).
    case range(String)
    /// A dist-tag (`latest`, `next`).
    case tag(String)

    /// Reads `text` (the part after `@`).
    public init(_ text: String) {
        if let version = SemanticVersion(text) {
            self = .version(version.description)
        } else if VersionRange(text) != nil {
            self = .range(text)
        } else {
            self = .tag(text)
        }
    }

    public var description: String {
        switch self {
        case .version(let v): v
        case .range(let r): r
        case .tag(let t): t
        }
    }
}

/// A spec that names no version of the packument.
public struct VersionSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The package name.
    public var name: String
    /// The selector asked for.
    public var selector: String
    /// What went wrong.
    public var problem: String

    public var description: String { "\(name)@\(selector): \(problem)" }
}

extension Packument {
    /// Whether a version's manifest is deprecated (a non-empty `deprecated` string).
    func isDeprecated(_ version: String) -> Bool {
        if case .string(let message)? = versions[version]?.raw["deprecated"] { return !message.isEmpty }
        return false
    }

    /// The version npm would pick for `selector` (npm-pick-manifest's rules, without the engine and time checks):
    /// a tag → the version it points to; a version → itself; a range → the `latest` tag when it is in the range
    /// and not deprecated, else the highest version in the range, non-deprecated versions first.
    ///
    /// - Throws: ``VersionSelectionError`` when the tag does not exist or no version matches (npm's `ETARGET`).
    public func selectVersion(_ selector: VersionSelector) throws -> String {
        switch selector {
        case .version(let version):
            guard versions[version] != nil else {
                throw VersionSelectionError(name: name, selector: version,
                                            problem: "no such version" + (distTags["latest"].map { " (latest is \($0))" } ?? ""))
            }
            return version
        case .tag(let tag):
            guard let version = distTags[tag] else {
                let known = distTags.keys.sorted().joined(separator: ", ")
                throw VersionSelectionError(name: name, selector: tag,
                                            problem: "no dist-tag \"\(tag)\" (tags: \(known.isEmpty ? "none" : known))")
            }
            guard versions[version] != nil else {
                throw VersionSelectionError(name: name, selector: tag,
                                            problem: "dist-tag \"\(tag)\" points to \(version), which the packument does not list")
            }
            return version
        case .range(let text):
            guard let range = VersionRange(text) else {
                throw VersionSelectionError(name: name, selector: text, problem: "not a semver range")
            }
            if let latest = distTags["latest"], let parsed = SemanticVersion(latest), range.contains(parsed),
               versions[latest] != nil, !isDeprecated(latest) {
                return latest
            }
            let candidates = versions.keys.compactMap { key in SemanticVersion(key).map { (key, $0) } }
                .filter { range.contains($0.1) }
            let best = candidates.max { a, b in
                let (da, db) = (isDeprecated(a.0), isDeprecated(b.0))
                if da != db { return da }
                return a.1 < b.1
            }
            guard let best else {
                throw VersionSelectionError(name: name, selector: text,
                                            problem: "no version matches (\(versions.count) version(s) published"
                                                + (distTags["latest"].map { ", latest \($0)" } ?? "") + ")")
            }
            return best.0
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension Character {
    /// `0`…`9` only (not other Unicode digits).
    fileprivate var isASCIIDigit: Bool { isASCII && ("0"..."9").contains(self) }
}
