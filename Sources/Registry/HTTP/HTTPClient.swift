#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where a response body goes while it arrives.
enum BodySink {
    /// Collect in memory (JSON documents).
    case memory
    /// Append to an open file (tarballs): memory stays bounded.
    case file(FileHandle)
}

/// One GET request: the URL and header fields (besides `Host`, which the client adds).
struct OutgoingRequest {
    var url: URL
    var headers: [(name: String, value: String)]
}

/// The outcome of one HTTP exchange that produced a response (any status).
struct TransferResult {
    var status: Int
    /// Header fields with lowercased names.
    var headers: [String: String]
    /// The body, for ``BodySink/memory``.
    var body: Data
    /// Bytes received.
    var byteCount: Int
}

/// provcheck's own HTTP/1.1 client: plain TCP or TLS (OpenSSL, system or `cafile` trust store), HTTP and HTTPS
/// proxies (absolute-form requests and `CONNECT` tunnels, `NO_PROXY`), kept-alive connections pooled per endpoint,
/// redirects (credentials re-chosen for the new URL, never leaked to another host), idle and overall timeouts, and
/// task cancellation.
///
/// Each exchange runs on a worker thread with blocking reads into a 64 KiB buffer that go straight to the body sink,
/// so a download never holds more than one buffer in memory (TCP flow control slows a sender the consumer cannot
/// keep up with). Bodies must match their `Content-Length` or chunked framing; anything else is an error.
final class HTTPClient: @unchecked Sendable {
    private let configuration: RegistryConfiguration
    private let workers: BlockingWorkers
    private let pool: ConnectionPool
    private let tlsContext = Locked<Result<TLSContext, RegistryError>?>(nil)
    static let maximumRedirects = 10

    init(configuration: RegistryConfiguration) {
        self.configuration = configuration
        workers = BlockingWorkers(maximumThreads: max(1, configuration.maxConcurrentRequests))
        pool = ConnectionPool(maximumIdlePerEndpoint: max(1, configuration.maxConcurrentRequests))
    }

    /// Closes the idle connections and lets the worker threads end.
    func invalidate() {
        workers.stop()
        pool.closeAll()
    }

