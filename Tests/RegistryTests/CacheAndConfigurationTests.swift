import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport

@Suite struct CacheTests {
    @Test func etagRevalidationAndOfflineMode() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        let folder = try TemporaryFolder()
        let cache = folder.file("cache")
        let client = makeClient(for: registry, cache: cache)

        let first = try await client.packument(name: "abbrev")
        let second = try await client.packument(name: "abbrev")
        #expect(first.raw == second.raw)
        let packumentRequests = registry.requests.filter { $0.path == "/abbrev" }
        #expect(packumentRequests.map(\.status) == [200, 304])
        #expect(packumentRequests[0].headers["if-none-match"] == nil)
        #expect(packumentRequests[1].headers["if-none-match"] != nil)

        // A changed document is fetched again despite the cached copy.
        registry.update { $0.addVersion(name: "abbrev", version: "4.0.0", tarball: Data("four".utf8)) }
        let third = try await client.packument(name: "abbrev")
        #expect(third.versions["4.0.0"] != nil)
        #expect(registry.requests.filter { $0.path == "/abbrev" }.last?.status == 200)

        let tarballURL = URL(string: registry.baseURL.absoluteString + "abbrev/-/abbrev-1.1.1.tgz")!
        let online = try await client.tarball(from: tarballURL) { _ in }
        #expect(!online.fromCache)
        let revalidated = try await client.tarball(from: tarballURL) { _ in }
        #expect(revalidated.fromCache)
        _ = try await client.keys()

        // Offline: served from the cache with the server gone; a missing entry is a clear error.
        registry.stop()
        let offline = makeClient(for: registry, cache: cache, offline: true)
        #expect(try await offline.packument(name: "abbrev").versions["4.0.0"] != nil)
        var bytes = Data()
        let fromCache = try await offline.tarball(from: tarballURL) { bytes.append($0) }
        #expect(fromCache.fromCache)
        #expect(bytes == (try Fixtures.data("npm/tarballs/abbrev@1.1.1.tgz")))
        #expect(try await offline.keys()?.keys.count == 2)
        let missing = try #require(await registryError { try await offline.packument(name: "ms") })
        #expect(missing.code == .notInCache)
        #expect(missing.description.hasPrefix(registry.baseURL.absoluteString + "ms: offline mode"))
        let noCache = makeClient(for: registry, offline: true)
        #expect(await registryError { try await noCache.packument(name: "abbrev") }?.code == .notInCache)
    }

    @Test func failedDownloadsNeverEnterTheCache() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        let client = makeClient(for: registry, cache: folder.file("cache"), attempts: 1)
        let tarballURL = URL(string: registry.baseURL.absoluteString + "ms/-/ms-2.1.2.tgz")!
        registry.inject(.truncatedBody(), on: "*.tgz", times: 1)
        #expect(await registryError { try await client.tarball(from: tarballURL) { _ in } }?.code == .truncatedBody)
        registry.stop()
        let offline = makeClient(for: registry, cache: folder.file("cache"), offline: true)
        #expect(await registryError { try await offline.tarball(from: tarballURL) { _ in } }?.code == .notInCache)
    }
}

