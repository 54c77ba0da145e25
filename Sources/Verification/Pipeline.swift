import Compare
import Configuration
import Digest
import Foundation
import NPMTrust
import Registry

/// Errors that stop a verification before a verdict exists (usage, network or environment: exit code 2).
public enum VerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The package spec is not `name@version`.
    case invalidSpec(String)
    /// The registry could not be reached or answered with an error.
    case registry(url: String, problem: String)
    /// The packument is not usable.
    case malformedPackument(source: String, problem: String)
    /// The packument has no such version.
    case versionNotFound(source: String, version: String, known: String)
    /// A local input (trusted root, keys file, source path) cannot be used.
    case input(path: String, problem: String)

    /// The message, with credentials in any URL it names hidden (``URLCredentials``).
    public var description: String { URLCredentials.redact(message) }

    private var message: String {
        switch self {
        case .invalidSpec(let spec):
            "\"\(spec)\" is not a package version: expected <name>@<version>, e.g. gundam-visor@1.0.1 or @scope/name@1.2.3"
        case .registry(let url, let problem): "registry request \(url) failed: \(problem)"
        case .malformedPackument(let source, let problem): "packument \(source): \(problem)"
        case .versionNotFound(let source, let version, let known):
            "packument \(source) has no version \(version)" + (known.isEmpty ? "" : " (latest known: \(known))")
        case .input(let path, let problem): "\(path): \(problem)"
        }
    }
}

/// A package version to verify, as `name@version`.
public struct PackageSpec: Hashable, Sendable, CustomStringConvertible {
    /// The name (`@scope/name` or `name`).
    public var name: String
    /// The exact version.
    public var version: String

    /// Makes a spec.
    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// Parses `name@version` / `@scope/name@version`.
    public init(parsing spec: String) throws {
        let body = spec.hasPrefix("@") ? spec.dropFirst() : Substring(spec)
        guard let at = body.lastIndex(of: "@") else { throw VerificationError.invalidSpec(spec) }
        let name = (spec.hasPrefix("@") ? "@" : "") + body[..<at]
        let version = String(body[body.index(after: at)...])
        guard !name.isEmpty, name != "@", !version.isEmpty, !version.contains("/"),
              !name.hasSuffix("/"), spec.hasPrefix("@") == name.contains("/")
        else { throw VerificationError.invalidSpec(spec) }
        self.name = name
        self.version = version
    }

    public var description: String { "\(name)@\(version)" }
}

/// Where the source repository is: a local path (git repository, bare repository or bundle) or a URL.
public enum SourceLocator: Hashable, Sendable, CustomStringConvertible {
    /// A local git repository, bare repository or git bundle file.
    case path(String)
    /// A remote repository URL (fetched only when not offline).
    case url(String)

    /// `PATH` when it exists on disk or has no scheme, else `URL`.
    public init(argument: String) {
        if argument.contains("://") || argument.hasPrefix("git@") { self = .url(argument) } else { self = .path(argument) }
    }

    public var description: String {
        switch self {
        case .path(let p): p
        case .url(let u): u
        }
    }
}

// MARK: - Stage seams

/// Registry access the pipeline needs (the `Registry` module's client behind an adapter; tests use fakes).
public protocol RegistryAccess: Sendable {
    /// The registry base URL (for messages and for resolving attestation paths).
    var baseURL: URL { get }
    /// The full packument document of `name`.
    func packument(name: String) async throws -> Data
    /// The bytes at a registry URL (tarball, attestations); `nil` on 404.
    func fetch(_ url: String) async throws -> Data?
    /// The registry keys document (`/-/npm/v1/keys`), `nil` when the registry has none (404).
    func keys() async throws -> Data?
    /// Streams the tarball at `url` into `file` (never whole in memory); `false` on 404.
    func downloadTarball(_ url: String, to file: URL) async throws -> Bool
    /// The same, calling `receiving` with the file the body is written to while it arrives (for progress).
    func downloadTarball(_ url: String, to file: URL, receiving: @escaping @Sendable (URL) -> Void) async throws -> Bool
    /// Where the fetch stage puts the tarball (the registry cache's folder; `nil`: the system's temporary folder).
    var temporaryFolder: URL? { get }
}

extension RegistryAccess {
    /// Default: the system's temporary folder.
    public var temporaryFolder: URL? { nil }

