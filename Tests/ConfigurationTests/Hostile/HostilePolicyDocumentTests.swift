import Configuration
import Foundation
import Testing
import TestSupport

/// The policy file parser against hostile documents (issue 8): a named error, in bounded time, never a crash (deep
/// nesting must not exhaust the stack).
@Suite struct HostilePolicyDocumentTests {
    static let jsonCases = HostileJSON.all(fields: ["version", "repository", "refs", "lockfileVersion", "packages",
                                                    "dependencies"])

    /// Every case is refused, a UTF-8 BOM before `{}` included (Node's JSON.parse refuses it; issue 17).
    @Test(arguments: jsonCases)
    func policyParserFailsClosedInBoundedTime(_ hostile: HostileJSON.Case) {
        let elapsed = HostileJSON.timed {
            #expect(throws: (any Error).self, "\(hostile) accepted as a policy") {
                try PolicyDocument.parse(hostile.data, source: "hostile.policy.json")
            }
        }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }
}
