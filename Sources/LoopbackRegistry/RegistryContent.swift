import Digest
import Foundation
import JSON
import Registry

/// Everything a ``LoopbackRegistry`` serves, as one value that tests build and mutate.
///
/// Change it between requests with ``LoopbackRegistry/content`` (set) or ``LoopbackRegistry/update(_:)``;
/// every request reads the current value.
///
/// URL layout served (paths are percent-decoded before lookup, so `/@scope%2fname` and `/@scope/name` are the same):
/// - `GET /<name>`: ``packuments``[name] (full packument; `dist.tarball` and `dist.attestations.url` rewritten to
///   this server when ``rewritesRegistryURLs`` is on). `GET /<name>/<version-or-tag>`: that version's manifest.
/// - `GET /<name>/-/<file>.tgz`: ``tarballs``["<name>/-/<file>.tgz"].
/// - `GET /-/npm/v1/keys`: ``keys`` (404 when `nil`).
/// - `GET /-/npm/v1/attestations/<name>@<version>`: ``attestations``["<name>@<version>"].
/// - `GET /-/stage?package=<name>&page=N&perPage=M`: `{items, total, page, perPage}` from ``stagedItems``.
/// - `GET /-/stage/<id>`: the item; `GET /-/stage/<id>/tarball`: ``stagedTarballs``[id].
public struct RegistryContent: Sendable {
    /// Packument documents by package name (`"@scope/name"` for scoped packages).
    public var packuments: [String: JSONValue]
    /// Tarball bytes by path without the leading slash, e.g. `"abbrev/-/abbrev-1.1.1.tgz"` or
    /// `"@scope/name/-/name-1.0.5.tgz"` (see ``tarballPath(name:version:)``).
    public var tarballs: [String: Data]
    /// Tarballs served from files (streamed, never loaded into memory), by the same paths as ``tarballs``;
    /// ``tarballs`` wins when both have a path.
    public var tarballFiles: [String: URL]
    /// The `GET /-/npm/v1/keys` document; `nil` answers 404 ("this registry has no keys").
    public var keys: JSONValue?
    /// `GET /-/npm/v1/attestations/<name>@<version>` documents, keyed `"name@version"`.
    public var attestations: [String: JSONValue]
    /// Staged publishes in creation order (served by the `/-/stage` endpoints).
    public var stagedItems: [StagedItem]
    /// Staged tarball bytes by stage id.
    public var stagedTarballs: [String: Data]
    /// When set, requests without `Authorization: Bearer <token>` get 401 on the paths ``tokenScope`` names.
    public var requiredToken: String?
    /// Which paths need ``requiredToken``.
    public var tokenScope: TokenScope
    /// Whether `ETag` is sent and `If-None-Match` answered with 304.
    public var servesETags: Bool
    /// Whether absolute URLs in packuments that start with ``publicRegistryPrefixes`` are rewritten to this server.
    public var rewritesRegistryURLs: Bool

    /// URL prefixes rewritten to the loopback server's base URL when serving packuments: the public registry and
    /// ``placeholderBaseURL``.
    public static let publicRegistryPrefixes = ["https://registry.npmjs.org/", placeholderBaseURL]
    /// A base URL tests may use in documents built before the server's port is known.
    public static let placeholderBaseURL = "http://loopback.invalid/"

    /// Which requests need the bearer token.
    public enum TokenScope: Sendable, Hashable {
        /// Only the `/-/stage` endpoints (the real registry always needs auth there).
        case stagingEndpoints
        /// Every request.
        case everything
    }

    /// An empty registry (every path 404) with ETags on and URL rewriting on.
    public init() {
        packuments = [:]
        tarballs = [:]
        tarballFiles = [:]
        keys = nil
        attestations = [:]
        stagedItems = []
        stagedTarballs = [:]
        requiredToken = nil
        tokenScope = .stagingEndpoints
        servesETags = true
        rewritesRegistryURLs = true
    }

