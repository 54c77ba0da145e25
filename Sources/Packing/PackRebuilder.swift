import Archive
import Deflate
import Digest
import Foundation

/// What to rebuild from.
public enum RebuildSource: Sendable {
    /// A git repository (path, bundle file or URL) at `ref`; without `ref`, the tag for `version`
    /// (`v<version>`, `<version>`, `<name>@<version>`) or `gitHead`.
    case git(location: String, ref: String?)
    /// An already opened repository at `ref` (same tag lookup as above when nil).
    case repository(GitRepository, ref: String?)
    /// A folder on disk, read exactly as `npm pack` reads it.
    case worktree(URL)
}

/// A user command run in a throwaway copy of the source before packing.
public struct BuildCommand: Sendable {
    /// Shell command (`/bin/sh -c`).
    public var command: String
    /// Seconds before the command is killed.
    public var timeout: TimeInterval

    public init(command: String, timeout: TimeInterval = 600) {
        self.command = command
        self.timeout = timeout
    }
}

/// Options of a rebuild.
public struct RebuildOptions: Sendable {
    /// Package folder inside the repository (monorepos).
    public var directory: String?
    /// The publisher's npm version (`_npmVersion`); decides the generation when set.
    public var npmVersion: String?
    /// The generation to emulate when `npmVersion` is not given (default npm 7–10).
    public var generation: NPMGeneration
    /// Package name and version, used to find the tag when no ref is given.
    public var name: String?
    public var version: String?
    /// The packument's `gitHead`, tried when no ref is given and no tag matches.
    public var gitHead: String?
    /// The publisher's Node version (`_nodeVersion`): orders the Node-zlib attempts, and without an expected
    /// integrity selects the deflate engine that Node's `npm pack` used (e.g. 20.20.2 → Chromium zlib, ANZAC hash).
    public var nodeVersion: String?
    /// The registry integrity (SRI); when set, gzip candidates are tried until one reproduces it.
    public var expectedIntegrity: String?
    /// Extra deflate engines tried after the system-zlib candidates (e.g. a Chromium-zlib emulation).
    public var extraCandidates: [GzipAttempt]
    /// Where to write the `.tgz` (default: a file in a fresh temporary folder).
    public var output: URL?
    /// Optional build step.
    public var buildCommand: BuildCommand?
    /// Cache folder for clones of URLs.
    public var cacheDirectory: URL?

    public init(directory: String? = nil, npmVersion: String? = nil, generation: NPMGeneration = .npm10,
                name: String? = nil, version: String? = nil, gitHead: String? = nil, nodeVersion: String? = nil,
                expectedIntegrity: String? = nil,
                extraCandidates: [GzipAttempt] = [], output: URL? = nil, buildCommand: BuildCommand? = nil,
                cacheDirectory: URL? = nil) {
        self.directory = directory
        self.npmVersion = npmVersion
        self.generation = generation
        self.name = name
        self.version = version
        self.gitHead = gitHead
        self.nodeVersion = nodeVersion
        self.expectedIntegrity = expectedIntegrity
        self.extraCandidates = extraCandidates
        self.output = output
        self.buildCommand = buildCommand
        self.cacheDirectory = cacheDirectory
    }
}

/// The gzip layer of a rebuild.
public struct GzipOutcome: Codable, Sendable, Hashable {
    /// The header's JSON form: the two bytes npm's headers differ in.
    struct HeaderBytes: Codable, Sendable, Hashable {
        var xfl: UInt8
        var os: UInt8
    }

    /// The engine that produced the written `.tgz`.
    public let engine: String
    private let headerBytes: HeaderBytes
    /// `true`/`false` when an expected integrity was given: whether some candidate reproduced it.
    public let reproducedExpected: Bool?
    /// Every engine/header combination tried.
    public let tried: [String]

    /// Its header (XFL, OS).
    public var header: GzipHeader { GzipHeader(xfl: headerBytes.xfl, os: headerBytes.os) }

    init(engine: String, header: GzipHeader, reproducedExpected: Bool?, tried: [String]) {
        self.engine = engine
        self.headerBytes = HeaderBytes(xfl: header.xfl, os: header.os)
        self.reproducedExpected = reproducedExpected
        self.tried = tried
    }

    enum CodingKeys: String, CodingKey {
        case engine, headerBytes = "header", reproducedExpected = "reproduced_expected", tried
    }
}