    /// Default: ``fetch(_:)`` and write the bytes (fakes in tests); the real client streams.
    public func downloadTarball(_ url: String, to file: URL) async throws -> Bool {
        guard let data = try await fetch(url) else { return false }
        try data.write(to: file)
        return true
    }

    /// Default: ``downloadTarball(_:to:)``, announcing the destination.
    public func downloadTarball(_ url: String, to file: URL, receiving: @escaping @Sendable (URL) -> Void) async throws -> Bool {
        receiving(file)
        return try await downloadTarball(url, to: file)
    }
}

/// What the trust stage found: one check per trust concern, and the verified provenance identity.
public struct TrustOutcome: Sendable {
    /// `trust.signatures`.
    public var signatures: Check
    /// `trust.publish-attestation`.
    public var publishAttestation: Check
    /// `trust.provenance`.
    public var provenance: Check
    /// The identity facts of the provenance, only when it verified.
    public var identity: ProvenanceIdentity?
    /// Whether a publish attestation verified.
    public var publishAttestationVerified: Bool
    /// Whether provenance was present but did not verify.
    public var provenanceInvalid: Bool
    /// The attestation documents read (for the VSA's `inputAttestations`).
    public var inputAttestations: [ResourceDescriptor]
    /// The full NPMTrust report behind the checks (what `provcheck attestations` prints), when there is one.
    public var report: TrustReport?
    /// Whether announced attestations could not be fetched (``attestationsUnreachable(_:)``): their checks are
    /// skipped, and `audit` counts the package as skipped for a network error.
    public var attestationsWereUnreachable = false

    /// Makes an outcome.
    public init(signatures: Check, publishAttestation: Check, provenance: Check, identity: ProvenanceIdentity?,
                publishAttestationVerified: Bool, provenanceInvalid: Bool, inputAttestations: [ResourceDescriptor] = [],
                report: TrustReport? = nil) {
        self.report = report
        self.signatures = signatures
        self.publishAttestation = publishAttestation
        self.provenance = provenance
        self.identity = identity
        self.publishAttestationVerified = publishAttestationVerified
        self.provenanceInvalid = provenanceInvalid
        self.inputAttestations = inputAttestations
    }
}

/// Verifies registry signatures and attestations for a version (the `NPMTrust` module behind an adapter).
public protocol TrustVerifying: Sendable {
    /// Verifies `dist.signatures` and the attestations response (`nil` = none fetched) for the packument version;
    /// `document` is the packument the fetch stage read (`nil` when the tarball does not come from one).
    func verify(packument: PackumentFacts, document: PackumentDocument?, attestations: Data?, attestationsURL: String?,
                keys: Data?, tarballSHA512Hex: String?) async -> TrustOutcome
}

/// An opened source repository.
public protocol SourceRepository: Sendable {
    /// Where it came from (for evidence).
    var location: String { get }
    /// The commit a tag points at (peeled), or `nil` when the tag does not exist.
    func commit(forTag tag: String) async throws -> String?
    /// The commit a ref (branch, tag, commit) resolves to, or `nil`.
    func resolve(ref: String) async throws -> String?
    /// Whether the commit exists in the repository.
    func commitExists(_ commit: String) async throws -> Bool
    /// The branches (`refs/heads/<name>`) whose history contains the commit.
    func branches(containing commit: String) async throws -> [String]
}

/// Opens source repositories.
public protocol SourceOpening: Sendable {
    /// Opens the repository at `location`; `offline` forbids network access (a URL then fails with a reason).
    func open(_ location: SourceLocator, offline: Bool) async throws -> any SourceRepository
}

/// How a rebuild compared with the registry tarball.
public struct RebuildComparison: Hashable, Sendable {
    /// The outcome over the files the source produces.
    public var outcome: RebuildOutcome
    /// Paths (inside `package/`) only in the registry tarball: build output, or injected files.
    public var onlyInRegistry: [String]
    /// Paths only in the rebuild.
    public var onlyInRebuild: [String]
    /// Paths in both whose contents differ.
    public var contentDiffers: [String]
    /// Other differences, one sentence each (modes, order, gzip header…).
    public var notes: [String]
    /// sha512 hex of the rebuilt tarball.
    public var rebuiltSHA512Hex: String?
    /// The npm packing rules the rebuild emulated (e.g. `npm7-10`).
    public var generation: String?
    /// The comparator's full report (rebuild A, registry tarball B: differences read registry-relative), when the `Compare` module made it.
    public var report: ComparisonReport?
    /// Evidence of a sandboxed build (`--build`: recipe, node, sandbox, determinism), merged into `rebuild.compare`.
    public var buildEvidence: [String: String] = [:]
    /// Why the files of ``onlyInRegistry`` stay unverified (e.g. the build could not run); replaces the default
    /// reason of `rebuild.not-in-source`.
    public var notInSourceReason: String?