    /// The tarball path npm uses for `name@version`, without the leading slash:
    /// `"abbrev/-/abbrev-1.1.1.tgz"`, `"@scope/name/-/name-1.0.5.tgz"`.
    public static func tarballPath(name: String, version: String) -> String {
        let basename = name.split(separator: "/").last.map(String.init) ?? name
        return "\(name)/-/\(basename)-\(version).tgz"
    }

    /// The public-registry tarball URL of `name@version` (rewritten to the loopback server when served).
    public static func publicTarballURL(name: String, version: String) -> String {
        "https://registry.npmjs.org/" + tarballPath(name: name, version: version)
    }

    /// Adds (or replaces) a version in the packument of `name`, creating the packument when absent, and stores its
    /// tarball. `dist.integrity` (sha512 SRI), `dist.shasum` (sha1 hex) and `dist.tarball` are computed from `tarball`
    /// unless `manifest` already has them; `time[version]` is set to `publishTime`; `dist-tags.latest` is set when
    /// `makeLatest` is true or the packument had no latest tag.
    /// - Parameters:
    ///   - manifest: extra version fields (for example `gitHead`, `repository`, `_npmUser`, `dist.signatures`).
    public mutating func addVersion(
        name: String, version: String, tarball: Data?, manifest: JSONValue = [:],
        publishTime: String = "2024-01-01T00:00:00.000Z", makeLatest: Bool = true
    ) {
        var entry: JSONValue = manifest.objectValue == nil ? [:] : manifest
        entry["name"] = .string(name)
        entry["version"] = .string(version)
        entry["_id"] = .string("\(name)@\(version)")
        var dist = entry["dist"] ?? [:]
        if let tarball {
            if dist["integrity"] == nil { dist["integrity"] = .string(Hashing.sriSHA512(tarball)) }
            if dist["shasum"] == nil { dist["shasum"] = .string(Hashing.sha1Hex(tarball)) }
            tarballs[Self.tarballPath(name: name, version: version)] = tarball
        }
        if dist["tarball"] == nil { dist["tarball"] = .string(Self.publicTarballURL(name: name, version: version)) }
        entry["dist"] = dist

        var packument = packuments[name] ?? ["_id": .string(name), "name": .string(name)]
        var versions = packument["versions"] ?? [:]
        versions[version] = entry
        packument["versions"] = versions
        var time = packument["time"] ?? [:]
        time[version] = .string(publishTime)
        if time["created"] == nil { time["created"] = .string(publishTime) }
        time["modified"] = .string(publishTime)
        packument["time"] = time
        var tags = packument["dist-tags"] ?? [:]
        if makeLatest || tags["latest"] == nil { tags["latest"] = .string(version) }
        packument["dist-tags"] = tags
        packuments[name] = packument
    }

    /// Like ``addVersion(name:version:tarball:manifest:publishTime:makeLatest:)`` for a tarball kept in a file (for
    /// large tarballs): `dist.integrity` and `dist.shasum` are computed by streaming the file once.
    /// - Throws: when the file cannot be read.
    public mutating func addVersion(
        name: String, version: String, tarballFile: URL, manifest: JSONValue = [:],
        publishTime: String = "2024-01-01T00:00:00.000Z", makeLatest: Bool = true
    ) throws {
        let digests = try Hashing.digest(fileAt: tarballFile, algorithms: [.sha512, .sha1])
        var entry: JSONValue = manifest.objectValue == nil ? [:] : manifest
        var dist = entry["dist"] ?? [:]
        if dist["integrity"] == nil { dist["integrity"] = .string(digests.sri(.sha512) ?? "") }
        if dist["shasum"] == nil { dist["shasum"] = .string(digests.hex(.sha1) ?? "") }
        entry["dist"] = dist
        addVersion(name: name, version: version, tarball: nil, manifest: entry, publishTime: publishTime, makeLatest: makeLatest)
        let path = Self.tarballPath(name: name, version: version)
        tarballs[path] = nil
        tarballFiles[path] = tarballFile
    }

