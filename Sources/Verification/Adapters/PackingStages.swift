import Archive
import Build
import Compare
import Configuration
import Digest
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
        // A `.url` may come from the packument: only https/ssh remotes, never a local path or another transport.
        let trust: GitLocationTrust
        if case .path = location { trust = .user } else { trust = .remoteOnly }
        return try await Task.detached {
            let repository = try GitRepository.open(location.description, cacheDirectory: cache, trust: trust)
            return PackingSourceRepository(repository: repository, tags: try repository.tags())
        }.value
    }
}

/// A repository opened by ``PackingSource``.
public struct PackingSourceRepository: SourceRepository {
    /// The underlying repository.
    public let repository: GitRepository
    /// Every tag with its (peeled) commit, read once when opened.
    public let tags: [String: String]

    /// Where the repository is, as given, with any credentials in a URL hidden (it is shown in verdicts).
    public var location: String { URLCredentials.redact(repository.origin) }

    public func commit(forTag tag: String) async throws -> String? { tags[tag] }

    public func resolve(ref: String) async throws -> String? { repository.resolveCommit(ref) }

    public func commitExists(_ commit: String) async throws -> Bool {
        guard commit.count >= 7, commit.count <= 64, commit.allSatisfy(\.isHexDigit) else { return false }
        return repository.commitExists(commit)
    }

    public func branches(containing commit: String) async throws -> [String] {
        let repository = repository
        return try await Task.detached { try repository.branches(containing: commit) }.value
    }
}

/// Rebuilds with the `Packing` module's ``Packing/PackRebuilder`` and compares with the registry tarball entry by
/// entry (contents by sha512, headers by hash, tar bytes and `.tgz` bytes), using the `Archive` module's reader.
public struct PackingRebuilder: Rebuilding {
    /// With `--build`: builds the package in a sandbox (module `Build`) when the plain rebuild leaves registry files
    /// unexplained, and compares the built tarball instead.
    public var builder: PackageBuilder?