    /// Makes a comparison.
    public init(outcome: RebuildOutcome, onlyInRegistry: [String] = [], onlyInRebuild: [String] = [],
                contentDiffers: [String] = [], notes: [String] = [], rebuiltSHA512Hex: String? = nil,
                generation: String? = nil) {
        self.outcome = outcome
        self.onlyInRegistry = onlyInRegistry
        self.onlyInRebuild = onlyInRebuild
        self.contentDiffers = contentDiffers
        self.notes = notes
        self.rebuiltSHA512Hex = rebuiltSHA512Hex
        self.generation = generation
    }
}

/// Rebuilds a tarball from source and compares it with the registry's (the `Packing` and `Compare` modules).
public protocol Rebuilding: Sendable {
    /// Packs the repository at `commit` (in `directory` for monorepos) with the rules of `npmVersion` (gzip as
    /// `nodeVersion`'s zlib would), and compares the result with `registryTarball`.
    func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                           npmVersion: String?, nodeVersion: String?, registryTarball: Data) async throws -> RebuildComparison
    /// The same for a registry tarball on disk (read in a stream where the stage can), with what else is known about
    /// how the package was published (``RebuildContext``).
    func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                           npmVersion: String?, nodeVersion: String?, registryTarballFile: URL,
                           context: RebuildContext) async throws -> RebuildComparison
}

/// What else is known about how a package was published (used by sandboxed builds, see docs/build.md).
public struct RebuildContext: Hashable, Sendable {
    /// The workflow file a verified provenance names (`.github/workflows/publish.yml`).
    public var workflowPath: String?

    /// Makes a context.
    public init(workflowPath: String? = nil) { self.workflowPath = workflowPath }
}

extension Rebuilding {
    /// Default: read the file and call the in-memory variant; the context is not used.
    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, nodeVersion: String?, registryTarballFile: URL,
                                  context: RebuildContext) async throws -> RebuildComparison {
        try await rebuildAndCompare(repository: repository, commit: commit, directory: directory, npmVersion: npmVersion,
                                    nodeVersion: nodeVersion, registryTarball: Data(contentsOf: registryTarballFile))
    }
}

/// What the archive inspection found, one sentence per finding.
public struct ArchiveFindings: Hashable, Sendable {
    /// Findings that make the tarball unsafe or ambiguous (the check fails).
    public var errors: [String]
    /// Unusual but installable (listed on a passing check).
    public var warnings: [String]

    /// Makes a value.
    public init(errors: [String] = [], warnings: [String] = []) {
        self.errors = errors
        self.warnings = warnings
    }
}

/// Inspects a registry tarball's structure (the `Archive` module).
public protocol ArchiveInspecting: Sendable {
    /// The findings; both lists empty when clean.
    func findings(in tarball: Data) async throws -> ArchiveFindings
    /// The findings of a tarball on disk (read in a stream).
    func findings(inFileAt file: URL) async throws -> ArchiveFindings
}

extension ArchiveInspecting {
    /// Default: read the file and call the in-memory variant.
    public func findings(inFileAt file: URL) async throws -> ArchiveFindings {
        try await findings(in: Data(contentsOf: file))
    }
}

/// Hashes bytes (the `Digest` module).
public protocol TarballHashing: Sendable {
    /// Lowercase hex sha512 and sha1 of the bytes.
    func sha512AndSHA1Hex(_ data: Data) -> (sha512: String, sha1: String)
    /// The same for a file, read in a stream.
    func sha512AndSHA1Hex(fileAt file: URL) throws -> (sha512: String, sha1: String)
}

extension TarballHashing {
    /// Default: read the file and call the in-memory variant.
    public func sha512AndSHA1Hex(fileAt file: URL) throws -> (sha512: String, sha1: String) {
        sha512AndSHA1Hex(try Data(contentsOf: file))
    }
}

