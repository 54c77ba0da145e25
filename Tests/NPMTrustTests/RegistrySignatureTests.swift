import Foundation
import Testing
import TestSupport
@testable import NPMTrust

/// The real `dist.signatures` records in Fixtures/npm/signatures.json.
struct SignatureRecord: Decodable {
    let name: String
    let version: String
    let integrity: String
    let signatures: [PackageVersionEvidence.RegistrySignature]

    static func all() throws -> [SignatureRecord] {
        struct File: Decodable { let records: [SignatureRecord] }
        return try JSONDecoder().decode(File.self, from: Fixtures.data("npm/signatures.json")).records
    }

    /// These versions were all published before the old key expired (2025-01-29); the fixture does not record
    /// their exact publish times, so tests use an instant safely before the expiry.
    static let publishedBeforeExpiry = Date(timeIntervalSince1970: 1_675_965_360)  // 2023-02-09, sigstore@1.0.0's Rekor time

    func evidence(publishTime: Date? = SignatureRecord.publishedBeforeExpiry) -> PackageVersionEvidence {
        PackageVersionEvidence(name: name, version: version, integrity: integrity, publishTime: publishTime,
                               signatures: signatures, attestations: nil, npmUser: nil)
    }
}

@Suite struct RegistrySignatureTests {
    let keys = RegistryKeysAvailability.keys(TrustedRegistryKeys.npmPublicRegistry)

    @Test func everyRealSignatureVerifies() throws {
        let records = try SignatureRecord.all()
        #expect(records.count >= 4)
        for record in records {
            let checks = RegistrySignatureVerifier.verify(record.evidence(), keys: keys)
            #expect(checks.count == record.signatures.count)
            let reasons = checks.map(\.reason).joined(separator: "; ")
            let allOK = checks.allSatisfy(\.ok)
            #expect(allOK, Comment(rawValue: "\(record.name)@\(record.version): \(reasons)"))
        }
    }

    @Test func missingPublishTimeUsesTheNpmCutoff() throws {
        let record = try SignatureRecord.all()[0]
        let checks = RegistrySignatureVerifier.verify(record.evidence(publishTime: nil), keys: keys)
        #expect(checks.map(\.status) == [.verified])
    }

    @Test func expiredKeyAtPublishTimeFails() throws {
        let record = try SignatureRecord.all()[0]
        let afterExpiry = Date(timeIntervalSince1970: 1_738_108_800)  // exactly 2025-01-29T00:00:00Z
        let checks = RegistrySignatureVerifier.verify(record.evidence(publishTime: afterExpiry), keys: keys)
        #expect(checks.map(\.status) == [.keyExpired])
        #expect(checks[0].reason.contains("2025-01-29"))
    }

    @Test func mutationsFailWithTheirOwnReason() throws {
        let record = try SignatureRecord.all()[1]  // sigstore@1.0.0
        let good = record.evidence()

        var otherVersion = good
        otherVersion.version = "1.0.1"
        #expect(RegistrySignatureVerifier.verify(otherVersion, keys: keys).map(\.status) == [.badSignature])

        var otherIntegrity = good
        otherIntegrity.integrity = try #require(SignatureRecord.all().first { $0.name == "kms-demo" }).integrity
        #expect(RegistrySignatureVerifier.verify(otherIntegrity, keys: keys).map(\.status) == [.badSignature])

        var flipped = good
        var sig = try #require(Data(base64Encoded: good.signatures[0].sig))
        sig[sig.count - 3] ^= 0x01
        flipped.signatures[0].sig = sig.base64EncodedString()
        #expect(RegistrySignatureVerifier.verify(flipped, keys: keys).map(\.status) == [.badSignature])

        var garbage = good
        garbage.signatures[0].sig = "%%%"
        #expect(RegistrySignatureVerifier.verify(garbage, keys: keys).map(\.status) == [.malformedSignature])

        var unknownKey = good
        unknownKey.signatures[0].keyid = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        #expect(RegistrySignatureVerifier.verify(unknownKey, keys: keys).map(\.status) == [.unknownKey])

        var wrongKey = good  // the new key's id: a known key, but not the one that signed
        wrongKey.signatures[0].keyid = "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U"
        #expect(RegistrySignatureVerifier.verify(wrongKey, keys: keys).map(\.status) == [.badSignature])

        var oneBadOfTwo = good
        oneBadOfTwo.signatures.append(unknownKey.signatures[0])
        let statuses = RegistrySignatureVerifier.verify(oneBadOfTwo, keys: keys).map(\.status)
        #expect(statuses == [.verified, .unknownKey])
        let report = TrustReport(evidence: oneBadOfTwo, signatures: RegistrySignatureVerifier.verify(oneBadOfTwo, keys: keys), attestations: [])
        #expect(!report.ok)
    }

    @Test func noSignaturesAndNoKeysAreNeverVerified() throws {
        var unsigned = try SignatureRecord.all()[0].evidence()
        unsigned.signatures = []
        let missing = RegistrySignatureVerifier.verify(unsigned, keys: keys)
        #expect(missing.map(\.status) == [.noSignatures])
        #expect(!TrustReport(evidence: unsigned, signatures: missing, attestations: []).ok)

        let signed = try SignatureRecord.all()[0].evidence()
        let noKeys = RegistrySignatureVerifier.verify(signed, keys: .registryHasNoKeys(source: "http://127.0.0.1/-/npm/v1/keys"))
        #expect(noKeys.map(\.status) == [.skippedNoKeys])
        let report = TrustReport(evidence: signed, signatures: noKeys, attestations: [])
        #expect(!report.ok)
        #expect(report.skipped.count == 1)
        #expect(report.trustLevel == .none)
    }

    @Test func reportEncodesTheDocumentedFields() throws {
        let record = try SignatureRecord.all()[0]
        let report = TrustReport(evidence: record.evidence(), signatures: RegistrySignatureVerifier.verify(record.evidence(), keys: keys), attestations: [])
        #expect(report.ok)
        #expect(report.trustLevel == .registrySignature)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(json["ok"] as? Bool == true)
        let signatures = try #require(json["signatures"] as? [[String: Any]])
        #expect(signatures.first?["keyid"] as? String == record.signatures[0].keyid)
        #expect(signatures.first?["ok"] as? Bool == true)
        #expect(signatures.first?["reason"] is String)
        #expect(json["attestations"] is [Any])
        let decoded = try JSONDecoder().decode(TrustReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}
