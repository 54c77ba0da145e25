import Configuration
import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport
@testable import Verification

/// Chaos at the verdict level (issue 8): the full pipeline verifying gundam-visor@1.0.1 against a loopback registry
/// that misbehaves on the tarball. Damaged or missing data must never give `verified`; benign faults (a transient
/// 503, a slow but complete body) must still verify. Every run ends within the configured timeouts.
@Suite(.serialized) struct PipelineChaosTests {
    struct Scenario: Sendable, CustomStringConvertible {
        let name: String
        let fault: Fault
        let times: Int?
        /// Whether the verdict may be `verified` (the complete, correct bytes arrive in the end).
        let mayVerify: Bool
        var description: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "one transient 503", fault: .status(503), times: 1, mayVerify: true),
        Scenario(name: "slow complete body", fault: .slowBody(chunkSize: 4096, interval: 0.05), times: nil, mayVerify: true),
        Scenario(name: "persistent 503", fault: .status(503), times: nil, mayVerify: false),
        Scenario(name: "truncated body", fault: .truncatedBody(keepingBytes: nil), times: nil, mayVerify: false),
        Scenario(name: "short Content-Length", fault: .wrongContentLength(delta: -10), times: nil, mayVerify: false),
        Scenario(name: "one changed byte", fault: .wrongBytes, times: nil, mayVerify: false),
        Scenario(name: "replaced body", fault: .replacedBody(Data(repeating: 0x1f, count: 4096)), times: nil, mayVerify: false),
        Scenario(name: "connection resets", fault: .connectionReset, times: nil, mayVerify: false),
    ]

    @Test(arguments: scenarios)
    func tarballFaultsNeverVerifyDamagedData(_ scenario: Scenario) async throws {
        let directory = try TemporaryDirectory()
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop(); directory.cleanup() }
        try DemoRegistryKey(directory: directory.url).sign(registry, name: "gundam-visor", version: "1.0.1")
        registry.inject(scenario.fault, on: "*.tgz", times: scenario.times)

        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 1)
        configuration.timeout = 2
        let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(registry: configuration, offline: true))
        let source = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        let clock = ContinuousClock()
        let start = clock.now
        let overall: String
        do {
            let result = try await pipeline.verify(VerificationRequest(
                spec: try PackageSpec(parsing: "gundam-visor@1.0.1"), source: .path(source), policy: policy,
                offline: true))
            overall = result.verdict.overall.rawValue
            if !scenario.mayVerify {
                #expect(result.verdict.overall != .verified, "\(scenario): verified on damaged data")
            } else {
                #expect(result.verdict.overall == .verified, "\(scenario): \(result.verdict.checks.filter { $0.status != .pass })")
            }
        } catch {
            overall = "error: \(error)"
            #expect(!scenario.mayVerify, "\(scenario): \(error)")
            #expect(!"\(error)".isEmpty)
        }
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(180), "\(scenario): \(elapsed)")  // generous: shared cores, sanitizers
        print("pipeline chaos \(scenario): \(overall) in \(elapsed)")
    }
}
