import Foundation
import JSON
import Registry

/// The facts of one packument version that the verification pipeline needs, read from the packument JSON.
public struct PackumentFacts: Hashable, Sendable {
    /// The package name.
    public var name: String
    /// The version.
    public var version: String
    /// `dist.integrity` (SRI), if present.
    public var integrity: String?
    /// `dist.shasum` (hex sha1), if present.
    public var shasum: String?
    /// `dist.tarball`.
    public var tarballURL: String?
    /// `dist.signatures` as (keyid, sig) pairs.
    public var signatures: [(keyid: String, sig: String)]
    /// `dist.attestations.url`.
    public var attestationsURL: String?
    /// `dist.attestations.provenance.predicateType`.
    public var provenancePredicateType: String?
    /// `gitHead`.
    public var gitHead: String?
    /// `repository.url` (or the string form of `repository`).
    public var repositoryURL: String?
    /// `repository.directory` (monorepo package folder).
    public var repositoryDirectory: String?
    /// `_npmVersion`: the npm that published (the generation to rebuild with).
    public var npmVersion: String?
    /// `_nodeVersion`.
    public var nodeVersion: String?
    /// `time[version]`.
    public var publishTime: Date?
    /// `_npmUser.name`.
    public var npmUserName: String?
    /// Whether `_npmUser.approver` is present (staged publish approval).
    public var hasStagedApproval: Bool
    /// Whether `_npmUser.trustedPublisher` is present.
    public var hasTrustedPublisher: Bool
    /// Earlier versions (semver order, release and pre-release) whose `dist.attestations` announce provenance.
    public var earlierVersionsWithProvenance: [String]

    /// Makes the facts (the packument parser fills them; a staged publish has only the stage item's).
    public init(
        name: String,
        version: String,
        integrity: String? = nil,
        shasum: String? = nil,
        tarballURL: String? = nil,
        signatures: [(keyid: String, sig: String)],
        attestationsURL: String? = nil,
        provenancePredicateType: String? = nil,
        gitHead: String? = nil,
        repositoryURL: String? = nil,
        repositoryDirectory: String? = nil,
        npmVersion: String? = nil,
        nodeVersion: String? = nil,
        publishTime: Date? = nil,
        npmUserName: String? = nil,
        hasStagedApproval: Bool,
        hasTrustedPublisher: Bool,
        earlierVersionsWithProvenance: [String]
    ) {
        self.name = name
        self.version = version
        self.integrity = integrity
        self.shasum = shasum
        self.tarballURL = tarballURL
        self.signatures = signatures
        self.attestationsURL = attestationsURL
        self.provenancePredicateType = provenancePredicateType
        self.gitHead = gitHead
        self.repositoryURL = repositoryURL
        self.repositoryDirectory = repositoryDirectory
        self.npmVersion = npmVersion
        self.nodeVersion = nodeVersion
        self.publishTime = publishTime
        self.npmUserName = npmUserName
        self.hasStagedApproval = hasStagedApproval
        self.hasTrustedPublisher = hasTrustedPublisher
        self.earlierVersionsWithProvenance = earlierVersionsWithProvenance
    }

    public static func == (lhs: PackumentFacts, rhs: PackumentFacts) -> Bool {
        lhs.name == rhs.name && lhs.version == rhs.version && lhs.integrity == rhs.integrity
            && lhs.shasum == rhs.shasum && lhs.tarballURL == rhs.tarballURL
            && lhs.signatures.map { "\($0.keyid):\($0.sig)" } == rhs.signatures.map { "\($0.keyid):\($0.sig)" }
            && lhs.attestationsURL == rhs.attestationsURL && lhs.gitHead == rhs.gitHead
            && lhs.repositoryURL == rhs.repositoryURL && lhs.npmVersion == rhs.npmVersion
            && lhs.earlierVersionsWithProvenance == rhs.earlierVersionsWithProvenance
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(version)
        hasher.combine(integrity)
    }

    /// The exact version `versionOrTag` names in a packument: a version it has, else a dist-tag (default `latest`).
    /// - Throws: ``VerificationError/versionNotFound(source:version:known:)`` when it names neither.
    public static func resolve(_ versionOrTag: String?, document: RawJSON, source: String) throws -> String {
        guard document.objectValue != nil else {
            throw VerificationError.malformedPackument(source: source, problem: "the top level is not a JSON object")
        }
        if let requested = versionOrTag, document["versions"]?[requested]?.objectValue != nil { return requested }
        let tag = versionOrTag ?? "latest"
        if let tagged = document["dist-tags"]?[tag]?.stringValue { return tagged }
        let known = (document["versions"]?.objectValue?.keys.sorted(by: SemVer.precedes).suffix(5) ?? []).joined(separator: ", ")
        throw VerificationError.versionNotFound(source: source, version: tag + " (no such version or dist-tag)", known: known)
    }

