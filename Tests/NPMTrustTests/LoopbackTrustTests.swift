import Foundation
import LoopbackRegistry
import Registry
import Testing
import TestSupport
@testable import NPMTrust

/// End to end through the Registry client against the loopback registry serving Fixtures/.
@Suite struct LoopbackTrustTests {
    /// A loopback registry with the fixtures, a client with a private cache, and a cleanup.
    final class Setup {
        let registry: LoopbackRegistry
        let client: RegistryClient
        let cache: URL

        init(_ edit: (inout RegistryContent) -> Void = { _ in }) throws {
            var content = try RegistryContent.fixtures(at: Fixtures.root)
            edit(&content)
            registry = try LoopbackRegistry(content: content)
            cache = FileManager.default.temporaryDirectory.appendingPathComponent("npmtrust-tests-\(UUID().uuidString)")
            var configuration = RegistryConfiguration(registry: registry.baseURL)
            configuration.cacheDirectory = cache
            configuration.retry = RetryPolicy(maxAttempts: 1)
            client = RegistryClient(configuration: configuration)
        }

        deinit {
            registry.stop()
            try? FileManager.default.removeItem(at: cache)
        }

        func report(_ name: String, _ version: String, keys source: RegistryKeysSource = .registry) async throws -> TrustReport {
            let keys = try await RegistryKeysAvailability.load(source, client: client)
            return try await RegistryTrustVerifier().verify(name: name, version: version, client: client, keys: keys)
        }
    }

    static let cases: [(String, String)] = [
        ("gundam-visor", "1.0.1"), ("sigstore", "2.3.1"), ("sigstore", "1.0.0"), ("@trishankatdatadog/supreme-goggles", "1.0.5"),
    ]

    @Test func everyRealAttestationVerifiesThroughTheRegistry() async throws {
        let setup = try Setup()
        for (name, version) in Self.cases {
            let report = try await setup.report(name, version)
            #expect(report.attestations.count == 2, "\(name)@\(version)")
            for check in report.attestations {
                #expect(check.ok, Comment(rawValue: "\(name)@\(version) \(check.predicateType): \(check.reason)"))
            }
            #expect(report.provenance?.repository?.hasPrefix("https://github.com/") == true)
            // Only sigstore@1.0.0 has a real dist.signatures record in the fixtures; the others are served
            // without signatures by a registry that has keys, which is a failure, never a pass.
            if name == "sigstore" && version == "1.0.0" {
                #expect(report.signatures.map(\.status) == [.verified])
                #expect(report.ok)
            } else {
                #expect(report.signatures.map(\.status) == [.noSignatures])
                #expect(!report.ok)
            }
        }
        // Attestations were fetched from the loopback (by path), never from registry.npmjs.org.
        #expect(setup.registry.requestCount(matching: "/-/npm/v1/attestations/*") == Self.cases.count)
    }

    /// Serves every record of Fixtures/npm/signatures.json as a version published before the old key expired.
    @Test func everyRealSignatureVerifiesThroughTheRegistry() async throws {
        let records = try SignatureRecord.all()
        let setup = try Setup { content in
            for record in records where content.packuments[record.name]?["versions"]?[record.version] == nil {
                content.addVersion(name: record.name, version: record.version, tarball: nil, manifest: [
                    "dist": ["integrity": .string(record.integrity),
                             "signatures": .array(record.signatures.map { ["keyid": .string($0.keyid), "sig": .string($0.sig)] })],
                ], publishTime: "2023-01-15T12:00:00.000Z")
            }
        }
        for record in records {
            let report = try await setup.report(record.name, record.version)
            #expect(report.signatures.count == record.signatures.count)
            let statuses = report.signatures.map(\.status)
            #expect(statuses.allSatisfy { $0 == .verified }, "\(record.name)@\(record.version): \(report.signatures.map(\.reason))")
        }
    }

