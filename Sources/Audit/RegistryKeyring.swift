import Foundation
import Lockfiles
import NPMTrust
import Registry
import Verification

/// The signing keys of every registry an audit touches, fetched once per registry (concurrent callers share
/// one request).
///
/// npm's public registry (`registry.npmjs.org`) uses the built-in keys; any other registry is asked at
/// `<registry>-/npm/v1/keys` (404/400 = it has no keys). A keys file (`--keys`) replaces the keys of the
/// default registry.
actor RegistryKeyring {
    /// What one registry's keys look-up gave.
    enum Outcome: Sendable {
        case available(RegistryKeysAvailability)
        case failed(String)
    }

    private let client: RegistryClient
    private let defaultKeys: RegistryKeysSource
    private var lookups: [String: Task<Outcome, Never>] = [:]

    init(client: RegistryClient, defaultKeys: RegistryKeysSource) {
        self.client = client
        self.defaultKeys = defaultKeys
    }

    /// The keys of `registry` (a base URL ending in `/`).
    func keys(for registry: URL) async -> Outcome {
        let key = registry.absoluteString
        if let existing = lookups[key] { return await existing.value }
        let client = self.client
        let isDefault = registry == client.configuration.registry
        let source = isDefault ? defaultKeys : .automatic
        let task = Task<Outcome, Never> {
            await Self.load(source: source, registry: registry, client: client)
        }
        lookups[key] = task
        return await task.value
    }

    private static func load(source: RegistryKeysSource, registry: URL, client: RegistryClient) async -> Outcome {
        do {
            return .available(try await RegistryKeysAvailability.load(source, registry: registry, client: client))
        } catch {
            return .failed("cannot get the registry keys of \(registry.absoluteString): \(error)")
        }
    }
}
