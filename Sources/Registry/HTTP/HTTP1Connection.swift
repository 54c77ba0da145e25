import Foundation

/// A parsed response status line and header fields.
struct ResponseHead {
    var status: Int
    /// `HTTP/1.0` responses close the connection unless they say keep-alive.
    var isHTTP10: Bool
    /// Header fields with lowercased names; repeated fields joined with ", ".
    var headers: [String: String]
}

/// How a response body is delimited (RFC 9112 section 6.3).
enum BodyFraming: Equatable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    /// Exactly this many bytes.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// Until the server closes the connection.
    case untilClose
}

/// Why a response could not be read; ``HTTPClient`` maps these to ``RegistryError``s.
enum ResponseFailure: Error {
    /// The socket or TLS layer failed.
    case stream(StreamFailure)
    /// The connection ended before a complete response head.
    case closedBeforeResponse(received: Int)
    /// The response head is not HTTP/1.x.
    case malformedHead(String)
    /// The body ended early or its chunked framing is broken.
    case truncatedBody(received: Int, expected: Int?, detail: String)
    /// The body is larger than allowed.
    case tooLarge(received: Int)
    /// The body consumer failed (e.g. a disk write).
    case sink(any Error)
}

/// One HTTP/1.1 connection to an origin (or a proxy): writes requests, parses response heads and streams bodies
/// through a fixed 64 KiB buffer, so memory stays bounded whatever the body size.
final class HTTP1Connection {
    let stream: NetworkStream
    /// The pool key of the endpoint this connection serves.
    let key: String
    /// Requests sent on this connection (for telling a stale kept-alive connection from a fresh failure).
    private(set) var requestsSent = 0
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    static let maximumHeadBytes = 64 * 1024
    static let maximumHeaderCount = 256
    static let maximumInterimResponses = 16

    init(stream: NetworkStream, key: String) {
        self.stream = stream
        self.key = key
        buffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        stream.close()
        buffer.deallocate()
    }

    /// Sends a request head (no body).
    func send(head: String) throws(StreamFailure) {
        requestsSent += 1
        let bytes = Array(head.utf8)
        let failure: StreamFailure? = bytes.withUnsafeBytes { raw in
            do throws(StreamFailure) {
                try stream.write(raw)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Reads more bytes into the buffer; `false` at the end of the stream.
    private func fill() throws(StreamFailure) -> Bool {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            // Compact: move the unread bytes to the front.
            let unread = end - start
            if start > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: unread)
                start = 0
                end = unread
            }
            if end == buffer.count { return true }  // full: the caller consumes first
        }
        let count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        end += count
        return count > 0
    }

