import Archive
import Foundation
import Packing

/// Opens sources with the `Packing` module's ``Packing/GitRepository`` (work trees and bare repositories in place,
/// bundles cloned bare, URLs mirrored; URLs refused when offline).
public struct PackingSource: SourceOpening {
    /// Where URL mirrors are cached (default: a temporary folder).
    public var cacheDirectory: URL?

    /// Makes the stage.
    public init(cacheDirectory: URL? = nil) { self.cacheDirectory = cacheDirectory }

    public func open(_ location: SourceLocator, offline: Bool) async throws -> any SourceRepository {
        switch location {
        case .path(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw VerificationError.input(path: path, problem: "no such file or directory (expected a git repository or bundle)")
            }
        case .url(let url):
            guard !offline else {
                throw VerificationError.input(
                    path: url, problem: "the source repository is remote and --offline forbids fetching it; pass --source PATH (a clone or git bundle)")
            }
        }
        let cache = cacheDirectory
        let repository = try await Task.detached { try GitRepository.open(location.description, cacheDirectory: cache) }.value
        return PackingSourceRepository(repository: repository)
    }
}

/// A repository opened by ``PackingSource``.
public struct PackingSourceRepository: SourceRepository {
    /// The underlying repository.
    public let repository: GitRepository

    public var location: String { repository.origin }

    public func commit(forTag tag: String) async throws -> String? {
        guard Git.isSafeRefName(tag) else { return nil }
        return try repository.tags()[tag]
    }

    public func resolve(ref: String) async throws -> String? { repository.resolveCommit(ref) }

    public func commitExists(_ commit: String) async throws -> Bool {
        guard commit.count >= 7, commit.count <= 64, commit.allSatisfy(\.isHexDigit) else { return false }
        return repository.commitExists(commit)
    }
}

/// Rebuilds with the `Packing` module's ``Packing/PackRebuilder`` and compares with the registry tarball entry by
/// entry (contents by sha512, headers by hash, tar bytes and `.tgz` bytes), using the `Archive` module's reader.
public struct PackingRebuilder: Rebuilding {
    /// Makes the stage.
    public init() {}

    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, registryTarball: Data) async throws -> RebuildComparison {
        let source: RebuildSource
        if let packing = repository as? PackingSourceRepository {
            source = .repository(packing.repository, ref: commit)
        } else if let git = repository as? GitCommandRepository {
            source = .git(location: git.gitDirectory.path, ref: commit)
        } else {
            source = .git(location: repository.location, ref: commit)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-rebuild-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let registryHex = DigestTarballHashing().sha512AndSHA1Hex(registryTarball).sha512
        let expected = "sha512-" + Data(Self.bytes(fromHex: registryHex)).base64EncodedString()
        let options = RebuildOptions(
            directory: directory, npmVersion: npmVersion, expectedIntegrity: expected,
            output: folder.appendingPathComponent("rebuilt.tgz"))
        let result = try await Task.detached { try PackRebuilder().rebuild(source, options: options) }.value
        let rebuilt = try Data(contentsOf: URL(fileURLWithPath: result.tgzPath))
        return try Self.compare(registry: registryTarball, rebuilt: rebuilt, result: result)
    }

    static func bytes(fromHex hex: String) -> [UInt8] {
        var out = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    /// Entry-level comparison of two tarballs.
    static func compare(registry: Data, rebuilt: Data, result: RebuildResult) throws -> RebuildComparison {
        let hasher = DigestTarballHashing()
        let registrySHA = hasher.sha512AndSHA1Hex(registry).sha512
        let rebuiltSHA = hasher.sha512AndSHA1Hex(rebuilt).sha512
        var notes = ["npm generation \(result.npmGeneration); gzip \(result.gzip.engine)"]
        notes += result.notes
        if registrySHA == rebuiltSHA {
            return RebuildComparison(outcome: .identical, notes: notes, rebuiltSHA512Hex: rebuiltSHA)
        }
        let inspector = ArchiveInspector(crossCheckWithLibarchive: false)
        let registryReport = try inspector.inspect(data: registry, name: "registry tarball")
        let rebuiltReport = try inspector.inspect(data: rebuilt, name: "rebuilt tarball")
        if let a = registryReport.tar.sha512, a == rebuiltReport.tar.sha512 {
            notes.append("the tar is identical; only the gzip stream differs (the publisher's zlib)")
            return RebuildComparison(outcome: .identicalTar, notes: notes, rebuiltSHA512Hex: rebuiltSHA)
        }
        let registryEntries = Dictionary(registryReport.entries.filter { !$0.afterEndOfArchive }.map { ($0.path, $0) },
                                         uniquingKeysWith: { first, _ in first })
        let rebuiltEntries = Dictionary(rebuiltReport.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let onlyInRegistry = registryEntries.keys.filter { rebuiltEntries[$0] == nil && registryEntries[$0]!.type.isRegularFile }.sorted()
        let onlyInRebuild = rebuiltEntries.keys.filter { registryEntries[$0] == nil && rebuiltEntries[$0]!.type.isRegularFile }.sorted()
        let shared = registryEntries.keys.filter { rebuiltEntries[$0] != nil }.sorted()
        let contentDiffers = shared.filter { registryEntries[$0]!.sha512 != rebuiltEntries[$0]!.sha512 }
        let modeDiffers = shared.filter { registryEntries[$0]!.mode != rebuiltEntries[$0]!.mode }
        if !modeDiffers.isEmpty { notes.append("file modes differ: " + modeDiffers.joined(separator: ", ")) }
        let headersDiffer = shared.filter { registryEntries[$0]!.headerSHA256 != rebuiltEntries[$0]!.headerSHA256 }
        if !headersDiffer.isEmpty && modeDiffers.isEmpty {
            notes.append("tar headers differ (mtime, owner or format) for \(headersDiffer.count) entr\(headersDiffer.count == 1 ? "y" : "ies")")
        }
        let sharedOrder = { (entries: [TarEntry]) in entries.map(\.path).filter { shared.contains($0) } }
        if sharedOrder(registryReport.entries) != sharedOrder(rebuiltReport.entries) {
            notes.append("entry order differs")
        }
        let outcome: RebuildOutcome = contentDiffers.isEmpty && onlyInRebuild.isEmpty ? .sameContent : .different
        return RebuildComparison(outcome: outcome, onlyInRegistry: onlyInRegistry, onlyInRebuild: onlyInRebuild,
                                 contentDiffers: contentDiffers, notes: notes, rebuiltSHA512Hex: rebuiltSHA)
    }
}

/// Archive findings with the `Archive` module's inspector (severity `error` findings fail the check; warnings are
/// listed as reasons of a passing check).
public struct ArchiveStage: ArchiveInspecting {
    /// Makes the stage.
    public init() {}

    public func findings(in tarball: Data) async throws -> [String] {
        let report = try ArchiveInspector().inspect(data: tarball, name: "registry tarball")
        return report.findings.filter { $0.severity == .error }.map(\.description)
    }
}
