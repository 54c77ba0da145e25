import Foundation
import JSON
import LoopbackRegistry

/// "Serve these fixtures and write a project", for audit tests: the fixture registry on loopback and a temporary
/// project folder with a `package-lock.json` (v3 by default) naming the chosen fixture releases, optionally
/// installed (`node_modules/<name>/package.json`). One helper for what the audit tests of every target set up.
public final class AuditProject: Sendable {
    /// One locked package.
    public struct Package: Sendable {
        /// The package name (`@scope/name` for scoped packages).
        public var name: String
        /// The version.
        public var version: String
        /// The lockfile location (`node_modules/<name>` unless nested).
        public var location: String
        /// Whether the entry is a dev dependency.
        public var dev: Bool
        /// The lockfile integrity; nil takes the fixture case's (`Fixtures/npm/cases/<name>@<version>.json`).
        public var integrity: String?

        /// A package named by `spec` (`name@version`, `@scope/name@version`).
        public init(_ spec: String, at location: String? = nil, dev: Bool = false, integrity: String? = nil) {
            let at = spec.dropFirst().lastIndex(of: "@") ?? spec.endIndex
            name = String(spec[..<at])
            version = at < spec.endIndex ? String(spec[spec.index(after: at)...]) : ""
            self.location = location ?? "node_modules/\(name)"
            self.dev = dev
            self.integrity = integrity
        }

        /// The public-registry tarball URL (rewritten by the loopback registry's clients' `--registry`).
        public var resolved: String { RegistryContent.publicTarballURL(name: name, version: version) }
    }

    /// The loopback registry serving the fixtures.
    public let registry: LoopbackRegistry
    /// The project folder (removed by ``stop()``).
    public let folder: TemporaryFolder

    /// The project folder's URL.
    public var url: URL { folder.url }
    /// The registry's base URL as a string, for `--registry`.
    public var registryURL: String { registry.baseURL.absoluteString }

    /// Serves `content` (default: every fixture in `Fixtures/`) next to an empty project folder (for projects
    /// written by the caller).
    public init(serving content: RegistryContent? = nil) throws {
        registry = try LoopbackRegistry(content: try content ?? RegistryContent.fixtures(at: Fixtures.root))
        do { folder = try TemporaryFolder(label: "audit-project") } catch {
            registry.stop()
            throw error
        }
    }

    /// Serves `content` (default: every fixture in `Fixtures/`) and writes a project locking `packages`.
    /// - Parameters:
    ///   - root: the lockfile's root package entry (`packages[""]`).
    ///   - extra: further raw lockfile entries by location (git, file, link packages).
    ///   - installed: also write `node_modules/<name>/package.json` for every package.
    public convenience init(_ packages: [Package], root: JSONValue = ["name": "p", "version": "1.0.0"],
                            extra: [String: JSONValue] = [:], lockfileVersion: Int = 3, installed: Bool = false,
                            content: RegistryContent? = nil) throws {
        try self.init(serving: content)
        do {
            try Self.write(to: folder.url, packages: packages, root: root, extra: extra, lockfileVersion: lockfileVersion,
                           installed: installed)
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the registry and removes the project folder.
    public func stop() {
        registry.stop()
        folder.cleanup()
    }

    /// The `integrity` of a fixture release (from `Fixtures/npm/cases/<name>@<version>.json`).
    public static func fixtureIntegrity(name: String, version: String) throws -> String {
        let file = "npm/cases/\(name.replacingOccurrences(of: "@", with: "%40").replacingOccurrences(of: "/", with: "+"))@\(version).json"
        let document = try RawJSON(parsing: Fixtures.data(file))
        guard let integrity = document["integrity"]?.stringValue else {
            throw Fixtures.MissingFixture(path: "\(file) (its \"integrity\")")
        }
        return integrity
    }

    /// Writes `package-lock.json` (the `packages` form, `lockfileVersion` 2 or 3) locking `packages` into `folder`
    /// (created when absent), and with `installed` their `node_modules/<location>/package.json`.
    public static func write(to folder: URL, packages: [Package], root: JSONValue = ["name": "p", "version": "1.0.0"],
                             extra: [String: JSONValue] = [:], lockfileVersion: Int = 3, installed: Bool = false) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var entries: [String: RawJSON] = ["": root]
        for package in packages {
            var entry: RawJSON = [
                "version": .string(package.version),
                "integrity": .string(try package.integrity ?? fixtureIntegrity(name: package.name, version: package.version)),
                "resolved": .string(package.resolved),
            ]
            if package.dev { entry["dev"] = true }
            entries[package.location] = entry
            if installed {
                let directory = folder.appendingPathComponent(package.location)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let manifest: RawJSON = ["name": .string(package.name), "version": .string(package.version)]
                try manifest.encoded().write(to: directory.appendingPathComponent("package.json"))
            }
        }
        for (location, entry) in extra { entries[location] = entry }
        let lock: RawJSON = ["lockfileVersion": .int(lockfileVersion), "packages": .object(entries)]
        try lock.encoded().write(to: folder.appendingPathComponent("package-lock.json"))
    }
}
