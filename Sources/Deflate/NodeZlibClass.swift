import Foundation

/// Which zlib output class a Node version's bundled zlib falls in (see `docs/deflate.md`).
public enum NodeZlibClass {
    /// The hash modes to try, most likely first, for a packument's `_nodeVersion`
    /// (e.g. `"20.12.2"` or `"v18.4.0"`):
    /// - ≥ 20.10, ≥ 21, or 18.19–18.x: `anzac`, `stock`, `crc32c`;
    /// - 12.17 ≤ version < 20.10: `crc32c`, `stock`, `anzac`;
    /// - older, unknown or unparsable: `stock`, `crc32c`, `anzac`.
    public static func candidateModes(forNodeVersion nodeVersion: String?) -> [DeflateHashMode] {
        guard let (major, minor) = nodeVersion.flatMap(parse) else { return [.stock, .crc32c, .anzac] }
        if major >= 21 || (major == 20 && minor >= 10) || (major == 18 && minor >= 19) {
            return [.anzac, .stock, .crc32c]
        }
        if major > 12 || (major == 12 && minor >= 17) {
            return [.crc32c, .stock, .anzac]
        }
        return [.stock, .crc32c, .anzac]
    }

    /// Major and minor of a version string such as `v13.12.0` or `8.0.0-pre`; nil when unparsable.
    static func parse(_ version: String) -> (Int, Int)? {
        var text = Substring(version.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("v") || text.hasPrefix("V") { text = text.dropFirst() }
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]) else { return nil }
        let minorDigits = parts[1].prefix { $0.isASCII && $0.isNumber }
        guard !minorDigits.isEmpty, let minor = Int(minorDigits) else { return nil }
        return (major, minor)
    }
}
