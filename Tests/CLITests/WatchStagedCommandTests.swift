import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// Runs the built `provcheck` binary's `watch` and `staged` subcommands against the loopback registry.
@Suite struct WatchStagedCommandTests {
    typealias Run = ProvcheckBinary.Run

    static let token = "cli-stage-token"
    static let stageID = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

    /// Runs provcheck in `folder` with an npmrc holding the registry token (when `token` is set).
    static func run(_ arguments: [String], in folder: URL, registry: LoopbackRegistry, token: String? = token) throws -> Run {
        let npmrc = folder.appendingPathComponent("npmrc-\(UUID().uuidString)")
        let host = registry.baseURL.absoluteString.replacingOccurrences(of: "http:", with: "")
        try Data((token.map { "\(host):_authToken=\($0)\n" } ?? "").utf8).write(to: npmrc)
        defer { try? FileManager.default.removeItem(at: npmrc) }
        let extra = arguments.prefix(2) == ["watch", "merge"] ? [] : ["--registry", registry.baseURL.absoluteString]
        return try ProvcheckBinary.run(arguments + extra, in: folder, environment: [
            "XDG_CACHE_HOME": folder.appendingPathComponent("cache").path,
            "npm_config_userconfig": npmrc.path, "npm_config_globalconfig": npmrc.path,
        ])
    }

    static func folder() throws -> URL { try TemporaryFolder(label: "watch-cli").url }

    static func registry(staged tarball: Data? = nil) throws -> LoopbackRegistry {
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        content.requiredToken = token
        if let tarball { content.addStagedVersion(id: stageID, packageName: "gundam-visor", version: "1.0.1", tarball: tarball) }
        return try LoopbackRegistry(content: content)
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func watchBaselineThenUnchangedThenChangedExitCodes() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try Self.registry()
        defer { registry.stop() }
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        try Data(#"{"version":1,"packages":[{"name":"gundam-visor","versions":"all","source":"\#(bundle)"},{"name":"ms","versions":{"latest":1}}]}"#.utf8)
            .write(to: folder.appendingPathComponent("watch.json"))
        let common = ["watch", "--config", "watch.json", "--state", "state.json", "--output", "report.json",
                      "--markdown", "summary.md", "--sarif", "watch.sarif", "--offline"]

        let first = try Self.run(common, in: folder, registry: registry)
        #expect(first.status == 0, Comment(rawValue: first.stderr + first.stdout))
        #expect(first.stderr.contains("[1/2]"))
        #expect(first.stdout.contains("2 package(s), 0 error(s), 1 warning(s), 2 note(s)"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("state.json").path))
        #expect(try String(contentsOf: folder.appendingPathComponent("summary.md"), encoding: .utf8).contains("watch.new-version"))
        #expect(try Self.json(folder.appendingPathComponent("watch.sarif"))["version"] as? String == "2.1.0")

        let second = try Self.run(common, in: folder, registry: registry)
        #expect(second.status == 0)
        // Only the environment warning (ms's remote repository is not read with --offline) is repeated.
        let findings = try #require(try Self.json(folder.appendingPathComponent("report.json"))["findings"] as? [[String: Any]])
        #expect(findings.map { $0["code"] as? String } == ["watch.check-incomplete"], Comment(rawValue: second.stdout))

        registry.update { $0.updateVersion(name: "ms", version: "2.1.3") { $0["dist"]?["shasum"] = "0000000000000000000000000000000000000000" } }
        let third = try Self.run(common, in: folder, registry: registry)
        #expect(third.status == 1)
        #expect(third.stdout.contains("watch.integrity-changed  ms@2.1.3"))

        let bad = try Self.run(["watch", "--config", "missing.json", "--state", "state.json"], in: folder, registry: registry)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("missing.json"))
    }

    @Test func shardReportsMergeIntoTheSingleRunReport() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try Self.registry()
        defer { registry.stop() }
        try Data(#"{"version":1,"packages":[{"name":"ms"},{"name":"abbrev"},{"name":"semver"},{"name":"wrappy"},{"name":"which"}]}"#.utf8)
            .write(to: folder.appendingPathComponent("watch.json"))
        let whole = try Self.run(["watch", "--config", "watch.json", "--state", "all.json", "--output", "all-report.json", "--offline"],
                                 in: folder, registry: registry)
        #expect([0, 1].contains(whole.status), Comment(rawValue: whole.stderr))
        for i in 1...2 {
            let shard = try Self.run(["watch", "--config", "watch.json", "--state", "s\(i).json", "--shard", "\(i)/2",
                                      "--output", "r\(i).json", "--offline"], in: folder, registry: registry)
            #expect(shard.status == whole.status)
        }
        let merge = try Self.run(["watch", "merge", "r1.json", "r2.json", "--output", "merged.json",
                                  "--state", "s1.json", "--state", "s2.json", "--state-output", "merged-state.json"],
                                 in: folder, registry: registry)
        #expect(merge.status == whole.status, Comment(rawValue: merge.stderr))
        let merged = try Self.json(folder.appendingPathComponent("merged.json"))
        let single = try Self.json(folder.appendingPathComponent("all-report.json"))
        #expect(merged["shard"] == nil)
        for key in ["findings", "packages"] {
            let a = try JSONSerialization.data(withJSONObject: merged[key]!, options: .sortedKeys)
            let b = try JSONSerialization.data(withJSONObject: single[key]!, options: .sortedKeys)
            #expect(a == b, "\(key)")
        }
        let mergedState = try Self.json(folder.appendingPathComponent("merged-state.json"))
        #expect((mergedState["packages"] as? [String: Any])?.keys.sorted() == ["abbrev", "ms", "semver", "which", "wrappy"])
        let overlapping = try Self.run(["watch", "merge", "r1.json", "r1.json", "--output", "x.json"], in: folder, registry: registry)
        #expect(overlapping.status == 2)
    }

