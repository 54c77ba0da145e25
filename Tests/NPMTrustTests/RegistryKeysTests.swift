import Foundation
import Testing
import TestSupport
@testable import NPMTrust

@Suite struct RegistryKeysTests {
    @Test func fixtureKeysParseAndKeyidsAreOpenSSHFingerprints() throws {
        let set = try TrustedRegistryKeys(json: Fixtures.data("npm/keys.json"), source: "npm/keys.json")
        #expect(set.keys.map(\.keyid) == [
            "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA",
            "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U",
        ])
        #expect(set.keys[0].expires == Date(timeIntervalSince1970: 1_738_108_800))  // 2025-01-29T00:00:00Z
        #expect(set.keys[1].expires == nil)
        for key in set.keys {
            #expect(key.publicKey.opensshFingerprint == key.keyid)
        }
    }

    @Test func builtInKeysEqualTheFixture() throws {
        let fixture = try TrustedRegistryKeys(json: Fixtures.data("npm/keys.json"), source: "npm/keys.json")
        #expect(TrustedRegistryKeys.npmPublicRegistry.keys == fixture.keys)
        #expect(EmbeddedNPMKeys.json.trimmingCharacters(in: .whitespacesAndNewlines)
            == String(decoding: try Fixtures.data("npm/keys.json"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func keyidThatIsNotTheFingerprintIsRejected() throws {
        var text = String(decoding: try Fixtures.data("npm/keys.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA",
                                         with: "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzB")
        #expect {
            try TrustedRegistryKeys(json: Data(text.utf8), source: "tampered.json")
        } throws: { error in
            guard let error = error as? RegistryKeyError, case .keyidMismatch(let computed) = error.problem else { return false }
            return error.source == "tampered.json" && computed == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
        }
    }

    @Test func swappedKeysAreRejected() throws {
        let keys = try TrustedRegistryKeys(json: Fixtures.data("npm/keys.json"), source: "k").keys
        #expect(throws: RegistryKeyError.self) {
            _ = try TrustedRegistryKey(keyid: keys[0].keyid, keytype: keys[0].keytype, scheme: keys[0].scheme,
                                subjectPublicKeyInfo: keys[1].subjectPublicKeyInfo, expires: nil)
        }
    }

    @Test func unsupportedOrMalformedInputFails() throws {
        let documents: [(String, (RegistryKeyError.Problem) -> Bool)] = [
            (#"{"keys":[{"expires":null,"keyid":"SHA256:x","keytype":"ssh-ed25519","scheme":"ssh-ed25519","key":"AAAA"}]}"#,
             { if case .unsupportedKeyType = $0 { true } else { false } }),
            (#"{"keys":[{"expires":null,"keyid":"SHA256:x","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"AAAA"}]}"#,
             { $0 == .malformedKey }),
            (#"{"keys":[{"expires":"yesterday","keyid":"SHA256:x","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"AAAA"}]}"#,
             { if case .malformedExpiry = $0 { true } else { false } }),
            (#"{"nokeys":[]}"#, { if case .malformedDocument = $0 { true } else { false } }),
            ("not json", { if case .malformedDocument = $0 { true } else { false } }),
        ]
        for (json, matches) in documents {
            #expect {
                try TrustedRegistryKeys(json: Data(json.utf8), source: "bad.json")
            } throws: { error in
                guard let error = error as? RegistryKeyError else { return false }
                return matches(error.problem) && error.description.contains("bad.json")
            }
        }
    }

    @Test func expiryIsStrictlyBefore() throws {
        let key = TrustedRegistryKeys.npmPublicRegistry.keys[0]
        let expires = try #require(key.expires)
        #expect(key.isValid(at: expires.addingTimeInterval(-1)))
        #expect(!key.isValid(at: expires))
        #expect(TrustedRegistryKeys.npmPublicRegistry.keys[1].isValid(at: .distantFuture))
    }

    @Test func purlEncodesTheScope() {
        #expect(NPMPackageURL.purl(name: "gundam-visor", version: "1.0.1") == "pkg:npm/gundam-visor@1.0.1")
        #expect(NPMPackageURL.purl(name: "@trishankatdatadog/supreme-goggles", version: "1.0.5")
            == "pkg:npm/%40trishankatdatadog/supreme-goggles@1.0.5")
    }
}
