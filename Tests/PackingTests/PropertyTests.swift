import Foundation
@testable import Packing
import TestSupport
import Testing


/// Random package trees: unicode and long names, modes, nested ignore files, `files` arrays, bins, junk, links.
struct RandomPackage {
    static let baseNames = [
        "index", "main", "cli", "util", "README", "readme", "Readme", "LICENSE", "License", "licence", "COPYING",
        "CHANGELOG", "HISTORY", "NOTICE", "notes", "x", "X", "Ab", "aB", "_priv", "-dash", ".hidden", "~tilde",
        "file10", "file2", "é", "e", "f", "日本", "über", "a b", "emoji😀", "z", "Z", "1", "@at", "a.b", "tool",
        "secret", "keep", "data", "σ", "Ω", "ß", "ﬁle", "#hash", "!bang", "[br]", "{x,y}", "a\\b", "Ä", "İ", "ǅ",
        "e\u{301}", "ﬀ", "ς",
    ]
    static let extensions = ["", ".js", ".js", ".JS", ".md", ".json", ".txt", ".ts", ".d.ts", ".mjs", ".cjs",
                             ".orig", ".swp", ".log", ".markdown", ".map", "~", ".tar.gz"]
    static let directories = ["", "", "", "lib", "lib/sub", "src", "test", "docs", "bin", "a/b/c", "Lib2",
                              "données", "@scope-dir", "node_modules/dep", "coverage", ".github/workflows", "dist",
                              "deep/" + String(repeating: "d", count: 50) + "/" + String(repeating: "e", count: 60),
                              "pkg/" + String(repeating: "q", count: 96)]
    static let modes = [0o644, 0o644, 0o644, 0o644, 0o755, 0o600, 0o640, 0o664, 0o777, 0o700, 0o444]

