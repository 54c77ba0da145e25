import Foundation
import LoopbackRegistry
import NPMTrust
import Registry
import Testing
import TestSupport
@testable import Verification
@testable import Watch

@Suite("Watch shards, merge, documents")
struct WatchShardTests {
    /// Every fixture packument (abbrev, isexe, mime-db, ms, semver, which, wrappy, yallist, …) watched at once.
    static func fixtureSetup() throws -> (LoopbackRegistry, WatchConfiguration) {
        let content = try RegistryContent.fixtures(at: Fixtures.root)
        let registry = try TokenRegistry.registry(content)
        let names = content.packuments.keys.sorted()
        let configuration = WatchConfiguration(packages: names.map { WatchedPackage(name: $0, versions: .latest(3)) })
        return (registry, configuration)
    }

    static func engine(_ registry: LoopbackRegistry) -> WatchEngine {
        // Tags: only abbrev's 3.0.0 is tagged, so most versions also produce no-matching-tag findings.
        let tags = Shared<[String: [String: String]]>(["https://github.com/npm/abbrev-js": ["v3.0.0": "0123456789abcdef0123456789abcdef01234567"]])
        return WatchEngine(registry: RegistryClientWatchRegistry(client: TokenRegistry.client(registry)),
                           trust: TableTrust(table: Shared([:])), tags: TableTags(table: tags),
                           now: { WatchTestSupport.runTime })
    }

    @Test("sharded runs merged give the same report and state as one run")
    func shardsMergeToOneRun() async throws {
        let (registry, configuration) = try Self.fixtureSetup()
        defer { registry.stop() }
        let engine = Self.engine(registry)
        #expect(configuration.packages.count >= 8)

        let (whole, wholeState) = try await engine.run(configuration: configuration, state: WatchState())
        #expect(!whole.findings.isEmpty)
        for count in [2, 3] {
            var reports: [WatchReport] = []
            var states: [WatchState] = []
            for index in 1...count {
                let shard = try #require(WatchShard("\(index)/\(count)"))
                let (report, state) = try await engine.run(configuration: configuration, state: WatchState(), shard: shard)
                #expect(report.shard == "\(index)/\(count)")
                // Round-trip through JSON like CI artifacts do.
                reports.append(try WatchReport.decode(report.jsonData(), source: "shard \(index)"))
                states.append(state)
            }
            #expect(reports.map(\.packages.count).reduce(0, +) == configuration.packages.count)
            let merged = try WatchReport.merge(reports)
            #expect(merged == whole)
            #expect(try merged.jsonData() == whole.jsonData())
            #expect(WatchState.merged(states) == wholeState)
        }
    }

