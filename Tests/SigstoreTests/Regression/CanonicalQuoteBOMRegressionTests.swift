import Foundation
import JSON
import Registry
@testable import Sigstore
import Testing

/// Regression (fuzz-canonical-json, 2026-11-28, inputs `EF BB BF` and a BOM after `\`): Rekor's canonical quoting
/// must keep a U+FEFF inside a string byte for byte (Go's encoder does), also after a character it escapes, and
/// provcheck's own JSON parser must read it back. The findings were in the harness's oracle: Foundation's
/// `JSONSerialization` drops a U+FEFF at the start of a string value and right after an escape sequence
/// (`"\u{FEFF}a"` and `"\\n\u{FEFF}a"` lose it; `JSONDecoder` keeps it), so the harness now checks with provcheck's
/// parser and compares with Foundation only with the U+FEFFs removed.
@Suite struct CanonicalQuoteBOMRegressionTests {
    @Test func leadingByteOrderMarkRoundTrips() throws {
        for text in ["\u{FEFF}", "\u{FEFF}a", "a\u{FEFF}", "\u{FEFF}\u{FEFF}"] {
            let quoted = RekorCanonicalJSON.quote(text)
            #expect(Array(quoted.utf8) == [0x22] + Array(text.utf8) + [0x22], "quoted raw, unescaped: \(quoted.debugDescription)")
            #expect(try RawJSON(parsing: Data(quoted.utf8)) == .string(text))
        }
        for text in ["\\\u{FEFF}x", "\n\u{FEFF}", "\t\t\u{FEFF}\\"] {
            #expect(try RawJSON(parsing: Data(RekorCanonicalJSON.quote(text).utf8)) == .string(text), "\(text.debugDescription)")
        }
    }

}
