import Digest
import Foundation
import NPMTrust
import Packing
import Verification

/// What `provcheck watch` remembers between runs (JSON, schema ``schemaVersion``), per package and version.
///
/// Written atomically (a temporary file in the same folder, then a rename) and only to the path the user gave.
public struct WatchState: Codable, Hashable, Sendable {
    /// The schema version this build writes and reads.
    public static let schemaVersion = 1

    /// Always ``schemaVersion``.
    public var schemaVersion: Int
    /// Per package name.
    public var packages: [String: PackageState]

    /// An empty state (the first run records a baseline).
    public init(packages: [String: PackageState] = [:]) {
        self.schemaVersion = Self.schemaVersion
        self.packages = packages
    }

    /// Reads a state file; a missing file is an empty state.
    /// - Throws: ``WatchStateError`` for an unreadable file, bad JSON or another schema version.
    public static func load(contentsOf url: URL) throws -> WatchState {
        guard FileManager.default.fileExists(atPath: url.path) else { return WatchState() }
        let data: Data
        do { data = try InputFile.read(url) } catch {
            throw WatchStateError(file: url.path, message: "the file \(error.problem)")
        }
        return try decode(data, source: url.path)
    }

    /// Decodes a state document.
    public static func decode(_ data: Data, source: String = "<memory>") throws -> WatchState {
        struct Header: Decodable { var schemaVersion: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw WatchStateError(file: source, message: "not a provcheck watch state (JSON object expected)")
        }
        guard header.schemaVersion == schemaVersion else {
            throw WatchStateError(file: source, message: "schemaVersion \(header.schemaVersion.map(String.init) ?? "missing") is not supported (this build reads \(schemaVersion))")
        }
        do { return try WatchJSON.decoder.decode(WatchState.self, from: data) } catch {
            throw WatchStateError(file: source, message: "malformed state: \(error)")
        }
    }

    /// Writes the state to `url` atomically: a temporary file next to it, then a rename.
    public func write(to url: URL) throws {
        try WatchJSON.writeAtomically(try WatchJSON.encode(self), to: url)
    }

    /// Joins shard states: each package is taken from the state that checked it last.
    public static func merged(_ states: [WatchState]) -> WatchState {
        var result = WatchState()
        for state in states {
            for (name, package) in state.packages {
                if let existing = result.packages[name], existing.lastChecked >= package.lastChecked { continue }
                result.packages[name] = package
            }
        }
        return result
    }
}

/// What was recorded for one package.
public struct PackageState: Codable, Hashable, Sendable {
    /// When this package was last checked successfully.
    public var lastChecked: Date
    /// Per version.
    public var versions: [String: VersionRecord]
    /// Staged publishes seen pending (by stage id), kept after they leave the staging list.
    public var staged: [String: StagedRecord]
    /// Staged tarball digests pinned by `provcheck staged check --record` (by version).
    public var stagedPins: [String: StagedPin]

    /// Makes an empty package state.
    public init(lastChecked: Date, versions: [String: VersionRecord] = [:], staged: [String: StagedRecord] = [:],
                stagedPins: [String: StagedPin] = [:]) {
        self.lastChecked = lastChecked
        self.versions = versions
        self.staged = staged
        self.stagedPins = stagedPins
    }
}

/// One version as first seen and as last seen.
public struct VersionRecord: Codable, Hashable, Sendable {
    /// When the version was first seen.
    public var firstSeen: Date
    /// `dist.integrity` when first seen.
    public var integrity: String?
    /// `dist.shasum` when first seen.
    public var shasum: String?
    /// The last observation.
    public var observed: VersionObservation
    /// Set when the version disappeared from the packument (unpublished).
    public var removed: Bool?

    /// Makes a record from a first observation.
    public init(firstSeen: Date, observed: VersionObservation) {
        self.firstSeen = firstSeen
        self.integrity = observed.integrity
        self.shasum = observed.shasum
        self.observed = observed
    }
}

/// The provenance facts watch compares between versions (from a verified provenance attestation).
public struct ProvenanceSummary: Codable, Hashable, Sendable {
    /// Source repository URL.
    public var repository: String?
    /// Workflow file path.
    public var workflow: String?
    /// Source ref (`refs/tags/v1.0.1`).
    public var ref: String?
    /// Source commit.
    public var commit: String?

    /// Makes a summary.
    public init(repository: String?, workflow: String?, ref: String?, commit: String?) {
        self.repository = repository
        self.workflow = workflow
        self.ref = ref
        self.commit = commit
    }

    /// Makes a summary from NPMTrust's verified facts.
    public init(_ facts: ProvenanceFacts) {
        self.init(repository: facts.repository, workflow: facts.workflowPath, ref: facts.ref, commit: facts.commit)
    }

