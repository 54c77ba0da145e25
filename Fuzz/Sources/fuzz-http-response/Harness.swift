// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
// The registry client's HTTP/1.1 response parser on hostile server bytes: the input is written into one end of a
// socketpair (then closed) and read back as up to four pipelined responses (head, framing, body) through the same
// code the client uses. Invariants: no crash or hang, bodies never exceed the limit, and a Content-Length body is
// delivered with exactly its declared length.
import Foundation
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import Registry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return 0 }
    // Keep within the socket buffer so the single-threaded write cannot block.
    var buffer = Int32(1 << 20)
    setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
    var written = 0
    let total = min(count, 100_000)
    while written < total {
        let n = write(fds[1], bytes + written, total - written)
        if n <= 0 { break }
        written += n
    }
    close(fds[1])
    let connection = HTTP1Connection(stream: .adopting(fds[0], idleTimeout: 2), key: "fuzz")
    let limit = 50_000
    for _ in 0..<4 {
        guard let head = try? connection.readHead(),
            let framing = try? HTTP1Connection.framing(of: head, isHEAD: false)
        else { break }
        var delivered = 0
        let result = Result { try connection.readBody(framing, limit: limit) { delivered += $0.count } }
        check(delivered <= limit, "delivered \(delivered) bytes past the limit \(limit)")
        guard case .success(let received) = result else { break }
        check(received == delivered, "reported \(received) bytes but delivered \(delivered)")
        if case .length(let length) = framing {
            check(received == length, "Content-Length \(length) but \(received) bytes")
        }
    }
    return 0
}
