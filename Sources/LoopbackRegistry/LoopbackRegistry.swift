#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL
import Foundation
import Registry

/// A real HTTP/1.1 npm registry on `127.0.0.1`, for tests and for pointing `npm` at fixtures.
///
/// It listens on a free port (or the one given), serves a ``RegistryContent`` that can be changed between
/// requests, applies injected ``Fault``s by path pattern, and records every request (for retry counts and
/// auth-header checks). One thread accepts; each connection gets its own thread and may be kept alive.
///
/// ```swift
/// let registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
/// defer { registry.stop() }
/// registry.inject(.status(500), on: "/abbrev", times: 2)   // two 500s, then normal answers
/// let url = registry.baseURL                                 // http://127.0.0.1:PORT/
/// #expect(registry.requestCount(matching: "/abbrev") == 3)
/// ```
public final class LoopbackRegistry: Sendable {
    /// The TCP port it listens on.
    public let port: UInt16
    /// `http://127.0.0.1:<port>/`.
    public let baseURL: URL

    /// The serving machinery; its threads reference it (not this façade), so dropping the last reference to the
    /// registry stops it.
    private let core: ServerCore
    private var state: Locked<ServerState> { core.state }

    /// Starts serving `content` on `127.0.0.1:port` (`0` = a free port chosen by the kernel), over HTTPS when
    /// `tls` is given (``baseURL`` is then `https://127.0.0.1:<port>/`; the certificate must name that IP address).
    /// - Throws: ``LoopbackRegistryError`` when the socket cannot be created, bound or listened on, or the TLS
    ///   certificate or key cannot be loaded.
    public init(content: RegistryContent = RegistryContent(), port: UInt16 = 0, tls: LoopbackTLS? = nil) throws {
        let serverTLS = try tls.map { try ServerTLS($0) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackRegistryError.socket(call: "socket", errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw LoopbackRegistryError.socket(call: "bind 127.0.0.1:\(port)", errno: code)
        }
        guard listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            throw LoopbackRegistryError.socket(call: "listen", errno: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.baseURL = URL(string: "\(tls == nil ? "http" : "https")://127.0.0.1:\(self.port)/")!
        self.core = ServerCore(listener: fd, baseURL: baseURL, content: content, tls: serverTLS)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "loopback-registry-accept"
        thread.start()
    }

    /// Stops the server if ``stop()`` was not called.
    deinit { core.stop() }

    /// Stops accepting, closes every open connection and waits for the accept loop to end. Idempotent.
    public func stop() {
        core.stop()
    }

    // MARK: Content

    /// The content served; setting it affects the next request.
    public var content: RegistryContent {
        get { state.withLock { $0.content } }
        set {
            state.withLock {
                $0.content = newValue
                $0.contentChanged()
            }
        }
    }

    /// Changes the served content in place (atomically with respect to requests).
    public func update(_ body: (inout RegistryContent) throws -> Void) rethrows {
        try state.withLock {
            $0.contentChanged()
            try body(&$0.content)
        }
    }

    /// Changes the served content in place and returns what `body` returns (for example a new staged item).
    public func updateReturning<Result>(_ body: (inout RegistryContent) throws -> Result) rethrows -> Result {
        try state.withLock {
            $0.contentChanged()
            return try body(&$0.content)
        }
    }

    // MARK: Network conditions

    /// The delay and bandwidth imitated for every connection (``NetworkShaping/none`` by default); applies to
    /// connections accepted and responses sent after the change.
    public var shaping: NetworkShaping {
        get { state.withLock { $0.shaping } }
        set { state.withLock { $0.shaping = newValue } }
    }

    /// Bytes, requests and connections served so far. Also served as JSON at `GET /-/loopback/stats`
    /// (`{"bytesSent":…,"requests":…,"connections":…}`; not delayed and not counted), so a script can measure
    /// what each client transferred.
    public var statistics: TrafficStatistics { state.withLock { $0.statistics } }

    // MARK: Faults

    /// Applies `fault` to the next `times` requests whose decoded path matches `pattern` (every one when `nil`).
    /// Rules are checked in the order added; the first matching rule with requests left is applied.
    public func inject(_ fault: Fault, on pattern: PathPattern, times: Int? = nil) {
        state.withLock { $0.rules.append(FaultRule(pattern: pattern, fault: fault, remaining: times)) }
    }

    /// Removes every fault rule.
    public func removeFaults() {
        state.withLock { $0.rules.removeAll() }
    }

    /// The fault rules still active (with their remaining counts).
    public var faultRules: [FaultRule] { state.withLock { $0.rules } }

    // MARK: Observation

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// How many requests had a decoded path matching `pattern`.
    public func requestCount(matching pattern: PathPattern) -> Int {
        state.withLock { $0.requests.filter { pattern.matches($0.path) }.count }
    }

    /// The `Authorization` headers seen, in order (requests without one are skipped).
    public var authorizationHeaders: [String] { state.withLock { $0.requests.compactMap(\.authorization) } }

    /// How many TCP connections were accepted (fewer than requests when clients keep connections alive).
    public var connectionCount: Int { state.withLock { $0.connectionCount } }

    /// Forgets recorded requests (fault rules and content stay).
    public func clearRequests() {
        state.withLock { $0.requests.removeAll() }
    }
}

/// Mutable server state, shared by the façade and the serving threads.
struct ServerState {
    var content: RegistryContent
    var rules: [FaultRule] = []
    var requests: [RecordedRequest] = []
    var openConnections: Set<Int32> = []
    var connectionCount = 0
    var requestSequence = 0
    var stopped = false
    var shaping = NetworkShaping.none
    var bytesSent = 0
    /// Encoded packument answers (full and abbreviated) by cache key; emptied whenever the content changes.
    var encodedPackuments: [String: HTTPResponse] = [:]
    /// Counts content changes, so an answer made from an older content is not cached.
    var contentGeneration = 0

    mutating func contentChanged() {
        encodedPackuments.removeAll()
        contentGeneration += 1
    }

    var statistics: TrafficStatistics {
        TrafficStatistics(bytesSent: bytesSent, requests: requestSequence, connections: connectionCount)
    }
}

/// The listening socket, accept loop and per-connection threads.
final class ServerCore: Sendable {
    let state: Locked<ServerState>
    private let listener: Int32
    private let baseURL: URL
    private let acceptLoopDone = DispatchSemaphore(value: 0)
    private let tls: ServerTLS?

    init(listener: Int32, baseURL: URL, content: RegistryContent, tls: ServerTLS?) {
        self.tls = tls
        self.listener = listener
        self.baseURL = baseURL
        self.state = Locked(ServerState(content: content))
    }

    func stop() {
        let wasStopped = state.withLock { s -> Bool in
            let was = s.stopped
            s.stopped = true
            // Shut down (not close) connection sockets: their threads close them, so no fd is closed twice.
            for fd in s.openConnections { shutdown(fd, Int32(SHUT_RDWR)) }
            return was
        }
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptLoopDone.wait()
        close(listener)
    }


    func acceptLoop() {
        defer { acceptLoopDone.signal() }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                if state.withLock({ $0.stopped }) { return }
                if errno == EMFILE || errno == ENFILE {
                    usleep(10_000)
                    continue
                }
                return
            }
            let admitted = state.withLock { s -> Int? in
                if s.stopped { return nil }
                s.openConnections.insert(fd)
                s.connectionCount += 1
                return s.connectionCount
            }
            guard let number = admitted else {
                close(fd)
                return
            }
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [self] in self.serveConnection(fd, number: number) }
            thread.name = "loopback-registry-conn-\(number)"
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    private func serveConnection(_ fd: Int32, number: Int) {
        blockSIGPIPE()  // TLS writes to a client that went away must fail, not kill the process
        let shaping = state.withLock { $0.shaping }
        // The TCP handshake's round trip.
        if shaping.responseDelay > 0 { Thread.sleep(forTimeInterval: shaping.responseDelay) }
        var connection = Connection(fd: fd)
        connection.pacer = ConnectionPacer(bytesPerSecond: shaping.bytesPerSecondPerConnection)
        defer {
            if let session = connection.tls { SSL_free(session) }
            state.withLock { _ = $0.openConnections.remove(fd) }
            close(fd)
        }
        if let tls {
            guard let session = tls.accept(fd) else { return }
            connection.tls = session
        }
        while let request = connection.readRequest() {
            if request.method == "CONNECT" {
                tunnel(request, on: connection, number: number)
                return
            }
            if !handle(request, on: &connection, number: number) { return }
        }
    }

    /// Acts as an HTTPS proxy for one `CONNECT 127.0.0.1:PORT` (loopback targets only): answers 200 and copies bytes
    /// both ways until either side closes.
    private func tunnel(_ request: HTTPRequest, on connection: Connection, number: Int) {
        let sequence = arrive(request, fault: nil, connection: number)
        let parts = request.target.split(separator: ":")
        guard parts.count == 2, parts[0] == "127.0.0.1" || parts[0] == "localhost", let port = UInt16(parts[1]) else {
            answered(sequence, status: 403)
            _ = connection.send(Data("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = upstream >= 0 && withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard connected, state.withLock({ s -> Bool in
            guard !s.stopped else { return false }
            s.openConnections.insert(upstream)
            return true
        }) else {
            if upstream >= 0 { close(upstream) }
            answered(sequence, status: 502)
            _ = connection.send(Data("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        defer {
            state.withLock { _ = $0.openConnections.remove(upstream) }
            close(upstream)
        }
        answered(sequence, status: 200)
        guard connection.send(Data("HTTP/1.1 200 Connection established\r\n\r\n".utf8)) else { return }
        let client = connection.fd
        let done = DispatchSemaphore(value: 0)
        let reverse = Thread {
            Self.copy(from: upstream, to: client)
            shutdown(client, Int32(SHUT_WR))
            done.signal()
        }
        reverse.stackSize = 256 * 1024
        reverse.start()
        Self.copy(from: client, to: upstream)
        shutdown(upstream, Int32(SHUT_WR))
        done.wait()
    }

    private static func copy(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            var offset = 0
            while offset < count {
                let sent = buffer.withUnsafeBytes {
                    Glibc.send(destination, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL))
                }
                if sent < 0, errno == EINTR { continue }
                guard sent > 0 else { return }
                offset += sent
            }
        }
    }

    /// Answers one request; returns whether the connection stays open.
    private func handle(_ request: HTTPRequest, on connection: inout Connection, number: Int) -> Bool {
        let path = request.path
        if path == "/-/loopback/stats" {
            let stats = state.withLock { $0.statistics }
            let body = JSONValue.object([
                "bytesSent": .int(stats.bytesSent), "requests": .int(stats.requests), "connections": .int(stats.connections),
            ]).encoded()
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            return connection.send(Data(head.utf8) + body)
        }
        let cacheKey = Router.packumentCacheKey(request)
        let (content, generation, fault, cached, shaping) = state.withLock {
            s -> (RegistryContent, Int, Fault?, HTTPResponse?, NetworkShaping) in
            var chosen: Fault? = nil
            if let index = s.rules.firstIndex(where: { ($0.remaining ?? 1) > 0 && $0.pattern.matches(path) }) {
                chosen = s.rules[index].fault
                if let left = s.rules[index].remaining { s.rules[index].remaining = left - 1 }
            }
            // A token needed for every path is checked by the router, so stored answers are not used then.
            let storable = s.content.requiredToken == nil || s.content.tokenScope == .stagingEndpoints
            return (s.content, s.contentGeneration, chosen, storable ? cacheKey.flatMap { s.encodedPackuments[$0] } : nil,
                    s.shaping)
        }
        let sequence = arrive(request, fault: fault, connection: number)
        var response: HTTPResponse
        if let cached {
            response = Router.answer(request, withTagged: cached)
        } else {
            let (answer, tagged) = Router.respondKeepingTagged(to: request, content: content, baseURL: baseURL.absoluteString)
            response = answer
            if let cacheKey, let tagged {
                // Stored only while the content is the one the answer was made from.
                state.withLock { s in
                    if s.contentGeneration == generation {
                        s.encodedPackuments[cacheKey] = tagged.response
                    }
                }
            }
        }
        if shaping.responseDelay > 0 { Thread.sleep(forTimeInterval: shaping.responseDelay) }
        let wantsClose =
            request.headers["connection"]?.lowercased() == "close"
            || (request.version == "HTTP/1.0" && request.headers["connection"]?.lowercased() != "keep-alive")
        var keepAlive = !wantsClose

        switch fault {
        case .delay(let seconds):
            Thread.sleep(forTimeInterval: seconds)
        case .status(let code, let headers, let body):
            response = HTTPResponse(
                status: code, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, body: body)
            response.file = nil
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                response.headers.append(("Content-Type", "application/json"))
            }
        case .replacedBody(let data):
            response.body = data
            response.file = nil
        default:
            break
        }
        let noBody = request.method == "HEAD" || response.status == 304
        let source: BodySource = response.file.map { .file($0.url, $0.size) } ?? .data(response.body)
        var declaredLength = response.status == 304 ? 0 : source.size
        var sendLimit = noBody ? 0 : source.size
        var flipOffset: Int? = nil

        switch fault {
        case .connectionReset:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            return false
        case .closeWithoutResponse:
            return false
        case .truncatedBody(let keep):
            sendLimit = min(sendLimit, max(0, keep ?? sendLimit / 2))
            keepAlive = false
        case .wrongBytes where sendLimit > 0:
            flipOffset = sendLimit / 2
        case .wrongContentLength(let delta):
            declaredLength = max(0, declaredLength + delta)
            keepAlive = false
        default:
            break
        }

        var chunkSize = 64 * 1024
        var interval = 0.0
        var chunked = false
        if case .slowBody(let size, let wait) = fault {
            chunkSize = max(1, size)
            interval = wait
        }
        if case .chunked(let size) = fault {
            chunkSize = max(1, size)
            chunked = true
        }

        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: \(declaredLength)\r\n"
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        answered(sequence, status: response.status)
        guard send(Data(head.utf8), on: &connection) else { return false }

        var offset = 0
        let sent = source.read(upTo: sendLimit, chunkSize: chunkSize) { chunk in
            var chunk = chunk
            if let flip = flipOffset, flip >= offset, flip < offset + chunk.count {
                chunk[chunk.startIndex + (flip - offset)] ^= 0x01
            }
            offset += chunk.count
            if interval > 0 { Thread.sleep(forTimeInterval: interval) }
            guard chunked else { return send(chunk, on: &connection) }
            var framed = Data((String(chunk.count, radix: 16) + "\r\n").utf8)
            framed.append(chunk)
            framed.append(Data("\r\n".utf8))
            return send(framed, on: &connection)
        }
        guard sent else { return false }
        if chunked, !noBody, !send(Data("0\r\n\r\n".utf8), on: &connection) { return false }
        return keepAlive
    }

    /// Sends, counts and paces (in pieces of 16 KiB when a bandwidth is imitated, so pacing is smooth).
    private func send(_ data: Data, on connection: inout Connection) -> Bool {
        let piece = connection.pacer.bytesPerSecond == nil ? max(1, data.count) : 16 * 1024
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = min(data.endIndex, offset + piece)
            // Counted as handed to the socket (before the client can have read them).
            state.withLock { $0.bytesSent += end - offset }
            guard connection.send(data[offset..<end]) else { return false }
            connection.pacer.wrote(end - offset)
            offset = end
        }
        return true
    }

