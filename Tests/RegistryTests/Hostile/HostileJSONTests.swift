import Foundation
import JSON
import Registry
import Testing
import TestSupport

/// Registry JSON parsers against hostile documents (issue 8): a typed error or a value, in bounded time.
@Suite struct HostileRegistryJSONTests {
    static let cases = HostileJSON.all(fields: ["name", "versions", "dist-tags", "time", "attestations"])
    static let url = URL(string: "http://127.0.0.1/hostile")!

    @Test(arguments: cases)
    func packumentAndAttestationsParsersStayBounded(_ hostile: HostileJSON.Case) throws {
        let elapsed = HostileJSON.timed {
            _ = try? RawJSON(parsing: hostile.data)
            if let packument = try? Packument.decode(hostile.data, from: Self.url) {
                #expect(!hostile.name.contains("nesting"), "accepted \(hostile)")
                _ = packument.versions.count
            }
            _ = try? AttestationsResponse.decode(hostile.data, from: Self.url)
        }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }

    @Test func nestingBombIsASyntaxErrorNamingTheURL() {
        let bomb = Data(String(repeating: "[", count: 100_000).utf8)
        #expect(throws: RegistryError.self) { try Packument.decode(bomb, from: Self.url) }
        do {
            _ = try Packument.decode(bomb, from: Self.url)
        } catch {
            #expect(error.description.contains("127.0.0.1/hostile"), "\(error)")
        }
    }
}
