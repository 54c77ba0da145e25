import Foundation
import Testing
import TestSupport

/// A few sigstore-conformance cases through the built `provcheck` binary (`provcheck sigstore verify-bundle`),
/// with the suite's exact argv; the full 45×2 run is in-process in ``ConformanceSuiteTests``.
@Suite struct VerifyBundleCLITests {
    /// Runs `provcheck sigstore <arguments>` in the conformance folder; returns the exit status and stdout.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ProvcheckBinary.run(["sigstore"] + arguments, in: try Fixtures.url("sigstore/conformance"))
        return (result.status, result.stdout)
    }

    @Test(arguments: ["happy-path-v0.1", "managed-key-happy-path", "rekor2-dsse-happy-path", "intoto-expired-certificate_fail",
                      "signature-mismatch_fail", "bundle-from-wrong-instance_fail"])
    func conformanceCaseThroughBinary(_ id: String) throws {
        let testCase = try #require(try ConformanceCase.all().first { $0.id == id })
        for argv in [testCase.pathForm, testCase.digestForm] {
            let (status, _) = try Self.run(argv)
            #expect(status == (testCase.expected == "pass" ? 0 : 1), "\(id): \(argv.last!) exit \(status)")
        }
    }

    @Test func jsonReportAndInputErrors() throws {
        let testCase = try #require(try ConformanceCase.all().first { $0.id == "happy-path-v0.2" })
        var argv = testCase.digestForm
        argv.insert("--json", at: argv.count - 1)
        let (status, output) = try Self.run(argv)
        #expect(status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == true)
        #expect((report["tlogEntries"] as? [Any])?.count == 1)
        // An unreadable bundle is an environment error (2), not a verification verdict.
        var missing = testCase.pathForm
        missing[2] = "bundle-verify/does-not-exist.json"
        #expect(try Self.run(missing).status == 2)
        // Neither an identity nor a key is a usage error (2).
        #expect(try Self.run(["verify-bundle", "--bundle", testCase.pathForm[2], "bundle-verify/a.txt"]).status == 2)
        // A wrong identity fails the check (1).
        var wrongIdentity = testCase.pathForm
        wrongIdentity[4] = "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main"
        let (wrongStatus, wrongOutput) = try Self.run(wrongIdentity)
        #expect(wrongStatus == 1)
        #expect(wrongOutput.contains("identityMismatch"))
    }
}
