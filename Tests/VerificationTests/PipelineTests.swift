import Configuration
import Foundation
import Testing
import TestSupport
@testable import Verification

// MARK: - Fakes

struct FakeRegistry: RegistryAccess {
    var baseURL = URL(string: "http://127.0.0.1:1/")!
    var packuments: [String: Data] = [:]
    var files: [String: Data] = [:]
    var keysDocument: Data? = nil

    func packument(name: String) async throws -> Data {
        guard let data = packuments[name] else { throw VerificationError.registry(url: name, problem: "404") }
        return data
    }
    func fetch(_ url: String) async throws -> Data? { files[url] }
    func keys() async throws -> Data? { keysDocument }
}

struct FakeTrust: TrustVerifying {
    var identity: ProvenanceIdentity?
    var signaturesOK = true
    func verify(packument: PackumentFacts, document: PackumentDocument?, attestations: Data?, attestationsURL: String?,
                keys: Data?, tarballSHA512Hex: String?) async -> TrustOutcome {
        let provenance: Check = identity == nil
            ? .notApplicable(.trustProvenance, "Provenance", reason: "no provenance")
            : .pass(.trustProvenance, "Provenance", evidence: ["workflow": identity?.workflowPath ?? ""])
        return TrustOutcome(
            signatures: signaturesOK ? .pass(.trustSignatures, "Signatures") : .fail(.trustSignatures, "Signatures", reasons: ["bad"]),
            publishAttestation: identity == nil
                ? .notApplicable(.trustPublishAttestation, "Publish attestation", reason: "none")
                : .pass(.trustPublishAttestation, "Publish attestation"),
            provenance: provenance, identity: identity, publishAttestationVerified: identity != nil,
            provenanceInvalid: false)
    }
}

struct FakeRebuilder: Rebuilding {
    var comparison = RebuildComparison(outcome: .identical)
    func rebuildAndCompare(repository: any SourceRepository, commit: String, directory: String?, npmVersion: String?,
                           nodeVersion: String?, registryTarball: Data) async throws -> RebuildComparison { comparison }
}

struct CleanInspector: ArchiveInspecting {
    func findings(in tarball: Data) async throws -> ArchiveFindings { ArchiveFindings() }
}

// MARK: - Helpers

/// A packument for gundam-visor@1.0.1 shaped like the registry's (and the loopback registry's synthesized one).
func gundamPackument(integrity: String? = nil, shasum: String? = nil, earlierWithProvenance: Bool = false,
                     attestations: Bool = true, repository: String = "git+https://github.com/ramonpetgrave64/gundam-visor.git") throws -> Data {
    let tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
    let digests = DigestTarballHashing().sha512AndSHA1Hex(tarball)
    var dist: [String: Any] = [
        "integrity": integrity ?? "sha512-jZ15cvZ2UWx1AUqgdOEa5gTZjwtk7Gclph4oOP89qxYhGPpxQz+zHhVQ0wvQ3snQhs4DK5RFe1g5AMUHrPOcQA==",
        "shasum": shasum ?? digests.sha1,
        "tarball": "http://127.0.0.1:1/gundam-visor/-/gundam-visor-1.0.1.tgz",
    ]
    if attestations {
        dist["attestations"] = ["url": "https://registry.npmjs.org/-/npm/v1/attestations/gundam-visor@1.0.1",
                                "provenance": ["predicateType": "https://slsa.dev/provenance/v1"]]
    }
    var versions: [String: Any] = [
        "1.0.1": ["name": "gundam-visor", "version": "1.0.1", "dist": dist,
                  "gitHead": "599500821344b070902a7a5666064bfdaba715df",
                  "repository": ["type": "git", "url": repository]],
    ]
    if earlierWithProvenance {
        versions["1.0.0"] = ["name": "gundam-visor", "version": "1.0.0",
                             "dist": ["attestations": ["url": "x", "provenance": ["predicateType": "https://slsa.dev/provenance/v1"]]]]
    }
    return try JSONSerialization.data(withJSONObject: ["name": "gundam-visor", "versions": versions])
}

