import Foundation
import JSON
import LoopbackRegistry
import Testing
import TestSupport

/// TestSupport's ``AuditProject``: the fixture registry serves what the written lockfile names, and `provcheck audit`
/// reads the project it writes.
@Suite struct AuditProjectTests {
    @Test func writesALockfileOfTheChosenFixturesAndServesThem() throws {
        let project = try AuditProject([.init("gundam-visor@1.0.1"), .init("@trishankatdatadog/supreme-goggles@1.0.5", dev: true),
                                        .init("sigstore@1.0.0", at: "node_modules/x/node_modules/sigstore")],
                                       installed: true)
        defer { project.stop() }
        let lock = try RawJSON(parsing: Data(contentsOf: project.url.appendingPathComponent("package-lock.json")))
        #expect(lock["lockfileVersion"] == .int(3))
        let packages = try #require(lock["packages"]?.objectValue)
        #expect(Set(packages.keys) == ["", "node_modules/gundam-visor", "node_modules/@trishankatdatadog/supreme-goggles",
                                       "node_modules/x/node_modules/sigstore"])
        let scoped = try #require(packages["node_modules/@trishankatdatadog/supreme-goggles"])
        #expect(scoped["dev"] == true)
        #expect(scoped["resolved"]?.stringValue
            == "https://registry.npmjs.org/@trishankatdatadog/supreme-goggles/-/supreme-goggles-1.0.5.tgz")
        #expect(scoped["integrity"]?.stringValue
            == (try AuditProject.fixtureIntegrity(name: "@trishankatdatadog/supreme-goggles", version: "1.0.5")))
        let installed = try RawJSON(parsing: Data(contentsOf: project.url.appendingPathComponent("node_modules/x/node_modules/sigstore/package.json")))
        #expect(installed["version"]?.stringValue == "1.0.0")
        // The registry serves a packument with the locked version and integrity for every locked package.
        for (location, entry) in packages where !location.isEmpty {
            let name = String(location.split(separator: "node_modules/").last ?? "")
            let version = try #require(entry["version"]?.stringValue)
            let served = project.registry.content.packuments[name]?["versions"]?[version]?["dist"]?["integrity"]
            #expect(served == entry["integrity"], "\(name)@\(version)")
        }

        let run = try ProvcheckBinary.run(["audit", "--registry", project.registryURL, "--json"], in: project.url)
        #expect(run.json?["audited"] as? Int == 3, Comment(rawValue: run.stderr + run.stdout))
    }

    @Test func aMissingFixtureIsNamed() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        #expect(throws: Fixtures.MissingFixture.self) {
            try AuditProject.write(to: folder.url, packages: [.init("no-such-package@0.0.1")])
        }
    }
}
