// loopback-registry: serves an npm fixture folder as a registry on 127.0.0.1 (for pointing `npm` at fixtures).
//
//   loopback-registry --fixtures DIR [--demo-signatures DIR] [--port N] [--print-port] [--tls-cert PEM --tls-key PEM] [--delay-ms MS] [--mbps RATE]
//
// DIR is the repository's Fixtures/ folder (or its npm/ subfolder). --demo-signatures adds a folder's extra
// registry key and signatures (Fixtures/demo: a key made here, not npm's; see its README). Prints the base URL (or only the port with
// --print-port) on stdout once listening, then serves until SIGINT/SIGTERM. --tls-cert and --tls-key serve HTTPS
// (Fixtures/tls has a test CA and a certificate for 127.0.0.1: point npm or provcheck at it with cafile=ca.pem).
// --delay-ms waits that long before each answer and once per new connection (a registry that far away);
// --mbps paces each connection to that many megabits per second. `GET /-/loopback/stats` answers
// {"bytesSent","requests","connections"} (not delayed, not counted), for measuring what a client transferred.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import LoopbackRegistry

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("loopback-registry: \(message)\nusage: loopback-registry --fixtures DIR [--demo-signatures DIR] [--port N] [--print-port] [--tls-cert PEM --tls-key PEM] [--delay-ms MS] [--mbps RATE]\n".utf8))
    exit(2)
}

var fixtures: String? = nil
var demoSignatures: String? = nil
var port: UInt16 = 0
var printPortOnly = false
var tlsCertificate: String? = nil
var tlsKey: String? = nil
var delayMilliseconds = 0.0
var megabitsPerSecond: Double? = nil
var arguments = CommandLine.arguments.dropFirst()
/// The value after an option, read as `parse`; a missing or unreadable one ends with `message`.
@MainActor func value<T>(_ message: String, _ parse: (String) -> T?) -> T {
    guard let text = arguments.popFirst(), let value = parse(text) else { usage(message) }
    return value
}
/// The value after an option; a missing one ends with `message`.
@MainActor func value(_ message: String) -> String { value(message) { $0 } }
while let argument = arguments.popFirst() {
    switch argument {
    case "--fixtures":
        fixtures = value("--fixtures needs a folder")
    case "--demo-signatures":
        demoSignatures = value("--demo-signatures needs a folder")
    case "--port":
        port = value("--port needs a number 0-65535") { UInt16($0) }
    case "--print-port":
        printPortOnly = true
    case "--tls-cert":
        tlsCertificate = value("--tls-cert needs a PEM file")
    case "--tls-key":
        tlsKey = value("--tls-key needs a PEM file")
    case "--delay-ms":
        delayMilliseconds = value("--delay-ms needs a number of milliseconds") { Double($0).flatMap { $0 >= 0 ? $0 : nil } }
    case "--mbps":
        megabitsPerSecond = value("--mbps needs a positive rate") { Double($0).flatMap { $0 > 0 ? $0 : nil } }
    case "-h", "--help":
        print("usage: loopback-registry --fixtures DIR [--demo-signatures DIR] [--port N] [--print-port] [--tls-cert PEM --tls-key PEM] [--delay-ms MS] [--mbps RATE]")
        exit(0)
    default:
        usage("unknown argument \(argument)")
    }
}
guard let fixtures else { usage("--fixtures DIR is required") }
guard (tlsCertificate == nil) == (tlsKey == nil) else { usage("--tls-cert and --tls-key go together") }
let tls = tlsCertificate.map {
    LoopbackTLS(certificateChain: URL(fileURLWithPath: $0), privateKey: URL(fileURLWithPath: tlsKey ?? ""))
}

let registry: LoopbackRegistry
do {
    var content = try RegistryContent.fixtures(at: URL(fileURLWithPath: fixtures))
    if let demoSignatures { try content.addSignatures(from: URL(fileURLWithPath: demoSignatures)) }
    registry = try LoopbackRegistry(content: content, port: port, tls: tls)
    registry.shaping = NetworkShaping(delayMilliseconds: delayMilliseconds, megabitsPerSecond: megabitsPerSecond)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
FileHandle.standardOutput.write(Data(((printPortOnly ? String(registry.port) : registry.baseURL.absoluteString) + "\n").utf8))

signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
let sources = [SIGINT, SIGTERM].map { signalNumber in
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
    source.setEventHandler {
        registry.stop()
        exit(0)
    }
    source.resume()
    return source
}
withExtendedLifetime(sources) { dispatchMain() }
