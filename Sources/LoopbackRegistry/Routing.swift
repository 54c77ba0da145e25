import Digest
import Foundation
import Registry

/// An HTTP response before faults are applied.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: Data
    /// A file to stream instead of `body`.
    var file: (url: URL, size: Int)? = nil

    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.encoded())
    }

    static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(["error": .string(message)], status: status)
    }

    static func bytes(_ data: Data) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: data)
    }
}

/// A parsed request line and header block.
struct HTTPRequest {
    var method: String
    var target: String
    var version: String
    var headers: [String: String]

    /// The path part of the target; an absolute-form target (`GET http://host/path`, as sent to a proxy) is
    /// reduced to its path, so the registry doubles as a forward proxy for tests.
    var rawPath: String {
        var path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        if let scheme = path.range(of: "://"), path.hasPrefix("http") {
            let afterAuthority = path[scheme.upperBound...].firstIndex(of: "/") ?? path.endIndex
            path = String(path[afterAuthority...])
            if path.isEmpty { path = "/" }
        }
        return path
    }

    /// Whether the target was in absolute form (the client used this server as a proxy).
    var isAbsoluteForm: Bool { target.hasPrefix("http://") || target.hasPrefix("https://") }
    var path: String { rawPath.removingPercentEncoding ?? rawPath }

    var query: [String: String] {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return [:] }
        var result: [String: String] = [:]
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            result[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return result
    }
}

/// Maps a request to a response from a ``RegistryContent`` snapshot (pure; no I/O).
enum Router {
    static func respond(to request: HTTPRequest, content: RegistryContent, baseURL: String) -> HTTPResponse {
        respondKeepingTagged(to: request, content: content, baseURL: baseURL).response
    }

