#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL
import Foundation

/// Why a socket or TLS operation stopped. ``HTTPClient`` turns these into ``RegistryError``s naming the URL.
enum StreamFailure: Error, Sendable {
    /// No progress within the idle timeout, or the transfer's deadline passed.
    case timedOut(String)
    /// The caller's task was cancelled.
    case cancelled
    /// The host name did not resolve.
    case resolve(String)
    /// Every address refused or failed the connection.
    case connect(String)
    /// The peer reset the connection or the socket failed.
    case reset(String)
    /// The TLS handshake or a TLS record failed.
    case tls(String)
}

/// A flag the async caller sets (task cancellation) and a blocking worker polls.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() { lock.withLock { cancelled = true } }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// One TCP connection, optionally wrapped in TLS, with non-blocking I/O bounded by an idle timeout, an overall
/// deadline and a cancellation flag (checked at least every 100 ms while waiting). Reads and writes block the
/// calling thread, so a slow consumer applies backpressure: nothing is read that the caller has not asked for.
final class NetworkStream {
    let fd: Int32
    private var tls: OpaquePointer?
    /// Longest wait for any progress, in nanoseconds.
    var idleTimeout: UInt64
    /// Absolute monotonic deadline for the current transfer (`UInt64.max` for none).
    var deadline: UInt64 = .max
    /// Checked while waiting.
    var cancellation: CancellationFlag?

    private init(fd: Int32, idleTimeout: UInt64) {
        self.fd = fd
        self.idleTimeout = idleTimeout
    }

    /// Takes ownership of a connected socket (for tests and fuzzing: one end of a `socketpair`), switching it to
    /// non-blocking mode.
    static func adopting(_ fd: Int32, idleTimeout: TimeInterval) -> NetworkStream {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return NetworkStream(fd: fd, idleTimeout: UInt64(max(0.001, idleTimeout) * 1e9))
    }

    deinit { close() }

