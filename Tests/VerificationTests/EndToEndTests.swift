import Configuration
import Foundation
import LoopbackRegistry
import Registry
@testable import Reports
import Testing
import TestSupport
@testable import Verification

/// A registry signing key made for the tests.
///
/// The fixtures have no real `dist.signatures` record for gundam-visor@1.0.1 or sigstore@2.3.1 (only for other
/// versions), so the loopback registry signs `name@version:integrity` with this key, which is served next to npm's
/// real keys. Every attestation stays the real one, signed by npm's real key and by Fulcio.
struct DemoRegistryKey {
    let key: ECKey
    let keyid: String
    let keyJSON: JSONValue

    init(directory: URL) throws {
        let pem = directory.appendingPathComponent("demo-registry-key.pem")
        try run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pem.path])
        key = try ECKey(privateKeyPEM: Data(contentsOf: pem), source: pem.path)
        let spki = key.subjectPublicKeyInfoDER
        // OpenSSH wire format: string "ecdsa-sha2-nistp256", string "nistp256", string Q (the 65-byte point).
        func sshString(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
        }
        let wire = sshString(Array("ecdsa-sha2-nistp256".utf8)) + sshString(Array("nistp256".utf8))
            + sshString(Array(spki.suffix(65)))
        let digest = PackingRebuilder.bytes(fromHex: SHA256Hex.of(Data(wire)))
        var b64 = Data(digest).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        keyid = "SHA256:" + b64
        keyJSON = ["expires": .null, "keyid": .string(keyid), "keytype": "ecdsa-sha2-nistp256",
                   "scheme": "ecdsa-sha2-nistp256", "key": .string(spki.base64EncodedString())]
    }

    /// Adds the key to the served keys and signs `name@version` with it.
    func sign(_ registry: LoopbackRegistry, name: String, version: String) throws {
        var signature: JSONValue = .null
        let integrity = registry.content.packuments[name]?["versions"]?[version]?["dist"]?["integrity"]?.stringValue ?? ""
        let sig = try key.sign(Data("\(name)@\(version):\(integrity)".utf8))
        signature = ["keyid": .string(keyid), "sig": .string(sig.base64EncodedString())]
        registry.update { content in
            var keys = content.keys?["keys"]?.arrayValue ?? []
            if !keys.contains(keyJSON) { keys.append(keyJSON) }
            content.keys = ["keys": .array(keys)]
            content.updateVersion(name: name, version: version) { $0["dist"]?["signatures"] = [signature] }
        }
    }
}

/// Runs the standard pipeline (every real stage) against a loopback registry serving the fixtures.
func verifyOnLoopback(_ registry: LoopbackRegistry, _ spec: String, source: String, policy: PolicyDocument = .default,
                      strict: Bool = false) async throws -> VerificationResult {
    let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(
        registry: RegistryConfiguration(registry: registry.baseURL), offline: true))
    return try await pipeline.verify(VerificationRequest(
        spec: try PackageSpec(parsing: spec), source: .path(source), policy: policy,
        strictness: strict ? .strict : .standard, offline: true))
}

func statusMap(_ verdict: Verdict) -> [String: String] {
    Dictionary(uniqueKeysWithValues: verdict.checks.map { ($0.id.rawValue, $0.status.keyword) })
}

@Suite(.serialized) struct EndToEndTests {
    let directory: TemporaryDirectory
    let registry: LoopbackRegistry
    let demoKey: DemoRegistryKey

    init() throws {
        directory = try TemporaryDirectory()
        registry = try LoopbackRegistry(content: try RegistryContent.fixtures(at: Fixtures.root))
        demoKey = try DemoRegistryKey(directory: directory.url)
    }

    func gundamSource() throws -> String { try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path }

