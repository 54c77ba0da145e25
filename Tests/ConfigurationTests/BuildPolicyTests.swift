import Configuration
import Foundation
import Testing

/// The policy key `build` (`auto` | `never`) that turns on sandboxed builds for `audit --rebuild` and `watch`.
struct BuildPolicyTests {
    @Test func buildDefaultsToNeverAndReadsAutoFromJSONAndTOML() throws {
        #expect(PolicyDocument.default.build == .never)
        #expect(try PolicyDocument.parse(Data(#"{"build": "auto"}"#.utf8)).build == .auto)
        #expect(try PolicyDocument.parse(Data(#"{"build": "never"}"#.utf8)).build == .never)
        #expect(try PolicyDocument.parse(Data("build = \"auto\"\n".utf8), format: .toml).build == .auto)
    }

    @Test func anythingElseIsAnErrorNamingTheField() {
        #expect { try PolicyDocument.parse(Data(#"{"build": true}"#.utf8), source: "p.json") } throws: {
            "\($0)".contains("\"build\"") && "\($0)".contains("\"auto\"")
        }
        #expect { try PolicyDocument.parse(Data(#"{"build": "always"}"#.utf8), source: "p.json") } throws: {
            "\($0)".contains("\"build\"")
        }
    }
}
