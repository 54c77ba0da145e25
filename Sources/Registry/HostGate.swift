import Foundation

/// Politeness per host: at most `connectionsPerHost` requests in flight to one host (HTTP/1.1 carries one request per
/// connection, so this bounds the connections too), and a pause for every request to a host after it answered 429
/// or 503, until its `Retry-After` (or the backoff) has passed. Waiters are served in arrival order.
actor HostGate {
    private struct Host {
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Monotonic nanoseconds before which no request starts.
        var pausedUntil: UInt64 = 0
    }

    private let connectionsPerHost: Int
    private var hosts: [String: Host] = [:]

    init(connectionsPerHost: Int) { self.connectionsPerHost = max(1, connectionsPerHost) }

    /// The key of `url`'s host (`scheme://host:port`).
    nonisolated static func key(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "http"
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }

    /// Waits for a free slot to `host`, then for any pause to pass.
    /// - Throws: `CancellationError` when the task is cancelled during a pause (the slot is given back).
    func enter(_ host: String) async throws {
        if hosts[host, default: Host()].inFlight < connectionsPerHost {
            hosts[host, default: Host()].inFlight += 1
        } else {
            await withCheckedContinuation { hosts[host, default: Host()].waiters.append($0) }
            // The slot was handed over by `leave`.
        }
        while true {
            let now = monotonicNanoseconds()
            let until = hosts[host]?.pausedUntil ?? 0
            guard until > now else { return }
            do { try await Task.sleep(nanoseconds: until - now) } catch {
                leave(host, pausingFor: nil)
                throw error
            }
        }
    }

    /// Gives the slot back; with `pausingFor`, no request to `host` starts for that many seconds.
    func leave(_ host: String, pausingFor pause: TimeInterval?) {
        if let pause, pause > 0 {
            let until = monotonicNanoseconds() + UInt64(pause * 1e9)
            hosts[host, default: Host()].pausedUntil = max(hosts[host]?.pausedUntil ?? 0, until)
        }
        guard var state = hosts[host] else { return }
        if state.waiters.isEmpty {
            state.inFlight -= 1
            hosts[host] = state
        } else {
            let next = state.waiters.removeFirst()
            hosts[host] = state
            next.resume()
        }
    }

    /// Requests in flight to `host` (for tests).
    func inFlight(_ host: String) -> Int { hosts[host]?.inFlight ?? 0 }
}
