import Foundation
@testable import Packing
import Testing

/// Hand-made probe trees (the cases of the reference notes' t1/t2/t3 probes) packed with `--worktree` and compared
/// byte for byte with the installed `npm pack --ignore-scripts`.
@Suite(.enabled(if: NPMOracle.isAvailable, "needs node/npm"))
struct WorktreeProbeTests {
    /// t1: long path, executable and 0600 files, nested .npmignore/.gitignore, junk, node_modules.
    static func probe1(_ t: TreeBuilder) throws {
        try t.packageJSON(["name": "t1-pack-probe", "version": "1.0.0", "bin": ["t1": "bin/cli.js"],
                           "scripts": ["prepack": "echo PREPACK"]])
        try t.file("LICENSE", "MIT\n")
        try t.file("README.md", "# t1\n")
        try t.file("bin/cli.js", "#!/usr/bin/env node\n")
        try t.file("lib/index.js", "module.exports = 1\n")
        try t.file("lib/secret.js", "secret\n")
        try t.file("lib/.npmignore", "secret.js\n")
        try t.file("sub/nested/deep.js", "deep\n")
        try t.file("sub/c.txt", "c\n")
        try t.file("sub/.gitignore", "ignored.txt\n")
        try t.file("sub/ignored.txt", "no\n")
        try t.file("exec.sh", "#!/bin/sh\n", mode: 0o775)
        try t.file("private.txt", "p\n", mode: 0o600)
        try t.file("_under.txt", "u\n")
        try t.file("afile.txt", "a\n")
        try t.file("Bfile.txt", "b\n")
        try t.file("Zed.txt", "z\n")
        try t.file("a/very/long/directory/path/that/goes/on/and/on/for/quite/a/while/to/exceed/the/limit/file-with-a-long-name.txt", "long\n")
        try t.file(".gitignore", "*.log\ncoverage/\n")
        try t.file("debug.log", "log\n")
        try t.file("coverage/x.json", "{}\n")
        try t.file("package-lock.json", "{}\n")
        try t.file(".npmrc", "x=1\n")
        try t.file(".DS_Store", "junk")
        try t.file("x.orig", "orig")
        try t.file(".a.swp", "swp")
        try t.file("npm-debug.log", "dbg")
        try t.file("node_modules/dep/index.js", "dep")
    }

    /// t2: files array, scope, root and nested bins, browser, ./main, readme/licence variants, symlinks, hard links,
    /// non-ASCII and >100-byte names, a name starting with @.
    static func probe2(_ t: TreeBuilder) throws {
        try t.packageJSON(["name": "@probe/t2", "version": "2.0.0", "main": "./main.js", "browser": "browser.js",
                           "bin": ["p2": "./cli.js", "p2n": "lib/tool.js"],
                           "files": ["lib", "cli.js", "browser.js", "./docs/", "Docs2/", "@at.js", "é-file.txt",
                                     "missing.js", "pattern/*"]])
        try t.file("main.js", "main\n")
        try t.file("cli.js", "cli\n")
        try t.file("browser.js", "browser\n")
        try t.file("lib/index.js", "idx\n")
        try t.file("lib/tool.js", "tool\n")
        try t.file("lib/secret.js", "s\n")
        try t.file("lib/.npmignore", "secret.js\n")
        try t.file("lib/sub/ignored.js", "i\n")
        try t.file("lib/sub/kept.js", "k\n")
        try t.file("lib/sub/.gitignore", "ignored.js\n")
        try t.file("lib/" + String(repeating: "b", count: 120) + ".js", "long base\n")
        try t.file("docs/guide.md", "g\n")
        try t.file("docs2/other.md", "o\n")
        try t.file("pattern/one.txt", "1\n")
        try t.file("pattern/deep/two.txt", "2\n")
        try t.file("@at.js", "at\n")
        try t.file("é-file.txt", "accent\n")
        try t.file("readme.markdown", "r\n")
        try t.file("README~", "backup\n")
        try t.file("LICENCE.txt", "l\n")
        try t.file("COPYING", "c\n")
        try t.file("CHANGELOG.md", "ch\n")
        try t.file("HISTORY.md", "h\n")
        try t.file("NOTICE", "n\n")
        try t.symlink("link-to-main.js", to: "main.js")
        try t.symlink("lib/lib-link", to: "../docs")
        try t.file("lib/hard1.js", "hard\n")
        try t.hardlink("lib/hard2.js", to: "lib/hard1.js")
    }

