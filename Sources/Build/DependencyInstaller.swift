import Digest
import Foundation
import JSON
import Registry

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the dependency install did.
public struct InstallSummary: Sendable, Hashable, Codable {
    /// The lockfile read (relative to the checkout).
    public var lockfile: String
    /// Its `lockfileVersion`.
    public var lockfileVersion: Int
    /// Packages unpacked into `node_modules`.
    public var installed: Int
    /// Of those, tarballs taken from the integrity cache.
    public var fromCache: Int
    /// Workspace links made.
    public var links: Int
    /// Optional packages skipped (another platform).
    public var skippedOptional: [String]
    /// Packages with install scripts that were not run (`--allow-install-scripts` runs them).
    public var installScriptsNotRun: [String]
    /// Packages whose install scripts ran.
    public var installScriptsRun: [String]

    enum CodingKeys: String, CodingKey {
        case lockfile, lockfileVersion = "lockfile_version", installed, fromCache = "from_cache", links
        case skippedOptional = "skipped_optional", installScriptsNotRun = "install_scripts_not_run"
        case installScriptsRun = "install_scripts_run"
    }
}

/// Installs a `package-lock.json` into `node_modules` the way `npm ci --ignore-scripts` lays it out: every tarball
/// fetched through provcheck's registry client (a `registry.npmjs.org` URL moved to the configured registry, as
/// npm's `replace-registry-host` does), checked against the lockfile's integrity before anything is unpacked,
/// cached by integrity; workspace links and `.bin` links made.
struct DependencyInstaller {
    let client: RegistryClient
    /// Where verified tarballs are kept (named by their integrity); `nil`: a temporary folder.
    let cacheDirectory: URL?

