import Foundation

/// Reads yarn classic's `yarn.lock` (v1).
///
/// Each entry lists the specs it satisfies (`"a@^1.0.0", a@^1.1.0:`), then `version`, `resolved`, `integrity` and
/// its `dependencies` / `optionalDependencies`. yarn.lock records no dependency types, so when the project's
/// `package.json` is given, packages reachable only from `devDependencies` are flagged `dev` and those reachable
/// only through optional edges `optional` (for `--omit`). A name locked at one version is expected at
/// `node_modules/<name>`; names with several versions are not compared with `node_modules` (yarn does not record
/// which one it hoisted).
public enum YarnLockfileParser {
    struct Entry {
        var specs: [String]
        var header: String
        var fields: [String: String] = [:]
        var dependencies: [(String, String)] = []
        var optionalDependencies: [(String, String)] = []
    }

    /// Parses `yarn.lock` bytes. `manifest` is the parsed `package.json` beside it, if any.
    /// - Throws: ``LockfileError`` naming the line of a malformed entry, or a yarn berry (v2+) lockfile.
    public static func parse(_ data: Data, file: URL, manifest: [String: Any]? = nil) throws -> Lockfile {
        guard let text = String(data: data, encoding: .utf8) else {
            throw LockfileError(file: file.path, message: "not UTF-8 text")
        }
        var entries: [Entry] = []
        var section: String? = nil
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indent = line.prefix { $0 == " " }.count
            if indent == 0 {
                guard trimmed.hasSuffix(":") else {
                    if trimmed.hasPrefix("__metadata") || trimmed.hasPrefix("\"__metadata") {
                        throw LockfileError(file: file.path, message: "a yarn berry (v2+) lockfile; provcheck reads yarn.lock v1")
                    }
                    throw LockfileError(file: file.path, entry: "line \(index + 1)", message: "expected an entry header ending in \":\"")
                }
                let specs = splitSpecs(String(trimmed.dropLast()))
                if specs.contains(where: { $0 == "__metadata" }) {
                    throw LockfileError(file: file.path, message: "a yarn berry (v2+) lockfile; provcheck reads yarn.lock v1")
                }
                entries.append(Entry(specs: specs, header: String(trimmed.dropLast())))
                section = nil
                continue
            }
            guard !entries.isEmpty else {
                throw LockfileError(file: file.path, entry: "line \(index + 1)", message: "indented line before any entry")
            }
            let (key, value) = keyValue(trimmed)
            if indent <= 2 {
                if value == nil, trimmed.hasSuffix(":") {
                    section = String(trimmed.dropLast())
                } else {
                    section = nil
                    entries[entries.count - 1].fields[key] = value ?? ""
                }
            } else if let section, let value {
                if section == "dependencies" { entries[entries.count - 1].dependencies.append((key, value)) }
                if section == "optionalDependencies" { entries[entries.count - 1].optionalDependencies.append((key, value)) }
            }
        }

        // Spec → entry index, for reachability.
        var bySpec: [String: Int] = [:]
        for (index, entry) in entries.enumerated() { for spec in entry.specs { bySpec[spec] = index } }
        let flags = manifest.map { classify(entries: entries, bySpec: bySpec, manifest: $0) }

