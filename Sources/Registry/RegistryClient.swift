import Archive
import Foundation
import JSON

/// An npm registry client: packuments, tarballs (streamed to disk), registry keys, attestations and staged
/// publishes, with timeouts, bounded retries, an ETag-revalidated disk cache, an offline mode and a bound on
/// concurrent requests (connections are kept alive, so thousands of fetches reuse a few connections).
///
/// Every failure is a ``RegistryError`` naming the URL and the problem. A body that does not match its
/// `Content-Length` is an error, never returned as data.
///
/// ```swift
/// let client = RegistryClient(configuration: try RegistryConfiguration.resolve(registry: "http://127.0.0.1:4873/"))
/// let packument = try await client.packument(name: "abbrev")
/// let download = try await client.tarball(from: URL(string: packument.versions["1.1.1"]!.dist.tarball)!, to: file)
/// ```
public final class RegistryClient: Sendable {
    /// The configuration in use.
    public let configuration: RegistryConfiguration
    private let transport: HTTPClient
    private let limiter: ConcurrencyLimiter
    private let hosts: HostGate
    private let cache: ResponseCache?

    /// Creates a client. Nothing is fetched until a method is called.
    public init(configuration: RegistryConfiguration) {
        self.configuration = configuration
        self.transport = HTTPClient(configuration: configuration)
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
        self.hosts = HostGate(connectionsPerHost: configuration.maxConnectionsPerHost)
        self.cache = configuration.cacheDirectory.map { ResponseCache(directory: $0) }
    }

    deinit { transport.invalidate() }

    // MARK: URLs

    /// The packument URL of `name` on its registry (`<registry>@scope%2fname` for scoped names).
    public func packumentURL(name: String) throws(RegistryError) -> URL {
        let escaped = try RegistryConfiguration.escapedName(name)
        return URL(string: configuration.registry(forPackage: name).absoluteString + escaped)!
    }

    /// `<registry>-/npm/v1/keys` for the default registry.
    public var keysURL: URL { keysURL(registry: configuration.registry) }

    /// `<registry>-/npm/v1/keys` for `registry`.
    public func keysURL(registry: URL) -> URL {
        URL(string: RegistryConfiguration.withTrailingSlash(registry).absoluteString + "-/npm/v1/keys")!
    }

    /// `<registry>-/npm/v1/attestations/<name>@<version>` on the package's registry (scoped: `@scope%2fname`).
    public func attestationsURL(name: String, version: String) throws(RegistryError) -> URL {
        let escaped = try RegistryConfiguration.escapedName(name)
        let encodedVersion = version.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? version
        return URL(string: configuration.registry(forPackage: name).absoluteString
            + "-/npm/v1/attestations/\(escaped)@\(encodedVersion)")!
    }

    // MARK: Documents

    /// The full packument of `name` (`Accept: application/json`, so `time` is included).
    /// - Throws: ``RegistryError``: `.notFound` for an unknown package, `.malformedResponse`, network errors.
    public func packument(name: String) async throws(RegistryError) -> Packument {
        try await packument(name: name, abbreviated: false)
    }

    /// `Accept` of an abbreviated packument request, as npm's installer sends it (a registry without abbreviated
    /// documents answers with the full one).
    public static let abbreviatedPackumentAccept =
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

    /// The packument of `name`: the full document, or with `abbreviated` npm's abbreviated one (far smaller: every
    /// version's `dist` with integrity, signatures and attestations, but no `time`, `repository`, `_npmUser` or
    /// readme; see ``Packument/isAbbreviated``). Both are cached separately.
    /// - Throws: ``RegistryError``: `.notFound` for an unknown package, `.malformedResponse`, network errors.
    public func packument(name: String, abbreviated: Bool) async throws(RegistryError) -> Packument {
        let url = try packumentURL(name: name)
        let data: Data
        if abbreviated {
            // Its own cache entry: the same URL serves two documents.
            var cacheKey = URLComponents(url: url, resolvingAgainstBaseURL: false)!
            cacheKey.fragment = "abbreviated"
            data = try await document(url, accept: Self.abbreviatedPackumentAccept, cacheKey: cacheKey.url ?? url)
        } else {
            data = try await document(url, accept: "application/json")
        }
        var packument = try Packument.decode(data, from: url)
        guard packument.name == name else {
            throw RegistryError.malformed(url, problem: "the packument is for \"\(packument.name)\", not \"\(name)\"")
        }
        // A registry may answer the abbreviated request with the full document: then `time` is there.
        packument.isAbbreviated = abbreviated && packument.time.isEmpty
        return packument
    }

