import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// The npm executable, if installed.
let installedNPM: String? = ["/usr/bin/npm", "/usr/local/bin/npm"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// npm itself (the oracle, npm 10.8.2 here) can use the loopback registry: `npm view` reads packuments and
/// `npm pack <spec>` downloads a tarball and checks it against `dist.integrity`.
@Suite(.enabled(if: installedNPM != nil, "npm is not installed"))
struct NPMInteropTests {
    /// Runs npm with an isolated cache and config; returns (status, stdout, stderr).
    private func npm(_ arguments: [String], in folder: TemporaryFolder) async throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: installedNPM!)
        process.arguments = arguments
        process.currentDirectoryURL = folder.url
        var environment = ProcessInfo.processInfo.environment
        environment["npm_config_cache"] = folder.file("npm-cache").path
        environment["npm_config_userconfig"] = folder.file("npmrc").path
        environment["npm_config_update_notifier"] = "false"
        environment["npm_config_audit"] = "false"
        environment["npm_config_fund"] = "false"
        // npm retries a failed tarball fetch (including EINTEGRITY) with 10-60 s backoff; fail fast instead.
        environment["npm_config_fetch_retries"] = "0"
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }

    @Test func npmViewAndPackWork() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let url = registry.baseURL.absoluteString

        let (viewStatus, viewOut, viewErr) = try await npm(
            ["view", "abbrev@3.0.0", "dist.integrity", "--registry", url], in: folder)
        #expect(viewStatus == 0, "\(viewErr)")
        #expect(viewOut.trimmingCharacters(in: .whitespacesAndNewlines)
            == "sha512-+/kfrslGQ7TNV2ecmQwMJj/B65g5KVq1/L3SGVZ3tCYGqlzFuFCGBZJtMP99wH3NpEUyAjn0zPdPUg0D+DwrOA==")

        let (scopedStatus, scopedOut, scopedErr) = try await npm(
            ["view", "@trishankatdatadog/supreme-goggles", "dist.tarball", "--registry", url], in: folder)
        #expect(scopedStatus == 0, "\(scopedErr)")
        #expect(scopedOut.contains(url + "@trishankatdatadog/supreme-goggles/-/supreme-goggles-1.0.5.tgz"))

        // npm pack downloads the tarball and verifies dist.integrity; the bytes equal the fixture.
        let (packStatus, _, packErr) = try await npm(["pack", "ms@2.1.2", "--registry", url], in: folder)
        #expect(packStatus == 0, "\(packErr)")
        #expect(try Data(contentsOf: folder.file("ms-2.1.2.tgz")) == (try Fixtures.data("npm/tarballs/ms@2.1.2.tgz")))

        // npm install resolves, downloads and integrity-checks several packages (scoped too).
        try Data(#"{"name":"probe","version":"1.0.0"}"#.utf8).write(to: folder.file("package.json"))
        let (installStatus, _, installErr) = try await npm(
            ["install", "abbrev@1.1.1", "@trishankatdatadog/supreme-goggles@1.0.5", "--registry", url, "--no-audit",
             "--no-fund"], in: folder)
        #expect(installStatus == 0, "\(installErr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("node_modules/abbrev/abbrev.js").path))
        #expect(FileManager.default.fileExists(
            atPath: folder.file("node_modules/@trishankatdatadog/supreme-goggles/package.json").path))

        // A tampered tarball makes npm fail its integrity check (EINTEGRITY).
        registry.update { $0.replaceTarball(name: "ini", version: "5.0.0", with: Data("tampered".utf8)) }
        let (badStatus, _, badErr) = try await npm(["pack", "ini@5.0.0", "--registry", url], in: folder)
        #expect(badStatus != 0)
        #expect(badErr.contains("EINTEGRITY"), "\(badErr)")
    }
}
