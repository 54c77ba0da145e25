import Testing
import Foundation
import TestSupport

@Suite struct CLISmokeTests {
    @Test func fixturesArePresent() throws {
        #expect(try Fixtures.npmCaseFiles().count >= 20)
    }
}
