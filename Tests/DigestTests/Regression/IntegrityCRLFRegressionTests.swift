import Foundation
import Testing
import Digest

/// Regression (found while triaging a fuzz-sri finding): SRI tokens separated by CRLF were not split, because Swift
/// compares grapheme clusters and "\r\n" is a single Character. ssri splits on any whitespace, so a multi-hash
/// integrity written with Windows line endings must still parse into its hashes.
@Suite struct IntegrityCRLFRegressionTests {
    @Test func crlfSeparatesTokens() throws {
        let sha512 = "sha512-" + Data(repeating: 1, count: 64).base64EncodedString()
        let sha1 = "sha1-" + Data(repeating: 2, count: 20).base64EncodedString()
        let integrity = try Integrity(sha512 + "\r\n" + sha1 + "\r\n")
        #expect(integrity.hashes.map(\.algorithm) == [.sha512, .sha1])
        #expect(integrity.description == sha512 + " " + sha1)
    }
}