    @Test("shard membership is stable and covers every package exactly once")
    func shardSplit() throws {
        let names = (0..<200).map { "pkg-\($0)" } + ["@scope/a", "@scope/b"]
        for count in 1...5 {
            let shards = (1...count).map { WatchShard("\($0)/\(count)")! }
            for name in names { #expect(shards.filter { $0.contains(name) }.count == 1) }
        }
        #expect(WatchShard("0/2") == nil && WatchShard("3/2") == nil && WatchShard("1/0") == nil && WatchShard("x") == nil)
        // FNV-1a 64 of "ms" is fixed, so the split never depends on the machine.
        #expect(WatchShard.fnv1a64("ms") == 0x08a9_4d07_b550_3211)
        #expect(throws: WatchReportError.self) { try WatchReport.merge([WatchReport(generatedAt: .now, packages: [.init(name: "a", status: "checked")], findings: []), WatchReport(generatedAt: .now, packages: [.init(name: "a", status: "checked")], findings: [])]) }
    }

    @Test("Markdown and SARIF carry every finding with its code and severity")
    func documents() async throws {
        let (registry, configuration) = try Self.fixtureSetup()
        defer { registry.stop() }
        let (report, _) = try await Self.engine(registry).run(configuration: configuration, state: WatchState())
        let markdown = report.markdown()
        #expect(markdown.hasPrefix("## provcheck watch"))
        for finding in report.findings { #expect(markdown.contains(finding.code.rawValue)) }
        let sarif = report.sarif(toolVersion: "0.1.0")
        #expect(sarif.runs.count == 1)
        #expect(sarif.runs[0].results.count == report.findings.count)
        #expect(sarif.runs[0].tool.driver.rules.map(\.id) == WatchFindingCode.allCases.map(\.rawValue))
        #expect(Set(sarif.runs[0].results.map(\.level)).isSubset(of: ["note", "warning", "error"]))
        let empty = WatchReport(generatedAt: WatchTestSupport.runTime, packages: [], findings: [])
        #expect(empty.markdown().contains("No findings"))
        #expect(!empty.hasErrors)
    }

    @Test("configuration: documented example parses; unknown keys, bad selections and duplicates are errors naming the field")
    func configuration() throws {
        let example = try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/watch.json"))
        let parsed = try WatchConfiguration.parse(example, source: "watch.json", baseDirectory: URL(fileURLWithPath: "/cfg"))
        #expect(!parsed.packages.isEmpty)
        let text = #"{"version":1,"packages":[{"name":"a","rebuild":true,"versions":{"latest":2},"policy":"p.json","source":"/src"},{"name":"b","versions":"all"},{"name":"c","versions":{"since":"2026-01-01"}}]}"#
        let configuration = try WatchConfiguration.parse(Data(text.utf8), baseDirectory: URL(fileURLWithPath: "/cfg"))
        #expect(configuration.packages[0] == WatchedPackage(name: "a", rebuild: true, versions: .latest(2), policy: "/cfg/p.json", source: "/src"))
        #expect(configuration.packages[1].versions == .all)
        let versions = ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "2.0.0"]
        #expect(VersionSelection.latest(2).select(versions, time: [:]) == ["2.0.0-rc.1", "2.0.0"])
        #expect(configuration.packages[2].versions.select(versions, time: ["1.0.0": "2025-01-01T00:00:00Z", "1.10.0": "2026-02-01T00:00:00.000Z"])
                    == ["1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0"])
        for (bad, field) in [
            (#"{"version":1,"packages":[{"name":"a","rebuilt":true}]}"#, "packages[0].rebuilt"),
            (#"{"version":1,"packages":[{"name":"a","versions":{"latest":0}}]}"#, "packages[0].versions.latest"),
            (#"{"version":1,"packages":[{"name":"a"},{"name":"a"}]}"#, "packages[1].name"),
            (#"{"version":2,"packages":[]}"#, "version"),
            (#"{"version":1,"packages":[{"name":"a","versions":{"since":"yesterday"}}]}"#, "packages[0].versions.since"),
        ] {
            #expect { try WatchConfiguration.parse(Data(bad.utf8)) } throws: { ($0 as? WatchConfigurationError)?.field == field }
        }
    }

    @Test("state: atomic write to the given path only, versioned schema, round trip")
    func state() throws {
        let folder = try WatchTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("state.json")
        #expect(try WatchState.load(contentsOf: file) == WatchState())
        var state = WatchState()
        state.packages["a"] = PackageState(lastChecked: WatchTestSupport.runTime, versions: [
            "1.0.0": VersionRecord(firstSeen: WatchTestSupport.runTime, observed: VersionObservation(
                integrity: "sha512-x", shasum: "ab", signatureKeyIDs: ["SHA256:k"], trustLevel: .trustedPublisher,
                provenance: ProvenanceSummary(repository: "https://github.com/o/a", workflow: "w.yml", ref: "refs/tags/v1.0.0", commit: "c"),
                tag: "v1.0.0", tagCommit: "c", verdict: "verified", rebuild: "identical")),
        ])
        try state.write(to: file)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.json"])
        #expect(try WatchState.load(contentsOf: file) == state)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("\"schemaVersion\" : 1"))
        try Data(#"{"schemaVersion":99,"packages":{}}"#.utf8).write(to: file)
        #expect(throws: WatchStateError.self) { try WatchState.load(contentsOf: file) }
    }
}
