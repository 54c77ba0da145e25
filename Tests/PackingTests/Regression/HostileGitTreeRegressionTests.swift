import Foundation
@testable import Packing
import Testing
import TestSupport

/// Issue 17 item 3: a git tree holding `..`, `.`, `.git` (any case), a name with `/` or case-colliding names is
/// refused, and the `--build-command` copy is written confined to its folder.
@Suite struct HostileGitTreeRegressionTests {
    /// A repository whose commit tree is built with `git mktree` from `entries` ("mode type oid\tname" lines, or
    /// "tree:<name>" for a sub-tree holding `evil.txt`).
    static func repository(in folder: URL, rootEntries: [String]) throws -> (URL, String) {
        let repo = folder.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        func git(_ arguments: [String], input: String? = nil) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", repo.path] + arguments
            var env = ProcessInfo.processInfo.environment
            env["GIT_AUTHOR_NAME"] = "t"; env["GIT_AUTHOR_EMAIL"] = "t@example.invalid"
            env["GIT_COMMITTER_NAME"] = "t"; env["GIT_COMMITTER_EMAIL"] = "t@example.invalid"
            process.environment = env
            let inPipe = Pipe(), outPipe = Pipe()
            process.standardInput = inPipe
            process.standardOutput = outPipe
            try process.run()
            inPipe.fileHandleForWriting.write(Data((input ?? "").utf8))
            try inPipe.fileHandleForWriting.close()
            let out = outPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw SourceError("git \(arguments) failed") }
            return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git(["init", "--quiet"])
        let evil = try git(["hash-object", "-w", "--stdin"], input: "escaped\n")
        let packageJSON = try git(["hash-object", "-w", "--stdin"], input: #"{"name":"hostile","version":"1.0.0"}"#)
        let inner = try git(["mktree"], input: "100644 blob \(evil)\tevil.txt\n")
        var lines = ["100644 blob \(packageJSON)\tpackage.json"]
        for entry in rootEntries {
            if entry.hasPrefix("tree:") {
                lines.append("040000 tree \(inner)\t\(entry.dropFirst(5))")
            } else {
                lines.append("100644 blob \(evil)\t\(entry)")
            }
        }
        let tree = try git(["mktree"], input: lines.joined(separator: "\n") + "\n")
        let commit = try git(["commit-tree", tree, "-m", "hostile"])
        return (repo, commit)
    }

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-hostiletree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test(arguments: ["tree:..", "tree:.", "tree:.git", "tree:.GIT", "tree:.Git.", ".git"])
    func dotDotAndGitNamesAreRefused(entry: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (repo, commit) = try Self.repository(in: folder, rootEntries: [entry])
        let repository = try GitRepository.open(repo.path)
        do {
            _ = try repository.source(commit: commit)
            Issue.record("\(entry): the tree was read")
        } catch {
            #expect("\(error)".contains("is refused"), "\(entry): \(error)")
        }
    }

    /// `rebuild --build-command` on a tree holding `..`: refused, and nothing is written next to the copy.
    @Test func buildCommandCopyOfDotDotTreeWritesNothingOutside() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (repo, commit) = try Self.repository(in: folder, rootEntries: ["tree:.."])
        let before = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        #expect(throws: (any Error).self) {
            _ = try PackRebuilder().rebuild(.git(location: repo.path, ref: commit), options: RebuildOptions(
                output: folder.appendingPathComponent("out.tgz"),
                buildCommand: BuildCommand(command: "true", timeout: 30)))
        }
        let after = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        #expect(!after.contains("evil.txt") && !before.contains("evil.txt"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.tgz").path))
    }

    @Test func caseCollidingNamesAreRefusedForTheBuildCopy() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (repo, commit) = try Self.repository(in: folder, rootEntries: ["README.md", "readme.md"])
        let source = try GitRepository.open(repo.path).source(commit: commit)
        do {
            try ConfinedTreeWriter.write(source, into: folder.appendingPathComponent("copy"))
            Issue.record("case-colliding names were written")
        } catch {
            #expect("\(error)".contains("differ only in letter case"), "\(error)")
        }
    }

    @Test func confinedWriterWritesFilesModesAndLinks() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (repo, commit) = try Self.repository(in: folder, rootEntries: ["tree:lib", "empty.txt"])
        let source = try GitRepository.open(repo.path).source(commit: commit)
        let copy = folder.appendingPathComponent("copy")
        try ConfinedTreeWriter.write(source, into: copy)
        #expect(try String(contentsOf: copy.appendingPathComponent("lib/evil.txt"), encoding: .utf8) == "escaped\n")
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("package.json").path))
        // The copy folder must be new: an existing path (or a planted link) is not reused.
        #expect(throws: SourceError.self) { try ConfinedTreeWriter.write(source, into: copy) }
    }
}

extension HostileGitTreeRegressionTests {
    /// A folder on disk (`rebuild --worktree --build-command`) keeps its own `.git` folder in the copy.
    @Test func worktreeCopyKeepsItsOwnGitFolder() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let package = folder.appendingPathComponent("pkg")
        try FileManager.default.createDirectory(at: package.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try Data("ref: refs/heads/main\n".utf8).write(to: package.appendingPathComponent(".git/HEAD"))
        try Data(#"{"name":"w","version":"1.0.0"}"#.utf8).write(to: package.appendingPathComponent("package.json"))
        let copy = folder.appendingPathComponent("copy")
        try ConfinedTreeWriter.write(try WorktreeSource(folder: package), into: copy)
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent(".git/HEAD").path))
    }
}

extension HostileGitTreeRegressionTests {
    /// Names git's own tools refuse but a crafted tree object holds (`git hash-object -t tree --literally`): an
    /// absolute name and a name containing '/'.
    @Test(arguments: ["/abs", "a/b"])
    func craftedTreeNamesWithSlashesAreRefused(name: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (repo, _) = try Self.repository(in: folder, rootEntries: [])
        let script = """
            cd '\(repo.path)'
            blob=$(printf 'x\\n' | git hash-object -w --stdin)
            tree=$(python3 -c "import sys,binascii; sys.stdout.buffer.write(b'100644 \(name)\\\\x00' + binascii.unhexlify('$blob'))" \
                | git hash-object -t tree --literally -w --stdin)
            GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid \
                git commit-tree "$tree" -m crafted
            """
        let result = try ProcessRunner.run(["sh", "-ec", script], check: false)
        let commit = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(result.status == 0 && commit.count == 40, "\(commit)")
        do {
            _ = try GitRepository.open(repo.path).source(commit: commit)
            Issue.record("\(name): the crafted tree was read")
        } catch {
            #expect("\(error)".contains("is refused"), "\(name): \(error)")
        }
    }
}
