import Configuration
import Foundation
import Testing
import TestSupport

@Suite struct PolicyDocumentTests {
    func parseError(_ json: String) -> PolicyFileError? {
        do {
            _ = try PolicyDocument.parse(Data(json.utf8), source: "p.json")
            return nil
        } catch let error as PolicyFileError {
            return error
        } catch {
            return nil
        }
    }

    @Test func errorsNameTheFileAndField() {
        let cases: [(String, String?, String)] = [
            (#"{"workfow": "x"}"#, "workfow", "unknown field"),
            (#"{"refs": ["refs/tags/v*", "v*"]}"#, "refs[1]", "must be a full ref glob"),
            (#"{"refs": []}"#, "refs", "empty"),
            (#"{"repositoryId": "12a"}"#, "repositoryId", "non-negative integer"),
            (#"{"repositoryId": true}"#, "repositoryId", "non-negative integer"),
            (#"{"provenance": "yes"}"#, "provenance", "required"),
            (#"{"publishAttestation": true}"#, "publishAttestation", "required"),
            (#"{"rebuild": ["identical", "close-enough"]}"#, "rebuild[1]", "not a rebuild outcome"),
            (#"{"runner": "my-laptop"}"#, "runner", "github-hosted"),
            (#"{"branches": ["refs/heads/main", "main"]}"#, "branches[1]", "refs/heads/"),
            (#"{"repository": "nonsense"}"#, "repository", "not a repository URL"),
            (#"{"version": 2}"#, "version", "must be the number 1"),
            (#"[1]"#, nil, "top level"),
            (#"{"repository": "#, nil, "not valid JSON"),
        ]
        for (json, field, fragment) in cases {
            let error = parseError(json)
            #expect(error?.file == "p.json", "\(json)")
            #expect(error?.field == field, "\(json)")
            #expect(error?.message.contains(fragment) == true, "\(json): \(String(describing: error))")
        }
        #expect(parseError(#"{"workfow": "x"}"#)!.description.hasPrefix("policy p.json: field \"workfow\": unknown field"))
    }

    @Test func unreadableFileIsNamed() {
        #expect(throws: PolicyFileError.self) {
            try PolicyDocument.load(contentsOf: URL(fileURLWithPath: "/nonexistent/policy.json"))
        }
    }

    @Test func parsesEveryField() throws {
        let doc = try PolicyDocument.parse(Data("""
        {"version": 1, "repository": "https://github.com/o/r", "repositoryId": 5, "ownerId": "6",
         "workflow": [".github/workflows/a.yml"], "refs": "refs/tags/*", "triggers": ["push"],
         "runner": ["github-hosted"], "environment": "npm", "provenance": "optional",
         "publishAttestation": "required", "rebuild": "identical"}
        """.utf8), source: "x.json")
        #expect(doc.repository == "https://github.com/o/r")
        #expect(doc.repositoryID == "5")
        #expect(doc.ownerID == "6")
        #expect(doc.workflows == [".github/workflows/a.yml"])
        #expect(doc.refs == ["refs/tags/*"])
        #expect(doc.environments == ["npm"])
        #expect(doc.provenance == .optional)
        #expect(doc.publishAttestationRequired)
        #expect(doc.acceptedRebuildOutcomes == [.identical])
        #expect(doc.sha256?.count == 64)
        #expect(doc.source == "x.json")
    }

    @Test func examplePoliciesParse() throws {
        let dir = Fixtures.repositoryRoot.appendingPathComponent("docs/examples")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(".policy.json") }
        #expect(files.count >= 2)
        for file in files { _ = try PolicyDocument.load(contentsOf: file) }
    }
}