        var packages: [LockedPackage] = []
        for (index, entry) in entries.enumerated() {
            guard let firstSpec = entry.specs.first, let (specName, range) = splitNameRange(firstSpec) else {
                throw LockfileError(file: file.path, entry: entry.header, message: "cannot read a package name from the entry header")
            }
            guard let version = entry.fields["version"], !version.isEmpty else {
                throw LockfileError(file: file.path, entry: entry.header, message: "entry has no version")
            }
            var name = specName
            if range.hasPrefix("npm:"), let (real, _) = splitNameRange(String(range.dropFirst(4))) { name = real }
            let resolved = entry.fields["resolved"]
            var source = PackageSource.classify(resolved: resolved, name: name, version: version)
            if resolved == nil {
                if range.hasPrefix("link:") || range.hasPrefix("portal:") { source = .link(range) }
                else if range.hasPrefix("file:") { source = .file(range) }
            }
            packages.append(LockedPackage(
                name: name, version: version, location: entry.header, installPath: nil, resolved: resolved,
                integrity: entry.fields["integrity"], source: source, flags: flags?[index] ?? DependencyFlags()))
        }
        // yarn hoists: node_modules/<name> holds the only locked version of a name with one version (with several,
        // which one is hoisted is not recorded, so those are not compared).
        var versionsByName: [String: Int] = [:]
        for package in packages { versionsByName[package.name, default: 0] += 1 }
        for index in packages.indices where versionsByName[packages[index].name] == 1 && packages[index].source.isRegistry {
            packages[index].installPath = "node_modules/" + packages[index].name
        }
        return Lockfile(file: file, format: .yarnV1, packages: packages.sorted { $0.location < $1.location })
    }

    /// Splits a header into its specs: `"a@^1", a@^2` → `["a@^1", "a@^2"]`.
    static func splitSpecs(_ header: String) -> [String] {
        header.split(separator: ",").map { unquote($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `key value` / `key "value"` / `"key" "value"`.
    static func keyValue(_ line: String) -> (String, String?) {
        var key: String
        var rest: Substring
        if line.hasPrefix("\"") {
            let afterQuote = line.index(after: line.startIndex)
            guard let end = line[afterQuote...].firstIndex(of: "\"") else { return (line, nil) }
            key = String(line[afterQuote..<end])
            rest = line[line.index(after: end)...]
        } else if let space = line.firstIndex(of: " ") {
            key = String(line[..<space])
            rest = line[space...]
        } else {
            return (line.hasSuffix(":") ? String(line.dropLast()) : line, nil)
        }
        if key.hasSuffix(":") { key.removeLast() }
        let value = rest.trimmingCharacters(in: .whitespaces)
        return (key, value.isEmpty ? nil : unquote(value))
    }

    static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
    }

    /// `name@range` → (name, range); scoped names keep their leading `@`.
    static func splitNameRange(_ spec: String) -> (String, String)? {
        guard spec.count > 1 else { return nil }
        let searchStart = spec.index(after: spec.startIndex)
        guard let at = spec[searchStart...].firstIndex(of: "@") else { return (spec, "") }
        return (String(spec[..<at]), String(spec[spec.index(after: at)...]))
    }

    /// Flags from reachability: roots are the manifest's dependencies (prod), optionalDependencies and devDependencies.
    static func classify(entries: [Entry], bySpec: [String: Int], manifest: [String: Any]) -> [DependencyFlags] {
        func roots(_ field: String) -> [Int] {
            (manifest[field] as? [String: Any] ?? [:]).compactMap { name, range in
                (range as? String).flatMap { bySpec["\(name)@\($0)"] }
            }
        }
        func reach(from start: [Int], followOptional: Bool) -> Set<Int> {
            var seen = Set<Int>()
            var queue = start
            while let index = queue.popLast() {
                guard seen.insert(index).inserted else { continue }
                let entry = entries[index]
                let edges = entry.dependencies + (followOptional ? entry.optionalDependencies : [])
                for (name, range) in edges { if let next = bySpec["\(name)@\(range)"] { queue.append(next) } }
            }
            return seen
        }
        let prodRequired = reach(from: roots("dependencies"), followOptional: false)
        let prodAny = reach(from: roots("dependencies") + roots("optionalDependencies"), followOptional: true)
        let devAny = reach(from: roots("devDependencies"), followOptional: true)
        return entries.indices.map { index in
            let inProd = prodAny.contains(index)
            let dev = !inProd && devAny.contains(index)
            let optional = inProd && !prodRequired.contains(index)
            return DependencyFlags(dev: dev, optional: optional)
        }
    }
}