    /// A registry's signing keys (the default registry unless `registry` is given, e.g. a scope's registry), or
    /// `nil` when it answers 404 or 400 ("this registry has no keys", as npm treats it).
    public func keys(registry: URL? = nil) async throws(RegistryError) -> RegistryKeysResponse? {
        let url = keysURL(registry: registry ?? configuration.registry)
        let data: Data
        do { data = try await document(url, accept: "application/json") } catch {
            if error.status == 404 || error.status == 400 { return nil }
            throw error
        }
        return try RegistryKeysResponse.decode(data, from: url)
    }

    /// The attestations of `name@version`, or `nil` when the registry answers 404.
    public func attestations(name: String, version: String) async throws(RegistryError) -> AttestationsResponse? {
        try await attestations(at: attestationsURL(name: name, version: version))
    }

    /// The attestations at a `dist.attestations.url`. Like pacote, only the URL's path is used, appended to the
    /// configured registry (the registry of `packageName`'s scope when given), so a mirror serves them; `nil` when
    /// the registry answers 404.
    /// - Throws: ``RegistryError`` `.malformedResponse` when `url` is not a URL.
    public func attestations(url: String, packageName: String? = nil) async throws(RegistryError) -> AttestationsResponse? {
        guard let components = URLComponents(string: url), !components.percentEncodedPath.isEmpty else {
            throw RegistryError(code: .malformedResponse, url: nil, problem: "dist.attestations.url \"\(url)\" is not a URL")
        }
        let registry = packageName.map { configuration.registry(forPackage: $0) } ?? configuration.registry
        var base = registry.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard let resolved = URL(string: base + components.percentEncodedPath) else {
            throw RegistryError(code: .malformedResponse, url: nil, problem: "dist.attestations.url \"\(url)\" has an invalid path")
        }
        return try await attestations(at: resolved)
    }

    private func attestations(at url: URL) async throws(RegistryError) -> AttestationsResponse? {
        let data: Data
        do { data = try await document(url, accept: "application/json") } catch {
            if error.code == .notFound { return nil }
            throw error
        }
        return try AttestationsResponse.decode(data, from: url)
    }

    // MARK: Tarballs

    /// Downloads the tarball at `url` into the file `destination` (replaced if present), streaming to disk.
    /// - Returns: what was downloaded (size, whether it came from the cache).
    /// - Throws: ``RegistryError``; on failure `destination` is left untouched.
    /// - Parameter receiving: called with the file each download attempt writes the body to while it arrives (its
    ///   size is the bytes received so far: progress displays follow it); not called for a cached answer.
    @discardableResult
    public func tarball(
        from url: URL, to destination: URL, receiving: (@Sendable (URL) -> Void)? = nil
    ) async throws(RegistryError) -> Download {
        let (file, download, temporary) = try await fetchFile(url, accept: "application/octet-stream", cacheable: true,
                                                              receiving: receiving)
        let fm = FileManager.default
        do {
            if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
            if temporary { try fm.moveItem(at: file, to: destination) } else { try Self.copy(file, to: destination) }
        } catch {
            throw RegistryError(code: .fileSystem, url: destination, problem: "cannot write the tarball: \(error.localizedDescription)")
        }
        return download
    }

    /// Downloads the tarball at `url` and passes its bytes, in order, to `consume` in chunks of `chunkSize`
    /// (for hashers and archive readers). The body is first stored on disk and its length checked, so `consume`
    /// only ever sees a complete body; memory stays bounded.
    /// - Throws: ``RegistryError``, or whatever `consume` throws.
    @discardableResult
    public func tarball(
        from url: URL, chunkSize: Int = 1 << 20, consume: (Data) throws -> Void
    ) async throws -> Download {
        let (file, download, temporary) = try await fetchFile(url, accept: "application/octet-stream", cacheable: true)
        defer { if temporary { try? FileManager.default.removeItem(at: file) } }
        try Self.replay(file, chunkSize: chunkSize, consume: consume)
        return download
    }

    /// Downloads the tarball at `url` and hands `body` a file holding it: the cached copy when a cache is configured
    /// (no copy is made), else a temporary file removed afterwards. `body` must only read the file.
    /// - Throws: ``RegistryError``, or whatever `body` throws.
    /// `receiving` is called with the file each download attempt writes to (see ``tarball(from:to:receiving:)``).
    public func withTarballFile<Result>(
        from url: URL, receiving: (@Sendable (URL) -> Void)? = nil, _ body: (URL, Download) throws -> Result
    ) async throws -> Result {
        let (file, download, temporary) = try await fetchFile(url, accept: "application/octet-stream", cacheable: true,
                                                              receiving: receiving)
        defer { if temporary { try? FileManager.default.removeItem(at: file) } }
        return try body(file, download)
    }