    /// Performs one GET. Any response (including 4xx/5xx) is returned; transport failures throw.
    /// - Parameter limit: the largest body accepted; a larger one (declared or received) stops the transfer with
    ///   ``RegistryError/Code/responseTooLarge``.
    /// - Throws: ``RegistryError`` (`.timeout`, `.connection`, `.truncatedBody`, `.fileSystem`, `.cancelled`, ...).
    func send(_ request: OutgoingRequest, into sink: BodySink, limit: Int) async throws(RegistryError) -> TransferResult {
        let cancellation = CancellationFlag()
        let url = request.url
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TransferResult, any Error>) in
                    let job = UncheckedBox((request, sink))
                    workers.submit {
                        let (request, sink) = job.value
                        continuation.resume(with: Result { () throws(RegistryError) -> TransferResult in
                            try self.perform(request, sink: sink, limit: limit, cancellation: cancellation)
                        })
                    }
                }
            } onCancel: {
                cancellation.cancel()
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(code: .connection, url: url, problem: "\(error)")
        }
    }

    // MARK: Blocking side (worker threads)

    private func perform(
        _ request: OutgoingRequest, sink: BodySink, limit: Int, cancellation: CancellationFlag
    ) throws(RegistryError) -> TransferResult {
        let deadline = monotonicNanoseconds() + UInt64(max(0.001, configuration.resourceTimeout) * 1e9)
        var url = request.url
        var headers = request.headers
        for _ in 0...Self.maximumRedirects {
            switch try exchange(url: url, headers: headers, sink: sink, limit: limit, deadline: deadline, cancellation: cancellation) {
            case .response(let result):
                return result
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL,
                    let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https"
                else {
                    throw RegistryError(code: .connection, url: url, problem: "redirect to an invalid location \"\(location.prefix(200))\"")
                }
                // Credentials follow npm's rules for the new URL: never leak a token to another host.
                headers.removeAll { $0.name.lowercased() == "authorization" }
                if let credential = configuration.credential(for: next) {
                    headers.append(("Authorization", credential.headerValue))
                }
                url = next
            }
        }
        throw RegistryError(code: .connection, url: request.url, problem: "more than \(Self.maximumRedirects) redirects")
    }

    private enum ExchangeOutcome {
        case response(TransferResult)
        case redirect(String)
    }

    /// One request/response on a pooled or new connection. A kept-alive connection the server had closed is
    /// replaced once, transparently (nothing was received on it).
    private func exchange(
        url: URL, headers: [(name: String, value: String)], sink: BodySink, limit: Int, deadline: UInt64,
        cancellation: CancellationFlag
    ) throws(RegistryError) -> ExchangeOutcome {
        let endpoint = try Endpoint(url: url, proxy: configuration.proxy)
        let head = try requestHead(url: url, endpoint: endpoint, headers: headers)
        var mayRetryStale = true
        while true {
            let reused = mayRetryStale ? pool.take(endpoint.key) : nil
            let connection: HTTP1Connection
            if let reused { connection = reused } else {
                connection = try connect(endpoint, url: url, deadline: deadline, cancellation: cancellation)
            }
            connection.stream.deadline = deadline
            connection.stream.cancellation = cancellation
            connection.stream.idleTimeout = idleTimeout
            let response: ResponseHead
            do throws(ResponseFailure) {
                do { try connection.send(head: head) } catch { throw ResponseFailure.stream(error) }
                response = try connection.readHead()
            } catch {
                if reused != nil, mayRetryStale, Self.isStaleConnectionFailure(error) {
                    mayRetryStale = false
                    continue
                }
                throw Self.map(error, url: url, status: nil, limit: limit)
            }
            let framing: BodyFraming
            do { framing = try HTTP1Connection.framing(of: response, isHEAD: false) } catch {
                throw Self.map(error, url: url, status: response.status, limit: limit)
            }
            if (300...399).contains(response.status), response.status != 304, let location = response.headers["location"] {
                // Drain a small redirect body to keep the connection; otherwise drop it.
                if case .length(let length) = framing, length <= 64 * 1024,
                    (try? connection.readBody(framing, limit: length, consume: { _ in })) != nil
                {
                    release(connection, response: response, framing: framing)
                }
                return .redirect(location)
            }
            var body = Data()
            var writeError: (any Error)? = nil
            let received: Int
            do {
                if case .length(let length) = framing, case .memory = sink, length <= limit { body.reserveCapacity(length) }
                received = try connection.readBody(framing, limit: limit) { chunk in
                    switch sink {
                    case .memory:
                        body.append(chunk.bindMemory(to: UInt8.self))
                    case .file(let handle):
                        do { try Self.write(chunk, to: handle.fileDescriptor) } catch {
                            writeError = error
                            throw error
                        }
                    }
                }
            } catch {
                if case .sink = error, let writeError {
                    throw RegistryError(
                        code: .fileSystem, url: url, problem: "cannot write the response body: \(writeError.localizedDescription)")
                }
                throw Self.map(error, url: url, status: response.status, limit: limit)
            }
            release(connection, response: response, framing: framing)
            return .response(TransferResult(status: response.status, headers: response.headers, body: body, byteCount: received))
        }
    }

    private var idleTimeout: UInt64 { UInt64(max(0.001, configuration.timeout) * 1e9) }

    /// Returns a connection to the pool when the exchange left it reusable.
    private func release(_ connection: HTTP1Connection, response: ResponseHead, framing: BodyFraming) {
        let connectionHeader = response.headers["connection"]?.lowercased() ?? ""
        let closes = connectionHeader.contains("close") || (response.isHTTP10 && !connectionHeader.contains("keep-alive"))
        let reusable = !closes && framing != .untilClose && !connection.hasUnreadBytes
            && !(response.headers["transfer-encoding"] != nil && response.headers["content-length"] != nil)
        connection.stream.cancellation = nil
        if reusable { pool.put(connection) }
    }

    private static func isStaleConnectionFailure(_ error: ResponseFailure) -> Bool {
        switch error {
        case .closedBeforeResponse(received: 0), .stream(.reset): true
        default: false
        }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [
                    NSLocalizedDescriptionKey: String(cString: strerror(errno)),
                ])
            }
            offset += written
        }
    }

    /// Opens a connection to `endpoint`: TCP, then a `CONNECT` tunnel through an HTTPS proxy, then TLS.
    private func connect(
        _ endpoint: Endpoint, url: URL, deadline: UInt64, cancellation: CancellationFlag
    ) throws(RegistryError) -> HTTP1Connection {
        let stream: NetworkStream
        do {
            stream = try NetworkStream.connect(
                host: endpoint.connectHost, port: endpoint.connectPort, timeout: configuration.timeout,
                deadline: deadline, cancellation: cancellation)
        } catch {
            throw Self.map(.stream(error), url: url, status: nil, limit: 0)
        }
        let connection = HTTP1Connection(stream: stream, key: endpoint.key)
        if endpoint.tunnels {
            var head = "CONNECT \(endpoint.authority) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
            if let authorization = endpoint.proxyAuthorization { head += "Proxy-Authorization: \(authorization)\r\n" }
            head += "User-Agent: \(configuration.userAgent)\r\n\r\n"
            let response: ResponseHead
            do throws(ResponseFailure) {
                do { try connection.send(head: head) } catch { throw ResponseFailure.stream(error) }
                response = try connection.readHead()
            } catch {
                throw Self.map(error, url: url, status: nil, limit: 0, via: "the proxy")
            }
            guard (200...299).contains(response.status), !connection.hasUnreadBytes else {
                throw RegistryError(
                    code: .connection, url: url, status: response.status,
                    problem: "the proxy \(endpoint.connectHost):\(endpoint.connectPort) refused the tunnel (CONNECT answered"
                        + " HTTP \(response.status))")
            }
        }
        if endpoint.usesTLS {
            let context = try tls()
            do { try stream.startTLS(context: context, serverName: endpoint.host) } catch {
                throw Self.map(.stream(error), url: url, status: nil, limit: 0)
            }
        }
        return connection
    }

    private func tls() throws(RegistryError) -> TLSContext {
        let result = tlsContext.withLock { cached -> Result<TLSContext, RegistryError> in
            if let cached { return cached }
            let created = Result { () throws(RegistryError) -> TLSContext in
                try TLSContext(
                    caFile: configuration.caFile, extraCAFile: configuration.extraCAFile,
                    verifyPeer: configuration.strictSSL)
            }
            cached = created
            return created
        }
        return try result.get()
    }

    /// The request head: request line (origin-form, or absolute-form through an HTTP proxy), `Host`, fields.
    private func requestHead(
        url: URL, endpoint: Endpoint, headers: [(name: String, value: String)]
    ) throws(RegistryError) -> String {
        var head = "GET \(endpoint.requestTarget(for: url)) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
        if !endpoint.tunnels, let authorization = endpoint.proxyAuthorization {
            head += "Proxy-Authorization: \(authorization)\r\n"
        }
        for (name, value) in headers {
            guard !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                !value.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                throw RegistryError(code: .invalidConfiguration, url: url, problem: "header \"\(name)\" contains a line break")
            }
            head += "\(name): \(value)\r\n"
        }
        return head + "\r\n"
    }

    // MARK: Errors

    private static func map(
        _ failure: ResponseFailure, url: URL, status: Int?, limit: Int, via: String? = nil
    ) -> RegistryError {
        let from = via.map { " from \($0)" } ?? ""
        switch failure {
        case .stream(.cancelled):
            return RegistryError(code: .cancelled, url: url, problem: "cancelled")
        case .stream(.timedOut(let detail)):
            return RegistryError(code: .timeout, url: url, status: status, problem: detail)
        case .stream(.resolve(let detail)), .stream(.connect(let detail)):
            return RegistryError(code: .connection, url: url, problem: detail)
        case .stream(.reset(let detail)):
            return RegistryError(code: .connection, url: url, status: status, problem: "\(detail)\(from) before a complete response")
        case .stream(.tls(let detail)):
            return RegistryError(code: .connection, url: url, problem: detail)
        case .closedBeforeResponse(let received):
            let partial = received > 0 ? " after \(received) bytes of the response head" : ""
            return RegistryError(
                code: .connection, url: url, problem: "connection closed\(from)\(partial) before a complete response")
        case .malformedHead(let detail):
            return RegistryError(code: .connection, url: url, status: status, problem: "bad response\(from): \(detail)")
        case .truncatedBody(let received, let expected, let detail):
            let of = expected.map { " of \($0)" } ?? ""
            return RegistryError(
                code: .truncatedBody, url: url, status: status,
                problem: "\(detail) after \(received)\(of) body bytes; the response was discarded")
        case .tooLarge:
            return RegistryError(
                code: .responseTooLarge, url: url, status: status,
                problem: "response body larger than the limit of \(limit) bytes; the transfer was stopped")
        case .sink(let error):
            return RegistryError(code: .fileSystem, url: url, problem: "cannot store the response body: \(error)")
        }
    }
}