    /// The ref's kind, compared between versions: every tag is `refs/tags/*` (each release has its own tag);
    /// branches and other refs are compared exactly.
    public var refKind: String? {
        guard let ref else { return nil }
        return ref.hasPrefix("refs/tags/") ? "refs/tags/*" : ref
    }
}

/// Everything observed about one version in one run.
public struct VersionObservation: Codable, Hashable, Sendable {
    /// `dist.integrity`.
    public var integrity: String?
    /// `dist.shasum`.
    public var shasum: String?
    /// `dist.signatures[].keyid`, sorted.
    public var signatureKeyIDs: [String]
    /// The verified trust level (NPMTrust's classification).
    public var trustLevel: TrustLevel
    /// Verified provenance facts.
    public var provenance: ProvenanceSummary?
    /// `_npmUser.name`.
    public var publisher: String?
    /// `_npmUser.approver` present.
    public var stagedApproval: Bool
    /// `_npmUser.trustedPublisher` present.
    public var trustedPublisher: Bool
    /// `time[version]`.
    public var publishTime: Date?
    /// The version's tag in the source repository.
    public var tag: String?
    /// The commit the tag points at (peeled).
    public var tagCommit: String?
    /// The overall verdict of the verification pipeline (when rebuilding is on).
    public var verdict: String?
    /// The rebuild comparison outcome (when rebuilding is on).
    public var rebuild: String?
    /// The ids of the checks that failed in the verification (when rebuilding is on and some failed).
    public var failedChecks: [String]?

    /// Makes an observation.
    public init(integrity: String?, shasum: String?, signatureKeyIDs: [String] = [], trustLevel: TrustLevel = .none,
                provenance: ProvenanceSummary? = nil, publisher: String? = nil, stagedApproval: Bool = false,
                trustedPublisher: Bool = false, publishTime: Date? = nil, tag: String? = nil, tagCommit: String? = nil,
                verdict: String? = nil, rebuild: String? = nil) {
        self.integrity = integrity
        self.shasum = shasum
        self.signatureKeyIDs = signatureKeyIDs
        self.trustLevel = trustLevel
        self.provenance = provenance
        self.publisher = publisher
        self.stagedApproval = stagedApproval
        self.trustedPublisher = trustedPublisher
        self.publishTime = publishTime
        self.tag = tag
        self.tagCommit = tagCommit
        self.verdict = verdict
        self.rebuild = rebuild
    }
}

/// A staged publish seen pending.
public struct StagedRecord: Codable, Hashable, Sendable {
    /// The staged version.
    public var version: String
    /// `createdAt` of the stage item.
    public var createdAt: Date?
    /// sha1 hex of the staged tarball (`shasum`).
    public var shasum: String?
    /// When watch first saw it pending.
    public var firstSeen: Date
    /// The last run that saw it in the staging list.
    public var lastSeenPending: Date?
    /// The first run that no longer saw it in the staging list (approved or rejected since `lastSeenPending`).
    public var leftListAt: Date?

    /// Makes a record.
    public init(version: String, createdAt: Date?, shasum: String?, firstSeen: Date) {
        self.version = version
        self.createdAt = createdAt
        self.shasum = shasum
        self.firstSeen = firstSeen
        self.lastSeenPending = firstSeen
    }
}

/// A staged tarball's digest pinned before approval, checked against `dist.integrity` after publication.
public struct StagedPin: Codable, Hashable, Sendable {
    /// The stage id.
    public var stageID: String
    /// sha512 hex of the staged tarball.
    public var sha512: String
    /// When it was recorded.
    public var recordedAt: Date
    /// Set once the published version was compared (`true`: equal), so the finding is reported once.
    public var matchedPublished: Bool?

    /// Makes a pin.
    public init(stageID: String, sha512: String, recordedAt: Date) {
        self.stageID = stageID
        self.sha512 = sha512
        self.recordedAt = recordedAt
    }
}

/// A state file that cannot be used (exit code 2).
public struct WatchStateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// What is wrong.
    public var message: String

    public var description: String { "\(file): \(message)" }
}

/// JSON coding shared by the watch documents: sorted keys, ISO 8601 dates.
enum WatchJSON {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// Writes `data` to `url` through Packing's ``OutputTarget`` (the one output writer: a regular file is
    /// replaced atomically, a device, FIFO or symbolic link is written in place, never replaced).
    static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            try OutputTarget.write(data, to: url)
        } catch {
            throw WatchStateError(file: url.path, message: "cannot write: \(error.problem)")
        }
    }
}
