import Configuration
import Foundation
import Testing
import TestSupport
@testable import Verification

/// The facts of gundam-visor@1.0.1's real provenance (Fixtures/npm/attestations/gundam-visor@1.0.1.json).
let gundamFacts = ProvenanceIdentity(
    repository: "https://github.com/ramonpetgrave64/gundam-visor", repositoryID: "810002373", ownerID: "32398091",
    workflowPath: ".github/workflows/npm-publish.yml", ref: "refs/tags/v1.0.1",
    commit: "599500821344b070902a7a5666064bfdaba715df", trigger: "release", runnerEnvironment: "github-hosted",
    builderID: "https://github.com/actions/runner/github-hosted")

func gundamInput(_ facts: ProvenanceIdentity? = gundamFacts, earlier: [String] = [],
                 rebuild: RebuildOutcome? = .identical) -> PolicyInput {
    PolicyInput(name: "gundam-visor", version: "1.0.1", provenance: facts, publishAttestationPresent: facts != nil,
                packumentRepository: "git+https://github.com/ramonpetgrave64/gundam-visor.git",
                earlierVersionsWithProvenance: earlier, rebuildOutcome: rebuild,
                sourceCommit: facts?.commit ?? gundamFacts.commit, branchesContainingCommit: ["refs/heads/main"])
}

func statuses(_ checks: [Check]) -> [String: String] {
    Dictionary(uniqueKeysWithValues: checks.map { ($0.id.rawValue, $0.status.keyword) })
}

@Suite struct PolicyTests {
    @Test func repositoryURLsNormalise() {
        let forms = [
            "https://github.com/RamonPetgrave64/gundam-visor", "git+https://github.com/ramonpetgrave64/gundam-visor.git",
            "git@github.com:ramonpetgrave64/gundam-visor.git", "github:ramonpetgrave64/gundam-visor",
            "ramonpetgrave64/gundam-visor", "git+ssh://git@github.com/ramonpetgrave64/gundam-visor.git",
            "git://github.com/ramonpetgrave64/gundam-visor.git", "https://github.com/ramonpetgrave64/gundam-visor/#readme",
        ]
        for form in forms {
            #expect(RepositoryURL.normalize(form) == "https://github.com/ramonpetgrave64/gundam-visor", "\(form)")
        }
        #expect(!RepositoryURL.same("https://github.com/o/r", "https://github.com/o/r2"))
        #expect(!RepositoryURL.same("https://github.com/o/r", "https://gitlab.com/o/r"))
        #expect(RepositoryURL.normalize("not a url") == nil)
        #expect(!RepositoryURL.same("", ""))
    }

    @Test func refGlobs() {
        #expect(RefPattern("refs/tags/v*").matches("refs/tags/v1.0.1"))
        #expect(!RefPattern("refs/tags/v*").matches("refs/tags/x1"))
        #expect(!RefPattern("refs/tags/v*").matches("refs/tags/v1/evil"))
        #expect(RefPattern("refs/tags/**").matches("refs/tags/pkg/v1"))
        #expect(!RefPattern("refs/heads/main").matches("refs/heads/main2"))
        #expect(RefPattern("refs/tags/v?.*").matches("refs/tags/v1.2"))
    }