    /// Removes `version` from the packument of `name` (and from `time`), as an unpublish would.
    public mutating func removeVersion(name: String, version: String) {
        guard var packument = packuments[name] else { return }
        packument["versions"]?[version] = nil
        packument["time"]?[version] = nil
        packuments[name] = packument
        tarballs[Self.tarballPath(name: name, version: version)] = nil
        tarballFiles[Self.tarballPath(name: name, version: version)] = nil
    }

    /// Replaces the stored tarball bytes of `name@version` without touching the packument (so `dist.integrity` no
    /// longer matches: a tampered tarball).
    public mutating func replaceTarball(name: String, version: String, with data: Data) {
        tarballs[Self.tarballPath(name: name, version: version)] = data
    }

    /// Serves the file at `file` as the tarball of `name@version` without touching the packument.
    public mutating func replaceTarball(name: String, version: String, withFile file: URL) {
        let path = Self.tarballPath(name: name, version: version)
        tarballs[path] = nil
        tarballFiles[path] = file
    }

    /// Edits the manifest of `name@version` in place (no-op when absent).
    public mutating func updateVersion(name: String, version: String, _ body: (inout JSONValue) -> Void) {
        guard var entry = packuments[name]?["versions"]?[version] else { return }
        body(&entry)
        packuments[name]?["versions"]?[version] = entry
    }

    /// Adds a staged publish: stores the item and its tarball. `shasum` is the sha1 hex of `tarball` unless given.
    /// - Returns: the stored item.
    @discardableResult
    public mutating func addStagedVersion(
        id: String = UUID().uuidString.lowercased(), packageName: String, version: String, tarball: Data,
        tag: String = "latest", createdAt: String = "2026-06-01T00:00:00.000Z", actor: String = "ci-bot",
        actorType: String = "user", shasum: String? = nil, access: String = "public", extra: [String: JSONValue] = [:]
    ) -> StagedItem {
        let item = StagedItem(
            id: id, packageName: packageName, version: version, tag: tag, createdAt: createdAt, actor: actor,
            actorType: actorType, shasum: shasum ?? Hashing.sha1Hex(tarball), access: access, extra: extra)
        stagedItems.removeAll { $0.id == id }
        stagedItems.append(item)
        stagedTarballs[id] = tarball
        return item
    }

    /// Removes a staged item (as an approval or rejection would).
    public mutating func removeStagedItem(id: String) {
        stagedItems.removeAll { $0.id == id }
        stagedTarballs[id] = nil
    }
}

/// One staged publish as the `/-/stage` endpoints describe it (fields from npm/cli `lib/utils/key-values.js`).
public struct StagedItem: Sendable, Hashable {
    /// The stage id (a UUID).
    public var id: String
    /// The package name.
    public var packageName: String
    /// The staged version.
    public var version: String
    /// The dist-tag it will get on approval.
    public var tag: String
    /// ISO-8601 creation time.
    public var createdAt: String
    /// Who staged it (a user name or an OIDC identity).
    public var actor: String
    /// `user` or the OIDC identity kind.
    public var actorType: String
    /// sha1 hex of the staged tarball.
    public var shasum: String
    /// `public` or `restricted`.
    public var access: String
    /// Further fields sent as-is.
    public var extra: [String: JSONValue]

    /// Creates an item.
    public init(
        id: String, packageName: String, version: String, tag: String, createdAt: String, actor: String,
        actorType: String, shasum: String, access: String, extra: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.packageName = packageName
        self.version = version
        self.tag = tag
        self.createdAt = createdAt
        self.actor = actor
        self.actorType = actorType
        self.shasum = shasum
        self.access = access
        self.extra = extra
    }

    /// The JSON object served for this item.
    public var json: JSONValue {
        var members = extra
        members["id"] = .string(id)
        members["packageName"] = .string(packageName)
        members["version"] = .string(version)
        members["tag"] = .string(tag)
        members["createdAt"] = .string(createdAt)
        members["actor"] = .string(actor)
        members["actorType"] = .string(actorType)
        members["shasum"] = .string(shasum)
        members["access"] = .string(access)
        return .object(members)
    }
}
