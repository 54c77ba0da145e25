import Configuration
import Foundation

/// A rule about where and how a package version was built, evaluated over plain facts into checks.
///
/// Policies are values and compose: ``PolicySet`` (built with ``PolicyBuilder``) evaluates its members in order
/// and concatenates their checks. A policy never throws and never prints; facts it cannot evaluate become
/// `skipped` checks with the reason (fail closed), facts that do not apply become `not-applicable`.
public protocol ProvenancePolicy: Sendable {
    /// The checks this policy produces for the input.
    func evaluate(_ input: PolicyInput) -> [Check]
}

/// Builds a ``PolicySet`` from a list of policies, with `if` and `for` support.
@resultBuilder
public enum PolicyBuilder {
    /// One policy.
    public static func buildExpression(_ policy: some ProvenancePolicy) -> [any ProvenancePolicy] { [policy] }
    /// A sequence of policies.
    public static func buildBlock(_ parts: [any ProvenancePolicy]...) -> [any ProvenancePolicy] {
        parts.flatMap { $0 }
    }
    /// An `if` without `else`.
    public static func buildOptional(_ part: [any ProvenancePolicy]?) -> [any ProvenancePolicy] { part ?? [] }
    /// The `if` branch.
    public static func buildEither(first: [any ProvenancePolicy]) -> [any ProvenancePolicy] { first }
    /// The `else` branch.
    public static func buildEither(second: [any ProvenancePolicy]) -> [any ProvenancePolicy] { second }
    /// A `for` loop.
    public static func buildArray(_ parts: [[any ProvenancePolicy]]) -> [any ProvenancePolicy] {
        parts.flatMap { $0 }
    }
}

/// An ordered list of policies evaluated one after another.
public struct PolicySet: ProvenancePolicy {
    /// The member policies, in evaluation order.
    public var policies: [any ProvenancePolicy]

    /// Makes a set from an array.
    public init(_ policies: [any ProvenancePolicy]) { self.policies = policies }
    /// Makes a set with the builder DSL: `PolicySet { RepositoryPolicy(…); RefPolicy(…) }`.
    public init(@PolicyBuilder _ build: () -> [any ProvenancePolicy]) { self.policies = build() }

    public func evaluate(_ input: PolicyInput) -> [Check] { policies.flatMap { $0.evaluate(input) } }
}

private let noProvenanceReason = "the version has no verified provenance to check this against"

/// The check for a rule that needs provenance facts when there are none: skipped when provenance could not be
/// checked, not applicable when there is none.
private func withoutProvenance(_ id: CheckID, _ title: String, _ input: PolicyInput) -> Check {
    if let reason = input.provenanceUncheckedReason {
        return .skipped(id, title, reason: "provenance could not be checked: \(reason)")
    }
    return .notApplicable(id, title, reason: noProvenanceReason)
}

/// Whether provenance must be present. With `.whenPreviouslyPresent`, it is required when an earlier version had it
/// (no-downgrade: a publish without provenance after provenance releases is the classic stolen-token pattern).
public struct ProvenanceRequirementPolicy: ProvenancePolicy {
    /// When provenance is required (the policy file's `provenance` word, read by the Configuration module).
    public typealias Requirement = ProvenanceRequirement
    /// The requirement.
    public var requirement: Requirement

    /// Makes the policy.
    public init(_ requirement: Requirement) { self.requirement = requirement }

