import Foundation
import LoopbackRegistry
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 17 items 1, 4, 6, 8 and 9 through the binary: hostile output paths (FIFOs, symbolic links, folders,
/// planted temporaries), credentials in URLs, hostile numbers, and standard output that cannot be written.
/// Every special file lives in the test's own temporary folder (FIFOs with mkfifo, links with symlink); the only
/// system path used is `/dev/full`, and only as a read-only redirection target.
@Suite(.serialized) struct HostileIOTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-hostile-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    static let msIntegrity =
        "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="

    var msBundle: String { get throws { try Fixtures.url("npm/sources/vercel+ms.bundle").path } }

    /// Makes a FIFO in the test folder and drains it on a thread; `wait()` returns what was read.
    final class FIFOReader: @unchecked Sendable {
        let path: String
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ path: String) throws {
            self.path = path
            guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
            Thread { [self] in
                if let handle = FileHandle(forReadingAtPath: path) { data = handle.readDataToEndOfFile() }
                done.signal()
            }.start()
        }
        func wait() -> Data {
            _ = done.wait(timeout: .now() + 60)
            return data
        }
    }

    func isFIFO(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
    }

    func linkTarget(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    // MARK: 1 — output writers never replace what is at the path

    @Test func rebuildOutputToAFIFOIsWrittenInPlaceNotReplaced() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = try FIFOReader(folder.appendingPathComponent("out.tgz").path)
        let run = try ProvcheckBinary.run(["rebuild", try msBundle, "--name", "ms", "--version", "2.1.3",
                                           "--expect-integrity", Self.msIntegrity, "-o", fifo.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fifo.wait() == (try Fixtures.data("npm/tarballs/ms@2.1.3.tgz")))
        #expect(isFIFO(fifo.path), "the FIFO was replaced by a regular file")
    }

    @Test func rebuildOutputThroughASymlinkKeepsTheLinkAndWritesItsTarget() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("target.tgz")
        try Data("old".utf8).write(to: target)
        let link = folder.appendingPathComponent("link.tgz")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        // A wrong expected integrity makes every later gzip candidate run too (the path that renamed over -o).
        let wrong = "sha512-" + Data(repeating: 7, count: 64).base64EncodedString()
        let run = try ProvcheckBinary.run(["rebuild", try msBundle, "--ref", "2.1.3", "--expect-integrity", wrong,
                                           "-o", link.path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(linkTarget(link.path) == target.path, "the symbolic link was replaced")
        #expect((try Data(contentsOf: target)).count > 1000)
        let right = try ProvcheckBinary.run(["rebuild", try msBundle, "--ref", "2.1.3", "--expect-integrity",
                                             Self.msIntegrity, "-o", link.path])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(linkTarget(link.path) == target.path)
        #expect(try Data(contentsOf: target) == Fixtures.data("npm/tarballs/ms@2.1.3.tgz"))
    }

    @Test func outputToADanglingSymlinkOrAFolderIsRefusedWithExitTwo() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let dangling = folder.appendingPathComponent("dangling.tgz")
        let elsewhere = folder.appendingPathComponent("elsewhere.tgz")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: elsewhere.path)
        let run = try ProvcheckBinary.run(["rebuild", try msBundle, "--ref", "2.1.3", "-o", dangling.path])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("symbolic link"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.path), "a file was created through the link")
        let run2 = try ProvcheckBinary.run(["rebuild", try msBundle, "--ref", "2.1.3", "-o", folder.path])
        #expect(run2.status == 2)
        #expect(run2.stderr.contains("is a folder"), "\(run2.stderr)")
        #expect(!run2.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func verifySarifToAFIFOAndVSAThroughASymlinkNeverReplaceThem() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let fifo = try FIFOReader(folder.appendingPathComponent("report.sarif").path)
        let target = folder.appendingPathComponent("vsa-target.json")
        try Data().write(to: target)
        let link = folder.appendingPathComponent("vsa.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let run = try ProvcheckBinary.run([
            "verify", "gundam-visor@1.0.1", "--registry", registry.baseURL.absoluteString, "--offline",
            "--source", try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path,
            "--sarif", fifo.path, "--vsa", link.path])
        #expect(run.status == 0 || run.status == 1, "\(run.stderr)")
        let sarif = try JSONSerialization.jsonObject(with: fifo.wait()) as? [String: Any]
        #expect(sarif?["version"] as? String == "2.1.0")
        #expect(isFIFO(fifo.path))
        #expect(linkTarget(link.path) == target.path)
        let vsa = try JSONSerialization.jsonObject(with: Data(contentsOf: target)) as? [String: Any]
        #expect(vsa?["_type"] as? String == "https://in-toto.io/Statement/v1")
    }

    @Test func watchMergeOutputsToAFIFOAndASymlinkAreWrittenInPlace() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("shard.json")
        try Data("""
            {"schemaVersion":1,"generatedAt":"2026-01-01T00:00:00Z","packages":[],"findings":[]}
            """.utf8).write(to: report)
        let fifo = try FIFOReader(folder.appendingPathComponent("merged.json").path)
        let mdTarget = folder.appendingPathComponent("summary-target.md")
        try Data("old".utf8).write(to: mdTarget)
        let mdLink = folder.appendingPathComponent("summary.md")
        try FileManager.default.createSymbolicLink(at: mdLink, withDestinationURL: mdTarget)
        let run = try ProvcheckBinary.run(["watch", "merge", report.path, "--output", fifo.path, "--markdown", mdLink.path])
        let merged = fifo.wait()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!merged.isEmpty)
        #expect(isFIFO(fifo.path))
        #expect(linkTarget(mdLink.path) == mdTarget.path)
        #expect(String(decoding: try Data(contentsOf: mdTarget), as: UTF8.self).contains("provcheck watch"))
    }

    // MARK: 4 — temporaries next to --output are created exclusively

    @Test func plantedCandidateAndTarSymlinksNextToOutputAreNeverFollowed() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let victim = folder.appendingPathComponent("victim.txt")
        try Data("precious".utf8).write(to: victim)
        let output = folder.appendingPathComponent("out.tgz")
        // The names today's main used: .out.tgz.candidate-N (and a .tar with a UUID, which cannot be guessed, so
        // plant a link at every name a predictable scheme could pick).
        for index in 0..<40 {
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent(".out.tgz.candidate-\(index)").path, withDestinationPath: victim.path)
        }
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent(".out.tgz.tar").path, withDestinationPath: victim.path)
        let wrong = "sha512-" + Data(repeating: 7, count: 64).base64EncodedString()
        let run = try ProvcheckBinary.run(["rebuild", try msBundle, "--ref", "2.1.3", "--expect-integrity", wrong,
                                           "-o", output.path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try Data(contentsOf: victim) == Data("precious".utf8), "a planted link's target was overwritten")
        var info = stat()
        #expect(lstat(output.path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "the output is not a regular file")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".out.tgz.candidate-") && $0 != ".out.tgz.tar" }
        #expect(Set(left) == ["victim.txt", "out.tgz"], "temporaries left behind: \(left)")
    }

    // MARK: 6 — credentials in URLs

    @Test func registryURLWithUserAndPasswordIsSentAsBasicAuthAndNeverPrinted() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let base = registry.baseURL
        let withCredentials = "http://alice:Pa55word-XYZ@\(base.host!):\(base.port!)/"
        let ok = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", withCredentials, "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(registry.authorizationHeaders.contains("Basic " + Data("alice:Pa55word-XYZ".utf8).base64EncodedString()))
        #expect(!ok.stdout.contains("Pa55word-XYZ") && !ok.stderr.contains("Pa55word-XYZ"))

        registry.inject(.status(401), on: "*")
        for arguments in [["integrity", "ms@2.1.3"], ["integrity", "ms@2.1.3", "--json"], ["verify", "ms@2.1.3", "--json"]] {
            let refused = try ProvcheckBinary.run(arguments + ["--registry", withCredentials, "--attempts", "1"])
            #expect(refused.status == 2)
            #expect(!refused.stdout.contains("Pa55word-XYZ") && !refused.stderr.contains("Pa55word-XYZ"), "\(refused.stderr)")
            #expect(refused.stderr.contains("refused the credential"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("set an auth token"))
        }
    }

    @Test func rebuildOfAGitURLWithAPasswordNeverEchoesItFromGit() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        // A loopback port nobody listens on: git fails and names the URL in its message.
        let run = try ProvcheckBinary.run(["rebuild", "http://bob:GitPassw0rd@127.0.0.1:9/x.git", "--ref", "v1",
                                           "-o", folder.appendingPathComponent("x.tgz").path],
                                          environment: ["XDG_CACHE_HOME": folder.path])
        #expect(run.status == 2)
        #expect(!run.stderr.contains("GitPassw0rd") && !run.stdout.contains("GitPassw0rd"), "\(run.stderr)")
        #expect(run.stderr.contains("bob:***@127.0.0.1"), "\(run.stderr)")
    }

    // MARK: 8 — hostile numbers are usage errors

    @Test(arguments: [
        ["integrity", "ms@1.0.0", "--timeout", "1e19"], ["integrity", "ms@1.0.0", "--timeout", "inf"],
        ["integrity", "ms@1.0.0", "--timeout", "1e300"], ["integrity", "ms@1.0.0", "--timeout", "nan"],
        ["integrity", "ms@1.0.0", "--timeout", "0"], ["integrity", "ms@1.0.0", "--timeout=-1"],
        ["integrity", "ms@1.0.0", "--attempts", "0"], ["integrity", "ms@1.0.0", "--attempts=-3"],
        ["integrity", "ms@1.0.0", "--attempts", "99999999999"],
        ["integrity", "ms@1.0.0", "--request-timeout", "inf"], ["integrity", "ms@1.0.0", "--request-timeout", "0"],
        ["verify", "ms@1.0.0", "--timeout", "1e19"], ["audit", "--concurrency", "0"], ["audit", "--rebuild-concurrency=-1"],
        ["rebuild", "x", "-o", "y.tgz", "--build-timeout=-1"], ["rebuild", "x", "-o", "y.tgz", "--build-timeout", "1e19"],
        ["rebuild", "x", "-o", "y.tgz", "--build-timeout", "nan"],
        ["watch", "run", "--state", "s.json", "--shard", "0/0"],
    ])
    func hostileNumberIsAUsageError(arguments: [String]) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ProvcheckBinary.run(arguments, in: folder)
        #expect(run.status == 2, "\(arguments): \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("cannot be converted"), "\(run.stderr)")
        #expect(run.stderr.contains("expected") || run.stderr.contains("must"), "\(arguments): \(run.stderr)")
    }

    @Test func aOneBytePerSecondServerDoesNotOutlastTheRequestTimeout() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        registry.inject(.slowBody(chunkSize: 1, interval: 0.5), on: "/ms")
        let start = Date()
        let run = try ProvcheckBinary.run(["integrity", "ms@2.1.3", "--registry", registry.baseURL.absoluteString,
                                           "--timeout", "5", "--request-timeout", "2", "--attempts", "1"])
        let elapsed = Date().timeIntervalSince(start)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(registry.baseURL.absoluteString + "ms"), "\(run.stderr)")
        #expect(!run.stderr.contains("Unknown option"), "\(run.stderr)")
        #expect(elapsed < 15, "took \(elapsed) s")
    }

    // MARK: 9 — standard output that cannot be written

    /// Runs the binary with stdout connected to `stdout` (a file handle the caller owns).
    static func run(_ arguments: [String], stdout: FileHandle) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try ProvcheckBinary.url()
        process.arguments = arguments
        let err = Pipe()
        process.standardOutput = stdout
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    @Test func jsonToAPipeWhoseReaderHasGoneExitsTwo() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a.txt")
        try Data("hello".utf8).write(to: file)
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let run = try Self.run(["hash", file.path, "--json"], stdout: pipe.fileHandleForWriting)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("cannot write to standard output"), "\(run.stderr)")
    }

    @Test func outputToAClosedStdoutExitsTwo() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a.txt")
        try Data("hello".utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" hash \"$1\" >&-", try ProvcheckBinary.url().path, file.path]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "\(stderr)")
        #expect(stderr.contains("cannot write to standard output"), "\(stderr)")
    }

    @Test func jsonToDevFullExitsTwo() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }  // read-only use: nothing is changed
        let file = folder.appendingPathComponent("a.txt")
        try Data("hello".utf8).write(to: file)
        let run = try Self.run(["hash", file.path, "--json"], stdout: full)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("No space left"), "\(run.stderr)")
    }
}
