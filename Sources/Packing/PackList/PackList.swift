import Foundation

/// One file selected for the tarball.
public struct PackListEntry: Sendable {
    /// Path relative to the package root (`lib/index.js`).
    public let path: String
    /// The source node (a regular file).
    public let node: SourceNode
}

/// Something in the source that npm would not (or, from git, could not) pack.
public struct SkippedItem: Codable, Sendable, Hashable {
    /// Why it is skipped.
    public enum Reason: String, Codable, Sendable {
        /// A symbolic link: npm never packs symlinks.
        case symlink
        /// A git submodule: its files are not in this repository.
        case submodule
        /// Not a regular file, directory or symlink.
        case specialFile = "special-file"
        /// The name contains `*`, which npm drops (bad on Windows).
        case badName = "bad-name"
        /// A `bundleDependencies` entry: bundled packages come from an installed `node_modules`, not from git.
        case bundledDependency = "bundled-dependency"
        /// A lifecycle script npm would run when packing (`prepack`, `prepare`, `postpack`): not run by default.
        case lifecycleScript = "lifecycle-script"
    }
    /// The relative path (or dependency / script name).
    public let path: String
    /// Why it is skipped.
    public let reason: Reason
    /// Extra detail (symlink target, submodule commit, script text).
    public let detail: String?
}

/// The file list `npm pack` would produce, in tar order.
public struct PackList: Sendable {
    /// The files in tar order (the npm-packlist sort).
    public let entries: [PackListEntry]
    /// Items not packed, with reasons.
    public let skipped: [SkippedItem]
    /// The root manifest.
    public let manifest: PackageManifest
    /// The npm-packlist / ignore-walk behaviour emulated.
    public let flavor: PacklistFlavor

    /// Computes the file list of the package at `source.root` for an npm generation.
    /// - Parameter npmVersion: the exact publisher npm version when known: npm 5.x and 6.0–6.9 (npm-packlist
    ///   before 1.4.2) used an older order (package.json first, root files first, then alphabetical).
    public static func compute(source: any PackageSource, generation: NPMGeneration,
                               npmVersion: String? = nil) throws -> PackList {
        let root = source.root
        guard let packageJSON = root.child("package.json"), case .file(_, _, let location) = packageJSON.kind else {
            throw SourceError("\(source.label): no package.json file at the package root")
        }
        let manifest = try PackageManifest(data: source.readAll(location), source: source.label)
        var manifestWithBins = manifest
        if manifest.bin.isEmpty, let dir = manifest.directoriesBin {
            manifestWithBins.bin = PackList.walkBinDirectory(root: root, directory: dir)
            manifestWithBins.executableBinPaths = manifestWithBins.bin.map(\.path).filter { !$0.hasPrefix(".") }
        }
        let flavor = PacklistFlavor(generation: generation, npmVersion: npmVersion)
        let context = WalkContext(source: source, manifest: manifestWithBins, generation: generation, flavor: flavor)
        if flavor.usesLegacyWalker, let npmVersion {
            let numbers = npmVersion.trimmingPrefix("v").split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
            let (major, minor) = (numbers.first ?? 0, numbers.count > 1 ? numbers[1] : 0)
            context.trimsRules = major > 8 || (major == 8 && minor >= 7)
        } else if flavor.usesLegacyWalker {
            context.trimsRules = flavor == .packlist2to5
        }
        if flavor.usesLegacyWalker {
            let walker = LegacyWalker(context: context, node: root, relativePath: "", parent: nil)
            try walker.start()
        } else {
            let walker = ModernWalker(context: context, node: root, relativePath: "", parent: nil,
                                      ignoreFiles: ModernWalker.rootIgnoreFiles, requiredFiles: [],
                                      isPackage: true, exact: nil)
            try walker.start()
        }
        for dependency in manifestWithBins.bundleDependencies {
            context.skipped.append(SkippedItem(path: "node_modules/\(dependency)", reason: .bundledDependency,
                                               detail: "bundled from the installed node_modules at publish time; not reproducible from git"))
        }
        for script in ["prepack", "prepare", "postpack"] {
            if let text = manifestWithBins.scripts[script] {
                context.skipped.append(SkippedItem(path: script, reason: .lifecycleScript, detail: text))
            }
        }
        let paths = context.resultOrder.map { $0.hasPrefix("@") ? "./" + $0 : $0 }
        let sorted = flavor.usesUnsortedOrder ? NPMSort.legacySort(paths) : NPMSort.sort(paths)
        let entries = sorted.map { path -> PackListEntry in
            let clean = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
            return PackListEntry(path: clean, node: context.results[clean]!)
        }
        return PackList(entries: entries, skipped: context.skipped, manifest: manifestWithBins, flavor: flavor)
    }

