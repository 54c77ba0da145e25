import Foundation
import TestSupport
import Testing

@testable import Sigstore

/// Truncated and bit-flipped inputs never crash and never parse into something that verifies.
@Suite struct MalformedInputTests {
    @Test func truncatedCertificatesAreRejected() throws {
        let (_, leaf, _) = try #require(X509Fixtures.npmProvenanceLeaves().first)
        var rejected = 0
        for length in 0..<leaf.derEncoded.count {
            if (try? Certificate(derEncoded: Array(leaf.derEncoded.prefix(length)))) == nil { rejected += 1 }
        }
        #expect(rejected == leaf.derEncoded.count)
        #expect(throws: CryptoError.self) { try SCTVerifier.embeddedSCTs(in: Certificate(derEncoded: Array(leaf.derEncoded.dropLast()))) }
    }

    @Test func bitFlippedCertificatesNeverVerifyUnderTheRealIssuer() throws {
        let authorities = try FulcioPathTests.authorities("sigstore/trusted_root.production.json")
        let (_, leaf, time) = try #require(X509Fixtures.npmProvenanceLeaves().first)
        let count = Int(ProcessInfo.processInfo.environment["PROVCHECK_FLIP_COUNT"] ?? "") ?? 150
        var generator = SystemRandomNumberGenerator()
        var parsed = 0
        for _ in 0..<count {
            var bytes = leaf.derEncoded
            let index = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            guard let mutated = try? Certificate(derEncoded: bytes) else { continue }
            parsed += 1
            let verdict = CertificatePathValidator.fulcio(authorities: authorities, at: time).validate(mutated, at: time)
            // A flip in the TBS breaks the signature; flips elsewhere fail to parse or to verify.
            if verdict.isValid {
                #expect(mutated.tbsCertificate == leaf.tbsCertificate, "a TBS mutation validated")
            }
        }
        print("bit-flipped leaves that still parsed: \(parsed)/\(count)")
    }

    @Test func malformedKeysAndSignaturesAreRejected() throws {
        let keyB64 = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="
        let der = X509Fixtures.b64(keyB64)
        for length in 0..<der.count {
            #expect((try? PublicKey(derSubjectPublicKeyInfo: Array(der.prefix(length)))) == nil)
        }
        // A point that is not on the curve.
        var offCurve = der
        offCurve[offCurve.count - 1] ^= 0x01
        #expect((try? PublicKey(derSubjectPublicKeyInfo: offCurve)) == nil)
        let key = try PublicKey(derSubjectPublicKeyInfo: der)
        #expect(!key.isValidSignature([0x30, 0x00], for: [1, 2, 3], algorithm: .ecdsa(.sha256)))
        #expect(!key.isValidSignature(Array(repeating: 0xff, count: 72), for: [1, 2, 3], algorithm: .ecdsa(.sha256)))
        #expect(!key.isValidSignature([0x30], forDigest: Array(repeating: 0, count: 32), algorithm: .ecdsa(.sha256)))
        #expect(!key.isValidSignature([0x30], forDigest: Array(repeating: 0, count: 31), algorithm: .ecdsa(.sha256)))
    }
}