    /// t3: 99- and 100-byte paths, plus the sort demo names.
    static func probe3(_ t: TreeBuilder) throws {
        try t.packageJSON(["name": "t3", "version": "1.0.0"])
        let dir99 = "src/" + String(repeating: "x", count: 99 - 8 - 4)
        try t.file(dir99, "99\n")
        try t.file("src/" + String(repeating: "y", count: 100 - 8 - 4), "100\n")
        try t.file("deep/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60) + "/"
                   + String(repeating: "f", count: 60) + "/name.js", "prefix overflow\n")
        for name in [".eslintrc", "LICENSE", "Makefile", "README", "x.cjs", "_z.js", "-z.js", ".x.js", "~x.js", "1.js",
                     "a b.js", "a_b.js", "a-b.js", "a.js", "A.js", "ab.js", "b.JS", "B.js", "e.js", "é.js", "f.js",
                     "file10.js", "file2.js", "index.js", "x/index.js", "y/index.js", "Z.js", "x.json", "x.mjs",
                     "lib.d.ts", "x.ts", "x.TS", "日本語.js", "ünï.md", "emoji-😀.txt"] {
            try t.file(name, name + "\n")
        }
    }

    /// t4: a workspace root (npm reads nested package.json files as ignore files there), `directories.bin`,
    /// CRLF ignore files, a files entry with a trailing `/*`, and a dotfile bin (no +x).
    static func probe4(_ t: TreeBuilder) throws {
        try t.packageJSON(["name": "ws-root", "version": "1.0.0", "workspaces": ["packages/*"],
                           "directories": ["bin": "./tools"]])
        try t.file("index.js", "root\n")
        try t.file("tools/run.js", "run\n")
        try t.file("tools/sub/deep.js", "deep\n")
        try t.file("tools/.dot.js", "dot\n")
        // The line "1" of this package.json becomes an ignore rule for packages/a (npm quirk), not for lib/.
        try t.file("packages/a/package.json", "{\"name\": \"a\", \"version\": \"1.0.0\", \"n\": [\n1\n]}\n")
        try t.file("packages/a/index.js", "a\n")
        try t.file("packages/a/1", "excluded\n")
        try t.file("lib/1", "kept\n")
        try t.file("lib/x.js", "x\n")
        try t.file("lib/.npmignore", "y.js\r\n\r\n# c\r\n")
        try t.file("lib/y.js", "y\n")
        try t.file(".npmignore", "*.log\r\n")
        try t.file("debug.log", "log\n")
    }

    @Test(arguments: [1, 2, 3, 4])
    func probeMatchesNpmPack(_ probe: Int) throws {
        let base = try TestIO.temporaryDirectory("probe\(probe)")
        defer { try? FileManager.default.removeItem(at: base) }
        let folder = base.appendingPathComponent("pkg")
        let builder = TreeBuilder(root: folder)
        switch probe {
        case 1: try WorktreeProbeTests.probe1(builder)
        case 2: try WorktreeProbeTests.probe2(builder)
        case 3: try WorktreeProbeTests.probe3(builder)
        default: try WorktreeProbeTests.probe4(builder)
        }
        let npmTgz = try NPMOracle.npmPack(folder)
        let npmTar = try TestIO.gunzip(npmTgz)
        let (ours, result) = try rebuildWorktreeTar(folder)
        #expect(TestIO.tarEntryNames(ours) == TestIO.tarEntryNames(npmTar))
        #expect(ours == npmTar, "probe \(probe): tar bytes differ")
        // Without a publisher Node version the gzip is today's npm pack's (installed node v20: ANZAC class), so
        // the whole .tgz is byte-identical.
        #expect(result.integrity == "sha512-" + npmTgz.sha512Base64ForTest, "probe \(probe): .tgz bytes differ from npm pack")
        if probe == 4 {
            #expect(!result.files.contains("packages/a/1"))
            #expect(result.files.contains("lib/1"))
        }
        if probe == 2 {
            // link-to-main.js is not in `files`, so only lib/lib-link (inside the listed lib/) is reported.
            #expect(result.skipped.contains { $0.path == "lib/lib-link" && $0.reason == .symlink })
            #expect(!result.files.contains("main.js"))  // `main: "./main.js"` never matches (the `./` quirk)
            #expect(result.files.contains("cli.js"))
        }
    }

    /// The ICU `en` order of the notes' sort demo (not byte order).
    @Test func sortDemoOrder() {
        let expected = [".eslintrc", "LICENSE", "Makefile", "README", "x.cjs", "_z.js", "-z.js", ".x.js", "~x.js", "1.js",
                        "a b.js", "a_b.js", "a-b.js", "a.js", "A.js", "ab.js", "b.JS", "B.js", "e.js", "é.js", "f.js",
                        "file10.js", "file2.js", "index.js", "x/index.js", "y/index.js", "Z.js", "x.json", "x.mjs",
                        "lib.d.ts", "x.ts", "x.TS"]
        #expect(NPMSort.sort(expected.reversed()) == expected)
        #expect(NPMSort.sort(expected.shuffled()) == expected)
    }
}