    /// read-package-json-fast `readBinDir`: every non-dot file under `directories.bin`, recursively.
    static func walkBinDirectory(root: SourceNode, directory: String) -> [(name: String, path: String)] {
        let dir = PosixPath.normalizeRelative(String(PosixPath.normalizeAbsolute("/" + directory).dropFirst()))
        guard let node = dir == "." ? root : root.lookup(dir), node.isDirectory else { return [] }
        var result: [(String, String)] = []
        func walk(_ node: SourceNode, _ prefix: String) {
            for child in node.children where !child.name.hasPrefix(".") {
                let path = prefix == "." ? child.name : prefix + "/" + child.name
                if child.isFile { result.append((child.name, path)) } else if child.isDirectory { walk(child, path) }
            }
        }
        walk(node, dir)
        return result
    }
}

/// Shared state of one walk.
final class WalkContext {
    let source: any PackageSource
    let manifest: PackageManifest
    let generation: NPMGeneration
    let flavor: PacklistFlavor
    /// ignore-walk ≥ 5.0.1 (npm ≥ 8.7, UNCONFIRMED boundary) trims rules; older ones keep the spaces.
    var trimsRules = true
    var results: [String: SourceNode] = [:]
    var resultOrder: [String] = []
    var skipped: [SkippedItem] = []

    init(source: any PackageSource, manifest: PackageManifest, generation: NPMGeneration, flavor: PacklistFlavor) {
        self.source = source
        self.manifest = manifest
        self.generation = generation
        self.flavor = flavor
    }

    func add(_ path: String, _ node: SourceNode) {
        if results[path] == nil {
            results[path] = node
            resultOrder.append(path)
        }
    }

    func skip(_ path: String, _ node: SourceNode) {
        switch node.kind {
        case .symlink(let target): skipped.append(SkippedItem(path: path, reason: .symlink, detail: target))
        case .submodule(let commit): skipped.append(SkippedItem(path: path, reason: .submodule, detail: commit))
        case .other: skipped.append(SkippedItem(path: path, reason: .specialFile, detail: nil))
        default: break
        }
    }

    /// Reads an ignore file entry as UTF-8 text (symlinks resolved inside the tree).
    func readText(_ node: SourceNode, in directory: SourceNode, path: String) throws -> String {
        var current = node
        var hops = 0
        while case .symlink(let target) = current.kind {
            hops += 1
            guard hops < 16, !target.hasPrefix("/"),
                  let resolved = directory.lookup(target) ?? nil else {
                throw SourceError("\(source.label): cannot read ignore file \(path) (symlink to \(target) outside the tree)")
            }
            current = resolved
        }
        guard case .file(_, _, let location) = current.kind else {
            throw SourceError("\(source.label): ignore file \(path) is not a regular file (npm pack fails with EISDIR)")
        }
        return String(decoding: try source.readAll(location), as: UTF8.self)
    }
}

/// ignore-walk 6 + npm-packlist 7/8 (npm 9/10; also npm 7/8 rules) and 9/10 (npm 11).
final class ModernWalker {
    enum RuleSet: Hashable {
        case defaults
        case strict
        case file(String)
    }

    static let rootIgnoreFiles: [RuleSet] = [.defaults, .file("package.json"), .file(".npmignore"), .file(".gitignore"), .strict]
    static let subIgnoreFiles: [RuleSet] = [.defaults, .file(".npmignore"), .file(".gitignore"), .strict]

