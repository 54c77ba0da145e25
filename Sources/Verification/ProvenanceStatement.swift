import Foundation
import JSON
import Registry

/// Errors reading a provenance statement's facts.
public struct ProvenanceStatementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the field.
    public var message: String
    /// Makes an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ProvenanceIdentity {
    /// The SLSA v1 provenance predicate type.
    public static let slsaV1PredicateType = "https://slsa.dev/provenance/v1"
    /// The SLSA v0.2 provenance predicate type.
    public static let slsaV02PredicateType = "https://slsa.dev/provenance/v0.2"

    /// Reads the identity facts from an in-toto statement carrying a GitHub Actions SLSA provenance predicate
    /// (v1 `buildDefinition`/`runDetails`, or v0.2 `invocation.configSource`/`environment`).
    ///
    /// Call this only on the payload of a bundle that verified: the facts are as trustworthy as the signature.
    /// Unknown predicate types are errors (fail closed).
    public static func fromStatement(_ payload: Data) throws -> ProvenanceIdentity {
        // provcheck's own parser keeps every string exactly as signed (Foundation's JSONSerialization would drop a
        // leading U+FEFF from a value, making "\u{FEFF}x" compare equal to "x").
        guard let statement = try? RawJSON(parsing: payload), statement.objectValue != nil else {
            throw ProvenanceStatementError("provenance payload is not a JSON object")
        }
        let predicateType = statement["predicateType"]?.stringValue ?? "(none)"
        guard let predicate = statement["predicate"], predicate.objectValue != nil else {
            throw ProvenanceStatementError("provenance statement has no predicate object")
        }
        switch predicateType {
        case slsaV1PredicateType: return try fromSLSAv1(predicate)
        case slsaV02PredicateType: return try fromSLSAv02(predicate)
        default:
            throw ProvenanceStatementError("unsupported provenance predicateType \(predicateType) "
                + "(expected \(slsaV1PredicateType) or \(slsaV02PredicateType))")
        }
    }

    private static func fromSLSAv1(_ predicate: RawJSON) throws -> ProvenanceIdentity {
        guard let definition = predicate["buildDefinition"], definition.objectValue != nil else {
            throw ProvenanceStatementError("provenance predicate has no buildDefinition")
        }
        let workflow = definition["externalParameters"]?["workflow"]
        let github = definition["internalParameters"]?["github"]
        let dependency = definition["resolvedDependencies"]?.arrayValue?.first
        let builderID = predicate["runDetails"]?["builder"]?["id"]?.stringValue
        let invocation = predicate["runDetails"]?["metadata"]?["invocationId"]?.stringValue
        var facts = ProvenanceIdentity()
        facts.repository = workflow?["repository"]?.stringValue
        facts.workflowPath = workflow?["path"]?.stringValue
        facts.ref = workflow?["ref"]?.stringValue
        facts.trigger = github?["event_name"]?.stringValue
        facts.repositoryID = stringOrNumber(github?["repository_id"])
        facts.ownerID = stringOrNumber(github?["repository_owner_id"])
        facts.commit = dependency?["digest"]?["gitCommit"]?.stringValue
        if facts.repository == nil, let uri = dependency?["uri"]?.stringValue {
            facts.repository = repositoryFromDependencyURI(uri)
        }
        facts.builderID = builderID
        facts.runnerEnvironment = builderID.flatMap(runnerFromBuilderID)
        facts.invocationURI = invocation
        return facts
    }

    private static func fromSLSAv02(_ predicate: RawJSON) throws -> ProvenanceIdentity {
        guard let invocation = predicate["invocation"], invocation.objectValue != nil else {
            throw ProvenanceStatementError("provenance v0.2 predicate has no invocation")
        }
        let config = invocation["configSource"]
        let environment = invocation["environment"]
        var facts = ProvenanceIdentity()
        if let uri = config?["uri"]?.stringValue {
            facts.repository = repositoryFromDependencyURI(uri)
            if let at = uri.lastIndex(of: "@") { facts.ref = String(uri[uri.index(after: at)...]) }
        }
        facts.commit = config?["digest"]?["sha1"]?.stringValue
        // entryPoint: "owner/repo/.github/workflows/publish.yml@refs/tags/v1.0.0"
        if var entry = config?["entryPoint"]?.stringValue {
            if let at = entry.lastIndex(of: "@") { entry = String(entry[..<at]) }
            if let repo = environment?["GITHUB_REPOSITORY"]?.stringValue, entry.hasPrefix(repo + "/") {
                entry.removeFirst(repo.count + 1)
            }
            facts.workflowPath = entry
        }
        if facts.ref == nil { facts.ref = environment?["GITHUB_REF"]?.stringValue }
        facts.trigger = environment?["GITHUB_EVENT_NAME"]?.stringValue
        facts.repositoryID = stringOrNumber(environment?["GITHUB_REPOSITORY_ID"])
        facts.ownerID = stringOrNumber(environment?["GITHUB_REPOSITORY_OWNER_ID"])
        facts.builderID = predicate["builder"]?["id"]?.stringValue
        facts.runnerEnvironment = facts.builderID.flatMap(runnerFromBuilderID)
        return facts
    }

    private static func stringOrNumber(_ value: RawJSON?) -> String? {
        switch value {
        case .string(let text)?, .number(let text)?: text
        default: nil
        }
    }

    /// `git+https://github.com/o/r@refs/tags/v1` → `https://github.com/o/r`.
    static func repositoryFromDependencyURI(_ uri: String) -> String? {
        var s = uri
        if s.hasPrefix("git+") { s.removeFirst(4) }
        if let schemeEnd = s.range(of: "://"), let at = s[schemeEnd.upperBound...].lastIndex(of: "@") {
            s = String(s[..<at])
        }
        return s.isEmpty ? nil : s
    }

    /// `https://github.com/actions/runner/github-hosted` → `github-hosted`.
    static func runnerFromBuilderID(_ id: String) -> String? {
        guard id.hasPrefix("https://github.com/actions/runner") else { return nil }
        let last = id.split(separator: "/").last.map(String.init)
        return last == "github-hosted" || last == "self-hosted" ? last : nil
    }
}