    /// Records a request as it arrives (status 0 until answered), so in-flight requests are counted too.
    private func arrive(_ request: HTTPRequest, fault: Fault?, connection: Int) -> Int {
        state.withLock { s -> Int in
            s.requestSequence += 1
            s.requests.append(RecordedRequest(
                method: request.method, target: request.target, path: request.path, headers: request.headers,
                status: 0, fault: fault, connection: connection, sequence: s.requestSequence))
            return s.requestSequence
        }
    }

    private func answered(_ sequence: Int, status: Int) {
        state.withLock { s in
            if let index = s.requests.lastIndex(where: { $0.sequence == sequence }) { s.requests[index].status = status }
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// Why the loopback registry could not start.
public enum LoopbackRegistryError: Error, CustomStringConvertible {
    /// A socket call failed.
    case socket(call: String, errno: Int32)
    /// A fixture file is missing or malformed.
    case fixture(path: String, problem: String)
    /// The TLS certificate or key could not be loaded.
    case tls(String)

    public var description: String {
        switch self {
        case .socket(let call, let code):
            "loopback registry: \(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .fixture(let path, let problem):
            "loopback registry: fixture \(path): \(problem)"
        case .tls(let problem):
            "loopback registry: \(problem)"
        }
    }
}

/// Where a response body comes from: memory, or a file streamed in chunks (large tarballs stay on disk).
enum BodySource {
    case data(Data)
    case file(URL, Int)

    var size: Int {
        switch self {
        case .data(let data): data.count
        case .file(_, let size): size
        }
    }

    /// Passes the first `limit` bytes to `each` in chunks; stops (returning false) when `each` does or the file
    /// cannot be read.
    func read(upTo limit: Int, chunkSize: Int, _ each: (Data) -> Bool) -> Bool {
        var offset = 0
        switch self {
        case .data(let data):
            while offset < limit {
                let end = min(limit, offset + chunkSize)
                guard each(data.subdata(in: data.startIndex + offset..<data.startIndex + end)) else { return false }
                offset = end
            }
            return true
        case .file(let url, _):
            guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
            defer { try? handle.close() }
            while offset < limit {
                guard let chunk = try? handle.read(upToCount: min(chunkSize, limit - offset)), !chunk.isEmpty else {
                    return false
                }
                guard each(chunk) else { return false }
                offset += chunk.count
            }
            return true
        }
    }
}

/// A socket with a read buffer; parses HTTP/1.1 request heads.
struct Connection {
    let fd: Int32
    /// The TLS session (OpenSSL `SSL *`) when serving HTTPS.
    var tls: OpaquePointer?
    /// Paces writes to the imitated bandwidth (see ``NetworkShaping``).
    var pacer = ConnectionPacer(bytesPerSecond: nil)
    private var buffer = [UInt8]()

    init(fd: Int32) { self.fd = fd }

    /// Reads the next request (and discards its body); `nil` on EOF, error or a malformed head.
    mutating func readRequest() -> HTTPRequest? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int? = nil
        var searchFrom = 0
        while headEnd == nil {
            if buffer.count >= 4 {
                var i = max(0, searchFrom - 3)
                while i + 4 <= buffer.count {
                    if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                        headEnd = i
                        break
                    }
                    i += 1
                }
                searchFrom = buffer.count
            }
            if headEnd != nil { break }
            if buffer.count > 1 << 20 { return nil }
            guard receive() else { return nil }
        }
        guard let end = headEnd else { return nil }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + terminator.count)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let lengthText = headers["content-length"], let length = Int(lengthText), length > 0 {
            while buffer.count < length {
                guard receive() else { return nil }
            }
            buffer.removeFirst(length)
        }
        return HTTPRequest(method: requestLine[0], target: requestLine[1], version: requestLine[2], headers: headers)
    }

