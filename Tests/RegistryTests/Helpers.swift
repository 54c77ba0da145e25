import Foundation
import LoopbackRegistry
import Registry
import TestSupport

/// A fresh temporary folder, removed when the value is released.
final class TemporaryFolder: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-registry-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// A client for a loopback registry with fast retries (tests must not sleep long).
func makeClient(
    for registry: LoopbackRegistry, cache: URL? = nil, attempts: Int = 3, timeout: TimeInterval = 5,
    offline: Bool = false, token: String? = nil, concurrency: Int = 8
) -> RegistryClient {
    var configuration = RegistryConfiguration(registry: registry.baseURL)
    configuration.cacheDirectory = cache
    configuration.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 1)
    configuration.timeout = timeout
    configuration.offline = offline
    configuration.maxConcurrentRequests = concurrency
    if let token { configuration.credentials[RegistryConfiguration.nerfDart(registry.baseURL)] = .bearer(token) }
    return RegistryClient(configuration: configuration)
}

/// The fixture registry content, loaded once.
let fixtureContent: RegistryContent = {
    do { return try RegistryContent.fixtures(at: Fixtures.root) } catch { fatalError("fixtures: \(error)") }
}()

/// Runs `body` and returns the RegistryError it throws (nil when it succeeds or throws something else).
func registryError<T>(_ body: () async throws -> T) async -> RegistryError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RegistryError {
        return error
    } catch {
        return nil
    }
}
