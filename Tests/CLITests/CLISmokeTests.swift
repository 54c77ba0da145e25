import Foundation
import Testing
import TestSupport

@Suite struct CLISmokeTests {
    @Test func fixturesArePresent() throws {
        #expect(try Fixtures.npmCaseFiles().count >= 20)
    }

    @Test(arguments: [["verify"], ["--bogus"], ["integrity", "ms@1.0.0", "--timeout", "soon"], ["audit", "--omit", "nothing"]])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let run = try ProvcheckBinary.run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains("Error:"))
    }

    @Test func helpTeachesAndExitsZero() throws {
        let run = try ProvcheckBinary.run(["--help"])
        #expect(run.status == 0)
        for word in ["verify", "audit", "integrity", "rebuild", "compare", "attestations", "watch", "staged", "Exit codes"] {
            #expect(run.stdout.contains(word), "\(word) missing from --help")
        }
    }
}
