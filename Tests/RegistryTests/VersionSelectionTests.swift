import Foundation
import Registry
import Testing
import TestSupport

/// Package specs resolve as npm resolves them: `Packument.selectVersion` against npm's own npm-pick-manifest (the
/// installed npm's copy, run with node) on real packuments and one with pre-releases and a deprecated version.
@Suite struct VersionSelectionTests {
    static let npmRoot: String? = ["/usr/lib/node_modules/npm", "/usr/local/lib/node_modules/npm"].first {
        FileManager.default.fileExists(atPath: $0 + "/node_modules/npm-pick-manifest")
    }

    static let selectors = [
        "latest", "legacy", "next", "nope", "*", "", "x", "1", "1.x", "1.0", "^1", "^1.0.1", "~1.0.1", "^0.7", "~0.7",
        "^0.0.1", "^0.1", ">=1.2.3", ">1", "<2", "<=1.0", ">=1 <2", "1.0.0 - 1.1", "1 - 2", "^5 || ^6", "5.x || >=7.3 <7.4",
        "^2.1.1", "~2.1", "2", "=2.0.0", "v2.0.0", "2.0.0", "9.9.9", "^9", "<0.0.1", "^3.0.0-canary.0", ">=3.0.0-canary.1",
        "3.0.0-canary.1", "^2.1.3", "2.1.x", ">2.1.2", "^7.3.0", "~7.3", "7.3.2 - 7.5", "^4 || ^5.6", "<=5", "~>1.0",
        ">= 2.1", "0.x", "^0.0.x", "^0", "1.2.x || 2.x",
    ]

    /// ms.json with a deprecated 2.1.3 and a pre-release 3.0.0-canary.1 tagged `next`.
    static func syntheticPackument(in folder: URL) throws -> URL {
        var object = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("npm/packuments/ms.json")) as? [String: Any])
        var versions = try #require(object["versions"] as? [String: Any])
        let base = try #require(versions["2.1.2"] as? [String: Any])
        var deprecated = base
        deprecated["version"] = "2.1.3"
        deprecated["deprecated"] = "use 2.1.2"
        versions["2.1.3"] = deprecated
        var canary = base
        canary["version"] = "3.0.0-canary.1"
        versions["3.0.0-canary.1"] = canary
        object["versions"] = versions
        var tags = object["dist-tags"] as? [String: Any] ?? [:]
        tags["next"] = "3.0.0-canary.1"
        object["dist-tags"] = tags
        let url = folder.appendingPathComponent("ms-synthetic.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    @Test(.enabled(if: npmRoot != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/node"),
                   "node and npm are not installed"))
    func agreesWithNPMPickManifest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("version-selection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = [try Fixtures.url("npm/packuments/semver.json"), try Fixtures.url("npm/packuments/ms.json"),
                     try Fixtures.url("npm/packuments/abbrev.json"), try Self.syntheticPackument(in: folder)]
        let script = """
        const pick = require(process.argv[1] + '/node_modules/npm-pick-manifest');
        const fs = require('fs');
        const files = JSON.parse(process.argv[2]), selectors = JSON.parse(process.argv[3]);
        const out = [];
        for (const f of files) {
          const p = JSON.parse(fs.readFileSync(f, 'utf8'));
          for (const s of selectors) {
            try { out.push(pick(p, s).version); } catch (e) { out.push('!' + (e.code || 'ERR')); }
          }
        }
        console.log(JSON.stringify(out));
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/node")
        process.arguments = ["-e", script, Self.npmRoot!,
                             String(decoding: try JSONSerialization.data(withJSONObject: files.map(\.path)), as: UTF8.self),
                             String(decoding: try JSONSerialization.data(withJSONObject: Self.selectors), as: UTF8.self)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let expected = try #require(try JSONSerialization.jsonObject(with: output) as? [String])
        #expect(expected.count == files.count * Self.selectors.count)
        var index = 0
        var compared = 0
        for file in files {
            let packument = try Packument.decode(try Data(contentsOf: file), from: file)
            for selector in Self.selectors {
                defer { index += 1 }
                // npm reads an empty selector as the default tag; provcheck's specs always have one.
                let npm = expected[index]
                let ours: String
                do {
                    ours = try packument.selectVersion(selector.isEmpty ? .tag("latest") : VersionSelector(selector))
                } catch {
                    ours = "!ETARGET"
                }
                // npm throws ETARGET (or returns nothing) for a missing version or tag.
                let npmNormalized = npm.hasPrefix("!") ? "!ETARGET" : npm
                #expect(ours == npmNormalized, "\(file.lastPathComponent) \(selector): provcheck \(ours), npm \(npm)")
                compared += 1
            }
        }
        #expect(compared > 200)
    }

    @Test func semverPrecedenceAndRanges() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                       "1.0.0-rc.1", "1.0.0"].map { SemanticVersion($0)! }
        #expect(ordered == ordered.sorted())
        #expect(SemanticVersion("01.0.0") == nil)
        #expect(SemanticVersion("1.0") == nil)
        #expect(SemanticVersion("1.0.0+build.1") == SemanticVersion("1.0.0"))
        #expect(VersionRange("^1.2.3")!.contains(SemanticVersion("1.9.0")!))
        #expect(!VersionRange("^1.2.3")!.contains(SemanticVersion("2.0.0-rc.1")!))
        #expect(!VersionRange("^1.2.3")!.contains(SemanticVersion("1.3.0-rc.1")!))
        #expect(VersionRange("^1.2.3-beta.1")!.contains(SemanticVersion("1.2.3-beta.4")!))
        #expect(VersionRange("latest") == nil)
        #expect(VersionSelector("latest") == .tag("latest"))
        #expect(VersionSelector("^4") == .range("^4"))
        #expect(VersionSelector("v4.1.0") == .version("4.1.0"))
    }
}