    /// Makes the stage (`builder`: build packages whose tarball holds build output).
    public init(builder: PackageBuilder? = nil) { self.builder = builder }

    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, nodeVersion: String?, registryTarball: Data) async throws -> RebuildComparison {
        let file = try TarballFile.holding(registryTarball, in: nil)
        return try await rebuildAndCompare(repository: repository, commit: commit, directory: directory,
                                           npmVersion: npmVersion, nodeVersion: nodeVersion, registryTarballFile: file.url,
                                           context: RebuildContext())
    }

    /// Rebuilds and compares with the registry tarball on disk, reading it in a stream.
    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, nodeVersion: String?, registryTarballFile: URL,
                                  context: RebuildContext) async throws -> RebuildComparison {
        let source: RebuildSource
        if let packing = repository as? PackingSourceRepository {
            source = .repository(packing.repository, ref: commit)
        } else {
            source = .git(location: repository.location, ref: commit)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-rebuild-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let registryHex = try DigestTarballHashing().sha512AndSHA1Hex(fileAt: registryTarballFile).sha512
        let expected = "sha512-" + Data(Self.bytes(fromHex: registryHex)).base64EncodedString()
        let options = RebuildOptions(
            directory: directory, npmVersion: npmVersion, nodeVersion: nodeVersion, expectedIntegrity: expected,
            output: folder.appendingPathComponent("rebuilt.tgz"))
        let result = try await Task.detached { try PackRebuilder().rebuild(source, options: options) }.value
        var comparison = try Self.compare(registry: registryTarballFile, rebuilt: URL(fileURLWithPath: result.tgzPath),
                                          result: result)
        if !comparison.onlyInRegistry.isEmpty, let packing = repository as? PackingSourceRepository {
            try await Self.lookUpInSource(&comparison, registryTarball: registryTarballFile, commit: commit,
                                          directory: directory, gitDirectory: packing.repository.gitDirectory)
        }
        if let builder, let packing = repository as? PackingSourceRepository,
           !comparison.onlyInRegistry.isEmpty || comparison.outcome == .different {
            return await Self.buildAndCompare(comparison, builder: builder, packing: packing, commit: commit,
                                              directory: directory, npmVersion: npmVersion, nodeVersion: nodeVersion,
                                              registryTarball: registryTarballFile, workflow: context.workflowPath)
        }
        return comparison
    }

    /// Files only in the registry tarball that the source does have at `commit`: the same content means the
    /// rebuild's packing rules left them out (listed in a note, no longer "not in source"); other content is a
    /// content difference.
    static func lookUpInSource(_ comparison: inout RebuildComparison, registryTarball: URL, commit: String,
                               directory: String?, gitDirectory: URL) async throws {
        let report = try ArchiveInspector(crossCheckWithLibarchive: false).inspect(fileAt: registryTarball)
        var registryDigests = [String: String]()
        for entry in report.entries where entry.type.isRegularFile { registryDigests[entry.pathInPackage] = entry.sha512 }
        var samePacked = [String]()
        var stillMissing = [String]()
        for path in comparison.onlyInRegistry {
            let sourcePath = directory.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + path } ?? path
            let repository = GitRepository(gitDirectory: gitDirectory, origin: gitDirectory.path)
            var blob = try await Task.detached { try repository.blob(commit: commit, path: sourcePath) }.value
            var label = path
            // Old npm versions renamed .gitignore to .npmignore in the tarball when the package had no .npmignore.
            if blob == nil, sourcePath == ".npmignore" || sourcePath.hasSuffix("/.npmignore") {
                let gitignore = String(sourcePath.dropLast(".npmignore".count)) + ".gitignore"
                blob = try await Task.detached { try repository.blob(commit: commit, path: gitignore) }.value
                label = "\(path) (npm's rename of .gitignore)"
            }
            guard let blob else {
                stillMissing.append(path)
                continue
            }
            if DigestTarballHashing().sha512AndSHA1Hex(blob).sha512 == registryDigests[path] {
                samePacked.append(label)
            } else {
                comparison.contentDiffers.append(path)
            }
        }
        comparison.onlyInRegistry = stillMissing
        if stillMissing.isEmpty {
            comparison.notes.removeAll { $0.hasSuffix("are only in the registry tarball (see rebuild.not-in-source)") }
        }
        if !samePacked.isEmpty {
            comparison.notes.append("in the source with the same content, but not packed by the rebuild's rules: "
                + samePacked.joined(separator: ", "))
        }
        if !comparison.contentDiffers.isEmpty {
            comparison.contentDiffers.sort()
            comparison.outcome = .different
        }
    }

    static func bytes(fromHex hex: String) -> [UInt8] { DigestEncoding.bytes(fromHex: hex) ?? [] }

    /// Compares the rebuild (A, the expected bytes) with the registry tarball (B, what is served) with the `Compare`
    /// module's comparator, so every difference reads registry-relative ("postinstall added" means the registry
    /// tarball has it and the source does not), and maps the report onto the rebuild outcome over the files the
    /// source produces; files only in the registry tarball are listed separately
    /// (``RebuildComparison/onlyInRegistry``).
    ///
    /// Zero padding after the registry tarball's end-of-archive marker (a repack, e.g. by Python's tarfile, which
    /// pads to 10 KiB records; npm writes none) is a finding named in the reasons, not a content change.
    static func compare(registry: URL, rebuilt: URL, result: RebuildResult) throws -> RebuildComparison {
        let report = try TarballComparator().compare(rebuilt, registry, nameA: "rebuild", nameB: "registry tarball")
        var notes = [String]()
        let rebuiltSHA = try DigestTarballHashing().sha512AndSHA1Hex(fileAt: rebuilt).sha512
        let onlyInRegistry = report.filesOnlyInB.map(\.path).sorted()
        let onlyInRebuild = report.filesOnlyInA.map(\.path).sorted()
        let changed = report.changed.map(\.path).sorted()
        let unacceptable = report.metadataDifferences.filter { !MetadataField.acceptableByDefault.contains($0.field) }
        // Padding: the only unacceptable difference is the end of the archive, and the registry side holds nothing
        // but zeros (and no hidden entries) after its end marker.
        let zeroPadding = unacceptable.count == 1 && unacceptable[0].field == .endOfArchive
            && unacceptable[0].bValues.allSatisfy { $0.contains("(0 non-zero)") && !$0.contains("entries after it") }
        let outcome: RebuildOutcome
        switch report.verdict {
        case .exact: outcome = .identical
        case .tarIdentical: outcome = .identicalTar
        case .contentIdentical: outcome = report.acceptable || zeroPadding ? .sameContent : .different
        case .differs:
            // Files only in the registry are reported apart (not in source); the rest decides.
            outcome = changed.isEmpty && onlyInRebuild.isEmpty && (unacceptable.isEmpty || zeroPadding) ? .sameContent : .different
        }
        // The comparator's one-line summary, only when it agrees with the outcome.
        if report.verdict != .differs && !(outcome == .different && report.verdict == .contentIdentical) {
            notes.append(report.summary)
        }
        if outcome == .different && report.verdict == .contentIdentical {
            notes.append("differs: same files and contents, but " + unacceptable.map(\.field.rawValue).joined(separator: ", ")
                + " differ (not accepted by default)")
        }
        if zeroPadding {
            notes.append("finding: the registry tarball has zero padding after its end-of-archive marker ("
                + unacceptable[0].bValues.joined(separator: ", ") + "; the rebuild: " + unacceptable[0].aValues.joined(separator: ", ")
                + "): a repack by another tool than npm (e.g. Python's tarfile), not a content change")
        }
        notes.append("npm generation \(result.npmGeneration.rawValue); gzip \(result.gzip.engine)")
        notes += result.notes
        if !report.highlights.installScripts.isEmpty {
            notes.append("install scripts in the registry tarball: " + report.highlights.installScripts
                .map { "\($0.name) \($0.change.rawValue)" }.joined(separator: ", "))
        }
        if report.highlights.packageJSONDiffers {
            notes.append("package.json differs in " + report.highlights.packageJSONFields.map(\.field).joined(separator: ", "))
        }
        if report.verdict == .differs, outcome == .sameContent, !onlyInRegistry.isEmpty {
            notes.insert("the \(report.tar.filesA) file(s) the source produces have the same contents; "
                + "\(onlyInRegistry.count) file(s) are only in the registry tarball (see rebuild.not-in-source)", at: 0)
        }
        if outcome == .different {
            for difference in unacceptable {
                if difference.field == .endOfArchive || difference.files == 0 {
                    notes.append("\(difference.field.rawValue): rebuild " + difference.aValues.joined(separator: ", ")
                        + "; registry tarball " + difference.bValues.joined(separator: ", "))
                } else {
                    notes.append("\(difference.field.rawValue) differs for \(difference.files) file(s), e.g. "
                        + difference.examples.prefix(3).map { "\($0.path): rebuild \($0.a), registry \($0.b)" }
                            .joined(separator: "; "))
                }
            }
            if !onlyInRegistry.isEmpty {
                notes.append("added in the registry tarball (not produced by the source): " + onlyInRegistry.joined(separator: ", "))
            }
        }
        var comparison = RebuildComparison(outcome: outcome, onlyInRegistry: onlyInRegistry, onlyInRebuild: onlyInRebuild,
                                           contentDiffers: changed, notes: notes, rebuiltSHA512Hex: rebuiltSHA,
                                           generation: result.npmGeneration.rawValue)
        comparison.report = report
        return comparison
    }
}

/// Archive findings with the `Archive` module's inspector (severity `error` findings fail the check; warnings are
/// listed as reasons of a passing check; `info` findings are left out).
public struct ArchiveStage: ArchiveInspecting {
    /// Makes the stage.
    public init() {}

    public func findings(inFileAt file: URL) async throws -> ArchiveFindings {
        let report = try ArchiveInspector().inspect(fileAt: file)
        return ArchiveFindings(errors: report.findings.filter { $0.severity == .error }.map(\.description),
                               warnings: report.findings.filter { $0.severity == .warning }.map(\.description))
    }

    public func findings(in tarball: Data) async throws -> ArchiveFindings {
        let report = try ArchiveInspector().inspect(data: tarball, name: "registry tarball")
        return ArchiveFindings(errors: report.findings.filter { $0.severity == .error }.map(\.description),
                               warnings: report.findings.filter { $0.severity == .warning }.map(\.description))
    }
}
