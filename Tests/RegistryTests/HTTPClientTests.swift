import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

/// provcheck's own HTTP/1.1 client over real sockets: HTTPS against the loopback registry serving TLS with the test
/// CA in `Fixtures/tls/` (trust, host name and `strict-ssl` checks), an HTTPS proxy tunnel (`CONNECT`), redirects,
/// and connection reuse.
@Suite struct HTTPClientTests {
    static let tls = LoopbackTLS(
        certificateChain: Fixtures.root.appendingPathComponent("tls/server.pem"),
        privateKey: Fixtures.root.appendingPathComponent("tls/server.key"))
    static let testCA = Fixtures.root.appendingPathComponent("tls/ca.pem")

    static func configuration(_ registry: URL, caFile: URL? = testCA) -> RegistryConfiguration {
        var configuration = RegistryConfiguration(registry: registry)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.timeout = 5
        configuration.caFile = caFile
        return configuration
    }

    @Test func httpsWithTheConfiguredCAFetchesDocumentsAndTarballs() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { registry.stop() }
        #expect(registry.baseURL.scheme == "https")
        let client = RegistryClient(configuration: Self.configuration(registry.baseURL))
        let packument = try await client.packument(name: "ms")
        #expect(packument.name == "ms")
        let version = try #require(packument.versions["2.1.3"])
        #expect(version.dist.tarball.hasPrefix("https://127.0.0.1:"))
        var received = 0
        try await client.tarball(from: try #require(URL(string: version.dist.tarball))) { received += $0.count }
        #expect(received > 0)
        // Both requests went over one kept-alive TLS connection.
        #expect(registry.connectionCount == 1)
    }

    @Test func untrustedCertificateIsAConnectionErrorNamingTheReason() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { registry.stop() }
        let client = RegistryClient(configuration: Self.configuration(registry.baseURL, caFile: nil))
        let error = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(error.code == .connection)
        #expect(error.problem.contains("not trusted"), "\(error)")
        #expect(error.description.contains(registry.baseURL.absoluteString))
    }

    @Test func hostNameMismatchIsRejected() async throws {
        // The certificate names the IP address 127.0.0.1 only; "localhost" is a different name.
        let registry = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { registry.stop() }
        let url = try #require(URL(string: "https://localhost:\(registry.port)/"))
        let client = RegistryClient(configuration: Self.configuration(url))
        let error = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(error.code == .connection)
        #expect(error.problem.lowercased().contains("hostname mismatch") || error.problem.contains("not trusted"), "\(error)")
    }

    @Test func strictSSLFalseSkipsCertificateChecks() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { registry.stop() }
        var configuration = Self.configuration(registry.baseURL, caFile: nil)
        configuration.strictSSL = false
        #expect(try await RegistryClient(configuration: configuration).packument(name: "ms").name == "ms")
    }

    @Test func npmrcCafileAndStrictSSLAreRead() throws {
        let folder = try TemporaryFolder()
        try "cafile=\(Self.testCA.path)\nstrict-ssl=false\n".write(to: folder.file(".npmrc"), atomically: true, encoding: .utf8)
        let configuration = try RegistryConfiguration.resolve(
            projectDirectory: folder.url,
            environment: ["HOME": "/nonexistent", "npm_config_globalconfig": "/nonexistent", "NODE_EXTRA_CA_CERTS": "/x.pem"])
        #expect(configuration.caFile?.path == Self.testCA.path)
        #expect(configuration.strictSSL == false)
        #expect(configuration.extraCAFile?.path == "/x.pem")
        try "strict-ssl=maybe\n".write(to: folder.file(".npmrc"), atomically: true, encoding: .utf8)
        #expect(throws: RegistryError.self) {
            try RegistryConfiguration.resolve(
                projectDirectory: folder.url, environment: ["HOME": "/nonexistent", "npm_config_globalconfig": "/nonexistent"])
        }
    }

    @Test func unreadableCAFileIsAConfigurationError() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { registry.stop() }
        let missing = URL(fileURLWithPath: "/nonexistent/ca.pem")
        let client = RegistryClient(configuration: Self.configuration(registry.baseURL, caFile: missing))
        let error = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("/nonexistent/ca.pem"))
    }

    @Test func httpsThroughAProxyTunnel() async throws {
        let origin = try LoopbackRegistry(content: fixtureContent, tls: Self.tls)
        defer { origin.stop() }
        let proxy = try LoopbackRegistry()
        defer { proxy.stop() }
        var configuration = Self.configuration(origin.baseURL)
        configuration.proxy = ProxySettings(httpsProxy: "http://user:p%40ss@127.0.0.1:\(proxy.port)")
        let client = RegistryClient(configuration: configuration)
        #expect(try await client.packument(name: "ms").name == "ms")
        #expect(try await client.packument(name: "ms").name == "ms")
        let tunnels = proxy.requests.filter { $0.method == "CONNECT" }
        #expect(tunnels.count == 1, "one tunnel, kept alive: \(proxy.requests)")
        #expect(tunnels.first?.target == "127.0.0.1:\(origin.port)")
        #expect(tunnels.first?.headers["proxy-authorization"] == "Basic " + Data("user:p@ss".utf8).base64EncodedString())
        #expect(origin.requests.map(\.path) == ["/ms", "/ms"])
    }

    @Test func redirectsAreFollowedAndTokensStayWithTheirRegistry() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let other = try LoopbackRegistry(content: fixtureContent)
        defer { other.stop() }
        registry.inject(.status(302, headers: ["Location": other.baseURL.absoluteString + "ms"]), on: "/ms", times: 1)
        var configuration = Self.configuration(registry.baseURL)
        configuration.credentials[RegistryConfiguration.nerfDart(registry.baseURL)] = .bearer("secret")
        let client = RegistryClient(configuration: configuration)
        #expect(try await client.packument(name: "ms").name == "ms")
        #expect(registry.authorizationHeaders == ["Bearer secret"])
        #expect(other.requests.map(\.path) == ["/ms"])
        #expect(other.authorizationHeaders.isEmpty, "the token must not follow a redirect to another host")

        registry.inject(.status(301, headers: ["Location": "/ms"]), on: "/ms")
        let error = try #require(await registryError { try await client.packument(name: "ms") })
        #expect(error.code == .connection && error.problem.contains("redirects"), "\(error)")
    }

    @Test func requestsRunConcurrentlyUpToTheLimit() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.inject(.delay(seconds: 2), on: "/ms")
        var configuration = Self.configuration(registry.baseURL)
        configuration.maxConcurrentRequests = 8
        let client = RegistryClient(configuration: configuration)
        // One earlier request leaves an idle worker thread behind; the burst must still get eight.
        _ = try await client.packument(name: "abbrev")
        async let fetches: Void = withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 { group.addTask { _ = try await client.packument(name: "ms") } }
            try await group.waitForAll()
        }
        try await Task.sleep(nanoseconds: 1_200_000_000)
        // Eight requests wait in the server's delay at once; the other four wait for a free slot.
        let inFlight = registry.requests.filter { $0.status == 0 }.count
        try await fetches
        #expect(inFlight == 8, "\(inFlight) requests in flight with a limit of 8")
        #expect(registry.requests.count == 13)
    }

    @Test func manyRequestsReuseAFewConnections() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        var configuration = Self.configuration(registry.baseURL)
        configuration.maxConcurrentRequests = 4
        let client = RegistryClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = try await client.packument(name: "ms") } }
            try await group.waitForAll()
        }
        #expect(registry.requests.count == 200)
        #expect(registry.connectionCount <= 4, "\(registry.connectionCount) connections for 200 requests")
    }
}

