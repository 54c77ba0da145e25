import Foundation
import JSON
import NPMTrust
import Sigstore
import Testing
import TestSupport
@testable import Verification

/// The pipeline with the production trust stage (``NPMTrustStage``) instead of a fake: gundam-visor@1.0.1's real
/// tarball and source bundle, with registry signatures, publish attestation and SLSA provenance minted by
/// TestSupport's ``VirtualSigstore`` for the identity under test and verified against its trusted root.
@Suite struct MintedPipelineTests {
    static let identity = VirtualSigstore.BuildIdentity(
        repository: "https://github.com/ramonpetgrave64/gundam-visor", ref: "refs/tags/v1.0.1",
        commit: "599500821344b070902a7a5666064bfdaba715df", workflowPath: ".github/workflows/npm-publish.yml")

    /// A registry serving gundam-visor@1.0.1 signed by the sigstore's registry key, with attestations minted for
    /// `identity`, and the pipeline whose trust stage trusts the sigstore.
    static func minted(identity: VirtualSigstore.BuildIdentity = identity, untrustedCA: Bool = false) async throws
        -> VerificationResult
    {
        let sigstore = try VirtualSigstore()
        defer { sigstore.cleanup() }
        let tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        let integrity = VirtualSigstore.integrity(tarball)
        var packument = try RawJSON(parsing: try gundamPackument())
        let signature = try sigstore.registryKey.key.sign(Data("gundam-visor@1.0.1:\(integrity)".utf8))
        packument["versions"]?["1.0.1"]?["dist"]?["signatures"] = [
            ["keyid": .string(sigstore.registryKey.keyid), "sig": .string(signature.base64EncodedString())]]
        var registry = try gundamRegistry(packument: packument.encoded(), tarball: tarball)
        registry.files["http://127.0.0.1:1/-/npm/v1/attestations/gundam-visor@1.0.1"] = try sigstore.attestations(
            name: "gundam-visor", version: "1.0.1", tarball: tarball, identity: identity, untrustedCA: untrustedCA).encoded()
        registry.keysDocument = (["keys": [sigstore.registryKey.keysEntry]] as RawJSON).encoded()
        let trust = NPMTrustStage(trustedRoot: try TrustedRoot.parse(sigstore.trustedRootJSON), keys: .registry,
                                  registry: registry.baseURL)
        let pipeline = VerificationPipeline(registry: registry, trust: trust, sources: PackingSource(),
                                            rebuilder: FakeRebuilder(), inspector: CleanInspector(),
                                            hasher: DigestTarballHashing())
        return try await pipeline.verify(try gundamRequest())
    }

    @Test func gundamVisorPassesEveryCheckWithMintedTrust() async throws {
        let verdict = try await Self.minted().verdict
        let failing = verdict.checks.filter { $0.status != .pass && !($0.status.keyword == "not-applicable") }
        #expect(failing.isEmpty, "\(failing)")
        #expect(verdict.overall == .verified)
        #expect(verdict.check(.trustSignatures)?.status == .pass)
        #expect(verdict.check(.trustPublishAttestation)?.status == .pass)
        #expect(verdict.check(.trustProvenance)?.status == .pass)
        #expect(verdict.check(.trustProvenance)?.evidence["repository"] == "https://github.com/ramonpetgrave64/gundam-visor")
        #expect(verdict.check(.sourceTagMatchesProvenance)?.evidence["commit"] == "599500821344b070902a7a5666064bfdaba715df")
    }

    @Test func aCommitThatDoesNotExistFails() async throws {
        var identity = Self.identity
        identity.commit = String(repeating: "1", count: 40)
        let verdict = try await Self.minted(identity: identity).verdict
        #expect(verdict.check(.trustProvenance)?.status == .pass)
        #expect(verdict.check(.sourceCommitExists)?.status == .fail)
        #expect(verdict.check(.sourceTagMatchesProvenance)?.status == .fail)
        #expect(verdict.check(.rebuildCompare)?.status.isSkipped == true)
    }

    @Test func provenanceFromAnotherRepositoryFailsTheDefaultPolicy() async throws {
        var identity = Self.identity
        identity.repository = "https://github.com/attacker/gundam-visor"
        let verdict = try await Self.minted(identity: identity).verdict
        #expect(verdict.check(.trustProvenance)?.status == .pass)
        #expect(verdict.check(.policyRepository)?.status == .fail)
        #expect(verdict.overall == .failed)
    }

    @Test func provenanceFromAnUntrustedCAFailsTrust() async throws {
        let verdict = try await Self.minted(untrustedCA: true).verdict
        #expect(verdict.check(.trustProvenance)?.status == .fail)
        #expect(verdict.check(.trustPublishAttestation)?.status == .pass)
        #expect(verdict.overall == .failed)
    }
}
