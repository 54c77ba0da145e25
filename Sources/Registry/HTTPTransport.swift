import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a response body goes while it arrives.
enum BodySink {
    /// Collect in memory (JSON documents).
    case memory
    /// Append to an open file (tarballs): memory stays bounded.
    case file(FileHandle)
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

/// URLSession (libcurl on Linux) with a delegate that streams bodies to a sink, maps failures to
/// ``RegistryError`` and checks `Content-Length`. Keeps connections alive; one session for direct
/// connections and one for the configured proxy.
final class HTTPTransport: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private final class Transfer: @unchecked Sendable {
        let url: URL
        let sink: BodySink
        let limit: Int
        var continuation: CheckedContinuation<TransferResult, any Error>?
        var response: HTTPURLResponse?
        var body = Data()
        var byteCount = 0
        var sinkError: (any Error)?
        var exceededLimit = false

        init(url: URL, sink: BodySink, limit: Int) {
            self.url = url
            self.sink = sink
            self.limit = limit
        }
    }

    private let transfers = Locked<[Int: Transfer]>([:])
    private let configuration: RegistryConfiguration
    private var directSession: URLSession!
    private var proxiedSession: URLSession?

    init(configuration: RegistryConfiguration) {
        self.configuration = configuration
        super.init()
        #if !canImport(Darwin)
        ProxyEnvironment.export(configuration.proxy)
        #endif
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "provcheck.registry.http"
        directSession = URLSession(configuration: makeSessionConfiguration(proxy: nil), delegate: self, delegateQueue: queue)
        if configuration.proxy.httpProxy != nil || configuration.proxy.httpsProxy != nil {
            proxiedSession = URLSession(
                configuration: makeSessionConfiguration(proxy: configuration.proxy), delegate: self, delegateQueue: queue)
        }
    }

    private func makeSessionConfiguration(proxy: ProxySettings?) -> URLSessionConfiguration {
        let session = URLSessionConfiguration.ephemeral
        session.urlCache = nil
        session.requestCachePolicy = .reloadIgnoringLocalCacheData
        session.httpCookieStorage = nil
        session.httpShouldSetCookies = false
        session.httpMaximumConnectionsPerHost = max(1, configuration.maxConcurrentRequests)
        session.timeoutIntervalForRequest = configuration.timeout
        session.timeoutIntervalForResource = configuration.resourceTimeout
        if let proxy {
            var dictionary: [AnyHashable: Any] = [:]
            func add(_ text: String?, prefix: String) {
                guard let text else { return }
                let normalized = text.contains("://") ? text : "http://" + text
                guard let components = URLComponents(string: normalized), let host = components.host else { return }
                dictionary["\(prefix)Enable"] = true
                dictionary["\(prefix)Proxy"] = host
                dictionary["\(prefix)Port"] = components.port ?? 80
            }
            add(proxy.httpProxy, prefix: "HTTP")
            add(proxy.httpsProxy, prefix: "HTTPS")
            session.connectionProxyDictionary = dictionary
        } else {
            // An empty dictionary: no proxy from the configuration (libcurl may still read its own environment).
            session.connectionProxyDictionary = [:]
        }
        return session
    }

    /// Cancels everything and releases the sessions.
    func invalidate() {
        directSession.invalidateAndCancel()
        proxiedSession?.invalidateAndCancel()
    }

