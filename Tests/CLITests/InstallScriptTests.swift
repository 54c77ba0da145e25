import Foundation
import Testing
import TestSupport

/// `Scripts/install.sh` puts a working provcheck, its man pages and its completions under a prefix. The test
/// installs the already built binary (`--binary`, no rebuild); the release build path is the same script.
@Suite struct InstallScriptTests {
    @Test func installsBinaryManPagesAndCompletionsUnderAPrefix() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-install-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let binary = try ProvcheckBinary.url()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("Scripts/install.sh").path,
                             "--prefix", prefix.path, "--binary", binary.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log)")

        // The installed binary runs and says its version.
        let installed = prefix.appendingPathComponent("bin/provcheck")
        let version = Process()
        version.executableURL = installed
        version.arguments = ["--version"]
        let versionOut = Pipe()
        version.standardOutput = versionOut
        try version.run()
        let printed = String(decoding: versionOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        version.waitUntilExit()
        #expect(version.terminationStatus == 0)
        #expect(printed == (try ProvcheckBinary.run(["--version"])).stdout)

        // A man page for provcheck and one per subcommand, mentioning what it documents.
        let man = prefix.appendingPathComponent("share/man/man1")
        let pages = Set(try FileManager.default.contentsOfDirectory(atPath: man.path))
        for page in ["provcheck.1", "provcheck-verify.1", "provcheck-audit.1", "provcheck-integrity.1",
                     "provcheck-watch.1", "provcheck-watch-merge.1", "provcheck-staged-check.1",
                     "provcheck-sigstore-verify-bundle.1", "provcheck-version.1"] {
            #expect(pages.contains(page), "\(page) missing: \(pages.sorted())")
        }
        #expect(!pages.contains("provcheck-archive-probe.1"), "a hidden command got a man page")
        let verifyPage = try String(contentsOf: man.appendingPathComponent("provcheck-verify.1"), encoding: .utf8)
        #expect(verifyPage.contains("--strict") && verifyPage.contains("Examples"))

        // Completions in their usual places.
        for (path, marker) in [("share/bash-completion/completions/provcheck", "complete"),
                               ("share/zsh/site-functions/_provcheck", "#compdef provcheck"),
                               ("share/fish/vendor_completions.d/provcheck.fish", "complete -c 'provcheck'")] {
            let text = try String(contentsOf: prefix.appendingPathComponent(path), encoding: .utf8)
            #expect(text.contains(marker), "\(path)")
            #expect(text.contains("verify"), "\(path) does not complete subcommands")
        }
        #expect(log.contains("installed provcheck"))
    }

    @Test func refusesUnknownArgumentsAndAMissingBinary() throws {
        for arguments in [["--bogus"], ["--binary", "/nonexistent/provcheck"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("Scripts/install.sh").path,
                                 "--prefix", "/nonexistent/prefix"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 2, "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/prefix"))
    }
}
