import Foundation
import Testing
import Lockfiles

/// Regression (issue 8 hostile inputs): deeply nested flow collections in a pnpm lockfile overflowed the stack
/// (SIGSEGV) in MiniYAML's recursive flow scanner; block nesting recursed without a bound too. Both now end in a
/// LockfileError naming the line.
@Suite struct MiniYAMLNestingRegressionTests {
    static let file = URL(fileURLWithPath: "/regression/pnpm-lock.yaml")

    @Test(arguments: ["{a: ", "[", "{a: [", "[{b: "])
    func deepFlowNestingIsAnError(_ opener: String) {
        let text = "lockfileVersion: '9.0'\npackages: " + String(repeating: opener, count: 50_000)
        #expect(throws: LockfileError.self) { try PnpmLockfileParser.parse(Data(text.utf8), file: Self.file) }
        do {
            _ = try PnpmLockfileParser.parse(Data(text.utf8), file: Self.file)
        } catch {
            #expect("\(error)".contains("line 2"), "\(error)")
        }
    }

    @Test func deepBlockNestingIsAnError() {
        var text = "lockfileVersion: '9.0'\npackages:\n"
        for level in 0..<3_000 { text += String(repeating: " ", count: 2 * (level + 1)) + "k\(level):\n" }
        #expect(throws: LockfileError.self) { try PnpmLockfileParser.parse(Data(text.utf8), file: Self.file) }
    }

    @Test func ordinaryNestingStillParses() throws {
        let text = """
        lockfileVersion: '9.0'
        packages:
          ms@2.1.3:
            resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}
        snapshots:
          ms@2.1.3: {}
        """
        let lockfile = try PnpmLockfileParser.parse(Data(text.utf8), file: Self.file)
        #expect(lockfile.packages.count == 1)
    }
}
