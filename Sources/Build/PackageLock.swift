import Foundation
import JSON
import Registry

/// One entry of a `package-lock.json` (v2/v3) `packages` object: what goes where in `node_modules`.
public struct LockedInstall: Sendable, Hashable, Codable {
    /// The key: the install location relative to the lockfile's folder (`node_modules/a/node_modules/@s/b`), or a
    /// workspace folder (`packages/x`).
    public let location: String
    /// The registry name (the `name` field for aliases, else the folder name after the last `node_modules/`).
    public let name: String
    /// The locked version.
    public let version: String?
    /// Where the tarball came from (`https://registry.npmjs.org/…`), or the link target for `link` entries.
    public let resolved: String?
    /// The SRI the tarball must match.
    public let integrity: String?
    /// A symlink to a folder of the project (workspaces).
    public let link: Bool
    /// Shipped inside another package's tarball (`bundleDependencies`): nothing to fetch.
    public let inBundle: Bool
    /// Installed only as an optional dependency (skipped on a platform it does not support).
    public let optional: Bool
    /// The package declares install scripts (`preinstall`, `install`, `postinstall`, or a `binding.gyp`).
    public let hasInstallScript: Bool
    /// `os` and `cpu` restrictions.
    public let os: [String]
    /// `cpu` restrictions.
    public let cpu: [String]

    /// Whether this entry installs into a `node_modules` folder (a dependency), not a workspace folder.
    public var isDependency: Bool { location.hasPrefix("node_modules/") || location.contains("/node_modules/") }
}

/// A `package-lock.json` / `npm-shrinkwrap.json` read with provcheck's own JSON parser (the integrity values in it
/// decide what gets unpacked).
public struct PackageLock: Sendable, Hashable {
    /// `lockfileVersion` (2 or 3).
    public let lockfileVersion: Int
    /// Every `packages` entry except the root (`""`), sorted by location (parents before children).
    public let entries: [LockedInstall]

    /// Parses lockfile bytes; `file` names the input in errors.
    /// - Throws: ``BuildError`` `.lockfile` for invalid JSON, lockfileVersion 1 (no `packages`), or a location
    ///   that would leave the project folder.
    public static func parse(_ data: Data, file: String) throws -> PackageLock {
        let root: RawJSON
        do { root = try RawJSON(parsing: data) } catch {
            throw BuildError(.lockfile, "\(file): \(error)")
        }
        guard root.objectValue != nil else { throw BuildError(.lockfile, "\(file): not a JSON object") }
        let version = root["lockfileVersion"].flatMap { value -> Int? in
            if case .number(let text) = value { return Int(text) }
            return nil
        }
        guard let version, version >= 2 else {
            throw BuildError(.lockfile, "\(file): lockfileVersion \(version.map(String.init) ?? "(absent)") has no \"packages\" "
                + "layout; provcheck installs from lockfileVersion 2 and 3 (run npm ≥ 7 once to upgrade the lockfile)")
        }
        guard let packages = root["packages"]?.objectValue else {
            throw BuildError(.lockfile, "\(file): lockfileVersion \(version) needs a \"packages\" object")
        }
        var entries: [LockedInstall] = []
        for (location, value) in packages where !location.isEmpty {
            guard let entry = value.objectValue else {
                throw BuildError(.lockfile, "\(file): packages[\"\(location)\"] is not an object")
            }
            guard Self.isSafeRelativePath(location) else {
                throw BuildError(.lockfile, "\(file): packages[\"\(location)\"] is not a folder inside the project")
            }
            let folderName: String
            if let range = location.range(of: "node_modules/", options: .backwards) {
                folderName = String(location[range.upperBound...])
            } else {
                folderName = String(location.split(separator: "/").last ?? "")
            }
            func string(_ key: String) -> String? { entry[key]?.stringValue }
            func bool(_ key: String) -> Bool { entry[key] == .bool(true) }
            func strings(_ key: String) -> [String] { entry[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            entries.append(LockedInstall(
                location: location, name: string("name") ?? folderName, version: string("version"),
                resolved: string("resolved"), integrity: string("integrity"), link: bool("link"),
                inBundle: bool("inBundle"), optional: bool("optional"),
                hasInstallScript: bool("hasInstallScript"), os: strings("os"), cpu: strings("cpu")))
        }
        entries.sort { $0.location.split(separator: "/").count != $1.location.split(separator: "/").count
            ? $0.location.split(separator: "/").count < $1.location.split(separator: "/").count
            : $0.location < $1.location }
        return PackageLock(lockfileVersion: version, entries: entries)
    }

    /// A relative path with no empty, `.` or `..` component, no backslash and no NUL.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