    /// Reads a version from a full packument document. `source` names the document in errors.
    ///
    /// Read with provcheck's own JSON parser (the one the registry client uses), so every string is compared exactly
    /// as served (Foundation's `JSONSerialization` would drop a leading U+FEFF from a value).
    public static func parse(packument data: Data, version: String, source: String) throws -> PackumentFacts {
        let document: RawJSON
        do {
            document = try RawJSON(parsing: data)
        } catch {
            throw VerificationError.malformedPackument(source: source, problem: "\(error)")
        }
        return try parse(document: document, version: version, source: source)
    }

    /// A manifest's `repository`: the string form, or `url` and `directory` of the object form.
    package static func repository(of manifest: RawJSON) -> (url: String?, directory: String?) {
        switch manifest["repository"] {
        case .string(let url)?: (url, nil)
        case .object(let repository)?: (repository["url"]?.stringValue, repository["directory"]?.stringValue)
        default: (nil, nil)
        }
    }

    /// Reads a version from a packument already parsed with provcheck's JSON parser.
    public static func parse(document: RawJSON, version: String, source: String) throws -> PackumentFacts {
        guard document.objectValue != nil else {
            throw VerificationError.malformedPackument(source: source, problem: "the top level is not a JSON object")
        }
        guard let versions = document["versions"]?.objectValue else {
            throw VerificationError.malformedPackument(source: source, problem: "no \"versions\" object")
        }
        guard let manifest = versions[version], manifest.objectValue != nil else {
            let known = versions.keys.sorted(by: SemVer.precedes).suffix(5).joined(separator: ", ")
            throw VerificationError.versionNotFound(source: source, version: version, known: known)
        }
        let name = manifest["name"]?.stringValue ?? document["name"]?.stringValue ?? ""
        let dist = manifest["dist"]
        var facts = PackumentFacts(
            name: name, version: version, integrity: dist?["integrity"]?.stringValue,
            shasum: dist?["shasum"]?.stringValue, tarballURL: dist?["tarball"]?.stringValue, signatures: [],
            attestationsURL: nil, provenancePredicateType: nil, gitHead: manifest["gitHead"]?.stringValue,
            repositoryURL: nil, repositoryDirectory: nil, npmVersion: manifest["_npmVersion"]?.stringValue,
            nodeVersion: manifest["_nodeVersion"]?.stringValue, publishTime: nil, npmUserName: nil,
            hasStagedApproval: false, hasTrustedPublisher: false, earlierVersionsWithProvenance: [])
        facts.signatures = (dist?["signatures"]?.arrayValue ?? []).compactMap {
            guard let keyid = $0["keyid"]?.stringValue, let sig = $0["sig"]?.stringValue else { return nil }
            return (keyid, sig)
        }
        if let attestations = dist?["attestations"], attestations.objectValue != nil {
            facts.attestationsURL = attestations["url"]?.stringValue
            facts.provenancePredicateType = attestations["provenance"]?["predicateType"]?.stringValue
        }
        (facts.repositoryURL, facts.repositoryDirectory) = Self.repository(of: manifest)
        if let time = document["time"]?[version]?.stringValue { facts.publishTime = Timestamp.parse(time) }
        if let user = manifest["_npmUser"], user.objectValue != nil {
            facts.npmUserName = user["name"]?.stringValue
            facts.hasStagedApproval = user["approver"] != nil
            facts.hasTrustedPublisher = user["trustedPublisher"] != nil
        }
        facts.earlierVersionsWithProvenance = versions.compactMap { key, value -> String? in
            guard SemVer.precedes(key, version), value["dist"]?["attestations"]?["provenance"] != nil,
                  value["dist"]?["attestations"]?.objectValue != nil
            else { return nil }
            return key
        }.sorted(by: SemVer.precedes)
        return facts
    }
}

/// Minimal semver precedence (major.minor.patch, then pre-release identifiers; build metadata ignored).
public enum SemVer {
    /// Whether `a` has lower precedence than `b`. Non-numeric cores sort by string as a fallback.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        func split(_ v: String) -> (core: [Int], pre: [Substring]) {
            let noBuild = v.split(separator: "+", maxSplits: 1).first ?? ""
            let parts = noBuild.split(separator: "-", maxSplits: 1)
            let core = (parts.first ?? "").split(separator: ".").map { Int($0) ?? 0 }
            let pre = parts.count > 1 ? parts[1].split(separator: ".") : []
            return (core, pre)
        }
        let (x, y) = (split(a), split(b))
        for i in 0..<max(x.core.count, y.core.count) {
            let (l, r) = (i < x.core.count ? x.core[i] : 0, i < y.core.count ? y.core[i] : 0)
            if l != r { return l < r }
        }
        // A version with a pre-release precedes the release.
        if x.pre.isEmpty != y.pre.isEmpty { return !x.pre.isEmpty }
        for i in 0..<min(x.pre.count, y.pre.count) where x.pre[i] != y.pre[i] {
            switch (Int(x.pre[i]), Int(y.pre[i])) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x.pre[i] < y.pre[i]
            }
        }
        return x.pre.count < y.pre.count
    }
}
