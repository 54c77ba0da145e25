import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoopbackRegistry
import Testing
import TestSupport

/// Raw HTTP checks of the loopback registry itself (through URLSession, not the Registry client).
@Suite struct LoopbackRegistryTests {
    private func get(_ url: URL, headers: [String: String] = [:]) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, response as! HTTPURLResponse)
    }

    @Test func servesFixturePackumentsTarballsKeysAndAttestations() async throws {
        let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        defer { registry.stop() }
        let base = registry.baseURL

        let (packumentData, packumentResponse) = try await get(base.appendingPathComponent("abbrev"))
        #expect(packumentResponse.statusCode == 200)
        let packument = try JSONValue(parsing: packumentData)
        let tarballURL = try #require(packument["versions"]?["1.1.1"]?["dist"]?["tarball"]?.stringValue)
        #expect(tarballURL == base.absoluteString + "abbrev/-/abbrev-1.1.1.tgz")
        #expect(packument["versions"]?["3.0.0"]?["gitHead"] == "89e72e322083708922f259dc5f3635237527c41e")

        let (tarball, _) = try await get(URL(string: tarballURL)!)
        #expect(tarball == (try Fixtures.data("npm/tarballs/abbrev@1.1.1.tgz")))

        for path in ["@trishankatdatadog%2fsupreme-goggles", "@trishankatdatadog/supreme-goggles"] {
            let (data, response) = try await get(URL(string: base.absoluteString + path)!)
            #expect(response.statusCode == 200)
            let scoped = try JSONValue(parsing: data)
            #expect(scoped["versions"]?["1.0.5"]?["dist"]?["attestations"]?["provenance"]?["predicateType"]
                == "https://slsa.dev/provenance/v0.2")
        }
        for path in [
            "-/npm/v1/attestations/@trishankatdatadog%2fsupreme-goggles@1.0.5",
            "-/npm/v1/attestations/@trishankatdatadog/supreme-goggles@1.0.5", "-/npm/v1/attestations/sigstore@1.0.0",
        ] {
            let (_, response) = try await get(URL(string: base.absoluteString + path)!)
            #expect(response.statusCode == 200, "\(path)")
        }
        let (keys, _) = try await get(base.appendingPathComponent("-/npm/v1/keys"))
        #expect(try JSONValue(parsing: keys)["keys"]?.arrayValue?.count == 2)
        let (_, missing) = try await get(base.appendingPathComponent("no-such-package"))
        #expect(missing.statusCode == 404)
    }

    @Test func contentChangesBetweenRequestsAndETagsRevalidate() async throws {
        let registry = try LoopbackRegistry()
        defer { registry.stop() }
        registry.update { $0.addVersion(name: "demo", version: "1.0.0", tarball: Data("one".utf8)) }
        let url = registry.baseURL.appendingPathComponent("demo")
        let (_, first) = try await get(url)
        let etag = try #require(first.value(forHTTPHeaderField: "ETag"))
        let (_, second) = try await get(url, headers: ["If-None-Match": etag])
        #expect(second.statusCode == 304)
        registry.update { $0.addVersion(name: "demo", version: "1.0.1", tarball: Data("two".utf8)) }
        let (data, third) = try await get(url, headers: ["If-None-Match": etag])
        #expect(third.statusCode == 200)
        #expect(try JSONValue(parsing: data)["dist-tags"]?["latest"] == "1.0.1")
    }

    @Test func faultsApplyForTheirCountAndRequestsAreCounted() async throws {
        let registry = try LoopbackRegistry()
        defer { registry.stop() }
        registry.update { $0.addVersion(name: "demo", version: "1.0.0", tarball: Data("x".utf8)) }
        registry.inject(.status(503, headers: ["Retry-After": "0"]), on: "/demo", times: 2)
        var statuses: [Int] = []
        for _ in 0..<3 { statuses.append(try await get(registry.baseURL.appendingPathComponent("demo")).1.statusCode) }
        #expect(statuses == [503, 503, 200])
        #expect(registry.requestCount(matching: "/demo") == 3)
        #expect(registry.requestCount(matching: "/demo/-/*") == 0)
    }

    @Test func stagingEndpointsNeedTheToken() async throws {
        let registry = try LoopbackRegistry()
        defer { registry.stop() }
        let item = registry.updateReturning {
            $0.requiredToken = "secret"
            return $0.addStagedVersion(packageName: "demo", version: "2.0.0", tarball: Data("staged".utf8))
        }
        let list = URL(string: registry.baseURL.absoluteString + "-/stage?package=demo")!
        #expect(try await get(list).1.statusCode == 401)
        let (data, response) = try await get(list, headers: ["Authorization": "Bearer secret"])
        #expect(response.statusCode == 200)
        #expect(try JSONValue(parsing: data)["items"]?.arrayValue?.first?["id"] == .string(item.id))
        let (tarball, _) = try await get(
            registry.baseURL.appendingPathComponent("-/stage/\(item.id)/tarball"), headers: ["Authorization": "Bearer secret"])
        #expect(tarball == Data("staged".utf8))
        #expect(registry.authorizationHeaders.filter { $0 == "Bearer secret" }.count == 2)
    }

    @Test func globPatterns() {
        #expect(PathPattern("/abbrev").matches("/abbrev"))
        #expect(!PathPattern("/abbrev").matches("/abbrev/-/abbrev-1.1.1.tgz"))
        #expect(PathPattern("*.tgz").matches("/abbrev/-/abbrev-1.1.1.tgz"))
        #expect(PathPattern("/@scope/*").matches("/@scope/name"))
        #expect(PathPattern.any.matches("/"))
    }
}

@Suite struct LoopbackRegistryLifetimeTests {
    @Test func releasingTheRegistryStopsIt() async throws {
        var registry: LoopbackRegistry? = try LoopbackRegistry()
        let url = try #require(registry?.baseURL.appendingPathComponent("x"))
        registry = nil
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        await #expect(throws: (any Error).self) { _ = try await URLSession.shared.data(for: request) }
    }

    @Test func stopIsIdempotentAndClosesKeptAliveConnections() async throws {
        let registry = try LoopbackRegistry()
        registry.update { $0.addVersion(name: "demo", version: "1.0.0", tarball: Data("x".utf8)) }
        _ = try await URLSession.shared.data(from: registry.baseURL.appendingPathComponent("demo"))
        registry.stop()
        registry.stop()
    }
}
