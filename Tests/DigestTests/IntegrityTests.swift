import Foundation
import Testing
@testable import Digest

@Suite struct IntegrityTests {
    static let abc = Data("abc".utf8)
    static let abcSHA512 = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
    static let abcSHA256 = "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    static let abcSHA1 = "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0="

    @Test func parsesSingleHash() throws {
        let integrity = try Integrity(Self.abcSHA512)
        #expect(integrity.hashes.count == 1)
        #expect(integrity.strongestAlgorithm == .sha512)
        #expect(integrity.description == Self.abcSHA512)
        #expect(integrity.verify(data: Self.abc).ok)
        #expect(!integrity.verify(data: Data("abd".utf8)).ok)
    }

    @Test func strongestAlgorithmIsTheOneChecked() throws {
        // The sha1 is wrong on purpose; only sha512 is checked.
        let wrongSHA1 = "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        let integrity = try Integrity("\(wrongSHA1) \(Self.abcSHA512)\t\(Self.abcSHA256)")
        #expect(integrity.strongestAlgorithm == .sha512)
        #expect(integrity.algorithms == [.sha1, .sha256, .sha512])
        let check = integrity.verify(Hashing.digests(of: Self.abc, algorithms: [.sha512]))
        #expect(check.ok)
        #expect(check.expected == Self.abcSHA512)
        #expect(check.actual == Self.abcSHA512)
    }

    @Test func anyOfSeveralStrongestHashesMayMatch() throws {
        let other = "sha512-" + Data(repeating: 7, count: 64).base64EncodedString()
        let integrity = try Integrity("\(other) \(Self.abcSHA512)")
        #expect(integrity.strongestHashes.count == 2)
        #expect(integrity.verify(data: Self.abc).ok)
    }

    @Test func missingAlgorithmInDigestsFailsClosed() throws {
        let integrity = try Integrity(Self.abcSHA512)
        let check = integrity.verify(Hashing.digests(of: Self.abc, algorithms: [.sha1]))
        #expect(!check.ok)
        #expect(check.actual == nil)
    }

    @Test func optionsAreKeptAndRendered() throws {
        let integrity = try Integrity("\(Self.abcSHA256)?foo?bar")
        #expect(integrity.strongest.options == ["foo", "bar"])
        #expect(integrity.description == "\(Self.abcSHA256)?foo?bar")
        #expect(integrity.verify(data: Self.abc).ok)
    }

    @Test func unknownAlgorithmsAreIgnored() throws {
        let integrity = try Integrity("md5-XUFAKrxLKna5cZ2REBfFkg== \(Self.abcSHA1) sha3-256-abc")
        #expect(integrity.ignored == ["md5-XUFAKrxLKna5cZ2REBfFkg==", "sha3-256-abc"])
        #expect(integrity.strongestAlgorithm == .sha1)
        #expect(integrity.verify(data: Self.abc).ok)
    }

    @Test(arguments: [
        ("", IntegrityError.Code.empty),
        ("   ", .empty),
        ("sha512", .malformedToken),
        ("-abc", .malformedToken),
        ("SHA512-abc", .malformedToken),
        ("sha512-", .malformedToken),
        ("sha512-!!!!", .invalidBase64),
        ("sha512-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", .wrongDigestLength),
        ("md5-XUFAKrxLKna5cZ2REBfFkg==", .noSupportedAlgorithm),
    ])
    func malformedStringsAreRejected(input: String, code: IntegrityError.Code) {
        #expect {
            _ = try Integrity(input)
        } throws: { error in
            guard let error = error as? IntegrityError else { return false }
            return error.code == code && error.input == input && error.message.contains("'\(input)'")
                || (code == .empty && error.code == .empty)
        }
    }

    @Test func codableAsSRIString() throws {
        let integrity = try Integrity(Self.abcSHA512)
        let json = try JSONEncoder().encode([integrity])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(Self.abcSHA512.replacingOccurrences(of: "/", with: "\\/"))\"]")
        #expect(try JSONDecoder().decode([Integrity].self, from: json) == [integrity])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Integrity].self, from: Data("[\"sha512-x\"]".utf8)) }
    }

    @Test func shasumChecksSHA1Hex() throws {
        let shasum = try Shasum("A9993E364706816ABA3E25717850C26C9CD0D89D")
        #expect(shasum.hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(shasum.integrity.description == Self.abcSHA1)
        let check = shasum.verify(Hashing.digests(of: Self.abc, algorithms: [.sha1, .sha512]))
        #expect(check.ok)
        #expect(check.expected == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(!shasum.verify(Hashing.digests(of: Data("x".utf8), algorithms: [.sha1])).ok)
        #expect(!shasum.verify(Hashing.digests(of: Self.abc, algorithms: [.sha512])).ok)
    }

    @Test(arguments: ["", "abc", "a9993e364706816aba3e25717850c26c9cd0d89", "g9993e364706816aba3e25717850c26c9cd0d89d"])
    func malformedShasumIsRejected(input: String) {
        #expect {
            _ = try Shasum(input)
        } throws: { error in
            (error as? IntegrityError)?.code == .malformedShasum
        }
    }

    @Test func integrityCheckEncodesExpectedActualOk() throws {
        let check = try Integrity(Self.abcSHA512).verify(data: Data("x".utf8))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
        #expect(object?["expected"] as? String == Self.abcSHA512)
        #expect((object?["actual"] as? String)?.hasPrefix("sha512-") == true)
        #expect(check.description.contains("MISMATCH"))
    }
}
