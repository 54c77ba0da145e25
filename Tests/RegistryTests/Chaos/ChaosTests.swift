import Digest
import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

/// Chaos runs against the loopback registry (issue 8): seeded random faults on the packument and the tarball.
/// Every iteration must end in a RegistryError or in data whose integrity check gives the right answer: never a
/// hang past the configured timeouts, never a passing integrity check on partial or altered bytes.
/// `PROVCHECK_CHAOS_ITERATIONS` scales the run (default 40, a few seconds).
@Suite(.serialized) struct ChaosTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["PROVCHECK_CHAOS_ITERATIONS"] ?? "") ?? 40
    static let timeout: TimeInterval = 1
    static let attempts = 2

    /// The fault catalogue; `damagesBody` marks the ones that deliver a complete-looking but wrong body (which only
    /// the integrity check can catch).
    static func randomFault(_ rng: inout SplitMix64, bodySize: Int) -> (fault: Fault, damagesBody: Bool) {
        switch rng.next() % 10 {
        case 0: return (.delay(seconds: [0.05, 0.3, 1.6][Int(rng.next() % 3)]), false)
        case 1: return (.connectionReset, false)
        case 2: return (.closeWithoutResponse, false)
        case 3: return (.slowBody(chunkSize: max(1, bodySize / 4), interval: [0.01, 0.2, 1.5][Int(rng.next() % 3)]), false)
        case 4: return (.status([500, 502, 503, 504, 429][Int(rng.next() % 5)]), false)
        case 5:
            // A short Content-Length is a complete HTTP message to the client (the extra bytes are discarded), so
            // it delivers a cut body without a transport error: only the integrity check can catch it.
            let delta = [-100, -1, 1, 4096][Int(rng.next() % 4)]
            return (.wrongContentLength(delta: delta), delta < 0)
        case 6: return (.truncatedBody(keepingBytes: [nil, 0, 1, bodySize - 1][Int(rng.next() % 4)]), false)
        case 7: return (.wrongBytes, true)
        case 8: return (.replacedBody(Data(bodySize > 100 ? [0x1f, 0x8b] + [UInt8](repeating: 7, count: 98) : [1])), true)
        default: return (.status(500, body: Data("{\"error\":\"boom\"}".utf8)), false)
        }
    }

    /// The longest one fault can legitimately hold a request: a delay or a slow body that keeps sending within the
    /// idle timeout runs to its end; anything that stalls is cut by the idle timeout.
    static func worstCase(_ fault: Fault?, bodySize: Int) -> Double {
        switch fault {
        case .none: return 0
        case .delay(let seconds)?: return min(seconds, timeout)
        case .slowBody(let chunkSize, let interval)?:
            return interval >= timeout ? timeout : Double((bodySize + chunkSize - 1) / chunkSize) * interval
        default: return timeout
        }
    }

    /// The time budget of one request: every attempt may take the fault's worst case plus one idle timeout.
    static func budget(_ fault: Fault?, bodySize: Int) -> Double {
        Double(attempts) * (worstCase(fault, bodySize: bodySize) + timeout) + 0.5
    }

    @Test func randomFaultsNeverYieldAPassingIntegrityOnBadData() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let expected = try Fixtures.data("npm/tarballs/abbrev@1.1.1.tgz")
        let packumentSize = try await makeClient(for: registry).packument(name: "abbrev").raw.count
        let clock = ContinuousClock()
        var rng = SplitMix64(seed: 0xC4A05)
        var outcomes: [String: Int] = [:]

        for iteration in 0..<Self.iterations {
            registry.removeFaults()
            let packumentFault = rng.next() % 3 == 0 ? Self.randomFault(&rng, bodySize: packumentSize) : nil
            let tarballFault = Self.randomFault(&rng, bodySize: expected.count)
            let times = Int(rng.next() % 3) + 1  // 1 = recovers on retry, 3 = outlasts the retries
            if let packumentFault { registry.inject(packumentFault.fault, on: "/abbrev", times: times) }
            registry.inject(tarballFault.fault, on: "/abbrev/-/*", times: times)
            let label = "#\(iteration) packument \(packumentFault.map { "\($0.fault)" } ?? "ok"), tarball \(tarballFault.fault) ×\(times)"
            let client = makeClient(for: registry, attempts: Self.attempts, timeout: Self.timeout)

            let start = clock.now
            let outcome: String
            do {
                let packument = try await client.packument(name: "abbrev")
                let version = try #require(packument.versions["1.1.1"], "\(label)")
                let integrity = try Integrity(try #require(version.dist.integrity))
                let destination = folder.file("abbrev-\(iteration).tgz")
                try await client.tarball(from: URL(string: version.dist.tarball)!, to: destination)
                let downloaded = try Data(contentsOf: destination)
                let check = integrity.verify(data: downloaded)
                if check.ok {
                    #expect(downloaded == expected, "\(label): integrity passed on different bytes")
                    outcome = "verified"
                } else {
                    #expect(downloaded != expected, "\(label): integrity failed on the right bytes")
                    #expect(tarballFault.damagesBody, "\(label): a transport fault delivered bad bytes without an error")
                    outcome = "integrity-mismatch"
                }
            } catch let error as RegistryError {
                #expect(error.url != nil, "\(label): \(error)")
                #expect(!error.description.isEmpty)
                outcome = "error:\(error.code.rawValue)"
            } catch {
                Issue.record("\(label): unexpected error type \(type(of: error)): \(error)")
                outcome = "other"
            }
            let elapsed = clock.now - start
            // Never past the configured timeouts. The slack (×2 + 20 s) absorbs starvation on shared CI cores and
            // under sanitizers (other tests' synchronous work occupies the cooperative pool); a hang still fails.
            let budget = Self.budget(packumentFault?.fault, bodySize: packumentSize)
                + Self.budget(tarballFault.fault, bodySize: expected.count)
            #expect(elapsed < .seconds(budget * 2 + 20), "\(label): took \(elapsed), budget \(budget) s")
            outcomes[outcome, default: 0] += 1
        }
        // The seed must exercise both the success and the failure side.
        #expect(outcomes["verified", default: 0] > 0, "\(outcomes)")
        #expect(outcomes.keys.contains { $0.hasPrefix("error:") }, "\(outcomes)")
        print("chaos outcomes over \(Self.iterations) iterations: \(outcomes.sorted { $0.key < $1.key })")
    }

    @Test func truncatedTarballsAlwaysFail() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let size = try Fixtures.data("npm/tarballs/abbrev@1.1.1.tgz").count
        for keep in [0, 1, 511, size / 2, size - 1] {
            registry.removeFaults()
            registry.inject(.truncatedBody(keepingBytes: keep), on: "/abbrev/-/*")
            let client = makeClient(for: registry, attempts: 2, timeout: Self.timeout)
            let url = URL(string: registry.baseURL.absoluteString + "abbrev/-/abbrev-1.1.1.tgz")!
            let error = await registryError { try await client.tarball(from: url, to: folder.file("t-\(keep).tgz")) }
            #expect(error != nil, "kept \(keep) of \(size) bytes and succeeded")
            #expect(!FileManager.default.fileExists(atPath: folder.file("t-\(keep).tgz").path), "partial file left behind")
            // The streaming API must not hand a partial body to its consumer either.
            var consumed = 0
            let streamError = await registryError {
                try await client.tarball(from: url) { consumed += $0.count }
            }
            #expect(streamError != nil)
            #expect(consumed == 0, "consumer saw \(consumed) bytes of a truncated body")
        }
    }

    @Test func packumentChangingBetweenRequestsIsCaughtByIntegrity() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let client = makeClient(for: registry, attempts: 1, timeout: Self.timeout)
        let first = try await client.packument(name: "abbrev")
        let firstVersion = try #require(first.versions["1.1.1"])
        let pinned = try Integrity(try #require(firstVersion.dist.integrity))

        // Between the two requests the registry swaps the tarball and re-publishes a matching integrity.
        let evil = try Fixtures.data("npm/tarballs/abbrev@2.0.0.tgz")
        registry.update { content in
            content.replaceTarball(name: "abbrev", version: "1.1.1", with: evil)
            content.updateVersion(name: "abbrev", version: "1.1.1") { manifest in
                manifest["dist"]?["integrity"] = .string(Hashing.digests(of: evil, algorithms: [.sha512]).sri(.sha512)!)
            }
        }
        let second = try await client.packument(name: "abbrev")
        #expect(second.versions["1.1.1"]?.dist.integrity != firstVersion.dist.integrity, "the change is visible")
        let destination = folder.file("changed.tgz")
        try await client.tarball(from: URL(string: firstVersion.dist.tarball)!, to: destination)
        let downloaded = try Data(contentsOf: destination)
        // Checked against what was pinned first: a mismatch, never a pass.
        #expect(!pinned.verify(data: downloaded).ok)
    }

    @Test func burstsOf5xxEndInBoundedTime() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let clock = ContinuousClock()
        for (index, status) in [500, 502, 503, 504].enumerated() {
            registry.removeFaults()
            registry.inject(.status(status), on: "/abbrev", times: index + 1)
            let client = makeClient(for: registry, attempts: 3, timeout: Self.timeout)
            let start = clock.now
            let result = await registryError { try await client.packument(name: "abbrev") }
            if index + 1 < 3 {
                #expect(result == nil, "\(status) ×\(index + 1) should recover within 3 attempts")
            } else {
                #expect(result?.code == .httpStatus && result?.status == status, "\(String(describing: result))")
            }
            #expect(clock.now - start < .seconds(40))
        }
    }
}

