import Build
import Foundation
import NPMTrust
import Registry

/// Options for the standard pipeline the CLI runs.
public struct StandardPipelineOptions: Sendable {
    /// The registry configuration (from `RegistryConfiguration.resolve`: flag, environment, .npmrc).
    public var registry: RegistryConfiguration
    /// Only loopback registries and local sources.
    public var offline: Bool
    /// A Sigstore trusted root JSON file (default: the embedded production root).
    public var trustedRoot: URL?
    /// A registry keys JSON file (`{"keys":[…]}`; default: the registry's `/-/npm/v1/keys`, else npm's built-in keys).
    public var keys: URL?
    /// `--build`: build packages whose tarball holds build output, in a sandbox (module `Build`); `nil`: never.
    /// Its registry is replaced by the pipeline's effective one.
    public var build: BuildSettings?

    /// Makes options.
    public init(registry: RegistryConfiguration, offline: Bool, trustedRoot: URL? = nil, keys: URL? = nil,
                build: BuildSettings? = nil) {
        self.registry = registry
        self.offline = offline
        self.trustedRoot = trustedRoot
        self.keys = keys
        self.build = build
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
        let configuration = Self.effective(options)
        let root = try options.trustedRoot.map(NPMTrustStage.loadTrustedRoot) ?? .production
        let keys: RegistryKeysSource = options.keys.map { .file($0) } ?? .automatic
        return VerificationPipeline(
            registry: RegistryClientAccess(client: RegistryClient(configuration: configuration)),
            trust: NPMTrustStage(trustedRoot: root, keys: keys, registry: configuration.registry),
            sources: PackingSource(cacheDirectory: configuration.cacheDirectory?.appendingPathComponent("git")),
            rebuilder: PackingRebuilder(builder: options.build.map { settings in
                var settings = settings
                settings.registry = configuration
                return PackageBuilder(settings: settings)
            }),
            inspector: ArchiveStage(),
            hasher: DigestTarballHashing())
    }

    /// `--offline` means "no network but this machine": a loopback registry is still asked (it is local); any other
    /// registry is read from the cache only.
    static func effective(_ options: StandardPipelineOptions) -> RegistryConfiguration {
        options.registry.offline(options.offline)
    }
}
