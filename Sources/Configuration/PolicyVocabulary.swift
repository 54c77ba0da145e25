import Foundation

/// How a rebuild from source compared with the registry tarball, in the words `provcheck compare` uses everywhere
/// (text, JSON, SARIF, policy files): `exact`, `tar-identical`, `content-identical`, `differs`.
public enum RebuildOutcome: String, Codable, Hashable, Sendable, CaseIterable {
    /// The rebuilt `.tgz` is byte-identical to the registry tarball (`exact`).
    case identical = "exact"
    /// The decompressed tar is byte-identical; only the gzip stream differs (publisher's zlib).
    case identicalTar = "tar-identical"
    /// Same entries with the same contents; tar metadata (order, mtimes, modes, owners) differs.
    case sameContent = "content-identical"
    /// Contents differ, or the source produces files the registry lacks.
    case different = "differs"

    /// The words used before provcheck spoke compare's vocabulary everywhere (still accepted in policy files and
    /// watch state files, with a deprecation note).
    public static let legacyWords: [String: RebuildOutcome] = [
        "identical": .identical, "identical-tar": .identicalTar, "same-content": .sameContent, "different": .different,
    ]

    /// The outcomes a policy accepts by default: byte-identical tarball, identical tar, or identical contents.
    public static let defaultAccepted: Set<RebuildOutcome> = [.identical, .identicalTar, .sameContent]

    /// Reads a current word, or a legacy one (see ``legacyWords``).
    public init?(anyWord word: String) {
        if let current = RebuildOutcome(rawValue: word) {
            self = current
        } else if let legacy = Self.legacyWords[word] {
            self = legacy
        } else {
            return nil
        }
    }

    /// `word` in the current vocabulary (unknown words are returned as they are).
    public static func normalized(_ word: String?) -> String? {
        word.map { RebuildOutcome(anyWord: $0)?.rawValue ?? $0 }
    }
}

/// When provenance is required (policy key `provenance`).
public enum ProvenanceRequirement: String, Codable, Hashable, Sendable {
    /// Always.
    case required
    /// Never (its absence is not a finding).
    case optional
    /// When an earlier version had provenance.
    case whenPreviouslyPresent = "when-previously-present"
}

/// Normalised source repository URLs, so that `git+https://github.com/O/R.git`, `git@github.com:O/R.git`,
/// `github:O/R` and `O/R` all compare equal to `https://github.com/o/r`.
public enum RepositoryURL {
    /// The canonical form `https://<host>/<path>` (lowercased host; for github.com also a lowercased path),
    /// without `git+`, credentials, `.git`, trailing slashes, fragments or query. `nil` when unrecognisable.
    public static func normalize(_ raw: String) -> String? {
        var s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !s.isEmpty else { return nil }
        if let hash = s.firstIndex(of: "#") { s = String(s[..<hash]) }
        if let query = s.firstIndex(of: "?") { s = String(s[..<query]) }
        // npm shorthands
        for (prefix, host) in [("github:", "github.com"), ("gitlab:", "gitlab.com"), ("bitbucket:", "bitbucket.org")]
        where s.hasPrefix(prefix) {
            s = "https://\(host)/" + s.dropFirst(prefix.count)
        }
        if !s.contains(":"), s.split(separator: "/").count == 2 { s = "https://github.com/" + s }
        if s.hasPrefix("git+") { s.removeFirst(4) }
        // scp-like: git@host:owner/repo
        if !s.contains("://"), let at = s.firstIndex(of: "@"), let colon = s[at...].firstIndex(of: ":") {
            s = "https://" + s[s.index(after: at)..<colon] + "/" + s[s.index(after: colon)...]
        }
        guard let schemeEnd = s.range(of: "://") else { return nil }
        let scheme = s[..<schemeEnd.lowerBound].lowercased()
        guard ["https", "http", "git", "ssh"].contains(scheme) else { return nil }
        var rest = String(s[schemeEnd.upperBound...])
        if let slash = rest.firstIndex(of: "/"), let at = rest[..<slash].lastIndex(of: "@") {
            rest = String(rest[rest.index(after: at)...])
        }
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        var host = rest[..<slash].lowercased()
        if let colon = host.firstIndex(of: ":") { host = String(host[..<colon]) }
        var path = String(rest[rest.index(after: slash)...])
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix(".git") { path.removeLast(4) }
        guard !host.isEmpty, !path.isEmpty else { return nil }
        if host == "www.github.com" { host = "github.com" }
        if host == "github.com" { path = path.lowercased() }
        return "https://\(host)/\(path)"
    }

    /// Whether two repository URLs name the same repository after normalisation (unrecognisable never matches).
    public static func same(_ a: String, _ b: String) -> Bool {
        guard let na = normalize(a), let nb = normalize(b) else { return false }
        return na == nb
    }
}
