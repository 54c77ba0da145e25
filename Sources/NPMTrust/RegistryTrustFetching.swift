import Digest
import Foundation
import Registry

/// Where registry signing keys come from.
public enum RegistryKeysSource: Sendable, Hashable {
    /// The built-in npm keys for registry.npmjs.org; any other registry is asked (``registry``).
    case automatic
    /// Always the built-in npm public-registry keys.
    case builtInNPM
    /// A keys file in the `GET /-/npm/v1/keys` shape (`--keys`).
    case file(URL)
    /// The registry's `GET /-/npm/v1/keys`; 404/400 means it has no keys.
    case registry
}

extension RegistryKeysSource {
    /// Whether this source needs `registry`'s `GET /-/npm/v1/keys` document.
    public func needsRegistryDocument(for registry: URL) -> Bool {
        switch self {
        case .builtInNPM, .file: false
        case .automatic: !RegistryKeysAvailability.isNPMPublicRegistry(registry)
        case .registry: true
        }
    }
}

extension RegistryKeysAvailability {
    /// Whether `registry` is npm's public registry (whose keys are built in).
    public static func isNPMPublicRegistry(_ registry: URL) -> Bool {
        registry.host?.lowercased() == "registry.npmjs.org"
    }

    /// The one key-source choice in provcheck: the built-in npm keys for registry.npmjs.org (`automatic`) or on
    /// request (`builtInNPM`), a keys file (`file`), else `registry`'s keys `document` (`nil`: it answered 404/400,
    /// so it has no keys). `documentSource` names the document in errors.
    /// - Throws: ``RegistryKeyError`` for an unreadable or bad keys file or document.
    public static func choose(_ source: RegistryKeysSource, registry: URL, document: Data?,
                              documentSource: String) throws -> RegistryKeysAvailability {
        switch source {
        case .builtInNPM:
            return .keys(.npmPublicRegistry)
        case .automatic where isNPMPublicRegistry(registry):
            return .keys(.npmPublicRegistry)
        case .file(let url):
            let data: Data
            do {
                data = try InputFile.read(url)
            } catch {
                throw RegistryKeyError(source: url.path, keyid: nil, problem: .unreadable("the file \(error.problem)"))
            }
            return .keys(try TrustedRegistryKeys(json: data, source: url.path))
        case .automatic, .registry:
            guard let document else { return .registryHasNoKeys(source: documentSource) }
            return .keys(try TrustedRegistryKeys(json: document, source: documentSource))
        }
    }

    /// Loads the keys from `source` for `registry` (default: `client`'s registry), fetching its keys document
    /// through `client` only when ``RegistryKeysSource/needsRegistryDocument(for:)``.
    ///
    /// - Throws: ``RegistryKeyError`` for a bad keys document (file or response, key ids are checked),
    ///   ``Registry/RegistryError`` when the registry cannot be reached.
    public static func load(_ source: RegistryKeysSource, registry: URL? = nil,
                            client: RegistryClient) async throws -> RegistryKeysAvailability {
        let registry = registry ?? client.configuration.registry
        let url = client.keysURL(registry: registry)
        var document: Data?
        if source.needsRegistryDocument(for: registry) {
            let fetched: Result<Data, RegistryError>
            do { fetched = .success(try await client.document(url, accept: "application/json")) } catch {
                fetched = .failure(error)
            }
            switch fetched {
            case .success(let data): document = data
            case .failure(let error):
                // 404/400: the registry has no keys (as npm treats it).
                guard error.status == 404 || error.status == 400 else { throw error }
            }
        }
        return try choose(source, registry: registry, document: document, documentSource: url.absoluteString)
    }
}

extension RegistryTrustVerifier {
    /// Fetches `name@version`'s packument and attestations through `client` and verifies them.
    ///
    /// A malformed attestations response is reported as a failed check (not thrown), so the report says what
    /// was wrong; an unreachable registry is thrown.
    ///
    /// - Parameters:
    ///   - name: the package name (`@scope/name` allowed).
    ///   - version: an exact version present in the packument.
    ///   - client: the registry client (its configured registry serves the attestations).
    ///   - keys: the registry keys (see ``RegistryKeysAvailability/load(_:client:)``).
    /// - Throws: ``Registry/RegistryError`` (network, missing package), ``PackumentEvidenceError`` (no such
    ///   version, no integrity).
    public func verify(name: String, version: String, client: RegistryClient,
                       keys: RegistryKeysAvailability) async throws -> TrustReport {
        let packument = try await client.packument(name: name)
        let evidence = try PackageVersionEvidence(packument: packument, version: version,
                                                  source: try client.packumentURL(name: name).absoluteString)
        return try await verify(evidence, client: client, keys: keys)
    }

    /// Fetches the attestations `evidence` announces through `client` and verifies everything.
    public func verify(_ evidence: PackageVersionEvidence, client: RegistryClient,
                       keys: RegistryKeysAvailability) async throws -> TrustReport {
        guard let pointer = evidence.attestations else {
            return verify(evidence, keys: keys, attestations: .notAnnounced)
        }
        let fetched: Result<AttestationsResponse?, RegistryError>
        do {
            fetched = .success(try await client.attestations(url: pointer.url))
        } catch {
            fetched = .failure(error)
        }
        switch fetched {
        case .success(nil):
            return verify(evidence, keys: keys, attestations: .notFound(url: pointer.url))
        case .success(let response?):
            let envelopes = response.attestations.map {
                AttestationEnvelope(predicateType: $0.predicateType, bundle: $0.bundleJSON)
            }
            return verify(evidence, keys: keys, attestations: .fetched(envelopes))
        case .failure(let error) where error.code == .malformedResponse:
            let malformed = AttestationCheck(
                predicateType: pointer.provenancePredicateType ?? "attestations", status: .malformed,
                reason: "the attestations response is malformed: \(error)")
            return TrustReport(evidence: evidence, signatures: RegistrySignatureVerifier.verify(evidence, keys: keys),
                               attestations: [malformed])
        case .failure(let error):
            throw error
        }
    }
}