    public func evaluate(_ input: PolicyInput) -> [Check] {
        let title = "Provenance present as required"
        var evidence = ["requirement": requirement.rawValue]
        if !input.earlierVersionsWithProvenance.isEmpty {
            evidence["earlierVersionsWithProvenance"] = input.earlierVersionsWithProvenance.joined(separator: ", ")
        }
        let required: Bool
        switch requirement {
        case .required: required = true
        case .optional: required = false
        case .whenPreviouslyPresent: required = !input.earlierVersionsWithProvenance.isEmpty
        }
        if input.provenance != nil {
            evidence["provenance"] = "present"
            return [.pass(.policyProvenanceRequired, title, evidence: evidence)]
        }
        if let reason = input.provenanceUncheckedReason, !input.provenanceInvalid {
            evidence["provenance"] = "unchecked"
            guard requirement == .optional else {
                return [.skipped(.policyProvenanceRequired, title, reason: "provenance could not be checked: \(reason)",
                                 evidence: evidence)]
            }
        }
        evidence["provenance"] = evidence["provenance"] ?? (input.provenanceInvalid ? "invalid" : "absent")
        guard required else {
            return [.notApplicable(
                .policyProvenanceRequired, title,
                reason: requirement == .optional
                    ? "the policy does not require provenance"
                    : "no earlier version had provenance and the policy does not require it",
                evidence: evidence)]
        }
        var reasons = [String]()
        if requirement == .required {
            reasons.append("the policy requires provenance, but \(input.name)@\(input.version) has "
                + (input.provenanceInvalid ? "only provenance that does not verify" : "none"))
        } else {
            reasons.append("earlier versions (\(input.earlierVersionsWithProvenance.suffix(3).joined(separator: ", "))) "
                + "were published with provenance, but \(input.name)@\(input.version) has "
                + (input.provenanceInvalid ? "only provenance that does not verify" : "none")
                + " (a publish without provenance after provenance releases is how stolen npm tokens show)")
        }
        return [.fail(.policyProvenanceRequired, title, evidence: evidence, reasons: reasons)]
    }
}

/// Whether a registry publish attestation must be present.
public struct PublishAttestationRequirementPolicy: ProvenancePolicy {
    /// Whether it is required.
    public var required: Bool

    /// Makes the policy.
    public init(required: Bool) { self.required = required }

    public func evaluate(_ input: PolicyInput) -> [Check] {
        let title = "Publish attestation present as required"
        let evidence = ["publishAttestation": input.publishAttestationPresent ? "present" : "absent"]
        if input.publishAttestationPresent { return [.pass(.policyPublishAttestationRequired, title, evidence: evidence)] }
        guard required else {
            return [.notApplicable(.policyPublishAttestationRequired, title,
                                   reason: "the policy does not require a publish attestation", evidence: evidence)]
        }
        if let reason = input.provenanceUncheckedReason {
            return [.skipped(.policyPublishAttestationRequired, title,
                             reason: "attestations could not be checked: \(reason)", evidence: evidence)]
        }
        return [.fail(.policyPublishAttestationRequired, title, evidence: evidence,
                      reasons: ["the policy requires a registry publish attestation, but none verified for "
                          + "\(input.name)@\(input.version)"])]
    }
}

/// The provenance's source repository must be the expected one (by URL, and by numeric ids when given).
///
/// With no expected URL, the packument's `repository` is the expectation (the default policy).
public struct RepositoryPolicy: ProvenancePolicy {
    /// The expected repository URL; `nil` = the packument's `repository`.
    public var expectedURL: String?
    /// The expected numeric GitHub repository id, if pinned.
    public var expectedRepositoryID: String?
    /// The expected numeric GitHub owner id, if pinned.
    public var expectedOwnerID: String?

    /// Makes the policy.
    public init(expectedURL: String? = nil, expectedRepositoryID: String? = nil, expectedOwnerID: String? = nil) {
        self.expectedURL = expectedURL
        self.expectedRepositoryID = expectedRepositoryID
        self.expectedOwnerID = expectedOwnerID
    }

    public func evaluate(_ input: PolicyInput) -> [Check] {
        let title = "Provenance names the expected repository"
        guard let facts = input.provenance else { return [withoutProvenance(.policyRepository, title, input)] }
        let origin = expectedURL != nil ? "policy" : "packument repository"
        guard let expected = expectedURL ?? input.packumentRepository else {
            return [.skipped(.policyRepository, title,
                             reason: "no expected repository: the packument names none and no policy sets `repository`",
                             evidence: ["provenanceRepository": facts.repository ?? "(none)"])]
        }
        var evidence = ["expectedRepository": expected, "expectedFrom": origin,
                        "provenanceRepository": facts.repository ?? "(none)"]
        var reasons = [String]()
        if let actual = facts.repository {
            if RepositoryURL.normalize(expected) == nil {
                reasons.append("the expected repository \"\(expected)\" (\(origin)) is not a recognisable repository URL")
            } else if !RepositoryURL.same(expected, actual) {
                reasons.append("provenance names repository \(actual), expected \(expected) (\(origin))")
            }
        } else {
            reasons.append("the provenance names no source repository")
        }
        for (label, key, want, have) in [
            ("repository id", "repositoryID", expectedRepositoryID, facts.repositoryID),
            ("owner id", "ownerID", expectedOwnerID, facts.ownerID),
        ] {
            guard let want else { continue }
            evidence["expected" + key.prefix(1).uppercased() + key.dropFirst()] = want
            evidence["provenance" + key.prefix(1).uppercased() + key.dropFirst()] = have ?? "(none)"
            if have != want {
                reasons.append("provenance names \(label) \(have ?? "(none)"), expected \(want) "
                    + "(a renamed or re-created repository keeps its URL but not its id)")
            }
        }
        return reasons.isEmpty
            ? [.pass(.policyRepository, title, evidence: evidence)]
            : [.fail(.policyRepository, title, evidence: evidence, reasons: reasons)]
    }
}

