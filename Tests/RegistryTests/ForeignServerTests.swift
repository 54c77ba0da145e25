import Foundation
import Registry
import Testing
import TestSupport

/// provcheck's HTTP/1.1 client against a server not written in this project: Python's `http.server`, started by the
/// test on 127.0.0.1. Keep-alive, chunked bodies, gzip, `Connection: close`, HTTP/1.0 answers (with and without a
/// length) and a body cut short.
@Suite(.serialized) struct ForeignServerTests {
    static let script = #"""
        import gzip, http.server, json, socketserver, sys, threading
        connections = set()
        lock = threading.Lock()
        DOC = json.dumps({"name": "demo", "versions": {"1.0.0": {"name": "demo", "version": "1.0.0"}},
                          "padding": "x" * 20000}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_GET(self):
                with lock: connections.add(self.client_address)
                path = self.path
                if path == "/connections":
                    return self.send(json.dumps({"connections": len(connections)}).encode())
                if path == "/keepalive":
                    return self.send(DOC)
                if path == "/chunked":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(DOC), 777):
                        part = DOC[i:i + 777]
                        self.wfile.write(b"%x;ext=1\r\n" % len(part) + part + b"\r\n")
                    self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
                    return
                if path == "/gzip":
                    assert "gzip" in self.headers.get("Accept-Encoding", "")
                    body = gzip.compress(DOC)
                    return self.send(body, extra={"Content-Encoding": "gzip"})
                if path == "/close":
                    self.close_connection = True
                    return self.send(DOC, extra={"Connection": "close"})
                if path == "/http10":
                    self.protocol_version = "HTTP/1.0"
                    return self.send(DOC)
                if path == "/http10-no-length":
                    self.protocol_version = "HTTP/1.0"
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(DOC)
                    self.close_connection = True
                    return
                if path == "/short":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(DOC)))
                    self.end_headers()
                    self.wfile.write(DOC[:1000])
                    self.close_connection = True
                    return
                self.send(b'{"error":"not found"}', status=404)
            def send(self, body, status=200, extra={}):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra.items(): self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
        server.serve_forever()
        """#

    /// A running Python server; stopped (stdin closed, then terminated) when released.
    final class PythonServer: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let base: URL
        let folder: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-pyserver-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("server.py")
            try Data(ForeignServerTests.script.utf8).write(to: file)
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", file.path]
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            let port = ProcessRunner.firstLine(of: output)
            guard let number = Int(port) else { throw CocoaError(.fileReadCorruptFile) }
            base = URL(string: "http://127.0.0.1:\(number)/")!
        }

        deinit {
            try? input.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func client(_ server: PythonServer) -> RegistryClient {
        var configuration = RegistryConfiguration(registry: server.base)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.timeout = 5
        return RegistryClient(configuration: configuration)
    }

    static func fetch(_ client: RegistryClient, _ server: PythonServer, _ path: String) async throws -> Data {
        try await client.document(server.base.appendingPathComponent(path), accept: "application/json", cacheable: false)
    }

    static func connections(_ client: RegistryClient, _ server: PythonServer) async throws -> Int {
        let data = try await fetch(client, server, "connections")
        return (try JSONSerialization.jsonObject(with: data) as? [String: Int])?["connections"] ?? -1
    }

    @Test func everyFramingGivesTheSameDocument() async throws {
        let server = try PythonServer()
        let client = Self.client(server)
        let expected = try await Self.fetch(client, server, "keepalive")
        #expect(expected.count > 20000)
        for path in ["chunked", "gzip", "close", "http10", "http10-no-length", "keepalive"] {
            let body = try await Self.fetch(client, server, path)
            #expect(body == expected, "\(path): \(body.count) bytes")
        }
    }

    @Test func keepAliveReusesOneConnection() async throws {
        let server = try PythonServer()
        let client = Self.client(server)
        for _ in 0..<5 { _ = try await Self.fetch(client, server, "keepalive") }
        for _ in 0..<3 { _ = try await Self.fetch(client, server, "chunked") }
        #expect(try await Self.connections(client, server) == 1)
    }

    @Test func closedAndHTTP10ConnectionsAreNotReused() async throws {
        let server = try PythonServer()
        let client = Self.client(server)
        _ = try await Self.fetch(client, server, "keepalive")  // connection 1
        _ = try await Self.fetch(client, server, "close")  // still 1, then closed by the server
        _ = try await Self.fetch(client, server, "http10")  // 2, closed (HTTP/1.0 without keep-alive)
        _ = try await Self.fetch(client, server, "http10-no-length")  // 3, body until the close
        #expect(try await Self.connections(client, server) == 4)
    }

    @Test func aBodyCutShortIsAnErrorNotData() async throws {
        let server = try PythonServer()
        let client = Self.client(server)
        let error = try #require(await registryError { try await Self.fetch(client, server, "short") })
        #expect(error.code == .truncatedBody, "\(error)")
    }
}
