import Foundation

/// A full packument: the registry document `GET /<name>` with `Accept: application/json` (not the abbreviated
/// "corgi" form, which lacks `time`).
///
/// Decoding is tolerant: unknown fields are ignored, non-string `time` entries (such as `unpublished`) are skipped,
/// and a version whose manifest cannot be decoded is listed in ``invalidVersions`` instead of failing the whole
/// document. ``raw`` keeps the bytes as received.
public struct Packument: Sendable, Encodable {
    /// The package name (`@scope/name` for scoped packages).
    public var name: String
    /// `dist-tags` (for example `latest`).
    public var distTags: [String: String]
    /// Every version's manifest, by version string.
    public var versions: [String: PackageVersion]
    /// `time`: publish times by version, plus `created` and `modified` (ISO-8601 strings).
    public var time: [String: String]
    /// Versions present in the document whose manifest could not be decoded, with the problem.
    public var invalidVersions: [String: String]
    /// The document bytes as received.
    public var raw: Data

    /// Creates a packument value.
    public init(
        name: String, distTags: [String: String] = [:], versions: [String: PackageVersion] = [:],
        time: [String: String] = [:], invalidVersions: [String: String] = [:], raw: Data = Data()
    ) {
        self.name = name
        self.distTags = distTags
        self.versions = versions
        self.time = time
        self.invalidVersions = invalidVersions
        self.raw = raw
    }

    private enum CodingKeys: String, CodingKey {
        case name, versions, time, invalidVersions
        case distTags = "dist-tags"
    }

    /// Encodes the typed fields (`name`, `dist-tags`, `versions`, `time`, `invalidVersions`), not ``raw``.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(distTags, forKey: .distTags)
        try c.encode(versions, forKey: .versions)
        try c.encode(time, forKey: .time)
        if !invalidVersions.isEmpty { try c.encode(invalidVersions, forKey: .invalidVersions) }
    }

    /// Decodes a packument from `data` fetched from `url`.
    /// - Throws: ``RegistryError`` with code `.malformedResponse` naming `url` and the JSON problem.
    public static func decode(_ data: Data, from url: URL) throws(RegistryError) -> Packument {
        let document: RawJSON
        do { document = try RawJSON(parsing: data) } catch {
            throw RegistryError.malformed(url, problem: JSONProblem.describe(error))
        }
        guard case .object(let members) = document else {
            throw RegistryError.malformed(url, problem: "expected a JSON object, found \(document.kindName)")
        }
        guard let name = members["name"]?.stringValue else {
            throw RegistryError.malformed(url, problem: "packument has no string field \"name\"")
        }
        var distTags: [String: String] = [:]
        for (tag, value) in members["dist-tags"]?.objectValue ?? [:] {
            if let version = value.stringValue { distTags[tag] = version }
        }
        var time: [String: String] = [:]
        for (key, value) in members["time"]?.objectValue ?? [:] {
            if let stamp = value.stringValue { time[key] = stamp }
        }
        var versions: [String: PackageVersion] = [:]
        var invalid: [String: String] = [:]
        let decoder = JSONDecoder()
        for (version, manifest) in members["versions"]?.objectValue ?? [:] {
            do {
                var decoded = try decoder.decode(PackageVersion.self, from: manifest.encoded())
                decoded.raw = manifest
                versions[version] = decoded
            } catch {
                invalid[version] = JSONProblem.describe(error)
            }
        }
        return Packument(
            name: name, distTags: distTags, versions: versions, time: time, invalidVersions: invalid, raw: data)
    }
}

/// One version's manifest inside a packument (the published `package.json` plus registry fields).
public struct PackageVersion: Sendable, Codable {
    /// `name`.
    public var name: String
    /// `version`.
    public var version: String
    /// `dist`: where the tarball is and how to check it.
    public var dist: Dist
    /// `gitHead`: the commit npm recorded at publish time, if any.
    public var gitHead: String?
    /// `repository`, from either the string or the object form.
    public var repository: Repository?
    /// `_npmVersion`: the npm CLI version that published it.
    public var npmVersion: String?
    /// `_nodeVersion`: the Node.js version that published it.
    public var nodeVersion: String?
    /// `_npmUser`: the publishing account (with `approver` / `trustedPublisher` where present).
    public var npmUser: NPMUser?
    /// `scripts`.
    public var scripts: [String: String]?
    /// `bin`, normalized to a map (the string form maps the package's base name to the path).
    public var bin: [String: String]?
    /// `main`.
    public var main: String?
    /// `files`.
    public var files: [String]?
    /// The manifest as received (for fields without a typed property).
    public var raw: RawJSON = .null

