import Foundation
import JSON

/// Where and how a package was built, as stated by a verified provenance attestation: the signed SLSA
/// predicate and the Fulcio signing certificate's extensions (OIDs 1.3.6.1.4.1.57264.1.*).
///
/// Certificate values come from the CI's OIDC token via Fulcio and take precedence; predicate values are
/// written by the publishing tool on the runner. ``inconsistencies`` lists where the two disagree.
public struct ProvenanceFacts: Sendable, Hashable, Codable {
    /// Source repository URL (`https://github.com/<owner>/<repo>`; cert .12, predicate workflow.repository).
    public var repository: String?
    /// Source commit (cert .13, predicate `resolvedDependencies[0].digest.gitCommit` / `GITHUB_SHA`).
    public var commit: String?
    /// Source ref (`refs/tags/v1.0.1`; cert .14, predicate workflow.ref / `GITHUB_REF`).
    public var ref: String?
    /// Workflow file path in the repository (`.github/workflows/publish.yml`; from cert .18 or the predicate).
    public var workflowPath: String?
    /// SLSA builder id (`runDetails.builder.id` / `builder.id`).
    public var builderID: String?
    /// SLSA build type.
    public var buildType: String?
    /// Event that started the run (`release`, `push`; cert .20, predicate `event_name` / `GITHUB_EVENT_NAME`).
    public var trigger: String?
    /// URL of the CI run attempt (cert .21, predicate `invocationId`, or built from `GITHUB_RUN_ID`/`_ATTEMPT`).
    public var runInvocationURL: String?
    /// `github-hosted` or `self-hosted` (cert .11, or the builder id's last path segment).
    public var runnerEnvironment: String?
    /// Numeric repository id (cert .15, predicate `repository_id`).
    public var repositoryID: String?
    /// Numeric repository owner id (cert .17, predicate `repository_owner_id`).
    public var repositoryOwnerID: String?
    /// Repository owner URL (cert .16).
    public var repositoryOwnerURI: String?
    /// Deployment environment of the job (cert .23; absent when the job declares none).
    public var environment: String?
    /// Repository visibility when signed (cert .22).
    public var repositoryVisibility: String?
    /// Build signer URI: the workflow that signed, `…/<path>@<ref>` (cert .9; the certificate SAN).
    public var buildSignerURI: String?
    /// Build signer digest (cert .10).
    public var buildSignerDigest: String?
    /// Build config URI: the top-level workflow, `…/<path>@<ref>` (cert .18).
    public var buildConfigURI: String?
    /// Build config digest: the commit the workflow file was read at (cert .19).
    public var buildConfigDigest: String?
    /// The certificate's subject alternative name (signer identity).
    public var certificateIdentity: String?
    /// The OIDC issuer (cert .8, or the deprecated .1).
    public var certificateIssuer: String?
    /// Places where the predicate and the certificate disagree (each a sentence). Non-empty fails the check.
    public var inconsistencies: [String]

    /// Creates empty facts.
    public init() {
        inconsistencies = []
    }

    enum CodingKeys: String, CodingKey {
        case repository, commit, ref
        case workflowPath = "workflow_path"
        case builderID = "builder_id"
        case buildType = "build_type"
        case trigger
        case runInvocationURL = "run_invocation_url"
        case runnerEnvironment = "runner_environment"
        case repositoryID = "repository_id"
        case repositoryOwnerID = "repository_owner_id"
        case repositoryOwnerURI = "repository_owner_uri"
        case environment
        case repositoryVisibility = "repository_visibility"
        case buildSignerURI = "build_signer_uri"
        case buildSignerDigest = "build_signer_digest"
        case buildConfigURI = "build_config_uri"
        case buildConfigDigest = "build_config_digest"
        case certificateIdentity = "certificate_identity"
        case certificateIssuer = "certificate_issuer"
        case inconsistencies
    }
}

/// The Fulcio certificate values provenance facts are taken from (already verified by Sigstore).
struct SigningCertificateFacts: Sendable, Hashable {
    var subjectAlternativeName: String?
    var issuer: String?
    /// Fulcio extension values by the last arc of 1.3.6.1.4.1.57264.1.<n> (decoded to text).
    var extensions: [Int: String]
}

/// Extracts ``ProvenanceFacts`` from SLSA predicates and Fulcio certificate values.
enum ProvenanceFactsExtractor {
    static let slsaV02 = "https://slsa.dev/provenance/v0.2"
    static let slsaV1 = "https://slsa.dev/provenance/v1"

    static func facts(predicateType: String, predicate: RawJSON, certificate: SigningCertificateFacts?) -> ProvenanceFacts {
        var fromPredicate = ProvenanceFacts()
        if predicateType == slsaV1 {
            fillV1(&fromPredicate, predicate)
        } else if predicateType == slsaV02 {
            fillV02(&fromPredicate, predicate)
        }
        guard let certificate else { return fromPredicate }
        return merge(predicate: fromPredicate, certificate: certificate)
    }

    private static func fillV1(_ facts: inout ProvenanceFacts, _ predicate: RawJSON) {
        let definition = predicate["buildDefinition"]
        facts.buildType = definition?["buildType"]?.stringValue
        let workflow = definition?["externalParameters"]?["workflow"]
        facts.repository = workflow?["repository"]?.stringValue
        facts.ref = workflow?["ref"]?.stringValue
        facts.workflowPath = workflow?["path"]?.stringValue
        let github = definition?["internalParameters"]?["github"]
        facts.trigger = github?["event_name"]?.stringValue
        facts.repositoryID = scalarText(github?["repository_id"])
        facts.repositoryOwnerID = scalarText(github?["repository_owner_id"])
        if let first = definition?["resolvedDependencies"]?.arrayValue?.first {
            facts.commit = first["digest"]?["gitCommit"]?.stringValue
        }
        let runDetails = predicate["runDetails"]
        facts.builderID = runDetails?["builder"]?["id"]?.stringValue
        facts.runInvocationURL = runDetails?["metadata"]?["invocationId"]?.stringValue
        if let builderID = facts.builderID, builderID.hasPrefix("https://github.com/actions/runner/") {
            facts.runnerEnvironment = String(builderID.dropFirst("https://github.com/actions/runner/".count))
        }
    }

