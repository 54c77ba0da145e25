import Digest
import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

/// The registry client against a real loopback HTTP server (no mocked client).
@Suite struct RegistryClientTests {
    struct FixtureCase {
        let name: String
        let version: String
        let integrity: String
        let hasTarball: Bool
    }

    static func fixtureCases() throws -> [FixtureCase] {
        try Fixtures.npmCaseFiles().map { file in
            let json = try JSONValue(parsing: Data(contentsOf: file))
            return FixtureCase(
                name: json["name"]!.stringValue!, version: json["version"]!.stringValue!,
                integrity: json["integrity"]!.stringValue!, hasTarball: json["registry_tarball"]?.stringValue != nil)
        }
    }

    @Test func everyFixtureTarballDownloadsAndMatchesItsIntegrity() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let client = makeClient(for: registry)
        let folder = try TemporaryFolder()
        var checked = 0
        for testCase in try Self.fixtureCases() {
            let packument = try await client.packument(name: testCase.name)
            #expect(packument.name == testCase.name)
            let version = try #require(packument.versions[testCase.version], "\(testCase.name)@\(testCase.version)")
            #expect(packument.time[testCase.version] != nil)
            guard testCase.hasTarball else { continue }
            let url = try #require(URL(string: version.dist.tarball))
            #expect(url.absoluteString.hasPrefix(registry.baseURL.absoluteString))
            // Streaming variant.
            var bytes = Data()
            let download = try await client.tarball(from: url, chunkSize: 4096) { bytes.append($0) }
            #expect(download.byteCount == bytes.count)
            #expect(Hashing.sriSHA512(bytes) == testCase.integrity, "\(testCase.name)@\(testCase.version)")
            // File variant.
            let file = folder.file("\(checked).tgz")
            try await client.tarball(from: url, to: file)
            #expect(Hashing.sriSHA512(try Data(contentsOf: file)) == testCase.integrity)
            checked += 1
        }
        #expect(checked == 19)
    }

    @Test func packumentModelFields() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let client = makeClient(for: registry)
        let abbrev = try await client.packument(name: "abbrev")
        let v111 = try #require(abbrev.versions["1.1.1"])
        #expect(v111.gitHead == "a9ee72ebc8fe3975f1b0c7aeb3a8f2a806a432eb")
        #expect(v111.npmVersion == "5.4.2")
        #expect(v111.nodeVersion == "8.5.0")
        #expect(v111.npmUser?.name == "isaacs")
        #expect(v111.repository?.url == "git+ssh://git@github.com/isaacs/abbrev-js.git")
        #expect(v111.files == ["abbrev.js"])
        #expect(v111.main == "abbrev.js")
        #expect(v111.scripts?["test"] == "tap test.js --100")
        #expect(v111.dist.shasum == "f8f2c887ad10bf67f634f005b6987fed3179aac8")
        #expect(abbrev.time["1.1.1"] == "2017-09-28T02:47:13.220Z")
        #expect(abbrev.distTags["latest"] == "3.0.0")
        #expect(!abbrev.raw.isEmpty)

        let scoped = try await client.packument(name: "@trishankatdatadog/supreme-goggles")
        #expect(try client.packumentURL(name: "@trishankatdatadog/supreme-goggles").absoluteString
            == registry.baseURL.absoluteString + "@trishankatdatadog%2fsupreme-goggles")
        let attestations = try #require(scoped.versions["1.0.5"]?.dist.attestations)
        #expect(attestations.provenance?.predicateType == "https://slsa.dev/provenance/v0.2")

        let sigstore = try await client.packument(name: "sigstore")
        let signatures = try #require(sigstore.versions["1.0.0"]?.dist.signatures)
        #expect(signatures.first?.keyid == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA")

        // Unknown fields, string repository, bin string, a non-string `time` entry and one broken version.
        registry.update { content in
            content.packuments["odd"] = [
                "name": "odd", "extra": ["x": 1], "dist-tags": ["latest": "1.0.0"],
                "time": ["1.0.0": "2020-01-01T00:00:00.000Z", "unpublished": ["time": "2021-01-01T00:00:00.000Z"]],
                "versions": [
                    "1.0.0": [
                        "name": "odd", "version": "1.0.0", "repository": "github:o/r", "bin": "cli.js",
                        "_npmUser": ["name": "bot", "trustedPublisher": ["id": "github"], "approver": ["name": "human"]],
                        "dist": ["tarball": "https://registry.npmjs.org/odd/-/odd-1.0.0.tgz", "integrity": "sha512-AA=="],
                        "newField": [1, 2, 3],
                    ],
                    "0.0.1": ["name": "odd", "version": "0.0.1"],
                    "0.0.2": [
                        "name": "odd", "version": "0.0.3",
                        "dist": ["tarball": "https://registry.npmjs.org/odd/-/odd-0.0.3.tgz"],
                    ],
                ],
            ]
        }
        let odd = try await client.packument(name: "odd")
        let v1 = try #require(odd.versions["1.0.0"])
        #expect(v1.repository == Repository(url: "github:o/r"))
        #expect(v1.bin == ["odd": "cli.js"])
        #expect(v1.npmUser?.trustedPublisher?["id"] == "github")
        #expect(v1.npmUser?.approver != nil)
        #expect(v1.raw["newField"] != nil)
        #expect(odd.time == ["1.0.0": "2020-01-01T00:00:00.000Z"])
        #expect(odd.invalidVersions["0.0.1"]?.contains("dist") == true)
        #expect(odd.invalidVersions["0.0.2"] == "manifest under versions[\"0.0.2\"] is for odd@0.0.3")
        #expect(odd.versions["0.0.2"] == nil)

        // A packument for another name than requested is rejected.
        registry.update { $0.packuments["impostor"] = $0.packuments["odd"] }
        let impostor = try #require(await registryError { try await client.packument(name: "impostor") })
        #expect(impostor.code == .malformedResponse)
        #expect(impostor.problem.contains("is for \"odd\", not \"impostor\""))
    }

    @Test func keysAndAttestations() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let client = makeClient(for: registry)
        let keys = try #require(try await client.keys())
        #expect(keys.keys.map(\.keyid) == [
            "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U",
        ])
        #expect(keys.keys[0].expires == "2025-01-29T00:00:00.000Z")
        #expect(keys.keys[1].expires == nil)

        let gundam = try #require(try await client.attestations(name: "gundam-visor", version: "1.0.1"))
        #expect(gundam.attestations.map(\.predicateType) == [
            "https://github.com/npm/attestation/tree/main/specs/publish/v0.1", "https://slsa.dev/provenance/v1",
        ])
        #expect(gundam.attestations[0].bundle["dsseEnvelope"] != nil)
        let scoped = try await client.attestations(name: "@trishankatdatadog/supreme-goggles", version: "1.0.5")
        #expect(scoped?.attestations.isEmpty == false)
        #expect(registry.requests.last?.target.contains("@trishankatdatadog%2fsupreme-goggles@1.0.5") == true)
        // dist.attestations.url from the public registry: only its path is used, against the configured registry.
        let viaURL = try await client.attestations(url: "https://registry.npmjs.org/-/npm/v1/attestations/sigstore@1.0.0")
        #expect(viaURL?.attestations.count == 2)
        #expect(try await client.attestations(name: "abbrev", version: "1.1.1") == nil)

        registry.update { $0.keys = nil }
        #expect(try await client.keys() == nil)
        registry.update { $0.keys = ["keys": []] }
        registry.inject(.status(400), on: "/-/npm/v1/keys", times: 1)
        #expect(try await client.keys() == nil)
    }

    @Test func malformedJSONNamesTheURLAndTheProblem() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let client = makeClient(for: registry)
        registry.inject(.replacedBody(Data("{\"name\": \"abbrev\", ".utf8)), on: "/abbrev")
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .malformedResponse)
        #expect(error.description.contains(registry.baseURL.absoluteString + "abbrev"))
        #expect(error.description.contains("invalid JSON"))

        registry.removeFaults()
        registry.inject(.replacedBody(Data("[1,2]".utf8)), on: "/ms")
        let notObject = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(notObject.code == .malformedResponse)
        #expect(notObject.problem.contains("array"))

        let missing = try #require(await registryError { try await client.packument(name: "no-such-package") })
        #expect(missing.code == .notFound)
        #expect(missing.description.contains("no-such-package"))

        let invalid = try #require(await registryError { try await client.packument(name: "../etc") })
        #expect(invalid.code == .invalidPackageName)
    }

    @Test func stagedPublishEndpoints() async throws {
        let registry = try LoopbackRegistry()
        defer { registry.stop() }
        let tarball = Data("staged tarball bytes".utf8)
        let items = registry.updateReturning { content -> [StagedItem] in
            content.requiredToken = "stage-token"
            return (0..<3).map { index in
                content.addStagedVersion(packageName: "@acme/tool", version: "1.0.\(index)", tarball: tarball)
            } + [content.addStagedVersion(packageName: "other", version: "9.9.9", tarball: Data("x".utf8))]
        }
        let unauthorized = makeClient(for: registry)
        let denied = try #require(await registryError { try await unauthorized.stagedPackages(name: "@acme/tool") })
        #expect(denied.code == .unauthorized)
        #expect(denied.description.contains("/-/stage?package=@acme%2ftool"))

        let client = makeClient(for: registry, token: "stage-token")
        let listed = try await client.stagedPackages(name: "@acme/tool")
        #expect(listed.map(\.version) == ["1.0.0", "1.0.1", "1.0.2"])
        #expect(listed.allSatisfy { $0.shasum == Hashing.sha1Hex(tarball) && $0.packageName == "@acme/tool" })
        let item = try await client.stage(id: items[1].id)
        #expect(item.version == "1.0.1")
        #expect(item.actor == "ci-bot")
        var received = Data()
        try await client.stagedTarball(id: items[1].id) { received.append($0) }
        #expect(received == tarball)
        #expect(registry.authorizationHeaders.allSatisfy { $0 == "Bearer stage-token" })
        #expect(registry.authorizationHeaders.count == 3)

        // More than one page (the client asks for 100 per page).
        registry.update { content in
            for index in 0..<230 {
                content.addStagedVersion(
                    id: String(format: "10000000-0000-0000-0000-%012d", index), packageName: "many",
                    version: "1.0.\(index)", tarball: Data("t\(index)".utf8))
            }
        }
        let many = try await client.stagedPackages(name: "many")
        #expect(many.count == 230)
        #expect(Set(many.map(\.id)).count == 230)
        #expect(registry.requestCount(matching: "/-/stage") == 2 + 3)  // 401, first list, 3 pages

        let badID = try #require(await registryError { try await client.stage(id: "../../abbrev") })
        #expect(badID.code == .invalidStageID)
        let gone = try #require(await registryError { try await client.stage(id: "00000000-0000-0000-0000-000000000000") })
        #expect(gone.code == .notFound)
    }

    @Test func manyConcurrentPackumentFetchesReuseConnections() async throws {
        let count = Int(ProcessInfo.processInfo.environment["PROVCHECK_REGISTRY_STRESS"] ?? "") ?? 300
        var content = RegistryContent()
        for index in 0..<count {
            content.addVersion(name: "pkg-\(index)", version: "1.0.0", tarball: Data("pkg \(index)".utf8))
        }
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        let client = makeClient(for: registry, concurrency: 8)
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask { try await client.packument(name: "pkg-\(index)").name }
            }
            var names: Set<String> = []
            for try await name in group { names.insert(name) }
            return names
        }
        #expect(names.count == count)
        #expect(registry.requests.count == count)
        // Keep-alive: far fewer connections than requests.
        #expect(registry.connectionCount <= max(16, count / 5), "connections: \(registry.connectionCount)")
    }
}
