import Digest
import Foundation
import JSON

/// An error in a policy file, naming the file and the field.
public struct PolicyFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file (path as given) or `<memory>`.
    public var file: String
    /// The JSON field, e.g. `refs[1]`, or `nil` for the whole document.
    public var field: String?
    /// What is wrong and what is expected.
    public var message: String

    /// Makes an error.
    public init(file: String, field: String?, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "policy \(file): field \"\(field)\": \(message)" }
        return "policy \(file): \(message)"
    }
}

/// A policy file (JSON or TOML), as documented in docs/policy.md.
///
/// Every field is optional; an empty document is the default policy: provenance required when earlier versions
/// had it, the provenance repository must be the packument's `repository`, rebuild outcomes `exact`,
/// `tar-identical` and `content-identical` accepted, publish attestation optional. Unknown fields are errors (a typo must
/// not silently weaken a policy).
public struct PolicyDocument: Hashable, Sendable {
    /// The document format version this build reads.
    public static let formatVersion = 1

    /// Expected source repository URL (`https://github.com/owner/repo`); default: the packument's `repository`.
    public var repository: String?
    /// Expected numeric GitHub repository id.
    public var repositoryID: String?
    /// Expected numeric GitHub owner id.
    public var ownerID: String?
    /// Allowed workflow file paths (`.github/workflows/publish.yml`).
    public var workflows: [String]?
    /// Allowed refs, as globs (`refs/tags/v*`).
    public var refs: [String]?
    /// Allowed build triggers (`push`, `release`, `workflow_dispatch`).
    public var triggers: [String]?
    /// Allowed runner environments (`github-hosted`).
    public var runners: [String]?
    /// Allowed deployment environments (Fulcio `.23`).
    public var environments: [String]?
    /// Branches (ref globs) one of which must contain the source commit.
    public var branches: [String]?
    /// When provenance is required.
    public var provenance: ProvenanceRequirement
    /// Whether a publish attestation is required.
    public var publishAttestationRequired: Bool
    /// Accepted rebuild outcomes.
    public var acceptedRebuildOutcomes: Set<RebuildOutcome>
    /// Whether `audit --rebuild` and `watch` build packages in the sandbox (`build = "auto"`; default `never`;
    /// see docs/build.md). `verify` and `rebuild` use `--build`.
    public var build: BuildPolicy = .never
    /// Where the policy came from (file path, or `default`).
    public var source: String
    /// The sha256 (hex) of the file's bytes, `nil` for the built-in default (recorded in the VSA).
    public var sha256: String?
    /// Deprecation notes about the file (old rebuild words), for the caller to show; they never change the policy.
    public var notes: [String] = []

    /// The default policy (no file).
    public init() {
        provenance = .whenPreviouslyPresent
        publishAttestationRequired = false
        acceptedRebuildOutcomes = RebuildOutcome.defaultAccepted
        source = "default"
    }

    /// The default policy, named as such.
    public static let `default` = PolicyDocument()

    /// Reads and parses a policy file, JSON or TOML (by extension `.json`/`.toml`, otherwise by content: a document
    /// starting with `{` is JSON); errors name the file and the field (and, for TOML syntax, the line and column).
    public static func load(contentsOf url: URL) throws -> PolicyDocument {
        let data: Data
        do {
            data = try InputFile.read(url)
        } catch {
            throw PolicyFileError(file: url.path, field: nil, message: "the file \(error.problem)")
        }
        return try parse(data, format: .detect(path: url.path, data: data), source: url.path)
    }

    /// Parses a policy document in the given format; `source` names the input in errors.
    ///
    /// TOML is read into the same JSON value the JSON parser reads, so field names, rules and error messages are
    /// the same in both formats. ``sha256`` is the digest of `data` as given (the TOML bytes for a TOML file).
    public static func parse(_ data: Data, format: ConfigurationFormat, source: String = "<memory>") throws -> PolicyDocument {
        switch format {
        case .json:
            return try parse(data, source: source)
        case .toml:
            let json: Data
            do {
                json = try TOML.jsonData(from: data, file: source)
            } catch let error as TOMLError {
                throw PolicyFileError(file: source, field: nil,
                                      message: "not valid TOML: line \(error.line), column \(error.column): \(error.message)")
            }
            var document = try parse(json, source: source)
            document.sha256 = SHA256Hex.of(data)
            return document
        }
    }

    private static let knownKeys: Set<String> = [
        "$comment", "description", "version", "repository", "repositoryId", "ownerId", "workflow", "refs", "triggers",
        "runner", "environment", "provenance", "publishAttestation", "rebuild", "branches", "build",
    ]

    /// Parses policy JSON; `source` names the input in errors.
    /// - Throws: ``PolicyFileError``.
    public static func parse(_ data: Data, source: String = "<memory>") throws -> PolicyDocument {
        func fail(_ field: String?, _ message: String) -> PolicyFileError {
            PolicyFileError(file: source, field: field, message: message)
        }
        // provcheck's own parser is the grammar: a byte order mark or a repeated key is refused (TOML refuses
        // repeated keys too; a second "refs" or "workflow" could weaken the policy).
        do {
            _ = try RawJSON(parsing: data, rejectingDuplicateKeys: true)
        } catch {
            throw fail(nil, "not valid JSON (\(error))")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw fail(nil, "not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"))")
        }
        guard let dict = object as? [String: Any] else { throw fail(nil, "the top level must be a JSON object") }
        for key in dict.keys.sorted() where !knownKeys.contains(key) {
            throw fail(key, "unknown field (known: \(knownKeys.filter { !$0.hasPrefix("$") }.sorted().joined(separator: ", ")))")
        }
        var doc = PolicyDocument()
        doc.source = source
        doc.sha256 = SHA256Hex.of(data)