    @Test func packumentMutationsFailWithTheirReason() async throws {
        let realSignature = try #require(try SignatureRecord.all().first { $0.name == "sigstore" }?.signatures.first)
        let setup = try Setup { content in
            content.updateVersion(name: "sigstore", version: "1.0.0") { entry in
                var dist = entry["dist"] ?? [:]
                var signature = JSONValue.object(["keyid": .string(realSignature.keyid), "sig": .string(realSignature.sig)])
                var sig = Data(base64Encoded: realSignature.sig)!
                sig[sig.count - 4] ^= 0x40
                signature["sig"] = .string(sig.base64EncodedString())
                dist["signatures"] = [signature]
                entry["dist"] = dist
            }
            content.updateVersion(name: "sigstore", version: "2.3.1") { entry in
                var dist = entry["dist"] ?? [:]
                dist["signatures"] = [["keyid": "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "sig": .string(realSignature.sig)]]
                entry["dist"] = dist
            }
            // gundam-visor: a different tarball integrity than the one attested.
            content.updateVersion(name: "gundam-visor", version: "1.0.1") { entry in
                var dist = entry["dist"] ?? [:]
                dist["integrity"] = .string("sha512-" + Data(repeating: 7, count: 64).base64EncodedString())
                entry["dist"] = dist
            }
        }
        let badSignature = try await setup.report("sigstore", "1.0.0")
        #expect(badSignature.signatures.map(\.status) == [.badSignature])
        #expect(!badSignature.ok)

        let unknownKey = try await setup.report("sigstore", "2.3.1")
        #expect(unknownKey.signatures.map(\.status) == [.unknownKey])

        let otherTarball = try await setup.report("gundam-visor", "1.0.1")
        #expect(otherTarball.attestations.map(\.status) == [.subjectDigestMismatch, .subjectDigestMismatch])
    }

    @Test func signatureKeyExpiryIsJudgedAtThePublishTime() async throws {
        let setup = try Setup { content in
            if var time = content.packuments["sigstore"]?["time"] {
                time["1.0.0"] = "2025-02-01T00:00:00.000Z"  // after the old key expired
                content.packuments["sigstore"]?["time"] = time
            }
        }
        let report = try await setup.report("sigstore", "1.0.0")
        #expect(report.signatures.map(\.status) == [.keyExpired])
        // The publish attestation is judged at its Rekor integrated time (2023), so it still verifies.
        #expect(report.attestations.allSatisfy { $0.ok })
        #expect(!report.ok)
    }

    @Test func registryWithoutKeysIsSkippedNeverVerified() async throws {
        for status in [404, 400] {
            let setup = try Setup()
            setup.registry.inject(.status(status), on: "/-/npm/v1/keys")
            let report = try await setup.report("sigstore", "1.0.0")
            #expect(report.signatures.map(\.status) == [.skippedNoKeys])
            let publish = try #require(report.attestations.first { $0.predicateType == AttestationPredicate.npmPublishV01.rawValue })
            #expect(publish.status == .skippedNoKeys)
            #expect(report.attestations.first { $0.isProvenance }?.ok == true)
            #expect(report.skipped.count == 2)
            #expect(!report.ok)
        }
    }

    @Test func builtInKeysServeThePublicRegistry() async throws {
        let setup = try Setup { $0.keys = nil }
        let report = try await setup.report("sigstore", "1.0.0", keys: .builtInNPM)
        #expect(report.ok)
        #expect(setup.registry.requestCount(matching: "/-/npm/v1/keys") == 0)
    }

    @Test func missingOrBrokenAttestationsFail() async throws {
        let setup = try Setup { content in
            content.attestations["gundam-visor@1.0.1"] = nil
            content.attestations["sigstore@2.3.1"] = ["attestations": [["predicateType": "https://slsa.dev/provenance/v1"]]]
            if let real = content.attestations["sigstore@1.0.0"]?["attestations"]?.arrayValue {
                content.attestations["sigstore@1.0.0"] = ["attestations": .array(real.map { entry in
                    var renamed = entry
                    renamed["predicateType"] = "https://example.com/unknown/v1"
                    return renamed
                })]
            }
        }
        let notFound = try await setup.report("gundam-visor", "1.0.1")
        #expect(notFound.attestations.map(\.status) == [.missing])
        #expect(!notFound.ok)

        let noBundle = try await setup.report("sigstore", "2.3.1")
        #expect(noBundle.attestations.map(\.status) == [.malformed])
        #expect(!noBundle.ok)

        let unknown = try await setup.report("sigstore", "1.0.0")
        #expect(unknown.attestations.map(\.status) == [.unsupportedPredicate, .unsupportedPredicate, .missing])
        #expect(!unknown.ok)
    }

    @Test func unreachableOrUnknownInputIsAnError() async throws {
        let setup = try Setup()
        await #expect(throws: RegistryError.self) { _ = try await setup.report("no-such-package", "1.0.0") }
        await #expect(throws: PackumentEvidenceError.self) { _ = try await setup.report("sigstore", "9.9.9") }
        let badKeys = FileManager.default.temporaryDirectory.appendingPathComponent("npmtrust-bad-keys-\(UUID().uuidString).json")
        try Data(#"{"keys":[{"expires":null,"keyid":"SHA256:nope","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="}]}"#.utf8).write(to: badKeys)
        defer { try? FileManager.default.removeItem(at: badKeys) }
        await #expect(throws: RegistryKeyError.self) { _ = try await setup.report("sigstore", "1.0.0", keys: .file(badKeys)) }
    }
}