    @Test func gundamVisorPassesEveryCheckOffline() async throws {
        defer { registry.stop(); directory.cleanup() }
        // Without a registry signature the fixture honestly fails trust.signatures ("no-signatures").
        let unsigned = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource()).verdict
        #expect(unsigned.check(.trustSignatures)?.status == .fail)
        #expect(unsigned.check(.trustSignatures)?.reasons.first?.hasPrefix("no-signatures") == true)

        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        let policy = try PolicyDocument.load(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.json"))
        let result = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource(), policy: policy)
        let verdict = result.verdict
        let notPassing = verdict.checks.filter { $0.status != .pass }
        #expect(notPassing.map(\.id) == [.rebuildNotInSource], "\(notPassing)")
        #expect(verdict.overall == .verified)
        // Evidence: commit, tag, workflow, integrity.
        #expect(verdict.check(.sourceTagMatchesProvenance)?.evidence["commit"] == "599500821344b070902a7a5666064bfdaba715df")
        #expect(verdict.check(.sourceTag)?.evidence["tag"] == "v1.0.1")
        #expect(verdict.check(.trustProvenance)?.evidence["workflow"] == ".github/workflows/npm-publish.yml")
        #expect(verdict.check(.registryIntegrity)?.evidence["integrity"]
            == "sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA==")
        #expect(verdict.check(.trustSignatures)?.evidence["keyids"] == demoKey.keyid)
        #expect(verdict.check(.policyBranch)?.evidence["branches"] == "refs/heads/main")
        let outcome = verdict.check(.rebuildCompare)?.evidence["outcome"]
        #expect(outcome == "exact")  // byte for byte (Packing tries the Node-zlib deflate emulation)

        // The outputs of a verified run.
        let sarif = SARIFLog.make(verdicts: [verdict], toolVersion: "0.1.0")
        #expect(sarif.runs[0].results.isEmpty)
        #expect(try SchemaValidation.sarifErrors(try ProvcheckJSON.encode(sarif)) == [])
        let vsa = try VerificationSummary.statement(for: verdict, policy: policy, inputAttestations: result.inputAttestations,
                                                    verifierVersion: "0.1.0")
        #expect(vsa.predicate.verificationResult == "PASSED")
        #expect(vsa.predicate.verifiedLevels == ["SLSA_BUILD_LEVEL_2"])
        #expect(vsa.predicate.inputAttestations?.count == 1)
        #expect(try SchemaValidation.errors(try ProvcheckJSON.encode(vsa), schema: "vsa-statement.schema.json") == [])
        #expect(try SchemaValidation.errors(try verdict.jsonData(), schema: "verdict.schema.json") == [])
    }

    @Test func oneChangedByteInAPackedFileWithAConsistentIntegrityFails() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        // Flip one byte of package/index.js's content inside the tar, re-gzip, and make the packument agree.
        let tgz = directory.url.appendingPathComponent("gundam.tgz")
        try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz").write(to: tgz)
        var tar = try run(["gzip", "-dc", tgz.path])
        let name = Data("package/index.js".utf8)
        var headerOffset = 0
        while headerOffset + 512 <= tar.count, tar[headerOffset..<headerOffset + name.count] != name { headerOffset += 512 }
        try #require(headerOffset + 512 < tar.count)
        tar[headerOffset + 512 + 3] ^= 0x20
        let tarFile = directory.url.appendingPathComponent("gundam.tar")
        try tar.write(to: tarFile)
        let tampered = try run(["gzip", "-n", "-9", "-c", tarFile.path])
        let digests = DigestTarballHashing().sha512AndSHA1Hex(tampered)
        let integrity = "sha512-" + Data(PackingRebuilder.bytes(fromHex: digests.sha512)).base64EncodedString()
        registry.update { content in
            content.replaceTarball(name: "gundam-visor", version: "1.0.1", with: tampered)
            content.updateVersion(name: "gundam-visor", version: "1.0.1") {
                $0["dist"]?["integrity"] = .string(integrity)
                $0["dist"]?["shasum"] = .string(digests.sha1)
            }
        }
        let verdict = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource()).verdict
        let statuses = statusMap(verdict)
        #expect(statuses["registry.integrity"] == "pass")
        #expect(statuses["registry.shasum"] == "pass")
        #expect(statuses["trust.signatures"] == "fail")
        #expect(statuses["trust.publish-attestation"] == "fail")
        #expect(statuses["trust.provenance"] == "fail")
        #expect(verdict.check(.trustProvenance)?.reasons.contains { $0.hasPrefix("subject-digest-mismatch") } == true)
        #expect(statuses["rebuild.compare"] == "fail")
        #expect(verdict.check(.rebuildCompare)?.reasons.contains("content differs: index.js") == true)
        #expect(verdict.overall == .failed)
    }

    @Test func provenanceFromAnotherRepositoryOrWorkflowFailsThePolicy() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        let policy = try PolicyDocument.parse(Data("""
        {"repository": "https://github.com/ramonpetgrave64/other-repo", "workflow": ".github/workflows/release.yml",
         "refs": ["refs/heads/main"], "triggers": ["push"]}
        """.utf8), source: "other.policy.json")
        let verdict = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource(), policy: policy).verdict
        let statuses = statusMap(verdict)
        for id in ["policy.repository", "policy.workflow", "policy.ref", "policy.trigger"] {
            #expect(statuses[id] == "fail", "\(id)")
        }
        #expect(verdict.check(.policyRepository)?.reasons.first?.contains("other-repo") == true)
        #expect(statuses["trust.provenance"] == "pass")
        #expect(verdict.overall == .failed)

        // Default policy: the packument names another repository than the provenance.
        registry.update { content in
            content.updateVersion(name: "gundam-visor", version: "1.0.1") {
                $0["repository"] = ["type": "git", "url": "git+https://github.com/someone/gundam-visor.git"]
            }
        }
        let moved = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource()).verdict
        #expect(moved.check(.policyRepository)?.status == .fail)
    }

    @Test func aTagPointingAtAnotherCommitFails() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        let clone = directory.url.appendingPathComponent("clone")
        try run(["git", "clone", "--quiet", try gundamSource(), clone.path])
        try run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty",
                 "-m", "moved"], in: clone)
        try run(["git", "tag", "-f", "v1.0.1", "HEAD"], in: clone)
        let verdict = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: clone.path).verdict
        let check = try #require(verdict.check(.sourceTagMatchesProvenance))
        #expect(check.status == .fail)
        #expect(check.evidence["commit"] == "599500821344b070902a7a5666064bfdaba715df")
        #expect(check.evidence["tagCommit"] != check.evidence["commit"])
        // The provenance commit still exists and still rebuilds to the registry tarball.
        #expect(verdict.check(.sourceCommitExists)?.status == .pass)
        #expect(verdict.check(.rebuildCompare)?.status == .pass)
        #expect(verdict.overall == .failed)
    }

    @Test func aCommitOnNoAllowedBranchFailsThePolicy() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        let policy = try PolicyDocument.parse(Data(#"{"branches": ["refs/heads/release/*"]}"#.utf8), source: "b.json")
        let verdict = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource(), policy: policy).verdict
        let check = try #require(verdict.check(.policyBranch))
        #expect(check.status == .fail)
        #expect(check.evidence["branches"] == "refs/heads/main")
        #expect(verdict.overall == .failed)
    }

    @Test func aVersionWithoutProvenanceUnderARequiringPolicyFails() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "gundam-visor", version: "1.0.1")
        registry.update { content in
            content.updateVersion(name: "gundam-visor", version: "1.0.1") { $0["dist"]?["attestations"] = nil }
        }
        let policy = try PolicyDocument.parse(Data(#"{"provenance": "required"}"#.utf8), source: "required.policy.json")
        let verdict = try await verifyOnLoopback(registry, "gundam-visor@1.0.1", source: try gundamSource(), policy: policy).verdict
        #expect(verdict.check(.trustProvenance)?.status == .notApplicable(reason: "the packument announces no provenance"))
        #expect(verdict.check(.policyProvenanceRequired)?.status == .fail)
        // Source binding falls back to the packument's gitHead.
        #expect(verdict.check(.sourceCommitExists)?.evidence["commitFrom"] == "gitHead")
        #expect(verdict.overall == .failed)
    }

    @Test func aFileTheRebuildDoesNotPackButTheSourceHasIsCheckedAgainstTheSource() async throws {
        defer { registry.stop(); directory.cleanup() }
        // isexe@2.0.0 was packed by npm 4.4.2, which wrote the package's .gitignore as .npmignore; the rebuild's
        // rules leave it out, and the file is in git at the commit (as .gitignore) with the same content.
        let source = try Fixtures.url("npm/sources/isaacs+isexe.bundle").path
        let verdict = try await verifyOnLoopback(registry, "isexe@2.0.0", source: source).verdict
        #expect(verdict.check(.rebuildCompare)?.status == .pass)
        #expect(verdict.check(.rebuildCompare)?.reasons.contains {
            $0 == "in the source with the same content, but not packed by the rebuild's rules: .npmignore (npm's rename of .gitignore)"
        } == true)
        #expect(verdict.check(.rebuildNotInSource)?.status.keyword == "not-applicable")
    }

    @Test func sigstoreReportsItsBuiltFilesAsNotInSource() async throws {
        defer { registry.stop(); directory.cleanup() }
        try demoKey.sign(registry, name: "sigstore", version: "2.3.1")
        let source = try Fixtures.url("npm/sources/sigstore+sigstore-js.bundle").path
        let policy = try PolicyDocument.load(contentsOf: Fixtures.repositoryRoot
            .appendingPathComponent("docs/examples/monorepo-main-branch.policy.json"))
        let verdict = try await verifyOnLoopback(registry, "sigstore@2.3.1", source: source, policy: policy).verdict
        let notPassing = verdict.checks.filter { $0.status != .pass }
        #expect(notPassing.map(\.id) == [.rebuildNotInSource], "\(notPassing)")
        let check = try #require(verdict.check(.rebuildNotInSource))
        #expect(check.status.isSkipped)
        #expect(check.evidence["files"] == [
            "dist/config.d.ts", "dist/config.js", "dist/index.d.ts", "dist/index.js", "dist/sigstore.d.ts",
            "dist/sigstore.js",
        ].joined(separator: ", "))
        #expect(verdict.check(.sourceTag)?.evidence["tag"] == "sigstore@2.3.1")
        #expect(verdict.check(.rebuildCompare)?.evidence["outcome"] == "content-identical")
        #expect(verdict.check(.trustProvenance)?.evidence["ref"] == "refs/heads/main")
        #expect(verdict.overall == .incomplete)
        // SARIF: the built files are one warning.
        let sarif = SARIFLog.make(verdicts: [verdict], toolVersion: "0.1.0")
        #expect(sarif.runs[0].results.map(\.ruleId) == ["rebuild.not-in-source"])
        #expect(try SchemaValidation.sarifErrors(try ProvcheckJSON.encode(sarif)) == [])
    }
}
