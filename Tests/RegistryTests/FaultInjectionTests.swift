import Digest
import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

/// Each injected fault ends in the right outcome: retried to success, or a RegistryError naming the URL;
/// never partial data.
@Suite struct FaultInjectionTests {
    let registry: LoopbackRegistry
    let packumentURL: String
    let tarballURL: URL
    let tarballBytes: Data

    init() throws {
        registry = try LoopbackRegistry(content: fixtureContent)
        packumentURL = registry.baseURL.absoluteString + "abbrev"
        tarballURL = URL(string: registry.baseURL.absoluteString + "abbrev/-/abbrev-1.1.1.tgz")!
        tarballBytes = try Fixtures.data("npm/tarballs/abbrev@1.1.1.tgz")
    }

    @Test func timeoutFailsNamingTheURL() async throws {
        defer { registry.stop() }
        registry.inject(.delay(seconds: 6), on: "/abbrev")
        let client = makeClient(for: registry, attempts: 1, timeout: 1)
        let started = Date()
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .timeout)
        #expect(error.description.hasPrefix(packumentURL))
        #expect(Date().timeIntervalSince(started) < 5)  // the 1 s idle timeout, not the 6 s delay
    }

    @Test func burstOf500ThenSuccessIsRetried() async throws {
        defer { registry.stop() }
        registry.inject(.status(500), on: "/abbrev", times: 2)
        let client = makeClient(for: registry, attempts: 3)
        let packument = try await client.packument(name: "abbrev")
        #expect(packument.name == "abbrev")
        #expect(registry.requestCount(matching: "/abbrev") == 3)
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        defer { registry.stop() }
        registry.inject(.status(429, headers: ["Retry-After": "1"]), on: "/abbrev", times: 1)
        let client = makeClient(for: registry, attempts: 2)
        let started = Date()
        _ = try await client.packument(name: "abbrev")
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(registry.requestCount(matching: "/abbrev") == 2)
    }

    @Test func persistent500FailsAfterBoundedRetries() async throws {
        defer { registry.stop() }
        registry.inject(.status(503), on: "/abbrev")
        let client = makeClient(for: registry, attempts: 3)
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .httpStatus)
        #expect(error.status == 503)
        #expect(error.attempts == 3)
        #expect(error.description == "\(packumentURL): HTTP 503 Service Unavailable (after 3 attempts)")
        #expect(registry.requestCount(matching: "/abbrev") == 3)
    }

    @Test func notFoundIsNotRetried() async throws {
        defer { registry.stop() }
        registry.inject(.status(404), on: "/abbrev")
        let client = makeClient(for: registry, attempts: 3)
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .notFound)
        #expect(registry.requestCount(matching: "/abbrev") == 1)
    }

    @Test func connectionResetIsRetriedThenReported() async throws {
        defer { registry.stop() }
        registry.inject(.connectionReset, on: "/abbrev", times: 1)
        let client = makeClient(for: registry, attempts: 2)
        #expect(try await client.packument(name: "abbrev").name == "abbrev")

        registry.inject(.connectionReset, on: "/abbrev")
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .connection || error.code == .truncatedBody)
        #expect(error.description.hasPrefix(packumentURL))
    }

    @Test func truncatedBodyIsAnErrorNeverPartialData() async throws {
        defer { registry.stop() }
        registry.inject(.truncatedBody(keepingBytes: 1000), on: "*.tgz")
        let client = makeClient(for: registry, attempts: 2)
        var delivered = 0
        let error = try #require(await registryError {
            try await client.tarball(from: tarballURL) { delivered += $0.count }
        })
        #expect(error.code == .truncatedBody, "\(error)")
        #expect(error.description.hasPrefix(tarballURL.absoluteString))
        #expect(delivered == 0)
        let folder = try TemporaryFolder()
        let destination = folder.file("t.tgz")
        #expect(await registryError { try await client.tarball(from: tarballURL, to: destination) }?.code == .truncatedBody)
        #expect(!FileManager.default.fileExists(atPath: destination.path))

        // Once, then a good answer: retried.
        registry.removeFaults()
        registry.inject(.truncatedBody(), on: "*.tgz", times: 1)
        var bytes = Data()
        try await client.tarball(from: tarballURL) { bytes.append($0) }
        #expect(bytes == tarballBytes)
    }

    @Test func wrongContentLengthIsAnError() async throws {
        defer { registry.stop() }
        let client = makeClient(for: registry, attempts: 1)
        registry.inject(.wrongContentLength(delta: 100), on: "*.tgz", times: 1)
        let longer = try #require(await registryError { try await client.tarball(from: tarballURL) { _ in } })
        #expect(longer.code == .truncatedBody, "\(longer)")
        #expect(longer.description.hasPrefix(tarballURL.absoluteString))

        // A declared length shorter than the body: the client reads the declared bytes; the JSON is cut short.
        registry.inject(.wrongContentLength(delta: -100), on: "/abbrev", times: 1)
        let shorter = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(shorter.code == .malformedResponse || shorter.code == .truncatedBody)
        #expect(shorter.description.hasPrefix(packumentURL))
    }

    @Test func wrongBytesAreDeliveredForTheIntegrityCheckToCatch() async throws {
        defer { registry.stop() }
        registry.inject(.wrongBytes, on: "*.tgz", times: 1)
        let client = makeClient(for: registry)
        var bytes = Data()
        try await client.tarball(from: tarballURL) { bytes.append($0) }
        #expect(bytes.count == tarballBytes.count)
        #expect(bytes != tarballBytes)
        #expect(Hashing.sriSHA512(bytes) != Hashing.sriSHA512(tarballBytes))
    }

    @Test func slowButSteadyBodyLongerThanTheIdleTimeoutSucceeds() async throws {
        defer { registry.stop() }
        // ~1.5 s in total, but never 1 s without data: the timeout is an idle timeout.
        registry.inject(.slowBody(chunkSize: 400, interval: 0.25), on: "*.tgz")
        let client = makeClient(for: registry, attempts: 1, timeout: 1)
        var bytes = Data()
        try await client.tarball(from: tarballURL) { bytes.append($0) }
        #expect(bytes == tarballBytes)
    }

    @Test func closedConnectionBeforeAnswerIsRetried() async throws {
        defer { registry.stop() }
        registry.inject(.closeWithoutResponse, on: "/abbrev", times: 1)
        let client = makeClient(for: registry, attempts: 2)
        #expect(try await client.packument(name: "abbrev").name == "abbrev")
        #expect(registry.requestCount(matching: "/abbrev") == 2)
    }

    @Test func refusedConnectionNamesTheURL() async throws {
        let port = registry.port
        registry.stop()
        var configuration = RegistryConfiguration(registry: URL(string: "http://127.0.0.1:\(port)/")!)
        configuration.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.01)
        let client = RegistryClient(configuration: configuration)
        let error = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(error.code == .connection)
        #expect(error.attempts == 2)
        #expect(error.description.hasPrefix("http://127.0.0.1:\(port)/abbrev"))
    }
}