    /// The cache key of a whole-packument answer to `request` (its path and which form is asked for), or `nil` for
    /// methods other than GET/HEAD.
    static func packumentCacheKey(_ request: HTTPRequest) -> String? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        return (wantsAbbreviated(request) ? "abbreviated " : "full ") + request.path
    }

    /// Answers `request` from a stored answer (with its `ETag`): 304 when `If-None-Match` names the tag.
    static func answer(_ request: HTTPRequest, withTagged tagged: HTTPResponse) -> HTTPResponse {
        if let etag = tagged.headers.first(where: { $0.0 == "ETag" })?.1, let tags = request.headers["if-none-match"],
            tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return HTTPResponse(status: 304, headers: [("ETag", etag)], body: Data())
        }
        return tagged
    }

    /// Like ``respond(to:content:baseURL:)``, and also returns the answer before `If-None-Match` was applied when it
    /// is a whole packument (the server keeps those encoded).
    static func respondKeepingTagged(
        to request: HTTPRequest, content: RegistryContent, baseURL: String
    ) -> (response: HTTPResponse, tagged: (name: String, response: HTTPResponse)?) {
        guard request.method == "GET" || request.method == "HEAD" else {
            return (.error(405, "method \(request.method) not supported by the loopback registry"), nil)
        }
        let path = request.path
        if let token = content.requiredToken {
            let needsToken = content.tokenScope == .everything || path == "/-/stage" || path.hasPrefix("/-/stage/")
            if needsToken, request.headers["authorization"] != "Bearer \(token)" {
                return (.error(401, "authentication required"), nil)
            }
        }
        let (routed, packumentName) = route(path: path, request: request, content: content, baseURL: baseURL)
        var response = routed
        if content.servesETags, response.status == 200 {
            let etag: String
            if let file = response.file {
                let modified = (try? FileManager.default.attributesOfItem(atPath: file.url.path)[.modificationDate] as? Date)
                    .map { Int($0.timeIntervalSince1970 * 1000) } ?? 0
                etag = "\"file-\(file.size)-\(modified)\""
            } else {
                etag = "\"" + Hashing.sha1Hex(response.body) + "\""
            }
            response.headers.append(("ETag", etag))
        }
        let tagged = packumentName.flatMap { name in response.status == 200 ? (name, response) : nil }
        return (answer(request, withTagged: response), tagged)
    }

    /// Routes a request; the name is set when the answer is a whole packument.
    private static func route(
        path: String, request: HTTPRequest, content: RegistryContent, baseURL: String
    ) -> (HTTPResponse, String?) {
        var packumentName: String? = nil
        let response = routeAnswer(path: path, request: request, content: content, baseURL: baseURL, packumentName: &packumentName)
        return (response, packumentName)
    }

    private static func routeAnswer(
        path: String, request: HTTPRequest, content: RegistryContent, baseURL: String, packumentName: inout String?
    ) -> HTTPResponse {
        if path == "/-/ping" { return .json([:]) }
        if path == "/-/npm/v1/keys" {
            guard let keys = content.keys else { return .error(404, "no keys") }
            return .json(keys)
        }
        let attestationsPrefix = "/-/npm/v1/attestations/"
        if path.hasPrefix(attestationsPrefix) {
            let spec = String(path.dropFirst(attestationsPrefix.count))
            guard let document = content.attestations[spec] else { return .error(404, "no attestations for \(spec)") }
            return .json(document)
        }
        if path == "/-/stage" { return stageList(query: request.query, content: content) }
        if path.hasPrefix("/-/stage/") {
            let parts = path.dropFirst("/-/stage/".count).split(separator: "/").map(String.init)
            guard let id = parts.first, let item = content.stagedItems.first(where: { $0.id == id }) else {
                return .error(404, "no staged item \(parts.first ?? "")")
            }
            if parts.count == 1 { return .json(item.json) }
            if parts.count == 2, parts[1] == "tarball" {
                guard let tarball = content.stagedTarballs[id] else { return .error(404, "no staged tarball \(id)") }
                return .bytes(tarball)
            }
            return .error(404, "not found")
        }
        if path.hasPrefix("/-/") { return .error(404, "not found") }

        let trimmed = String(path.dropFirst())
        if let range = trimmed.range(of: "/-/") {
            if let tarball = content.tarballs[trimmed] { return .bytes(tarball) }
            if let file = content.tarballFiles[trimmed] {
                guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue
                else { return .error(404, "tarball file missing: \(file.path)") }
                var response = HTTPResponse.bytes(Data())
                response.file = (file, size)
                return response
            }
            return .error(404, "no tarball \(trimmed[range.upperBound...])")
        }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else { return .error(404, "not found") }
        let name: String
        let rest: ArraySlice<String>
        if components[0].hasPrefix("@") {
            guard components.count >= 2 else { return .error(404, "not found") }
            name = components[0] + "/" + components[1]
            rest = components.dropFirst(2)
        } else {
            name = components[0]
            rest = components.dropFirst(1)
        }
        guard let packument = content.packuments[name] else { return .error(404, "Not found") }
        let served = content.rewritesRegistryURLs ? rewrite(packument: packument, baseURL: baseURL) : packument
        if rest.isEmpty {
            packumentName = name
            guard wantsAbbreviated(request) else { return .json(served) }
            var response = HTTPResponse.json(abbreviate(served))
            response.headers = [("Content-Type", abbreviatedMediaType)]
            return response
        }
        guard rest.count == 1 else { return .error(404, "not found") }
        let wanted = served["dist-tags"]?[rest.first!]?.stringValue ?? rest.first!
        guard let manifest = served["versions"]?[wanted] else { return .error(404, "version not found: \(wanted)") }
        return .json(manifest)
    }

    private static func stageList(query: [String: String], content: RegistryContent) -> HTTPResponse {
        let items = content.stagedItems.filter { item in query["package"].map { $0 == item.packageName } ?? true }
        let page = max(0, Int(query["page"] ?? "") ?? 0)
        let perPage = max(1, Int(query["perPage"] ?? "") ?? 100)
        let start = min(items.count, page * perPage)
        let slice = items[start..<min(items.count, start + perPage)]
        return .json([
            "items": .array(slice.map(\.json)), "total": .int(items.count), "page": .int(page),
            "perPage": .int(perPage),
        ])
    }

    /// Rewrites `dist.tarball` and `dist.attestations.url` of every version from a public prefix to `baseURL`.
    static func rewrite(packument: JSONValue, baseURL: String) -> JSONValue {
        guard var versions = packument["versions"]?.objectValue else { return packument }
        func rewritten(_ url: String) -> String {
            for prefix in RegistryContent.publicRegistryPrefixes where url.hasPrefix(prefix) {
                return baseURL + url.dropFirst(prefix.count)
            }
            return url
        }
        for (version, var manifest) in versions {
            guard var dist = manifest["dist"], dist.objectValue != nil else { continue }
            if let tarball = dist["tarball"]?.stringValue { dist["tarball"] = .string(rewritten(tarball)) }
            if let url = dist["attestations"]?["url"]?.stringValue { dist["attestations"]?["url"] = .string(rewritten(url)) }
            manifest["dist"] = dist
            versions[version] = manifest
        }
        var result = packument
        result["versions"] = .object(versions)
        return result
    }
}
