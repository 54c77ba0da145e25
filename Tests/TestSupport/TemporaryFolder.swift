import Foundation

/// A fresh folder under the system's temporary folder, removed by ``cleanup()`` (one helper for every test target).
public struct TemporaryFolder: Sendable {
    /// The folder.
    public let url: URL

    /// Creates `provcheck-<label>-<uuid>`.
    public init(label: String = "test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Removes the folder and everything in it.
    public func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// git for tests: a fixed identity, no signing, no user or system configuration.
public enum TestGit {
    /// Runs `git arguments` in `directory` and returns its trimmed stdout; throws ``ProcessRunner/Failed``.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL) throws -> String {
        let result = try ProcessRunner.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
             "-c", "tag.gpgsign=false"] + arguments,
            in: directory, environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"])
        return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