@Suite struct ConfigurationTests {
    @Test func npmrcPrecedenceScopesTokensAndEnvironmentExpansion() throws {
        let folder = try TemporaryFolder()
        let home = folder.file("home")
        let project = folder.file("project")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try """
            registry=https://global.example/
            //global.example/:_authToken=global-token
            """.write(to: folder.file("globalrc"), atomically: true, encoding: .utf8)
        try """
            # user config
            registry = https://user.example/npm/
            @corp:registry=https://corp.example/api/npm/
            //corp.example/api/npm/:_authToken=${CORP_TOKEN}
            ; a comment
            """.write(to: home.appendingPathComponent(".npmrc"), atomically: true, encoding: .utf8)
        try """
            registry="https://project.example/"
            //project.example/:_authToken=project-token
            """.write(to: project.appendingPathComponent(".npmrc"), atomically: true, encoding: .utf8)
        var env = ["HOME": home.path, "npm_config_globalconfig": folder.file("globalrc").path, "CORP_TOKEN": "corp-secret"]

        var config = try RegistryConfiguration.resolve(projectDirectory: project, environment: env)
        #expect(config.registry.absoluteString == "https://project.example/")
        #expect(config.registry(forPackage: "@corp/lib").absoluteString == "https://corp.example/api/npm/")
        #expect(config.registry(forPackage: "@other/lib").absoluteString == "https://project.example/")
        #expect(config.credential(for: URL(string: "https://corp.example/api/npm/@corp%2flib")!) == .bearer("corp-secret"))
        #expect(config.credential(for: URL(string: "https://corp.example/api/npm/@corp/lib/-/lib-1.0.0.tgz")!) == .bearer("corp-secret"))
        #expect(config.credential(for: URL(string: "https://corp.example/other/")!) == nil)
        #expect(config.credential(for: URL(string: "https://project.example/abbrev")!) == .bearer("project-token"))
        #expect(config.credential(for: URL(string: "https://cdn.example/abbrev/-/abbrev-1.0.0.tgz")!) == nil)
        #expect(config.cacheDirectory?.path == home.appendingPathComponent(".cache/provcheck").path)

        env["NPM_CONFIG_REGISTRY"] = "http://env.example:8080"
        env["XDG_CACHE_HOME"] = folder.file("xdg").path
        config = try RegistryConfiguration.resolve(projectDirectory: project, environment: env)
        #expect(config.registry.absoluteString == "http://env.example:8080/")
        #expect(config.cacheDirectory?.path == folder.file("xdg/provcheck").path)

        config = try RegistryConfiguration.resolve(
            registry: "https://flag.example/r", projectDirectory: project, environment: env, cacheDirectory: "/tmp/x")
        #expect(config.registry.absoluteString == "https://flag.example/r/")
        #expect(config.cacheDirectory?.path == "/tmp/x")

        // Without the project file the user file wins over the global one.
        config = try RegistryConfiguration.resolve(environment: ["HOME": home.path, "npm_config_globalconfig": folder.file("globalrc").path, "CORP_TOKEN": "x"])
        #expect(config.registry.absoluteString == "https://user.example/npm/")
        config = try RegistryConfiguration.resolve(environment: ["HOME": folder.file("nowhere").path, "npm_config_globalconfig": folder.file("none").path])
        #expect(config.registry == RegistryConfiguration.defaultRegistry)

        // A missing variable is an error naming the file and line.
        let error = try #require(throws: RegistryError.self) {
            try RegistryConfiguration.resolve(environment: ["HOME": home.path, "npm_config_globalconfig": folder.file("none").path])
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains(".npmrc: line 4: environment variable CORP_TOKEN is not set"))
    }

    @Test func basicCredentialsFromUsernameAndPassword() throws {
        let folder = try TemporaryFolder()
        try """
            //basic.example/:username=alice
            //basic.example/:_password=\(Data("pa:ss".utf8).base64EncodedString())
            //legacy.example/:_auth=Ym9iOnB3
            """.write(to: folder.file(".npmrc"), atomically: true, encoding: .utf8)
        let config = try RegistryConfiguration.resolve(
            projectDirectory: folder.url, environment: ["HOME": "/nonexistent", "npm_config_globalconfig": "/nonexistent"])
        #expect(config.credential(for: URL(string: "https://basic.example/pkg")!)
            == .basic(Data("alice:pa:ss".utf8).base64EncodedString()))
        #expect(config.credential(for: URL(string: "https://legacy.example/pkg")!)?.headerValue == "Basic Ym9iOnB3")
    }

    @Test func nerfDartsAndEscapedNames() throws {
        #expect(RegistryConfiguration.nerfDart(URL(string: "https://registry.npmjs.org/")!) == "//registry.npmjs.org/")
        #expect(RegistryConfiguration.nerfDart(URL(string: "http://127.0.0.1:4873/npm/abbrev")!) == "//127.0.0.1:4873/npm/")
        #expect(try RegistryConfiguration.escapedName("@scope/name") == "@scope%2fname")
        #expect(try RegistryConfiguration.escapedName("abbrev") == "abbrev")
        for bad in ["", ".hidden", "a b", "@scope", "@/x", "a/b", "_x", "x%2f"] {
            #expect(throws: RegistryError.self, "\(bad)") { try RegistryConfiguration.escapedName(bad) }
        }
    }

    @Test func proxySettingsAndNoProxy() throws {
        let env = ["HOME": "/nonexistent", "npm_config_globalconfig": "/nonexistent", "HTTPS_PROXY": "http://proxy.local:3128",
                   "no_proxy": "localhost,.internal.example,127.0.0.1"]
        let config = try RegistryConfiguration.resolve(environment: env)
        #expect(config.proxy.httpsProxy == "http://proxy.local:3128")
        let viaProxy = try #require(config.proxy.proxy(for: URL(string: "https://registry.npmjs.org/abbrev")!))
        #expect(viaProxy.host == "proxy.local" && viaProxy.port == 3128)
        #expect(config.proxy.proxy(for: URL(string: "https://a.internal.example/x")!) == nil)
        #expect(config.proxy.proxy(for: URL(string: "https://localhost/x")!) == nil)
        #expect(config.proxy.proxy(for: URL(string: "http://example.com/x")!) == nil)  // no HTTP proxy set
    }

    @Test func tokenIsSentAsBearerToItsRegistryOnly() async throws {
        let registry = try LoopbackRegistry(content: fixtureContent)
        defer { registry.stop() }
        registry.update {
            $0.requiredToken = "s3cret"
            $0.tokenScope = .everything
        }
        let folder = try TemporaryFolder()
        try """
            @trishankatdatadog:registry=\(registry.baseURL.absoluteString)
            //127.0.0.1:\(registry.port)/:_authToken=${LOOPBACK_TOKEN}
            """.write(to: folder.file(".npmrc"), atomically: true, encoding: .utf8)
        var config = try RegistryConfiguration.resolve(
            projectDirectory: folder.url,
            environment: ["HOME": folder.file("home").path, "npm_config_globalconfig": "/nonexistent", "LOOPBACK_TOKEN": "s3cret"])
        #expect(config.registry == RegistryConfiguration.defaultRegistry)
        config.cacheDirectory = nil
        let client = RegistryClient(configuration: config)
        let packument = try await client.packument(name: "@trishankatdatadog/supreme-goggles")
        let version = try #require(packument.versions["1.0.5"])
        let tarball = try #require(URL(string: version.dist.tarball))
        try await client.tarball(from: tarball) { _ in }
        #expect(registry.authorizationHeaders == ["Bearer s3cret", "Bearer s3cret"])
        #expect(registry.requests.allSatisfy { $0.status == 200 })
    }

    @Test func httpProxyIsActuallyUsed() async throws {
        // The loopback registry also answers absolute-form requests, i.e. it can act as the HTTP proxy.
        let proxy = try LoopbackRegistry(content: fixtureContent)
        defer { proxy.stop() }
        var config = RegistryConfiguration(registry: URL(string: "http://registry.invalid/")!)
        // Other tests talk to 127.0.0.1 concurrently: keep it out of the proxy (libcurl reads the process environment).
        config.proxy = ProxySettings(httpProxy: "http://127.0.0.1:\(proxy.port)", noProxy: "127.0.0.1,localhost")
        config.retry = RetryPolicy(maxAttempts: 1)
        let client = RegistryClient(configuration: config)
        let packument = try await client.packument(name: "ms")
        #expect(packument.name == "ms")
        #expect(proxy.requests.first?.target == "http://registry.invalid/ms")

        // NO_PROXY: the same host bypasses the (now unreachable) proxy and connects directly.
        let direct = try LoopbackRegistry(content: fixtureContent)
        defer { direct.stop() }
        var bypass = RegistryConfiguration(registry: direct.baseURL)
        bypass.proxy = ProxySettings(httpProxy: "http://127.0.0.1:\(proxy.port)", noProxy: "127.0.0.1,localhost")
        bypass.retry = RetryPolicy(maxAttempts: 1)
        #expect(try await RegistryClient(configuration: bypass).packument(name: "ms").name == "ms")
        #expect(direct.requests.first?.target == "/ms")
        #expect(proxy.requests.count == 1)
    }
}
