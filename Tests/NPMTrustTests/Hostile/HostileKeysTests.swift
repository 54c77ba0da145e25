import Foundation
import NPMTrust
import Testing
import TestSupport

/// The registry keys parser against hostile documents (issue 8).
@Suite struct HostileKeysTests {
    static let cases = HostileJSON.all(fields: ["keys"]) + [
        HostileJSON.Case(name: "key with 1 MB base64", data: Data(("{\"keys\":[{\"expires\":null,\"keyid\":\"SHA256:x\",\"keytype\":\"ecdsa-sha2-nistp256\",\"scheme\":\"ecdsa-sha2-nistp256\",\"key\":\"" + String(repeating: "QUFB", count: 1 << 18) + "\"}]}").utf8)),
        HostileJSON.Case(name: "expires far future", data: Data("{\"keys\":[{\"expires\":\"99999-12-31T23:59:59.999Z\",\"keyid\":\"k\",\"keytype\":\"ecdsa-sha2-nistp256\",\"scheme\":\"ecdsa-sha2-nistp256\",\"key\":\"AA==\"}]}".utf8)),
    ]

    @Test(arguments: cases)
    func keysParserFailsClosedInBoundedTime(_ hostile: HostileJSON.Case) {
        let elapsed = HostileJSON.timed {
            #expect(throws: (any Error).self, "\(hostile) was accepted") {
                try TrustedRegistryKeys(json: hostile.data, source: "hostile-keys.json")
            }
        }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }
}
