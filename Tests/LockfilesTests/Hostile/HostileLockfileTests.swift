import Foundation
import Lockfiles
import Testing
import TestSupport

/// The lockfile parsers against hostile documents (issue 8): a named error or a value, in bounded
/// time, never a crash (deep nesting must not exhaust the stack).
@Suite struct HostileLockfileTests {
    static let jsonCases = HostileJSON.all(fields: ["version", "repository", "refs", "lockfileVersion", "packages",
                                                    "dependencies"])
    static let lockURL = URL(fileURLWithPath: "/hostile/package-lock.json")

    @Test(arguments: jsonCases)
    func npmLockfileParserStaysBounded(_ hostile: HostileJSON.Case) {
        let elapsed = HostileJSON.timed { _ = try? NPMLockfileParser.parse(hostile.data, file: Self.lockURL) }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }

    static let yamlCases: [HostileJSON.Case] = {
        func c(_ name: String, _ text: String) -> HostileJSON.Case { HostileJSON.Case(name: name, data: Data(text.utf8)) }
        var indented = "lockfileVersion: '9.0'\npackages:\n"
        for level in 0..<1_000 { indented += String(repeating: " ", count: 2 * (level + 1)) + "k\(level):\n" }
        var list = "lockfileVersion: '9.0'\npackages:\n"
        for level in 0..<1_000 { list += String(repeating: " ", count: 2 * (level + 1)) + "-\n" }
        return [
            c("flow mapping nesting", "lockfileVersion: '9.0'\npackages: " + String(repeating: "{a: ", count: 100_000)),
            c("flow sequence nesting", "lockfileVersion: '9.0'\npackages: " + String(repeating: "[", count: 100_000)),
            c("block mapping nesting 1000", indented),
            c("block sequence nesting 1000", list),
            c("huge scalar", "lockfileVersion: " + String(repeating: "9", count: 100_000)),
            c("unterminated quote", "lockfileVersion: '9.0\npackages:\n  'a@1:\n"),
            c("tabs and NULs", "lockfileVersion:\t'9.0'\u{0}\npackages:\n\t\u{0}x: y\n"),
            c("anchors and aliases", "lockfileVersion: '9.0'\na: &x [1, 2]\nb: [*x, *x, *x]\npackages:\n  *x: 1\n"),
            c("yarn deep indentation", "# yarn lockfile v1\n\n" + (0..<2_000).map { String(repeating: " ", count: $0) + "a \"b\"\n" }.joined()),
            c("yarn 20k entries", "# yarn lockfile v1\n\n" + (0..<20_000).map { "p\($0)@1:\n  version \"1\"\n" }.joined()),
            c("invalid UTF-8", String(decoding: [0x6c, 0xff, 0xfe, 0x3a, 0x20, 0xc3, 0x28, 0x0a], as: UTF8.self)),
        ]
    }()

    @Test(arguments: yamlCases)
    func textLockfileParsersStayBounded(_ hostile: HostileJSON.Case) {
        let elapsed = HostileJSON.timed {
            _ = try? PnpmLockfileParser.parse(hostile.data, file: URL(fileURLWithPath: "/hostile/pnpm-lock.yaml"))
            _ = try? YarnLockfileParser.parse(hostile.data, file: URL(fileURLWithPath: "/hostile/yarn.lock"))
        }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }
}