/// Documents are requested with `Accept-Encoding: gzip` (packuments shrink about tenfold) and decoded within the
/// document size limit; tarballs are fetched as stored.
@Suite struct GzipDocumentTests {
    static func serve(_ body: Data, encoding: String = "gzip") throws -> LoopbackRegistry {
        let registry = try LoopbackRegistry(content: fixtureContent)
        registry.inject(.status(200, headers: ["Content-Encoding": encoding, "Content-Type": "application/json"], body: body), on: "/ms")
        return registry
    }

    static func client(_ registry: LoopbackRegistry, limit: Int = 256 << 20) -> RegistryClient {
        var configuration = HTTPClientTests.configuration(registry.baseURL, caFile: nil)
        configuration.maxDocumentBytes = limit
        return RegistryClient(configuration: configuration)
    }

    @Test func gzipEncodedPackumentIsDecoded() async throws {
        let plain = try Data(contentsOf: Fixtures.root.appendingPathComponent("npm/packuments/ms.json"))
        let registry = try Self.serve(GzipBuilder.gzip(plain))
        defer { registry.stop() }
        let client = Self.client(registry)
        #expect(try await client.packument(name: "ms").name == "ms")
        #expect(registry.requests.last?.headers["accept-encoding"] == "gzip")
        // Tarballs are asked for without an encoding.
        try await client.tarball(from: registry.baseURL.appendingPathComponent("ms/-/ms-2.1.3.tgz")) { _ in }
        #expect(registry.requests.last?.headers["accept-encoding"] == nil)
    }

    @Test func gzipBombStopsAtTheDocumentLimit() async throws {
        let registry = try Self.serve(GzipBuilder.gzip(Data(count: 8 << 20)))
        defer { registry.stop() }
        let error = try #require(await registryError { try await Self.client(registry, limit: 1 << 20).packument(name: "ms") })
        #expect(error.code == .responseTooLarge, "\(error)")
        #expect(error.problem.contains("decompresses to more than"), "\(error)")
    }

    @Test func corruptGzipAndUnknownEncodingsAreMalformed() async throws {
        var corrupt = GzipBuilder.gzip(Data(repeating: 0x41, count: 1000))
        corrupt[corrupt.count / 2] ^= 0xFF
        let registry = try Self.serve(corrupt)
        defer { registry.stop() }
        let error = try #require(await registryError { try await Self.client(registry).packument(name: "ms") })
        #expect(error.code == .malformedResponse && error.problem.contains("gzip"), "\(error)")

        let brotli = try Self.serve(Data("{}".utf8), encoding: "br")
        defer { brotli.stop() }
        let unknown = try #require(await registryError { try await Self.client(brotli).packument(name: "ms") })
        #expect(unknown.code == .malformedResponse && unknown.problem.contains("unsupported Content-Encoding"), "\(unknown)")
    }
}
