import Foundation
import LoopbackRegistry

/// What a suite that runs provcheck against a loopback registry starts from: a fresh temporary folder and a
/// registry serving `content`, both removed by ``cleanup()`` (one helper for the CLI, action and build suites).
public struct RegistryWorkspace {
    /// The temporary folder (`provcheck-<label>-<uuid>`).
    public let directory: URL
    /// The running registry.
    public let registry: LoopbackRegistry

    /// Creates the folder and starts a registry serving `content`.
    public init(label: String, content: RegistryContent) throws {
        directory = try TemporaryFolder(label: label).url
        registry = try LoopbackRegistry(content: content)
    }

    /// Stops the registry and removes the folder.
    public func cleanup() {
        registry.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
