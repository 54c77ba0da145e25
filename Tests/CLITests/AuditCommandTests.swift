import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// `provcheck audit` as a process: exit codes, `--json`, `--sarif`, against the fixture registry on loopback.
@Suite(.serialized) struct AuditCommandTests {
    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Run {
        let result = try ProvcheckBinary.run(arguments, in: directory, environment: ["NODE_ENV": nil])
        return Run(status: result.status, stdout: Data(result.stdout.utf8), stderr: result.stderr)
    }

    @Test
    func jsonSarifAndExitCodes() throws {
        let project = try AuditProject([
            .init("sigstore@1.0.0"), .init("gundam-visor@1.0.1", dev: true),
        ], root: ["name": "cli-project", "version": "1.0.0"],
           extra: ["node_modules/from-git": ["version": "1.0.0", "resolved": "git+https://github.com/o/from-git.git#abc"]])
        defer { project.stop() }
        let registry = project.registry, folder = project.url
        let sarif = folder.appendingPathComponent("audit.sarif")

        let full = try Self.run(["audit", "--registry", registry.baseURL.absoluteString, "--json", "--sarif", sarif.path], in: folder)
        #expect(full.status == 1, "\(full.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: full.stdout) as? [String: Any])
        #expect(json["audited"] as? Int == 2)
        #expect(json["verified_signatures"] as? Int == 1)
        #expect(json["verified_attestations"] as? Int == 2)
        #expect(json["missing"] as? Int == 1)
        #expect(json["invalid"] as? Int == 0)
        #expect(json["skipped"] as? Int == 1)
        let packages = try #require(json["packages"] as? [[String: Any]])
        #expect(packages.first { $0["name"] as? String == "from-git" }?["status"] as? String == "skipped")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sarif)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")

        // Without the dev package nothing is missing; the skipped git package fails only with --strict.
        let prod = try Self.run(["audit", "--registry", registry.baseURL.absoluteString, "--omit", "dev"], in: folder)
        #expect(prod.status == 0, "\(prod.stderr)")
        let text = String(decoding: prod.stdout, as: UTF8.self)
        #expect(text.contains("1 package has a verified registry signature"))
        #expect(text.contains("not from a registry: 1"))
        let strict = try Self.run(["audit", "--registry", registry.baseURL.absoluteString, "--omit", "dev", "--strict"], in: folder)
        #expect(strict.status == 1)

        // No lockfile: exit 2 naming the folder.
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let missing = try Self.run(["audit", "--registry", registry.baseURL.absoluteString], in: empty)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no lockfile found"))

        // Registry down: every registry package is a network error; exit 2 (nothing verified).
        registry.inject(.status(503), on: "*")
        let down = try Self.run(["audit", "--registry", registry.baseURL.absoluteString, "--attempts", "1"], in: folder)
        #expect(down.status == 2, "\(down.stderr)")
    }

    /// `audit --rebuild`: a package whose rebuild check was skipped (offline, no local source for its repository) is
    /// never verified — `--strict` fails it as `verify --strict` does — and the text output lists every rebuild
    /// outcome, also when the rebuild ran from the local source.
    @Test func rebuildStrictFailsWhenARebuildCheckWasSkipped() throws {
        let project = try AuditProject([.init("sigstore@1.0.0")], root: ["name": "rebuild-project", "version": "1.0.0"])
        defer { project.stop() }
        let registry = project.registry, folder = project.url
        let common = ["audit", "--registry", registry.baseURL.absoluteString, "--offline", "--rebuild"]

        let skipped = try Self.run(common, in: folder)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let text = String(decoding: skipped.stdout, as: UTF8.self)
        #expect(text.contains("1 package rebuilt from source"), "\(text)")
        #expect(text.contains("sigstore@1.0.0: rebuild skipped: "), "\(text)")
        #expect(text.contains("rebuild check skipped: 1"), "\(text)")
        let strict = try Self.run(common + ["--strict"], in: folder)
        #expect(strict.status == 1, "\(strict.stderr)")
        let json = try Self.run(common + ["--json"], in: folder)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["skipped_by_reason"] as? [String: Int] == ["rebuild-skipped": 1])

        let bundle = try Fixtures.url("npm/sources/sigstore+sigstore-js.bundle").path
        let rebuilt = try Self.run(common + ["--source", "https://github.com/sigstore/sigstore-js=\(bundle)"], in: folder)
        let rebuiltText = String(decoding: rebuilt.stdout, as: UTF8.self)
        #expect(rebuiltText.contains("sigstore@1.0.0: rebuil"), "\(rebuiltText)")
    }
}