    private static func fillV02(_ facts: inout ProvenanceFacts, _ predicate: RawJSON) {
        facts.buildType = predicate["buildType"]?.stringValue
        facts.builderID = predicate["builder"]?["id"]?.stringValue
        let invocation = predicate["invocation"]
        let environment = invocation?["environment"]
        let configSource = invocation?["configSource"]
        if let repository = environment?["GITHUB_REPOSITORY"]?.stringValue {
            facts.repository = "https://github.com/" + repository
        }
        facts.commit = environment?["GITHUB_SHA"]?.stringValue ?? configSource?["digest"]?["sha1"]?.stringValue
        facts.ref = environment?["GITHUB_REF"]?.stringValue
        facts.trigger = environment?["GITHUB_EVENT_NAME"]?.stringValue
        facts.repositoryID = scalarText(environment?["GITHUB_REPOSITORY_ID"])
        facts.repositoryOwnerID = scalarText(environment?["GITHUB_REPOSITORY_OWNER_ID"])
        if let workflowRef = environment?["GITHUB_WORKFLOW_REF"]?.stringValue,
           let repository = environment?["GITHUB_REPOSITORY"]?.stringValue {
            facts.workflowPath = workflowPath(fromReference: workflowRef, repositoryPrefix: repository + "/")
        } else if let entryPoint = configSource?["entryPoint"]?.stringValue {
            facts.workflowPath = entryPoint.hasPrefix(".github/") ? entryPoint : nil
        }
        if let repository = environment?["GITHUB_REPOSITORY"]?.stringValue,
           let runID = scalarText(environment?["GITHUB_RUN_ID"]) {
            let attempt = scalarText(environment?["GITHUB_RUN_ATTEMPT"]) ?? "1"
            facts.runInvocationURL = "https://github.com/\(repository)/actions/runs/\(runID)/attempts/\(attempt)"
        }
    }

    private static func merge(predicate: ProvenanceFacts, certificate: SigningCertificateFacts) -> ProvenanceFacts {
        var facts = predicate
        let ext = certificate.extensions
        facts.certificateIdentity = certificate.subjectAlternativeName
        facts.certificateIssuer = certificate.issuer ?? ext[8] ?? ext[1]
        facts.buildSignerURI = ext[9]
        facts.buildSignerDigest = ext[10]
        facts.repositoryOwnerURI = ext[16]
        facts.buildConfigURI = ext[18]
        facts.buildConfigDigest = ext[19]
        facts.repositoryVisibility = ext[22]
        facts.environment = ext[23]

        // Deprecated GitHub extensions (.2–.6) are the only ones on certificates issued before Fulcio v1.1.
        let certificateRepository = ext[12] ?? ext[5].map { "https://github.com/" + $0 }
        let certificateCommit = ext[13] ?? ext[3]
        let certificateRef = ext[14] ?? ext[6]
        let certificateTrigger = ext[20] ?? ext[2]

        func reconcile(_ name: String, _ keyPath: WritableKeyPath<ProvenanceFacts, String?>, _ certificateValue: String?,
                       normalize: (String) -> String = { $0 }) {
            guard let certificateValue else { return }
            if let predicateValue = facts[keyPath: keyPath], normalize(predicateValue) != normalize(certificateValue) {
                facts.inconsistencies.append(
                    "\(name): the predicate says \"\(predicateValue)\" but the signing certificate says \"\(certificateValue)\"")
            }
            facts[keyPath: keyPath] = certificateValue
        }
        reconcile("repository", \.repository, certificateRepository, normalize: normalizeRepository)
        reconcile("commit", \.commit, certificateCommit, normalize: { $0.lowercased() })
        reconcile("ref", \.ref, certificateRef)
        reconcile("trigger", \.trigger, certificateTrigger)
        reconcile("repository id", \.repositoryID, ext[15])
        reconcile("repository owner id", \.repositoryOwnerID, ext[17])
        reconcile("run invocation", \.runInvocationURL, ext[21])
        reconcile("runner environment", \.runnerEnvironment, ext[11])
        if let configURI = ext[18], let repository = facts.repository {
            let path = workflowPath(fromReference: configURI, repositoryPrefix: repository + "/")
            reconcile("workflow path", \.workflowPath, path)
        }
        return facts
    }

    /// `.github/workflows/x.yml` from `<prefix>.github/workflows/x.yml@<ref>`.
    static func workflowPath(fromReference reference: String, repositoryPrefix: String) -> String? {
        guard reference.hasPrefix(repositoryPrefix) else { return nil }
        let rest = reference.dropFirst(repositoryPrefix.count)
        guard let at = rest.firstIndex(of: "@") else { return String(rest) }
        return String(rest[..<at])
    }

    static func normalizeRepository(_ url: String) -> String {
        var text = url.lowercased()
        if text.hasPrefix("git+") { text.removeFirst(4) }
        if text.hasSuffix(".git") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// A string, or a number's literal text (ids are numbers in some predicates, strings in others).
    private static func scalarText(_ value: RawJSON?) -> String? {
        switch value {
        case .string(let text)?: return text
        case .number(let literal)?: return literal
        default: return nil
        }
    }
}