    /// Performs one request. Any response (including 4xx/5xx) is returned; transport failures throw.
    /// - Throws: ``RegistryError`` (`.timeout`, `.connection`, `.truncatedBody`, `.fileSystem`, `.cancelled`).
    /// - Parameter limit: the largest body accepted; a larger one (declared or received) stops the transfer with
    ///   ``RegistryError/Code/responseTooLarge``.
    func send(_ request: URLRequest, into sink: BodySink, limit: Int) async throws(RegistryError) -> TransferResult {
        let url = request.url!
        let session = configuration.proxy.proxy(for: url) != nil ? (proxiedSession ?? directSession!) : directSession!
        let task = session.dataTask(with: request)
        let transfer = Transfer(url: url, sink: sink, limit: limit)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TransferResult, any Error>) in
                    transfer.continuation = continuation
                    transfers.withLock { $0[task.taskIdentifier] = transfer }
                    task.resume()
                }
            } onCancel: {
                task.cancel()
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(code: .connection, url: url, problem: "\(error)")
        }
    }

    // MARK: URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let transfer = transfers.withLock({ $0[dataTask.taskIdentifier] }) {
            transfer.response = response as? HTTPURLResponse
            if response.expectedContentLength > Int64(transfer.limit) {
                transfer.exceededLimit = true
                completionHandler(.cancel)
                dataTask.cancel()
                return
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let transfer = transfers.withLock({ $0[dataTask.taskIdentifier] }), transfer.sinkError == nil,
            !transfer.exceededLimit
        else { return }
        transfer.byteCount += data.count
        if transfer.byteCount > transfer.limit {
            transfer.exceededLimit = true
            dataTask.cancel()
            return
        }
        switch transfer.sink {
        case .memory:
            transfer.body.append(data)
        case .file(let handle):
            do { try handle.write(contentsOf: data) } catch {
                transfer.sinkError = error
                dataTask.cancel()
            }
        }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        // Credentials follow npm's rules for the new URL: never leak a token to another host.
        var redirected = request
        redirected.setValue(nil, forHTTPHeaderField: "Authorization")
        if let url = request.url, let credential = configuration.credential(for: url) {
            redirected.setValue(credential.headerValue, forHTTPHeaderField: "Authorization")
        }
        completionHandler(redirected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let transfer = transfers.withLock({ $0.removeValue(forKey: task.taskIdentifier) }),
            let continuation = transfer.continuation
        else { return }
        transfer.continuation = nil
        continuation.resume(with: Self.outcome(of: transfer, error: error))
    }

    private static func outcome(of transfer: Transfer, error: (any Error)?) -> Result<TransferResult, any Error> {
        let url = transfer.url
        if transfer.exceededLimit {
            return .failure(RegistryError(
                code: .responseTooLarge, url: url, status: transfer.response?.statusCode,
                problem: "response body larger than the limit of \(transfer.limit) bytes; the transfer was stopped"))
        }
        if let sinkError = transfer.sinkError {
            return .failure(RegistryError(code: .fileSystem, url: url, problem: "cannot write the response body: \(sinkError.localizedDescription)"))
        }
        if let error {
            return .failure(mapTransportError(error, url: url, received: transfer.byteCount, response: transfer.response))
        }
        guard let response = transfer.response else {
            return .failure(RegistryError(code: .connection, url: url, problem: "no HTTP response"))
        }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        let encoded = headers["content-encoding"].map { $0.lowercased() != "identity" } ?? false
        if !encoded, response.statusCode != 304, let declared = headers["content-length"].flatMap(Int.init),
            declared != transfer.byteCount
        {
            return .failure(RegistryError(
                code: .truncatedBody, url: url, status: response.statusCode,
                problem: "body has \(transfer.byteCount) bytes but Content-Length says \(declared); the response was discarded"))
        }
        return .success(TransferResult(status: response.statusCode, headers: headers, body: transfer.body, byteCount: transfer.byteCount))
    }

    static func mapTransportError(_ error: any Error, url: URL, received: Int, response: HTTPURLResponse?) -> RegistryError {
        let nsError = error as NSError
        guard nsError.domain == NSURLErrorDomain else {
            return RegistryError(code: .connection, url: url, problem: nsError.localizedDescription)
        }
        let detail = nsError.localizedDescription
        // A failure after the headers arrived, with fewer body bytes than declared: a truncated body.
        if let response, nsError.code != NSURLErrorTimedOut, nsError.code != NSURLErrorCancelled,
            response.expectedContentLength >= 0, Int64(received) != response.expectedContentLength
        {
            return RegistryError(
                code: .truncatedBody, url: url, status: response.statusCode,
                problem: "connection closed after \(received) of \(response.expectedContentLength) body bytes"
                    + " (\(detail)); the response was discarded")
        }
        switch nsError.code {
        case NSURLErrorTimedOut:
            return RegistryError(code: .timeout, url: url, problem: "timed out (no data within the timeout): \(detail)")
        case NSURLErrorCancelled:
            return RegistryError(code: .cancelled, url: url, problem: "cancelled")
        case NSURLErrorNetworkConnectionLost where response != nil:
            let declared = response?.expectedContentLength ?? -1
            let expected = declared >= 0 ? " of \(declared)" : ""
            return RegistryError(
                code: .truncatedBody, url: url, status: response?.statusCode,
                problem: "connection closed after \(received)\(expected) body bytes; the response was discarded")
        case NSURLErrorNetworkConnectionLost:
            return RegistryError(code: .connection, url: url, problem: "connection lost or reset before a response: \(detail)")
        case NSURLErrorCannotConnectToHost:
            return RegistryError(code: .connection, url: url, problem: "cannot connect (refused): \(detail)")
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed:
            return RegistryError(code: .connection, url: url, problem: "cannot resolve the host name: \(detail)")
        case NSURLErrorNotConnectedToInternet:
            return RegistryError(code: .connection, url: url, problem: "no network: \(detail)")
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
            NSURLErrorServerCertificateNotYetValid, NSURLErrorServerCertificateHasUnknownRoot:
            return RegistryError(code: .connection, url: url, problem: "TLS failure: \(detail)")
        case NSURLErrorBadServerResponse, NSURLErrorCannotParseResponse:
            if response != nil {
                return RegistryError(
                    code: .truncatedBody, url: url, status: response?.statusCode,
                    problem: "malformed or incomplete body after \(received) bytes (\(detail)); the response was discarded")
            }
            return RegistryError(code: .connection, url: url, problem: "bad server response: \(detail)")
        default:
            return RegistryError(code: .connection, url: url, problem: "\(detail) (NSURLError \(nsError.code))")
        }
    }
}

/// URLSession on Linux runs on libcurl and ignores `connectionProxyDictionary` (swift-corelibs-foundation leaves
/// proxy options unset), so libcurl picks the proxy from the process environment (`https_proxy`/`HTTPS_PROXY`,
/// `http_proxy`, `no_proxy`/`NO_PROXY`) at each connection. To make a configured proxy (from `.npmrc` or
/// ``ProxySettings``) take effect there, the client exports it to those variables once, before its first request.
enum ProxyEnvironment {
    private static let lock = NSLock()

    static func export(_ proxy: ProxySettings) {
        lock.lock()
        defer { lock.unlock() }
        // Set no_proxy first so a newly exported proxy never applies to hosts meant to bypass it.
        for (name, value) in [("no_proxy", proxy.noProxy), ("https_proxy", proxy.httpsProxy), ("http_proxy", proxy.httpProxy)] {
            guard let value else { continue }
            if let current = getenv(name), String(cString: current) == value { continue }
            setenv(name, value, 1)
        }
    }
}

/// A value guarded by a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
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