/// The result of a rebuild.
public struct RebuildResult: Codable, Sendable {
    /// sha512 SRI of the written `.tgz`.
    public let integrity: String
    /// sha512 of the uncompressed tar, lowercase hex.
    public let tarSHA512: String
    /// sha512 SRI of the uncompressed tar (handy for comparing with a decompressed registry tarball).
    public let tarIntegrity: String
    /// Size of the tar in bytes.
    public let tarSize: UInt64
    /// Packed files (relative paths) in tar order.
    public let files: [String]
    /// The npm generation emulated.
    public let npmGeneration: NPMGeneration
    /// The npm-packlist / ignore-walk behaviour emulated within the generation.
    public let packlist: PacklistFlavor
    /// The source commit (git sources).
    public let commit: String?
    /// The tag used or found (git sources).
    public let tag: String?
    /// The package folder inside the repository, if any.
    public let directory: String?
    /// Things not packed (symlinks, submodules, bundled dependencies, lifecycle scripts not run).
    public let skipped: [SkippedItem]
    /// Path of the written `.tgz`.
    public let tgzPath: String
    /// The gzip layer.
    public let gzip: GzipOutcome
    /// `false` for npm ≤ 4, whose tarballs (real mtimes, uids, directory entries) can only be compared on contents.
    public let tarBytesComparable: Bool
    /// Human-readable notes (e.g. why the tar may not be comparable, build command output).
    public let notes: [String]

    enum CodingKeys: String, CodingKey {
        case integrity, tarSHA512 = "tar_sha512", tarIntegrity = "tar_integrity", tarSize = "tar_size", files
        case npmGeneration = "npm_generation", packlist, commit, tag, directory, skipped, tgzPath = "tgz_path", gzip
        case tarBytesComparable = "tar_bytes_comparable", notes
    }
}

/// Errors of a rebuild, naming the input.
public struct RebuildError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case refNotFound = "ref-not-found"
        case tagNotFound = "tag-not-found"
        case source = "source"
        case build = "build-failed"
        case output = "output"
    }
    public let code: Code
    public let message: String
    /// The message, with credentials in any URL it names hidden (``URLCredentials``).
    public var description: String { URLCredentials.redact(message) }
}

/// Rebuilds the tarball `npm pack` would produce from a tagged git tree or a folder.
///
/// ```swift
/// let result = try PackRebuilder().rebuild(.git(location: "repo.bundle", ref: "v1.0.0"),
///                                          options: RebuildOptions(output: URL(fileURLWithPath: "out.tgz")))
/// result.integrity   // "sha512-…"
/// ```
public struct PackRebuilder: Sendable {
    public init() {}

