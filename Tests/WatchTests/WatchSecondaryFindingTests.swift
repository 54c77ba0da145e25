import Foundation
import LoopbackRegistry
import NPMTrust
import Registry
import Testing
import TestSupport
@testable import Verification
@testable import Watch

/// The findings about versions already recorded (changes of the same version), each once.
@Suite("Watch: changes to recorded versions")
struct WatchSecondaryFindingTests {
    static let repository = "https://github.com/o/lib"

    static func facts(_ ref: String, commit: String, workflow: String = "release.yml") -> ProvenanceFacts {
        var facts = ProvenanceFacts()
        facts.repository = repository
        facts.workflowPath = workflow
        facts.ref = ref
        facts.commit = commit
        return facts
    }

    @Test("signatures, removal, tag deletion, provenance change, trust fall and a failing new version are each reported once")
    func changesToRecordedVersions() async throws {
        var content = RegistryContent()
        let manifest: JSONValue = ["repository": ["type": "git", "url": "git+https://github.com/o/lib.git"],
                                   "dist": ["signatures": [["keyid": "SHA256:old", "sig": "MEUC"]]]]
        for version in ["1.0.0", "1.1.0", "1.2.0", "1.3.0"] {
            content.addVersion(name: "lib", version: version, tarball: Data("lib \(version)".utf8), manifest: manifest)
        }
        let registry = try TokenRegistry.registry(content)
        defer { registry.stop() }
        let tags = Shared<[String: [String: String]]>([Self.repository: [
            "v1.0.0": "c0", "v1.1.0": "c1", "v1.2.0": "c2", "v1.3.0": "c3", "v1.4.0": "c4",
        ]])
        let trust = Shared<[String: WatchTrust]>([
            "lib@1.0.0": WatchTrust(level: .provenance, provenance: Self.facts("refs/tags/v1.0.0", commit: "c0")),
            "lib@1.1.0": WatchTrust(level: .provenance, provenance: Self.facts("refs/tags/v1.1.0", commit: "c1")),
            "lib@1.2.0": WatchTrust(level: .trustedPublisher, provenance: Self.facts("refs/tags/v1.2.0", commit: "c2")),
            "lib@1.3.0": WatchTrust(level: .trustedPublisher, provenance: Self.facts("refs/tags/v1.3.0", commit: "c3")),
            "lib@1.4.0": WatchTrust(level: .trustedPublisher, provenance: Self.facts("refs/tags/v1.4.0", commit: "c4")),
        ])
        let verdicts = Shared<[String: OverallResult]>(["lib@1.4.0": .failed])
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: TokenRegistry.client(registry)),
                                 trust: TableTrust(table: trust), tags: TableTags(table: tags),
                                 verifier: TableVerifier(table: verdicts), now: { WatchTestSupport.runTime })
        let configuration = WatchConfiguration(packages: [WatchedPackage(name: "lib", rebuild: true, versions: .all)])

        let (baseline, state1) = try await engine.run(configuration: configuration, state: WatchState())
        #expect(baseline.findings.allSatisfy { $0.code == .newVersion })
        let (unchanged, state2) = try await engine.run(configuration: configuration, state: state1)
        #expect(unchanged.findings.isEmpty)

        registry.update { content in
            content.updateVersion(name: "lib", version: "1.0.0") { $0["dist"]?["signatures"] = [["keyid": "SHA256:new", "sig": "MEUC"]] }
            content.removeVersion(name: "lib", version: "1.1.0")
            content.addVersion(name: "lib", version: "1.4.0", tarball: Data("lib 1.4.0".utf8), manifest: manifest)
        }
        tags.set { $0[Self.repository]?["v1.2.0"] = nil }
        trust.set { table in
            table["lib@1.3.0"] = WatchTrust(level: .provenance, provenance: Self.facts("refs/heads/main", commit: "c3", workflow: "other.yml"))
        }
        let (changed, state3) = try await engine.run(configuration: configuration, state: state2)
        #expect(WatchTestSupport.findingKeys(changed) == [
            "watch.new-version lib@1.4.0",
            "watch.no-matching-tag lib@1.2.0",
            "watch.provenance-identity-changed lib@1.3.0",
            "watch.signatures-changed lib@1.0.0",
            "watch.trust-downgrade lib@1.3.0",
            "watch.verdict-changed lib@1.4.0",
            "watch.version-removed lib@1.1.0",
        ])
        #expect(changed.findings.first { $0.code == .verdictChanged }?.severity == .error)
        #expect(changed.findings.first { $0.code == .signaturesChanged }?.severity == .warning)
        let (again, _) = try await engine.run(configuration: configuration, state: state3)
        // Changes are not repeated; the version that still fails verification is restated as an open failure.
        #expect(WatchTestSupport.findingKeys(again) == ["watch.open-failure lib@1.4.0"], "\(WatchTestSupport.findingKeys(again))")

        // The verdict recovering is a warning-level change.
        verdicts.set { $0["lib@1.4.0"] = .verified }
        let (recovered, _) = try await engine.run(configuration: configuration, state: state3)
        #expect(recovered.findings.map(\.code) == [.verdictChanged])
        #expect(recovered.findings.first?.severity == .warning)
        #expect(!recovered.hasErrors)

        // SARIF of the changed run validates against the SARIF subset schema.
        let sarif = try ProvcheckJSON.encode(changed.sarif(toolVersion: "0.1.0"))
        #expect(try SchemaValidation.sarifErrors(sarif) == [])
    }

    @Test("trust that cannot be established is incomplete, keeps the recorded level and is never a downgrade")
    func unverifiableTrustIsIncomplete() async throws {
        struct Failing: WatchTrustReading {
            struct Down: Error {}
            func trust(packument: Packument, version: String) async throws -> WatchTrust { throw Down() }
        }
        var content = RegistryContent()
        content.addVersion(name: "lib", version: "1.0.0", tarball: Data("lib".utf8))
        let registry = try TokenRegistry.registry(content)
        defer { registry.stop() }
        let client = RegistryClientWatchRegistry(client: TokenRegistry.client(registry))
        let configuration = WatchConfiguration(packages: [WatchedPackage(name: "lib", versions: .all)])
        let good = WatchEngine(registry: client, trust: TableTrust(table: Shared(["lib@1.0.0": WatchTrust(level: .provenance)])),
                               tags: TableTags(table: Shared(["x": [:]])), now: { WatchTestSupport.runTime })
        let (_, state) = try await good.run(configuration: configuration, state: WatchState())
        let bad = WatchEngine(registry: client, trust: Failing(), tags: TableTags(table: Shared([:])), now: { WatchTestSupport.runTime })
        let (report, after) = try await bad.run(configuration: configuration, state: state)
        #expect(WatchTestSupport.findingKeys(report) == ["watch.check-incomplete lib@1.0.0"])
        #expect(after.packages["lib"]?.versions["1.0.0"]?.observed.trustLevel == .provenance)
        #expect(report.packages.first?.incomplete.count == 1)
    }
}

