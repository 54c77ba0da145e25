import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The built products folder (holds `loopback-registry` next to the test bundle).
let productsFolder: URL = {
    var url = Bundle.main.bundleURL
    while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("loopback-registry").path) {
        url.deleteLastPathComponent()
        if url.lastPathComponent == ".build" { break }
    }
    return url
}()

let loopbackExecutable: URL? = {
    let url = productsFolder.appendingPathComponent("loopback-registry")
    return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
}()

@Suite(.enabled(if: loopbackExecutable != nil, "loopback-registry is not built"))
struct LoopbackExecutableTests {
    @Test func servesFixturesUntilTerminated() async throws {
        let process = Process()
        process.executableURL = loopbackExecutable!
        process.arguments = ["--fixtures", Fixtures.root.path, "--print-port"]
        let output = Pipe()
        process.standardOutput = output
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        // First line: the port.
        let port = try #require(UInt16(ProcessRunner.firstLine(of: output)))
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/abbrev")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("http://127.0.0.1:\(port)/abbrev/-/abbrev-1.1.1.tgz"))
        process.terminate()
        var iterator = exited.stream.makeAsyncIterator()
        #expect(await iterator.next() == 0)
    }

    @Test func usageErrorsExitWithStatus2() async throws {
        let process = Process()
        process.executableURL = loopbackExecutable!
        process.arguments = ["--port", "notanumber"]
        process.standardError = Pipe()
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        var iterator = exited.stream.makeAsyncIterator()
        #expect(await iterator.next() == 2)
    }
}