@Suite struct ResponseLimitTests {
    @Test func oversizedDocumentsAndTarballsAreStopped() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.maxDocumentBytes = 1000
        configuration.maxTarballBytes = 1000
        configuration.retry = RetryPolicy(maxAttempts: 3, baseDelay: 0.01)
        let client = RegistryClient(configuration: configuration)
        let document = try #require(await registryError { try await client.packument(name: "abbrev") })
        #expect(document.code == .responseTooLarge)
        #expect(document.description.hasPrefix(registry.baseURL.absoluteString + "abbrev: response body larger"))
        #expect(registry.requestCount(matching: "/abbrev") == 1)  // not retried
        let tarballURL = URL(string: registry.baseURL.absoluteString + "abbrev/-/abbrev-1.1.1.tgz")!
        #expect(await registryError { try await client.tarball(from: tarballURL) { _ in } }?.code == .responseTooLarge)
        // Without a declared length (chunked): stopped while streaming.
        registry.inject(.chunked(chunkSize: 300), on: "/ms")
        let chunked = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(chunked.code == .responseTooLarge)
    }

    @Test func chunkedResponsesAreRead() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.inject(.chunked(chunkSize: 777), on: "*")
        let client = makeClient(for: registry)
        #expect(try await client.packument(name: "ms").versions["2.1.2"] != nil)
        var bytes = Data()
        try await client.tarball(from: URL(string: registry.baseURL.absoluteString + "ms/-/ms-2.1.2.tgz")!) { bytes.append($0) }
        #expect(bytes == (try Fixtures.data("npm/tarballs/ms@2.1.2.tgz")))
    }
}

