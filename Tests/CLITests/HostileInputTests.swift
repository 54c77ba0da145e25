import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// Issue 17 item 10 through the binary: lockfile keys that leave the project, one shasum rule, sigstore usage
/// errors, duplicate keys and byte order marks in JSON policies, and messages that say what is wrong.
@Suite(.serialized) struct HostileInputTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-hostile-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func lockfileKeyNodeModulesDotDotOutsideIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = folder.appendingPathComponent("a/b/project")
        try FileManager.default.createDirectory(at: project.appendingPathComponent("node_modules"), withIntermediateDirectories: true)
        _ = try write(#"{"name":"ms","version":"2.1.3"}"#, "a/outside/package.json")
        _ = try write(#"""
            {"lockfileVersion":3,"packages":{"":{"name":"p"},
             "node_modules/../../outside":{"version":"2.1.3","resolved":"http://127.0.0.1:9/ms/-/ms-2.1.3.tgz","integrity":"sha512-x"}}}
            """#, "a/b/project/package-lock.json")
        let run = try ProvcheckBinary.run(["audit", "--registry", "http://127.0.0.1:9/", "--offline", "--json"], in: project)
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("leaves the project"), "\(run.stderr)")
    }

    /// One `dist.shasum` rule in `integrity` and `verify` (Verification's `DistDigestRule`): hex in either case passes;
    /// surrounding white space fails, as npm's `ssri.fromHex` yields an empty digest for it (EINTEGRITY).
    @Test func shasumWithUppercaseAndSpacesIsOneRuleForIntegrityAndVerify() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let sha1 = try #require(registry.content.packuments["ms"]?["versions"]?["2.1.3"]?["dist"]?["shasum"]?.stringValue)
        for (served, passes) in [(sha1.uppercased(), true), (" \(sha1.uppercased()) ", false)] {
            registry.update { content in
                content.updateVersion(name: "ms", version: "2.1.3") { $0["dist"]?["shasum"] = .string(served) }
            }
            let integrity = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString, "--json"])
            let shasumOK = (integrity.json?["shasum"] as? [String: Any])?["ok"] as? Bool
            let verify = try ProvcheckBinary.run(["verify", "ms@2.1.3", "--registry", registry.baseURL.absoluteString,
                                                  "--offline", "--json"])
            let checks = verify.json?["checks"] as? [[String: Any]] ?? []
            let shasumCheck = checks.first { $0["id"] as? String == "registry.shasum" }
            #expect(shasumOK == passes, "\(served): \(integrity.stdout)")
            #expect(shasumCheck?["status"] as? String == (passes ? "pass" : "fail"), "\(served): \(verify.stdout)\(verify.stderr)")
        }
    }

    @Test func integrityWarnsWhenOnlySHA1WasChecked() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        registry.update { content in
            content.updateVersion(name: "ms", version: "2.1.3") { $0["dist"]?["integrity"] = nil }
        }
        let run = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("WARN only SHA-1 was checked"), "\(run.stdout)")
        let json = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString, "--json"])
        #expect((json.json?["warnings"] as? [String])?.count == 1)
    }

    @Test(arguments: [
        ("bad regex", ["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", "x"], "ARTIFACT", "not a valid regular expression"),
        ("garbage trusted root", ["--certificate-identity", "a", "--certificate-oidc-issuer", "x", "--trusted-root", "GARBAGE"], "ARTIFACT", "--trusted-root"),
        ("sha256:zzzz", ["--certificate-identity", "a", "--certificate-oidc-issuer", "x"], "sha256:zzzz", "neither a file nor sha256:"),
    ])
    func sigstoreVerifyBundleUsageErrorsExitTwo(label: String, options: [String], artifact: String, message: String) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = try write("this is not JSON", "garbage.json")
        let file = try write("hello", "artifact.txt")
        let arguments = ["sigstore", "verify-bundle", "--bundle", garbage.path]
            + options.map { $0 == "GARBAGE" ? garbage.path : $0 } + [artifact == "ARTIFACT" ? file.path : artifact]
        let run = try ProvcheckBinary.run(arguments)
        #expect(run.status == 2, "\(label): \(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains(message), "\(label): \(run.stderr)")
        #expect(!run.stderr.contains("file doesn’t exist") && !run.stderr.contains("file doesn't exist"))
    }

    @Test(arguments: [
        ("duplicate refs", #"{"version":1,"refs":["refs/tags/v*"],"refs":["*"]}"#, "duplicate key \"refs\""),
        ("byte order mark", "\u{FEFF}{\"version\":1}", "byte order mark"),
        ("trailing junk", #"{"version":1} junk"#, "unexpected data after the JSON value"),
        ("too deep", String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested deeper than 512"),
    ])
    func jsonPolicyWithHostileSyntaxIsRefusedSayingWhy(label: String, text: String, message: String) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = try write(text, "policy.json")
        let run = try ProvcheckBinary.run(["verify", "ms@2.1.3", "--registry", "http://127.0.0.1:9/", "--policy", policy.path])
        #expect(run.status == 2, "\(label): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(label): \(run.stderr)")
    }

    @Test func aFolderWhereAFileIsExpectedSaysSo() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        for arguments in [["verify", "ms@2.1.3", "--policy", folder.path], ["verify", "ms@2.1.3", "--trusted-root", folder.path, "--offline"],
                          ["sigstore", "verify-bundle", "--bundle", folder.path, "--key", folder.path, "sha256:" + String(repeating: "0", count: 64)]] {
            let run = try ProvcheckBinary.run(arguments + (arguments[0] == "verify" ? ["--registry", "http://127.0.0.1:9/"] : []))
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("is a folder"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("NSCocoaErrorDomain"), "\(run.stderr)")
        }
    }

    @Test func packumentWithTrailingJunkSaysWhatIsWrong() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let packument = try Fixtures.data("npm/packuments/ms.json")
        registry.inject(.replacedBody(packument + Data(" junk".utf8)), on: "/ms")
        let run = try ProvcheckBinary.run(["verify", "ms@2.1.3", "--registry", registry.baseURL.absoluteString, "--attempts", "1"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(!run.stderr.contains("not a JSON object"), "\(run.stderr)")
    }
}
