import Foundation
import Registry
@testable import Sigstore
import Testing

/// Regression (fuzz-canonical-json, 2026-11-28, input `EF BB BF`): Rekor's canonical quoting must keep a leading
/// U+FEFF inside a string byte for byte (Go's encoder does), and provcheck's own JSON parser must read it back.
/// The finding was in the harness's oracle: Foundation's `JSONSerialization` drops a U+FEFF at the start of a string
/// value (`"\u{FEFF}a"` reads as `"a"`; `JSONDecoder` keeps it), so the harness now checks with provcheck's parser and
/// allows Foundation only that difference.
@Suite struct CanonicalQuoteBOMRegressionTests {
    @Test func leadingByteOrderMarkRoundTrips() throws {
        for text in ["\u{FEFF}", "\u{FEFF}a", "a\u{FEFF}", "\u{FEFF}\u{FEFF}"] {
            let quoted = RekorCanonicalJSON.quote(text)
            #expect(Array(quoted.utf8) == [0x22] + Array(text.utf8) + [0x22], "quoted raw, unescaped: \(quoted.debugDescription)")
            #expect(try RawJSON(parsing: Data(quoted.utf8)) == .string(text))
        }
    }

}
