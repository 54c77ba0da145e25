import Foundation

/// Reads `pnpm-lock.yaml` lockfileVersion 6.x and 9.x.
///
/// One package per `packages` key (`/name@1.0.0(peer@2)` in v6, `name@1.0.0` in v9; peer suffixes dropped).
/// The source comes from `resolution`: `{integrity}` is a registry package, `{tarball}` a tarball URL (a registry
/// tarball when its path is the registry layout), `{type: git}` / `{repo, commit}` git, `{directory}` a local folder.
/// Dependency types: v6 records `dev` / `optional` per package; for v9 they are computed from the importers'
/// `dependencies` / `optionalDependencies` / `devDependencies` through `snapshots`. Registry packages without peer
/// suffix are expected in the virtual store, `node_modules/.pnpm/<name>@<version>/node_modules/<name>`.
public enum PnpmLockfileParser {
    /// Parses `pnpm-lock.yaml` bytes.
    /// - Throws: ``LockfileError`` for invalid YAML or a duplicated key (``PnpmYAML``), an unsupported
    ///   lockfileVersion or a malformed package key.
    public static func parse(_ data: Data, file: URL) throws -> Lockfile {
        guard let text = String(data: data, encoding: .utf8) else {
            throw LockfileError(file: file.path, message: "not UTF-8 text")
        }
        let document = try PnpmYAML.parse(text, file: file.path)
        let versionText = document["lockfileVersion"]?.string ?? ""
        let major = Int(versionText.split(separator: ".").first ?? "") ?? 0
        let format: LockfileFormat
        switch major {
        case 6: format = .pnpmV6
        case 9: format = .pnpmV9
        default:
            throw LockfileError(file: file.path, entry: "lockfileVersion",
                                message: "unsupported pnpm lockfileVersion \"\(versionText)\"; provcheck reads 6.x and 9.x")
        }
        let computedFlags = format == .pnpmV9 ? v9Flags(document) : [:]
        var packages: [LockedPackage] = []
        for (key, entry) in document["packages"]?.entries ?? [] {
            let base = stripPeers(key)
            let keyBody = base.hasPrefix("/") ? String(base.dropFirst()) : base
            var name: String
            var version: String
            if let (n, v) = splitNameVersion(keyBody) {
                name = n
                version = v
            } else {
                name = keyBody
                version = ""
            }
            if let explicitName = entry["name"]?.string { name = explicitName }
            if let explicitVersion = entry["version"]?.string { version = explicitVersion }
            let resolution = entry["resolution"]
            let source = classify(resolution: resolution, name: name, version: version, key: key)
            let flags: DependencyFlags
            if format == .pnpmV6 {
                flags = DependencyFlags(dev: entry["dev"]?.string == "true", optional: entry["optional"]?.string == "true")
            } else {
                flags = computedFlags[base] ?? DependencyFlags(optional: entry["optional"]?.string == "true")
            }
            packages.append(LockedPackage(
                name: name, version: version, location: key, installPath: storePath(key: key, name: name, version: version, source: source),
                resolved: resolution?["tarball"]?.string ?? resolution?["repo"]?.string ?? resolution?["directory"]?.string,
                integrity: resolution?["integrity"]?.string, source: source, flags: flags))
        }
        return Lockfile(file: file, format: format, packages: packages.sorted { $0.location < $1.location })
    }

    /// The folder pnpm's virtual store gives a registry package without peer suffix:
    /// `node_modules/.pnpm/<name with / as +>@<version>/node_modules/<name>`; `nil` where pnpm encodes the folder
    /// name differently (peer suffixes, very long names) or for non-registry packages.
    static func storePath(key: String, name: String, version: String, source: PackageSource) -> String? {
        guard source.isRegistry, !key.contains("("), !key.contains("_") || name.contains("_") else { return nil }
        let folder = name.replacingOccurrences(of: "/", with: "+") + "@" + version
        guard folder.count <= 100 else { return nil }
        return "node_modules/.pnpm/\(folder)/node_modules/\(name)"
    }