    /// The URL a lockfile `resolved` is fetched from: the configured registry (of the package's scope) replaces
    /// the host `registry.npmjs.org`, keeping the path (pacote: `new URL(pathname, registry)`).
    static func fetchURL(resolved: String, name: String, configuration: RegistryConfiguration) -> URL? {
        guard let url = URL(string: resolved), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            return nil
        }
        guard url.host?.lowercased() == "registry.npmjs.org" else { return url }
        let registry = configuration.registry(forPackage: name)
        guard var components = URLComponents(url: registry, resolvingAgainstBaseURL: false) else { return url }
        components.percentEncodedPath = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? url.path
        components.percentEncodedQuery = nil
        return components.url ?? url
    }

    /// Installs `lock` under `root`. Every tarball is fetched and verified first; only when all match is anything
    /// unpacked.
    /// - Throws: ``BuildError`` `.integrityMismatch` naming the package (nothing unpacked), `.fetch`, `.lockfile`
    ///   for entries provcheck cannot install (git, file and remote-URL specs), `.unpack`.
    func install(_ lock: PackageLock, lockfile: String, root: URL) async throws -> InstallSummary {
        var summary = InstallSummary(lockfile: lockfile, lockfileVersion: lock.lockfileVersion, installed: 0, fromCache: 0,
                                     links: 0, skippedOptional: [], installScriptsNotRun: [], installScriptsRun: [])
        var toFetch: [(LockedInstall, URL, Integrity)] = []
        var links: [LockedInstall] = []
        for entry in lock.entries {
            if entry.link {
                if entry.isDependency { links.append(entry) }
                continue
            }
            guard entry.isDependency, !entry.inBundle else { continue }
            if entry.optional, !Self.supportsPlatform(entry) {
                summary.skippedOptional.append("\(entry.name)@\(entry.version ?? "?")")
                continue
            }
            guard let resolved = entry.resolved else {
                throw BuildError(.lockfile, "\(lockfile): \(entry.location) has no \"resolved\" URL to fetch")
            }
            guard let url = Self.fetchURL(resolved: resolved, name: entry.name, configuration: client.configuration) else {
                throw BuildError(.lockfile, "\(lockfile): \(entry.name)@\(entry.version ?? "?") comes from \(resolved) "
                    + "(git, file or other non-registry source): provcheck installs registry tarballs only")
            }
            guard let text = entry.integrity, let integrity = try? Integrity(text) else {
                throw BuildError(.lockfile, "\(lockfile): \(entry.name)@\(entry.version ?? "?") has no valid \"integrity\": "
                    + "its tarball cannot be checked, so it is not installed")
            }
            toFetch.append((entry, url, integrity))
        }

        // 1. Fetch and verify everything (bounded concurrency).
        let cache = cacheDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-build-tarballs")
        do { try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true) } catch {
            throw BuildError(.io, "cannot create the tarball cache \(cache.path): \(error.localizedDescription)")
        }
        var files: [String: (URL, Bool)] = [:]
        try await withThrowingTaskGroup(of: (String, URL, Bool).self) { group in
            var next = 0
            func add() {
                guard next < toFetch.count else { return }
                let (entry, url, integrity) = toFetch[next]
                next += 1
                group.addTask { try await self.fetchVerified(entry, url: url, integrity: integrity, cache: cache) }
            }
            for _ in 0..<min(8, toFetch.count) { add() }
            while let (location, file, cached) = try await group.next() {
                files[location] = (file, cached)
                add()
            }
        }

        // 2. Unpack, parents first. As `npm ci` does, a node_modules the commit ships is removed first; no folder
        // on the way may be a symlink (a repository could point one outside the build folder).
        let shipped = root.appendingPathComponent("node_modules")
        if (try? FileManager.default.attributesOfItem(atPath: shipped.path)) != nil {
            try? FileManager.default.removeItem(at: shipped)
        }
        for entry in lock.entries where entry.isDependency {
            try Self.refuseSymlinks(root: root, relative: entry.location, lockfile: lockfile)
        }
        for (entry, _, _) in toFetch {
            guard let (file, cached) = files[entry.location] else { continue }
            let target = root.appendingPathComponent(entry.location)
            try TarballExtractor.extract(file, into: target, package: "\(entry.name)@\(entry.version ?? "?")")
            summary.installed += 1
            if cached { summary.fromCache += 1 }
            if entry.hasInstallScript { summary.installScriptsNotRun.append("\(entry.name)@\(entry.version ?? "?")") }
        }

        // 3. Workspace links.
        for entry in links {
            guard let target = entry.resolved, PackageLock.isSafeRelativePath(target) else {
                throw BuildError(.lockfile, "\(lockfile): the link \(entry.location) points outside the project (\(entry.resolved ?? "nothing"))")
            }
            let linkURL = root.appendingPathComponent(entry.location)
            try? FileManager.default.createDirectory(at: linkURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            let depth = entry.location.split(separator: "/").count - 1
            let relative = String(repeating: "../", count: depth) + target
            do {
                try FileManager.default.createSymbolicLink(atPath: linkURL.path, withDestinationPath: relative)
            } catch {
                throw BuildError(.io, "cannot link \(entry.location) → \(target): \(error.localizedDescription)")
            }
            summary.links += 1
        }

        // 4. .bin links, for every installed package and linked workspace.
        for entry in lock.entries where entry.isDependency && !entry.inBundle {
            let folder = root.appendingPathComponent(entry.location)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("package.json").path) else { continue }
            try BinLinks.link(package: folder, location: entry.location, root: root)
        }
        return summary
    }

    /// Downloads one tarball (or takes it from the cache) and checks it against the lockfile integrity.
    private func fetchVerified(_ entry: LockedInstall, url: URL, integrity: Integrity, cache: URL) async throws -> (String, URL, Bool) {
        let label = "\(entry.name)@\(entry.version ?? "?")"
        let algorithm = integrity.strongestAlgorithm
        let key = integrity.strongestHashes.first.map { "\(algorithm.rawValue)-" + DigestEncoding.hex($0.digest) } ?? UUID().uuidString
        let cached = cache.appendingPathComponent(key + ".tgz")
        if FileManager.default.fileExists(atPath: cached.path),
           let digests = try? Hashing.digest(fileAt: cached, algorithms: [algorithm]), integrity.verify(digests).ok {
            return (entry.location, cached, true)
        }
        let partial = cache.appendingPathComponent(".\(key).\(UUID().uuidString).part")
        defer { try? FileManager.default.removeItem(at: partial) }
        do {
            try await client.tarball(from: url, to: partial)
        } catch {
            throw BuildError(.fetch, "cannot fetch \(label) from \(url.absoluteString): \(error)")
        }
        let digests: DigestSet
        do { digests = try Hashing.digest(fileAt: partial, algorithms: [algorithm]) } catch {
            throw BuildError(.io, "cannot hash the tarball of \(label): \(error)")
        }
        let check = integrity.verify(digests)
        guard check.ok else {
            throw BuildError(.integrityMismatch,
                             "dependency \(label) (\(entry.location)) from \(url.absoluteString) does not match the lockfile: "
                                + "\(check.algorithm.rawValue) is \(check.actual ?? "?"), the lockfile says \(check.expected); "
                                + "nothing was unpacked")
        }
        try? FileManager.default.removeItem(at: cached)
        do { try FileManager.default.moveItem(at: partial, to: cached) } catch {
            throw BuildError(.io, "cannot store the tarball of \(label) in \(cache.path): \(error.localizedDescription)")
        }
        return (entry.location, cached, false)
    }

    /// Throws when the install root or any existing folder on the way to `relative` (its last component excluded)
    /// is a symlink.
    static func refuseSymlinks(root: URL, relative: String, lockfile: String) throws {
        var path = root.path
        var components = relative.split(separator: "/").map(String.init)
        components.removeLast()
        for component in [""] + components {
            if !component.isEmpty { path += "/" + component }
            var info = stat()
            guard lstat(path, &info) == 0 else { return }  // not there yet: created by us
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw BuildError(.unpack, "\(lockfile): installing \(relative) would pass through the symlink \(path) "
                    + "(the commit ships it): refused")
            }
        }
    }

    /// npm's `os`/`cpu` check for this machine (`!x` excludes, otherwise the list must name it).
    static func supportsPlatform(_ entry: LockedInstall) -> Bool {
        #if os(Linux)
        let os = "linux"
        #else
        let os = "darwin"
        #endif
        #if arch(x86_64)
        let cpu = "x64"
        #elseif arch(arm64)
        let cpu = "arm64"
        #else
        let cpu = "unknown"
        #endif
        func matches(_ list: [String], _ value: String) -> Bool {
            if list.isEmpty { return true }
            if list.contains("!" + value) { return false }
            let positive = list.filter { !$0.hasPrefix("!") }
            return positive.isEmpty || positive.contains(value) || positive.contains("any")
        }
        return matches(entry.os, os) && matches(entry.cpu, cpu)
    }
}

