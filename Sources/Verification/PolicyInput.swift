import Configuration
import Foundation

/// The identity facts a verified provenance attestation states about the build, in a plain form that policies read.
///
/// Fill it from the SLSA predicate (`buildDefinition.externalParameters.workflow`, `internalParameters.github`,
/// `resolvedDependencies[0]`, `runDetails.builder.id`) and from the Fulcio certificate extensions
/// (1.3.6.1.4.1.57264.1.x: `.11` runner, `.12` repository, `.13` commit, `.14` ref, `.15`/`.17` ids, `.20` trigger,
/// `.23` deployment environment). Only facts from a *verified* bundle belong here.
public struct ProvenanceIdentity: Codable, Hashable, Sendable {
    /// The source repository URL, e.g. `https://github.com/owner/repo`.
    public var repository: String?
    /// GitHub's numeric repository id (`internalParameters.github.repository_id`, Fulcio `.15`).
    public var repositoryID: String?
    /// GitHub's numeric owner id (`internalParameters.github.repository_owner_id`, Fulcio `.17`).
    public var ownerID: String?
    /// The workflow file path, e.g. `.github/workflows/publish.yml`.
    public var workflowPath: String?
    /// The git ref the workflow ran on, e.g. `refs/tags/v1.0.1`.
    public var ref: String?
    /// The source commit (40 hex digits), `resolvedDependencies[0].digest.gitCommit`.
    public var commit: String?
    /// The event that triggered the build (`push`, `release`, `workflow_dispatch`…).
    public var trigger: String?
    /// `github-hosted` or `self-hosted` (Fulcio `.11`, or the last path element of `runDetails.builder.id`).
    public var runnerEnvironment: String?
    /// The GitHub deployment environment the job declared (Fulcio `.23`), when present.
    public var deploymentEnvironment: String?
    /// The builder id, e.g. `https://github.com/actions/runner/github-hosted`.
    public var builderID: String?
    /// The run invocation URI.
    public var invocationURI: String?

    /// Makes a value; every field is optional because attestations differ in what they state.
    public init(
        repository: String? = nil, repositoryID: String? = nil, ownerID: String? = nil, workflowPath: String? = nil,
        ref: String? = nil, commit: String? = nil, trigger: String? = nil, runnerEnvironment: String? = nil,
        deploymentEnvironment: String? = nil, builderID: String? = nil, invocationURI: String? = nil
    ) {
        self.repository = repository
        self.repositoryID = repositoryID
        self.ownerID = ownerID
        self.workflowPath = workflowPath
        self.ref = ref
        self.commit = commit
        self.trigger = trigger
        self.runnerEnvironment = runnerEnvironment
        self.deploymentEnvironment = deploymentEnvironment
        self.builderID = builderID
        self.invocationURI = invocationURI
    }
}

/// Everything a provenance policy looks at. The pipeline fills it; tests can build it directly.
public struct PolicyInput: Hashable, Sendable {
    /// The package name.
    public var name: String
    /// The version.
    public var version: String
    /// Facts from the verified provenance; `nil` when the version has no (verifiable) provenance.
    public var provenance: ProvenanceIdentity?
    /// Whether a provenance attestation was announced but failed to verify (then `provenance` is `nil`).
    public var provenanceInvalid: Bool
    /// Set when provenance could not be checked at all (trust verification unavailable or skipped): checks that
    /// need provenance facts are then `skipped` with this reason instead of `not-applicable`.
    public var provenanceUncheckedReason: String?
    /// Whether a verified registry publish attestation is present.
    public var publishAttestationPresent: Bool
    /// The packument's `repository` URL for this version (as written; normalised by the policies).
    public var packumentRepository: String?
    /// Earlier versions (by semver order) of the same package that carried provenance.
    public var earlierVersionsWithProvenance: [String]
    /// How the rebuild compared, or `nil` when no rebuild ran.
    public var rebuildOutcome: RebuildOutcome?
    /// The source commit that was checked, when one was (`nil`: no source was read).
    public var sourceCommit: String?
    /// The branches (`refs/heads/<name>`) whose history contains ``sourceCommit``; `nil` when unknown.
    public var branchesContainingCommit: [String]?
    /// Set when source and rebuild checks were not requested: rules about them are then `not-applicable`.
    public var sourceNotRequested: Bool

    /// Makes an input.
    public init(
        name: String, version: String, provenance: ProvenanceIdentity? = nil, provenanceInvalid: Bool = false,
        provenanceUncheckedReason: String? = nil, publishAttestationPresent: Bool = false, packumentRepository: String? = nil,
        earlierVersionsWithProvenance: [String] = [], rebuildOutcome: RebuildOutcome? = nil,
        sourceCommit: String? = nil, branchesContainingCommit: [String]? = nil, sourceNotRequested: Bool = false
    ) {
        self.name = name
        self.version = version
        self.provenance = provenance
        self.provenanceInvalid = provenanceInvalid
        self.provenanceUncheckedReason = provenanceUncheckedReason
        self.publishAttestationPresent = publishAttestationPresent
        self.packumentRepository = packumentRepository
        self.earlierVersionsWithProvenance = earlierVersionsWithProvenance
        self.rebuildOutcome = rebuildOutcome
        self.sourceCommit = sourceCommit
        self.branchesContainingCommit = branchesContainingCommit
        self.sourceNotRequested = sourceNotRequested
    }
}

/// Glob patterns for git refs: `*` matches any run of characters except `/`, `**` any run including `/`,
/// `?` one character except `/`. Everything else matches literally.
public struct RefPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String

    /// Wraps a pattern.
    public init(_ pattern: String) { self.pattern = pattern }

    public var description: String { pattern }

    /// Whether `ref` matches the whole pattern.
    public func matches(_ ref: String) -> Bool {
        Self.match(Array(pattern), 0, Array(ref), 0)
    }

    private static func match(_ p: [Character], _ pi: Int, _ s: [Character], _ si: Int) -> Bool {
        if pi == p.count { return si == s.count }
        if p[pi] == "*" {
            let doubleStar = pi + 1 < p.count && p[pi + 1] == "*"
            let next = doubleStar ? pi + 2 : pi + 1
            var k = si
            while true {
                if match(p, next, s, k) { return true }
                if k == s.count { return false }
                if !doubleStar && s[k] == "/" { return false }
                k += 1
            }
        }
        guard si < s.count else { return false }
        if p[pi] == "?" { return s[si] != "/" && match(p, pi + 1, s, si + 1) }
        return p[pi] == s[si] && match(p, pi + 1, s, si + 1)
    }
}