/// A tarball on disk for the length of one verification: streamed there by the fetch stage (in the registry
/// cache's folder when there is one) and read from there by every stage; removed when the last reference goes.
public final class TarballFile: Sendable {
    /// The file.
    public let url: URL
    private let owned: Bool

    /// Wraps `url`; `owned` files are deleted when this value is released.
    public init(url: URL, owned: Bool) {
        self.url = url
        self.owned = owned
    }

    /// A fresh path in `folder` (default: the system's temporary folder), owned.
    public static func temporary(in folder: URL?) throws -> TarballFile {
        let directory = folder ?? FileManager.default.temporaryDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return TarballFile(url: directory.appendingPathComponent("provcheck-tarball-\(UUID().uuidString).tgz"), owned: true)
    }

    /// Writes `data` to a fresh owned file (a tarball given in memory, e.g. ``VerificationRequest/tarballOverride``).
    public static func holding(_ data: Data, in folder: URL?) throws -> TarballFile {
        let file = try temporary(in: folder)
        try data.write(to: file.url)
        return file
    }

    deinit {
        if owned { try? FileManager.default.removeItem(at: url) }
    }
}

// MARK: - Request

/// What to verify and how.
public struct VerificationRequest: Sendable {
    /// The package version.
    public var spec: PackageSpec
    /// Where to read the source from instead of the repository the provenance/packument names.
    public var source: SourceLocator?
    /// The ref naming the commit when neither provenance nor `gitHead` does.
    public var ref: String?
    /// The policy.
    public var policy: PolicyDocument
    /// How skips count.
    public var strictness: Strictness
    /// No network except the configured registry (which may be a loopback or a cache).
    public var offline: Bool
    /// Which stages run.
    public var scope: Scope
    /// A tarball to verify instead of the one the packument names (e.g. a staged publish's tarball); the registry
    /// integrity and shasum checks then compare it with the packument's `dist` values.
    public var tarballOverride: Data?
    /// Where progress goes (fetch, clone, rebuild, compare); `nil`: nowhere.
    public var progress: ProgressHandler?

    /// Which stages a request runs.
    public enum Scope: String, Sendable, Hashable {
        /// Registry, trust, source, rebuild and policy (`verify`).
        case full
        /// Registry, trust and policy only: source and rebuild checks are `not-applicable` ("not requested")
        /// (`audit` without `--rebuild`).
        case registryAndTrust = "registry-and-trust"
    }

    /// Makes a request.
    public init(spec: PackageSpec, source: SourceLocator? = nil, ref: String? = nil, policy: PolicyDocument = .default,
                strictness: Strictness = .standard, offline: Bool = false, scope: Scope = .full,
                tarballOverride: Data? = nil, progress: ProgressHandler? = nil) {
        self.spec = spec
        self.source = source
        self.ref = ref
        self.policy = policy
        self.strictness = strictness
        self.offline = offline
        self.scope = scope
        self.tarballOverride = tarballOverride
        self.progress = progress
    }
}

/// The result of a pipeline run: the verdict plus the documents the outputs need.
public struct VerificationResult: Sendable {
    /// The verdict.
    public var verdict: Verdict
    /// The attestation documents read (VSA `inputAttestations`).
    public var inputAttestations: [ResourceDescriptor]
    /// Lowercase hex sha1 of the verified tarball.
    public var sha1Hex: String
    /// The version tag the source stage found, if any.
    public var tag: String?
    /// The commit the source stage settled on, if any.
    public var commit: String?
    /// The rebuild stage's comparison, when the rebuild ran.
    public var rebuild: RebuildComparison?
    /// The trust stage's full report, when the trust stage produces one (``NPMTrustStage``).
    public var trustReport: TrustReport?

    /// Makes a result.
    public init(verdict: Verdict, inputAttestations: [ResourceDescriptor], sha1Hex: String = "", tag: String? = nil,
                commit: String? = nil, rebuild: RebuildComparison? = nil, trustReport: TrustReport? = nil) {
        self.verdict = verdict
        self.inputAttestations = inputAttestations
        self.sha1Hex = sha1Hex
        self.tag = tag
        self.commit = commit
        self.rebuild = rebuild
        self.trustReport = trustReport
    }
}

/// The packument as the fetch stage read it: the `Registry` module's model, or why the document does not fit it
/// (the trust stage then fails its checks with that reason).
public typealias PackumentDocument = Result<Packument, RegistryError>

