import Testing
@testable import NPMTrust

/// The provenance facts of the fixture packages as their signed statements and Fulcio certificates state them:
/// one table for the statement checks (AttestationLogicTests) and the certificate checks (RealAttestationTests).
enum ExpectedProvenance {
    /// The facts every fixture's provenance names (`runInvocationURL` nil: not checked).
    typealias Facts = (repository: String, commit: String, ref: String, workflowPath: String, trigger: String,
                       runInvocationURL: String?)

    /// gundam-visor@1.0.1 (SLSA v1, GitHub-hosted runner).
    static let gundamVisor: Facts = (
        repository: "https://github.com/ramonpetgrave64/gundam-visor",
        commit: "599500821344b070902a7a5666064bfdaba715df", ref: "refs/tags/v1.0.1",
        workflowPath: ".github/workflows/npm-publish.yml", trigger: "release",
        runInvocationURL: "https://github.com/ramonpetgrave64/gundam-visor/actions/runs/9358004112/attempts/1")

    /// @trishankatdatadog/supreme-goggles@1.0.5 (SLSA v0.2).
    static let supremeGoggles: Facts = (
        repository: "https://github.com/trishankatdatadog/supreme-goggles",
        commit: "38ebf99444e033b2f1550c9aaaeacd62d02a12ba", ref: "refs/tags/v1.0.5",
        workflowPath: ".github/workflows/npm-publish.yml", trigger: "release",
        runInvocationURL: "https://github.com/trishankatdatadog/supreme-goggles/actions/runs/4994975790/attempts/1")

    /// sigstore@1.0.0 (SLSA v0.2).
    static let sigstore100: Facts = (
        repository: "https://github.com/sigstore/sigstore-js",
        commit: "06528997c3c8ab9f864fad9a3658446aca7fd86d", ref: "refs/tags/v1.0.0",
        workflowPath: ".github/workflows/publish.yml", trigger: "release", runInvocationURL: nil)

    /// Expects `facts` to state `expected`.
    static func expect(_ facts: ProvenanceFacts, _ expected: Facts, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(facts.repository == expected.repository, sourceLocation: sourceLocation)
        #expect(facts.commit == expected.commit, sourceLocation: sourceLocation)
        #expect(facts.ref == expected.ref, sourceLocation: sourceLocation)
        #expect(facts.workflowPath == expected.workflowPath, sourceLocation: sourceLocation)
        #expect(facts.trigger == expected.trigger, sourceLocation: sourceLocation)
        if let url = expected.runInvocationURL {
            #expect(facts.runInvocationURL == url, sourceLocation: sourceLocation)
        }
    }

    /// Expects gundam-visor's runner facts: a GitHub-hosted runner and the repository's numeric ids.
    static func expectGundamVisorRunner(_ facts: ProvenanceFacts, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(facts.builderID == "https://github.com/actions/runner/github-hosted", sourceLocation: sourceLocation)
        #expect(facts.runnerEnvironment == "github-hosted", sourceLocation: sourceLocation)
        #expect(facts.repositoryID == "810002373", sourceLocation: sourceLocation)
        #expect(facts.repositoryOwnerID == "32398091", sourceLocation: sourceLocation)
    }
}