/// A single expected string fact of the provenance (workflow path, runner, environment) or a set of allowed ones.
public struct ProvenanceFieldPolicy: ProvenancePolicy {
    /// Which fact is checked.
    public enum Field: String, Sendable, Hashable {
        /// `workflowPath`.
        case workflow
        /// `ref` (glob patterns).
        case ref
        /// `trigger`.
        case trigger
        /// `runnerEnvironment`.
        case runner
        /// `deploymentEnvironment`.
        case environment
    }
    /// The fact.
    public var field: Field
    /// The allowed values (for `ref`: glob patterns, see ``RefPattern``).
    public var allowed: [String]

    /// Makes the policy; an empty `allowed` list allows nothing (fail closed).
    public init(_ field: Field, allowed: [String]) {
        self.field = field
        self.allowed = allowed
    }

    private var id: CheckID {
        switch field {
        case .workflow: .policyWorkflow
        case .ref: .policyRef
        case .trigger: .policyTrigger
        case .runner: .policyRunner
        case .environment: .policyEnvironment
        }
    }
    private var title: String {
        switch field {
        case .workflow: "Provenance names the expected workflow"
        case .ref: "Provenance ref is allowed"
        case .trigger: "Build trigger is allowed"
        case .runner: "Runner environment is allowed"
        case .environment: "Deployment environment is the expected one"
        }
    }
    private var label: String {
        switch field {
        case .workflow: "workflow"
        case .ref: "ref"
        case .trigger: "trigger"
        case .runner: "runner environment"
        case .environment: "deployment environment"
        }
    }

    public func evaluate(_ input: PolicyInput) -> [Check] {
        guard let facts = input.provenance else { return [withoutProvenance(id, title, input)] }
        let actual: String?
        switch field {
        case .workflow: actual = facts.workflowPath
        case .ref: actual = facts.ref
        case .trigger: actual = facts.trigger
        case .runner: actual = facts.runnerEnvironment
        case .environment: actual = facts.deploymentEnvironment
        }
        let evidence = ["allowed": allowed.joined(separator: ", "), label.replacingOccurrences(of: " ", with: "-"):
                            actual ?? "(none)"]
        guard let actual else {
            let why = field == .environment
                ? "the provenance certificate names no deployment environment (the job declared no `environment:`)"
                : "the provenance states no \(label)"
            return [.fail(id, title, evidence: evidence, reasons: ["\(why); the policy expects \(allowedText)"])]
        }
        let ok: Bool
        switch field {
        case .ref: ok = allowed.contains { RefPattern($0).matches(actual) }
        case .workflow: ok = allowed.contains { Self.normalizeWorkflow($0) == Self.normalizeWorkflow(actual) }
        default: ok = allowed.contains(actual)
        }
        return ok
            ? [.pass(id, title, evidence: evidence)]
            : [.fail(id, title, evidence: evidence, reasons: ["provenance \(label) is \(actual), the policy allows \(allowedText)"])]
    }

    private var allowedText: String {
        allowed.isEmpty ? "nothing (empty list)" : allowed.map { "\"\($0)\"" }.joined(separator: " or ")
    }

    /// Strips a leading `./` or `/` so `./.github/workflows/x.yml` equals `.github/workflows/x.yml`.
    static func normalizeWorkflow(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("./") { p = p.dropFirst(2) }
        while p.hasPrefix("/") { p = p.dropFirst() }
        return String(p)
    }
}

