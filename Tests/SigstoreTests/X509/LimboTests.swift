import Foundation
import TestSupport
import Testing

@testable import Sigstore

/// Runs every x509-limbo case in Fixtures/sigstore/x509-limbo through ``CertificatePathValidator``.
@Suite struct LimboTests {
    struct Case: Decodable {
        struct PeerName: Decodable { let kind: String; let value: String }
        let id: String
        let validation_kind: String
        let trusted_certs: [String]
        let untrusted_intermediates: [String]
        let peer_certificate: String
        let validation_time: String?
        let expected_result: String
        let max_chain_depth: Int?
        let extended_key_usage: [String]
        let expected_peer_name: PeerName?
    }

    static func loadCases() throws -> [Case] {
        let dir = try Fixtures.url("sigstore/x509-limbo/cases")
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { try JSONDecoder().decode(Case.self, from: Data(contentsOf: $0)) }
    }

    static func run(_ testCase: Case) throws -> CertificateVerdict {
        let anchors = try testCase.trusted_certs.map { try Certificate(pemEncoded: $0) }
        let intermediates = try testCase.untrusted_intermediates.map { try Certificate(pemEncoded: $0) }
        let leaf = try Certificate(pemEncoded: testCase.peer_certificate)
        let time: Date
        if let text = testCase.validation_time {
            let f = ISO8601DateFormatter()
            f.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            time = try #require(f.date(from: text))
        } else {
            time = Date()
        }
        let eku = testCase.extended_key_usage.map { name -> String in
            switch name {
            case "serverAuth": ExtendedKeyUsageOID.serverAuth
            case "clientAuth": ExtendedKeyUsageOID.clientAuth
            case "codeSigning": ExtendedKeyUsageOID.codeSigning
            default: name
            }
        }
        var policies: [any CertificatePolicy] = [RFC5280ProfilePolicy()]
        let purposes = eku.isEmpty && testCase.validation_kind == "SERVER" ? [ExtendedKeyUsageOID.serverAuth] : eku
        policies.append(ExtendedKeyUsagePolicy(requiredPurposes: purposes))
        if let name = testCase.expected_peer_name {
            policies.append(SubjectNamePolicy(expected: name.kind == "IP" ? .ipAddress(name.value) : .dnsName(name.value)))
        }
        let validator = CertificatePathValidator(
            trustAnchors: anchors, intermediates: intermediates, policies: policies,
            maxChainDepth: testCase.max_chain_depth)
        return validator.validate(leaf, at: time)
    }

    @Test func everyLimboCaseGivesTheExpectedResult() throws {
        let cases = try Self.loadCases()
        var agreed = 0
        var mismatches: [String] = []
        for testCase in cases {
            let verdict: CertificateVerdict
            do { verdict = try Self.run(testCase) } catch {
                verdict = .invalid([PolicyFailure(.malformedCertificate, "parse: \(error)")])
            }
            let expected = testCase.expected_result == "SUCCESS"
            if verdict.isValid == expected {
                agreed += 1
            } else {
                mismatches.append("\(testCase.id): expected \(testCase.expected_result), got \(verdict.isValid ? "SUCCESS" : "FAILURE \(verdict.failures)")")
            }
        }
        print("x509-limbo: \(agreed)/\(cases.count) cases give the expected result")
        for line in mismatches { print("  MISMATCH \(line)") }
        #expect(cases.count == 83)
        #expect(mismatches.isEmpty)
    }
}
