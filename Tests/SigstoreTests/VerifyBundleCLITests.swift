import Foundation
import Testing
import TestSupport

/// A few sigstore-conformance cases through the built `provcheck` binary (`provcheck sigstore verify-bundle`),
/// with the suite's exact argv; the full 45×2 run is in-process in ``ConformanceSuiteTests``.
@Suite struct VerifyBundleCLITests {
    struct MissingBinary: Error, CustomStringConvertible {
        var description: String { "the provcheck executable was not found; build it with `swift build --build-tests`" }
    }

    /// The built `provcheck` executable next to the test bundle (or under `.build/debug`).
    static func provcheckBinary() throws -> URL {
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("provcheck"))
            directory.deleteLastPathComponent()
        }
        candidates.append(Fixtures.repositoryRoot.appendingPathComponent(".build/debug/provcheck"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingBinary()
        }
        return found
    }

    /// Runs `provcheck sigstore <arguments>` in the conformance folder; returns the exit status and stdout.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try provcheckBinary()
        process.arguments = ["sigstore"] + arguments
        process.currentDirectoryURL = try Fixtures.url("sigstore/conformance")
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
        // A wrong identity fails the check (1).
        var wrongIdentity = testCase.pathForm
        wrongIdentity[4] = "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main"
        let (wrongStatus, wrongOutput) = try Self.run(wrongIdentity)
        #expect(wrongStatus == 1)
        #expect(wrongOutput.contains("identityMismatch"))
    }
}
