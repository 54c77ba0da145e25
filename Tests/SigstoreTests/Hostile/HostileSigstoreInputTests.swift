import Foundation
import Testing
import TestSupport
@testable import Sigstore

/// Sigstore parsers against hostile inputs (issue 8): JSON bombs for bundles, trusted roots and statements;
/// certificates with odd lengths and extensions; SCT lists with lying lengths. A typed error or a value, quickly.
@Suite struct HostileSigstoreInputTests {
    static let jsonCases = HostileJSON.all(fields: ["mediaType", "verificationMaterial", "dsseEnvelope", "tlogs",
                                                    "certificateAuthorities", "_type", "subject"])

    @Test(arguments: jsonCases)
    func bundleRootAndStatementParsersFailClosed(_ hostile: HostileJSON.Case) {
        let elapsed = HostileJSON.timed {
            #expect(throws: (any Error).self) { try SigstoreBundle.parse(hostile.data, source: "hostile.sigstore.json") }
            #expect(throws: (any Error).self) { try TrustedRoot.parse(hostile.data, source: "hostile-root.json") }
            #expect(throws: (any Error).self) { try InTotoStatement.parse(hostile.data, source: "hostile statement") }
        }
        #expect(elapsed < .seconds(30), "\(hostile): \(elapsed)")
    }

    @Test func hugeNumbersInTransparencyLogFieldsAreRejected() throws {
        let url = try Fixtures.url("sigstore/conformance/bundle-verify/bundle-with-sct-with-extensions/bundle.sigstore.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((try? SigstoreBundle.parse(Data(text.utf8))) != nil, "the unmodified bundle parses")
        for field in ["logIndex", "integratedTime", "treeSize"] {
            for value in ["99999999999999999999999", "-1", "1e400", "\"-9223372036854775809\"", "1.5", "\"\""] {
                let mutated = Self.replacingNumber(field, with: value, in: text)
                guard mutated != text else { continue }
                let result = Result { try SigstoreBundle.parse(Data(mutated.utf8)) }
                if case .success(let bundle) = result {
                    // Accepted only when the value is a valid non-negative Int64 (e.g. "-1" is rejected elsewhere).
                    for entry in bundle.verificationMaterial.tlogEntries {
                        #expect(entry.logIndex >= 0 && entry.integratedTime >= 0, "\(field)=\(value)")
                    }
                }
            }
        }
        _ = object
    }

    static func replacingNumber(_ field: String, with value: String, in text: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: "\"\(field)\"\\s*:\\s*(\"[^\"]*\"|-?[0-9]+)") else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return regex.stringByReplacingMatches(in: text, range: range, withTemplate: "\"\(field)\":\(value)")
    }

    // MARK: certificates

    static func leafDER() throws -> [UInt8] {
        let (_, leaf, _) = try #require(X509Fixtures.npmProvenanceLeaves().first)
        return leaf.derEncoded
    }

    @Test func oddDERLengthsAreRejected() throws {
        let der = try Self.leafDER()
        // The outer SEQUENCE header is 30 82 LL LL.
        #expect(der[0] == 0x30 && der[1] == 0x82)
        let body = Array(der[4...])
        let variants: [(String, [UInt8])] = [
            ("indefinite length", [0x30, 0x80] + body + [0, 0]),
            ("length 2^32-1", [0x30, 0x84, 0xff, 0xff, 0xff, 0xff] + body),
            ("length 2^64-1", [0x30, 0x88] + [UInt8](repeating: 0xff, count: 8) + body),
            ("non-minimal length", [0x30, 0x83, 0x00, der[2], der[3]] + body),
            ("length one short", [0x30, 0x82, der[2], der[3] &- 1] + body),
            ("length one long", [0x30, 0x82, der[2], der[3] &+ 1] + body),
            ("trailing byte", der + [0]),
            ("length 9 bytes", [0x30, 0x89] + [UInt8](repeating: 0x01, count: 9) + body),
            ("high tag number", [0x3f, 0xff, 0xff, 0xff, 0x7f, 0x82, der[2], der[3]] + body),
            ("empty", []),
            ("just a tag", [0x30]),
        ]
        for (name, bytes) in variants {
            #expect(throws: (any Error).self, "\(name) accepted") { try Certificate(derEncoded: bytes) }
        }
    }

    @Test func deeplyNestedAndHugeDERIsRejectedQuickly() {
        var nested: [UInt8] = [0x05, 0x00]
        for _ in 0..<20_000 {
            let n = nested.count
            let length: [UInt8] = n < 128 ? [UInt8(n)] : n < 256 ? [0x81, UInt8(n)] : n < 65_536
                ? [0x82, UInt8(n >> 8), UInt8(n & 0xff)] : [0x83, UInt8(n >> 16), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            nested = [0x30] + length + nested
        }
        let huge: [UInt8] = [0x30, 0x83, 0x10, 0x00, 0x04, 0x04, 0x83, 0x0f, 0xff, 0xfc] + [UInt8](repeating: 0x41, count: 0x0f_fffc)
        let elapsed = HostileJSON.timed {
            #expect(throws: (any Error).self) { try Certificate(derEncoded: nested) }
            #expect(throws: (any Error).self) { try Certificate(derEncoded: huge) }
            _ = try? DER.parse(nested[...]).children()
            #expect(throws: (any Error).self) { try PublicKey(derSubjectPublicKeyInfo: nested) }
        }
        #expect(elapsed < .seconds(30))
    }

    /// The embedded SCT list: overwrite each byte of the list with hostile values (keeping the DER around it
    /// intact); parsing must return SCTs whose fields fit, or throw.
    @Test func sctListsWithLyingLengthsNeverCrash() throws {
        let der = try Self.leafDER()
        let oid: [UInt8] = [0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02]
        let at = try #require((0...(der.count - oid.count)).first { Array(der[$0..<($0 + oid.count)]) == oid })
        // OID, [critical BOOLEAN], extnValue OCTET STRING, the SCT list OCTET STRING, then the TLS list.
        func headerLength(_ i: Int) -> Int { der[i + 1] < 0x80 ? 2 : 2 + Int(der[i + 1] & 0x7f) }
        var listStart = at + oid.count
        if der[listStart] == 0x01 { listStart += 3 }
        #expect(der[listStart] == 0x04)
        listStart += headerLength(listStart)
        #expect(der[listStart] == 0x04)
        listStart += headerLength(listStart)
        var checked = 0
        for offset in listStart..<min(listStart + 140, der.count) {
            for value: UInt8 in [0x00, 0x01, 0x7f, 0x80, 0xff] where der[offset] != value {
                var mutated = der
                mutated[offset] = value
                guard let certificate = try? Certificate(derEncoded: mutated) else { continue }
                checked += 1
                if let scts = try? SCTVerifier.embeddedSCTs(in: certificate) {
                    for sct in scts { #expect(sct.logID.count == 32) }
                }
                _ = try? SCTVerifier.precertificateTBS(of: certificate)
            }
        }
        #expect(checked > 100, "only \(checked) mutated certificates parsed")
    }
}
