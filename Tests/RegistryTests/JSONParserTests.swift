import Foundation
import JSON
import Registry
import Testing
import TestSupport

@Suite struct JSONParserTests {
    @Test func parsesValuesEscapesAndNumbers() throws {
        let json = try RawJSON(parsing: Data(#"""
            {"a": [1, -0.5, 2e10, 1E-3, true, false, null], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00x", "dup": 1, "dup": 2,
             "ü": "ü", "empty": {}, "list": []}
            """#.utf8))
        #expect(json["a"] == [1, .number("-0.5"), .number("2e10"), .number("1E-3"), true, false, nil])
        #expect(json["s"] == .string("q\"\\/\u{08}\u{0C}\n\r\té😀x"))
        #expect(json["dup"] == 2)
        #expect(json["ü"] == "ü")
        #expect(json["empty"] == .object([:]))
        #expect(json["list"] == .array([]))
    }

    @Test(arguments: [
        ("", 0, "empty document"), ("{", 1, "unexpected end of data in an object"), ("[1,]", 3, "unexpected character ']'"),
        ("{\"a\" 1}", 5, "expected ':'"), ("01", 1, "unexpected data after"), ("-", 0, "invalid number"),
        ("1.", 0, "no digits after '.'"), ("\"abc", 0, "unterminated string"), ("\"\\x\"", 1, "invalid escape"),
        ("\"\\ud800\"", 7, "unpaired UTF-16 surrogate"), ("tru", 0, "invalid literal"), ("[1] x", 4, "unexpected data"),
        ("\"a\u{01}\"", 2, "unescaped control character"),
    ])
    func rejectsInvalidJSONWithOffset(text: String, offset: Int, message: String) {
        do {
            _ = try RawJSON(parsing: Data(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONSyntaxError.self) { try RawJSON(parsing: Data([0x22, 0xC3, 0x28, 0x22])) }
        #expect(throws: JSONSyntaxError.self) {
            try RawJSON(parsing: Data((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8))
        }
    }

    /// Differential check against Foundation's JSONSerialization on every JSON fixture.
    @Test func agreesWithJSONSerializationOnEveryFixture() throws {
        let root = Fixtures.root.appendingPathComponent("npm")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
        #expect(files.count > 30)
        for file in files {
            let data = try Data(contentsOf: file)
            let ours = try RawJSON(parsing: data)
            let reference = try JSONSerialization.jsonObject(with: data) as! NSObject
            let roundTrip = try JSONSerialization.jsonObject(with: ours.encoded()) as! NSObject
            #expect(reference.isEqual(roundTrip), "\(file.lastPathComponent)")
            #expect(try RawJSON(parsing: ours.encoded()) == ours)
        }
    }
}
