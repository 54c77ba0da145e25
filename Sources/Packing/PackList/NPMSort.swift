import Foundation

/// npm-packlist's tar order: one global, stable sort by lowercased extension, then lowercased basename,
/// then the whole path, each compared with ICU collation for locale `en` (`String.localeCompare(…, 'en')`).
///
/// Foundation on Linux compares with ICU when given a locale, which matches V8's `Intl.Collator('en')` defaults
/// (tertiary strength, punctuation not ignored, no numeric ordering). Byte order would be wrong.
public enum NPMSort {
    static let english = Locale(identifier: "en")

    /// `a.localeCompare(b, 'en')`.
    public static func localeCompare(_ a: String, _ b: String) -> ComparisonResult {
        if a == b { return .orderedSame }
        return a.compare(b, options: [], range: nil, locale: english)
    }

    /// Sorts paths the way npm-packlist does (stable: ties keep input order).
    public static func sort(_ paths: [String]) -> [String] {
        struct Key {
            let index: Int
            let path: String
            let ext: String
            let base: String
        }
        let keys = paths.enumerated().map { index, path in
            Key(index: index, path: path, ext: PosixPath.extname(path).lowercased(),
                base: PosixPath.basename(path).lowercased())
        }
        let sorted = keys.sorted { a, b in
            var order = localeCompare(a.ext, b.ext)
            if order == .orderedSame { order = localeCompare(a.base, b.base) }
            if order == .orderedSame { order = localeCompare(a.path, b.path) }
            if order == .orderedSame { return a.index < b.index }
            return order == .orderedAscending
        }
        return sorted.map(\.path)
    }

    /// npm-packlist < 1.4.2 (npm 5 and npm 6 before 6.10, and fstream-era npm ≤ 4 as far as it matters):
    /// `package.json` first, `node_modules` last, root files before nested ones, then `a.localeCompare(b)`.
    public static func legacySort(_ paths: [String]) -> [String] {
        func isNodeModules(_ path: String) -> Bool { path.hasPrefix("node_modules") }
        func isRoot(_ path: String) -> Bool { PosixPath.dirname(path) == "." }
        let indexed = Array(paths.enumerated())
        return indexed.sorted { lhs, rhs in
            let (a, b) = (lhs.element, rhs.element)
            if a == "package.json" || b == "package.json" {
                return a == "package.json" && b != "package.json" ? true : (a == b && lhs.offset < rhs.offset)
            }
            if isNodeModules(a) != isNodeModules(b) { return isNodeModules(b) }
            if isRoot(a) != isRoot(b) { return isRoot(a) }
            let order = localeCompare(a, b)
            if order == .orderedSame { return lhs.offset < rhs.offset }
            return order == .orderedAscending
        }.map(\.element)
    }
}
