import Foundation
import JSON
import Registry
import Testing
import TestSupport
@testable import NPMTrust

/// Provenance is read with provcheck's own JSON parser on the production path (AttestationVerifier →
/// InTotoStatement.parse → ProvenanceFactsExtractor): a repository that starts with U+FEFF is not the real
/// repository. Foundation's `JSONSerialization` drops a leading U+FEFF from a string value, which made such a
/// statement read as the real repository.
@Suite struct ByteOrderMarkProvenanceTests {
    static let repository = "https://github.com/ramonpetgrave64/gundam-visor"

    /// The gundam-visor@1.0.1 provenance envelope with `"<repository>"` in its DSSE payload replaced by
    /// `"\u{FEFF}<repository>"` (bytes edited, nothing else re-serialized).
    static func markedEnvelope() throws -> (AttestationCase, AttestationEnvelope) {
        let testCase = try AttestationCase.load("gundam-visor@1.0.1")
        let envelope = try #require(testCase.envelopes.first { $0.predicateType.hasPrefix("https://slsa.dev/") })
        var bundle = try RawJSON(parsing: try #require(envelope.bundle))
        let payload = try #require(bundle["dsseEnvelope"]?["payload"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        let text = String(decoding: payload, as: UTF8.self)
        let needle = "\"\(repository)\""
        #expect(text.contains(needle))
        let marked = text.replacingOccurrences(of: needle, with: "\"\u{FEFF}\(repository)\"")
        bundle["dsseEnvelope"]?["payload"] = .string(Data(marked.utf8).base64EncodedString())
        return (testCase, AttestationEnvelope(predicateType: envelope.predicateType, bundle: bundle.encoded()))
    }

    @Test func aLeadingByteOrderMarkIsNotTheRealRepository() throws {
        let (testCase, marked) = try Self.markedEnvelope()
        let verifier = AttestationVerifier(bundles: UnverifiedBundles())
        let keys = RegistryKeysAvailability.keys(TrustedRegistryKeys.npmPublicRegistry)
        let others = testCase.envelopes.filter { !$0.predicateType.hasPrefix("https://slsa.dev/") }
        let checks = verifier.verify(others + [marked], evidence: testCase.evidence, keys: keys)
        let facts = try #require(checks.first { $0.isProvenance }?.facts)
        #expect(facts.repository == "\u{FEFF}" + Self.repository)
        #expect(facts.repository != Self.repository)
    }

    @Test func againstTheSigningCertificateItIsAnInconsistency() throws {
        let (testCase, marked) = try Self.markedEnvelope()
        // The certificate (Fulcio extension 12, source repository URI) names the real repository.
        let certificate = SigningCertificateFacts(subjectAlternativeName: nil, issuer: nil,
                                                  extensions: [12: Self.repository])
        let verifier = AttestationVerifier(bundles: UnverifiedBundles(certificate: certificate))
        let keys = RegistryKeysAvailability.keys(TrustedRegistryKeys.npmPublicRegistry)
        let checks = verifier.verify([marked], evidence: testCase.evidence, keys: keys)
        let provenance = try #require(checks.first { $0.isProvenance })
        #expect(provenance.status == .provenanceInconsistent, "\(provenance.reason)")
        #expect(provenance.reason.contains("repository"))
    }
}