    private enum CodingKeys: String, CodingKey {
        case name, version, dist, gitHead, repository, scripts, bin, main, files
        case npmVersion = "_npmVersion"
        case nodeVersion = "_nodeVersion"
        case npmUser = "_npmUser"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        dist = try c.decode(Dist.self, forKey: .dist)
        gitHead = try? c.decodeIfPresent(String.self, forKey: .gitHead)
        repository = try? c.decodeIfPresent(Repository.self, forKey: .repository)
        npmVersion = try? c.decodeIfPresent(String.self, forKey: .npmVersion)
        nodeVersion = try? c.decodeIfPresent(String.self, forKey: .nodeVersion)
        npmUser = try? c.decodeIfPresent(NPMUser.self, forKey: .npmUser)
        scripts = (try? c.decodeIfPresent([String: RawJSON].self, forKey: .scripts))?.compactMapValues(\.stringValue)
        if let single = try? c.decodeIfPresent(String.self, forKey: .bin) {
            let base = name.split(separator: "/").last.map(String.init) ?? name
            bin = [base: single]
        } else {
            bin = (try? c.decodeIfPresent([String: RawJSON].self, forKey: .bin))?.compactMapValues(\.stringValue)
        }
        main = try? c.decodeIfPresent(String.self, forKey: .main)
        files = (try? c.decodeIfPresent([RawJSON].self, forKey: .files))?.compactMap(\.stringValue)
    }

    /// Encodes the typed fields under their registry names (``raw`` is not encoded).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(dist, forKey: .dist)
        try c.encodeIfPresent(gitHead, forKey: .gitHead)
        try c.encodeIfPresent(repository, forKey: .repository)
        try c.encodeIfPresent(npmVersion, forKey: .npmVersion)
        try c.encodeIfPresent(nodeVersion, forKey: .nodeVersion)
        try c.encodeIfPresent(npmUser, forKey: .npmUser)
        try c.encodeIfPresent(scripts, forKey: .scripts)
        try c.encodeIfPresent(bin, forKey: .bin)
        try c.encodeIfPresent(main, forKey: .main)
        try c.encodeIfPresent(files, forKey: .files)
    }
}

/// `dist` of a version.
public struct Dist: Sendable, Codable, Hashable {
    /// `integrity`: SRI string (may hold several hashes), absent on very old versions.
    public var integrity: String?
    /// `shasum`: legacy sha1 hex.
    public var shasum: String?
    /// `tarball`: absolute URL of the tarball.
    public var tarball: String
    /// `signatures`: registry ECDSA signatures over `"<name>@<version>:<integrity>"`.
    public var signatures: [DistSignature]?
    /// `attestations`: where the Sigstore attestations are and which provenance predicate they hold.
    public var attestations: DistAttestations?

    /// Creates a value.
    public init(
        integrity: String? = nil, shasum: String? = nil, tarball: String, signatures: [DistSignature]? = nil,
        attestations: DistAttestations? = nil
    ) {
        self.integrity = integrity
        self.shasum = shasum
        self.tarball = tarball
        self.signatures = signatures
        self.attestations = attestations
    }

    private enum CodingKeys: String, CodingKey { case integrity, shasum, tarball, signatures, attestations }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tarball = try c.decode(String.self, forKey: .tarball)
        integrity = try c.decodeIfPresent(String.self, forKey: .integrity)
        shasum = try c.decodeIfPresent(String.self, forKey: .shasum)
        signatures = try c.decodeIfPresent([DistSignature].self, forKey: .signatures)
        attestations = try c.decodeIfPresent(DistAttestations.self, forKey: .attestations)
    }
}

/// One `dist.signatures` entry.
public struct DistSignature: Sendable, Codable, Hashable {
    /// The signing key's id (`SHA256:<base64>`), matched against ``RegistryKey/keyid``.
    public var keyid: String
    /// Base64 DER ECDSA signature.
    public var sig: String

