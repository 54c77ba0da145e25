import Foundation

/// npm-packlist's tar order: one global, stable sort by lowercased extension, then lowercased basename,
/// then the whole path, each compared with ICU collation for locale `en` (`String.localeCompare(…, 'en')`).
///
/// Foundation on Linux compares with ICU when given a locale, which matches V8's `Intl.Collator('en')` defaults
/// (tertiary strength, punctuation not ignored, no numeric ordering). Byte order would be wrong.
public enum NPMSort {
    nonisolated(unsafe) static let english = Locale(identifier: "en")

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
}
