import Foundation
import LoopbackRegistry

/// The `--build` fixtures (Fixtures/build, see Fixtures/README.md): git repositories made at run time from the
/// committed sources, and their "published" tarballs made by a CI-like `npm ci && npm pack` with the installed npm
/// against a loopback registry serving the devDependency `fixture-banner@1.0.0`.
public enum BuildFixtures {
    /// A command's outcome.
    public struct Outcome: Sendable {
        /// Exit status.
        public var status: Int32
        /// stdout and stderr together.
        public var output: String
    }

    /// A command failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What ran and what it printed.
        public let description: String
    }

    /// `Fixtures/build`.
    public static var folder: URL { Fixtures.root.appendingPathComponent("build") }

    /// The registry content serving `fixture-banner@1.0.0` (the committed tarball).
    public static func registryContent() throws -> RegistryContent {
        var content = RegistryContent()
        let tarball = try Data(contentsOf: folder.appendingPathComponent("fixture-banner-1.0.0.tgz"))
        content.addVersion(name: "fixture-banner", version: "1.0.0", tarball: tarball,
                           manifest: ["bin": ["fixture-banner": "bin/banner.js"], "license": "MIT"])
        return content
    }

    /// Runs `arguments` (through `/usr/bin/env`) in `directory` with the environment plus `environment`.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                           check: Bool = true) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-fixture-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if check && process.terminationStatus != 0 {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus) in \(directory.path):\n\(output)")
        }
        return Outcome(status: process.terminationStatus, output: output)
    }

    /// Copies the fixture `name` into `parent/<name>-repo`, applies `files` (path → content, replacing), commits it
    /// with fixed dates (2024-01-01) and tags it `tag`. Returns the repository folder.
    public static func makeRepository(_ name: String, in parent: URL, files: [String: String] = [:],
                                      tag: String = "v1.0.0") throws -> URL {
        let fm = FileManager.default
        let repository = parent.appendingPathComponent("\(name)-repo-\(UUID().uuidString.prefix(8))")
        try fm.copyItem(at: folder.appendingPathComponent(name), to: repository)
        for (path, content) in files {
            let url = repository.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        let dates = ["GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
                     "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"]
        try run(["git", "init", "-q", "-b", "main"], in: repository, environment: dates)
        try run(["git", "add", "-A"], in: repository, environment: dates)
        try run(["git", "-c", "user.name=Fixture", "-c", "user.email=fixture@example.invalid", "commit", "-q", "-m",
                 "\(name) 1.0.0"], in: repository, environment: dates)
        try run(["git", "tag", tag], in: repository, environment: dates)
        return repository
    }

    /// The CI-like publish: a fresh clone, `npm ci` (when a lockfile exists) at its root, `npm pack` in `directory`,
    /// offline against `registry`. Returns the tarball.
    /// `appending` (path in the package → text): after the real pack, appended to those built files and packed again
    /// with `--ignore-scripts` (a tampered publish: the same build plus injected code).
    /// `before` commands run in the package folder between `npm ci` and `npm pack` (a workflow's `npm run build`).
    public static func ciPack(repository: URL, directory: String? = nil, registry: URL, in parent: URL,
                              appending: [String: String] = [:], before: [[String]] = []) throws -> URL {
        let fm = FileManager.default
        let work = parent.appendingPathComponent("ci-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        let clone = work.appendingPathComponent("checkout")
        try run(["git", "clone", "-q", repository.path, clone.path], in: work)
        let npmrc = work.appendingPathComponent("npmrc")
        let globalNpmrc = work.appendingPathComponent("global-npmrc")
        try Data().write(to: npmrc)
        try Data().write(to: globalNpmrc)
        let env = ["npm_config_registry": registry.absoluteString, "npm_config_cache": work.appendingPathComponent("cache").path,
                   "npm_config_userconfig": npmrc.path, "npm_config_globalconfig": globalNpmrc.path,
                   "npm_config_audit": "false", "npm_config_fund": "false", "npm_config_update_notifier": "false",
                   "CI": "true"]
        if fm.fileExists(atPath: clone.appendingPathComponent("package-lock.json").path) {
            try run(["npm", "ci"], in: clone, environment: env)
        }
        let out = work.appendingPathComponent("out")
        try fm.createDirectory(at: out, withIntermediateDirectories: true)
        let packDir = directory.map { clone.appendingPathComponent($0) } ?? clone
        for command in before { try run(command, in: packDir, environment: env) }
        try run(["npm", "pack", "--pack-destination", out.path], in: packDir, environment: env)
        if !appending.isEmpty {
            for (path, text) in appending {
                let handle = try FileHandle(forWritingTo: packDir.appendingPathComponent(path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(text.utf8))
                try handle.close()
            }
            for file in try fm.contentsOfDirectory(atPath: out.path) { try fm.removeItem(at: out.appendingPathComponent(file)) }
            try run(["npm", "pack", "--ignore-scripts", "--pack-destination", out.path], in: packDir, environment: env)
        }
        guard let tgz = try fm.contentsOfDirectory(atPath: out.path).first(where: { $0.hasSuffix(".tgz") }) else {
            throw Failure(description: "npm pack wrote no tarball in \(out.path)")
        }
        return out.appendingPathComponent(tgz)
    }

    /// Whether bubblewrap is installed and can create its namespaces here.
    public static let bubblewrapWorks: Bool = {
        guard let outcome = try? run(["bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                                      "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                                      "--", "/bin/sh", "-c", "exit 0"],
                                     in: FileManager.default.temporaryDirectory, check: false) else { return false }
        return outcome.status == 0
    }()

    /// Whether `node`, `npm` and `git` are on PATH.
    public static let toolsPresent: Bool = {
        ["node", "npm", "git"].allSatisfy { tool in
            (try? run(["sh", "-c", "command -v \(tool)"], in: FileManager.default.temporaryDirectory, check: false))?.status == 0
        }
    }()

    /// Signs `name@version:integrity` with a fresh P-256 key (openssl CLI) and serves the key and the signature, so
    /// `trust.signatures` passes for a fixture package.
    public static func sign(_ registry: LoopbackRegistry, name: String, version: String, integrity: String, in directory: URL) throws {
        let key = directory.appendingPathComponent("registry-key-\(UUID().uuidString.prefix(8)).pem")
        let spkiFile = directory.appendingPathComponent("spki-\(UUID().uuidString.prefix(8)).der")
        try run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.path], in: directory)
        try run(["openssl", "pkey", "-in", key.path, "-pubout", "-outform", "DER", "-out", spkiFile.path], in: directory)
        let spki = try Data(contentsOf: spkiFile)
        func sshString(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
        }
        let wire = directory.appendingPathComponent("wire")
        try Data(sshString(Array("ecdsa-sha2-nistp256".utf8)) + sshString(Array("nistp256".utf8))
            + sshString(Array(spki.suffix(65)))).write(to: wire)
        let digest = directory.appendingPathComponent("digest")
        try run(["openssl", "dgst", "-sha256", "-binary", "-out", digest.path, wire.path], in: directory)
        var keyid = try Data(contentsOf: digest).base64EncodedString()
        while keyid.hasSuffix("=") { keyid.removeLast() }
        keyid = "SHA256:" + keyid
        let message = directory.appendingPathComponent("message")
        try Data("\(name)@\(version):\(integrity)".utf8).write(to: message)
        let signature = directory.appendingPathComponent("signature")
        try run(["openssl", "dgst", "-sha256", "-sign", key.path, "-out", signature.path, message.path], in: directory)
        let sig = try Data(contentsOf: signature).base64EncodedString()
        let keyJSON: JSONValue = ["expires": .null, "keyid": .string(keyid), "keytype": "ecdsa-sha2-nistp256",
                                  "scheme": "ecdsa-sha2-nistp256", "key": .string(spki.base64EncodedString())]
        registry.update { content in
            content.keys = ["keys": .array((content.keys?["keys"]?.arrayValue ?? []) + [keyJSON])]
            content.updateVersion(name: name, version: version) {
                $0["dist"]?["signatures"] = [["keyid": .string(keyid), "sig": .string(sig)]]
            }
        }
    }
}
