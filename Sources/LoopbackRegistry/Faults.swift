import Foundation
import Registry

/// A misbehaviour the ``LoopbackRegistry`` applies to a matching request instead of (or on top of) the normal answer.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// Wait this many seconds, then answer normally (use it to trigger client timeouts).
    case delay(seconds: Double)
    /// Answer with this status, extra headers (for example `Retry-After`) and body instead of the normal answer.
    case status(Int, headers: [String: String] = [:], body: Data = Data())
    /// Declare the full `Content-Length` but send only `keepingBytes` bytes of the body (half when `nil`), then close.
    case truncatedBody(keepingBytes: Int? = nil)
    /// Send the normal headers and a body of the same length with one byte changed (in the middle).
    case wrongBytes
    /// Send this body (with a matching `Content-Length`) instead of the normal one.
    case replacedBody(Data)
    /// Reset the TCP connection (RST, via `SO_LINGER` 0) without answering.
    case connectionReset
    /// Close the connection without answering (a clean FIN).
    case closeWithoutResponse
    /// Send the body in chunks of `chunkSize` bytes, waiting `interval` seconds before each.
    case slowBody(chunkSize: Int, interval: Double)
    /// Declare `Content-Length` = real length + `delta` (may be negative), send the real body, then close.
    case wrongContentLength(delta: Int)
    /// Send the body with `Transfer-Encoding: chunked` (no `Content-Length`) in chunks of `chunkSize` bytes.
    case chunked(chunkSize: Int)

    public var description: String {
        switch self {
        case .delay(let seconds): "delay(\(seconds)s)"
        case .status(let code, _, _): "status(\(code))"
        case .truncatedBody(let keep): "truncatedBody(\(keep.map(String.init) ?? "half"))"
        case .wrongBytes: "wrongBytes"
        case .replacedBody(let data): "replacedBody(\(data.count) bytes)"
        case .connectionReset: "connectionReset"
        case .closeWithoutResponse: "closeWithoutResponse"
        case .slowBody(let size, let interval): "slowBody(\(size) bytes every \(interval)s)"
        case .wrongContentLength(let delta): "wrongContentLength(\(delta > 0 ? "+" : "")\(delta))"
        case .chunked(let size): "chunked(\(size) bytes)"
        }
    }
}

/// A glob over the percent-decoded request path (query excluded): `*` matches any run of characters (including
/// `/`), everything else matches itself. Examples: `"/abbrev"`, `"/abbrev/-/*"`, `"*.tgz"`, `"/-/stage/*"`, `"*"`.
public struct PathPattern: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The glob text.
    public let glob: String

    /// Creates a pattern from glob text.
    public init(_ glob: String) { self.glob = glob }
    public init(stringLiteral value: String) { self.init(value) }

    /// Every path.
    public static let any = PathPattern("*")

    public var description: String { glob }

    /// Whether `path` matches.
    public func matches(_ path: String) -> Bool {
        Self.match(Array(glob.utf8)[...], Array(path.utf8)[...])
    }

    private static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        // Iterative wildcard matching with single backtrack point.
        var p = pattern.startIndex, t = text.startIndex
        var star: Int? = nil, starText = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = p
                starText = t
                p += 1
            } else if p < pattern.endIndex, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let s = star {
                p = s + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}

/// A fault attached to a path pattern, applied to the next `remaining` matching requests (forever when `nil`).
public struct FaultRule: Sendable, Hashable {
    /// Which requests it applies to.
    public var pattern: PathPattern
    /// What happens.
    public var fault: Fault
    /// How many more matching requests get the fault; `nil` means every one.
    public var remaining: Int?

    /// Creates a rule.
    public init(pattern: PathPattern, fault: Fault, remaining: Int? = nil) {
        self.pattern = pattern
        self.fault = fault
        self.remaining = remaining
    }
}

/// One request the ``LoopbackRegistry`` received.
public struct RecordedRequest: Sendable, Hashable {
    /// The method (`GET`, `HEAD`, …).
    public var method: String
    /// The request target as sent (path and query, percent-encoded).
    public var target: String
    /// The percent-decoded path without the query (what routes and ``PathPattern``s see).
    public var path: String
    /// Header fields, names lowercased (last value wins).
    public var headers: [String: String]
    /// The status code answered (0 while the answer is pending, or when the connection was reset or closed without
    /// an answer).
    public var status: Int
    /// The fault applied, if any.
    public var fault: Fault?
    /// The HTTP connection's sequence number (requests on one keep-alive connection share it).
    public var connection: Int
    /// The request's arrival number (1, 2, …) on this server.
    public var sequence: Int

    /// The `Authorization` header, if sent.
    public var authorization: String? { headers["authorization"] }
}