/// What the fetch stage gathered for one version: the facts of its manifest, the tarball and the trust documents.
extension TrustOutcome {
    /// The one rule, in every configuration, for trust documents whose fetch had a problem: unreachable
    /// attestations make their two checks skipped (``attestationsUnreachable(_:)``); any other attestations problem
    /// and a keys problem are added to the reasons of the checks they explain.
    /// - Parameters:
    ///   - attestations: what went wrong fetching the attestations, if anything.
    ///   - attestationsUnreachable: whether that was a network error or a 5xx (rather than, say, a 404).
    ///   - keys: what went wrong fetching the registry keys, if anything.
    public mutating func noteFetchProblems(attestations: String?, attestationsUnreachable unreachable: Bool, keys: String?) {
        if let problem = attestations {
            if unreachable {
                attestationsUnreachable(problem)
            } else {
                publishAttestation.reasons.append(problem)
                provenance.reasons.append(problem)
            }
        }
        if let problem = keys { signatures.reasons.append(problem) }
    }

    /// The one rule, in every command, for announced attestations that could not be fetched (a network error or a
    /// 5xx; a 404 means they are absent, which the trust stage fails): nothing is known about them, so
    /// `trust.publish-attestation` and `trust.provenance` are skipped (unverifiable, counted as such, and failed by
    /// `--strict`), and no provenance identity is available.
    public mutating func attestationsUnreachable(_ reason: String) {
        publishAttestation = .skipped(.trustPublishAttestation, "Publish attestation", reason: reason)
        provenance = .skipped(.trustProvenance, "Provenance attestation", reason: reason)
        attestationsWereUnreachable = true
        // NPMTrust's report (what `provcheck attestations` prints) says the same: nothing verified, one skip.
        report?.attestations = []
        report?.skipped.append("attestations: \(reason)")
        identity = nil
        publishAttestationVerified = false
        provenanceInvalid = false
    }
}

/// The registry fetch (``VerificationPipeline/fetch(_:)``) and the staged-publish fetch (`StagedChecker`, in the Staged module) both
/// produce one; every later stage reads only this.
public struct FetchedEvidence: Sendable {
    /// Where the tarball came from.
    public enum Origin: Sendable, Hashable {
        /// A published version: `dist.integrity`/`dist.shasum` apply.
        case registry
        /// A staged publish (not yet approved): no `dist` values exist yet.
        case staged(id: String)
    }

    /// Where the tarball came from.
    public var origin: Origin
    /// The manifest facts (for a staged publish: from the stage item and the tarball's `package.json`).
    public var facts: PackumentFacts
    /// The packument as the `Registry` module's model (registry origin), read from the same parse as ``facts``.
    public var packument: PackumentDocument?
    /// The tarball, on disk.
    public var tarball: TarballFile
    /// Where the tarball was fetched from.
    public var tarballURL: String?
    /// The attestations response, when fetched.
    public var attestations: Data?
    /// Its URL on the configured registry.
    public var attestationsURL: String?
    /// Why announced attestations could not be fetched.
    public var attestationsProblem: String?
    /// Whether the attestations fetch failed (network error, 5xx) rather than answering 404: the attestation
    /// checks are then unverifiable (``TrustOutcome/attestationsUnreachable(_:)``), not failed.
    public var attestationsUnreachable: Bool
    /// The registry keys document, when fetched.
    public var keys: Data?
    /// Why the keys could not be fetched.
    public var keysProblem: String?
    /// Checks only this origin has (e.g. `staged.shasum`, `staged.manifest`), listed first in the verdict.
    public var originChecks: [Check]

    /// Makes evidence.
    public init(origin: Origin, facts: PackumentFacts, packument: PackumentDocument? = nil, tarball: TarballFile, tarballURL: String?,
                attestations: Data? = nil, attestationsURL: String? = nil, attestationsProblem: String? = nil,
                attestationsUnreachable: Bool = false, keys: Data? = nil, keysProblem: String? = nil,
                originChecks: [Check] = []) {
        self.attestationsUnreachable = attestationsUnreachable
        self.origin = origin
        self.facts = facts
        self.packument = packument
        self.tarball = tarball
        self.tarballURL = tarballURL
        self.attestations = attestations
        self.attestationsURL = attestationsURL
        self.attestationsProblem = attestationsProblem
        self.keys = keys
        self.keysProblem = keysProblem
        self.originChecks = originChecks
    }
}