    // MARK: Staged publishes

    /// Every staged publish of `name` (`GET /-/stage?package=<name>`, all pages). Needs an auth token.
    public func stagedPackages(name: String) async throws(RegistryError) -> [StageItem] {
        let escaped = try RegistryConfiguration.escapedName(name)
        let base = configuration.registry(forPackage: name).absoluteString
        var items: [StageItem] = []
        var page: Int? = nil
        for _ in 0..<1000 {
            var query = "package=\(escaped)&perPage=100"
            if let page { query += "&page=\(page)" }
            let url = URL(string: base + "-/stage?" + query)!
            let data = try await document(url, accept: "application/json", cacheable: false)
            let decoded: StagePage
            do { decoded = try StagePage(json: RawJSON(parsing: data)) } catch let error as JSONSyntaxError {
                throw RegistryError.malformed(url, problem: error.description)
            } catch {
                throw RegistryError.malformed(url, problem: "\(error)")
            }
            let seen = Set(items.map(\.id))
            let fresh = decoded.items.filter { !seen.contains($0.id) }
            items += fresh
            // Stop at the total, on an empty page, or when a page brings nothing new (a server ignoring `page`).
            guard let total = decoded.total, items.count < total, !fresh.isEmpty else { break }
            page = (decoded.page ?? page ?? 0) + 1
        }
        return items
    }

    /// One staged publish (`GET /-/stage/<id>`).
    public func stage(id: String) async throws(RegistryError) -> StageItem {
        let url = try stageURL(id: id)
        let data = try await document(url, accept: "application/json", cacheable: false)
        do { return try StageItem(json: RawJSON(parsing: data)) } catch let error as JSONSyntaxError {
            throw RegistryError.malformed(url, problem: error.description)
        } catch {
            throw RegistryError.malformed(url, problem: "\(error)")
        }
    }

    /// Downloads a staged tarball (`GET /-/stage/<id>/tarball`) into `destination`.
    @discardableResult
    public func stagedTarball(id: String, to destination: URL) async throws(RegistryError) -> Download {
        let url = try stageURL(id: id, suffix: "/tarball")
        let (file, download, _) = try await fetchFile(url, accept: "application/octet-stream", cacheable: false)
        do {
            if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
            try FileManager.default.moveItem(at: file, to: destination)
        } catch {
            throw RegistryError(code: .fileSystem, url: destination, problem: "cannot write the tarball: \(error.localizedDescription)")
        }
        return download
    }

    /// Downloads a staged tarball and passes its bytes to `consume` in order (see ``tarball(from:chunkSize:consume:)``).
    @discardableResult
    public func stagedTarball(id: String, chunkSize: Int = 1 << 20, consume: (Data) throws -> Void) async throws -> Download {
        let url = try stageURL(id: id, suffix: "/tarball")
        let (file, download, _) = try await fetchFile(url, accept: "application/octet-stream", cacheable: false)
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.replay(file, chunkSize: chunkSize, consume: consume)
        return download
    }

