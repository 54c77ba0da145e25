import Foundation
import Testing
import TestSupport

/// Issue 17 item 3 through the binary: `rebuild --build-command` on a git tree holding `..` (made with `git mktree`)
/// is refused, and nothing is written outside the throwaway copy.
@Suite struct HostileGitTreeCLITests {
    static func sh(_ script: String, in folder: URL) throws -> String {
        let result = try ProcessRunner.run(["sh", "-ec", script], in: folder, environment: [
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        ], check: false)
        #expect(result.status == 0, "\(script)")
        return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rebuildBuildCommandOnDotDotTreeIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-dotdot-\(UUID().uuidString)")
        let tmp = folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let commit = try Self.sh("""
            git init -q repo && cd repo
            evil=$(printf 'escaped\\n' | git hash-object -w --stdin)
            pkg=$(printf '{"name":"dotdot","version":"1.0.0"}' | git hash-object -w --stdin)
            inner=$(printf '100644 blob %s\\tevil.txt\\n' "$evil" | git mktree)
            tree=$(printf '100644 blob %s\\tpackage.json\\n040000 tree %s\\t..\\n' "$pkg" "$inner" | git mktree)
            git commit-tree "$tree" -m hostile
            """, in: folder)
        let run = try ProvcheckBinary.run(
            ["rebuild", folder.appendingPathComponent("repo").path, "--ref", commit, "--build-command", "true",
             "-o", folder.appendingPathComponent("out.tgz").path],
            environment: ["TMPDIR": tmp.path])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("is refused") && run.stderr.contains("'..'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("evil.txt").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("evil.txt").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.tgz").path))
    }
}