/// The rebuild must have one of the accepted outcomes.
public struct RebuildPolicy: ProvenancePolicy {
    /// The accepted outcomes.
    public var accepted: Set<RebuildOutcome>

    /// Makes the policy.
    public init(accepted: Set<RebuildOutcome>) { self.accepted = accepted }

    /// The default: byte-identical tarball, identical tar, or identical contents.
    public static let defaultAccepted: Set<RebuildOutcome> = RebuildOutcome.defaultAccepted

    public func evaluate(_ input: PolicyInput) -> [Check] {
        let title = "Rebuild outcome is accepted"
        let acceptedList = RebuildOutcome.allCases.filter(accepted.contains).map(\.rawValue)
        if input.sourceNotRequested {
            return [.notApplicable(.policyRebuild, title, reason: "the rebuild was not requested")]
        }
        guard let outcome = input.rebuildOutcome else {
            return [.skipped(.policyRebuild, title, reason: "no rebuild ran",
                             evidence: ["accepted": acceptedList.joined(separator: ", ")])]
        }
        let evidence = ["accepted": acceptedList.joined(separator: ", "), "outcome": outcome.rawValue]
        return accepted.contains(outcome)
            ? [.pass(.policyRebuild, title, evidence: evidence)]
            : [.fail(.policyRebuild, title, evidence: evidence,
                     reasons: ["rebuild outcome \(outcome.rawValue) is not accepted (accepted: \(acceptedList.joined(separator: ", ")))"])]
    }
}

/// The source commit must be in the history of an allowed branch (e.g. `refs/heads/main`): a release built from a
/// commit on no protected branch (an orphan commit pushed with a stolen token, a fork's commit) fails.
public struct BranchPolicy: ProvenancePolicy {
    /// Allowed branches, as ref globs (``RefPattern``), e.g. `refs/heads/main`, `refs/heads/release/*`.
    public var allowed: [String]

    /// Makes the policy.
    public init(allowed: [String]) { self.allowed = allowed }

    public func evaluate(_ input: PolicyInput) -> [Check] {
        let title = "Source commit is on an allowed branch"
        var evidence = ["allowed": allowed.joined(separator: ", ")]
        if input.sourceNotRequested {
            return [.notApplicable(.policyBranch, title, reason: "source checks were not requested")]
        }
        guard let commit = input.sourceCommit else {
            return [.skipped(.policyBranch, title, reason: "no source commit was read", evidence: evidence)]
        }
        evidence["commit"] = commit
        guard let branches = input.branchesContainingCommit else {
            return [.skipped(.policyBranch, title, reason: "the branches containing \(commit) could not be listed",
                             evidence: evidence)]
        }
        evidence["branches"] = branches.isEmpty ? "(none)" : branches.joined(separator: ", ")
        let matching = branches.filter { branch in allowed.contains { RefPattern($0).matches(branch) } }
        if !matching.isEmpty { return [.pass(.policyBranch, title, evidence: evidence)] }
        return [.fail(.policyBranch, title, evidence: evidence, reasons: [
            "commit \(commit) is in the history of " + (branches.isEmpty ? "no branch" : branches.joined(separator: ", "))
                + ", none of them allowed (" + allowed.joined(separator: ", ")
                + "): an orphan or unreviewed commit, or the source copy lacks the branch",
        ])]
    }
}

extension PolicyDocument {
    /// The composable policy this document describes.
    public var policy: PolicySet {
        PolicySet {
            ProvenanceRequirementPolicy(provenance)
            PublishAttestationRequirementPolicy(required: publishAttestationRequired)
            RepositoryPolicy(expectedURL: repository, expectedRepositoryID: repositoryID, expectedOwnerID: ownerID)
            if let workflows { ProvenanceFieldPolicy(.workflow, allowed: workflows) }
            if let refs { ProvenanceFieldPolicy(.ref, allowed: refs) }
            if let triggers { ProvenanceFieldPolicy(.trigger, allowed: triggers) }
            if let runners { ProvenanceFieldPolicy(.runner, allowed: runners) }
            if let environments { ProvenanceFieldPolicy(.environment, allowed: environments) }
            if let branches { BranchPolicy(allowed: branches) }
            RebuildPolicy(accepted: acceptedRebuildOutcomes)
        }
    }
}