func gundamRegistry(packument: Data? = nil, tarball: Data? = nil) throws -> FakeRegistry {
    var registry = FakeRegistry()
    registry.packuments["gundam-visor"] = try packument ?? gundamPackument()
    registry.files["http://127.0.0.1:1/gundam-visor/-/gundam-visor-1.0.1.tgz"] =
        try tarball ?? Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
    registry.files["http://127.0.0.1:1/-/npm/v1/attestations/gundam-visor@1.0.1"] =
        try Fixtures.data("npm/attestations/gundam-visor@1.0.1.json")
    return registry
}

func pipeline(_ registry: FakeRegistry, trust: FakeTrust = FakeTrust(identity: gundamFacts),
              rebuilder: FakeRebuilder = FakeRebuilder()) -> VerificationPipeline {
    VerificationPipeline(registry: registry, trust: trust, sources: PackingSource(), rebuilder: rebuilder,
                         inspector: CleanInspector(), hasher: DigestTarballHashing())
}

let gundamBundle = "npm/sources/ramonpetgrave64+gundam-visor.bundle"

func gundamRequest(source: SourceLocator? = nil, policy: PolicyDocument = .default, strict: Bool = false) throws -> VerificationRequest {
    let bundle = try Fixtures.url(gundamBundle).path
    return VerificationRequest(
        spec: PackageSpec(name: "gundam-visor", version: "1.0.1"),
        source: source ?? .path(bundle), policy: policy,
        strictness: strict ? .strict : .standard, offline: true)
}

// MARK: - Tests

@Suite struct PipelineTests {
    @Test func specParsing() throws {
        #expect(try PackageSpec(parsing: "gundam-visor@1.0.1") == PackageSpec(name: "gundam-visor", version: "1.0.1"))
        #expect(try PackageSpec(parsing: "@scope/name@1.2.3-rc.1") == PackageSpec(name: "@scope/name", version: "1.2.3-rc.1"))
        for bad in ["gundam-visor", "@scope/name", "name@", "@1.0.0", "@scope@1.0.0"] {
            #expect(throws: VerificationError.self, "\(bad)") { try PackageSpec(parsing: bad) }
        }
    }

    @Test func semverOrder() {
        #expect(SemVer.precedes("1.0.0-rc.1", "1.0.0"))
        #expect(SemVer.precedes("1.0.0-alpha", "1.0.0-alpha.1"))
        #expect(SemVer.precedes("1.0.0-alpha.2", "1.0.0-alpha.10"))
        #expect(SemVer.precedes("1.9.0", "1.10.0"))
        #expect(!SemVer.precedes("1.0.0", "1.0.0"))
    }

    @Test func gundamVisorPassesEveryCheckWithTheRealSourceBundle() async throws {
        let result = try await pipeline(try gundamRegistry()).verify(try gundamRequest())
        let verdict = result.verdict
        let failing = verdict.checks.filter { $0.status != .pass && !($0.status.keyword == "not-applicable") }
        #expect(failing.isEmpty, "\(failing)")
        #expect(verdict.overall == .verified)
        #expect(verdict.check(.sourceTag)?.evidence["tag"] == "v1.0.1")
        #expect(verdict.check(.sourceTagMatchesProvenance)?.evidence["commit"] == "599500821344b070902a7a5666064bfdaba715df")
        #expect(verdict.check(.registryIntegrity)?.evidence["integrity"]?.hasPrefix("sha512-jZ15") == true)
        #expect(verdict.subject.sha512Hex?.hasPrefix("8d9d7972") == true)
    }