    /// Creates a value.
    public init(keyid: String, sig: String) {
        self.keyid = keyid
        self.sig = sig
    }
}

/// `dist.attestations`.
public struct DistAttestations: Sendable, Codable, Hashable {
    /// Absolute URL of the attestations document (only its path is used; see
    /// ``RegistryClient/attestations(url:)``).
    public var url: String
    /// `provenance`, present when a SLSA provenance attestation exists.
    public var provenance: Provenance?

    /// `dist.attestations.provenance`.
    public struct Provenance: Sendable, Codable, Hashable {
        /// The SLSA predicate type, e.g. `https://slsa.dev/provenance/v1`.
        public var predicateType: String

        /// Creates a value.
        public init(predicateType: String) { self.predicateType = predicateType }
    }

    /// Creates a value.
    public init(url: String, provenance: Provenance? = nil) {
        self.url = url
        self.provenance = provenance
    }
}

/// `repository`, normalized from the string shorthand or the object form.
public struct Repository: Sendable, Codable, Hashable {
    /// `type` (usually `git`); `nil` for the string form.
    public var type: String?
    /// `url` as written (may be a shorthand such as `github:owner/repo`).
    public var url: String
    /// `directory` inside a monorepo.
    public var directory: String?

    /// Creates a value.
    public init(type: String? = nil, url: String, directory: String? = nil) {
        self.type = type
        self.url = url
        self.directory = directory
    }

    private enum CodingKeys: String, CodingKey { case type, url, directory }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer().decode(String.self) {
            self.init(url: single)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            type: try? c.decodeIfPresent(String.self, forKey: .type), url: try c.decode(String.self, forKey: .url),
            directory: try? c.decodeIfPresent(String.self, forKey: .directory))
    }
}

/// `_npmUser`: who published (after a staged approval, the approving human).
public struct NPMUser: Sendable, Codable, Hashable {
    /// Account name.
    public var name: String?
    /// Account e-mail.
    public var email: String?
    /// `approver`: present when the version was published through a staged approval (shape kept raw).
    public var approver: RawJSON?
    /// `trustedPublisher`: present when published with OIDC trusted publishing (shape kept raw).
    public var trustedPublisher: RawJSON?

    private enum CodingKeys: String, CodingKey { case name, email, approver, trustedPublisher }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try? c.decodeIfPresent(String.self, forKey: .name)
        email = try? c.decodeIfPresent(String.self, forKey: .email)
        approver = try? c.decodeIfPresent(RawJSON.self, forKey: .approver)
        trustedPublisher = try? c.decodeIfPresent(RawJSON.self, forKey: .trustedPublisher)
    }

    /// Creates a value.
    public init(name: String?, email: String? = nil, approver: RawJSON? = nil, trustedPublisher: RawJSON? = nil) {
        self.name = name
        self.email = email
        self.approver = approver
        self.trustedPublisher = trustedPublisher
    }
}

/// `GET /-/npm/v1/keys`.
public struct RegistryKeysResponse: Sendable, Codable, Hashable {
    /// The registry's public keys.
    public var keys: [RegistryKey]

    /// Creates a value.
    public init(keys: [RegistryKey]) { self.keys = keys }
}

/// One registry signing key.
public struct RegistryKey: Sendable, Codable, Hashable {
    /// ISO-8601 expiry, or `nil` for a key without expiry.
    public var expires: String?
    /// `SHA256:<base64>` id (matched as a string against ``DistSignature/keyid``).
    public var keyid: String
    /// `ecdsa-sha2-nistp256`.
    public var keytype: String
    /// `ecdsa-sha2-nistp256`.
    public var scheme: String
    /// Base64 DER SubjectPublicKeyInfo.
    public var key: String

    /// Creates a value.
    public init(expires: String?, keyid: String, keytype: String, scheme: String, key: String) {
        self.expires = expires
        self.keyid = keyid
        self.keytype = keytype
        self.scheme = scheme
        self.key = key
    }
}

/// `GET /-/npm/v1/attestations/<name>@<version>`.
public struct AttestationsResponse: Sendable {
    /// The attestations, in document order.
    public var attestations: [Attestation]
    /// The document bytes as received.
    public var raw: Data

