import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// The `provcheck` binary's `attestations` and `verify` against the loopback registry serving attestations minted by
/// TestSupport's ``VirtualSigstore`` for the real gundam-visor@1.0.1 tarball, trusted with `--trusted-root`.
@Suite struct MintedProvenanceCLITests {
    static let identity = VirtualSigstore.BuildIdentity(
        repository: "https://github.com/ramonpetgrave64/gundam-visor", ref: "refs/tags/v1.0.1",
        commit: "599500821344b070902a7a5666064bfdaba715df", workflowPath: ".github/workflows/npm-publish.yml")

    struct Served {
        let sigstore: VirtualSigstore
        let registry: LoopbackRegistry
        let trustedRoot: URL

        init(identity: VirtualSigstore.BuildIdentity = MintedProvenanceCLITests.identity, untrustedCA: Bool = false) throws {
            sigstore = try VirtualSigstore()
            registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
            try sigstore.serve(registry, name: "gundam-visor", version: "1.0.1", identity: identity, untrustedCA: untrustedCA)
            trustedRoot = try sigstore.writeTrustedRoot()
        }

        var url: String { registry.baseURL.absoluteString }

        func stop() {
            registry.stop()
            sigstore.cleanup()
        }
    }

    static func attestationChecks(_ run: ProvcheckBinary.Run) -> [[String: Any]] {
        run.json?["attestations"] as? [[String: Any]] ?? []
    }

    @Test func attestationsVerifiesMintedBundlesWithTheMintedTrustedRoot() throws {
        let served = try Served()
        defer { served.stop() }
        let run = try ProvcheckBinary.run(["attestations", "gundam-visor@1.0.1", "--registry", served.url,
                                           "--trusted-root", served.trustedRoot.path, "--json"])
        #expect(run.status == 0, Comment(rawValue: run.stderr + run.stdout))
        let checks = Self.attestationChecks(run)
        #expect(checks.count == 2)
        #expect(checks.allSatisfy { $0["ok"] as? Bool == true }, Comment(rawValue: run.stdout))
        let publish = checks.first { $0["predicate_type"] as? String == VirtualSigstore.npmPublishV01 }
        #expect(publish?["signer"] as? String == served.sigstore.registryKey.keyid)
        let facts = checks.compactMap { $0["facts"] as? [String: Any] }.first
        #expect(facts?["repository"] as? String == "https://github.com/ramonpetgrave64/gundam-visor")
        #expect(facts?["commit"] as? String == "599500821344b070902a7a5666064bfdaba715df")
    }

    @Test func withoutTheMintedRootTheProvenanceIsNotTrusted() throws {
        let served = try Served()
        defer { served.stop() }
        let run = try ProvcheckBinary.run(["attestations", "gundam-visor@1.0.1", "--registry", served.url, "--json"])
        #expect(run.status == 1, Comment(rawValue: run.stderr + run.stdout))
        let provenance = Self.attestationChecks(run).first { $0["predicate_type"] as? String == VirtualSigstore.slsaProvenanceV1 }
        #expect(provenance?["status"] as? String == "bundle-invalid")
    }

    @Test func aLeafFromAnUntrustedCAFails() throws {
        let served = try Served(untrustedCA: true)
        defer { served.stop() }
        let run = try ProvcheckBinary.run(["attestations", "gundam-visor@1.0.1", "--registry", served.url,
                                           "--trusted-root", served.trustedRoot.path, "--json"])
        #expect(run.status == 1)
        let provenance = Self.attestationChecks(run).first { $0["predicate_type"] as? String == VirtualSigstore.slsaProvenanceV1 }
        #expect(provenance?["status"] as? String == "bundle-invalid")
        #expect((provenance?["reason"] as? String)?.contains("certificate") == true)
    }

    @Test func verifyTrustStagePassesOnMintedProvenance() throws {
        let served = try Served()
        defer { served.stop() }
        let run = try ProvcheckBinary.run(["verify", "gundam-visor@1.0.1", "--registry", served.url, "--offline",
                                           "--trusted-root", served.trustedRoot.path, "--json"])
        let checks = run.json?["checks"] as? [[String: Any]] ?? []
        let provenance = checks.first { $0["id"] as? String == "trust.provenance" }
        #expect(provenance?["status"] as? String == "pass", Comment(rawValue: run.stdout + run.stderr))
        #expect((provenance?["evidence"] as? [String: String])?["repository"] == "https://github.com/ramonpetgrave64/gundam-visor")

        // The same registry, the statement claiming another repository than the certificate: verify fails trust.
        var claimed = Self.identity
        claimed.repository = "https://github.com/attacker/gundam-visor"
        let other = try Served()
        defer { other.stop() }
        let tarball = try #require(other.registry.content.tarballs[RegistryContent.tarballPath(name: "gundam-visor", version: "1.0.1")])
        let sha512 = VirtualSigstore.sha512Hex(tarball)
        let bundle = try other.sigstore.provenanceBundle(
            payload: VirtualSigstore.provenanceStatement(name: "gundam-visor", version: "1.0.1", sha512Hex: sha512, identity: claimed),
            identity: Self.identity)
        other.registry.update { content in
            let publish = content.attestations["gundam-visor@1.0.1"]?["attestations"]?.arrayValue?.first ?? .null
            content.attestations["gundam-visor@1.0.1"]?["attestations"] = [
                publish,
                ["predicateType": .string(VirtualSigstore.slsaProvenanceV1), "bundle": (try? JSONValue(parsing: bundle)) ?? .null],
            ]
        }
        let mismatched = try ProvcheckBinary.run(["verify", "gundam-visor@1.0.1", "--registry", other.url, "--offline",
                                                  "--trusted-root", other.trustedRoot.path, "--json"])
        #expect(mismatched.status == 1)
        let failed = (mismatched.json?["checks"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "trust.provenance" }
        #expect(failed?["status"] as? String == "fail", Comment(rawValue: mismatched.stdout))
    }
}
