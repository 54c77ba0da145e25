import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// Issue 17 item 2 through the binary: tarballs npm reads differently from POSIX tar readers fail `integrity`
/// (exit 1, an `npm-reads-differently` error) and are never an acceptable `compare` result.
@Suite(.serialized) struct NodeTarHostileCLITests {
    static let cases: [(String, Data)] = [
        ("prefix-with-leading-nul", TarBuilder.NodeTarHostile.prefixWithLeadingNUL),
        ("pax-then-gnu-long-name", TarBuilder.NodeTarHostile.paxThenGNULongName),
    ]

    /// A loopback registry serving case `index` as its package's version 1.0.0, with the package name.
    static func serve(_ index: Int) throws -> (String, LoopbackRegistry) {
        let (name, tar) = cases[index]
        var content = RegistryContent()
        content.addVersion(name: name, version: "1.0.0", tarball: GzipBuilder.gzip(tar))
        return (name, try LoopbackRegistry(content: content))
    }

    @Test(arguments: [0, 1])
    func integrityExitsOneWithAnErrorFinding(index: Int) throws {
        let (name, registry) = try Self.serve(index)
        defer { registry.stop() }
        let run = try ProvcheckBinary.run(["integrity", "\(name)@1.0.0", "--registry", registry.baseURL.absoluteString,
                                           "--json"])
        #expect(run.status == 1, "\(name): \(run.stdout)\(run.stderr)")
        let json = try #require(run.json, "\(name): \(run.stdout)")
        #expect(json["ok"] as? Bool == false)
        let findings = ((json["archive"] as? [String: Any])?["findings"] as? [[String: Any]]) ?? []
        #expect(findings.contains { $0["code"] as? String == "npm-reads-differently" && $0["severity"] as? String == "error" },
                "\(name): \(findings)")
        #expect(!run.stdout.contains("npm strips the first path component"))
        let text = try ProvcheckBinary.run(["integrity", "\(name)@1.0.0", "--registry", registry.baseURL.absoluteString])
        #expect(text.status == 1)
        #expect(text.stdout.contains("npm-reads-differently"), "\(text.stdout)")
    }

    @Test(arguments: [0, 1])
    func verifyFailsTheArchiveCheck(index: Int) throws {
        let (name, registry) = try Self.serve(index)
        defer { registry.stop() }
        let run = try ProvcheckBinary.run(["verify", "\(name)@1.0.0", "--registry", registry.baseURL.absoluteString])
        #expect(run.status != 0, "\(name): \(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("FAIL  archive.findings"), "\(run.stdout)")
        #expect(run.stdout.contains("npm-reads-differently"), "\(run.stdout)")
    }

    @Test(arguments: [0, 1])
    func compareIsNeverAcceptable(index: Int) throws {
        let (name, tar) = Self.cases[index]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-nodetar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("\(name).tgz")
        try GzipBuilder.gzip(tar).write(to: file)
        let run = try ProvcheckBinary.run(["compare", file.path, file.path])
        #expect(run.status == 1, "\(name): \(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("not acceptable"), "\(run.stdout)")
    }
}