    @Test func stagedCheckPassesTheTagsTarballAndFailsAnInjectedOne() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let good = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        do {
            let registry = try Self.registry(staged: good)
            defer { registry.stop() }
            let list = try Self.run(["staged", "list", "gundam-visor"], in: folder, registry: registry)
            #expect(list.status == 0 && list.stdout.contains(Self.stageID), Comment(rawValue: list.stderr))
            let anonymous = try Self.run(["staged", "list", "gundam-visor"], in: folder, registry: registry, token: nil)
            #expect(anonymous.status == 2)
            let check = try Self.run(["staged", "check", Self.stageID, "--source", bundle, "--record", "state.json"],
                                     in: folder, registry: registry)
            #expect(check.status == 0, Comment(rawValue: check.stderr + check.stdout))
            #expect(check.stdout.contains("is what the tag produces"))
            let state = try Self.json(folder.appendingPathComponent("state.json"))
            let pins = ((state["packages"] as? [String: Any])?["gundam-visor"] as? [String: Any])?["stagedPins"] as? [String: Any]
            #expect(pins?["1.0.1"] != nil)
        }
        // The same tarball with one more file.
        let work = folder.appendingPathComponent("inject")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let tgz = folder.appendingPathComponent("good.tgz")
        try good.write(to: tgz)
        for arguments in [["tar", "-xzf", tgz.path, "-C", work.path]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
        }
        try Data("console.log('injected')\n".utf8).write(to: work.appendingPathComponent("package/injected.js"))
        let bad = folder.appendingPathComponent("bad.tgz")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-czf", bad.path, "-C", work.path, "package"]
        try tar.run()
        tar.waitUntilExit()
        let registry = try Self.registry(staged: try Data(contentsOf: bad))
        defer { registry.stop() }
        let check = try Self.run(["staged", "check", "gundam-visor", "--source", bundle], in: folder, registry: registry)
        #expect(check.status == 1, Comment(rawValue: check.stderr + check.stdout))
        #expect(check.stdout.contains("not in source: injected.js"), Comment(rawValue: check.stdout))
        #expect(check.stdout.contains("Do NOT approve"))
        let json = try Self.run(["staged", "check", "gundam-visor", "--source", bundle, "--json"], in: folder, registry: registry)
        #expect(json.status == 1)
        let results = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(results.count == 1 && results[0]["sha512"] as? String != nil)
    }

    /// The gundam-visor@1.0.1 tarball with one change: `package/index.js`'s header mode 0644 → 0755 (contents
    /// identical, checksum fixed, re-gzipped). `verify` fails such a tarball; so must `staged check`.
    static func modeChangedTarball(in folder: URL) throws -> Data {
        let original = try Fixtures.url("npm/tarballs/gundam-visor@1.0.1.tgz")
        let gunzip = try ProcessRunner.run(["gzip", "-dc", original.path])
        var tar = [UInt8](gunzip.stdout)
        let name = String(decoding: tar[0..<16], as: UTF8.self)
        precondition(name == "package/index.js" && tar[100..<107].elementsEqual("000644 ".utf8))
        tar.replaceSubrange(100..<107, with: Array("000755 ".utf8))
        for i in 148..<156 { tar[i] = 0x20 }
        let sum = tar[0..<512].reduce(0) { $0 + Int($1) }
        tar.replaceSubrange(148..<156, with: Array(String(format: "%06o", sum).utf8) + [0, 0x20])
        let plain = folder.appendingPathComponent("mode.tar")
        try Data(tar).write(to: plain)
        return try ProcessRunner.run(["gzip", "-9n", "-c", plain.path]).stdout
    }

    @Test func stagedCheckFailsAHeaderModeOnlyChangeThatVerifyFails() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let changed = try Self.modeChangedTarball(in: folder)
        let registry = try Self.registry(staged: changed)
        defer { registry.stop() }
        let check = try Self.run(["staged", "check", Self.stageID, "--source", bundle, "--json"], in: folder, registry: registry)
        #expect(check.status == 1, Comment(rawValue: check.stderr + check.stdout))
        let results = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [[String: Any]])
        let checks = try #require((results.first?["verdict"] as? [String: Any])?["checks"] as? [[String: Any]])
        let rebuild = try #require(checks.first { $0["id"] as? String == "rebuild.compare" })
        #expect(rebuild["status"] as? String == "fail", Comment(rawValue: "\(rebuild)"))
        // The engine's archive stage runs on staged tarballs too.
        #expect(checks.contains { $0["id"] as? String == "archive.findings" })
        // The same tarball served as the published version fails `verify` with the same check.
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        content.requiredToken = Self.token
        content.replaceTarball(name: "gundam-visor", version: "1.0.1", with: changed)
        let published = try LoopbackRegistry(content: content)
        defer { published.stop() }
        let verify = try Self.run(["verify", "gundam-visor@1.0.1", "--source", bundle, "--offline", "--json"],
                                  in: folder, registry: published)
        #expect(verify.status == 1, Comment(rawValue: verify.stderr + verify.stdout))
        let verdict = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let verifyRebuild = (verdict["checks"] as? [[String: Any]])?.first { $0["id"] as? String == "rebuild.compare" }
        #expect(verifyRebuild?["status"] as? String == "fail")
    }
}
