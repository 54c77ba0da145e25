import Foundation
import TestSupport
import Testing

@testable import Sigstore

@Suite struct RFC3161Tests {
    static func authorities(_ relativePath: String) throws -> [TimestampAuthority] {
        try X509Fixtures.certificateAuthorities(relativePath, key: "timestampAuthorities").map {
            TimestampAuthority(certificateChain: $0.chain, validFrom: $0.start, validUntil: $0.end)
        }
    }

    struct Material {
        let token: [UInt8]
        let signedData: [UInt8]
        let authorities: [TimestampAuthority]
    }

    struct NoTimestamp: Error {}

    static func material(_ name: String) throws -> Material {
        let dir = "sigstore/conformance/bundle-verify/\(name)"
        let bundle = try X509Fixtures.json("\(dir)/bundle.sigstore.json")
        guard let material = bundle["verificationMaterial"] as? [String: Any],
            let timestamps = (material["timestampVerificationData"] as? [String: Any])?["rfc3161Timestamps"] as? [[String: Any]],
            !timestamps.isEmpty
        else { throw NoTimestamp() }
        let signature: String
        if let envelope = bundle["dsseEnvelope"] as? [String: Any] {
            signature = (envelope["signatures"] as! [[String: Any]])[0]["sig"] as! String
        } else {
            signature = (bundle["messageSignature"] as! [String: Any])["signature"] as! String
        }
        let rootPath = (try? Fixtures.url("\(dir)/trusted_root.json")) != nil
            ? "\(dir)/trusted_root.json" : "sigstore/conformance/trusted_roots/production.trusted_root.json"
        return Material(
            token: X509Fixtures.b64(timestamps[0]["signedTimestamp"] as! String),
            signedData: X509Fixtures.b64(signature),
            authorities: try authorities(rootPath))
    }

    /// Conformance cases whose RFC 3161 timestamp must be rejected, with the reason.
    static let expectedFailures: [String: TimestampError.Code] = [
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail": .noAuthorityValidAtTime,
        "rekor2-timestamp-outside-tsa-cert-validity_fail": .untrustedSignature,
        "rekor2-timestamp-payload-mismatch_fail": .imprintMismatch,
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": .untrustedSignature,
    ]

    @Test func conformanceTimestamps() throws {
        let dir = try Fixtures.url("sigstore/conformance/bundle-verify")
        var verified = 0
        var rejected = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            guard name != "rekor2-dsse-invalid-sig_fail",  // the signature itself is corrupted; not a timestamp case
                let material = try? Self.material(name)
            else { continue }
            do {
                let time = try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: material.authorities)
                #expect(Self.expectedFailures[name] == nil, "\(name) verified at \(time) but should fail")
                let info = try RFC3161Verifier.parse(token: material.token)
                #expect(info.generationTime == time)
                #expect(info.hashAlgorithm != nil)
                verified += 1
            } catch let error as TimestampError {
                #expect(Self.expectedFailures[name] == error.code, "\(name): \(error)")
                rejected += 1
            }
        }
        print("RFC 3161 conformance timestamps: \(verified) verified, \(rejected) rejected as expected")
        #expect(verified >= 12)
        #expect(rejected == Self.expectedFailures.count)
    }

    @Test func endOfAuthorityValidityIsInclusive() throws {
        let material = try Self.material("trust-root-tsa-validity-end-inclusive")
        let time = try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: material.authorities)
        #expect(material.authorities.contains { $0.validUntil == time })
        // One second less of validity and it fails.
        let shortened = material.authorities.map {
            TimestampAuthority(certificateChain: $0.certificateChain, validFrom: $0.validFrom, validUntil: $0.validUntil?.addingTimeInterval(-1))
        }
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: shortened) }
    }

    @Test func mutationsFail() throws {
        let material = try Self.material("rekor2-timestamp-with-embedded-cert")
        _ = try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: material.authorities)
        // Other data.
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: material.token, signedData: material.signedData + [0], authorities: material.authorities) }
        // No authorities.
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: []) }
        // Another TSA (the production root's) does not vouch for it.
        let other = try Self.authorities("sigstore/conformance/trusted_roots/production.trusted_root.json")
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: material.token, signedData: material.signedData, authorities: other) }
        // Garbage and truncation.
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: [0x30, 0x00], signedData: material.signedData, authorities: material.authorities) }
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: Array(material.token.dropLast(10)), signedData: material.signedData, authorities: material.authorities) }
        // A flipped byte in the signature region (the last bytes of the token) breaks the CMS signature.
        var flipped = material.token
        flipped[flipped.count - 8] ^= 0x01
        #expect(throws: TimestampError.self) { try RFC3161Verifier.verify(token: flipped, signedData: material.signedData, authorities: material.authorities) }
    }
}
