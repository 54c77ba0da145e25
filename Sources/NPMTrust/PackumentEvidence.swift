import Foundation
import Registry

extension PackageVersionEvidence {
    /// The evidence for `version` of a fetched packument.
    ///
    /// - Throws: ``PackumentEvidenceError`` when the packument lacks the version or its `dist.integrity`.
    public init(packument: Packument, version: String, source: String) throws {
        guard let manifest = packument.versions[version] else {
            // A version that is listed but cannot be read exists: say what is wrong with it, not that it is missing.
            if let problem = packument.invalidVersions[version] {
                throw PackumentEvidenceError(source: source, message: "\(packument.name)@\(version) is in the packument, "
                    + "but its manifest cannot be used: \(problem)")
            }
            throw PackumentEvidenceError(source: source, message: "\(packument.name) has no version \(version)")
        }
        // npm signs `String(ssri.parse(dist.integrity))`: the hashes separated by single spaces.
        let integrity = (manifest.dist.integrity ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !integrity.isEmpty else {
            throw PackumentEvidenceError(source: source, message: "\(packument.name)@\(version) has no dist.integrity, "
                + "so registry signatures and attestation subjects cannot be checked")
        }
        var publishTime: Date? = nil
        if let text = packument.time[version] {
            guard let date = NPMDate.parse(text) else {
                throw PackumentEvidenceError(source: source, message: "time[\"\(version)\"] is not an ISO-8601 time: \(text)")
            }
            publishTime = date
        }
        self.init(
            name: packument.name, version: version, integrity: integrity, publishTime: publishTime,
            signatures: manifest.dist.signatures ?? [],
            attestations: manifest.dist.attestations.map {
                AttestationsPointer(url: $0.url, provenancePredicateType: $0.provenance?.predicateType)
            },
            npmUser: manifest.npmUser.map {
                Publisher(name: $0.name, hasStagedApproval: $0.approver != nil, hasTrustedPublisher: $0.trustedPublisher != nil)
            })
    }
}

/// A packument cannot provide the evidence a trust check needs.
public struct PackumentEvidenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The packument URL.
    public var source: String
    /// What is missing.
    public var message: String
    /// A message naming the packument.
    public var description: String { "\(source): \(message)" }
}
