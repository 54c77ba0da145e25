import Foundation

/// npm-packlist 1.x–5.x + ignore-walk 3/4/5 (npm 5 to 8).
///
/// Differences from npm 7+: `readme|copying|license|licence|notice|changes|changelog|history` files are kept in
/// every directory, a `files` array is globbed to become the root directory listing, `.npmignore` still applies with
/// `files`, and nested directories keep the root's rule-file names (a nested `package.json` is ignored).
final class LegacyWalker {
    enum RuleSet: Hashable {
        case rootBuiltin
        case packageNecessary
        case file(String)
    }

    static let ignoreFiles: [RuleSet] = [.rootBuiltin, .file("package.json"), .file(".npmignore"), .file(".gitignore"), .packageNecessary]

    static let defaultRules = [
        ".npmignore", ".gitignore", "**/.git", "**/.svn", "**/.hg", "**/CVS", "**/.git/**", "**/.svn/**",
        "**/.hg/**", "**/CVS/**", "/.lock-wscript", "/.wafpickle-*", "/build/config.gypi", "npm-debug.log",
        "**/.npmrc", ".*.swp", ".DS_Store", "**/.DS_Store/**", "._*", "**/._*/**", "*.orig", "/package-lock.json",
        "/yarn.lock", "/archived-packages/**",
    ]

    let context: WalkContext
    let node: SourceNode
    let relativePath: String
    let basename: String
    let parent: LegacyWalker?
    var rules: [RuleSet: [IgnoreRule]] = [:]
    private var packageFiles: [String]?

    init(context: WalkContext, node: SourceNode, relativePath: String, parent: LegacyWalker?) {
        self.context = context
        self.node = node
        self.relativePath = relativePath
        self.basename = PosixPath.basename(relativePath.isEmpty ? node.name : relativePath)
        self.parent = parent
        if parent == nil {
            var defaults = LegacyWalker.defaultRules
            // npm 8's npm-packlist (3.x/5.x) also ignores pnpm's lockfile (UNCONFIRMED for npm 7).
            if context.flavor == .packlist2to5 { defaults.insert("/pnpm-lock.yaml", at: defaults.count - 1) }
            rules[.rootBuiltin] = defaults.map(IgnoreRule.init)
        }
    }

    var mustHaveNames: [String] { context.flavor.mustHaveNames }
    var packageMustHaves: String { "@(\(mustHaveNames.joined(separator: "|"))){,.*[^~$]}" }

    /// `/^(readme|…)(\..*[^~$])?$/i`
    func isMustHave(_ name: String) -> Bool {
        let lower = name.lowercased()
        for base in mustHaveNames where lower.hasPrefix(base) {
            let rest = lower.dropFirst(base.count)
            if rest.isEmpty { return true }
            if rest.hasPrefix("."), rest.count >= 2, let last = rest.last, last != "~", last != "$" { return true }
        }
        return false
    }

    func start() throws {
        var entries: [String] = node.children.map(\.name)
        if parent == nil {
            entries.removeAll { $0 == ".git" || $0 == "node_modules" }
            if entries.contains("package.json"), let files = context.manifest.files {
                entries = globbedRootEntries(files)
            }
        }
        if entries.isEmpty { return }
        for name in entries where LegacyWalker.ignoreFiles.contains(.file(name)) {
            if name == "package.json" {
                guard parent == nil else { continue }
                if let packageFiles {
                    rules[.file("package.json")] = packageFiles.map { IgnoreRule("!" + $0) }
                } else {
                    rules[.packageNecessary] = mustHaveFiles().map { IgnoreRule("!" + $0) }
                }
            } else if let entry = node.child(name) {
                let text = try context.readText(entry, in: node, path: childPath(name))
                rules[.file(name)] = IgnoreRule.parseFile(text, trimRules: context.trimsRules)
            }
        }
        if rules[.file(".npmignore")] != nil { rules[.file(".gitignore")] = nil }
        for name in entries {
            let passFile = filterEntry(name, partial: false)
            let passDirectory = filterEntry(name, partial: true)
            guard passFile || passDirectory else { continue }
            let path = childPath(name)
            if name.contains("*") {
                context.skipped.append(SkippedItem(path: path, reason: .badName, detail: nil))
                continue
            }
            guard let entry = node.lookup(name) else { continue }
            switch entry.kind {
            case .file:
                if passFile { context.add(PosixPath.normalizeRelative(path), entry) }
            case .directory:
                if passDirectory {
                    try LegacyWalker(context: context, node: entry, relativePath: path, parent: self).start()
                }
            default:
                context.skip(path, entry)
            }
        }
    }

    private func childPath(_ name: String) -> String {
        relativePath.isEmpty ? name : relativePath + "/" + name
    }

