import Audit
import Foundation
import Lockfiles
import LoopbackRegistry
import NPMTrust
import Registry
import Testing
import TestSupport
@testable import Verification

/// Which packument an audit reads: the abbreviated one (signatures, attestations) unless a signing key has an
/// `expires` date (publish time needed) or a policy/rebuild needs the full manifest; `--json` evidence names it.
/// Also: keys and packuments are fetched side by side (an audit of many packages on a delayed registry takes a few
/// round trips, not one per package).
@Suite(.serialized) struct AuditPackumentChoiceTests {
    static func audit(_ content: RegistryContent, packages: [GeneratedPackage], delay: TimeInterval = 0,
                      concurrency: Int = 64) async throws -> (AuditReport, [RecordedRequest], TimeInterval) {
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        registry.shaping = NetworkShaping(responseDelay: delay)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL)
        let lockfile = try LockfileLoader.load(from: folder.url)
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.maxConcurrentRequests = concurrency
        configuration.maxConnectionsPerHost = concurrency
        let start = Date()
        let report = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(lockfile, options: AuditOptions(concurrency: concurrency, projectDirectory: folder.url))
        return (report, registry.requests, Date().timeIntervalSince(start))
    }

    static func packumentRequests(_ requests: [RecordedRequest]) -> [RecordedRequest] {
        requests.filter { !$0.path.hasPrefix("/-/") && !$0.path.contains("/-/") }
    }

    @Test func abbreviatedPackumentsSufficeWithoutExpiringKeys() async throws {
        let key = try TestSigningKey.generate()
        let packages = (1...5).map { GeneratedPackage(name: "abbr-\($0)") }
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: try TestSigningKey.generate())
        let (report, requests, _) = try await Self.audit(content, packages: packages)
        #expect(report.counts.verified == 5)
        let fetched = Self.packumentRequests(requests)
        #expect(fetched.count == 5)
        #expect(fetched.allSatisfy { $0.headers["accept"]?.hasPrefix("application/vnd.npm.install-v1+json") == true })
        for package in report.packages {
            #expect(package.checks.first { $0.id == .auditSource }?.evidence["packument"] == "abbreviated")
        }
    }

    @Test func anExpiringKeyFetchesTheFullPackumentForItsPublishTime() async throws {
        let key = try TestSigningKey.generate()
        let packages = (1...3).map { GeneratedPackage(name: "exp-\($0)") }
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: try TestSigningKey.generate())
        var entry = key.keysEntry
        entry["expires"] = "2099-01-01T00:00:00.000Z"
        content.keys = ["keys": [entry]]
        let (report, requests, _) = try await Self.audit(content, packages: packages)
        #expect(report.counts.verified == 3)
        let fetched = Self.packumentRequests(requests)
        // One abbreviated, then one full per package.
        #expect(fetched.count == 6)
        #expect(fetched.filter { $0.headers["accept"] == "application/json" }.count == 3)
        for package in report.packages {
            #expect(package.checks.first { $0.id == .auditSource }?.evidence["packument"] == "full")
        }

        // A key that expired before the publish time fails, as npm's EEXPIREDSIGNATUREKEY.
        entry["expires"] = "2000-01-01T00:00:00.000Z"
        content.keys = ["keys": [entry]]
        let (expired, _, _) = try await Self.audit(content, packages: packages)
        #expect(expired.counts.invalid == 3)
    }

    @Test func manyPackagesOnADelayedRegistryTakeAFewRoundTrips() async throws {
        let key = try TestSigningKey.generate()
        let packages = (1...40).map { GeneratedPackage(name: String(format: "rt-%02d", $0)) }
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: try TestSigningKey.generate())
        let delay = 0.2
        let (report, _, elapsed) = try await Self.audit(content, packages: packages, delay: delay, concurrency: 64)
        #expect(report.counts.verified == 40)
        // Connection setup + keys side by side with the packuments: about 2 delays (one by one it would be 41+).
        #expect(elapsed < delay * 5, "took \(elapsed) s at \(delay) s a round trip")
    }
}