    /// Reads one line (without its CRLF or LF), or `nil` at a clean end of stream before any byte of it.
    private func readLine(budget: inout Int) throws(ResponseFailure) -> String? {
        var scanned = 0  // bytes after `start` already searched
        while true {
            var index = start + scanned
            while index < end, buffer[index] != 10 { index += 1 }
            if index < end {
                var lineEnd = index
                if lineEnd > start, buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd]), as: UTF8.self)
                budget -= index + 1 - start
                start = index + 1
                guard budget >= 0 else { throw .malformedHead("response head or line too long") }
                return line
            }
            scanned = end - start
            guard scanned < buffer.count else {
                throw .malformedHead("response head line longer than \(buffer.count) bytes")
            }
            let more: Bool
            do { more = try fill() } catch { throw .stream(error) }
            if !more {
                if scanned > 0 { throw .closedBeforeResponse(received: scanned) }
                return nil
            }
        }
    }

    /// Reads the next response head, skipping interim (1xx) responses.
    func readHead() throws(ResponseFailure) -> ResponseHead {
        for _ in 0...Self.maximumInterimResponses {
            var budget = Self.maximumHeadBytes
            guard let statusLine = try readLine(budget: &budget) else { throw .closedBeforeResponse(received: 0) }
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
                (100...999).contains(status)
            else {
                throw .malformedHead("not an HTTP/1.x status line: \"\(statusLine.prefix(80))\"")
            }
            var headers: [String: String] = [:]
            var count = 0
            while true {
                guard let line = try readLine(budget: &budget) else {
                    throw .closedBeforeResponse(received: Self.maximumHeadBytes - budget)
                }
                if line.isEmpty { break }
                count += 1
                guard count <= Self.maximumHeaderCount else {
                    throw .malformedHead("more than \(Self.maximumHeaderCount) header fields")
                }
                guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                    throw .malformedHead("header line without a field name: \"\(line.prefix(80))\"")
                }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
            }
            if (100...199).contains(status) && status != 101 { continue }
            return ResponseHead(status: status, isHTTP10: parts[0] == "HTTP/1.0", headers: headers)
        }
        throw .malformedHead("more than \(Self.maximumInterimResponses) interim (1xx) responses")
    }

    /// The body framing of `head` for a GET (or HEAD) request.
    static func framing(of head: ResponseHead, isHEAD: Bool) throws(ResponseFailure) -> BodyFraming {
        if isHEAD || head.status == 204 || head.status == 304 || (100...199).contains(head.status) { return .none }
        if let encoding = head.headers["transfer-encoding"] {
            let codings = encoding.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard codings.last == "chunked" else { return .untilClose }
            return .chunked
        }
        if let lengthText = head.headers["content-length"] {
            let values = Set(lengthText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard values.count == 1, let value = values.first, !value.isEmpty, value.count <= 18,
                value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber), let length = Int(value)
            else {
                throw .malformedHead("invalid Content-Length \"\(lengthText.prefix(40))\"")
            }
            return .length(length)
        }
        return .untilClose
    }

    /// Streams the body to `consume` in chunks of at most 64 KiB. Stops with ``ResponseFailure/tooLarge(received:)``
    /// past `limit` bytes. Returns the number of body bytes.
    func readBody(
        _ framing: BodyFraming, limit: Int, consume: (UnsafeRawBufferPointer) throws -> Void
    ) throws(ResponseFailure) -> Int {
        var received = 0
        func deliver(_ count: Int) throws(ResponseFailure) {
            received += count
            guard received <= limit else { throw .tooLarge(received: received) }
            do { try consume(UnsafeRawBufferPointer(rebasing: buffer[start..<start + count])) } catch { throw .sink(error) }
            start += count
        }
        func more(expected: Int?) throws(ResponseFailure) {
            let filled: Bool
            do { filled = try fill() } catch {
                if case .reset(let detail) = error {
                    throw .truncatedBody(received: received, expected: expected, detail: detail)
                }
                throw .stream(error)
            }
            if !filled {
                throw .truncatedBody(received: received, expected: expected, detail: "the connection was closed")
            }
        }
        /// Delivers the next `length` bytes (a Content-Length body or one chunk), reading more as needed.
        func deliver(exactly length: Int, expected: Int?) throws(ResponseFailure) {
            var remaining = length
            while remaining > 0 {
                if start == end { try more(expected: expected) }
                let count = min(remaining, end - start)
                try deliver(count)
                remaining -= count
            }
        }
        switch framing {
        case .none:
            return 0
        case .length(let length):
            guard length <= limit else { throw .tooLarge(received: length) }
            try deliver(exactly: length, expected: length)
            return received
        case .untilClose:
            while true {
                if start == end {
                    let filled: Bool
                    do { filled = try fill() } catch {
                        if case .reset(let detail) = error {
                            throw .truncatedBody(received: received, expected: nil, detail: detail)
                        }
                        throw .stream(error)
                    }
                    if !filled { return received }
                }
                try deliver(end - start)
            }
        case .chunked:
            while true {
                var budget = 4096
                let sizeLine: String
                do throws(ResponseFailure) {
                    guard let line = try readLine(budget: &budget) else {
                        throw ResponseFailure.truncatedBody(received: received, expected: nil, detail: "the connection was closed")
                    }
                    sizeLine = line
                } catch {
                    switch error {
                    case .closedBeforeResponse, .malformedHead:
                        throw .truncatedBody(received: received, expected: nil, detail: "malformed chunked encoding")
                    case .stream(.reset(let detail)):
                        throw .truncatedBody(received: received, expected: nil, detail: detail)
                    default: throw error
                    }
                }
                let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                } ?? ""
                guard !hex.isEmpty, hex.count <= 15, let size = Int(hex, radix: 16), size >= 0 else {
                    throw .truncatedBody(
                        received: received, expected: nil, detail: "malformed chunk size \"\(sizeLine.prefix(40))\"")
                }
                if size == 0 {
                    // Trailer fields, then an empty line.
                    var trailerBudget = Self.maximumHeadBytes
                    while true {
                        let line: String?
                        do { line = try readLine(budget: &trailerBudget) } catch {
                            throw .truncatedBody(received: received, expected: nil, detail: "malformed chunked trailer")
                        }
                        guard let line else {
                            throw .truncatedBody(received: received, expected: nil, detail: "the connection was closed")
                        }
                        if line.isEmpty { return received }
                    }
                }
                guard received + size <= limit else { throw .tooLarge(received: received + size) }
                try deliver(exactly: size, expected: nil)
                var crlfBudget = 2
                let terminator: String?
                do { terminator = try readLine(budget: &crlfBudget) } catch {
                    throw .truncatedBody(received: received, expected: nil, detail: "malformed chunked encoding")
                }
                guard terminator == "" else {
                    throw .truncatedBody(received: received, expected: nil, detail: "malformed chunked encoding")
                }
            }
        }
    }

    /// Whether unread bytes are left in the buffer (a server that sent more than it framed).
    var hasUnreadBytes: Bool { start != end }
}