    private func mustHaveFiles() -> [String] {
        let manifest = context.manifest
        var files: [String] = []
        if let browser = manifest.browser { files.append("/" + browser) }
        if let main = manifest.main { files.append("/" + main) }
        for (_, path) in manifest.bin { files.append("/" + path) }
        files += ["/package.json", "/npm-shrinkwrap.json", "!/package-lock.json", packageMustHaves]
        return files
    }

    /// npm-packlist 1.x `getPackageFiles`: glob every `files` pattern (plus the must-haves) from the root.
    private func globbedRootEntries(_ files: [String]) -> [String] {
        var patterns: [(String, Bool)] = []
        var seen = Set<String>()
        for raw in files + mustHaveFiles() where seen.insert(raw).inserted {
            var pattern = Substring(raw)
            var bangs = 0
            while pattern.first == "!" {
                bangs += 1
                pattern = pattern.dropFirst()
            }
            while pattern.first == "/" { pattern = pattern.dropFirst() }
            patterns.append((String(pattern), bangs % 2 == 1))
        }
        var set: [String] = []
        var negates: [String] = []
        for (pattern, negate) in patterns {
            for match in Glob.expand(pattern, in: node) {
                var path = match
                while path.hasSuffix("/") { path.removeLast() }
                if negate {
                    set.removeAll { $0 == path }
                    if !negates.contains(path) { negates.append(path) }
                } else {
                    if !set.contains(path) { set.append(path) }
                    negates.removeAll { $0 == path }
                }
            }
        }
        packageFiles = set + negates.map { "!" + $0 }
        var result: [String] = []
        for path in set {
            var clean = Substring(path)
            while clean.first == "/" { clean = clean.dropFirst() }
            if !result.contains(String(clean)) { result.append(String(clean)) }
        }
        return result
    }

    func filterEntry(_ entry: String, partial: Bool) -> Bool {
        let isRoot = parent == nil
        if relativePath.lowercased() == "node_modules" || relativePath.lowercased().hasPrefix("node_modules/") {
            return parent!.filterEntry(basename + "/" + entry, partial: partial)
        }
        if isRoot && (entry.hasPrefix("node_modules/") || entry == "node_modules") { return false }
        if isRoot && entry == "package.json" { return true }
        if isMustHave(entry) { return true }
        if isRoot && entry == "npm-shrinkwrap.json" { return true }
        if isRoot && entry == "package-lock.json" { return false }
        return ignoreWalkFilter(entry, partial: partial)
    }

    /// ignore-walk 3 `filterEntry`.
    private func ignoreWalkFilter(_ entry: String, partial: Bool) -> Bool {
        var included = true
        if let parent {
            included = parent.filterEntry(basename + "/" + entry, partial: partial)
        }
        for set in LegacyWalker.ignoreFiles {
            guard let list = rules[set] else { continue }
            for rule in list where rule.negate != included {
                let match = rule.matches("/" + entry) || rule.matches(entry)
                    || (partial && (rule.matches("/" + entry + "/") || rule.matches(entry + "/")))
                    || (partial && rule.negate && (rule.matches("/" + entry, partial: true) || rule.matches(entry, partial: true)))
                if match { included = rule.negate }
            }
        }
        return included
    }
}

/// A small node-glob (v7, `{dot: true, nocase: true}`) over a source tree.
enum Glob {
    /// Paths (relative, directories with a trailing `/` when the pattern ends in `/`) matching `pattern`.
    static func expand(_ pattern: String, in root: SourceNode) -> [String] {
        var results: [String] = []
        var seen = Set<String>()
        for alternative in BraceExpansion.expand(pattern) {
            let parts = IgnoreRule.slashSplit(alternative)
            let trailingSlash = parts.count > 1 && parts.last == ""
            let segments = trailingSlash ? Array(parts.dropLast()) : parts
            walk(root, "", segments[...], trailingSlash: trailingSlash) { path in
                if seen.insert(path).inserted { results.append(path) }
            }
        }
        return results
    }

    private static func walk(_ node: SourceNode, _ prefix: String, _ segments: ArraySlice<String>,
                             trailingSlash: Bool, _ emit: (String) -> Void) {
        guard let segment = segments.first else {
            if trailingSlash {
                if node.isDirectory { emit(prefix + "/") }
            } else {
                emit(prefix)
            }
            return
        }
        let rest = segments.dropFirst()
        func join(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }
        if segment == "**" {
            walk(node, prefix, rest, trailingSlash: trailingSlash, emit)
            guard node.isDirectory else { return }
            for child in node.children where child.isDirectory {
                walk(child, join(child.name), segments, trailingSlash: trailingSlash, emit)
            }
            return
        }
        guard node.isDirectory else { return }
        let compiled = Segment.compile(segment)
        if case .literal = compiled, !segment.contains("\\") {
            if let child = node.child(segment) { walk(child, join(child.name), rest, trailingSlash: trailingSlash, emit) }
            return
        }
        for child in node.children where compiled.matches(child.name.lowercased()) {
            walk(child, join(child.name), rest, trailingSlash: trailingSlash, emit)
        }
    }
}
