/// A family of npm CLI versions that select, order and archive files the same way.
public enum NPMGeneration: String, Codable, Sendable, CaseIterable {
    /// npm ≤ 4 (fstream-npm): real mtimes, uid/gid and directory entries; only file contents are comparable.
    case npm4 = "npm<=4"
    /// npm 5 and 6: npm-packlist 1.x (CHANGELOG/HISTORY/NOTICE auto-included), tar v4, default gzip level.
    case npm6 = "npm5-6"
    /// npm 7 to 10: npm-packlist 2.x–8.x, tar 6, gzip level 9 with the portable header. The default.
    case npm10 = "npm7-10"
    /// npm 11: npm-packlist 9.x/10.x (extra lockfiles excluded), tar 7.
    case npm11 = "npm11"

    /// The generation of an npm CLI version string (`_npmVersion`, e.g. `"6.14.4"`, `"10.8.2"`); nil when unparsable.
    public init?(npmVersion: String) {
        let trimmed = npmVersion.trimmingPrefix("v")
        guard let major = Int(trimmed.prefix { $0.isNumber }) else { return nil }
        switch major {
        case ...4: self = .npm4
        case 5...6: self = .npm6
        case 7...10: self = .npm10
        default: self = .npm11
        }
    }

    /// `true` when the tar bytes of this generation can be reproduced (npm ≥ 5).
    public var tarReproducible: Bool { self != .npm4 }
}

extension String {
    func trimmingPrefix(_ prefix: String) -> Substring {
        hasPrefix(prefix) ? dropFirst(prefix.count) : self[...]
    }
}
