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

/// A suite that owns a ``RegistryWorkspace``: its folder, registry and cleanup come from it.
public protocol RegistryWorkspaceSuite {
    /// The suite's folder and registry.
    var workspace: RegistryWorkspace { get }
}

extension RegistryWorkspaceSuite {
    /// The workspace's temporary folder.
    public var directory: URL { workspace.directory }
    /// The workspace's registry.
    public var registry: LoopbackRegistry { workspace.registry }
    /// Stops the registry and removes the folder.
    public func cleanup() { workspace.cleanup() }
}