    @Test func defaultPolicyPassesGundamVisor() {
        let checks = PolicyDocument.default.policy.evaluate(gundamInput())
        #expect(statuses(checks) == [
            "policy.provenance-required": "pass", "policy.publish-attestation-required": "pass",
            "policy.repository": "pass", "policy.rebuild": "pass",
        ])
        #expect(checks.first { $0.id == .policyRepository }?.evidence["expectedFrom"] == "packument repository")
    }

    @Test func examplePolicyPassesGundamVisorAndEveryFieldIsChecked() throws {
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        let checks = policy.policy.evaluate(gundamInput())
        #expect(checks.count == 9)
        #expect(checks.allSatisfy { $0.status == .pass }, "\(checks.filter { $0.status != .pass })")
    }

    @Test func provenanceFromAnotherRepositoryOrWorkflowFails() throws {
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        var fork = gundamFacts
        fork.repository = "https://github.com/attacker/gundam-visor"
        fork.repositoryID = "1"
        var otherWorkflow = gundamFacts
        otherWorkflow.workflowPath = ".github/workflows/evil.yml"
        otherWorkflow.ref = "refs/heads/evil"
        otherWorkflow.trigger = "workflow_dispatch"
        otherWorkflow.runnerEnvironment = "self-hosted"

        let forkChecks = statuses(policy.policy.evaluate(gundamInput(fork)))
        #expect(forkChecks["policy.repository"] == "fail")
        #expect(forkChecks["policy.workflow"] == "pass")
        let reasons = policy.policy.evaluate(gundamInput(fork)).first { $0.id == .policyRepository }!.reasons
        #expect(reasons.count == 2)
        #expect(reasons[0].contains("attacker/gundam-visor"))

        let workflowChecks = statuses(policy.policy.evaluate(gundamInput(otherWorkflow)))
        for id in ["policy.workflow", "policy.ref", "policy.trigger", "policy.runner"] {
            #expect(workflowChecks[id] == "fail", "\(id)")
        }
        #expect(workflowChecks["policy.repository"] == "pass")

        // Default policy: the packument repository is the expectation.
        #expect(statuses(PolicyDocument.default.policy.evaluate(gundamInput(fork)))["policy.repository"] == "fail")
    }

    @Test func missingProvenance() throws {
        // Default policy, no history of provenance: not applicable, identity checks not applicable.
        let none = statuses(PolicyDocument.default.policy.evaluate(gundamInput(nil)))
        #expect(none["policy.provenance-required"] == "not-applicable")
        #expect(none["policy.repository"] == "not-applicable")
        // Default policy, earlier versions had provenance: a downgrade fails.
        let downgrade = PolicyDocument.default.policy.evaluate(gundamInput(nil, earlier: ["1.0.0"]))
        let check = try #require(downgrade.first { $0.id == .policyProvenanceRequired })
        #expect(check.status == .fail)
        #expect(check.reasons[0].contains("1.0.0"))
        // A policy that requires provenance fails without it.
        let required = try PolicyDocument.parse(Data(#"{"provenance":"required"}"#.utf8))
        #expect(statuses(required.policy.evaluate(gundamInput(nil)))["policy.provenance-required"] == "fail")
    }

    @Test func environmentPolicyFailsWhenTheCertificateNamesNone() {
        let checks = PolicySet { ProvenanceFieldPolicy(.environment, allowed: ["npm"]) }.evaluate(gundamInput())
        #expect(checks.count == 1)
        #expect(checks[0].status == .fail)
        #expect(checks[0].reasons[0].contains("environment"))
    }

    @Test func rebuildPolicy() {
        let policy = RebuildPolicy(accepted: [.identical])
        #expect(policy.evaluate(gundamInput(rebuild: .identical))[0].status == .pass)
        #expect(policy.evaluate(gundamInput(rebuild: .sameContent))[0].status == .fail)
        #expect(policy.evaluate(gundamInput(rebuild: nil))[0].status.isSkipped)
    }

    @Test func noExpectedRepositoryIsSkippedNotPassed() {
        var input = gundamInput()
        input.packumentRepository = nil
        #expect(RepositoryPolicy().evaluate(input)[0].status.isSkipped)
    }

    @Test func idsArePinned() {
        var renamed = gundamFacts
        renamed.ownerID = "999"
        let checks = RepositoryPolicy(expectedURL: "https://github.com/ramonpetgrave64/gundam-visor",
                                      expectedRepositoryID: "810002373", expectedOwnerID: "32398091")
            .evaluate(gundamInput(renamed))
        #expect(checks[0].status == .fail)
        #expect(checks[0].reasons == ["provenance names owner id 999, expected 32398091 (a renamed or re-created repository keeps its URL but not its id)"])
    }
}

@Suite struct UncheckedProvenanceTests {
    @Test func uncheckedProvenanceIsSkippedNotApplicable() throws {
        var input = gundamInput(nil)
        input.provenanceUncheckedReason = "trust verification unavailable"
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        let checks = policy.policy.evaluate(input)
        for check in checks where check.id != .policyRebuild && check.id != .policyBranch {
            #expect(check.status.isSkipped, "\(check.id)")
        }
        #expect(OverallResult.derive(from: checks, strictness: .standard) == .incomplete)
    }
}

@Suite struct BranchPolicyTests {
    @Test func commitMustBeOnAnAllowedBranch() {
        var input = gundamInput()
        #expect(BranchPolicy(allowed: ["refs/heads/main"]).evaluate(input)[0].status == .pass)
        #expect(BranchPolicy(allowed: ["refs/heads/release/*"]).evaluate(input)[0].status == .fail)
        input.branchesContainingCommit = []
        let orphan = BranchPolicy(allowed: ["refs/heads/main"]).evaluate(input)[0]
        #expect(orphan.status == .fail)
        #expect(orphan.reasons[0].contains("no branch"))
        input.branchesContainingCommit = nil
        #expect(BranchPolicy(allowed: ["refs/heads/main"]).evaluate(input)[0].status.isSkipped)
        input.sourceCommit = nil
        #expect(BranchPolicy(allowed: ["refs/heads/main"]).evaluate(input)[0].status.isSkipped)
    }
}
