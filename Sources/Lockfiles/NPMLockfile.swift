import Foundation
import JSON
import Registry

/// Reads `package-lock.json` / `npm-shrinkwrap.json` (lockfileVersion 1, 2 and 3).
///
/// Versions 2 and 3 are read from `packages` (keyed by install location; the root `""` and workspace folders are
/// not packages to audit, their `node_modules/<name>` links are listed as links). Version 1 is read from the nested
/// `dependencies` tree. Aliases (`name` field, or `npm:real@1.0.0` in v1) resolve to the real registry name.
public enum NPMLockfileParser {
    /// Parses lockfile bytes; `file` names the input in errors and in the result.
    /// - Throws: ``LockfileError`` for invalid JSON, an unsupported `lockfileVersion` or a malformed entry.
    public static func parse(_ data: Data, file: URL) throws -> Lockfile {
        let path = file.path
        do {
            // npm's lockfile reader (json-parse-even-better-errors) strips a leading byte order mark.
            _ = try RawJSON(parsing: data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data)
        } catch {
            throw LockfileError(file: path, message: "\(error) (is this a package-lock.json?)")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LockfileError(file: path, message: "the top level is not a JSON object (is this a package-lock.json?)")
        }
        let version = (root["lockfileVersion"] as? NSNumber)?.intValue
        switch version {
        case 2?, 3?:
            guard let packages = root["packages"] as? [String: Any] else {
                throw LockfileError(file: path, message: "lockfileVersion \(version!) needs a \"packages\" object")
            }
            return Lockfile(file: file, format: version == 2 ? .npmV2 : .npmV3,
                            packages: try parsePackages(packages, file: path), graph: graph(packages))
        case 1?:
            let dependencies = root["dependencies"] as? [String: Any] ?? [:]
            var result: [LockedPackage] = []
            try parseV1(dependencies, parent: "", file: path, into: &result)
            return Lockfile(file: file, format: .npmV1, packages: result.sorted { $0.location < $1.location })
        case let other:
            throw LockfileError(
                file: path, entry: "lockfileVersion",
                message: "unsupported lockfileVersion \(other.map(String.init) ?? "(absent)"); provcheck reads 1, 2 and 3")
        }
    }

    /// Whether a lockfile location (`node_modules/a/node_modules/b`, a workspace folder) is a relative path that
    /// stays inside the project: not absolute, no empty, `.` or `..` segment, no backslash or NUL.
    package static func staysInProject(_ location: String) -> Bool {
        guard !location.hasPrefix("/"), !location.contains("\\"), !location.contains("\u{0}") else { return false }
        return !location.split(separator: "/", omittingEmptySubsequences: false)
            .contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// The package name for a v2/v3 location: the part after the last `node_modules/`.
    static func name(fromLocation location: String) -> String? {
        guard let range = location.range(of: "node_modules/", options: .backwards) else { return nil }
        let name = String(location[range.upperBound...])
        return name.isEmpty ? nil : name
    }

    /// The dependency edges of a v2/v3 `packages` object.
    static func graph(_ packages: [String: Any]) -> DependencyGraph {
        var nodes: [String: DependencyGraph.Node] = [:]
        for (location, value) in packages {
            guard let entry = value as? [String: Any] else { continue }
            let isFolder = !location.hasPrefix("node_modules/") && !location.contains("/node_modules/")
            var fields = ["dependencies", "optionalDependencies", "peerDependencies"]
            if isFolder { fields.append("devDependencies") }
            let names = fields.flatMap { ((entry[$0] as? [String: Any]) ?? [:]).keys }.sorted()
            let link = entry["link"] as? Bool == true ? (entry["resolved"] as? String) : nil
            nodes[location] = DependencyGraph.Node(dependencies: names, linkTarget: link, name: entry["name"] as? String)
        }
        return DependencyGraph(nodes: nodes)
    }

    private static func parsePackages(_ packages: [String: Any], file: String) throws -> [LockedPackage] {
        var result: [LockedPackage] = []
        for (location, value) in packages {
            if location.isEmpty { continue }  // the root project
            guard NPMLockfileParser.staysInProject(location) else {
                throw LockfileError(file: file, entry: "packages[\"\(location.prefix(200))\"]",
                                    message: "the location leaves the project (absolute, or a \".\" or \"..\" segment); refused")
            }
            guard let entry = value as? [String: Any] else {
                throw LockfileError(file: file, entry: "packages[\"\(location)\"]", message: "not an object")
            }
            guard let installedName = name(fromLocation: location) else {
                continue  // a workspace or linked folder (its node_modules/<name> link entry is listed)
            }
            let realName = entry["name"] as? String ?? installedName
            let resolved = entry["resolved"] as? String
            let version = entry["version"] as? String ?? ""
            let flags = DependencyFlags(
                dev: entry["dev"] as? Bool ?? false, optional: entry["optional"] as? Bool ?? false,
                devOptional: entry["devOptional"] as? Bool ?? false, peer: entry["peer"] as? Bool ?? false)
            let source: PackageSource
            if entry["link"] as? Bool == true {
                source = .link(resolved ?? "(no target)")
            } else if version.isEmpty {
                source = .unknown("no version in packages[\"\(location)\"]")
            } else {
                source = PackageSource.classify(resolved: resolved, name: realName, version: version)
            }
            result.append(LockedPackage(
                name: realName, version: version, location: location, installPath: location, resolved: resolved,
                integrity: entry["integrity"] as? String, source: source, flags: flags))
        }
        return result.sorted { $0.location < $1.location }
    }

    private static func parseV1(_ dependencies: [String: Any], parent: String, file: String,
                                into result: inout [LockedPackage]) throws {
        for (key, value) in dependencies {
            let location = parent + "node_modules/" + key
            guard let entry = value as? [String: Any] else {
                throw LockfileError(file: file, entry: "dependencies[\"\(location)\"]", message: "not an object")
            }
            var name = key
            var version = entry["version"] as? String ?? ""
            let resolved = entry["resolved"] as? String
            if version.hasPrefix("npm:") {
                // Alias: "npm:real@1.0.0" (real may be scoped).
                let spec = version.dropFirst(4)
                if let at = spec.lastIndex(of: "@"), at != spec.startIndex {
                    name = String(spec[..<at])
                    version = String(spec[spec.index(after: at)...])
                }
            }
            let source: PackageSource
            if version.isEmpty {
                source = .unknown("no version in dependencies[\"\(location)\"]")
            } else if SemanticVersion.isExact(version) {
                source = PackageSource.classify(resolved: resolved, name: name, version: version)
            } else {
                // v1 writes the spec as the version of non-registry packages (file:, git+…, URLs).
                source = PackageSource.classify(resolved: version, name: name, version: version)
            }
            result.append(LockedPackage(
                name: name, version: version, location: location, installPath: location, resolved: resolved,
                integrity: entry["integrity"] as? String, source: source,
                flags: DependencyFlags(dev: entry["dev"] as? Bool ?? false, optional: entry["optional"] as? Bool ?? false)))
            if let nested = entry["dependencies"] as? [String: Any] {
                try parseV1(nested, parent: location + "/", file: file, into: &result)
            }
        }
    }
}
