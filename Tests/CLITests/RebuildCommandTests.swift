import Foundation
import Testing
import TestSupport

/// `provcheck rebuild` end to end on a fixture git bundle: JSON keys, exit codes 0/1/2.
@Suite struct RebuildCommandTests {
    static func run(_ arguments: [String]) throws -> ProvcheckBinary.Run { try ProvcheckBinary.run(arguments) }

    static let msIntegrity =
        "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="

    @Test func rebuildPrintsJSONAndReproducesIntegrity() throws {
        let bundle = try Fixtures.url("npm/sources/vercel+ms.bundle").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-cli-\(UUID().uuidString).tgz")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try Self.run(["rebuild", bundle, "--name", "ms", "--version", "2.1.3", "--expect-integrity",
                                Self.msIntegrity, "--output", output.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["integrity"] as? String == Self.msIntegrity)
        #expect((json["tar_sha512"] as? String)?.count == 128)
        #expect(json["files"] as? [String] == ["index.js", "package.json", "license.md", "readme.md"])
        #expect(json["npm_generation"] as? String == "npm7-10")
        #expect(json["commit"] as? String == "1c6264b795492e8fdecbc82cb8802fcfbfc08d26")
        #expect(try Data(contentsOf: output) == Fixtures.data("npm/tarballs/ms@2.1.3.tgz"))
    }

    @Test func unreproducedIntegrityExitsOneAndBadRefExitsTwo() throws {
        let bundle = try Fixtures.url("npm/sources/vercel+ms.bundle").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rebuild-cli-\(UUID().uuidString).tgz")
        defer { try? FileManager.default.removeItem(at: output) }
        let wrong = "sha512-" + Data(repeating: 7, count: 64).base64EncodedString()
        let mismatch = try Self.run(["rebuild", bundle, "--ref", "2.1.3", "--expect-integrity", wrong, "-o", output.path])
        #expect(mismatch.status == 1, "\(mismatch.stderr)")
        let badRef = try Self.run(["rebuild", bundle, "--ref", "no-such-tag", "-o", output.path])
        #expect(badRef.status == 2)
        #expect(badRef.stderr.contains("no-such-tag"))
    }
}