    static func build<R: RandomNumberGenerator>(_ t: TreeBuilder, index: Int, rng: inout R) throws {
        var files: [String] = []
        var usedDirectories: Set<String> = []
        let count = Int.random(in: 2...14, using: &rng)
        for _ in 0..<count {
            var base = baseNames.randomElement(using: &rng)!
            if Int.random(in: 0..<12, using: &rng) == 0 { base = String(repeating: "n", count: Int.random(in: 90...140, using: &rng)) }
            if Int.random(in: 0..<40, using: &rng) == 0 { base += "*star" }
            let name = base + extensions.randomElement(using: &rng)!
            let directory = directories.randomElement(using: &rng)!
            let path = directory.isEmpty ? name : directory + "/" + name
            if path == "package.json" || files.contains(path) || files.contains(where: { $0.hasPrefix(path + "/") }) { continue }
            if directories.contains(where: { !$0.isEmpty && ($0 == path || $0.hasPrefix(path + "/")) }) { continue }
            let size = [0, 1, 10, 100, 511, 512, 513, 1500, 4000].randomElement(using: &rng)!
            var bytes = [UInt8](repeating: 0, count: size)
            for i in 0..<size { bytes[i] = UInt8.random(in: 32...126, using: &rng) }
            try t.data(path, Data(bytes), mode: modes.randomElement(using: &rng)!)
            files.append(path)
            if !directory.isEmpty { usedDirectories.insert(directory) }
        }
        // package.json
        var manifest: [String: Any] = ["name": "p\(index)", "version": "1.0.\(index)"]
        let existingDirectories = Array(usedDirectories).sorted()
        if Int.random(in: 0..<10, using: &rng) < 4 {
            var entries: [String] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                switch Int.random(in: 0..<12, using: &rng) {
                case 0, 1: if let f = files.randomElement(using: &rng) { entries.append(f) }
                case 2: if let f = files.randomElement(using: &rng) { entries.append("./" + f) }
                case 3, 4: if let d = existingDirectories.randomElement(using: &rng) { entries.append(d.split(separator: "/")[0] + "") }
                case 5: if let d = existingDirectories.randomElement(using: &rng) { entries.append(d + "/") }
                case 6: if let d = existingDirectories.randomElement(using: &rng) { entries.append(d + "/*") }
                case 7: if let d = existingDirectories.randomElement(using: &rng) { entries.append(d.uppercased()) }
                case 8: entries.append(["*.js", "*.md", "lib/**/*.js", "**/*.txt", "{lib,src}"].randomElement(using: &rng)!)
                case 9: entries.append("missing-\(index).js")
                case 10: if let f = files.randomElement(using: &rng) { entries.append("!" + f) }
                default: entries.append("./" + (existingDirectories.randomElement(using: &rng) ?? "lib"))
                }
            }
            manifest["files"] = entries
        }
        if Int.random(in: 0..<10, using: &rng) < 4, let target = files.randomElement(using: &rng) {
            let value = Bool.random(using: &rng) ? "./" + target : target
            if Bool.random(using: &rng) {
                manifest["bin"] = value
            } else {
                var bins: [String: String] = ["tool\(index)": value]
                if let second = files.randomElement(using: &rng) { bins["other"] = second }
                manifest["bin"] = bins
            }
        }
        if Int.random(in: 0..<10, using: &rng) < 3, let target = files.randomElement(using: &rng) {
            manifest["main"] = Bool.random(using: &rng) ? "./" + target : target
        }
        if Int.random(in: 0..<10, using: &rng) == 0, let target = files.randomElement(using: &rng) {
            manifest["browser"] = target
        }
        try t.packageJSON(manifest)
        // Ignore files.
        func rules() -> String {
            var lines: [String] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let file = files.randomElement(using: &rng) ?? "x.js"
                let base = (file as NSString).lastPathComponent
                let directory = existingDirectories.randomElement(using: &rng) ?? "lib"
                let ext = (base as NSString).pathExtension
                let options = [
                    base, "/" + file, "*." + (ext.isEmpty ? "md" : ext), directory + "/", "/" + directory,
                    "**/" + base, "!" + base, directory + "/**", "*.md", "# comment", "", "  " + base + "  ",
                    "[a-c]*", "{a,b}*.js", "?x*", "!*.md", "sub", "!" + file, base.uppercased(), "*",
                    "!package.json", "README*", "/lib/*.js", directory.split(separator: "/").last.map(String.init) ?? "",
                ]
                lines.append(options.randomElement(using: &rng)!)
            }
            return lines.joined(separator: Bool.random(using: &rng) ? "\n" : "\r\n") + "\n"
        }
        if Int.random(in: 0..<10, using: &rng) < 5 { try t.file(".npmignore", rules()) }
        if Int.random(in: 0..<10, using: &rng) < 4 { try t.file(".gitignore", rules()) }
        for directory in existingDirectories where Int.random(in: 0..<10, using: &rng) < 3 {
            try t.file(directory + "/" + (Bool.random(using: &rng) ? ".npmignore" : ".gitignore"), rules())
        }
        if Int.random(in: 0..<10, using: &rng) == 0 { try t.directory("empty/dir") }
        // Junk npm always drops, links.
        if Int.random(in: 0..<10, using: &rng) < 2 {
            try t.file("package-lock.json", "{}")
            try t.file(".npmrc", "x=1")
            try t.file(".DS_Store", "ds")
            try t.file("yarn.lock", "y")
        }
        if Int.random(in: 0..<10, using: &rng) < 2, let target = files.randomElement(using: &rng) {
            try? t.symlink("link-\(index).js", to: target)
        }
        if Int.random(in: 0..<10, using: &rng) < 2, let target = files.randomElement(using: &rng),
           !target.contains("*") {
            try? t.hardlink("hard-\(index)" + ((target as NSString).pathExtension.isEmpty ? "" : "." + (target as NSString).pathExtension), to: target)
        }
    }
}

/// ≥ 200 random trees packed by the installed npm (libnpmpack, i.e. `npm pack --ignore-scripts`) give tar bytes
/// identical to ours. Scale with PACKING_PROPERTY_COUNT; replay with PACKING_PROPERTY_SEED.
@Suite(.enabled(if: NPMOracle.isAvailable, "needs node/npm"))
struct PropertyTests {
    @Test func randomTreesMatchNpmPack() throws {
        try PropertyTests.run(generation: .npm10, node: "node", npmRoot: nil, countVariable: "PACKING_PROPERTY_COUNT",
                              recheckWithCLI: true)
    }

