import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// `provcheck integrity` end to end: the built binary against the loopback registry serving the real fixtures.
@Suite(.serialized) struct IntegrityCommandTests {
    /// The fixture cases with a real registry tarball, as `name@version` specs.
    static func casesWithTarballs() throws -> [String] {
        try Fixtures.npmCaseFiles().compactMap { file in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
            guard let json, json["registry_tarball"] is String,
                  let name = json["name"] as? String, let version = json["version"] as? String else { return nil }
            return "\(name)@\(version)"
        }
    }

    @Test func everyRealRegistryTarballVerifies() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let specs = try Self.casesWithTarballs()
        #expect(specs.count >= 19)
        for spec in specs {
            let run = try ProvcheckBinary.run(["integrity", spec, "--registry", registry.baseURL.absoluteString, "--json"])
            #expect(run.status == 0, "\(spec): \(run.stderr)\(run.stdout.suffix(2000))")
            let json = try #require(run.json, "\(spec): stdout is not JSON")
            #expect(json["name"] as? String == String(spec[..<spec.lastIndex(of: "@")!]))
            #expect(json["ok"] as? Bool == true)
            // Packuments of the oldest versions (isexe@2.0.0, wrappy@1.0.2) carry only the legacy sha1 shasum.
            let checked = (json["integrity"] as? [String: Any]) ?? (json["shasum"] as? [String: Any])
            let check = try #require(checked, "\(spec): neither integrity nor shasum was checked")
            #expect(check["ok"] as? Bool == true)
            #expect(check["expected"] as? String == check["actual"] as? String)
            if let shasum = json["shasum"] as? [String: Any] { #expect(shasum["ok"] as? Bool == true) }
            let archive = try #require(json["archive"] as? [String: Any])
            #expect(archive["gzip"] != nil && archive["entries"] != nil && archive["findings"] != nil)
        }
    }

    @Test func oneChangedByteFailsWithExitOne() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        registry.inject(.wrongBytes, on: "/ms/-/*")
        let run = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("FAIL integrity"))
        let json = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString,
                                            "--json"]).json
        #expect(json?["ok"] as? Bool == false)
    }

    @Test(arguments: [
        ("persistent 503", Fault.status(503)),
        ("connection reset", Fault.connectionReset),
        ("truncated body", Fault.truncatedBody(keepingBytes: 100)),
        ("too long Content-Length", Fault.wrongContentLength(delta: 50)),
        ("closed without answer", Fault.closeWithoutResponse),
    ])
    func networkFaultsEndInExitTwoNamingTheURL(label: String, fault: Fault) throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        registry.inject(fault, on: "/ms/-/*")
        let run = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString,
                                           "--attempts", "2", "--timeout", "5"])
        #expect(run.status == 2, "\(label): \(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains(registry.baseURL.absoluteString + "ms/-/"), "\(label): \(run.stderr)")
        #expect(!run.stdout.contains("OK"))
    }

    @Test func unknownPackageAndBadSpecAreUsageOrNetworkErrors() throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let missing = try ProvcheckBinary.run(["integrity", "no-such-package@1.0.0", "--registry", registry.baseURL.absoluteString])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-package"))
        let badSpec = try ProvcheckBinary.run(["integrity", "ms", "--registry", registry.baseURL.absoluteString])
        #expect(badSpec.status == 2)
        #expect(badSpec.stderr.contains("expected <name>@<version>"))
    }

    /// HTTPS end to end: the loopback registry serving TLS with the test CA (`Fixtures/tls/`). Without the CA the
    /// command fails closed with the trust error; with `cafile` from the project's `.npmrc` (or the
    /// `npm_config_cafile` variable) it verifies.
    @Test func httpsRegistryNeedsItsCAFromNpmrc() throws {
        let tls = LoopbackTLS(certificateChain: Fixtures.root.appendingPathComponent("tls/server.pem"),
                              privateKey: Fixtures.root.appendingPathComponent("tls/server.key"))
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root), tls: tls)
        defer { registry.stop() }
        let untrusted = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString])
        #expect(untrusted.status == 2, "\(untrusted.stdout) \(untrusted.stderr)")
        #expect(untrusted.stderr.contains(registry.baseURL.absoluteString) && untrusted.stderr.contains("not trusted"),
                "\(untrusted.stderr)")

        let project = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: project) }
        let ca = Fixtures.root.appendingPathComponent("tls/ca.pem").path
        try "registry=\(registry.baseURL.absoluteString)\ncafile=\(ca)\n".write(
            to: project.appendingPathComponent(".npmrc"), atomically: true, encoding: .utf8)
        let trusted = try ProvcheckBinary.run(["integrity", "ms@2.1.3"], in: project)
        #expect(trusted.status == 0, "\(trusted.stdout) \(trusted.stderr)")

        let viaEnvironment = try ProvcheckBinary.run(
            ["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString], environment: ["npm_config_cafile": ca])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.stdout) \(viaEnvironment.stderr)")
    }
}
