/// The npm-packlist / ignore-walk combination an npm CLI version used (finer than ``NPMGeneration``).
public enum PacklistFlavor: String, Codable, Sendable {
    /// npm 5.x, 6.0–6.9: npm-packlist 1.x before 1.4.2: package.json-first order.
    case packlist1Unsorted = "npm-packlist 1.x (<1.4.2)"
    /// npm 6.10+: npm-packlist 1.4.x: ext/basename/path order.
    case packlist1 = "npm-packlist 1.4.x"
    /// npm 7–8: npm-packlist 2.x–5.x: the 1.x walker (globbed `files`, readme anywhere) with only
    /// readme/copying/license/licence auto-included; npm 8 also drops `/pnpm-lock.yaml`.
    case packlist2to5 = "npm-packlist 2.x-5.x"
    /// npm 9.0–10.2.4: npm-packlist 7/8 on Arborist with ignore-walk before 6.0.4 (no nested-unignore fixes).
    case packlist8EarlyIgnoreWalk = "npm-packlist 7.x/8.x + ignore-walk <6.0.4"
    /// npm 10.2.5+ (npm 10.8.2 verified): npm-packlist 8 + ignore-walk ≥ 6.0.4.
    case packlist8 = "npm-packlist 8.x + ignore-walk >=6.0.4"
    /// npm 11 (11.17.0 verified): npm-packlist 10 (adds `/bun.lockb`), node-tar 7.
    case packlist10 = "npm-packlist 10.x"

    /// The flavor of an exact npm version, or the newest flavor of `generation` when the version is unknown.
    /// Boundaries: 6.10 (npm-packlist 1.4.2, June 2019) and 10.2.5 (ignore-walk 6.0.4, Dec 2023) are inferred from
    /// release dates and the fixtures, not measured.
    public init(generation: NPMGeneration, npmVersion: String?) {
        let numbers = npmVersion.map { version in
            version.trimmingPrefix("v").split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        } ?? []
        let major = numbers.first
        let minor = numbers.count > 1 ? numbers[1] : 0
        let patch = numbers.count > 2 ? numbers[2] : 0
        switch generation {
        case .npm4:
            self = .packlist1Unsorted
        case .npm6:
            guard let major else { self = .packlist1; return }
            self = major == 5 || (major == 6 && minor < 10) ? .packlist1Unsorted : .packlist1
        case .npm10:
            guard let major else { self = .packlist8; return }
            switch major {
            case 7, 8: self = .packlist2to5
            case 9: self = .packlist8EarlyIgnoreWalk
            default:
                self = (minor < 2 || (minor == 2 && patch < 5)) ? .packlist8EarlyIgnoreWalk : .packlist8
            }
        case .npm11:
            self = .packlist10
        }
    }

    /// Uses the npm-packlist 1.x–5.x walker (globbed `files` as the root listing).
    var usesLegacyWalker: Bool { [.packlist1Unsorted, .packlist1, .packlist2to5].contains(self) }
    /// The package.json-first order of npm-packlist < 1.4.2.
    var usesUnsortedOrder: Bool { self == .packlist1Unsorted }
    /// ignore-walk ≥ 6.0.4 semantics (`exact` re-entry, relative rules matched on the basename).
    var hasNestedRuleFixes: Bool { self == .packlist8 || self == .packlist10 }
    /// The names npm-packlist always keeps.
    var mustHaveNames: [String] {
        usesLegacyWalker && self != .packlist2to5
            ? ["readme", "copying", "license", "licence", "notice", "changes", "changelog", "history"]
            : ["readme", "copying", "license", "licence"]
    }
}
