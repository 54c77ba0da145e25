import Foundation

/// Where a locked package comes from, as the lockfile records it.
public enum PackageSource: Hashable, Sendable, Codable {
    /// A registry package (`resolved` is a registry tarball URL, or absent with a semver version).
    case registry
    /// A git dependency (`git+https://…`, `github:o/r`, …).
    case git(String)
    /// A local folder or tarball (`file:…`).
    case file(String)
    /// A symlink to a folder (`link: true`, workspaces, `link:` in yarn/pnpm).
    case link(String)
    /// A tarball at an arbitrary URL that is not a registry tarball.
    case remoteTarball(String)
    /// Something the parser does not recognise (fail closed: never audited as a registry package).
    case unknown(String)

    /// Whether the registry can vouch for it (signatures, attestations).
    public var isRegistry: Bool { self == .registry }

    /// Why a non-registry package cannot be audited (`nil` for registry packages).
    public var notAuditableReason: String? {
        switch self {
        case .registry: nil
        case .git(let spec): "not from a registry: git dependency \(spec)"
        case .file(let spec): "not from a registry: local file dependency \(spec)"
        case .link(let target): "not from a registry: link to \(target)"
        case .remoteTarball(let url): "not from a registry: tarball URL \(url)"
        case .unknown(let spec): "not from a registry: unrecognised source \(spec)"
        }
    }

    /// Classifies a lockfile `resolved` value (npm/yarn) for package `name`@`version`.
    ///
    /// Registry tarball URLs end in `/<name>/-/<basename>-<version>.tgz` (with `%2f` or `/` in scoped names,
    /// optionally followed by `#sha1`); any other http(s) URL is a remote tarball.
    public static func classify(resolved: String?, name: String, version: String) -> PackageSource {
        guard let resolved, !resolved.isEmpty else {
            return SemanticVersion.isExact(version) ? .registry : .unknown("version \(version) without a resolved URL")
        }
        let lower = resolved.lowercased()
        if lower.hasPrefix("git+") || lower.hasPrefix("git://") || lower.hasPrefix("github:") || lower.hasPrefix("gitlab:")
            || lower.hasPrefix("bitbucket:") || lower.hasPrefix("git@") || lower.hasPrefix("ssh://")
            || lower.hasPrefix("gist:") || lower.hasPrefix("https://codeload.github.com/")
        {
            return .git(resolved)
        }
        if lower.hasPrefix("file:") { return .file(resolved) }
        if lower.hasPrefix("link:") { return .link(String(resolved.dropFirst(5))) }
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            return isRegistryTarballURL(resolved, name: name, version: version) ? .registry : .remoteTarball(resolved)
        }
        // A relative path (npm v2/v3 writes workspace link targets this way).
        if resolved.hasPrefix(".") || resolved.hasPrefix("/") || !resolved.contains(":") { return .file(resolved) }
        return .unknown(resolved)
    }

    /// Whether `url` has the path shape of a registry tarball of `name`@`version`.
    public static func isRegistryTarballURL(_ url: String, name: String, version: String) -> Bool {
        var text = url
        if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
        if let query = text.firstIndex(of: "?") { text = String(text[..<query]) }
        let decoded = (text.removingPercentEncoding ?? text)
        let basename = name.split(separator: "/").last.map(String.init) ?? name
        let suffix = "/\(name)/-/\(basename)-\(version).tgz"
        return decoded.hasSuffix(suffix)
    }
}

/// How a package is depended on, as npm's `--omit` sees it.
public struct DependencyFlags: Hashable, Sendable, Codable {
    /// Only reachable through `devDependencies`.
    public var dev: Bool
    /// Only reachable through `optionalDependencies`.
    public var optional: Bool
    /// Reachable only through dev or optional edges (npm `devOptional`).
    public var devOptional: Bool
    /// Only reachable through `peerDependencies`.
    public var peer: Bool

    /// Creates flags.
    public init(dev: Bool = false, optional: Bool = false, devOptional: Bool = false, peer: Bool = false) {
        self.dev = dev
        self.optional = optional
        self.devOptional = devOptional
        self.peer = peer
    }

    /// Whether npm's `--omit` set excludes a node with these flags (arborist `shouldOmit`).
    public func isOmitted(by omit: Set<DependencyKind>) -> Bool {
        (peer && omit.contains(.peer)) || (dev && omit.contains(.dev)) || (optional && omit.contains(.optional))
            || (devOptional && omit.contains(.dev) && omit.contains(.optional))
    }
}

/// A dependency type `--omit` can name.
public enum DependencyKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// `devDependencies`.
    case dev
    /// `optionalDependencies`.
    case optional
    /// `peerDependencies`.
    case peer
}