    private mutating func receive() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { raw -> Int in
            if let tls { return Int(SSL_read(tls, raw.baseAddress, Int32(raw.count))) }
            return recv(fd, raw.baseAddress, raw.count, 0)
        }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Writes all bytes; false when the peer is gone.
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = tls.map { Int(SSL_write($0, raw.baseAddress! + offset, Int32(raw.count - offset))) }
                    ?? Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0, errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }
}

/// A certificate chain and private key (PEM files) for serving the loopback registry over HTTPS.
public struct LoopbackTLS: Sendable {
    /// PEM: the server certificate first, then any intermediates.
    public var certificateChain: URL
    /// PEM private key of the server certificate.
    public var privateKey: URL

    /// Creates the settings.
    public init(certificateChain: URL, privateKey: URL) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}

/// The server side of TLS: an OpenSSL context with the certificate and key loaded.
final class ServerTLS: @unchecked Sendable {
    private let context: OpaquePointer

    init(_ settings: LoopbackTLS) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw LoopbackRegistryError.tls("cannot create a TLS server context")
        }
        provcheck_tls_configure(context)
        guard SSL_CTX_use_certificate_chain_file(context, settings.certificateChain.path) == 1 else {
            SSL_CTX_free(context)
            throw LoopbackRegistryError.tls("cannot load the certificate chain \(settings.certificateChain.path)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, settings.privateKey.path, SSL_FILETYPE_PEM) == 1,
            SSL_CTX_check_private_key(context) == 1
        else {
            SSL_CTX_free(context)
            throw LoopbackRegistryError.tls("cannot load the private key \(settings.privateKey.path) (or it does not match)")
        }
        self.context = context
    }

    deinit { SSL_CTX_free(context) }

    /// The TLS handshake on an accepted (blocking) socket; `nil` when it fails.
    func accept(_ fd: Int32) -> OpaquePointer? {
        guard let session = SSL_new(context) else { return nil }
        SSL_set_fd(session, fd)
        guard SSL_accept(session) == 1 else {
            SSL_free(session)
            return nil
        }
        return session
    }
}