    /// Runs the rebuild.
    public func rebuild(_ input: RebuildSource, options: RebuildOptions = RebuildOptions()) throws -> RebuildResult {
        let generation = options.npmVersion.flatMap(NPMGeneration.init(npmVersion:)) ?? options.generation
        var commit: String?
        var tag: String?
        var notes: [String] = []
        let source: any PackageSource
        var cleanup: [URL] = []
        defer { for url in cleanup { try? FileManager.default.removeItem(at: url) } }

        switch input {
        case .worktree(let folder):
            var folder = folder
            if let directory = options.directory { folder = folder.appendingPathComponent(directory) }
            source = try WorktreeSource(folder: folder)
        case .git(let location, let ref):
            let repository: GitRepository
            do {
                repository = try GitRepository.open(location, cacheDirectory: options.cacheDirectory)
            } catch {
                throw RebuildError(code: .source, message: "\(error)")
            }
            if repository.isTemporaryClone { cleanup.append(repository.gitDirectory) }
            (commit, tag) = try resolve(repository, ref: ref, options: options)
            source = try repository.source(commit: commit!, directory: options.directory)
        case .repository(let repository, let ref):
            (commit, tag) = try resolve(repository, ref: ref, options: options)
            source = try repository.source(commit: commit!, directory: options.directory)
        }

        var packSource = source
        if let build = options.buildCommand {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-build-\(UUID().uuidString)")
            cleanup.append(copy)
            try BuildRunner.materialize(source, into: copy)
            let log = try BuildRunner.run(build, in: copy)
            notes.append("build command `\(build.command)` ran in a throwaway copy: \(log)")
            packSource = try WorktreeSource(folder: copy)
        }

        let list = try PackList.compute(source: packSource, generation: generation, npmVersion: options.npmVersion)
        if !generation.tarReproducible {
            notes.append("npm ≤4 tarballs carry real mtimes, uids and directory entries: compare file contents only")
        }
        let output = try options.output ?? {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-rebuild-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return dir.appendingPathComponent("package.tgz")
        }()
        // The generation's own dialect with the system zlib first, then the other dialect (publishers' npm versions
        // are often unknown), then the Node-zlib emulation (module Deflate), then plugged-in engines. Without an
        // expected integrity only the first attempt is written: Node's engine for --node-version, else for today's
        // Node (npm ≥ 7).
        let otherGenerations: [NPMGeneration] = generation == .npm6 || generation == .npm4 ? [.npm10] : [.npm6]
        var candidates = GzipDialect.candidates(for: generation)
            + otherGenerations.flatMap(GzipDialect.candidates(for:))
            + GzipDialect.nodeZlibAttempts(for: generation, nodeVersion: options.nodeVersion)
            + otherGenerations.flatMap { GzipDialect.nodeZlibAttempts(for: $0, nodeVersion: options.nodeVersion) }
            + options.extraCandidates
        // Without a publisher Node version, npm ≥ 7 output is that of today's npm pack: Node ≥ 20.10 (ANZAC class).
        let nodeVersion = options.nodeVersion
            ?? (options.expectedIntegrity == nil ? GzipDialect.currentNodeVersion : nil)
        if let nodeVersion,
           let nodeAttempt = GzipDialect.npmPackAttempt(nodeVersion: nodeVersion, generation: generation) {
            candidates.insert(nodeAttempt, at: 0)
        }
        let expected: Integrity?
        do {
            expected = try options.expectedIntegrity.map { try Integrity($0) }
        } catch {
            throw RebuildError(code: .source, message: "expected integrity \(options.expectedIntegrity ?? ""): \(error)")
        }
        if expected == nil { candidates = [candidates[0]] }

        let files = list.entries.map { entry -> TarInputFile in
            guard case .file(let mode, let size, let content) = entry.node.kind else { fatalError("pack list holds files only") }
            return TarInputFile(inputPath: entry.path.hasPrefix("@") ? "./" + entry.path : entry.path,
                                mode: mode, size: size, content: content)
        }
        let writer = NodeTarWriter(binPaths: Set(list.manifest.executableBinPaths),
                                   paxRecordsZeroSize: generation == .npm11)
        let tarHasher = MultiHasher([.sha512])
        let keepTar = candidates.count > 1
        // Every file is written to an exclusively created temporary (never a predictable name, never through a
        // link) and the chosen candidate is committed to the output through ``OutputTarget`` at the end.
        let target: OutputTarget
        do { target = try OutputTarget(output) } catch {
            throw RebuildError(code: .output, message: "cannot write the rebuilt tarball to \(error)")
        }
        func temporary(_ label: String) throws -> OutputFile {
            do {
                let file = try target.makeTemporary(label: label)
                cleanup.append(URL(fileURLWithPath: file.path))
                return file
            } catch {
                throw RebuildError(code: .output, message: "cannot write the rebuilt tarball to \(error)")
            }
        }
        let tarFile = keepTar ? try temporary("tar") : nil
        let tarURL = tarFile.map { URL(fileURLWithPath: $0.path) }

        var tried: [String] = []
        // First candidate: streamed in the same pass as the tar.
        let firstFile = try temporary("candidate-0")
        var chosenFile = firstFile.path
        var pass = try GzipPass(candidate: candidates[0], file: firstFile)
        try writer.write(files: files, source: packSource) { chunk in
            tarHasher.update(chunk)
            try tarFile?.write(chunk)
            try pass.write(chunk)
        }
        try tarFile?.close()
        var outcome = try pass.finish(expected: expected)
        tried += pass.triedDescriptions
        var index = 1
        while let expected, let tarURL, outcome.matched == nil, index < candidates.count {
            let candidateFile = try temporary("candidate-\(index)")
            var candidatePass = try GzipPass(candidate: candidates[index], file: candidateFile)
            try OutputFile.read(tarURL) { try candidatePass.write($0) }
            let candidateOutcome = try candidatePass.finish(expected: expected)
            tried += candidatePass.triedDescriptions
            if candidateOutcome.matched != nil {
                chosenFile = candidateFile.path
                outcome = candidateOutcome
            } else {
                unlink(candidateFile.path)
            }
            index += 1
        }
        do {
            try target.commit(temporary: chosenFile)
        } catch {
            throw RebuildError(code: .output, message: "cannot write the rebuilt tarball to \(error)")
        }
        let tarDigest = tarHasher.finalize()
        return RebuildResult(
            integrity: outcome.integrity, tarSHA512: tarDigest.hex(.sha512)!, tarIntegrity: tarDigest.sri(.sha512)!,
            tarSize: tarHasher.byteCount, files: list.entries.map(\.path), npmGeneration: generation, packlist: list.flavor,
            commit: commit, tag: tag, directory: options.directory, skipped: list.skipped, tgzPath: output.path,
            gzip: GzipOutcome(engine: outcome.engine, header: outcome.header,
                              reproducedExpected: expected == nil ? nil : outcome.matched != nil, tried: tried),
            tarBytesComparable: generation.tarReproducible, notes: notes)
    }