    /// Resolves `host` and connects to the first address that accepts, within `timeout` per address.
    static func connect(
        host: String, port: Int, timeout: TimeInterval, deadline: UInt64, cancellation: CancellationFlag?
    ) throws(StreamFailure) -> NetworkStream {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .resolve("cannot resolve the host name \"\(host)\": \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        let idle = UInt64(max(0.001, timeout) * 1e9)
        var problems: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            // With more addresses to try (IPv6 and IPv4, say), one that never answers gets at most 3 s, so a broken
            // route costs seconds, not the whole timeout; the last address gets the full timeout.
            let attemptTimeout = entry == nil ? idle : min(idle, 3_000_000_000)
            let fd = socket(
                info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
                    | Int32(SOCK_NONBLOCK.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else {
                problems.append("socket: \(String(cString: strerror(errno)))")
                continue
            }
            let stream = NetworkStream(fd: fd, idleTimeout: attemptTimeout)
            stream.deadline = deadline
            stream.cancellation = cancellation
            let address = Self.describe(info.pointee.ai_addr, port: port)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else {
                    problems.append("\(address): \(String(cString: strerror(errno)))")
                    continue
                }
                do { try stream.wait(for: Int16(POLLOUT), what: "connecting to \(address)") } catch {
                    if case .cancelled = error { throw error }
                    problems.append("\(address): connection timed out")
                    continue
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                guard code == 0 else {
                    problems.append("\(address): \(String(cString: strerror(code)))")
                    continue
                }
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            stream.idleTimeout = idle
            return stream
        }
        throw .connect("cannot connect to \(host):\(port) (\(problems.joined(separator: "; ")))")
    }

    private static func describe(_ address: UnsafeMutablePointer<sockaddr>?, port: Int) -> String {
        guard let address else { return "?" }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let family = Int32(address.pointee.sa_family)
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        guard getnameinfo(address, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Performs the TLS client handshake over this connection and checks the server's certificate against
    /// `context`'s trust store and `serverName` (a host name or an IP address).
    func startTLS(context: TLSContext, serverName: String) throws(StreamFailure) {
        guard let connection = SSL_new(context.context) else { throw .tls("cannot create a TLS connection") }
        tls = connection
        SSL_set_fd(connection, fd)
        SSL_set_connect_state(connection)
        if context.verifiesPeer {
            try Self.requireHostCheck(connection, serverName: serverName)
        } else if !Self.isIPAddress(serverName) {
            _ = provcheck_tls_set_server_name(connection, serverName)
        }
        while true {
            ERR_clear_error()
            let result = SSL_do_handshake(connection)
            if result == 1 { return }
            let code = SSL_get_error(connection, result)
            switch code {
            case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), what: "the TLS handshake")
            case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), what: "the TLS handshake")
            default:
                let verify = SSL_get_verify_result(connection)
                if verify != X509_V_OK {
                    let reason = String(cString: X509_verify_cert_error_string(verify))
                    throw .tls("TLS certificate of \(serverName) not trusted: \(reason)")
                }
                throw .tls("TLS handshake with \(serverName) failed: \(Self.tlsErrorText(code))")
            }
        }
    }

    /// Makes the handshake check that the certificate names `serverName` (a DNS name, or an IP address matched
    /// against the certificate's IP addresses). Host checking must never switch off silently: OpenSSL treats an
    /// empty name as "no host check", and a failed setter leaves none, so both are errors that fail the connection.
    static func requireHostCheck(_ connection: OpaquePointer, serverName: String) throws(StreamFailure) {
        guard !serverName.isEmpty, !serverName.utf8.contains(0) else {
            throw .tls("TLS host name check for \"\(serverName)\" cannot be set up: empty or invalid host name; connection refused")
        }
        if isIPAddress(serverName) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), serverName) == 1 else {
                throw .tls("TLS host check for the IP address \(serverName) cannot be set up (X509_VERIFY_PARAM_set1_ip_asc failed: \(tlsErrorText(0))); connection refused")
            }
        } else {
            guard SSL_set1_host(connection, serverName) == 1 else {
                throw .tls("TLS host name check for \(serverName) cannot be set up (SSL_set1_host failed: \(tlsErrorText(0))); connection refused")
            }
            guard provcheck_tls_set_server_name(connection, serverName) == 1 else {
                throw .tls("TLS server name (SNI) \(serverName) cannot be set; connection refused")
            }
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func tlsErrorText(_ code: Int32) -> String {
        var texts: [String] = []
        while case let error = ERR_get_error(), error != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(error, &buffer, buffer.count)
            texts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if texts.isEmpty {
            return code == SSL_ERROR_SYSCALL ? "connection closed or reset (\(String(cString: strerror(errno))))"
                : "OpenSSL error \(code)"
        }
        return texts.joined(separator: "; ")
    }

    /// Reads up to `buffer.count` bytes. Returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if let tls {
            while true {
                ERR_clear_error()
                let count = SSL_read(tls, base, Int32(min(buffer.count, Int(Int32.max))))
                if count > 0 { return Int(count) }
                let code = SSL_get_error(tls, count)
                switch code {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), what: "data")
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), what: "data")
                case SSL_ERROR_ZERO_RETURN: return 0
                case SSL_ERROR_SYSCALL where errno == 0: return 0
                case SSL_ERROR_SYSCALL: throw .reset("connection reset (\(String(cString: strerror(errno))))")
                default: throw .tls("TLS read failed: \(Self.tlsErrorText(code))")
                }
            }
        }
        while true {
            let count = recv(fd, base, buffer.count, 0)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), what: "data")
            default: throw .reset("connection reset (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Writes every byte of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(StreamFailure) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            if let tls {
                ERR_clear_error()
                let count = SSL_write(tls, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
                if count > 0 {
                    offset += Int(count)
                    continue
                }
                let code = SSL_get_error(tls, count)
                switch code {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), what: "sending")
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), what: "sending")
                case SSL_ERROR_SYSCALL: throw .reset("connection reset while sending (\(String(cString: strerror(errno))))")
                default: throw .tls("TLS write failed: \(Self.tlsErrorText(code))")
                }
                continue
            }
            let count = send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if count > 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), what: "sending")
            default: throw .reset("connection reset while sending (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Whether an idle connection still looks usable: nothing to read (no EOF, no stray bytes), no error.
    var looksReusable: Bool {
        if let tls, SSL_pending(tls) > 0 { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 0
    }

    /// Waits until `events` are ready, the idle timeout or deadline passes, or the caller cancels.
    private func wait(for events: Int16, what: String) throws(StreamFailure) {
        let start = monotonicNanoseconds()
        let idleEnd = start &+ idleTimeout < start ? UInt64.max : start + idleTimeout
        let end = min(idleEnd, deadline)
        while true {
            if cancellation?.isCancelled == true { throw .cancelled }
            let now = monotonicNanoseconds()
            guard now < end else {
                if end == deadline && deadline < idleEnd {
                    throw .timedOut("the transfer took longer than its overall time limit (while waiting for \(what))")
                }
                throw .timedOut("timed out: no \(what) within \(Self.seconds(idleTimeout))")
            }
            let sliceMilliseconds = Int32(min((end - now + 999_999) / 1_000_000, 100))
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, max(1, sliceMilliseconds))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .reset("poll failed: \(String(cString: strerror(errno)))") }
        }
    }

    private static func seconds(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// Closes the connection (idempotent). A TLS connection is freed without a close_notify exchange.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let tls {
            SSL_free(tls)
            self.tls = nil
        }
        if fd >= 0 { Glibc.close(fd) }
    }

    private var isClosed = false
}

/// An OpenSSL client context: the trust store (the system's, or a `cafile`) and whether peers are verified
/// (npm's `strict-ssl`). Safe to share across threads once created.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    let verifiesPeer: Bool

    /// - Parameters:
    ///   - caFile: PEM certificates that replace the system trust store (npm's `cafile`).
    ///   - extraCAFile: PEM certificates added to the trust store (Node's `NODE_EXTRA_CA_CERTS`).
    ///   - verifyPeer: `false` for npm's `strict-ssl=false` (no certificate or host name check).
    init(caFile: URL?, extraCAFile: URL?, verifyPeer: Bool) throws(RegistryError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw RegistryError(code: .connection, url: nil, problem: "cannot create a TLS context")
        }
        // Every stored property is set from here on, so a throw below runs deinit, which frees the context.
        self.context = context
        self.verifiesPeer = verifyPeer
        provcheck_tls_configure(context)
        if caFile == nil { SSL_CTX_set_default_verify_paths(context) }
        for (file, setting) in [(caFile, "cafile"), (extraCAFile, "NODE_EXTRA_CA_CERTS")] {
            guard let file else { continue }
            guard SSL_CTX_load_verify_locations(context, file.path, nil) == 1 else {
                throw RegistryError(
                    code: .invalidConfiguration, url: file,
                    problem: "cannot load the CA certificates (\(setting)): \(NetworkStream.tlsErrorText(0))")
            }
        }
        SSL_CTX_set_verify(context, verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
    }

    deinit { SSL_CTX_free(context) }
}