    @Test func aMovedTagFails() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let clone = dir.url.appendingPathComponent("clone")
        try run(["git", "clone", "--quiet", try Fixtures.url(gundamBundle).path, clone.path])
        try run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty",
                 "-m", "after the release"], in: clone)
        try run(["git", "tag", "-f", "v1.0.1", "HEAD"], in: clone)
        let moved = String(decoding: try run(["git", "rev-parse", "HEAD"], in: clone), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let verdict = try await pipeline(try gundamRegistry()).verify(try gundamRequest(source: .path(clone.path))).verdict
        let check = try #require(verdict.check(.sourceTagMatchesProvenance))
        #expect(check.status == .fail)
        #expect(check.evidence["tagCommit"] == moved)
        #expect(check.reasons[0].contains("moved"))
        #expect(verdict.check(.sourceCommitExists)?.status == .pass)
        #expect(verdict.overall == .failed)
    }

    @Test func remoteSourceOfflineIsSkippedNeverPassed() async throws {
        let verdict = try await pipeline(try gundamRegistry())
            .verify(try gundamRequest(source: .url("https://github.com/ramonpetgrave64/gundam-visor"))).verdict
        #expect(verdict.check(.sourceTag)?.status.isSkipped == true)
        #expect(verdict.check(.sourceTag)?.status.reason?.contains("--offline") == true)
        #expect(verdict.overall == .incomplete)
        let strict = try await pipeline(try gundamRegistry())
            .verify(try gundamRequest(source: .url("https://github.com/ramonpetgrave64/gundam-visor"), strict: true)).verdict
        #expect(strict.overall == .failed)
    }

    @Test func integrityMismatchFails() async throws {
        var tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        tarball[tarball.count - 5] ^= 0x01
        let verdict = try await pipeline(try gundamRegistry(tarball: tarball)).verify(try gundamRequest()).verdict
        #expect(verdict.check(.registryIntegrity)?.status == .fail)
        #expect(verdict.check(.registryShasum)?.status == .fail)
    }

    @Test func noProvenanceUnderARequiringPolicyFails() async throws {
        let registry = try gundamRegistry(packument: try gundamPackument(attestations: false))
        let policy = try PolicyDocument.parse(Data(#"{"provenance": "required"}"#.utf8))
        let verdict = try await pipeline(registry, trust: FakeTrust(identity: nil)).verify(try gundamRequest(policy: policy)).verdict
        #expect(verdict.check(.policyProvenanceRequired)?.status == .fail)
        // Source binding falls back to gitHead.
        #expect(verdict.check(.sourceCommitExists)?.evidence["commitFrom"] == "gitHead")
        #expect(verdict.check(.sourceTagMatchesProvenance)?.status == .pass)
        #expect(verdict.overall == .failed)
    }

    @Test func provenanceDowngradeFailsUnderTheDefaultPolicy() async throws {
        let registry = try gundamRegistry(packument: try gundamPackument(earlierWithProvenance: true, attestations: false))
        let verdict = try await pipeline(registry, trust: FakeTrust(identity: nil)).verify(try gundamRequest()).verdict
        #expect(verdict.check(.policyProvenanceRequired)?.status == .fail)
    }

    @Test func builtFilesAreListedAsNotInSource() async throws {
        let rebuilder = FakeRebuilder(comparison: RebuildComparison(outcome: .identicalTar, onlyInRegistry: ["package/dist/index.js"]))
        let verdict = try await pipeline(try gundamRegistry(), rebuilder: rebuilder).verify(try gundamRequest()).verdict
        #expect(verdict.check(.rebuildCompare)?.status == .pass)
        let check = try #require(verdict.check(.rebuildNotInSource))
        #expect(check.status.isSkipped)
        #expect(check.evidence["files"] == "package/dist/index.js")
        #expect(verdict.overall == .incomplete)
    }

    @Test func aDifferentRebuildFails() async throws {
        let rebuilder = FakeRebuilder(comparison: RebuildComparison(outcome: .different, contentDiffers: ["package/index.js"]))
        let verdict = try await pipeline(try gundamRegistry(), rebuilder: rebuilder).verify(try gundamRequest()).verdict
        #expect(verdict.check(.rebuildCompare)?.status == .fail)
        #expect(verdict.check(.rebuildCompare)?.reasons == ["content differs: package/index.js"])
        #expect(verdict.check(.policyRebuild)?.status == .fail)
    }

    @Test func missingVersionIsAnError() async throws {
        let request = VerificationRequest(spec: PackageSpec(name: "gundam-visor", version: "9.9.9"))
        await #expect(throws: VerificationError.self) { try await pipeline(try gundamRegistry()).verify(request) }
    }
}

@Suite struct RefOverrideTests {
    @Test func refNamesTheCommitWhenNothingElseDoes() async throws {
        // No provenance, no gitHead: --ref names the commit.
        var object = try JSONSerialization.jsonObject(with: try gundamPackument(attestations: false)) as! [String: Any]
        var versions = object["versions"] as! [String: Any]
        var manifest = versions["1.0.1"] as! [String: Any]
        manifest["gitHead"] = nil
        versions["1.0.1"] = manifest
        object["versions"] = versions
        let registry = try gundamRegistry(packument: try JSONSerialization.data(withJSONObject: object))
        var request = try gundamRequest()
        request.ref = "v1.0.1"
        let verdict = try await pipeline(registry, trust: FakeTrust(identity: nil)).verify(request).verdict
        #expect(verdict.check(.sourceCommitExists)?.evidence["commitFrom"] == "--ref")
        #expect(verdict.check(.sourceCommitExists)?.evidence["commit"] == "599500821344b070902a7a5666064bfdaba715df")
        #expect(verdict.check(.sourceTagMatchesProvenance)?.status.keyword == "not-applicable")
        #expect(verdict.check(.rebuildCompare)?.status == .pass)

        request.ref = "no-such-ref"
        let missing = try await pipeline(registry, trust: FakeTrust(identity: nil)).verify(request).verdict
        #expect(missing.check(.sourceCommitExists)?.status == .fail)
        #expect(missing.check(.rebuildCompare)?.status.isSkipped == true)
    }
}

@Suite struct ArchiveStageTests {
    @Test func pathTraversalFailsTheArchiveCheck() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let tgz = dir.url.appendingPathComponent("evil.tgz")
        try run(["python3", "-c", """
        import io, sys, tarfile
        with tarfile.open(sys.argv[1], "w:gz", format=tarfile.USTAR_FORMAT) as t:
            for name, body in [("package/package.json", b'{"name":"x","version":"1.0.0"}'), ("package/../../evil.sh", b"echo hi")]:
                info = tarfile.TarInfo(name); info.size = len(body); t.addfile(info, io.BytesIO(body))
        """, tgz.path])
        let findings = try await ArchiveStage().findings(in: try Data(contentsOf: tgz))
        #expect(!findings.errors.isEmpty)
        #expect(findings.errors.contains { $0.contains("evil.sh") || $0.contains("..") }, "\(findings)")
        let clean = try await ArchiveStage().findings(in: try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz"))
        #expect(clean.errors.isEmpty)
    }
}

@Suite struct RequestScopeTests {
    @Test func registryAndTrustScopeLeavesSourceOut() async throws {
        var request = try gundamRequest(policy: try PolicyDocument.parse(Data(#"{"branches": "refs/heads/main"}"#.utf8)))
        request.scope = .registryAndTrust
        request.source = nil
        let verdict = try await pipeline(try gundamRegistry()).verify(request).verdict
        for id: CheckID in [.sourceTag, .sourceCommitExists, .sourceTagMatchesProvenance, .rebuildCompare, .policyRebuild, .policyBranch] {
            #expect(verdict.check(id)?.status.keyword == "not-applicable", "\(id)")
        }
        #expect(verdict.overall == .verified)
    }

    @Test func aTarballOverrideIsCheckedAgainstThePackument() async throws {
        var request = try gundamRequest()
        var tarball = try Fixtures.data("npm/tarballs/gundam-visor@1.0.1.tgz")
        request.tarballOverride = tarball
        #expect(try await pipeline(try gundamRegistry()).verify(request).verdict.check(.registryIntegrity)?.status == .pass)
        tarball.append(0)
        request.tarballOverride = tarball
        #expect(try await pipeline(try gundamRegistry()).verify(request).verdict.check(.registryIntegrity)?.status == .fail)
    }
}
