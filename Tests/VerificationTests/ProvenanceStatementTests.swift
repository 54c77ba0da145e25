import Configuration
import Foundation
import Testing
import TestSupport
@testable import Verification

@Suite struct ProvenanceStatementTests {
    /// The SLSA provenance payload of a real npm attestations response.
    static func provenancePayload(_ caseName: String) throws -> Data {
        let response = try JSONSerialization.jsonObject(with: Fixtures.data("npm/attestations/\(caseName).json")) as! [String: Any]
        for attestation in response["attestations"] as! [[String: Any]]
        where (attestation["predicateType"] as? String)?.hasPrefix("https://slsa.dev/provenance") == true {
            let envelope = (attestation["bundle"] as! [String: Any])["dsseEnvelope"] as! [String: Any]
            return Data(base64Encoded: envelope["payload"] as! String)!
        }
        throw ProvenanceStatementError("no provenance in \(caseName)")
    }

    @Test func gundamVisorFacts() throws {
        let facts = try ProvenanceIdentity.fromStatement(try Self.provenancePayload("gundam-visor@1.0.1"))
        #expect(facts == gundamFacts.with { $0.invocationURI = "https://github.com/ramonpetgrave64/gundam-visor/actions/runs/9358004112/attempts/1" })
    }

    @Test func sigstoreFacts() throws {
        let facts = try ProvenanceIdentity.fromStatement(try Self.provenancePayload("sigstore@2.3.1"))
        #expect(facts.repository == "https://github.com/sigstore/sigstore-js")
        #expect(facts.ref == "refs/heads/main")
        #expect(facts.commit == "46e7056ff9912ebfee5298d94024895a9fea76c0")
        #expect(facts.trigger == "push")
        #expect(facts.runnerEnvironment == "github-hosted")
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/monorepo-main-branch.policy.json"))
        let input = PolicyInput(name: "sigstore", version: "2.3.1", provenance: facts, publishAttestationPresent: true,
                                packumentRepository: "git+https://github.com/sigstore/sigstore-js.git",
                                rebuildOutcome: .sameContent, sourceCommit: facts.commit,
                                branchesContainingCommit: ["refs/heads/main"])
        let failures = policy.policy.evaluate(input).filter { $0.status != .pass }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func v02Facts() throws {
        let facts = try ProvenanceIdentity.fromStatement(try Self.provenancePayload("sigstore@1.0.0"))
        #expect(facts.repository == "https://github.com/sigstore/sigstore-js")
        #expect(facts.commit?.count == 40)
        #expect(facts.workflowPath == ".github/workflows/publish.yml")
        #expect(facts.ref == "refs/tags/v1.0.0")
        #expect(facts.trigger == "release")
        #expect(facts.repositoryID == "495574555")
        #expect(facts.runnerEnvironment == nil)
    }

    @Test func factsKeepEveryCharacterAsSigned() throws {
        // A leading U+FEFF must survive (Foundation's JSONSerialization would drop it, making it equal the real repo).
        let payload = try Self.provenancePayload("gundam-visor@1.0.1")
        let text = String(decoding: payload, as: UTF8.self)
            .replacingOccurrences(of: #""repository":"https://github.com/"#, with: "\"repository\":\"\u{FEFF}https://github.com/")
        #expect(text != String(decoding: payload, as: UTF8.self), "the fixture's workflow.repository was found")
        let facts = try ProvenanceIdentity.fromStatement(Data(text.utf8))
        #expect(facts.repository == "\u{FEFF}https://github.com/ramonpetgrave64/gundam-visor")
    }

    @Test func packumentFactsFromTheRealPackumentKeepEveryCharacter() throws {
        let packument = try Fixtures.data("npm/packuments/ms.json")
        let facts = try PackumentFacts.parse(packument: packument, version: "2.1.2", source: "ms")
        #expect(facts.name == "ms")
        #expect(facts.integrity?.hasPrefix("sha512-") == true)
        #expect(facts.tarballURL?.hasSuffix("/ms/-/ms-2.1.2.tgz") == true)
        #expect(facts.publishTime != nil)
        // A leading U+FEFF in a served value stays (Foundation's JSONSerialization would drop it).
        let text = String(decoding: packument, as: UTF8.self)
        let marked = text.replacingOccurrences(of: #""_npmVersion": ""#, with: "\"_npmVersion\": \"\u{FEFF}")
        #expect(marked != text)
        let markedFacts = try PackumentFacts.parse(packument: Data(marked.utf8), version: "2.1.2", source: "ms")
        #expect(markedFacts.npmVersion?.unicodeScalars.first == "\u{FEFF}")
        #expect(throws: VerificationError.self) { try PackumentFacts.parse(packument: Data("[]".utf8), version: "1", source: "x") }
        #expect(throws: VerificationError.self) { try PackumentFacts.parse(packument: packument, version: "9.9.9", source: "ms") }
    }

    @Test func unknownPredicateIsAnError() {
        #expect(throws: ProvenanceStatementError.self) {
            try ProvenanceIdentity.fromStatement(Data(#"{"predicateType":"https://example.com/x","predicate":{}}"#.utf8))
        }
    }
}

extension ProvenanceIdentity {
    func with(_ change: (inout ProvenanceIdentity) -> Void) -> ProvenanceIdentity {
        var copy = self
        change(&copy)
        return copy
    }
}
