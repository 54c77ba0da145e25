import Digest
import Foundation
import Registry

extension RegistryContent {
    /// The registry content of the repository's npm fixtures.
    ///
    /// `root` is the `Fixtures/` folder (holding `npm/`) or the `npm/` folder itself. Loaded:
    /// - `npm/packuments/<name>.json` as they are (real documents; tarball URLs are rewritten when served);
    /// - every `npm/cases/*.json`: its tarball is stored at the path of the packument's `dist.tarball`; when the
    ///   packument lacks the version (or there is none), a minimal version is synthesized: `name`, `version`,
    ///   `dist {integrity (case), shasum (sha1 of the tarball bytes, or the case's sha1 form), tarball, signatures
    ///   (from `npm/signatures.json` when a record matches), attestations {url, provenance {predicateType}} (when an
    ///   attestations file exists)}`, `gitHead` = case commit, `repository {type, url, directory}`,
    ///   `_npmVersion`/`_nodeVersion` from `publisher`, and `time[version]` = the recorded publish time, else the
    ///   first bundle's Rekor integrated time, else `2024-01-01T00:00:00.000Z`;
    /// - `npm/attestations/<case>.json` under `"name@version"`;
    /// - `npm/keys.json` as the keys document.
    /// - Throws: ``LoopbackRegistryError/fixture(path:problem:)`` for a missing or malformed file.
    /// Loaded once per folder per process; every call returns its own copy (a value), so callers may mutate it.
    public static func fixtures(at root: URL) throws -> RegistryContent {
        let key = root.standardizedFileURL.path
        if let cached = fixtureCache.withLock({ $0[key] }) { return cached }
        let content = try loadFixtures(at: root)
        fixtureCache.withLock { $0[key] = content }
        return content
    }

    private static let fixtureCache = Locked<[String: RegistryContent]>([:])

    private static func loadFixtures(at root: URL) throws -> RegistryContent {
        let fm = FileManager.default
        let npm = fm.fileExists(atPath: root.appendingPathComponent("npm/cases").path)
            ? root.appendingPathComponent("npm") : root
        let fixturesRoot = npm.deletingLastPathComponent()
        var content = RegistryContent()

        func load(_ url: URL) throws -> JSONValue {
            do {
                return try JSONValue(parsing: Data(contentsOf: url))
            } catch {
                throw LoopbackRegistryError.fixture(path: url.path, problem: "\(error)")
            }
        }
        func list(_ folder: String, _ ext: String) throws -> [URL] {
            let dir = npm.appendingPathComponent(folder)
            guard fm.fileExists(atPath: dir.path) else { return [] }
            return try fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == ext }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        }

        let keysURL = npm.appendingPathComponent("keys.json")
        if fm.fileExists(atPath: keysURL.path) { content.keys = try load(keysURL) }

        for file in try list("packuments", "json") {
            let packument = try load(file)
            guard let name = packument["name"]?.stringValue else {
                throw LoopbackRegistryError.fixture(path: file.path, problem: "packument has no name")
            }
            content.packuments[name] = packument
        }

        var signatureRecords: [String: JSONValue] = [:]
        let signaturesURL = npm.appendingPathComponent("signatures.json")
        if fm.fileExists(atPath: signaturesURL.path) {
            for record in try load(signaturesURL)["records"]?.arrayValue ?? [] {
                if let name = record["name"]?.stringValue, let version = record["version"]?.stringValue {
                    signatureRecords["\(name)@\(version)"] = record
                }
            }
        }

