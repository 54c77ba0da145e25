import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A plain HTTP registry reader (URLSession), used until the `Registry` module's client is wired in.
///
/// With `offline`, only loopback registries (127.0.0.1, ::1, localhost) are contacted.
public struct HTTPRegistryAccess: RegistryAccess {
    public let baseURL: URL
    /// Whether only loopback hosts may be contacted.
    public let offline: Bool

    /// Makes the stage. `baseURL` is the registry root (`https://registry.npmjs.org/`).
    public init(baseURL: URL, offline: Bool) {
        var text = baseURL.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        self.baseURL = URL(string: text) ?? baseURL
        self.offline = offline
    }

    public func packument(name: String) async throws -> Data {
        let escaped = name.replacingOccurrences(of: "/", with: "%2f")
        let url = baseURL.absoluteString + escaped
        guard let data = try await fetch(url) else {
            throw VerificationError.registry(url: url, problem: "404 Not Found: no package \(name) on this registry")
        }
        return data
    }

    public func keys() async throws -> Data? {
        try await fetch(baseURL.absoluteString + "-/npm/v1/keys")
    }

    public func fetch(_ url: String) async throws -> Data? {
        guard let target = URL(string: url), let host = target.host else {
            throw VerificationError.registry(url: url, problem: "not an absolute URL")
        }
        if offline, !["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) {
            throw VerificationError.registry(url: url, problem: "--offline: only a loopback registry may be contacted")
        }
        var request = URLRequest(url: target)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else {
            throw VerificationError.registry(url: url, problem: "not an HTTP response")
        }
        if http.statusCode == 404 { return nil }
        guard (200..<300).contains(http.statusCode) else {
            throw VerificationError.registry(url: url, problem: "HTTP \(http.statusCode)")
        }
        return data
    }
}

/// A trust stage that verifies nothing and says so: every trust check is `skipped`, and no provenance identity is
/// produced (unverified facts never reach the source binding or the policy).
public struct UnavailableTrust: TrustVerifying {
    /// Why trust verification is unavailable.
    public var reason: String

    /// Makes the stage.
    public init(reason: String) { self.reason = reason }

    public func verify(packument: PackumentFacts, packumentData: Data, attestations: Data?, attestationsURL: String?,
                       keys: Data?, tarballSHA512Hex: String?) async -> TrustOutcome {
        TrustOutcome(
            signatures: .skipped(.trustSignatures, "Registry signatures", reason: reason),
            publishAttestation: .skipped(.trustPublishAttestation, "Publish attestation", reason: reason),
            provenance: .skipped(.trustProvenance, "Provenance attestation", reason: reason),
            identity: nil, publishAttestationVerified: false, provenanceInvalid: false)
    }
}

/// A rebuild stage that cannot rebuild and says so (the check is `skipped`).
public struct UnavailableRebuilder: Rebuilding {
    /// Why rebuilding is unavailable.
    public var reason: String

    /// Makes the stage.
    public init(reason: String) { self.reason = reason }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, nodeVersion: String?, registryTarball: Data) async throws -> RebuildComparison {
        throw Unavailable(description: reason)
    }
}
