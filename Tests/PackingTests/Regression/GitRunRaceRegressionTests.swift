import Foundation
import Testing
@testable import Packing

/// Regression (issue 8, ThreadSanitizer): `Git.run` handed git's stderr from a reader thread through a plain `Bool`
/// the caller busy-waited on — a data race. Under `Scripts/sanitizers.sh thread` this test exercises the hand-off.
@Suite struct GitRunRaceRegressionTests {
    @Test func stderrOfAFailingGitCommandReachesTheError() throws {
        for _ in 0..<8 {
            do {
                _ = try Git.run(["--git-dir=/nonexistent/provcheck-regression", "rev-parse", "HEAD"], context: "regression")
                Issue.record("git succeeded on a missing repository")
            } catch {
                #expect("\(error)".contains("regression"), "\(error)")
                #expect("\(error)".lowercased().contains("not a git repository") || "\(error)".contains("exit"), "\(error)")
            }
            #expect(!(try Git.run(["--version"], context: "regression")).isEmpty)
        }
    }
}
