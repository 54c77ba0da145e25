import Configuration
import Foundation
import NPMTrust
import Packing
import Registry
import Verification

// MARK: - Seams

/// The registry reads `provcheck watch` needs.
public protocol WatchRegistry: Sendable {
    /// The full packument of `name`.
    func packument(name: String) async throws -> Packument
    /// The pending staged publishes of `name` (needs an auth token; throws when unavailable).
    func stagedItems(name: String) async throws -> [StageItem]
}

/// What the trust stage established for one version.
public struct WatchTrust: Sendable, Hashable {
    /// NPMTrust's trust level (staged approval > trusted publisher + provenance > provenance > signature > none).
    public var level: TrustLevel
    /// The verified provenance facts, if any.
    public var provenance: ProvenanceFacts?

    /// Makes a value.
    public init(level: TrustLevel, provenance: ProvenanceFacts? = nil) {
        self.level = level
        self.provenance = provenance
    }
}

/// Verifies a version's registry signatures and attestations.
public protocol WatchTrustReading: Sendable {
    /// The trust level and verified provenance of `version` in `packument`; throws when it cannot be established
    /// (network), which watch reports as an incomplete check, never as "no change".
    func trust(packument: Packument, version: String) async throws -> WatchTrust
}

/// Reads the tags of a source repository.
public protocol WatchTagReading: Sendable {
    /// Every tag of the repository at `location` (path, bundle or URL) with its commit (annotated tags peeled).
    func tags(location: String) async throws -> [String: String]
    /// The same, knowing whether the user named `location` (the watch file's `source`) or it came from the
    /// registry (packument `repository`, provenance): a registry location must be a remote, never a local path.
    func tags(location: String, userGiven: Bool) async throws -> [String: String]
}

extension WatchTagReading {
    /// Defaults to ``tags(location:)``.
    public func tags(location: String, userGiven: Bool) async throws -> [String: String] {
        try await tags(location: location)
    }
}

/// Runs the full verification (rebuild, compare, policy) of one version.
public protocol WatchVerifying: Sendable {
    /// The verdict of `name@version`, reading the source from `source` when given.
    func verify(name: String, version: String, source: String?, policy: PolicyDocument) async throws -> Verdict
}

// MARK: - Standard stages

/// ``WatchRegistry`` over the `Registry` module's client.
public struct RegistryClientWatchRegistry: WatchRegistry {
    /// The client.
    public let client: RegistryClient

    /// Wraps a client.
    public init(client: RegistryClient) { self.client = client }

    public func packument(name: String) async throws -> Packument { try await client.packument(name: name) }
    public func stagedItems(name: String) async throws -> [StageItem] { try await client.stagedPackages(name: name) }
}

/// ``WatchTrustReading`` with NPMTrust's `RegistryTrustVerifier` (signatures, publish attestation, provenance).
public struct NPMTrustWatchReader: WatchTrustReading {
    /// The client serving attestations.
    public let client: RegistryClient
    /// The verifier.
    public let verifier: RegistryTrustVerifier
    /// The registry keys.
    public let keys: RegistryKeysAvailability

    /// Makes the stage.
    public init(client: RegistryClient, verifier: RegistryTrustVerifier = RegistryTrustVerifier(), keys: RegistryKeysAvailability) {
        self.client = client
        self.verifier = verifier
        self.keys = keys
    }

    public func trust(packument: Packument, version: String) async throws -> WatchTrust {
        let evidence = try PackageVersionEvidence(
            packument: packument, version: version, source: try client.packumentURL(name: packument.name).absoluteString)
        let report = try await verifier.verify(evidence, client: client, keys: keys)
        return WatchTrust(level: report.trustLevel, provenance: report.provenance)
    }
}

/// ``WatchTagReading`` with the `Packing` module's git reader. Bundles are cloned to a temporary folder and removed.
public struct GitTagReader: WatchTagReading {
    /// Refuse remote repositories (URLs): only local paths and bundles are read.
    public var offline: Bool

    /// Makes the stage.
    public init(offline: Bool = false) { self.offline = offline }

    /// Why a remote repository is not read offline.
    public struct OfflineError: Error, CustomStringConvertible {
        /// The repository.
        public var location: String
        public var description: String { "\(location) is remote and --offline forbids fetching it; set \"source\" to a local clone or bundle" }
    }

    public func tags(location: String) async throws -> [String: String] {
        try await tags(location: location, userGiven: true)
    }

    public func tags(location: String, userGiven: Bool) async throws -> [String: String] {
        if offline, !userGiven || !FileManager.default.fileExists(atPath: location) { throw OfflineError(location: location) }
        let repository = try GitRepository.open(location, trust: userGiven ? .user : .remoteOnly)
        defer {
            if repository.gitDirectory.lastPathComponent.hasPrefix("bundle-") {
                try? FileManager.default.removeItem(at: repository.gitDirectory)
            }
        }
        return try repository.tags()
    }
}

/// ``WatchVerifying`` with a ``VerificationPipeline``.
public struct PipelineWatchVerifier: WatchVerifying {
    /// The pipeline.
    public let pipeline: VerificationPipeline
    /// No network except the registry.
    public let offline: Bool

    /// The pipeline used for packages whose policy says `build = "auto"` (`nil`: never build).
    public let buildingPipeline: VerificationPipeline?

    /// Wraps a pipeline (and, for `build = "auto"` policies, one that builds in the sandbox).
    public init(pipeline: VerificationPipeline, offline: Bool = false, buildingPipeline: VerificationPipeline? = nil) {
        self.pipeline = pipeline
        self.offline = offline
        self.buildingPipeline = buildingPipeline
    }

    public func verify(name: String, version: String, source: String?, policy: PolicyDocument) async throws -> Verdict {
        let pipeline = policy.build == .auto ? (buildingPipeline ?? self.pipeline) : self.pipeline
        return try await pipeline.verify(VerificationRequest(
            spec: PackageSpec(name: name, version: version), source: source.map(SourceLocator.init(argument:)),
            policy: policy, offline: offline)).verdict
    }
}

// MARK: - Sharding

/// One of `count` shards of the package list (`--shard i/n`, 1-based): a package belongs to shard
/// `fnv1a64(name) % n + 1`, so the split is stable across runs and machines and does not depend on list order.
public struct WatchShard: Hashable, Sendable, CustomStringConvertible {
    /// 1-based index.
    public var index: Int
    /// Number of shards.
    public var count: Int

    /// Parses `i/n` with 1 ≤ i ≤ n.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
        index = i
        count = n
    }

    /// Whether `name` belongs to this shard.
    public func contains(_ name: String) -> Bool { Int(Self.fnv1a64(name) % UInt64(count)) + 1 == index }

    public var description: String { "\(index)/\(count)" }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
