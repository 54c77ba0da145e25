import Foundation
import Testing
import TestSupport

/// Runs the built `provcheck` binary's `compare` and `hash` subcommands on fixture tarballs.
@Suite struct CompareCommandTests {
    typealias Run = ProvcheckBinary.Run

    static func run(_ arguments: [String]) throws -> Run { try ProvcheckBinary.run(arguments) }

    static func tarball(_ name: String) throws -> String { try Fixtures.url("npm/tarballs/\(name).tgz").path }

    @Test func sameFileIsExactWithExitZero() throws {
        let path = try Self.tarball("ms@2.1.3")
        let run = try Self.run(["compare", path, path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("verdict: exact"))
    }

    @Test func differentVersionsDifferWithExitOneAndJSONKeys() throws {
        let run = try Self.run(["compare", "--json", try Self.tarball("ms@2.1.2"), try Self.tarball("ms@2.1.3")])
        #expect(run.status == 1, "\(run.stderr)")
        let json = try #require(run.json)
        #expect(json["verdict"] as? String == "differs")
        for key in ["verdict", "gzip", "tar", "files_only_in_a", "files_only_in_b", "changed", "metadata_differences"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect((json["changed"] as? [[String: Any]])?.first?["path"] as? String == "package.json")
    }

    @Test func unreadableOrTruncatedInputExitsTwoNamingTheFile() throws {
        let good = try Self.tarball("wrappy@1.0.2")
        let missing = try Self.run(["compare", "/nonexistent/provcheck-a.tgz", good])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/provcheck-a.tgz"))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let truncated = directory.appendingPathComponent("truncated.tgz")
        try Data(try Data(contentsOf: URL(fileURLWithPath: good)).prefix(200)).write(to: truncated)
        let run = try Self.run(["compare", "--json", truncated.path, good])
        #expect(run.status == 2)
        let error = run.json?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "EINPUT")
        #expect(error?["reason"] as? String == "truncated-gzip")
        #expect(error?["input"] as? String == truncated.path)
        #expect(run.stderr.contains(truncated.path))
    }

    @Test func hashPrintsTheRecordedIntegrity() throws {
        let run = try Self.run(["hash", "-a", "sha512", "-a", "sha1", try Self.tarball("abbrev@2.0.0")])
        #expect(run.status == 0)
        #expect(run.stdout.contains("sha512-6/mh1E2u2YgEsCHdY0Yx5oW+61gZU+1vXaoiHHrpKeuRNNgFvS+/jrwHiQhB5apAf5oB7UB7E19ol2R2LKH8hQ=="))
        #expect(run.stdout.hasPrefix("sha1-"))
        #expect(try Self.run(["hash", "/nonexistent/x"]).status == 2)
    }
}
