import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

/// The client on a registry that is far away (the loopback registry's ``NetworkShaping``): abbreviated packuments,
/// requests side by side bounded per host, politeness on 429, and what was transferred.
@Suite(.serialized) struct NetworkShapingTests {
    @Test func abbreviatedPackumentKeepsDistAndDropsTheRest() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let client = makeClient(for: registry, cache: folder.url)
        let abbreviated = try await client.packument(name: "ms", abbreviated: true)
        #expect(abbreviated.isAbbreviated)
        #expect(abbreviated.time.isEmpty)
        let full = try await client.packument(name: "ms")
        #expect(!full.isAbbreviated)
        #expect(!full.time.isEmpty)
        #expect(Set(abbreviated.versions.keys) == Set(full.versions.keys))
        for (version, manifest) in full.versions {
            #expect(abbreviated.versions[version]?.dist == manifest.dist, "\(version)")
        }
        #expect(abbreviated.raw.count * 3 < full.raw.count, "\(abbreviated.raw.count) vs \(full.raw.count)")
        let accepts = registry.requests.map { $0.headers["accept"] ?? "" }
        #expect(accepts == [RegistryClient.abbreviatedPackumentAccept, "application/json"])

        // Cached separately: offline, each comes back as itself.
        var offline = client.configuration
        offline.offline = true
        let cachedClient = RegistryClient(configuration: offline)
        #expect(try await cachedClient.packument(name: "ms", abbreviated: true).isAbbreviated)
        #expect(!(try await cachedClient.packument(name: "ms", abbreviated: false).time.isEmpty))
    }

    @Test func aRegistryWithoutAbbreviatedDocumentsGivesTheFullOne() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        // Answers every packument request with the full document, whatever the Accept header says.
        let full = try await makeClient(for: registry).packument(name: "ms")
        registry.inject(.replacedBody(full.raw), on: "/ms")
        let answered = try await makeClient(for: registry).packument(name: "ms", abbreviated: true)
        #expect(!answered.isAbbreviated)
        #expect(!answered.time.isEmpty)
    }

    @Test func delayAppliesPerConnectionAndPerAnswer() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let delay = 0.15
        registry.shaping = NetworkShaping(responseDelay: delay)
        let client = makeClient(for: registry, concurrency: 16)
        var start = Date()
        _ = try await client.packument(name: "ms", abbreviated: true)
        let first = Date().timeIntervalSince(start)
        #expect(first >= 2 * delay * 0.9 && first < 2 * delay + 1, "\(first)")  // connect + answer
        start = Date()
        _ = try await client.packument(name: "ms", abbreviated: true)
        let second = Date().timeIntervalSince(start)
        #expect(second >= delay * 0.9 && second < delay + 1, "\(second)")  // kept alive: the answer only

        // 16 requests side by side take about one round trip more than one (new connections), not 16.
        start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { _ = try await client.packument(name: "ms", abbreviated: true) } }
            try await group.waitForAll()
        }
        let parallel = Date().timeIntervalSince(start)
        #expect(parallel < 5 * delay, "\(parallel)")
    }

    @Test func bandwidthIsPacedPerConnection() async throws {
        var content = RegistryContent()
        content.tarballs["big/-/big-1.0.0.tgz"] = Data(repeating: 7, count: 400_000)
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        registry.shaping = NetworkShaping(delayMilliseconds: 0, megabitsPerSecond: 16)  // 2 MB/s
        let start = Date()
        var received = 0
        try await makeClient(for: registry).tarball(from: registry.baseURL.appendingPathComponent("big/-/big-1.0.0.tgz")) {
            received += $0.count
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(received == 400_000)
        #expect(elapsed >= 0.17 && elapsed < 2, "\(elapsed)")
        #expect(registry.statistics.bytesSent >= 400_000)
        let stats = try await makeClient(for: registry).document(
            registry.baseURL.appendingPathComponent("-/loopback/stats"), accept: "application/json", cacheable: false)
        let decoded = try JSONSerialization.jsonObject(with: stats) as? [String: Any]
        #expect((decoded?["bytesSent"] as? Int ?? 0) >= 400_000)
    }

    @Test func connectionsPerHostAreBounded() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.shaping = NetworkShaping(responseDelay: 0.02)
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.maxConcurrentRequests = 64
        configuration.maxConnectionsPerHost = 3
        let client = RegistryClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 { group.addTask { _ = try await client.packument(name: "ms", abbreviated: true) } }
            try await group.waitForAll()
        }
        #expect(registry.connectionCount <= 3)
        #expect(registry.requestCount(matching: "/ms") == 24)
    }

    @Test func retryAfterPausesTheHostInsteadOfAStorm() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.inject(.status(429, headers: ["Retry-After": "1"]), on: "/ms", times: 1)
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 5)
        configuration.maxConnectionsPerHost = 1
        let client = RegistryClient(configuration: configuration)
        let start = Date()
        let all = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await client.packument(name: "ms", abbreviated: true) } }
                try await group.waitForAll()
            }
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        // Half-way through the Retry-After, nothing else has been sent to the host.
        #expect(registry.requests.count == 1)
        try await all.value
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.95, "\(elapsed)")
        #expect(registry.requestCount(matching: "/ms") == 9)
        #expect(registry.requests.filter { $0.status == 429 }.count == 1)
    }
}