    /// Second oracle: npm 11 (Node 24) when Scripts/install-npm11-oracle.sh has been run.
    @Test(.enabled(if: NPM11Oracle.isAvailable, "npm 11 oracle not installed (Scripts/install-npm11-oracle.sh)"))
    func randomTreesMatchNpm11() throws {
        let prefix = NPM11Oracle.prefix!
        try PropertyTests.run(generation: .npm11, node: prefix + "/bin/node", npmRoot: prefix + "/lib/node_modules/npm",
                              countVariable: "PACKING_PROPERTY_NPM11_COUNT", recheckWithCLI: false)
    }

    static func run(generation: NPMGeneration, node: String, npmRoot: String?, countVariable: String,
                    recheckWithCLI: Bool) throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment[countVariable].flatMap(Int.init) ?? 200
        let seed = environment["PACKING_PROPERTY_SEED"].flatMap(UInt64.init) ?? 20_261_128
        var rng = SplitMix64(state: seed)
        let base = try TestIO.temporaryDirectory("property-\(generation.rawValue)")
        defer { if environment["PACKING_PROPERTY_KEEP"] == nil { try? FileManager.default.removeItem(at: base) } }
        var folders: [URL] = []
        for index in 0..<count {
            let folder = base.appendingPathComponent("t\(index)")
            try RandomPackage.build(TreeBuilder(root: folder), index: index, rng: &rng)
            folders.append(folder)
        }
        // Sequential: concurrent packs in one process reorder node-tar's lstat callbacks, which decides which path of a
        // hard-linked pair becomes the link (the npm CLI packs one tree at a time: first in tar order).
        let packed = try NPMOracle.packBatch(folders, concurrency: 1, node: node, npmRoot: npmRoot)
        var failures: [String] = []
        var npmErrors = 0
        var hardLinkRaces = 0
        for (index, folder) in folders.enumerated() {
            switch packed[folder]! {
            case .failure(let error):
                npmErrors += 1
                // npm 11's tar fails on some hard-linked pairs (Z_STREAM_ERROR); that is npm's bug, not a mismatch.
                if recheckWithCLI, (try? rebuildWorktreeTar(folder, generation: generation)) != nil {
                    failures.append("t\(index): npm failed (\(error.message.prefix(200))) but we packed")
                }
            case .success(let tgz):
                do {
                    let npmTar = try TestIO.gunzip(tgz)
                    let (ours, _) = try rebuildWorktreeTar(folder, generation: generation)
                    guard ours != npmTar else { continue }
                    // The in-process batch can race node-tar's lstat callbacks (which path of a hard-linked pair
                    // becomes the link); on a mismatch, ask the real `npm pack` CLI once more.
                    if recheckWithCLI, (try? TestIO.gunzip(NPMOracle.npmPack(folder))) == ours {
                        hardLinkRaces += 1
                        continue
                    }
                    // node-tar's choice of link path is a race in the CLI too (a loaded machine shows it): same
                    // names and size on a tree with hard links is that race, not a packing difference.
                    if TestIO.tarEntryNames(ours) == TestIO.tarEntryNames(npmTar),
                       ours.count == npmTar.count, folder.hasHardLinks {
                        hardLinkRaces += 1
                        continue
                    }
                    failures.append("t\(index) [\(folder.path)]: npm \(TestIO.tarEntryNames(npmTar)) vs ours \(TestIO.tarEntryNames(ours))")
                } catch {
                    failures.append("t\(index): we failed: \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(count) trees differ (\(generation.rawValue), seed \(seed)):\n\(failures.prefix(10).joined(separator: "\n"))")
        #expect(npmErrors < max(1, count / 10), "npm failed on \(npmErrors) trees")
        #expect(hardLinkRaces <= count / 20, "\(hardLinkRaces) hard-link races is suspiciously many")
    }
}

extension URL {
    /// `true` when the folder holds a file with more than one link.
    var hasHardLinks: Bool {
        guard let enumerator = FileManager.default.enumerator(at: self, includingPropertiesForKeys: nil) else { return false }
        for case let url as URL in enumerator {
            var st = stat()
            if lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink > 1 { return true }
        }
        return false
    }
}