    private func stageURL(id: String, suffix: String = "") throws(RegistryError) -> URL {
        let allowed = Set("0123456789abcdefABCDEF-")
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ allowed.contains($0) }) else {
            throw RegistryError(code: .invalidStageID, url: nil, problem: "invalid stage id \"\(id)\": expected a UUID")
        }
        return URL(string: configuration.registry.absoluteString + "-/stage/\(id)\(suffix)")!
    }

    // MARK: Generic fetch

    /// Fetches a JSON (or other small) document at `url` with the client's auth, retries and cache.
    /// Public so other modules can reach registry endpoints this client has no method for.
    /// - Parameter cacheable: store and revalidate in the cache (and allow offline use).
    public func document(_ url: URL, accept: String, cacheable: Bool = true) async throws(RegistryError) -> Data {
        try await document(url, accept: accept, cacheable: cacheable, cacheKey: url)
    }

    /// ``document(_:accept:cacheable:)`` with the cache entry filed under `cacheKey` (one URL, several documents).
    func document(_ url: URL, accept: String, cacheable: Bool = true, cacheKey: URL) async throws(RegistryError) -> Data {
        let cached = cacheable ? cache?.lookup(cacheKey) : nil
        if configuration.offline {
            guard let cache, cached != nil else { throw offlineMiss(url, cacheable: cacheable) }
            return try cache.body(for: cacheKey)
        }
        let result = try await perform(
            url, accept: accept, acceptsGzip: true, etag: cached?.etag, limit: configuration.maxDocumentBytes,
            sink: { .memory })
        if result.status == 304, let cache, cached != nil {
            return try cache.body(for: cacheKey)
        }
        guard result.status == 200 else { throw RegistryError.status(result.status, url: url, credentialSent: configuration.credential(for: url) != nil) }
        let body = try Self.decodedBody(result, url: url, limit: configuration.maxDocumentBytes)
        if cacheable, let cache { try? cache.store(cacheKey, data: body, headers: result.headers) }
        return body
    }

    /// The body without its `Content-Encoding` (documents are requested with `Accept-Encoding: gzip`, as npm does:
    /// packuments shrink about tenfold). The decompressed size is bounded by `limit`.
    static func decodedBody(_ result: TransferResult, url: URL, limit: Int) throws(RegistryError) -> Data {
        let encoding = (result.headers["content-encoding"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if encoding.isEmpty || encoding == "identity" { return result.body }
        guard encoding == "gzip" || encoding == "x-gzip" else {
            throw RegistryError(
                code: .malformedResponse, url: url,
                problem: "malformed response: unsupported Content-Encoding \"\(encoding)\" (only gzip was accepted)")
        }
        // The absolute size limit is the bomb guard; JSON legitimately compresses far beyond tarball ratios.
        let limits = ArchiveLimits(
            maxDecompressedBytes: UInt64(max(0, limit)), maxCompressionRatio: .infinity, ratioCheckThresholdBytes: .max)
        do throws(ArchiveError) {
            let decoded = try Gunzip.decompress(result.body, name: url.absoluteString, limits: limits)
            // Several members are legal gzip; a failed CRC or length check, or trailing garbage, is not data.
            if let bad = decoded.findings.first(where: { $0.code == .gzipCRCMismatch || $0.code == .gzipTrailingData }) {
                throw ArchiveError(code: bad.code, input: url.absoluteString, message: bad.message)
            }
            return decoded.data
        } catch {
            if error.code == .sizeLimitExceeded {
                throw RegistryError(
                    code: .responseTooLarge, url: url,
                    problem: "the gzip body decompresses to more than the limit of \(limit) bytes; it was discarded")
            }
            throw RegistryError(code: .malformedResponse, url: url, problem: "malformed response: bad gzip body: \(error.message)")
        }
    }

    private func offlineMiss(_ url: URL, cacheable: Bool) -> RegistryError {
        let problem: String
        if !cacheable {
            problem = "offline mode: this endpoint is never cached (staged publishes must be read online)"
        } else if cache == nil {
            problem = "offline mode and no cache folder is configured"
        } else {
            problem = "offline mode and no cached copy; run once online to fill the cache"
        }
        return RegistryError(code: .notInCache, url: url, problem: problem)
    }

    /// A downloaded body.
    public struct Download: Sendable, Hashable {
        /// The URL fetched.
        public var url: URL
        /// Body size in bytes.
        public var byteCount: Int
        /// Whether the body came from the cache (offline, or a 304 revalidation).
        public var fromCache: Bool
    }

    /// Downloads into a file. Returns the file, the summary and whether the file is a temporary the caller owns.
    private func fetchFile(
        _ url: URL, accept: String, cacheable: Bool, receiving: (@Sendable (URL) -> Void)? = nil
    ) async throws(RegistryError) -> (URL, Download, Bool) {
        let cached = cacheable ? cache?.lookup(url) : nil
        if configuration.offline {
            guard let cache, let entry = cached else { throw offlineMiss(url, cacheable: cacheable) }
            return (cache.bodyURL(for: url), Download(url: url, byteCount: entry.byteCount, fromCache: true), false)
        }
        var currentFile: URL? = nil
        defer { if let currentFile { try? FileManager.default.removeItem(at: currentFile) } }
        let makeFile = { () throws(RegistryError) -> URL in
            if let currentFile { try? FileManager.default.removeItem(at: currentFile) }
            let file: URL
            if let cache = self.cache {
                file = try cache.makeTemporaryFile()
            } else {
                file = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-\(UUID().uuidString)")
            }
            currentFile = file
            return file
        }
        var handle: FileHandle? = nil
        let result = try await perform(url, accept: accept, etag: cached?.etag, limit: configuration.maxTarballBytes) {
            () throws(RegistryError) -> BodySink in
            try? handle?.close()
            let file = try makeFile()
            guard FileManager.default.createFile(atPath: file.path, contents: nil),
                let opened = FileHandle(forWritingAtPath: file.path)
            else {
                throw RegistryError(code: .fileSystem, url: file, problem: "cannot create download file")
            }
            handle = opened
            receiving?(file)
            return .file(opened)
        }
        try? handle?.close()
        if result.status == 304, let cache, let entry = cached {
            return (cache.bodyURL(for: url), Download(url: url, byteCount: entry.byteCount, fromCache: true), false)
        }
        guard result.status == 200, let file = currentFile else { throw RegistryError.status(result.status, url: url, credentialSent: configuration.credential(for: url) != nil) }
        let download = Download(url: url, byteCount: result.byteCount, fromCache: false)
        if cacheable, let cache {
            do {
                try cache.storeFile(url, moving: file, byteCount: result.byteCount, headers: result.headers)
                currentFile = nil
                return (cache.bodyURL(for: url), download, false)
            } catch {
                // Caching is best-effort: hand out the temporary file, or the body if it was already moved.
                if !FileManager.default.fileExists(atPath: file.path) {
                    currentFile = nil
                    return (cache.bodyURL(for: url), download, false)
                }
            }
        }
        currentFile = nil
        return (file, download, true)
    }

    /// One logical GET with retries: returns the first non-retryable response (any status), or throws after the
    /// last attempt. `sink` is called once per attempt (a retry starts a fresh body).
    private func perform(
        _ url: URL, accept: String, acceptsGzip: Bool = false, etag: String?, limit: Int,
        sink: () throws(RegistryError) -> BodySink
    ) async throws(RegistryError) -> TransferResult {
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw RegistryError(code: .cancelled, url: url, problem: "cancelled") }
            var headers: [(name: String, value: String)] = [("Accept", accept), ("User-Agent", configuration.userAgent)]
            if let credential = configuration.credential(for: url) {
                headers.append(("Authorization", credential.headerValue))
            }
            if acceptsGzip { headers.append(("Accept-Encoding", "gzip")) }
            if let etag { headers.append(("If-None-Match", etag)) }
            let request = OutgoingRequest(url: url, headers: headers)

            let bodySink = try sink()
            let host = HostGate.key(url)
            do { try await hosts.enter(host) } catch {
                throw RegistryError(code: .cancelled, url: url, problem: "cancelled while waiting for a connection")
            }
            await limiter.acquire()
            let outcome: Result<TransferResult, RegistryError>
            do { outcome = .success(try await transport.send(request, into: bodySink, limit: limit)) } catch {
                outcome = .failure(error)
            }
            await limiter.release()
            var pause: TimeInterval? = nil
            if case .success(let result) = outcome, result.status == 429 || result.status == 503 {
                // The host asked everyone to slow down: no new request to it starts before Retry-After (or the
                // backoff) passes, so a busy registry sees one wave of retries, not a storm.
                pause = Self.retryAfter(result.headers["retry-after"]).map { min($0, policy.maxRetryAfter) }
                    ?? policy.delay(afterAttempt: attempt)
            }
            await hosts.leave(host, pausingFor: pause)

            let retryDelay: TimeInterval
            switch outcome {
            case .success(let result):
                let error = RegistryError.status(result.status, url: url, credentialSent: configuration.credential(for: url) != nil)
                guard result.status != 200, result.status != 304, error.isTransient else { return result }
                guard attempt < policy.maxAttempts else { throw error.withAttempts(attempt) }
                retryDelay = Self.retryAfter(result.headers["retry-after"]).map { min($0, policy.maxRetryAfter) }
                    ?? policy.delay(afterAttempt: attempt)
            case .failure(let error):
                guard error.isTransient, attempt < policy.maxAttempts else { throw error.withAttempts(attempt) }
                retryDelay = policy.delay(afterAttempt: attempt)
            }
            do { try await Task.sleep(nanoseconds: UInt64(max(0, retryDelay) * 1e9)) } catch {
                throw RegistryError(code: .cancelled, url: url, problem: "cancelled while waiting to retry")
            }
        }
    }

    /// Seconds from a `Retry-After` value (delta-seconds or an HTTP date).
    static func retryAfter(_ value: String?) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = TimeInterval(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// Copies a file through a 1 MiB buffer (FileManager's copy may hold a whole large file in memory).
    private static func copy(_ source: URL, to destination: URL) throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
        }
        let output = try FileHandle(forWritingTo: destination)
        defer { try? output.close() }
        try replay(source, chunkSize: 1 << 20) { try output.write(contentsOf: $0) }
    }

    private static func replay(_ file: URL, chunkSize: Int, consume: (Data) throws -> Void) throws {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: file) } catch {
            throw RegistryError(code: .fileSystem, url: file, problem: "cannot read the downloaded body: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: max(1, chunkSize)) } catch {
                throw RegistryError(code: .fileSystem, url: file, problem: "cannot read the downloaded body: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { return }
            try consume(chunk)
        }
    }
}
