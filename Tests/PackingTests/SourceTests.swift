import Foundation
@testable import Packing
import Testing

/// Git work trees, symlinks/submodules reporting, tag lookup and the build command.
@Suite struct SourceTests {
    static func git(_ arguments: [String], in directory: URL) throws {
        let (status, output) = try NPMOracle.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                                                 "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"]
                                                 + arguments, in: directory)
        guard status == 0 else { throw SourceError("git \(arguments.joined(separator: " ")): \(output)") }
    }

    /// A git work tree with an executable file, a symlink and a submodule: the git rebuild equals the worktree
    /// rebuild of the same files, reports the symlink and the submodule, and never reads the work tree.
    @Test func gitWorkTreeMatchesWorktreeRebuild() throws {
        let base = try TestIO.temporaryDirectory("gitsource")
        defer { try? FileManager.default.removeItem(at: base) }
        let sub = base.appendingPathComponent("sub")
        let subBuilder = TreeBuilder(root: sub)
        try subBuilder.file("x.txt", "x\n")
        try SourceTests.git(["init", "-q"], in: sub)
        try SourceTests.git(["add", "."], in: sub)
        try SourceTests.git(["commit", "-qm", "sub"], in: sub)

        let repo = base.appendingPathComponent("repo")
        let t = TreeBuilder(root: repo)
        try t.packageJSON(["name": "gitpkg", "version": "1.2.3", "bin": "cli.js"])
        try t.file("cli.js", "#!/usr/bin/env node\n", mode: 0o755)
        try t.file("lib/a.js", "a\n")
        try t.file("README.md", "# r\n")
        try t.symlink("link.js", to: "lib/a.js")
        try SourceTests.git(["init", "-q"], in: repo)
        try SourceTests.git(["submodule", "add", "-q", sub.path, "vendor/sub"], in: repo)
        try SourceTests.git(["add", "."], in: repo)
        try SourceTests.git(["commit", "-qm", "v1"], in: repo)
        try SourceTests.git(["tag", "v1.2.3"], in: repo)
        // Dirty the work tree after the commit: the git rebuild must not see it.
        try t.file("lib/uncommitted.js", "no\n")

        let out = try TestIO.temporaryDirectory("gitout")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PackRebuilder().rebuild(
            .git(location: repo.path, ref: nil),
            options: RebuildOptions(name: "gitpkg", version: "1.2.3", output: out.appendingPathComponent("g.tgz")))
        #expect(result.tag == "v1.2.3")
        #expect(result.files == [".gitmodules", "lib/a.js", "cli.js", "package.json", "README.md"])
        #expect(result.skipped.contains { $0.path == "link.js" && $0.reason == .symlink && $0.detail == "lib/a.js" })
        #expect(result.skipped.contains { $0.path == "vendor/sub" && $0.reason == .submodule })

        try FileManager.default.removeItem(at: repo.appendingPathComponent("lib/uncommitted.js"))
        try FileManager.default.removeItem(at: repo.appendingPathComponent("vendor"))  // submodule checkout
        let (worktreeTar, _) = try rebuildWorktreeTar(repo)
        let gitTar = try TestIO.gunzip(Data(contentsOf: URL(fileURLWithPath: result.tgzPath)))
        #expect(gitTar == worktreeTar)

        // file:// is not a transport provcheck lets git use (issue 17 item 7): refused before git runs. (Mirroring
        // needs an https or ssh remote, which the tests do not reach.)
        let cache = base.appendingPathComponent("cache")
        #expect(throws: SourceError.self) { _ = try GitRepository.open("file://" + repo.path, cacheDirectory: cache) }
        #expect(!FileManager.default.fileExists(atPath: cache.path))

        let repository = try GitRepository.open(repo.path)
        #expect(try repository.findTag(name: "gitpkg", version: "1.2.3")?.tag == "v1.2.3")
        #expect(try repository.findTag(name: "gitpkg", version: "9.9.9") == nil)
        // Branch membership and single-file reads at a commit (the verify pipeline's branch policy and not-in-source
        // lookup use these).
        let commit = try #require(result.commit)
        #expect(try repository.branches(containing: commit) == ["refs/heads/main"])
        #expect(try repository.branches(containing: "not-a-commit").isEmpty)
        #expect(try repository.blob(commit: commit, path: "lib/a.js") == Data("a\n".utf8))
        #expect(try repository.blob(commit: commit, path: "lib/uncommitted.js") == nil)
        #expect(try repository.blob(commit: commit, path: "lib") == nil)  // a tree, not a file
        #expect(try repository.blob(commit: commit, path: "../etc/passwd") == nil)
        #expect(throws: RebuildError.self) {
            try PackRebuilder().rebuild(.git(location: repo.path, ref: nil), options: RebuildOptions(version: "9.9.9"))
        }
    }

    /// `--build-command` runs in a throwaway copy; its output is packed; a timeout fails with a build error.
    @Test func buildCommandRunsInCopy() throws {
        let base = try TestIO.temporaryDirectory("build")
        defer { try? FileManager.default.removeItem(at: base) }
        let folder = base.appendingPathComponent("pkg")
        let t = TreeBuilder(root: folder)
        try t.packageJSON(["name": "built", "version": "1.0.0", "files": ["dist"]])
        try t.file("src/a.ts", "export const a = 1\n")
        let result = try PackRebuilder().rebuild(
            .worktree(folder),
            options: RebuildOptions(output: base.appendingPathComponent("b.tgz"),
                                    buildCommand: BuildCommand(command: "mkdir -p dist && cp src/a.ts dist/a.js", timeout: 30)))
        #expect(result.files == ["dist/a.js", "package.json"])
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("dist").path))
        #expect(throws: RebuildError.self) {
            try PackRebuilder().rebuild(.worktree(folder), options: RebuildOptions(
                output: base.appendingPathComponent("c.tgz"), buildCommand: BuildCommand(command: "sleep 10", timeout: 0.5)))
        }
    }

    /// npm version → npm-packlist / ignore-walk behaviour.
    @Test func packlistFlavorFromNPMVersion() {
        func flavor(_ version: String?, _ generation: NPMGeneration = .npm10) -> PacklistFlavor {
            PacklistFlavor(generation: version.flatMap(NPMGeneration.init(npmVersion:)) ?? generation, npmVersion: version)
        }
        #expect(flavor("4.4.2") == .packlist1Unsorted)
        #expect(flavor("5.4.2") == .packlist1Unsorted)
        #expect(flavor("6.4.1") == .packlist1Unsorted)
        #expect(flavor("6.13.1") == .packlist1)
        #expect(flavor("7.24.0") == .packlist2to5)
        #expect(flavor("8.19.4") == .packlist2to5)
        #expect(flavor("9.8.1") == .packlist8EarlyIgnoreWalk)
        #expect(flavor("10.2.4") == .packlist8EarlyIgnoreWalk)
        #expect(flavor("10.8.2") == .packlist8)
        #expect(flavor("11.17.0") == .packlist10)
        #expect(flavor(nil) == .packlist8)
        #expect(flavor(nil, .npm6) == .packlist1)
    }

    /// npm 5–8 (npm-packlist ≤ 5) keep readme/licence files in every directory even when an ignore rule matches
    /// them (npm 5/6 also CHANGELOG/HISTORY/NOTICE); npm 10 only at the root.
    @Test func legacyMustHavesApplyInEveryDirectory() throws {
        let base = try TestIO.temporaryDirectory("npm8")
        defer { try? FileManager.default.removeItem(at: base) }
        let t = TreeBuilder(root: base)
        try t.packageJSON(["name": "p", "version": "1.0.0"])
        try t.file("lib/index.js", "i\n")
        try t.file("lib/README.md", "r\n")
        try t.file("README.md", "r\n")
        try t.file("CHANGELOG.md", "c\n")
        try t.file(".npmignore", "*.md\n")
        let source = try WorktreeSource(folder: base)
        func list(_ generation: NPMGeneration, _ version: String) throws -> [String] {
            try PackList.compute(source: source, generation: generation, npmVersion: version).entries.map(\.path)
        }
        #expect(try list(.npm10, "10.8.2") == ["lib/index.js", "package.json", "README.md"])
        #expect(try list(.npm10, "8.19.4") == ["lib/index.js", "package.json", "lib/README.md", "README.md"])
        #expect(try list(.npm6, "6.14.4") == ["lib/index.js", "package.json", "CHANGELOG.md", "lib/README.md", "README.md"])
    }

    /// node `path.extname` edge cases used by the sort.
    @Test func extnameMatchesNode() {
        #expect(PosixPath.extname("a/.eslintrc") == "")
        #expect(PosixPath.extname(".x.js") == ".js")
        #expect(PosixPath.extname("a.") == ".")
        #expect(PosixPath.extname("..a") == ".a")
        #expect(PosixPath.extname("..") == "")
        #expect(PosixPath.extname("lib.d.ts") == ".ts")
    }

    /// minimatch details the walker relies on.
    @Test func ignoreRuleSemantics() {
        #expect(IgnoreRule("*.md").matches("docs/README.MD"))          // matchBase + nocase
        #expect(!IgnoreRule("/lib").matches("src/lib"))                // anchored
        #expect(IgnoreRule("lib/").matches("lib/"))
        #expect(!IgnoreRule("lib/").matches("lib"))
        #expect(IgnoreRule("!/readme{,.*[^~$]}").matches("/README.markdown"))
        #expect(!IgnoreRule("!/readme{,.*[^~$]}").matches("/README~"))
        #expect(IgnoreRule("**/.git/**").matches("a/.git/config"))
        #expect(IgnoreRule("@(readme|license){,.*[^~$]}").matches("License.txt"))
        #expect(IgnoreRule("lib/**").matches("lib/x", partial: true))
        #expect(IgnoreRule.parseFile("a\r\n# c\r\n\r\n  b  \n").map(\.source) == ["a", "b"])
        #expect(IgnoreRule.parseFile("a \n  \n", trimRules: false).map(\.source) == ["a "])  // ignore-walk < 5.0.1
    }
}
