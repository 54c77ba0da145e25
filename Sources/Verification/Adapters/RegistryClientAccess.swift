import Foundation
import Registry

/// Registry access through the `Registry` module's client (npmrc, auth, retries, ETag cache, offline cache).
public struct RegistryClientAccess: RegistryAccess {
    /// The client.
    public let client: RegistryClient

    /// Wraps a client.
    public init(client: RegistryClient) { self.client = client }

    public var baseURL: URL { client.configuration.registry }

    public func packument(name: String) async throws -> Data {
        do {
            return try await client.document(try client.packumentURL(name: name), accept: "application/json")
        } catch {
            throw VerificationError.registry(url: baseURL.absoluteString + name, problem: error.problem)
        }
    }

    public func fetch(_ url: String) async throws -> Data? {
        guard let target = URL(string: url) else {
            throw VerificationError.registry(url: url, problem: "not a URL")
        }
        do {
            if target.path.hasSuffix(".tgz") {
                var data = Data()
                try await client.tarball(from: target) { data.append($0) }
                return data
            }
            return try await client.document(target, accept: "application/json")
        } catch let error as RegistryError where error.code == .notFound {
            return nil
        } catch let error as RegistryError {
            throw VerificationError.registry(url: url, problem: error.problem)
        }
    }

    public var temporaryFolder: URL? { client.configuration.cacheDirectory?.appendingPathComponent("tmp") }

    public func downloadTarball(_ url: String, to file: URL) async throws -> Bool {
        try await downloadTarball(url, to: file, receiving: { _ in })
    }

    public func downloadTarball(_ url: String, to file: URL, receiving: @escaping @Sendable (URL) -> Void) async throws -> Bool {
        guard let target = URL(string: url) else {
            throw VerificationError.registry(url: url, problem: "not a URL")
        }
        do {
            try await client.tarball(from: target, to: file, receiving: receiving)
            return true
        } catch let error where error.code == .notFound {
            return false
        } catch {
            throw VerificationError.registry(url: url, problem: error.problem)
        }
    }

    public func keys() async throws -> Data? {
        do {
            return try await client.document(client.keysURL, accept: "application/json")
        } catch where error.status == 404 || error.status == 400 {
            return nil
        } catch {
            throw VerificationError.registry(url: client.keysURL.absoluteString, problem: error.problem)
        }
    }
}