/// Where a URL's requests go: the origin, or a proxy (absolute-form for `http://`, a `CONNECT` tunnel for `https://`).
struct Endpoint {
    let scheme: String
    let host: String
    let port: Int
    let usesTLS: Bool
    /// `host[:port]` as sent in `Host` (brackets around IPv6 literals; default ports omitted).
    let authority: String
    /// Where the TCP connection goes (the proxy when there is one).
    let connectHost: String
    let connectPort: Int
    /// Whether a proxy is used at all.
    let proxied: Bool
    /// Whether the connection is a `CONNECT` tunnel (HTTPS through a proxy).
    var tunnels: Bool { proxied && usesTLS }
    /// `Basic ...` for a proxy URL with user information.
    let proxyAuthorization: String?
    /// The pool key.
    let key: String

    init(url: URL, proxy settings: ProxySettings) throws(RegistryError) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw RegistryError(code: .invalidConfiguration, url: url, problem: "only http:// and https:// URLs can be fetched")
        }
        guard var host = url.host, !host.isEmpty else {
            throw RegistryError(code: .invalidConfiguration, url: url, problem: "the URL has no host")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.scheme = scheme
        self.host = host
        usesTLS = scheme == "https"
        let defaultPort = usesTLS ? 443 : 80
        port = url.port ?? defaultPort
        let bracketed = host.contains(":") ? "[\(host)]" : host
        authority = port == defaultPort ? bracketed : "\(bracketed):\(port)"

        if let (proxyText, parsed) = settings.applicableProxy(for: url) {
            guard let proxyURL = parsed, var proxyHost = proxyURL.host else {
                throw RegistryError(code: .invalidConfiguration, url: url, problem: "invalid proxy URL \"\(proxyText)\"")
            }
            guard proxyURL.scheme?.lowercased() == "http" else {
                throw RegistryError(
                    code: .invalidConfiguration, url: url,
                    problem: "proxy \"\(proxyText)\": only http:// proxies are supported")
            }
            if proxyHost.hasPrefix("["), proxyHost.hasSuffix("]") { proxyHost = String(proxyHost.dropFirst().dropLast()) }
            connectHost = proxyHost
            connectPort = proxyURL.port ?? 80
            proxied = true
            if let user = proxyURL.user {
                let password = proxyURL.password ?? ""
                let decoded = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
                proxyAuthorization = "Basic " + Data(decoded.utf8).base64EncodedString()
            } else {
                proxyAuthorization = nil
            }
        } else {
            connectHost = host
            connectPort = port
            proxied = false
            proxyAuthorization = nil
        }
        key = "\(scheme)://\(authority)" + (proxied ? " via \(connectHost):\(connectPort)" : "")
    }

    /// The request target: origin-form (`/path?query`), or absolute-form through an HTTP (not tunnelling) proxy.
    func requestTarget(for url: URL) -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: true)
        var path = components?.percentEncodedPath ?? url.path
        if path.isEmpty { path = "/" }
        if let query = components?.percentEncodedQuery { path += "?" + query }
        return proxied && !usesTLS ? "\(scheme)://\(authority)\(path)" : path
    }
}

