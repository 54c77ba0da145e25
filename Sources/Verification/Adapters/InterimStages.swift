import Foundation

/// A trust stage that verifies nothing and says so: every trust check is `skipped`, and no provenance identity is
/// produced (unverified facts never reach the source binding or the policy).
public struct UnavailableTrust: TrustVerifying {
    /// Why trust verification is unavailable.
    public var reason: String

    /// Makes the stage.
    public init(reason: String) { self.reason = reason }

    public func verify(packument: PackumentFacts, packumentData: Data, attestations: Data?, attestationsURL: String?,
                       keys: Data?, tarballSHA512Hex: String?) async -> TrustOutcome {
        TrustOutcome(
            signatures: .skipped(.trustSignatures, "Registry signatures", reason: reason),
            publishAttestation: .skipped(.trustPublishAttestation, "Publish attestation", reason: reason),
            provenance: .skipped(.trustProvenance, "Provenance attestation", reason: reason),
            identity: nil, publishAttestationVerified: false, provenanceInvalid: false)
    }
}

/// A rebuild stage that cannot rebuild and says so (the check is `skipped`).
public struct UnavailableRebuilder: Rebuilding {
    /// Why rebuilding is unavailable.
    public var reason: String

    /// Makes the stage.
    public init(reason: String) { self.reason = reason }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    public func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?,
                                  npmVersion: String?, nodeVersion: String?, registryTarball: Data) async throws -> RebuildComparison {
        throw Unavailable(description: reason)
    }
}