    /// `name@1.0.0(peer@2.0.0)(other@1)` → `name@1.0.0`; also drops v5-style `_peer@2` suffixes.
    static func stripPeers(_ key: String) -> String {
        var text = key
        if let paren = text.firstIndex(of: "(") { text = String(text[..<paren]) }
        return text
    }

    /// `@scope/name@1.0.0` → (`@scope/name`, `1.0.0`).
    static func splitNameVersion(_ text: String) -> (String, String)? {
        guard text.count > 1 else { return nil }
        let start = text.index(after: text.startIndex)
        guard let at = text[start...].firstIndex(of: "@") else { return nil }
        return (String(text[..<at]), String(text[text.index(after: at)...]))
    }

    static func classify(resolution: YAMLValue?, name: String, version: String, key: String) -> PackageSource {
        guard let resolution else { return .unknown("no resolution for \(key)") }
        if resolution["type"]?.string == "git" || resolution["repo"] != nil || resolution["commit"] != nil {
            return .git(resolution["repo"]?.string.map { "\($0)#\(resolution["commit"]?.string ?? "")" } ?? key)
        }
        if resolution["type"]?.string == "directory" || resolution["directory"] != nil {
            return .file(resolution["directory"]?.string ?? key)
        }
        if let tarball = resolution["tarball"]?.string {
            let source = PackageSource.classify(resolved: tarball, name: name, version: version)
            return source == .registry && !SemanticVersion.isExact(version) ? .remoteTarball(tarball) : source
        }
        if resolution["integrity"] != nil {
            return SemanticVersion.isExact(version) ? .registry : .unknown(key)
        }
        return .unknown(key)
    }

    /// v9: dependency flags from reachability over `snapshots`, starting at every importer.
    static func v9Flags(_ document: YAMLValue) -> [String: DependencyFlags] {
        let snapshots = document["snapshots"]?.entries ?? []
        var edges: [String: [(String, Bool)]] = [:]  // snapshot key → (target key, optional edge)
        for (key, snapshot) in snapshots {
            var list: [(String, Bool)] = []
            for (name, version) in snapshot["dependencies"]?.entries ?? [] {
                if let v = version.string { list.append((snapshotKey(name: name, version: v), false)) }
            }
            for (name, version) in snapshot["optionalDependencies"]?.entries ?? [] {
                if let v = version.string { list.append((snapshotKey(name: name, version: v), true)) }
            }
            edges[key] = list
        }
        func roots(_ field: String) -> [String] {
            var result: [String] = []
            for (_, importer) in document["importers"]?.entries ?? [] {
                for (name, spec) in importer[field]?.entries ?? [] {
                    if let version = spec["version"]?.string ?? spec.string {
                        result.append(snapshotKey(name: name, version: version))
                    }
                }
            }
            return result
        }
        func reach(_ start: [String], followOptional: Bool) -> Set<String> {
            var seen = Set<String>()
            var queue = start
            while let key = queue.popLast() {
                guard seen.insert(key).inserted else { continue }
                for (target, optional) in edges[key] ?? [] where followOptional || !optional { queue.append(target) }
            }
            return seen
        }
        let prodRequired = reach(roots("dependencies"), followOptional: false)
        let prodAny = reach(roots("dependencies") + roots("optionalDependencies"), followOptional: true)
        let devAny = reach(roots("devDependencies"), followOptional: true)
        var flags: [String: DependencyFlags] = [:]
        for (key, _) in snapshots {
            let base = stripPeers(key)
            let inProd = prodAny.contains(key)
            var current = flags[base] ?? DependencyFlags(dev: true, optional: true)
            // A package is dev (optional) only when every snapshot of it is.
            current.dev = current.dev && !inProd && devAny.contains(key)
            current.optional = current.optional && inProd && !prodRequired.contains(key)
            flags[base] = current
        }
        return flags
    }

    /// The snapshot key a dependency reference points at: `name@version`, or the version itself for aliases
    /// (`real@1.0.0`) and non-registry references.
    static func snapshotKey(name: String, version: String) -> String {
        if version.hasPrefix("link:") { return "link:" + version }
        if let first = version.first, first != "@", version.contains("@") { return version }
        if version.hasPrefix("@") { return version }
        return "\(name)@\(version)"
    }
}