    static let defaultRules = [
        ".npmignore", ".gitignore", "**/.git", "**/.svn", "**/.hg", "**/CVS", "**/.git/**", "**/.svn/**",
        "**/.hg/**", "**/CVS/**", "/.lock-wscript", "/.wafpickle-*", "/build/config.gypi", "npm-debug.log",
        "**/.npmrc", ".*.swp", ".DS_Store", "**/.DS_Store/**", "._*", "**/._*/**", "*.orig", "/archived-packages/**",
    ]
    // Compiled once; rule compilation is pure.
    static let compiledDefaults = defaultRules.map(IgnoreRule.init)

    let context: WalkContext
    let node: SourceNode
    let relativePath: String
    let basename: String
    let parent: ModernWalker?
    let ignoreFiles: [RuleSet]
    var rules: [RuleSet: [IgnoreRule]] = [:]
    var requiredFiles: [String]
    let isPackage: Bool
    let exact: Bool?

    init(context: WalkContext, node: SourceNode, relativePath: String, parent: ModernWalker?,
         ignoreFiles: [RuleSet], requiredFiles: [String], isPackage: Bool, exact: Bool?) {
        self.context = context
        self.node = node
        self.relativePath = relativePath
        self.basename = node.name
        self.parent = parent
        self.ignoreFiles = ignoreFiles
        self.requiredFiles = requiredFiles
        self.isPackage = isPackage
        self.exact = exact
        rules[.defaults] = ModernWalker.compiledDefaults
        if !isPackage {
            rules[.strict] = (["/.git"] + requiredFiles.map { "!" + $0 }).map(IgnoreRule.init)
        }
    }

    func start() throws {
        let entries = node.children
        if entries.isEmpty { return }
        for entry in entries where ignoreFiles.contains(.file(entry.name)) {
            if entry.name == "package.json" && isPackage {
                processPackage()
            } else {
                let text = try context.readText(entry, in: node, path: childPath(entry.name))
                rules[.file(entry.name)] = IgnoreRule.parseFile(text)
            }
        }
        if rules[.file("package.json")] != nil {
            rules[.file(".npmignore")] = nil
            rules[.file(".gitignore")] = nil
        } else if rules[.file(".npmignore")] != nil {
            rules[.file(".gitignore")] = nil
        }
        for entry in entries {
            let passFile = filterEntry(entry.name, partial: false, entryBasename: nil)
            let passDirectory = filterEntry(entry.name, partial: true, entryBasename: nil)
            guard passFile || passDirectory else { continue }
            let path = childPath(entry.name)
            if entry.name.contains("*") {
                context.skipped.append(SkippedItem(path: path, reason: .badName, detail: nil))
                continue
            }
            switch entry.kind {
            case .file:
                if passFile { context.add(path, entry) }
            case .directory:
                guard passDirectory else { continue }
                let childExact = context.flavor.hasNestedRuleFixes
                    ? passFile || filterEntry(entry.name + "/", partial: false, entryBasename: nil) : nil
                let childRequired = requiredFiles.compactMap { ModernWalker.requiredFile($0, inside: entry.name) }
                let child = ModernWalker(
                    context: context, node: entry, relativePath: path, parent: self,
                    ignoreFiles: context.manifest.workspaces != nil ? ModernWalker.rootIgnoreFiles : ModernWalker.subIgnoreFiles,
                    requiredFiles: childRequired, isPackage: false, exact: childExact)
                try child.start()
            default:
                context.skip(path, entry)
            }
        }
    }

    private func childPath(_ name: String) -> String {
        relativePath.isEmpty ? name : relativePath + "/" + name
    }

    /// `relative(file, entry) === '..'` → `relative(entry, file)`.
    static func requiredFile(_ file: String, inside entry: String) -> String? {
        let normalized = PosixPath.normalizeRelative(file)
        let entryNormalized = PosixPath.normalizeRelative(entry)
        guard normalized != ".", !normalized.hasPrefix(".."),
              PosixPath.dirname(normalized) == entryNormalized else { return nil }
        return PosixPath.basename(normalized)
    }