        if let v = dict["version"] {
            guard let n = v as? NSNumber, !isBool(n), n.intValue == formatVersion, n.doubleValue == Double(formatVersion) else {
                throw fail("version", "must be the number \(formatVersion) (this build reads policy format \(formatVersion))")
            }
        }
        if let v = dict["description"], !(v is String) { throw fail("description", "must be a string") }
        if let v = dict["repository"] {
            guard let s = v as? String, !s.isEmpty else { throw fail("repository", "must be a non-empty string URL") }
            guard RepositoryURL.normalize(s) != nil else {
                throw fail("repository", "\"\(s)\" is not a repository URL (expected e.g. https://github.com/owner/repo)")
            }
            doc.repository = s
        }
        doc.repositoryID = try numericID(dict["repositoryId"], field: "repositoryId", fail: fail)
        doc.ownerID = try numericID(dict["ownerId"], field: "ownerId", fail: fail)
        doc.workflows = try stringList(dict["workflow"], field: "workflow", fail: fail)
        doc.refs = try stringList(dict["refs"], field: "refs", fail: fail)
        if let refs = doc.refs {
            for (i, r) in refs.enumerated() where !r.hasPrefix("refs/") {
                throw fail("refs[\(i)]", "\"\(r)\" must be a full ref glob starting with refs/ (e.g. refs/tags/v*)")
            }
        }
        doc.triggers = try stringList(dict["triggers"], field: "triggers", fail: fail)
        doc.runners = try stringList(dict["runner"], field: "runner", fail: fail)
        if let runners = doc.runners {
            for (i, r) in runners.enumerated() where r != "github-hosted" && r != "self-hosted" {
                throw fail(doc.runners!.count == 1 && !(dict["runner"] is [Any]) ? "runner" : "runner[\(i)]",
                           "\"\(r)\" is not a runner environment (expected github-hosted or self-hosted)")
            }
        }
        doc.environments = try stringList(dict["environment"], field: "environment", fail: fail)
        doc.branches = try stringList(dict["branches"], field: "branches", fail: fail)
        if let branches = doc.branches {
            for (i, b) in branches.enumerated() where !b.hasPrefix("refs/heads/") {
                throw fail("branches[\(i)]", "\"\(b)\" must be a branch ref glob starting with refs/heads/ (e.g. refs/heads/main)")
            }
        }
        if let v = dict["provenance"] {
            guard let s = v as? String, let r = ProvenanceRequirement(rawValue: s) else {
                throw fail("provenance", "must be \"required\", \"optional\" or \"when-previously-present\"")
            }
            doc.provenance = r
        }
        if let v = dict["publishAttestation"] {
            switch v as? String {
            case "required": doc.publishAttestationRequired = true
            case "optional": doc.publishAttestationRequired = false
            default: throw fail("publishAttestation", "must be \"required\" or \"optional\"")
            }
        }
        if let v = dict["build"] {
            guard let text = v as? String, let mode = BuildPolicy(rawValue: text) else {
                throw fail("build", "must be \"auto\" (build packages whose tarball holds build output, in the sandbox) or \"never\"")
            }
            doc.build = mode
        }
        if let list = try stringList(dict["rebuild"], field: "rebuild", fail: fail) {
            var accepted = Set<RebuildOutcome>()
            for (i, s) in list.enumerated() {
                guard let o = RebuildOutcome(anyWord: s) else {
                    throw fail("rebuild[\(i)]", "\"\(s)\" is not a rebuild outcome (expected "
                        + RebuildOutcome.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                }
                if o.rawValue != s {
                    doc.notes.append(fail("rebuild[\(i)]", "\"\(s)\" is deprecated: write \"\(o.rawValue)\" "
                        + "(the words of provcheck compare); accepted as \(o.rawValue)").description)
                }
                accepted.insert(o)
            }
            doc.acceptedRebuildOutcomes = accepted
        }
        return doc
    }

    private static func isBool(_ n: NSNumber) -> Bool {
        // JSONSerialization yields booleans as NSNumber with objCType "c" (on Linux and Darwin).
        String(cString: n.objCType) == "c"
    }

    private static func numericID(
        _ value: Any?, field: String, fail: (String?, String) -> PolicyFileError
    ) throws -> String? {
        guard let value else { return nil }
        if let n = value as? NSNumber, !isBool(n), n.doubleValue >= 0, n.doubleValue == n.doubleValue.rounded(),
           n.doubleValue < 9.0e15 {
            return String(n.int64Value)
        }
        if let s = value as? String, !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) { return s }
        throw fail(field, "must be a non-negative integer (GitHub's numeric id), as a number or a string of digits")
    }

    private static func stringList(
        _ value: Any?, field: String, fail: (String?, String) -> PolicyFileError
    ) throws -> [String]? {
        guard let value else { return nil }
        if let s = value as? String {
            guard !s.isEmpty else { throw fail(field, "must not be empty") }
            return [s]
        }
        guard let array = value as? [Any] else { throw fail(field, "must be a string or an array of strings") }
        guard !array.isEmpty else { throw fail(field, "must not be an empty array (it would allow nothing)") }
        return try array.enumerated().map { i, element in
            guard let s = element as? String, !s.isEmpty else { throw fail("\(field)[\(i)]", "must be a non-empty string") }
            return s
        }
    }
}

/// When packages are built in the sandbox before the rebuild is compared (policy key `build`).
public enum BuildPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Build when the registry tarball holds files the source does not (build output).
    case auto
    /// Never build (the files stay unverified: `rebuild.not-in-source` is skipped).
    case never
}
