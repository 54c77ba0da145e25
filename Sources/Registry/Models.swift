import Foundation
import JSON

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
    /// Whether this is npm's abbreviated packument (asked for with
    /// `Accept: application/vnd.npm.install-v1+json` and served without `time`): every version's `dist`
    /// (integrity, signatures, attestations) and dependencies, but no publish times, `repository`, `_npmUser`,
    /// `gitHead` or readme. `false` for the full document (also when a registry answered an abbreviated request
    /// with the full one).
    public var isAbbreviated: Bool = false

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
        return try decode(document: RegistryDocument.parse(data, from: url), from: url, raw: data)
    }

    /// Reads a packument already parsed with provcheck's JSON parser (so a caller that needs the document for
    /// other facts parses it once); `raw` is kept as ``raw``.
    /// - Throws: ``RegistryError`` with code `.malformedResponse` naming `url` and the problem.
    public static func decode(document: RawJSON, from url: URL, raw data: Data = Data()) throws(RegistryError) -> Packument {
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
        for (version, manifest) in members["versions"]?.objectValue ?? [:] {
            do {
                let decoded = try PackageVersion(json: manifest)
                // A manifest filed under another name or version is not trusted (fail closed).
                guard decoded.version == version, decoded.name == name else {
                    invalid[version] = "manifest under versions[\"\(version)\"] is for \(decoded.name)@\(decoded.version)"
                    continue
                }
                versions[version] = decoded
            } catch {
                invalid[version] = error.message
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

    /// Reads a manifest. `name`, `version` and `dist` (see ``Dist/init(json:)``) are required; other fields of an
    /// unexpected type are ignored.
    /// - Throws: ``ModelProblem`` naming the field.
    public init(json: RawJSON) throws(ModelProblem) {
        let fields = try FieldReader(json, what: "manifest")
        name = try fields.requiredString("name")
        version = try fields.requiredString("version")
        guard let distJSON = fields.object["dist"] else { throw ModelProblem("missing field \"dist\"") }
        dist = try Dist(json: distJSON)
        gitHead = fields.lenientString("gitHead")
        repository = fields.object["repository"].flatMap { try? Repository(json: $0) }
        npmVersion = fields.lenientString("_npmVersion")
        nodeVersion = fields.lenientString("_nodeVersion")
        npmUser = fields.object["_npmUser"].flatMap { try? NPMUser(json: $0) }
        scripts = fields.object["scripts"]?.objectValue?.compactMapValues(\.stringValue)
        if let single = fields.lenientString("bin") {
            let base = name.split(separator: "/").last.map(String.init) ?? name
            bin = [base: single]
        } else {
            bin = fields.object["bin"]?.objectValue?.compactMapValues(\.stringValue)
        }
        main = fields.lenientString("main")
        files = fields.object["files"]?.arrayValue?.compactMap(\.stringValue)
        raw = json
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: RawJSON(from: decoder), decoder: decoder)
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

    /// Reads `dist`: `tarball` is required; `integrity`, `shasum`, `signatures` and `attestations` must have the
    /// documented types when present (a wrongly typed security field is an error, not ignored).
    /// - Throws: ``ModelProblem`` naming the field.
    public init(json: RawJSON) throws(ModelProblem) {
        let fields = try FieldReader(json, what: "dist")
        tarball = try fields.requiredString("tarball")
        integrity = try fields.optionalString("integrity")
        shasum = try fields.optionalString("shasum")
        if let list = fields.object["signatures"], list != .null {
            guard let entries = list.arrayValue else { throw ModelProblem("dist.signatures is not an array") }
            var parsed: [DistSignature] = []
            for (index, entry) in entries.enumerated() {
                let signature = try FieldReader(entry, what: "dist.signatures[\(index)]")
                parsed.append(DistSignature(keyid: try signature.requiredString("keyid"), sig: try signature.requiredString("sig")))
            }
            signatures = parsed
        } else {
            signatures = nil
        }
        if let reference = fields.object["attestations"], reference != .null {
            let attestation = try FieldReader(reference, what: "dist.attestations")
            var provenance: DistAttestations.Provenance? = nil
            if let provenanceJSON = attestation.object["provenance"], provenanceJSON != .null {
                let provenanceFields = try FieldReader(provenanceJSON, what: "dist.attestations.provenance")
                provenance = .init(predicateType: try provenanceFields.requiredString("predicateType"))
            }
            attestations = DistAttestations(url: try attestation.requiredString("url"), provenance: provenance)
        } else {
            attestations = nil
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: RawJSON(from: decoder), decoder: decoder)
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

    /// Reads the string shorthand or the `{type, url, directory}` object.
    /// - Throws: ``ModelProblem`` when neither form is present.
    public init(json: RawJSON) throws(ModelProblem) {
        if let single = json.stringValue {
            self.init(url: single)
            return
        }
        let fields = try FieldReader(json, what: "repository")
        self.init(
            type: fields.lenientString("type"), url: try fields.requiredString("url"),
            directory: fields.lenientString("directory"))
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: RawJSON(from: decoder), decoder: decoder)
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

    /// Reads `_npmUser`; fields of an unexpected type are ignored.
    /// - Throws: ``ModelProblem`` when it is not an object.
    public init(json: RawJSON) throws(ModelProblem) {
        let fields = try FieldReader(json, what: "_npmUser")
        name = fields.lenientString("name")
        email = fields.lenientString("email")
        approver = fields.object["approver"].flatMap { $0 == .null ? nil : $0 }
        trustedPublisher = fields.object["trustedPublisher"].flatMap { $0 == .null ? nil : $0 }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: RawJSON(from: decoder), decoder: decoder)
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

    /// Reads a `GET /-/npm/v1/keys` document fetched from `url` with provcheck's JSON parser.
    /// - Throws: ``RegistryError`` `.malformedResponse` naming `url` and the problem.
    public static func decode(_ data: Data, from url: URL) throws(RegistryError) -> RegistryKeysResponse {
        let entries = try RegistryDocument.array("keys", of: data, from: url)
        var keys: [RegistryKey] = []
        for (index, entry) in entries.enumerated() {
            func field(_ name: String) throws(RegistryError) -> String {
                guard let text = entry[name]?.stringValue else {
                    throw RegistryError.malformed(url, problem: "keys[\(index)].\(name) is missing or not a string")
                }
                return text
            }
            let expires: String?
            switch entry["expires"] {
            case nil, .null?: expires = nil
            case .string(let text)?: expires = text
            default: throw RegistryError.malformed(url, problem: "keys[\(index)].expires is not a string")
            }
            keys.append(RegistryKey(expires: expires, keyid: try field("keyid"), keytype: try field("keytype"),
                                    scheme: try field("scheme"), key: try field("key")))
        }
        return RegistryKeysResponse(keys: keys)
    }

    /// The document as provcheck's JSON value (the shape the registry serves).
    public var json: RawJSON {
        .object(["keys": .array(keys.map { key in
            var entry: [String: RawJSON] = ["keyid": .string(key.keyid), "keytype": .string(key.keytype),
                                            "scheme": .string(key.scheme), "key": .string(key.key)]
            entry["expires"] = key.expires.map(RawJSON.string) ?? .null
            return .object(entry)
        })])
    }
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
        let list = try RegistryDocument.array("attestations", of: data, from: url)
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

    /// Reads a stage item: `id`, `packageName` and `version` are required strings.
    /// - Throws: ``ModelProblem`` naming the field.
    public init(json: RawJSON) throws(ModelProblem) {
        let fields = try FieldReader(json, what: "stage item")
        id = try fields.requiredString("id")
        packageName = try fields.requiredString("packageName")
        version = try fields.requiredString("version")
        tag = fields.lenientString("tag")
        createdAt = fields.lenientString("createdAt")
        actor = fields.lenientString("actor")
        actorType = fields.lenientString("actorType")
        shasum = try fields.optionalString("shasum")
        access = fields.lenientString("access")
        raw = json
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: RawJSON(from: decoder), decoder: decoder)
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
struct StagePage {
    var items: [StageItem]
    var total: Int?
    var page: Int?

    init(json: RawJSON) throws(ModelProblem) {
        let fields = try FieldReader(json, what: "stage list")
        guard let list = fields.object["items"]?.arrayValue else { throw ModelProblem("missing array field \"items\"") }
        var parsed: [StageItem] = []
        for (index, entry) in list.enumerated() {
            do { parsed.append(try StageItem(json: entry)) } catch {
                throw ModelProblem("items[\(index)]: \(error.message)")
            }
        }
        items = parsed
        total = fields.intValue("total")
        page = fields.intValue("page")
    }
}

/// What is wrong with a registry document's field.
public struct ModelProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problem, naming the field.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Typed access to the members of a JSON object, with problems that name the field.
struct FieldReader {
    let object: [String: RawJSON]
    let what: String

    init(_ json: RawJSON, what: String) throws(ModelProblem) {
        guard let object = json.objectValue else { throw ModelProblem("\(what) is \(json.kindName), expected an object") }
        self.object = object
        self.what = what
    }

    func requiredString(_ key: String) throws(ModelProblem) -> String {
        guard let value = object[key] else { throw ModelProblem("\(what): missing field \"\(key)\"") }
        guard let text = value.stringValue else {
            throw ModelProblem("\(what): field \"\(key)\" is \(value.kindName), expected a string")
        }
        return text
    }

    /// A string, `nil` when absent or null, an error for another type.
    func optionalString(_ key: String) throws(ModelProblem) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw ModelProblem("\(what): field \"\(key)\" is \(value.kindName), expected a string")
        }
        return text
    }

    /// A string, `nil` when absent or of another type.
    func lenientString(_ key: String) -> String? { object[key]?.stringValue }

    func intValue(_ key: String) -> Int? {
        if case .number(let text) = object[key] { return Int(text) }
        return nil
    }
}

extension Decodable {
    /// Bridges a `init(json:) throws(ModelProblem)` to `Decodable`.
    init(json: RawJSON, decoder: any Decoder) throws where Self: JSONModel {
        do { self = try Self(json: json) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }
}

/// A model read from a ``RawJSON`` value.
protocol JSONModel {
    init(json: RawJSON) throws(ModelProblem)
}

extension PackageVersion: JSONModel {}
extension Dist: JSONModel {}
extension Repository: JSONModel {}
extension NPMUser: JSONModel {}
extension StageItem: JSONModel {}

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

/// A registry response read with provcheck's JSON parser: the one parse-or-`malformedResponse` step of every model.
enum RegistryDocument {
    /// The document in `data`, fetched from `url`.
    /// - Throws: ``RegistryError`` `.malformedResponse` naming `url` and the JSON problem.
    static func parse(_ data: Data, from url: URL) throws(RegistryError) -> RawJSON {
        do { return try RawJSON(parsing: data) } catch {
            throw RegistryError.malformed(url, problem: error.description)
        }
    }

    /// The array field `key` of the document in `data`, fetched from `url`.
    /// - Throws: ``RegistryError`` `.malformedResponse` when the document is not JSON or has no such array.
    static func array(_ key: String, of data: Data, from url: URL) throws(RegistryError) -> [RawJSON] {
        guard let array = try parse(data, from: url)[key]?.arrayValue else {
            throw RegistryError.malformed(url, problem: "no array field \"\(key)\"")
        }
        return array
    }
}