/// Idle kept-alive connections per endpoint (most recently used first).
final class ConnectionPool: @unchecked Sendable {
    private let idle = Locked<[String: [HTTP1Connection]]>([:])
    private let maximumIdlePerEndpoint: Int

    init(maximumIdlePerEndpoint: Int) { self.maximumIdlePerEndpoint = maximumIdlePerEndpoint }

    /// An idle connection to `key` that still looks usable, or `nil`.
    func take(_ key: String) -> HTTP1Connection? {
        while let connection = idle.withLock({ $0[key]?.popLast() }) {
            if connection.stream.looksReusable { return connection }
        }
        return nil
    }

    /// Keeps `connection` for reuse (closed when the pool is full).
    func put(_ connection: HTTP1Connection) {
        idle.withLock { idle in
            if idle[connection.key, default: []].count < maximumIdlePerEndpoint {
                idle[connection.key, default: []].append(connection)
            }
        }
    }

    /// Closes every idle connection.
    func closeAll() { idle.withLock { $0.removeAll() } }
}

/// A small pool of threads for blocking socket work, started on demand up to a maximum and ending after 30 s idle.
/// Keeps blocking I/O off Swift's cooperative thread pool.
final class BlockingWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var nextJob = 0
    private var threads = 0
    private var idleThreads = 0
    private var stopped = false
    private let maximumThreads: Int

    init(maximumThreads: Int) { self.maximumThreads = maximumThreads }

    /// Runs `job` on a worker thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // More queued jobs than idle threads (some idle ones may already be signalled for earlier jobs): add a thread.
        if jobs.count - nextJob > idleThreads, threads < maximumThreads {
            threads += 1
            let thread = Thread { [self] in work() }
            thread.name = "provcheck.http"
            thread.stackSize = 1 << 20
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads end once the queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        blockSIGPIPE()
        condition.lock()
        while true {
            while nextJob == jobs.count {
                if stopped { break }
                idleThreads += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: 30))
                idleThreads -= 1
                if !signalled, nextJob == jobs.count { break }
            }
            guard nextJob < jobs.count else {
                threads -= 1
                condition.unlock()
                return
            }
            let job = jobs[nextJob]
            nextJob += 1
            if nextJob == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                nextJob = 0
            }
            condition.unlock()
            job()
            condition.lock()
        }
    }
}

/// Blocks SIGPIPE on the calling thread: a write to a connection the peer has closed then fails with EPIPE instead of
/// killing the process. OpenSSL writes TLS records with plain `send`/`write` (no `MSG_NOSIGNAL`), and all socket I/O
/// of the client happens on its worker threads, so the process's signal disposition is left alone.
package func blockSIGPIPE() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
}

/// Carries a non-Sendable value to a worker thread that is its only user from then on.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A value guarded by a lock (shared with the loopback registry of this package).
package final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    /// Wraps `value`.
    package init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Bounds how many requests are in flight (FIFO).
actor ConcurrencyLimiter {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = max(1, limit) }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
