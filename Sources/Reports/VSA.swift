import Configuration
import Digest
import Foundation
import Verification

/// An in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md).
public struct InTotoStatement<Predicate: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    /// The statement type URI.
    public static var statementType: String { "https://in-toto.io/Statement/v1" }

    /// Always `https://in-toto.io/Statement/v1`.
    public var type: String
    /// What the statement is about.
    public var subject: [ResourceDescriptor]
    /// The predicate's type URI.
    public var predicateType: String
    /// The predicate.
    public var predicate: Predicate

    /// Makes a statement.
    public init(subject: [ResourceDescriptor], predicateType: String, predicate: Predicate) {
        self.type = Self.statementType
        self.subject = subject
        self.predicateType = predicateType
        self.predicate = predicate
    }

    enum CodingKeys: String, CodingKey {
        case type = "_type", subject, predicateType, predicate
    }
}

/// The SLSA Verification Summary predicate v1 (https://slsa.dev/spec/v1.0/verification_summary).
public struct VerificationSummary: Codable, Hashable, Sendable {
    /// The predicate type URI.
    public static let predicateType = "https://slsa.dev/verification_summary/v1"

    /// Who verified.
    public struct Verifier: Codable, Hashable, Sendable {
        /// The verifier's id URI.
        public var id: String
        /// Component → version.
        public var version: [String: String]?
    }
    /// The policy the artifact was verified against.
    public struct Policy: Codable, Hashable, Sendable {
        /// Where the policy is (a file URI, or `provcheck:policy/default`).
        public var uri: String
        /// Its digest (sha256 of the file bytes), absent for the built-in default.
        public var digest: [String: String]?
    }

    /// Who verified.
    public var verifier: Verifier
    /// When (RFC 3339).
    public var timeVerified: String
    /// The artifact's URI (the registry tarball URL, else the purl).
    public var resourceUri: String
    /// The policy.
    public var policy: Policy
    /// The attestations the verification read.
    public var inputAttestations: [ResourceDescriptor]?
    /// `PASSED` or `FAILED`.
    public var verificationResult: String
    /// The verified levels, e.g. `["SLSA_BUILD_LEVEL_2"]`, or `["FAILED"]`.
    public var verifiedLevels: [String]
    /// The SLSA version the levels refer to.
    public var slsaVersion: String
}

/// A VSA statement for one verdict.
public typealias VerificationSummaryStatement = InTotoStatement<VerificationSummary>

extension VerificationSummary {
    /// provcheck's verifier id.
    public static let verifierID = "https://github.com/provcheck/provcheck"

    /// Builds the VSA statement for a verdict.
    ///
    /// - `verificationResult` is `PASSED` only for an overall `verified` verdict (`incomplete` is `FAILED`: fail closed).
    /// - `verifiedLevels`: `FAILED` when not passed; `SLSA_BUILD_LEVEL_2` when provenance verified (a hosted build
    ///   platform signed it: `trust.provenance` passed and, if checked, `policy.runner` passed); otherwise
    ///   `SLSA_BUILD_LEVEL_0`.
    /// - The subject digest is the tarball's sha512; when the verdict has none, the SRI integrity is converted.
    public static func statement(
        for verdict: Verdict, policy: PolicyDocument, inputAttestations: [ResourceDescriptor] = [],
        verifierVersion: String
    ) throws -> VerificationSummaryStatement {
        guard let sha512 = verdict.subject.sha512Hex ?? verdict.subject.integrity.flatMap(sriSHA512Hex) else {
            throw VSAError.noSubjectDigest(name: verdict.subject.name, version: verdict.subject.version)
        }
        let passed = verdict.overall == .verified
        var levels = ["FAILED"]
        if passed {
            let provenanceVerified = verdict.check(.trustProvenance)?.status == .pass
            let runnerOK = verdict.check(.policyRunner).map { $0.status == .pass } ?? true
            levels = [provenanceVerified && runnerOK ? "SLSA_BUILD_LEVEL_2" : "SLSA_BUILD_LEVEL_0"]
        }
        let policyRef: Policy
        if let digest = policy.sha256 {
            policyRef = Policy(uri: URL(fileURLWithPath: policy.source).absoluteString, digest: ["sha256": digest])
        } else {
            policyRef = Policy(uri: "provcheck:policy/default", digest: nil)
        }
        let summary = VerificationSummary(
            verifier: Verifier(id: verifierID, version: ["provcheck": verifierVersion]),
            timeVerified: Timestamp.format(verdict.verifiedAt),
            resourceUri: verdict.subject.tarballURL ?? verdict.subject.purl,
            policy: policyRef,
            inputAttestations: inputAttestations.isEmpty ? nil : inputAttestations,
            verificationResult: passed ? "PASSED" : "FAILED",
            verifiedLevels: levels,
            slsaVersion: "1.0")
        return InTotoStatement(
            subject: [ResourceDescriptor(name: verdict.subject.purl, digest: ["sha512": sha512])],
            predicateType: predicateType, predicate: summary)
    }

    /// The lowercase hex of the first sha512 hash of an SRI value, or `nil` when it has none or is malformed.
    package static func sriSHA512Hex(_ sri: String) -> String? {
        (try? Integrity(sri))?.hashes.first { $0.algorithm == .sha512 }?.hexDigest
    }
}

/// Errors building a VSA.
public enum VSAError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Neither the tarball's sha512 nor an sha512 integrity is known, so the subject cannot be named.
    case noSubjectDigest(name: String, version: String)

    public var description: String {
        switch self {
        case .noSubjectDigest(let name, let version):
            "cannot write a VSA for \(name)@\(version): no sha512 of the tarball is known (the registry gave no sha512 "
                + "integrity and the tarball was not read)"
        }
    }
}
