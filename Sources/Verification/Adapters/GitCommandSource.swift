import Foundation

/// Why a git command failed.
public struct GitCommandError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The command line.
    public var command: String
    /// Its exit status.
    public var status: Int32
    /// Its standard error (trimmed).
    public var stderr: String

    public var description: String {
        "`\(command)` exited with status \(status)" + (stderr.isEmpty ? "" : ": \(stderr)")
    }
}

/// Opens source repositories with the `git` command: local repositories and bundles are mirrored (bare) into a
/// private temporary folder, so tags are read exactly as the source has them; URLs are refused when offline.
///
/// This is the interim source stage; the `Packing` module's native git reader replaces it when it lands.
public struct GitCommandSource: SourceOpening {
    /// Makes the stage.
    public init() {}

    public func open(_ location: SourceLocator, offline: Bool) async throws -> any SourceRepository {
        let origin: String
        switch location {
        case .path(let path):
            let url = URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw VerificationError.input(path: path, problem: "no such file or directory (expected a git repository or bundle)")
            }
            origin = url.path
        case .url(let url):
            guard !offline else {
                throw VerificationError.input(
                    path: url, problem: "the source repository is remote and --offline forbids fetching it; pass --source PATH (a clone or git bundle)")
            }
            origin = url
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("provcheck-source-\(UUID().uuidString).git")
        _ = try await Git.run(["clone", "--quiet", "--mirror", origin, directory.path])
        return GitCommandRepository(location: location.description, gitDirectory: directory, ownsDirectory: true)
    }
}

/// A bare repository read with `git`.
public final class GitCommandRepository: SourceRepository, @unchecked Sendable {
    public let location: String
    /// The bare repository.
    public let gitDirectory: URL
    private let ownsDirectory: Bool

    init(location: String, gitDirectory: URL, ownsDirectory: Bool) {
        self.location = location
        self.gitDirectory = gitDirectory
        self.ownsDirectory = ownsDirectory
    }

    deinit {
        if ownsDirectory { try? FileManager.default.removeItem(at: gitDirectory) }
    }

    public func commit(forTag tag: String) async throws -> String? {
        guard Git.isSafeRefName(tag) else { return nil }
        return try await revParse("refs/tags/\(tag)^{commit}")
    }

    public func resolve(ref: String) async throws -> String? {
        guard Git.isSafeRefName(ref) else { return nil }
        return try await revParse("\(ref)^{commit}")
    }

    public func commitExists(_ commit: String) async throws -> Bool {
        guard commit.count >= 7, commit.count <= 64, commit.allSatisfy(\.isHexDigit) else { return false }
        return try await revParse("\(commit)^{commit}") != nil
    }

    /// Writes the tree of `commit` into `directory` (`git archive | tar -x`).
    public func exportTree(commit: String, to directory: URL) async throws {
        let archive = try await Git.run(["--git-dir", gitDirectory.path, "archive", "--format=tar", commit])
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = try await Git.run(["-x", "-f", "-", "-C", directory.path], tool: "tar", input: archive)
    }

    private func revParse(_ expression: String) async throws -> String? {
        do {
            let out = try await Git.run(["--git-dir", gitDirectory.path, "rev-parse", "--verify", "--quiet", expression])
            let sha = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return sha.isEmpty ? nil : sha
        } catch let error as GitCommandError where error.status == 1 {
            return nil
        }
    }
}

enum Git {
    /// Rejects option-like or malformed ref names before they reach a command line.
    static func isSafeRefName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("-") && !name.contains("..") && !name.contains(where: { $0.isWhitespace || $0 == "\0" })
    }

    /// Runs `tool` (default `git`) with arguments; returns stdout. stdout and stderr are drained concurrently.
    static func run(_ arguments: [String], tool: String = "git", input: Data? = nil) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try runSync(arguments, tool: tool, input: input))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func runSync(_ arguments: [String], tool: String, input: Data?) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        let inPipe = input.map { _ in Pipe() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe ?? FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if let inPipe, let input {
            group.enter()
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(input)
                try? inPipe.fileHandleForWriting.close()
                group.leave()
            }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GitCommandError(
                command: ([tool] + arguments).joined(separator: " "), status: process.terminationStatus,
                stderr: String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return outData
    }
}
