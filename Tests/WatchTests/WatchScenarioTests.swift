import Digest
import Foundation
import LoopbackRegistry
import NPMTrust
import Registry
import Testing
import TestSupport
@testable import Verification
@testable import Watch

/// `provcheck watch` against a loopback registry whose content changes between runs.
@Suite("Watch scenarios")
struct WatchScenarioTests {
    static let repository = "https://github.com/ramonpetgrave64/gundam-visor"
    static let workflow = ".github/workflows/npm-publish.yml"

    static func provenance(_ version: String, commit: String, repository: String = repository,
                           workflow: String = workflow, level: TrustLevel = .provenance) -> WatchTrust {
        var facts = ProvenanceFacts()
        facts.repository = repository
        facts.workflowPath = workflow
        facts.ref = "refs/tags/v\(version)"
        facts.commit = commit
        return WatchTrust(level: level, provenance: facts)
    }

    static func day(_ n: Int) -> String { Timestamp.format(Date(timeIntervalSince1970: 1_780_000_000 + Double(n) * 86_400)) }

    /// A tarball that differs per version (the loopback registry computes integrity and shasum from it).
    static func tarball(_ version: String) -> Data { Data("fake tarball of gundam-visor@\(version)".utf8) }

    @Test("each finding is produced exactly once; an unchanged registry gives none")
    func everyFindingOnce() async throws {
        let folder = try WatchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clone = try WatchTestSupport.gundamClone(in: folder)
        let realCommit = "599500821344b070902a7a5666064bfdaba715df"
        let c2 = try WatchTestSupport.commitAndTag("v1.0.2", in: clone)
        let c3 = try WatchTestSupport.commitAndTag("v1.0.3", in: clone)

        // Baseline: the real gundam-visor@1.0.1 fixture plus two releases built the same way.
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        content.addVersion(name: "gundam-visor", version: "1.0.2", tarball: Self.tarball("1.0.2"), publishTime: Self.day(0), makeLatest: true)
        content.addVersion(name: "gundam-visor", version: "1.0.3", tarball: Self.tarball("1.0.3"), publishTime: Self.day(0), makeLatest: true)
        let registry = try TokenRegistry.registry(content)
        defer { registry.stop() }
        let trust = Shared<[String: WatchTrust]>([
            "gundam-visor@1.0.1": Self.provenance("1.0.1", commit: realCommit),
            "gundam-visor@1.0.2": Self.provenance("1.0.2", commit: c2),
            "gundam-visor@1.0.3": Self.provenance("1.0.3", commit: c3),
        ])
        let verdicts = Shared<[String: OverallResult]>([:])
        let client = TokenRegistry.client(registry)
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: client), trust: TableTrust(table: trust),
                                 tags: GitTagReader(), verifier: TableVerifier(table: verdicts), now: { WatchTestSupport.runTime })
        let configuration = WatchConfiguration(packages: [
            WatchedPackage(name: "gundam-visor", rebuild: true, versions: .all, source: clone.path),
        ])
        let stateFile = folder.appendingPathComponent("state.json")

        func run() async throws -> WatchReport {
            let (report, state) = try await engine.run(configuration: configuration, state: try WatchState.load(contentsOf: stateFile))
            try state.write(to: stateFile)
            return report
        }

        // Run 1: baseline, every version is new and nothing else is wrong.
        let first = try await run()
        #expect(WatchTestSupport.findingKeys(first) == [
            "watch.new-version gundam-visor@1.0.1", "watch.new-version gundam-visor@1.0.2", "watch.new-version gundam-visor@1.0.3",
        ])
        #expect(!first.hasErrors)
        // Run 2: unchanged registry, no finding at all.
        let second = try await run()
        #expect(second.findings.isEmpty, "unchanged registry: \(WatchTestSupport.findingKeys(second))")

        // Mutate the registry, the source repository and the verifier.
        let c4 = try WatchTestSupport.commitAndTag("v1.0.4", in: clone)
        _ = c4
        let c5 = try WatchTestSupport.git(["rev-parse", "HEAD"], in: clone)  // 1.0.5 gets no tag
        let c6 = try WatchTestSupport.commitAndTag("v1.0.6", in: clone)
        let c7 = try WatchTestSupport.commitAndTag("v1.0.7", in: clone)
        let c8 = try WatchTestSupport.commitAndTag("v1.0.8", in: clone)
        try WatchTestSupport.git(["tag", "-f", "v1.0.3", c2], in: clone)  // tag moved after release
        let stagedTarball = Self.tarball("1.0.8 as staged")
        registry.update { content in
            // integrity and shasum of a published version replaced
            content.updateVersion(name: "gundam-visor", version: "1.0.2") { manifest in
                manifest["dist"]?["integrity"] = .string(Hashing.sriSHA512(Data("other".utf8)))
                manifest["dist"]?["shasum"] = .string(Hashing.sha1Hex(Data("other".utf8)))
            }
            // 1.0.4: registry signature only after provenance releases
            content.addVersion(name: "gundam-visor", version: "1.0.4", tarball: Self.tarball("1.0.4"), publishTime: Self.day(1))
            // 1.0.5: no tag
            content.addVersion(name: "gundam-visor", version: "1.0.5", tarball: Self.tarball("1.0.5"), publishTime: Self.day(2))
            // 1.0.6: provenance from another repository
            content.addVersion(name: "gundam-visor", version: "1.0.6", tarball: Self.tarball("1.0.6"), publishTime: Self.day(3))
            // 1.1.0 staged (pending) before 1.0.7 was published directly
            content.addStagedVersion(id: "0b7c5a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21", packageName: "gundam-visor", version: "1.1.0",
                                     tarball: Self.tarball("1.1.0"),
                                     createdAt: Timestamp.format(Date(timeIntervalSince1970: 1_780_000_000 + 3.5 * 86_400)))
            content.addVersion(name: "gundam-visor", version: "1.0.7", tarball: Self.tarball("1.0.7"), publishTime: Self.day(4))
            // 1.0.8: approved from staging, but not the tarball that was checked before approval
            content.addVersion(name: "gundam-visor", version: "1.0.8", tarball: Self.tarball("1.0.8"),
                               manifest: ["_npmUser": ["name": "maintainer", "approver": ["name": "maintainer"]]],
                               publishTime: Self.day(5))
        }
        trust.set { table in
            table["gundam-visor@1.0.4"] = WatchTrust(level: .registrySignature)
            table["gundam-visor@1.0.5"] = Self.provenance("1.0.5", commit: c5)
            table["gundam-visor@1.0.6"] = Self.provenance("1.0.6", commit: c6, repository: "https://github.com/attacker/gundam-visor")
            table["gundam-visor@1.0.7"] = Self.provenance("1.0.7", commit: c7)
            table["gundam-visor@1.0.8"] = Self.provenance("1.0.8", commit: c8, level: .stagedApproval)
        }
        verdicts.set { $0["gundam-visor@1.0.1"] = .failed }
        // The maintainer had checked the staged 1.0.8 and recorded its digest.
        var pinState = try WatchState.load(contentsOf: stateFile)
        pinState.packages["gundam-visor"]?.stagedPins["1.0.8"] = StagedPin(
            stageID: "5f0c8a9e-0000-4000-8000-000000000008", sha512: Hashing.sha512Hex(stagedTarball), recordedAt: WatchTestSupport.runTime)
        try pinState.write(to: stateFile)

        // Run 3: every change is reported once.
        let third = try await run()
        #expect(WatchTestSupport.findingKeys(third) == [
            "watch.direct-publish-while-staged gundam-visor@1.0.7",
            "watch.integrity-changed gundam-visor@1.0.2",
            "watch.new-version gundam-visor@1.0.4",
            "watch.new-version gundam-visor@1.0.5",
            "watch.new-version gundam-visor@1.0.6",
            "watch.new-version gundam-visor@1.0.7",
            "watch.new-version gundam-visor@1.0.8",
            "watch.no-matching-tag gundam-visor@1.0.5",
            "watch.provenance-identity-changed gundam-visor@1.0.6",
            "watch.staged-integrity-mismatch gundam-visor@1.0.8",
            "watch.tag-moved gundam-visor@1.0.3",
            "watch.trust-downgrade gundam-visor@1.0.4",
            "watch.verdict-changed gundam-visor@1.0.1",
        ])
        #expect(third.hasErrors)
        let moved = try #require(third.findings.first { $0.code == .tagMoved })
        #expect(moved.evidence["previousCommit"] == c3 && moved.evidence["tagCommit"] == c2)
        let changed = try #require(third.findings.first { $0.code == .integrityChanged })
        #expect(changed.evidence["firstSeenIntegrity"] == Hashing.sriSHA512(Self.tarball("1.0.2")))

        // Run 4: nothing changed since run 3: no change is reported again, but the failures still served are
        // restated as open (the job stays red until they are acknowledged).
        let fourth = try await run()
        #expect(fourth.findings.allSatisfy { $0.code == .openFailure }, "unchanged registry: \(WatchTestSupport.findingKeys(fourth))")
        #expect(Set(fourth.findings.compactMap(\.version)) == ["1.0.1", "1.0.2"], "\(WatchTestSupport.findingKeys(fourth))")
        // The state keeps what was first seen.
        let state = try WatchState.load(contentsOf: stateFile)
        let record = try #require(state.packages["gundam-visor"]?.versions["1.0.2"])
        #expect(record.integrity == Hashing.sriSHA512(Self.tarball("1.0.2")))
        #expect(record.observed.integrity == Hashing.sriSHA512(Data("other".utf8)))
        #expect(state.packages["gundam-visor"]?.versions["1.0.1"]?.observed.tagCommit == realCommit)
        #expect(state.packages["gundam-visor"]?.staged["0b7c5a8e-1f2d-4c3b-9a8e-7d6c5b4a3f21"]?.version == "1.1.0")
    }

    @Test("a registry error is reported for that package, keeps its state, and the change shows up once it recovers")
    func networkErrorIsNotNoChange() async throws {
        var content = RegistryContent()
        content.addVersion(name: "alpha", version: "1.0.0", tarball: Data("alpha 1".utf8))
        content.addVersion(name: "beta", version: "1.0.0", tarball: Data("beta 1".utf8))
        let registry = try TokenRegistry.registry(content)
        defer { registry.stop() }
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: TokenRegistry.client(registry)),
                                 trust: TableTrust(table: Shared([:])), tags: TableTags(table: Shared([:])),
                                 now: { WatchTestSupport.runTime })
        let configuration = WatchConfiguration(packages: [WatchedPackage(name: "alpha"), WatchedPackage(name: "beta")])
        let (_, baseline) = try await engine.run(configuration: configuration, state: WatchState())

        registry.update { $0.updateVersion(name: "alpha", version: "1.0.0") { $0["dist"]?["integrity"] = .string(Hashing.sriSHA512(Data("evil".utf8))) } }
        registry.inject(.status(503), on: "/alpha")
        let (failed, afterFailure) = try await engine.run(configuration: configuration, state: baseline)
        #expect(WatchTestSupport.findingKeys(failed) == ["watch.package-unavailable alpha@-"])
        #expect(failed.hasErrors)
        #expect(failed.packages.first { $0.name == "alpha" }?.status == "unavailable")
        #expect(failed.packages.first { $0.name == "beta" }?.status == "checked")
        #expect(afterFailure.packages["alpha"] == baseline.packages["alpha"])

        registry.removeFaults()
        let (recovered, _) = try await engine.run(configuration: configuration, state: afterFailure)
        #expect(WatchTestSupport.findingKeys(recovered) == ["watch.integrity-changed alpha@1.0.0"])
    }

    @Test("real fixture: gundam-visor@1.0.1 verified by NPMTrust and tagged in its real source bundle gives only a new-version note")
    func realFixtureBaseline() async throws {
        let registry = try TokenRegistry.registry(try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let client = TokenRegistry.client(registry)
        let keys = try await RegistryKeysAvailability.load(.registry, client: client)
        let engine = WatchEngine(registry: RegistryClientWatchRegistry(client: client),
                                 trust: NPMTrustWatchReader(client: client, keys: keys), tags: GitTagReader(),
                                 now: { WatchTestSupport.runTime })
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let configuration = WatchConfiguration(packages: [WatchedPackage(name: "gundam-visor", versions: .all, source: bundle)])
        let (report, state) = try await engine.run(configuration: configuration, state: WatchState())
        #expect(WatchTestSupport.findingKeys(report) == ["watch.new-version gundam-visor@1.0.1"])
        let observed = try #require(state.packages["gundam-visor"]?.versions["1.0.1"]?.observed)
        #expect(observed.trustLevel == .provenance)
        #expect(observed.provenance?.commit == "599500821344b070902a7a5666064bfdaba715df")
        #expect(observed.provenance?.repository == "https://github.com/ramonpetgrave64/gundam-visor")
        #expect(observed.tag == "v1.0.1")
        #expect(observed.tagCommit == "599500821344b070902a7a5666064bfdaba715df")
        let (again, _) = try await engine.run(configuration: configuration, state: state)
        #expect(again.findings.isEmpty)
    }
}