    func filterEntry(_ entry: String, partial: Bool, entryBasename: String?) -> Bool {
        var included = true
        let fixes = context.flavor.hasNestedRuleFixes
        if let parent {
            included = parent.filterEntry(basename + "/" + entry, partial: partial,
                                          entryBasename: fixes ? (entryBasename ?? entry) : nil)
            if fixes && !included && !(exact ?? false) { return false }
        }
        let lower = entry.lowercased()
        let slashEntry = MatchInput("/" + lower)
        let plainEntry = MatchInput(lower)
        var partialInputs: [MatchInput]?
        var baseInputs: [MatchInput]?
        for set in ignoreFiles {
            guard let list = rules[set] else { continue }
            for rule in list where rule.negate != included {
                var match = rule.matches(slashEntry, partial: false) || rule.matches(plainEntry, partial: false)
                if !match && partial {
                    if partialInputs == nil {
                        partialInputs = [MatchInput("/" + lower + "/"), MatchInput(lower + "/")]
                    }
                    let inputs = partialInputs!
                    match = rule.matches(inputs[0], partial: false) || rule.matches(inputs[1], partial: false)
                        || (rule.negate && (rule.matches(slashEntry, partial: true) || rule.matches(plainEntry, partial: true)))
                    if !match, fixes, let base = entryBasename, rule.isRelativeRule {
                        if baseInputs == nil {
                            let lowerBase = base.lowercased()
                            baseInputs = [MatchInput("/" + lowerBase + "/"), MatchInput(lowerBase + "/"),
                                          MatchInput("/" + lowerBase), MatchInput(lowerBase)]
                        }
                        let b = baseInputs!
                        match = rule.matches(b[0], partial: false) || rule.matches(b[1], partial: false)
                            || (rule.negate && (rule.matches(b[2], partial: true) || rule.matches(b[3], partial: true)))
                    }
                }
                if match { included = rule.negate }
            }
        }
        return included
    }

    private func processPackage() {
        let manifest = context.manifest
        var ignores: [String] = []
        var strict = [
            "/.git", "!/package.json", "!/readme{,.*[^~$]}", "!/copying{,.*[^~$]}", "!/license{,.*[^~$]}",
            "!/licence{,.*[^~$]}", "/.git", "/node_modules", ".npmrc", "/package-lock.json", "/yarn.lock",
            "/pnpm-lock.yaml",
        ]
        if context.flavor == .packlist10 { strict.append("/bun.lockb") }
        if let files = manifest.files {
            for original in files {
                var file = original
                if file.hasPrefix("./") { file = String(file.dropFirst()) }
                if file.hasSuffix("/*") { file += "*" }
                let inverse = "!" + file
                let target = String(file.drop { $0 == "!" })
                switch lstatKind(target) {
                case .file:
                    strict.insert(inverse, at: 0)
                    requiredFiles.append(file.hasPrefix("/") ? String(file.dropFirst()) : file)
                case .directory:
                    ignores.append(inverse)
                    ignores.append(inverse + "/**")
                case .other:
                    break
                case .missing:
                    ignores.append(inverse)
                }
            }
            rules[.file("package.json")] = (["*"] + ignores).flatMap { IgnoreRule.parseFile($0) }
        }
        if let browser = manifest.browser { strict.append("!/" + browser) }
        if let main = manifest.main { strict.append("!/" + main) }
        for (_, path) in manifest.bin { strict.append("!/" + path) }
        rules[.strict] = strict.flatMap { IgnoreRule.parseFile($0) }
    }

    enum StatKind { case file, directory, other, missing }

    /// `lstat(join(root, path))` in the source tree.
    private func lstatKind(_ path: String) -> StatKind {
        let joined = PosixPath.normalizeRelative(path.hasPrefix("/") ? String(path.dropFirst()) : path)
        if joined.hasPrefix("..") { return .missing }
        let trailingSlash = joined.hasSuffix("/")
        guard let found = joined == "." ? node : node.lookup(joined) else { return .missing }
        switch found.kind {
        case .file: return trailingSlash ? .missing : .file
        case .directory: return .directory
        case .symlink: return trailingSlash ? .missing : .other
        default: return .other
        }
    }
}
