import Configuration
import Digest
import Foundation
import JSON
import Registry
import Verification

/// A `provcheck watch` configuration file (JSON or TOML, same keys): the packages to watch and how.
///
/// ```json
/// {
///   "version": 1,
///   "packages": [
///     { "name": "gundam-visor", "rebuild": true, "versions": { "latest": 3 }, "policy": "policies/gundam.json" },
///     { "name": "@scope/lib", "versions": { "since": "2026-01-01" }, "source": "https://github.com/o/lib" },
///     { "name": "ms", "versions": "all" }
///   ]
/// }
/// ```
/// Unknown keys are errors (fail closed: a typo must not silently disable a check).
public struct WatchConfiguration: Hashable, Sendable {
    /// The only format version this build reads.
    public static let formatVersion = 1

    /// The watched packages, in file order (names are unique).
    public var packages: [WatchedPackage]
    /// Where the file came from (for messages).
    public var source: String
    /// Whether the registry's staging list is read (direct publishes while versions were staged); `"staged": false`
    /// turns it off for registries without staging endpoints.
    public var checkStaged: Bool = true

    /// Makes a configuration.
    public init(packages: [WatchedPackage], source: String = "<memory>", checkStaged: Bool = true) {
        self.packages = packages
        self.source = source
        self.checkStaged = checkStaged
    }

    /// Reads a configuration file, JSON or TOML (by extension `.json`/`.toml`, otherwise by content: a document
    /// starting with `{` is JSON); relative `policy` paths are resolved against the file's folder.
    /// - Throws: ``WatchConfigurationError`` naming the file and the field.
    public static func load(contentsOf url: URL) throws -> WatchConfiguration {
        let data: Data
        do { data = try InputFile.read(url) } catch {
            throw WatchConfigurationError(file: url.path, field: nil, message: "the file \(error.problem)")
        }
        return try parse(data, format: .detect(path: url.path, data: data), source: url.path,
                         baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses a configuration document in the given format. TOML is read into the same JSON value the JSON parser
    /// reads, so keys, rules and error messages are the same in both formats.
    /// - Throws: ``WatchConfigurationError`` naming the file and the field (for TOML syntax, the line and column).
    public static func parse(_ data: Data, format: ConfigurationFormat, source: String = "<memory>",
                             baseDirectory: URL? = nil) throws -> WatchConfiguration {
        switch format {
        case .json:
            return try parse(data, source: source, baseDirectory: baseDirectory)
        case .toml:
            let json: Data
            do {
                json = try TOML.jsonData(from: data, file: source)
            } catch let error as TOMLError {
                throw WatchConfigurationError(file: source, field: nil,
                                              message: "not valid TOML: line \(error.line), column \(error.column): \(error.message)")
            }
            return try parse(json, source: source, baseDirectory: baseDirectory)
        }
    }

    /// Parses a JSON configuration document.
    public static func parse(_ data: Data, source: String = "<memory>", baseDirectory: URL? = nil) throws -> WatchConfiguration {
        func fail(_ field: String?, _ message: String) -> WatchConfigurationError {
            WatchConfigurationError(file: source, field: field, message: message)
        }
        do {
            _ = try RawJSON(parsing: data, rejectingDuplicateKeys: true)
        } catch {
            throw fail(nil, "\(error)")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail(nil, "the top level is not a JSON object")
        }
        for key in root.keys where !["version", "packages", "staged", "$comment"].contains(key) {
            throw fail(key, "unknown key (expected version, packages, staged)")
        }
        var checkStaged = true
        if let value = root["staged"] {
            guard let flag = value as? Bool, let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
                throw fail("staged", "not a boolean (false turns the staging-list check off)")
            }
            checkStaged = flag
        }
        guard let version = root["version"] as? Int else { throw fail("version", "missing or not an integer (expected 1)") }
        guard version == formatVersion else { throw fail("version", "unsupported version \(version) (this build reads \(formatVersion))") }
        guard let list = root["packages"] as? [Any] else { throw fail("packages", "missing or not an array") }
        var packages = [WatchedPackage]()
        var seen = Set<String>()
        for (index, item) in list.enumerated() {
            let field = "packages[\(index)]"
            guard let object = item as? [String: Any] else { throw fail(field, "not an object") }
            for key in object.keys where !WatchedPackage.keys.contains(key) {
                throw fail("\(field).\(key)", "unknown key (expected \(WatchedPackage.keys.sorted().joined(separator: ", ")))")
            }
            guard let name = object["name"] as? String, !name.isEmpty else { throw fail("\(field).name", "missing or empty") }
            guard seen.insert(name).inserted else { throw fail("\(field).name", "\(name) is listed twice") }
            var package = WatchedPackage(name: name)
            if let value = object["rebuild"] {
                guard let flag = value as? Bool else {
                    throw fail("\(field).rebuild", "not a boolean")
                }
                package.rebuild = flag
            }
            if let value = object["versions"] { package.versions = try VersionSelection(json: value, field: "\(field).versions", fail: fail) }
            if let value = object["policy"] {
                guard let path = value as? String, !path.isEmpty else { throw fail("\(field).policy", "not a path") }
                package.policy = path.hasPrefix("/") || baseDirectory == nil
                    ? path : baseDirectory!.appendingPathComponent(path).path
            }
            if let value = object["source"] {
                guard let text = value as? String, !text.isEmpty else { throw fail("\(field).source", "not a path or URL") }
                package.source = text
            }
            if let value = object["acknowledge"] {
                guard let list = value as? [Any] else { throw fail("\(field).acknowledge", "not an array") }
                for (i, entry) in list.enumerated() {
                    let entryField = "\(field).acknowledge[\(i)]"
                    guard let object = entry as? [String: Any] else { throw fail(entryField, "not an object") }
                    for key in object.keys where !["version", "digest", "reason", "$comment"].contains(key) {
                        throw fail("\(entryField).\(key)", "unknown key (expected version, digest, reason)")
                    }
                    guard let version = object["version"] as? String, !version.isEmpty else {
                        throw fail("\(entryField).version", "missing or empty")
                    }
                    guard let digest = object["digest"] as? String, digest.contains("-") else {
                        throw fail("\(entryField).digest", "missing or not an SRI digest (the dist.integrity now served, sha512-…)")
                    }
                    guard let reason = object["reason"] as? String,
                          !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                        throw fail("\(entryField).reason", "missing or empty: say why it is acknowledged")
                    }
                    package.acknowledged.append(WatchAcknowledgement(version: version, digest: digest, reason: reason))
                }
            }
            packages.append(package)
        }
        return WatchConfiguration(packages: packages, source: source, checkStaged: checkStaged)
    }
}