/// One package a lockfile pins.
public struct LockedPackage: Hashable, Sendable, Codable {
    /// The registry name (the real name for aliases: `"alias": "npm:real@1"` gives `real`).
    public var name: String
    /// The exact version (or the spec, for non-registry packages).
    public var version: String
    /// Where it sits: the npm lockfile location (`node_modules/a/node_modules/b`), or the yarn/pnpm key.
    public var location: String
    /// The install folder relative to the project root when the lockfile fixes one (npm lockfiles), else `nil`.
    public var installPath: String?
    /// `resolved` as written.
    public var resolved: String?
    /// `integrity` as written (SRI), if any.
    public var integrity: String?
    /// Where it comes from.
    public var source: PackageSource
    /// Dependency-type flags for `--omit`.
    public var flags: DependencyFlags

    /// Creates a value.
    public init(
        name: String, version: String, location: String, installPath: String? = nil, resolved: String? = nil,
        integrity: String? = nil, source: PackageSource, flags: DependencyFlags = DependencyFlags()
    ) {
        self.name = name
        self.version = version
        self.location = location
        self.installPath = installPath
        self.resolved = resolved
        self.integrity = integrity
        self.source = source
        self.flags = flags
    }

    /// `name@version`.
    public var id: String { "\(name)@\(version)" }
}

/// The lockfile formats provcheck reads.
public enum LockfileFormat: String, Hashable, Sendable, Codable {
    /// `package-lock.json` / `npm-shrinkwrap.json`, lockfileVersion 1.
    case npmV1 = "npm-v1"
    /// lockfileVersion 2.
    case npmV2 = "npm-v2"
    /// lockfileVersion 3.
    case npmV3 = "npm-v3"
    /// `yarn.lock` v1 (yarn classic).
    case yarnV1 = "yarn-v1"
    /// `pnpm-lock.yaml` lockfileVersion 6.x.
    case pnpmV6 = "pnpm-v6"
    /// `pnpm-lock.yaml` lockfileVersion 9.x.
    case pnpmV9 = "pnpm-v9"
}

/// A parsed lockfile: every package it pins.
public struct Lockfile: Hashable, Sendable {
    /// The file read.
    public var file: URL
    /// Its format.
    public var format: LockfileFormat
    /// Every pinned package (the root project and workspace folders excluded).
    public var packages: [LockedPackage]
    /// The dependency edges (npm v2/v3 lockfiles), for `--workspace`; `nil` for other formats.
    public var graph: DependencyGraph?

    /// Creates a value.
    public init(file: URL, format: LockfileFormat, packages: [LockedPackage], graph: DependencyGraph? = nil) {
        self.file = file
        self.format = format
        self.packages = packages
        self.graph = graph
    }

    /// This lockfile narrowed to the packages the given workspaces (package names or folders) need,
    /// transitively, as npm's `--workspace` selects them.
    /// - Throws: ``LockfileError`` when the lockfile has no dependency graph or a workspace is unknown.
    public func selectingWorkspaces(_ selectors: [String]) throws -> Lockfile {
        var narrowed = self
        narrowed.packages = try packages(forWorkspaces: selectors)
        return narrowed
    }

    func packages(forWorkspaces selectors: [String]) throws -> [LockedPackage] {
        guard let graph else {
            throw LockfileError(file: file.path, message: "--workspace needs a package-lock.json v2 or v3 (this is \(format.rawValue))")
        }
        var folders: [String] = []
        for selector in selectors {
            guard let folder = graph.workspaceFolder(selector) else {
                throw LockfileError(file: file.path, message: "no workspace \"\(selector)\" (workspaces: "
                    + graph.workspaceFolders.map { graph.nodes[$0]?.name ?? $0 }.joined(separator: ", ") + ")")
            }
            folders.append(folder)
        }
        let reachable = graph.reachable(from: folders)
        // A workspace's own link (node_modules/<name> → its folder) is the workspace itself, not a dependency.
        let ownLinks = Set(graph.nodes.compactMap { location, node in
            node.linkTarget.map { folders.contains($0) ? location : nil } ?? nil })
        return packages.filter { reachable.contains($0.location) && !ownLinks.contains($0.location) }
    }

    /// The packages left after `--omit`.
    public func packages(omitting omit: Set<DependencyKind>) -> [LockedPackage] {
        omit.isEmpty ? packages : packages.filter { !$0.flags.isOmitted(by: omit) }
    }
}

/// A lockfile cannot be read. Names the file and, where known, the entry.
public struct LockfileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The entry (`packages["node_modules/x"]`, a yarn header, a YAML line) or `nil`.
    public var entry: String?
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, entry: String? = nil, message: String) {
        self.file = file
        self.entry = entry
        self.message = message
    }

    public var description: String {
        "\(file)\(entry.map { ": \($0)" } ?? ""): \(message)"
    }
}

/// Minimal semver facts the lockfile parsers need.
public enum SemanticVersion {
    /// Whether `text` is an exact semver version `MAJOR.MINOR.PATCH[-pre][+build]`.
    public static func isExact(_ text: String) -> Bool {
        var core = Substring(text)
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        if let dash = core.firstIndex(of: "-") {
            guard !core[core.index(after: dash)...].isEmpty else { return false }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