@Suite struct FileBackedTarballTests {
    @Test func largeFileBackedTarballStreamsAndFaultsApply() async throws {
        let folder = try TemporaryFolder()
        let source = folder.file("big.tgz")
        // 8 MiB of pseudo-random bytes (not compressible, not all zero).
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 8 << 20)
        for index in stride(from: 0, to: bytes.count, by: 8) {
            withUnsafeBytes(of: generator.next() as UInt64) { word in
                for offset in 0..<8 { bytes[index + offset] = word[offset] }
            }
        }
        try Data(bytes).write(to: source)
        let expectedDigests = try Hashing.digest(fileAt: source, algorithms: [.sha512, .sha1])
        let expected = expectedDigests.sri(.sha512)

        let registry = try LoopbackRegistry()
        defer { registry.stop() }
        try registry.updateReturning { content in
            try content.addVersion(name: "big", version: "1.0.0", tarballFile: source)
        }
        let client = makeClient(for: registry, attempts: 1)
        let packument = try await client.packument(name: "big")
        let version = try #require(packument.versions["1.0.0"])
        #expect(version.dist.integrity == expected)
        #expect(version.dist.shasum == expectedDigests.hex(.sha1))
        let url = try #require(URL(string: version.dist.tarball))
        let destination = folder.file("downloaded.tgz")
        let download = try await client.tarball(from: url, to: destination)
        #expect(download.byteCount == 8 << 20)
        #expect(try Hashing.digest(fileAt: destination, algorithms: [.sha512]).sri(.sha512) == expected)

        registry.inject(.truncatedBody(keepingBytes: 5 << 20), on: "*.tgz", times: 1)
        #expect(await registryError { try await client.tarball(from: url, to: destination) }?.code == .truncatedBody)
        registry.inject(.wrongBytes, on: "*.tgz", times: 1)
        try await client.tarball(from: url, to: destination)
        #expect(try Hashing.digest(fileAt: destination, algorithms: [.sha512]).sri(.sha512) != expected)
        registry.inject(.chunked(chunkSize: 100_000), on: "*.tgz", times: 1)
        try await client.tarball(from: url, to: destination)
        #expect(try Hashing.digest(fileAt: destination, algorithms: [.sha512]).sri(.sha512) == expected)
    }
}

@Suite struct CancellationTests {
    @Test func cancellingAFetchStopsItPromptly() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.inject(.delay(seconds: 5), on: "/abbrev")
        let client = makeClient(for: registry, attempts: 3, timeout: 30)
        let task = Task { try await client.packument(name: "abbrev") }
        // Cancel once the server holds the request (polling, so a loaded machine does not make this flaky).
        for _ in 0..<500 where registry.requestCount(matching: "/abbrev") == 0 {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let cancelled = Date()
        task.cancel()
        let result = await task.result
        #expect(Date().timeIntervalSince(cancelled) < 2)
        guard case .failure(let error) = result else {
            Issue.record("a cancelled fetch succeeded")
            return
        }
        #expect((error as? RegistryError)?.code == .cancelled, "\(error)")
        #expect(registry.requestCount(matching: "/abbrev") == 1)
    }
}