@Suite("Watch: staged publishes")
struct WatchStagedWindowTests {
    static func time(_ offset: Double) -> String { Timestamp.format(WatchTestSupport.runTime.addingTimeInterval(offset)) }

    @Test("a rejected staged publish stops being pending once watch notices it gone; approved ones are not direct publishes")
    func rejectedStageWindow() async throws {
        var content = RegistryContent()
        content.addVersion(name: "lib", version: "1.0.0", tarball: Data("lib 1".utf8), publishTime: Self.time(-10 * 86_400))
        content.addStagedVersion(id: "11111111-2222-4333-8444-555555555555", packageName: "lib", version: "2.0.0",
                                 tarball: Data("lib 2".utf8), createdAt: Self.time(-5 * 86_400))
        let registry = try TokenRegistry.registry(content)
        defer { registry.stop() }
        let clock = Shared(WatchTestSupport.runTime)
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: TokenRegistry.client(registry)),
                                 trust: TableTrust(table: Shared([:])), tags: TableTags(table: Shared([:])),
                                 now: { clock.get })
        let configuration = WatchConfiguration(packages: [WatchedPackage(name: "lib", versions: .all)])
        let (_, first) = try await engine.run(configuration: configuration, state: WatchState())
        #expect(first.packages["lib"]?.staged["11111111-2222-4333-8444-555555555555"]?.leftListAt == nil)

        // Rejected; one version slipped out directly while it was pending, one after watch noticed the rejection,
        // one approved from staging.
        registry.update { content in
            content.removeStagedItem(id: "11111111-2222-4333-8444-555555555555")
        }
        clock.set { $0 = WatchTestSupport.runTime.addingTimeInterval(86_400) }
        let (_, second) = try await engine.run(configuration: configuration, state: first)
        #expect(second.packages["lib"]?.staged["11111111-2222-4333-8444-555555555555"]?.leftListAt == clock.get)
        registry.update { content in
            content.addVersion(name: "lib", version: "1.1.0", tarball: Data("lib 1.1".utf8), publishTime: Self.time(-2 * 86_400))
            content.addVersion(name: "lib", version: "1.2.0", tarball: Data("lib 1.2".utf8), publishTime: Self.time(2 * 86_400))
            content.addVersion(name: "lib", version: "1.3.0", tarball: Data("lib 1.3".utf8),
                               manifest: ["_npmUser": ["name": "m", "approver": ["name": "m"]]], publishTime: Self.time(-86_400))
        }
        clock.set { $0 = WatchTestSupport.runTime.addingTimeInterval(3 * 86_400) }
        let (report, _) = try await engine.run(configuration: configuration, state: second)
        #expect(report.findings.filter { $0.code == .directPublishWhileStaged }.map(\.version) == ["1.1.0"])
    }
}