/// An open failure acknowledged in the configuration: the version, the digest it was acknowledged for (the
/// `dist.integrity` served at the time), and why.
public struct WatchAcknowledgement: Hashable, Sendable {
    /// The version.
    public var version: String
    /// The `dist.integrity` (SRI) the acknowledgement covers.
    public var digest: String
    /// Why it is acknowledged (who looked, what they concluded).
    public var reason: String

    /// Makes an acknowledgement.
    public init(version: String, digest: String, reason: String) {
        self.version = version
        self.digest = digest
        self.reason = reason
    }
}

/// One watched package.
public struct WatchedPackage: Hashable, Sendable {
    static let keys: Set<String> = ["name", "rebuild", "versions", "policy", "source", "acknowledge", "$comment"]

    /// Open failures someone has looked at (`"acknowledge": [{"version", "digest", "reason"}]`): a failure of that
    /// version is no longer restated while the registry serves that digest (a new change re-opens it).
    public var acknowledged: [WatchAcknowledgement] = []

    /// The package name (`@scope/name` allowed).
    public var name: String
    /// Run the full verification pipeline (rebuild from the tag, compare, policy) for each selected version and
    /// record its verdict. Default `false`: only registry, trust and tag facts are recorded.
    public var rebuild: Bool
    /// Which versions to look at.
    public var versions: VersionSelection
    /// A policy file (same format as `provcheck verify --policy`), applied when ``rebuild`` is on.
    public var policy: String?
    /// The source repository (path, bundle or URL) instead of the one the provenance or packument names.
    public var source: String?

    /// Makes an entry with the defaults (no rebuild, latest 5 versions).
    public init(name: String, rebuild: Bool = false, versions: VersionSelection = .latest(5), policy: String? = nil,
                source: String? = nil) {
        self.name = name
        self.rebuild = rebuild
        self.versions = versions
        self.policy = policy
        self.source = source
    }
}

/// Which versions of a package are watched. JSON: `"all"`, `{"latest": N}` or `{"since": "YYYY-MM-DD"}`.
public enum VersionSelection: Hashable, Sendable {
    /// Every version in the packument.
    case all
    /// The highest `N` versions by semver precedence.
    case latest(Int)
    /// Versions published (packument `time`) at or after the date; versions without a time are included.
    case since(Date)

    init(json: Any, field: String, fail: (String?, String) -> WatchConfigurationError) throws {
        if let text = json as? String, text == "all" { self = .all; return }
        guard let object = json as? [String: Any], object.count == 1 else {
            throw fail(field, "expected \"all\", {\"latest\": N} or {\"since\": \"YYYY-MM-DD\"}")
        }
        if let count = object["latest"] as? Int {
            guard count > 0 else { throw fail(field + ".latest", "must be at least 1") }
            self = .latest(count)
        } else if let text = object["since"] as? String {
            guard let date = Timestamp.parse(text) ?? Self.day(text) else {
                throw fail(field + ".since", "\"\(text)\" is not a date (YYYY-MM-DD or ISO 8601)")
            }
            self = .since(date)
        } else {
            throw fail(field, "expected \"all\", {\"latest\": N} or {\"since\": \"YYYY-MM-DD\"}")
        }
    }

    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text)
    }

    /// The selected versions of `versions` (publish times from `time`), in semver order.
    public func select(_ versions: [String], time: [String: String]) -> [String] {
        let sorted = versions.sorted(by: SemVer.precedes)
        switch self {
        case .all: return sorted
        case .latest(let count): return Array(sorted.suffix(count))
        case .since(let date):
            return sorted.filter { version in
                guard let published = time[version].flatMap(Timestamp.parse) else { return true }
                return published >= date
            }
        }
    }
}

/// A configuration file that cannot be used (exit code 2).
public struct WatchConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The JSON field, when one is at fault.
    public var field: String?
    /// What is wrong.
    public var message: String

    public var description: String { "\(file)" + (field.map { ": \($0)" } ?? "") + ": \(message)" }
}
