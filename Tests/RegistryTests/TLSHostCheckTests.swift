import Foundation
import LoopbackRegistry
import COpenSSL
@testable import Registry
import Testing
import TestSupport

/// TLS host checking cannot switch off: a certificate for another host (DNS name or IP address) fails the
/// connection, with the reason.
@Suite struct TLSHostCheckTests {
    /// A throw-away CA and a server certificate for `other.test` and 127.0.0.2 (not 127.0.0.1), made with openssl.
    static func otherHostCertificate(in folder: TemporaryFolder) throws -> (LoopbackTLS, URL) {
        let script = """
            set -e
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
              -subj "/CN=provcheck other-host test CA" -addext "basicConstraints=critical,CA:TRUE" \
              -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
              -subj "/CN=other.test" 2>/dev/null
            printf 'subjectAltName=DNS:other.test,IP:127.0.0.2\\nbasicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\nextendedKeyUsage=serverAuth\\n' > ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = folder.url
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (LoopbackTLS(certificateChain: folder.file("server.pem"), privateKey: folder.file("server.key")), folder.file("ca.pem"))
    }

    @Test func certificateForAnotherHostFailsTheIPAddressCheck() async throws {
        let folder = try TemporaryFolder()
        let (tls, ca) = try Self.otherHostCertificate(in: folder)
        let registry = try LoopbackRegistry(content: fixtureContent, tls: tls)
        defer { registry.stop() }
        var configuration = RegistryConfiguration(registry: registry.baseURL)  // https://127.0.0.1:PORT/
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.caFile = ca
        let error = try #require(await registryError { try await RegistryClient(configuration: configuration).packument(name: "ms") })
        #expect(error.code == .connection)
        #expect(error.problem.contains("not trusted") && error.problem.lowercased().contains("mismatch"), "\(error)")
    }

    @Test func certificateForAnotherHostFailsTheHostNameCheck() async throws {
        let folder = try TemporaryFolder()
        let (tls, ca) = try Self.otherHostCertificate(in: folder)
        let registry = try LoopbackRegistry(content: fixtureContent, tls: tls)
        defer { registry.stop() }
        var configuration = RegistryConfiguration(registry: try #require(URL(string: "https://localhost:\(registry.port)/")))
        configuration.retry = RetryPolicy(maxAttempts: 1)
        configuration.caFile = ca
        let error = try #require(await registryError { try await RegistryClient(configuration: configuration).packument(name: "ms") })
        #expect(error.code == .connection)
        #expect(error.problem.lowercased().contains("hostname mismatch"), "\(error)")
    }

    @Test func anEmptyOrTruncatedHostNameNeverMeansNoCheck() throws {
        // OpenSSL treats an empty host name as "check no name"; a name with NUL would be checked truncated.
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        defer { SSL_CTX_free(context) }
        let connection = try #require(SSL_new(context))
        defer { SSL_free(connection) }
        for bad in ["", "registry.example\u{0}.evil.test"] {
            #expect(throws: StreamFailure.self) { try NetworkStream.requireHostCheck(connection, serverName: bad) }
        }
        try NetworkStream.requireHostCheck(connection, serverName: "registry.example")
        try NetworkStream.requireHostCheck(connection, serverName: "127.0.0.1")
        try NetworkStream.requireHostCheck(connection, serverName: "::1")
    }
}