    /// One attestation: a predicate type and a Sigstore bundle.
    public struct Attestation: Sendable {
        /// For example `https://slsa.dev/provenance/v1` or
        /// `https://github.com/npm/attestation/tree/main/specs/publish/v0.1`.
        public var predicateType: String
        /// The Sigstore bundle as a JSON value.
        public var bundle: RawJSON
        /// The bundle re-encoded as JSON bytes (sorted keys; every signed field in a bundle is a string, so this is
        /// equivalent to the original for verification).
        public var bundleJSON: Data { bundle.encoded() }

        /// Creates a value.
        public init(predicateType: String, bundle: RawJSON) {
            self.predicateType = predicateType
            self.bundle = bundle
        }
    }

    /// Decodes the document fetched from `url`.
    /// - Throws: ``RegistryError`` `.malformedResponse` naming `url` and the problem.
    public static func decode(_ data: Data, from url: URL) throws(RegistryError) -> AttestationsResponse {
        let document: RawJSON
        do { document = try RawJSON(parsing: data) } catch {
            throw RegistryError.malformed(url, problem: JSONProblem.describe(error))
        }
        guard let list = document["attestations"]?.arrayValue else {
            throw RegistryError.malformed(url, problem: "no array field \"attestations\"")
        }
        var result: [Attestation] = []
        for (index, entry) in list.enumerated() {
            guard let type = entry["predicateType"]?.stringValue, let bundle = entry["bundle"],
                bundle.objectValue != nil
            else {
                throw RegistryError.malformed(
                    url, problem: "attestations[\(index)] needs a string \"predicateType\" and an object \"bundle\"")
            }
            result.append(Attestation(predicateType: type, bundle: bundle))
        }
        return AttestationsResponse(attestations: result, raw: data)
    }
}

/// One staged publish (`GET /-/stage/<id>` or an item of `GET /-/stage?package=`).
public struct StageItem: Sendable, Codable, Hashable {
    /// The stage id (a UUID).
    public var id: String
    /// The package name.
    public var packageName: String
    /// The staged version.
    public var version: String
    /// The dist-tag it gets on approval.
    public var tag: String?
    /// ISO-8601 creation time.
    public var createdAt: String?
    /// Who staged it.
    public var actor: String?
    /// `user` or the OIDC identity kind.
    public var actorType: String?
    /// sha1 hex of the staged tarball.
    public var shasum: String?
    /// `public` / `restricted`.
    public var access: String?
    /// The item as received (for fields without a typed property).
    public var raw: RawJSON = .null

    private enum CodingKeys: String, CodingKey {
        case id, packageName, version, tag, createdAt, actor, actorType, shasum, access
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        packageName = try c.decode(String.self, forKey: .packageName)
        version = try c.decode(String.self, forKey: .version)
        tag = try? c.decodeIfPresent(String.self, forKey: .tag)
        createdAt = try? c.decodeIfPresent(String.self, forKey: .createdAt)
        actor = try? c.decodeIfPresent(String.self, forKey: .actor)
        actorType = try? c.decodeIfPresent(String.self, forKey: .actorType)
        shasum = try? c.decodeIfPresent(String.self, forKey: .shasum)
        access = try? c.decodeIfPresent(String.self, forKey: .access)
        raw = (try? RawJSON(from: decoder)) ?? .null
    }

    /// Encodes the item as received (``raw``), or the typed fields when there is no raw form.
    public func encode(to encoder: any Encoder) throws {
        if raw != .null {
            try raw.encode(to: encoder)
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(packageName, forKey: .packageName)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(tag, forKey: .tag)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(actor, forKey: .actor)
        try c.encodeIfPresent(actorType, forKey: .actorType)
        try c.encodeIfPresent(shasum, forKey: .shasum)
        try c.encodeIfPresent(access, forKey: .access)
    }
}

/// One page of `GET /-/stage?package=`.
struct StagePage: Decodable {
    var items: [StageItem]
    var total: Int?
    var page: Int?
    var perPage: Int?
}

extension RawJSON {
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Turns decoding errors into short, readable problem statements.
enum JSONProblem {
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "document" : String(text.drop(while: { $0 == "." }))
        }
        switch decoding {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "invalid JSON: \(underlying ?? context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(let type, let context):
            return "wrong type at \(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "null at \(path(context)): expected \(type)"
        @unknown default:
            return "\(decoding)"
        }
    }
}