    private func resolve(_ repository: GitRepository, ref: String?, options: RebuildOptions) throws -> (String, String?) {
        if let ref {
            guard let commit = repository.resolveCommit(ref) else {
                throw RebuildError(code: .refNotFound, message: "ref \(ref) not found in \(repository.origin)")
            }
            let isTag = (try? repository.tags())?[ref] != nil
            return (commit, isTag ? ref : nil)
        }
        if let version = options.version, let found = try repository.findTag(name: options.name, version: version) {
            return (found.commit, found.tag)
        }
        if let head = options.gitHead, let commit = repository.resolveCommit(head) {
            return (commit, try repository.tags(pointingAt: commit).first)
        }
        if let version = options.version {
            throw RebuildError(code: .tagNotFound, message: "no tag for version \(version) (tried "
                + GitRepository.tagCandidates(name: options.name, version: version).joined(separator: ", ")
                + ") and no usable gitHead in \(repository.origin); pass --ref")
        }
        throw RebuildError(code: .refNotFound, message: "no --ref given and no version to look up a tag in \(repository.origin)")
    }
}

/// One deflate pass with several header variants hashed at once.
struct GzipPass {
    let candidate: GzipAttempt
    let stream: any RawDeflateStream
    let file: OutputFile
    var crc = CRC32()
    var size: UInt64 = 0
    let hashers: [MultiHasher]
    var triedDescriptions: [String] { candidate.headers.map { "\(candidate.engine.name), \($0)" } }

    init(candidate: GzipAttempt, file: OutputFile) throws {
        self.candidate = candidate
        stream = try candidate.engine.makeStream()
        self.file = file
        hashers = candidate.headers.map { _ in MultiHasher([.sha512]) }
        for (hasher, header) in zip(hashers, candidate.headers) { hasher.update(header.bytes) }
        try candidate.headers[0].bytes.withUnsafeBytes { try file.write($0) }
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        crc.update(chunk)
        size &+= UInt64(chunk.count)
        let hashers = self.hashers
        let file = self.file
        try stream.write(chunk) { produced in
            for hasher in hashers { hasher.update(produced) }
            try file.write(produced)
        }
    }

    struct Outcome {
        let integrity: String
        let engine: String
        let header: GzipHeader
        let matched: GzipHeader?
    }

    mutating func finish(expected: Integrity?) throws -> Outcome {
        let hashers = self.hashers
        let file = self.file
        try stream.finish { produced in
            for hasher in hashers { hasher.update(produced) }
            try file.write(produced)
        }
        let crcValue = UInt32(truncatingIfNeeded: crc.value)
        let isize = UInt32(truncatingIfNeeded: size)
        var trailer: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: crcValue >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: isize >> UInt32(shift))) }
        for hasher in hashers { hasher.update(trailer) }
        try trailer.withUnsafeBytes { try file.write($0) }
        var chosen = 0
        var matched: GzipHeader?
        let digests = hashers.map { $0.finalize() }
        if let expected {
            for (index, digest) in digests.enumerated() where expected.verify(digest).ok {
                chosen = index
                matched = candidate.headers[index]
                break
            }
        }
        if chosen != 0 { try file.patch(offset: 8, bytes: [candidate.headers[chosen].xfl, candidate.headers[chosen].os]) }
        try file.close()
        return Outcome(integrity: digests[chosen].sri(.sha512)!, engine: candidate.engine.name,
                       header: candidate.headers[chosen], matched: matched)
    }
}
