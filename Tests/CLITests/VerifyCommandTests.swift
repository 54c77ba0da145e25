import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// `provcheck verify` run as a process against a loopback registry serving the fixtures.
@Suite(.serialized) struct VerifyCommandTests: RegistryWorkspaceSuite {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `provcheck` executable (see ``ProvcheckBinary/url()``).
    static var binary: URL {
        (try? ProvcheckBinary.url()) ?? Fixtures.repositoryRoot.appendingPathComponent(".build/debug/provcheck")
    }

    static func tool(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errHandle = err.fileHandleForReading
        // The semaphore orders the reader thread's write before our read (polling `Thread.isFinished` did not:
        // ThreadSanitizer reported a data race).
        nonisolated(unsafe) var errData = Data()
        let readerDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            errData = errHandle.readDataToEndOfFile()
            readerDone.signal()
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        readerDone.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    let workspace: RegistryWorkspace

    init() throws {
        workspace = try RegistryWorkspace(label: "cli-verify", content: RegistryContent.fixtures(at: Fixtures.root))
    }

    /// Signs `gundam-visor@1.0.1:<integrity>` with a fresh test registry key (openssl CLI) and serves the key
    /// next to npm's real keys: the fixtures have no real registry signature record for this version.
    func signGundamVisor() throws {
        try BuildFixtures.sign(registry, name: "gundam-visor", version: "1.0.1",
                               integrity: "sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA==",
                               in: directory)
    }

    var bundle: String { get throws { try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path } }

    @Test func gundamVisorIsVerifiedWithEveryOutput() throws {
        defer { cleanup() }
        try signGundamVisor()
        let sarif = directory.appendingPathComponent("out.sarif")
        let vsa = directory.appendingPathComponent("vsa.json")
        let signedVSA = directory.appendingPathComponent("vsa.dsse.json")
        let vsaKey = directory.appendingPathComponent("vsa-key.pem")
        _ = try Self.tool(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", vsaKey.path])
        let base = [Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString,
                    "--offline", "--source", try bundle,
                    "--policy", Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json").path]

        let text = try Self.tool(base + ["--sarif", sarif.path, "--vsa", vsa.path], environment: ["NO_COLOR": "1"])
        #expect(text.status == 0, "\(text.stderr)\n\(text.stdout)")
        #expect(text.stdout.contains("VERIFIED gundam-visor@1.0.1"))
        // The summary says the trust level reached, in compare's words.
        #expect(text.stdout.contains(
            "VERIFIED gundam-visor@1.0.1: provenance from github.com/ramonpetgrave64/gundam-visor; rebuilt exactly"),
            "\(text.stdout)")
        #expect(text.stdout.contains("outcome: exact"))
        #expect(!text.stdout.contains("\u{1B}["))
        for evidence in ["commit: 599500821344b070902a7a5666064bfdaba715df", "tag: v1.0.1",
                         "workflow: .github/workflows/npm-publish.yml",
                         "integrity: sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA=="] {
            #expect(text.stdout.contains(evidence), "\(evidence)")
        }
        let sarifObject = try JSONSerialization.jsonObject(with: Data(contentsOf: sarif)) as? [String: Any]
        #expect(sarifObject?["version"] as? String == "2.1.0")
        let statement = try JSONSerialization.jsonObject(with: Data(contentsOf: vsa)) as? [String: Any]
        #expect(statement?["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect((statement?["predicate"] as? [String: Any])?["verificationResult"] as? String == "PASSED")

        let json = try Self.tool(base + ["--json", "--vsa", signedVSA.path, "--vsa-key", vsaKey.path])
        #expect(json.status == 0)
        let verdict = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(verdict?["overall"] as? String == "verified")
        #expect(verdict?["schemaVersion"] as? Int == 1)
        let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: signedVSA)) as? [String: Any]
        #expect(envelope?["payloadType"] as? String == "application/vnd.in-toto+json")
        #expect((envelope?["signatures"] as? [[String: Any]])?.count == 1)
    }

    @Test func aTOMLPolicyWorksLikeItsJSONTwin() throws {
        defer { cleanup() }
        try signGundamVisor()
        let examples = Fixtures.repositoryRoot.appendingPathComponent("docs/examples")
        let run = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString,
                                 "--offline", "--source", try bundle, "--json",
                                 "--policy", examples.appendingPathComponent("gundam-visor.policy.toml").path])
        #expect(run.status == 0, "\(run.stderr)")
        let verdict = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(verdict?["overall"] as? String == "verified")
        #expect(run.stdout.contains("policy.workflow") && run.stdout.contains("policy.branch"))

        let broken = directory.appendingPathComponent("broken.policy.toml")
        try Data("version = 1\nrefs = [\"refs/tags/v*\",, ]\n".utf8).write(to: broken)
        let bad = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString,
                                 "--policy", broken.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("broken.policy.toml: not valid TOML: line 2, column 24: expected a value"), "\(bad.stderr)")

        // The old rebuild words are still read, with a deprecation note naming the new word.
        let old = directory.appendingPathComponent("old-words.policy.json")
        try Data(#"{"rebuild": ["identical", "identical-tar", "same-content"]}"#.utf8).write(to: old)
        let oldRun = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString,
                                    "--offline", "--source", try bundle, "--json", "--policy", old.path])
        #expect(oldRun.status == 0, "\(oldRun.stderr)")
        #expect(oldRun.stderr.contains("field \"rebuild[1]\": \"identical-tar\" is deprecated: write \"tar-identical\""),
                "\(oldRun.stderr)")
        let oldVerdict = try JSONSerialization.jsonObject(with: Data(oldRun.stdout.utf8)) as? [String: Any]
        let policyRebuild = (oldVerdict?["checks"] as? [[String: Any]])?.first { $0["id"] as? String == "policy.rebuild" }
        #expect((policyRebuild?["evidence"] as? [String: String])?["accepted"] == "exact, tar-identical, content-identical")
    }

    @Test func exitCodes() throws {
        defer { cleanup() }
        let registryURL = registry.baseURL.absoluteString
        // 1: a check failed (the fixture has no registry signature for gundam-visor@1.0.1 until signed).
        let unsigned = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registryURL,
                                      "--offline", "--source", try bundle])
        #expect(unsigned.status == 1)
        #expect(unsigned.stdout.contains("FAIL  trust.signatures"))
        // 0 but incomplete: the remote source cannot be read offline; 1 with --strict.
        try signGundamVisor()
        let incomplete = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registryURL, "--offline"])
        #expect(incomplete.status == 0, "\(incomplete.stderr)")
        #expect(incomplete.stdout.contains("INCOMPLETE gundam-visor@1.0.1 is NOT verified"))
        #expect(incomplete.stdout.contains("(reached: provenance from github.com/ramonpetgrave64/gundam-visor; not rebuilt)"),
                "\(incomplete.stdout)")
        let strict = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registryURL, "--offline", "--strict"])
        #expect(strict.status == 1)
        // 2: usage, input and registry errors, named.
        let badSpec = try Self.tool([Self.binary.path, "verify", "gundam-visor", "--registry", registryURL])
        #expect(badSpec.status == 2)
        #expect(badSpec.stderr.contains("\"gundam-visor\" is not a package version"))
        let policy = directory.appendingPathComponent("typo.policy.json")
        try Data(#"{"workfow": ".github/workflows/x.yml"}"#.utf8).write(to: policy)
        let badPolicy = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--registry", registryURL,
                                       "--policy", policy.path])
        #expect(badPolicy.status == 2)
        #expect(badPolicy.stderr.contains("typo.policy.json: field \"workfow\": unknown field"))
        let missing = try Self.tool([Self.binary.path, "verify", "no-such-package@1.0.0", "--registry", registryURL])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-package"))
        let keyWithoutVSA = try Self.tool([Self.binary.path, "verify", "gundam-visor@1.0.1", "--vsa-key", "k.pem"])
        #expect(keyWithoutVSA.status == 2)
        #expect(keyWithoutVSA.stderr.contains("--vsa-key needs --vsa"))
    }
}
