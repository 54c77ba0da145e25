import Foundation
import Testing
import TestSupport
@testable import Sigstore

/// One sigstore-conformance `verify-bundle` invocation, parsed from an `INDEX.json` argv vector.
struct ConformanceInvocation {
    var bundle: URL
    var identity: String?
    var issuer: String?
    var key: URL?
    var trustedRoot: URL?
    var artifact: String

    /// Parses `["verify-bundle", "--bundle", F, …, ARTIFACT]` with paths relative to `base`.
    init(arguments: [String], base: URL) throws {
        var bundle: URL?
        var rest = arguments.dropFirst()
        var artifact: String?
        while let argument = rest.popFirst() {
            switch argument {
            case "--staging": continue
            case "--bundle": bundle = base.appendingPathComponent(rest.popFirst()!)
            case "--certificate-identity": identity = rest.popFirst()
            case "--certificate-oidc-issuer": issuer = rest.popFirst()
            case "--key": key = base.appendingPathComponent(rest.popFirst()!)
            case "--trusted-root": trustedRoot = base.appendingPathComponent(rest.popFirst()!)
            default: artifact = argument
            }
        }
        self.bundle = bundle!
        let value = artifact!
        self.artifact = value.hasPrefix("sha256:") ? value : base.appendingPathComponent(value).path
    }

    /// Runs the invocation through the library, as the CLI does.
    func run() throws -> Result<BundleVerificationResult, BundleVerificationError> {
        let root = try trustedRoot.map { try TrustedRoot.load(contentsOf: $0) } ?? .production
        let artifactValue: VerificationPolicy.Artifact
        if artifact.hasPrefix("sha256:") {
            artifactValue = .sha256Digest(Hex.decode(String(artifact.dropFirst(7)))!)
        } else {
            artifactValue = .bytes(try Data(contentsOf: URL(fileURLWithPath: artifact)))
        }
        let signer: VerificationPolicy.Signer
        if let key {
            signer = .publicKey(try Data(contentsOf: key))
        } else {
            signer = .certificateIdentity(.init(subjectAlternativeName: .exact(identity!), oidcIssuer: issuer!))
        }
        let verifier = BundleVerifier(trustedRoot: root)
        let bundleData = try Data(contentsOf: bundle)
        do {
            return .success(try verifier.verify(bundleJSON: bundleData, source: bundle.lastPathComponent,
                                                policy: VerificationPolicy(artifact: artifactValue, signer: signer)))
        } catch {
            return .failure(error)
        }
    }
}

struct ConformanceCase: Sendable, CustomTestStringConvertible {
    let id: String
    let expected: String
    let pathForm: [String]
    let digestForm: [String]
    var testDescription: String { id }

    static func all() throws -> [ConformanceCase] {
        let data = try Fixtures.data("sigstore/conformance/INDEX.json")
        let index = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (index["cases"] as! [[String: Any]]).map {
            ConformanceCase(id: $0["id"] as! String, expected: $0["expected"] as! String,
                            pathForm: $0["cli_upstream_path_form"] as! [String],
                            digestForm: $0["cli_upstream_digest_form"] as! [String])
        }
    }
}

/// The reason each failing conformance case must fail with (our own, stricter than the suite's exit code).
let expectedFailureReasons: [String: Set<BundleVerificationError.Reason>] = [
    "bundle-from-wrong-instance_fail": [.untrustedLog],
    "bundle-invalid-base64-signature_fail": [.malformedInput],
    "bundle-negative-log-index_fail": [.malformedInput],
    "bundle-unknown-version_fail": [.malformedInput],
    "bundle-with-root-cert_fail": [.certificateChain],
    "checkpoint-bad-keyhint_fail": [.checkpointInvalid],
    "dsse-mismatch-envelope_fail": [.bodyMismatch],
    "dsse-mismatch-sig_fail": [.bodyMismatch],
    "inclusion-proof-corrupted-hash_fail": [.inclusionProofInvalid],
    "incorrect-public-key_fail": [.setInvalid],
    "integrated-time-in-future_fail": [.certificateChain],
    "intoto-expired-certificate_fail": [.certificateChain],
    "intoto-log-entry-mismatch_fail": [.bodyMismatch],
    "intoto-set-outside-signing-cert-validity_fail": [.certificateChain],
    "invalid-checkpoint-signature_fail": [.checkpointInvalid],
    "invalid-ct-key_fail": [.sctInvalid],
    "invalid-inclusion-proof_fail": [.inclusionProofInvalid],
    "managed-key-wrong-key_fail": [.malformedInput],
    "rekor2-checkpoint-missing-origin_fail": [.checkpointInvalid],
    "rekor2-checkpoint-missing-root-hash_fail": [.checkpointInvalid],
    "rekor2-checkpoint-no-matching-signature_fail": [.checkpointInvalid],
    "rekor2-dsse-invalid-sig_fail": [.signatureMismatch],
    "rekor2-no-inclusion-proof_fail": [.malformedInput],
    "rekor2-no-timestamp_fail": [.noTrustedTimestamp],
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": [.timestampInvalid],
    "rekor2-timestamp-outside-tsa-cert-validity_fail": [.timestampInvalid],
    "rekor2-timestamp-payload-mismatch_fail": [.timestampInvalid],
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": [.timestampInvalid],
    "signature-mismatch_fail": [.signatureMismatch],
    "wrong-hashedrekord-artifact_fail": [.bodyMismatch, .artifactMismatch],
    "wrong-hashedrekord-cert-and-sig_fail": [.bodyMismatch],
    "wrong-material_fail": [.artifactMismatch],
]

@Suite struct ConformanceSuiteTests {
    static let cases = (try? ConformanceCase.all()) ?? []

    @Test func indexHas45CasesAndEveryFailureHasAReason() throws {
        let all = try ConformanceCase.all()
        #expect(all.count == 45)
        #expect(Set(all.filter { $0.expected == "fail" }.map(\.id)) == Set(expectedFailureReasons.keys))
    }

    @Test(arguments: cases)
    func caseGivesExpectedResult(_ testCase: ConformanceCase) throws {
        let base = try Fixtures.url("sigstore/conformance")
        for (form, argv) in [("path", testCase.pathForm), ("digest", testCase.digestForm)] {
            let outcome = try ConformanceInvocation(arguments: argv, base: base).run()
            switch (testCase.expected, outcome) {
            case ("pass", .success): break
            case ("fail", .failure(let error)):
                let reasons = expectedFailureReasons[testCase.id]
                #expect(reasons != nil, "\(testCase.id): no expected failure reason recorded")
                #expect(reasons?.contains(error.reason) == true, "\(testCase.id) [\(form)] failed for \(error)")
            case (_, .success):
                Issue.record("\(testCase.id) [\(form)]: expected failure, but it verified")
            case (_, .failure(let error)):
                Issue.record("\(testCase.id) [\(form)]: expected success, got \(error)")
            }
            if ProcessInfo.processInfo.environment["CONFORMANCE_TRACE"] != nil {
                print("TRACE \(testCase.id) [\(form)] -> \(outcome.map { _ in "ok" })")
            }
        }
    }
}
