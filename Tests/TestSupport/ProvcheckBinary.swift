import Foundation

/// Runs the built `provcheck` executable, as a user would, for end-to-end CLI tests.
public enum ProvcheckBinary {
    /// The outcome of one run.
    public struct Run: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything printed on stdout.
        public var stdout: String
        /// Everything printed on stderr.
        public var stderr: String
        /// stdout parsed as a JSON object, when it is one.
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] }
    }

    /// The binary was not built.
    public struct NotFound: Error, CustomStringConvertible {
        /// Where it was looked for.
        public let searched: [String]
        public var description: String { "provcheck binary not found (build it first: swift build); looked at \(searched)" }
    }

    /// The `provcheck` executable: `$PROVCHECK_BINARY`, else next to the test bundle, else `.build/debug`.
    public static func url() throws -> URL {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["PROVCHECK_BINARY"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("provcheck"))
            directory.deleteLastPathComponent()
        }
        candidates.append(Fixtures.repositoryRoot.appendingPathComponent(".build/debug/provcheck"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw NotFound(searched: candidates.map(\.path))
        }
        return found
    }

    /// Runs `provcheck arguments…` to completion, isolated from the user's npm configuration and cache: a fresh
    /// `XDG_CACHE_HOME`, empty user and global npmrc files, no `npm_config_registry` (unless `environment` sets
    /// them).
    /// - Parameters:
    ///   - arguments: the command line after `provcheck`.
    ///   - directory: the working directory (default: the test process's).
    ///   - environment: variables added to (or, with a nil value, removed from) the environment.
    public static func run(_ arguments: [String], in directory: URL? = nil,
                           environment: [String: String?] = [:]) throws -> Run {
        let sandbox = FileManager.default.temporaryDirectory
            .appendingPathComponent("provcheck-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sandbox) }
        let emptyNpmrc = sandbox.appendingPathComponent("npmrc")
        try Data().write(to: emptyNpmrc)

        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = sandbox.appendingPathComponent("cache").path
        env["npm_config_userconfig"] = emptyNpmrc.path
        env["npm_config_globalconfig"] = emptyNpmrc.path
        env["npm_config_registry"] = nil
        env["NPM_CONFIG_REGISTRY"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a large stderr cannot block a process writing stdout.
        let stderrData = LockedData()
        let reader = Thread { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !stderrData.isSet { usleep(1000) }
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderrData.value, as: UTF8.self))
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}
