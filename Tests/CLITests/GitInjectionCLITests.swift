import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// Issue 17 item 7 through the binary: a packument `repository` that is a git option or an `ext::` command is
/// refused with a clear message, and nothing is executed.
@Suite(.serialized) struct GitInjectionCLITests {
    @Test(arguments: ["upload-pack", "ext"])
    func hostilePackumentRepositoryIsRefused(kind: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-gitinj-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("pwned")
        let repository = kind == "ext"
            ? "ext::sh -c touch% \(marker.path)"
            : "--upload-pack=touch \(marker.path) #://x"
        var tar = TarBuilder()
        tar.file("package/package.json", #"{"name":"hostile-repo","version":"1.0.0"}"#)
        tar.end()
        var content = RegistryContent()
        content.addVersion(name: "hostile-repo", version: "1.0.0", tarball: GzipBuilder.gzip(tar.data), manifest: [
            "repository": ["type": "git", "url": .string(repository)],
            "gitHead": "0123456789abcdef0123456789abcdef01234567",
        ])
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        let run = try ProvcheckBinary.run(["verify", "hostile-repo@1.0.0", "--registry", registry.baseURL.absoluteString,
                                           "--cache-dir", folder.appendingPathComponent("cache").path])
        // The source checks are skipped (never a pass): the verdict is not VERIFIED.
        #expect(run.stdout.contains("is NOT verified"), "\(run.stdout)\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("is refused"), "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }
}