        for caseFile in try list("cases", "json") {
            let testCase = try load(caseFile)
            guard let name = testCase["name"]?.stringValue, let version = testCase["version"]?.stringValue else {
                throw LoopbackRegistryError.fixture(path: caseFile.path, problem: "case has no name/version")
            }
            let spec = "\(name)@\(version)"
            var tarball: Data? = nil
            if let relative = testCase["registry_tarball"]?.stringValue {
                let url = fixturesRoot.appendingPathComponent(relative)
                do { tarball = try Data(contentsOf: url) } catch {
                    throw LoopbackRegistryError.fixture(path: url.path, problem: "cannot read tarball: \(error)")
                }
            }
            var attestations: JSONValue? = nil
            if let relative = testCase["attestations"]?.stringValue {
                attestations = try load(fixturesRoot.appendingPathComponent(relative))
                content.attestations[spec] = attestations
            }

            if let existing = content.packuments[name]?["versions"]?[version] {
                // Real packument: store the tarball where its dist.tarball points.
                if let tarball {
                    let path = existing["dist"]?["tarball"]?.stringValue.flatMap(Self.registryPath(of:))
                        ?? tarballPath(name: name, version: version)
                    content.tarballs[path] = tarball
                }
                continue
            }
            content.addSynthesizedVersion(
                testCase: testCase, name: name, version: version, tarball: tarball, attestations: attestations,
                signatureRecord: signatureRecords[spec])
        }
        return content
    }

    /// The path (without leading slash, percent-decoded) of an absolute registry URL.
    static func registryPath(of url: String) -> String? {
        guard let components = URLComponents(string: url) else { return nil }
        let path = components.percentEncodedPath.removingPercentEncoding ?? components.percentEncodedPath
        return path.hasPrefix("/") ? String(path.dropFirst()) : path
    }

    private mutating func addSynthesizedVersion(
        testCase: JSONValue, name: String, version: String, tarball: Data?, attestations: JSONValue?,
        signatureRecord: JSONValue?
    ) {
        var dist: JSONValue = [:]
        if let integrity = testCase["integrity"]?.stringValue { dist["integrity"] = .string(integrity) }
        if let tarball {
            dist["shasum"] = .string(Hashing.sha1Hex(tarball))
        } else if let sri = testCase["extra"]?["integrity_sha1"]?.stringValue,
            let bytes = Data(base64Encoded: String(sri.dropFirst("sha1-".count)))
        {
            dist["shasum"] = .string(DigestEncoding.hex(Array(bytes)))
        }
        dist["tarball"] = .string(Self.publicTarballURL(name: name, version: version))
        if let signatures = signatureRecord?["signatures"] { dist["signatures"] = signatures }
        if let attestations {
            let predicateTypes = (attestations["attestations"]?.arrayValue ?? []).compactMap {
                $0["predicateType"]?.stringValue
            }
            let provenance = predicateTypes.first { $0.hasPrefix("https://slsa.dev/provenance/") }
            var reference: JSONValue = ["url": .string("https://registry.npmjs.org/-/npm/v1/attestations/\(name)@\(version)")]
            if let provenance { reference["provenance"] = ["predicateType": .string(provenance)] }
            dist["attestations"] = reference
        } else if let reference = signatureRecord?["attestations"] {
            dist["attestations"] = reference
        }

        var manifest: JSONValue = ["dist": dist]
        if let commit = testCase["commit"]?.stringValue { manifest["gitHead"] = .string(commit) }
        if let repository = testCase["repository"]?.stringValue {
            var repo: JSONValue = ["type": "git", "url": .string("git+\(repository).git")]
            if let directory = testCase["directory"]?.stringValue { repo["directory"] = .string(directory) }
            manifest["repository"] = repo
        }
        if let npmVersion = testCase["publisher"]?["npmVersion"]?.stringValue {
            manifest["_npmVersion"] = .string(npmVersion)
        }
        if let nodeVersion = testCase["publisher"]?["nodeVersion"]?.stringValue {
            manifest["_nodeVersion"] = .string(nodeVersion)
        }

        var publishTime = testCase["extra"]?["published_time"]?.stringValue
        if publishTime == nil,
            let seconds = attestations?["attestations"]?.arrayValue?.first?["bundle"]?["verificationMaterial"]?[
                "tlogEntries"]?.arrayValue?.first?["integratedTime"],
            let value = seconds.stringValue.flatMap(Double.init)
                ?? { if case .number(let n) = seconds { return Double(n) } else { return nil } }()
        {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            publishTime = formatter.string(from: Date(timeIntervalSince1970: value))
        }
        let hadLatest = packuments[name]?["dist-tags"]?["latest"]?.stringValue
        let makeLatest = hadLatest.map { Self.isNewer(version, than: $0) } ?? true
        addVersion(
            name: name, version: version, tarball: nil, manifest: manifest,
            publishTime: publishTime ?? "2024-01-01T00:00:00.000Z", makeLatest: makeLatest)
        if let tarball { tarballs[Self.tarballPath(name: name, version: version)] = tarball }
    }

    /// Numeric comparison of dotted release versions (prerelease suffixes ignored).
    static func isNewer(_ a: String, than b: String) -> Bool {
        func parts(_ v: String) -> [Int] {
            v.split(separator: "-")[0].split(separator: ".").map { Int($0) ?? 0 }
        }
        let (x, y) = (parts(a), parts(b))
        for i in 0..<max(x.count, y.count) {
            let (l, r) = (i < x.count ? x[i] : 0, i < y.count ? y[i] : 0)
            if l != r { return l > r }
        }
        return false
    }
}

extension RegistryContent {
    /// Adds a folder's extra registry signatures: its `keys.json` keys are served next to the existing ones, and
    /// each record of its `signatures.json` (`{"records":[{name, version, signatures:[{keyid, sig}]}]}`) is
    /// appended to that version's `dist.signatures`. Used by the demo (`Fixtures/demo`), whose key is not npm's.
    /// - Throws: ``LoopbackRegistryError/fixture(path:problem:)`` for a missing or malformed file, or a record
    ///   naming a version the content does not have.
    public mutating func addSignatures(from folder: URL) throws {
        func load(_ name: String) throws -> JSONValue {
            let url = folder.appendingPathComponent(name)
            do {
                return try JSONValue(parsing: Data(contentsOf: url))
            } catch {
                throw LoopbackRegistryError.fixture(path: url.path, problem: "\(error)")
            }
        }
        let extraKeys = try load("keys.json")["keys"]?.arrayValue ?? []
        var keys = self.keys?["keys"]?.arrayValue ?? []
        for key in extraKeys where !keys.contains(key) { keys.append(key) }
        self.keys = ["keys": .array(keys)]
        for record in try load("signatures.json")["records"]?.arrayValue ?? [] {
            guard let name = record["name"]?.stringValue, let version = record["version"]?.stringValue,
                  let signatures = record["signatures"]?.arrayValue else {
                throw LoopbackRegistryError.fixture(path: folder.appendingPathComponent("signatures.json").path,
                                                    problem: "a record lacks name, version or signatures")
            }
            guard packuments[name]?["versions"]?[version] != nil else {
                throw LoopbackRegistryError.fixture(path: folder.appendingPathComponent("signatures.json").path,
                                                    problem: "no version \(name)@\(version) to sign")
            }
            updateVersion(name: name, version: version) { manifest in
                let existing = manifest["dist"]?["signatures"]?.arrayValue ?? []
                manifest["dist"]?["signatures"] = .array(existing + signatures)
            }
        }
    }
}
