import Foundation

/// Hostile JSON documents for parser-hardening tests (issue 8): nesting bombs, huge numbers and strings, many keys,
/// invalid UTF-8 and lone surrogates. Every parser fed these must throw a typed error or return, quickly.
public enum HostileJSON {
    /// A named hostile document.
    public struct Case: Sendable, CustomStringConvertible {
        /// What it is.
        public let name: String
        /// The bytes.
        public let data: Data
        public var description: String { name }

        /// Creates a case.
        public init(name: String, data: Data) {
            self.name = name
            self.data = data
        }
    }

    /// `depth` nested arrays / objects.
    public static func nestingBombs(depth: Int = 100_000) -> [Case] {
        [
            Case(name: "array nesting \(depth)", data: Data(String(repeating: "[", count: depth).utf8)),
            Case(name: "closed array nesting \(depth)",
                 data: Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)),
            Case(name: "object nesting \(depth)", data: Data(String(repeating: "{\"a\":", count: depth).utf8)),
            Case(name: "nesting inside a field \(depth)",
                 data: Data(("{\"name\":\"x\",\"versions\":" + String(repeating: "{\"a\":", count: depth)).utf8)),
        ]
    }

    /// Documents of the expected top-level shape whose `fields` hold hostile scalars.
    public static func hostileScalars(fields: [String]) -> [Case] {
        let scalars: [(String, String)] = [
            ("1e999999", "1e999999"),
            ("-1e999999", "-1e999999"),
            ("1e-999999", "1e-999999"),
            ("100k digits", String(repeating: "9", count: 100_000)),
            ("2^63", "9223372036854775808"),
            ("-2^63-1", "-9223372036854775809"),
            ("-0", "-0"),
            ("NaN", "NaN"),
            ("2 MB string", "\"" + String(repeating: "A", count: 2 << 20) + "\""),
            ("lone surrogate", "\"\\ud800\""),
            ("NUL escape", "\"a\\u0000b\""),
        ]
        return fields.flatMap { field in
            scalars.map { name, value in Case(name: "\(field) = \(name)", data: Data("{\"\(field)\":\(value)}".utf8)) }
        }
    }

    /// Structural oddities: many keys, duplicate keys, invalid UTF-8, BOM, trailing garbage, empty input.
    public static func oddities() -> [Case] {
        var manyKeys = "{"
        for i in 0..<100_000 { manyKeys += "\"k\(i)\":\(i)," }
        manyKeys += "\"end\":0}"
        return [
            Case(name: "100k keys", data: Data(manyKeys.utf8)),
            Case(name: "duplicate keys", data: Data("{\"name\":\"a\",\"name\":\"b\",\"mediaType\":1,\"mediaType\":2}".utf8)),
            Case(name: "invalid UTF-8", data: Data([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
            Case(name: "BOM", data: Data([0xef, 0xbb, 0xbf]) + Data("{}".utf8)),
            Case(name: "trailing garbage", data: Data("{} {}".utf8)),
            Case(name: "empty", data: Data()),
            Case(name: "NUL bytes", data: Data(repeating: 0, count: 1024)),
            Case(name: "1M element array", data: Data(("[" + String(repeating: "0,", count: 1_000_000) + "0]").utf8)),
        ]
    }

    /// Every case, with `fields` for the scalar cases.
    public static func all(fields: [String]) -> [Case] {
        nestingBombs() + hostileScalars(fields: fields) + oddities()
    }

    /// Runs `body` and returns how long it took (for "bounded time" expectations).
    public static func timed(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return clock.now - start
    }
}
