import Foundation

/// Locates the test fixtures shipped in the repository's `Fixtures/` folder
/// (copies of `../shared/fixtures`, with their attribution files).
public enum Fixtures {
    /// Errors raised when a fixture cannot be found.
    public struct MissingFixture: Error, CustomStringConvertible {
        /// The path that was looked up.
        public let path: String
        public var description: String {
            "fixture not found: \(path) (expected under Fixtures/ in the repository; copy it from ../shared/fixtures)"
        }
    }

    /// The repository root, derived from this source file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo
    }()

    /// The `Fixtures/` folder.
    public static var root: URL { repositoryRoot.appendingPathComponent("Fixtures") }

    /// The URL of a fixture file, relative to `Fixtures/`; throws ``MissingFixture`` when absent.
    public static func url(_ relativePath: String) throws -> URL {
        let url = root.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(path: url.path)
        }
        return url
    }

    /// The bytes of a fixture file, relative to `Fixtures/`.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// Every npm case file under `Fixtures/npm/cases`, sorted by name.
    public static func npmCaseFiles() throws -> [URL] {
        let dir = try url("npm/cases")
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
