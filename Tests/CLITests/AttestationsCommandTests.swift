import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// Runs the built `provcheck` binary's `attestations` subcommand against the loopback registry.
@Suite struct AttestationsCommandTests {
    typealias Run = ProvcheckBinary.Run

    static func run(_ arguments: [String]) throws -> Run { try ProvcheckBinary.run(arguments) }

    static func registry(_ edit: (inout RegistryContent) -> Void = { _ in }) throws -> LoopbackRegistry {
        var content = try RegistryContent.fixtures(at: Fixtures.root)
        edit(&content)
        return try LoopbackRegistry(content: content)
    }

    @Test func verifiedVersionExitsZeroWithTheDocumentedJSON() throws {
        let registry = try Self.registry()
        defer { registry.stop() }
        let run = try Self.run(["attestations", "sigstore@1.0.0", "--registry", registry.baseURL.absoluteString, "--json"])
        #expect(run.status == 0, Comment(rawValue: run.stderr + run.stdout))
        let json = try #require(run.json)
        #expect(json["ok"] as? Bool == true)
        let signatures = try #require(json["signatures"] as? [[String: Any]])
        #expect(signatures.count == 1)
        #expect(signatures[0]["keyid"] as? String == "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA")
        #expect(signatures[0]["ok"] as? Bool == true)
        #expect(signatures[0]["reason"] is String)
        let attestations = try #require(json["attestations"] as? [[String: Any]])
        #expect(Set(attestations.compactMap { $0["predicate_type"] as? String }) == [
            "https://slsa.dev/provenance/v0.2", "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
        ])
        #expect(attestations.allSatisfy { $0["ok"] as? Bool == true && $0["reason"] is String })
        let provenance = try #require(attestations.first { $0["predicate_type"] as? String == "https://slsa.dev/provenance/v0.2" })
        let facts = try #require(provenance["facts"] as? [String: Any])
        #expect(facts["repository"] as? String == "https://github.com/sigstore/sigstore-js")
        #expect(facts["commit"] as? String == "06528997c3c8ab9f864fad9a3658446aca7fd86d")
        #expect(facts["ref"] as? String == "refs/tags/v1.0.0")
        #expect(facts["workflow_path"] as? String == ".github/workflows/publish.yml")
    }

    @Test func textOutputPrintsFactsAndStatuses() throws {
        let registry = try Self.registry()
        defer { registry.stop() }
        let run = try Self.run(["attestations", "@trishankatdatadog/supreme-goggles@1.0.5", "--registry", registry.baseURL.absoluteString])
        // The fixture registry serves this version without dist.signatures although it has keys: a failure.
        #expect(run.status == 1, Comment(rawValue: run.stderr))
        #expect(run.stdout.contains("no-signatures"))
        #expect(run.stdout.contains("https://github.com/trishankatdatadog/supreme-goggles"))
        #expect(run.stdout.contains("38ebf99444e033b2f1550c9aaaeacd62d02a12ba"))
        #expect(run.stdout.contains(".github/workflows/npm-publish.yml"))
        #expect(run.stdout.contains("result: NOT verified"))
    }

    @Test func failingChecksNeverExitZero() throws {
        let registry = try Self.registry { content in
            content.updateVersion(name: "sigstore", version: "1.0.0") { entry in
                var dist = entry["dist"] ?? [:]
                dist["integrity"] = .string("sha512-" + Data(repeating: 1, count: 64).base64EncodedString())
                entry["dist"] = dist
            }
        }
        defer { registry.stop() }
        let run = try Self.run(["attestations", "sigstore@1.0.0", "--registry", registry.baseURL.absoluteString, "--json"])
        #expect(run.status == 1)
        let json = try #require(run.json)
        #expect(json["ok"] as? Bool == false)
        let signatures = try #require(json["signatures"] as? [[String: Any]])
        #expect(signatures.first?["status"] as? String == "bad-signature")
        let attestations = try #require(json["attestations"] as? [[String: Any]])
        #expect(attestations.allSatisfy { $0["status"] as? String == "subject-digest-mismatch" })
    }

    @Test func keysFileReplacesTheRegistryKeys() throws {
        let registry = try Self.registry()
        defer { registry.stop() }
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("npmtrust-keys-\(UUID().uuidString).json")
        // Only the new key: the 2023 signature's key is then unknown.
        try Data(#"{"keys":[{"expires":null,"keyid":"SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="}]}"#.utf8).write(to: keys)
        defer { try? FileManager.default.removeItem(at: keys) }
        let run = try Self.run(["attestations", "sigstore@1.0.0", "--registry", registry.baseURL.absoluteString, "--keys", keys.path, "--json"])
        #expect(run.status == 1)
        let signatures = try #require(run.json?["signatures"] as? [[String: Any]])
        #expect(signatures.first?["status"] as? String == "unknown-key")
    }

    @Test func usageAndNetworkErrorsExitTwo() throws {
        let registry = try Self.registry()
        defer { registry.stop() }
        let base = registry.baseURL.absoluteString
        for arguments in [
            ["attestations", "no-such-package@1.0.0", "--registry", base],
            ["attestations", "sigstore@9.9.9", "--registry", base],
            ["attestations", "@noscope@1.0.0", "--registry", base],
            ["attestations", "sigstore@1.0.0", "--registry", base, "--keys", "/nonexistent/keys.json"],
            ["attestations", "sigstore@1.0.0", "--registry", base, "--trusted-root", "/nonexistent/root.json"],
        ] {
            let run = try Self.run(arguments)
            #expect(run.status == 2, Comment(rawValue: "\(arguments): \(run.stderr)"))
            #expect(run.stderr.contains("provcheck attestations:"))
        }
    }

    /// `attestations` is the engine's trust-only configuration: the same `--offline` rule as `verify` (a loopback
    /// registry is local, so it is still asked) and the same trust stage; its verdict equals `verify`'s trust checks.
    @Test func offlineLoopbackAndTheSameTrustVerdictAsVerify() throws {
        let registry = try Self.registry()
        defer { registry.stop() }
        let url = registry.baseURL.absoluteString
        let run = try Self.run(["attestations", "sigstore@1.0.0", "--registry", url, "--offline", "--json"])
        #expect(run.status == 0, Comment(rawValue: run.stderr + run.stdout))
        let verify = try Self.run(["verify", "gundam-visor@1.0.1", "--registry", url, "--offline", "--json"])
        let verdict = try #require(verify.json)
        let trust = (verdict["checks"] as? [[String: Any]] ?? []).filter { ($0["id"] as? String)?.hasPrefix("trust.") == true }
        let attestations = try Self.run(["attestations", "gundam-visor@1.0.1", "--registry", url, "--offline", "--json"])
        let report = try #require(attestations.json)
        // Both commands see the same signature outcome and the same provenance facts.
        let signatures = trust.first { $0["id"] as? String == "trust.signatures" }?["status"] as? String
        #expect((signatures == "pass") == (report["signatures"] as? [[String: Any]] ?? []).allSatisfy { $0["ok"] as? Bool == true })
        let provenance = trust.first { $0["id"] as? String == "trust.provenance" }
        #expect(provenance?["status"] as? String == "pass")
        let facts = (report["attestations"] as? [[String: Any]] ?? []).compactMap { $0["facts"] as? [String: Any] }.first
        #expect((provenance?["evidence"] as? [String: String])?["repository"] == facts?["repository"] as? String)
    }
}
