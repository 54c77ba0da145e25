import Foundation

/// Options for the standard pipeline the CLI runs.
public struct StandardPipelineOptions: Sendable {
    /// The registry root URL.
    public var registry: URL
    /// Only loopback registries and local sources.
    public var offline: Bool
    /// A Sigstore trusted root JSON file (default: the embedded production root).
    public var trustedRoot: URL?
    /// A registry keys JSON file (`{"keys":[…]}`; default: the registry's `/-/npm/v1/keys`, else npm's built-in keys).
    public var keys: URL?

    /// Makes options.
    public init(registry: URL, offline: Bool, trustedRoot: URL? = nil, keys: URL? = nil) {
        self.registry = registry
        self.offline = offline
        self.trustedRoot = trustedRoot
        self.keys = keys
    }
}

extension VerificationPipeline {
    /// The pipeline with the best stages this build has.
    public static func standard(_ options: StandardPipelineOptions) throws -> VerificationPipeline {
        for (label, file) in [("--trusted-root", options.trustedRoot), ("--keys", options.keys)] {
            if let file, !FileManager.default.fileExists(atPath: file.path) {
                throw VerificationError.input(path: file.path, problem: "\(label): no such file")
            }
        }
        return VerificationPipeline(
            registry: HTTPRegistryAccess(baseURL: options.registry, offline: options.offline),
            trust: UnavailableTrust(reason: "signature and attestation verification is not wired into this build yet"),
            sources: GitCommandSource(),
            rebuilder: UnavailableRebuilder(reason: "rebuilding from source is not wired into this build yet"),
            inspector: nil,
            hasher: DigestTarballHashing())
    }
}
