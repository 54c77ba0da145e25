import Foundation
import LoopbackRegistry
import Registry

/// A loopback registry that requires a bearer token, and a registry client that sends it (the watch and staged
/// tests: npm's stage endpoints need a token).
public enum TokenRegistry {
    /// The token the registry requires.
    public static let token = "watch-test-token"

    /// Serves `content`, requiring ``token``.
    public static func registry(_ content: RegistryContent) throws -> LoopbackRegistry {
        var content = content
        content.requiredToken = token
        return try LoopbackRegistry(content: content)
    }

    /// A client for `registry` that sends ``token``, tries once, and gives up after 5 seconds.
    public static func client(_ registry: LoopbackRegistry) -> RegistryClient {
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.credentials[RegistryConfiguration.nerfDart(registry.baseURL)] = .bearer(token)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.timeout = 5
        return RegistryClient(configuration: configuration)
    }
}