/// `.bin` links as npm's bin-links makes them: `<parent node_modules>/.bin/<name>` → `../<package>/<path>`, the
/// target made executable.
enum BinLinks {
    static func link(package folder: URL, location: String, root: URL) throws {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("package.json").path),
              let manifest = try? RawJSON(parsing: data) else { return }
        let packageName = manifest["name"]?.stringValue ?? String(location.split(separator: "/").last ?? "")
        var bins: [(String, String)] = []
        switch manifest["bin"] {
        case .string(let path)?:
            let name = packageName.split(separator: "/").last.map(String.init) ?? packageName
            bins.append((name, path))
        case .object(let object)?:
            for (name, value) in object { if let path = value.stringValue { bins.append((name, path)) } }
        default:
            break
        }
        guard !bins.isEmpty else { return }
        guard let range = location.range(of: "node_modules/", options: .backwards) else { return }
        let parent = String(location[..<range.upperBound])  // "…node_modules/"
        let inParent = String(location[range.upperBound...])  // "a" or "@s/a"
        let binFolder = root.appendingPathComponent(parent + ".bin")
        try? FileManager.default.createDirectory(at: binFolder, withIntermediateDirectories: true)
        for (rawName, rawPath) in bins.sorted(by: { $0.0 < $1.0 }) {
            // bin-links: the link name is the last path component; the target must stay in the package.
            let name = rawName.split(separator: "/").last.map(String.init) ?? rawName
            let path = rawPath.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
            guard !name.isEmpty, name != ".", name != "..", !path.isEmpty, PackageLock.isSafeRelativePath(path) else { continue }
            let link = binFolder.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: link)
            try? FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../" + inParent + "/" + path)
            // Made executable only when it is a regular file reached without a symlink (a workspace's bin could be
            // a symlink the commit ships, pointing outside the build folder).
            let target = folder.resolvingSymlinksInPath().appendingPathComponent(path)
            var info = stat()
            if target.path.hasPrefix(root.resolvingSymlinksInPath().path + "/"),
               lstat(target.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
               target.resolvingSymlinksInPath().path == target.path {
                chmod(target.path, (info.st_mode & 0o7777) | 0o111)
            }
        }
    }
}
