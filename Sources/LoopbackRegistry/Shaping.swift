import Foundation
import Registry

/// Network conditions the ``LoopbackRegistry`` imitates for every client alike: a registry some milliseconds away
/// and a bounded bandwidth per connection. Used by `Scripts/bench-audit.sh` so `npm` and `provcheck` are measured
/// against the same distant-looking server.
///
/// - ``responseDelay`` is waited once when a connection is accepted (the TCP handshake's round trip) and once before
///   each response head (the request's round trip).
/// - ``bytesPerSecondPerConnection`` paces the bytes written on each connection (heads and bodies).
public struct NetworkShaping: Sendable, Hashable {
    /// Seconds waited before each response and once per new connection; `0` answers at once.
    public var responseDelay: TimeInterval
    /// Bytes per second written on one connection; `nil` for no limit.
    public var bytesPerSecondPerConnection: Int?

    /// No shaping: answers at once, at loopback speed.
    public static let none = NetworkShaping()

    /// Creates shaping settings.
    public init(responseDelay: TimeInterval = 0, bytesPerSecondPerConnection: Int? = nil) {
        self.responseDelay = max(0, responseDelay)
        self.bytesPerSecondPerConnection = bytesPerSecondPerConnection.map { max(1, $0) }
    }

    /// Settings from milliseconds of delay and megabits per second per connection (`nil`/`0`: unlimited).
    public init(delayMilliseconds: Double, megabitsPerSecond: Double?) {
        let rate = megabitsPerSecond.flatMap { $0 > 0 ? Int($0 * 1_000_000 / 8) : nil }
        self.init(responseDelay: delayMilliseconds / 1000, bytesPerSecondPerConnection: rate)
    }
}

/// What the registry has sent so far (answers to the stats endpoint are not counted).
public struct TrafficStatistics: Sendable, Hashable {
    /// Bytes written to clients: response heads and bodies.
    public var bytesSent: Int
    /// Requests answered or in flight.
    public var requests: Int
    /// Connections accepted.
    public var connections: Int
}

/// Paces one connection's writes to a rate: after each write, sleeps until the bytes written so far on the
/// connection could have left at `bytesPerSecond`.
struct ConnectionPacer {
    let bytesPerSecond: Int?
    private var start: UInt64 = 0
    private var sent = 0

    init(bytesPerSecond: Int?) { self.bytesPerSecond = bytesPerSecond }

    /// Accounts for `count` bytes just written and sleeps while the connection is ahead of its rate.
    mutating func wrote(_ count: Int) {
        guard let rate = bytesPerSecond, count > 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        // A connection idle for longer than its backlog needs starts a fresh budget (no burst credit).
        let due = start + UInt64(Double(sent) / Double(rate) * 1e9)
        if sent == 0 || now > due {
            start = now
            sent = 0
        }
        sent += count
        let until = start + UInt64(Double(sent) / Double(rate) * 1e9)
        if until > now { usleep(useconds_t(min(UInt64(UInt32.max), (until - now) / 1000))) }
    }
}

extension Router {
    /// The media type of npm's abbreviated ("corgi") packument.
    static let abbreviatedMediaType = "application/vnd.npm.install-v1+json"

    /// Whether the request's `Accept` asks for the abbreviated packument (as npm's installer does).
    static func wantsAbbreviated(_ request: HTTPRequest) -> Bool {
        guard let accept = request.headers["accept"]?.lowercased() else { return false }
        for part in accept.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.first == abbreviatedMediaType else { continue }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// Version fields the registry keeps in abbreviated packuments (npm's registry documentation,
    /// "Abbreviated metadata format").
    static let abbreviatedVersionFields: Set<String> = [
        "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
        "bundleDependencies", "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
        "bin", "directories", "dist", "engines", "_hasShrinkwrap", "hasInstallScript", "cpu", "os", "libc",
    ]

    /// The abbreviated twin of a full packument: `name`, `modified` (from `time.modified`), `dist-tags` and each
    /// version reduced to ``abbreviatedVersionFields`` (so `dist` with integrity, signatures and attestations stays;
    /// `time`, `readme`, `repository`, `_npmUser`, `gitHead` go).
    static func abbreviate(_ packument: JSONValue) -> JSONValue {
        var result: JSONValue = [:]
        if let name = packument["name"] { result["name"] = name }
        if let modified = packument["time"]?["modified"] ?? packument["modified"] { result["modified"] = modified }
        if let tags = packument["dist-tags"] { result["dist-tags"] = tags }
        if let versions = packument["versions"]?.objectValue {
            var reduced: [String: JSONValue] = [:]
            for (version, manifest) in versions {
                guard let fields = manifest.objectValue else {
                    reduced[version] = manifest
                    continue
                }
                reduced[version] = .object(fields.filter { abbreviatedVersionFields.contains($0.key) })
            }
            result["versions"] = .object(reduced)
        }
        return result
    }
}
