import Foundation
import Registry
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A hostile or broken server: crafted HTTP responses (bad status lines, oversized heads, lying lengths, broken
/// chunking, endless interim responses, a slow drip) must each end in a clear ``RegistryError`` naming the URL, within
/// the configured timeouts, and never hand out a partial body.
@Suite struct HostileHTTPResponseTests {
    /// Answers every request on 127.0.0.1 with `response` (then closes the connection), or with `drip` bytes one at a
    /// time every `interval` seconds.
    final class ScriptedServer: @unchecked Sendable {
        let port: UInt16
        private let listener: Int32
        private let done = DispatchSemaphore(value: 0)

        init(response: [UInt8], drip: Double? = nil) throws {
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let listener = listener
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
            var actual = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &actual) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            }
            port = UInt16(bigEndian: actual.sin_port)
            let done = done
            Thread.detachNewThread {
                while true {
                    let fd = accept(listener, nil, nil)
                    guard fd >= 0 else { break }
                    Thread.detachNewThread {
                        Self.serve(fd, response: response, drip: drip)
                    }
                }
                done.signal()
            }
        }

        private static func serve(_ fd: Int32, response: [UInt8], drip: Double?) {
            defer { close(fd) }
            var request: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let n = recv(fd, &chunk, chunk.count, 0)
                guard n > 0 else { return }
                request += chunk[0..<n]
            }
            if let drip {
                for byte in response {
                    guard send(fd, [byte], 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                    usleep(useconds_t(drip * 1e6))
                }
                return
            }
            var offset = 0
            while offset < response.count {
                let n = response[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                offset += n
            }
        }

        var url: URL { URL(string: "http://127.0.0.1:\(port)/ms")! }

        func stop() {
            shutdown(listener, Int32(SHUT_RDWR))
            done.wait()
            close(listener)
        }
    }

    static func fetch(_ response: String, drip: Double? = nil, timeout: TimeInterval = 5,
                      resourceTimeout: TimeInterval = 600) async throws -> (RegistryError?, ContinuousClock.Duration) {
        try await fetch(Array(response.utf8), drip: drip, timeout: timeout, resourceTimeout: resourceTimeout)
    }

    static func fetch(_ response: [UInt8], drip: Double? = nil, timeout: TimeInterval = 5,
                      resourceTimeout: TimeInterval = 600) async throws -> (RegistryError?, ContinuousClock.Duration) {
        let server = try ScriptedServer(response: response, drip: drip)
        defer { server.stop() }
        var configuration = RegistryConfiguration(registry: URL(string: "http://127.0.0.1:\(server.port)/")!)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.timeout = timeout
        configuration.resourceTimeout = resourceTimeout
        configuration.maxDocumentBytes = 1 << 20
        let client = RegistryClient(configuration: configuration)
        let start = ContinuousClock.now
        let error = await registryError { try await client.document(server.url, accept: "application/json", cacheable: false) }
        return (error, ContinuousClock.now - start)
    }

    static let cases: [(name: String, response: String, code: RegistryError.Code, says: String)] = [
        ("not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", .connection, "not an HTTP/1.x status line"),
        ("status out of range", "HTTP/1.1 42 Odd\r\n\r\n", .connection, "not an HTTP/1.x status line"),
        ("header without a name", "HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n", .connection, "without a field name"),
        ("negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .connection, "invalid Content-Length"),
        ("conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n{}", .connection, "invalid Content-Length"),
        ("huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n{}", .connection, "invalid Content-Length"),
        ("length over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 8589934592\r\n\r\n{}", .responseTooLarge, "larger than the limit"),
        ("short body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}", .truncatedBody, "after 2 of 100 body bytes"),
        ("chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", .truncatedBody, "malformed chunk size"),
        ("chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .truncatedBody, "malformed chunk size"),
        ("chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", .truncatedBody, "malformed chunked"),
        ("chunked, no last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", .truncatedBody, "closed"),
        ("chunk over the limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", .responseTooLarge, "larger than the limit"),
        ("head cut off", "HTTP/1.1 200 OK\r\nContent-Le", .connection, "before a complete response"),
        ("nothing at all", "", .connection, "before a complete response"),
    ]

    @Test(arguments: cases.indices)
    func craftedResponseIsAClearError(_ index: Int) async throws {
        let (name, response, code, says) = Self.cases[index]
        let (error, _) = try await Self.fetch(response)
        let found = try #require(error, "\(name): no error")
        #expect(found.code == code, "\(name): \(found)")
        #expect(found.problem.contains(says), "\(name): \(found)")
        #expect(found.description.contains("http://127.0.0.1:"), "\(name): the error names the URL")
    }

    @Test func oversizedHeadAndTooManyFieldsAreRefused() async throws {
        let long = "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 70_000) + "\r\n\r\n"
        let (error, _) = try await Self.fetch(long)
        #expect(error?.code == .connection, "\(String(describing: error))")
        #expect(error?.problem.contains("longer than") == true, "\(String(describing: error))")
        let many = "HTTP/1.1 200 OK\r\n" + (0..<300).map { "X-\($0): y\r\n" }.joined() + "\r\n"
        let (manyError, _) = try await Self.fetch(many)
        #expect(manyError?.problem.contains("more than 256 header fields") == true, "\(String(describing: manyError))")
    }

    @Test func endlessInterimResponsesAreBounded() async throws {
        let response = String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 1000)
        let (error, _) = try await Self.fetch(response)
        #expect(error?.code == .connection && error?.problem.contains("interim") == true, "\(String(describing: error))")
    }

    @Test func slowDripHitsTheOverallLimit() async throws {
        // One byte every 50 ms never trips the 1 s idle timeout; the 1 s overall limit ends it.
        let (error, elapsed) = try await Self.fetch(
            "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "x", count: 1000), drip: 0.05,
            timeout: 1, resourceTimeout: 1)
        #expect(error?.code == .timeout, "\(String(describing: error))")
        #expect(error?.problem.contains("overall time limit") == true, "\(String(describing: error))")
        #expect(elapsed < .seconds(5))
    }

    @Test func untilCloseBodyIsAcceptedOnlyWhole() async throws {
        // No length, no chunking: the body runs to the close; the bytes are delivered as sent.
        let (error, _) = try await Self.fetch("HTTP/1.0 200 OK\r\n\r\n{\"name\":\"ms\"}")
        #expect(error == nil, "\(String(describing: error))")
    }
}
