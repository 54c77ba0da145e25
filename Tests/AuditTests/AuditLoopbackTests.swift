import Audit
import Configuration
import Foundation
import Lockfiles
import LoopbackRegistry
import NPMTrust
import Registry
import Testing
import TestSupport
@testable import Verification

/// `PackageAuditor` against generated registries on the loopback server: keys made with openssl, signatures over
/// `name@version:integrity`, projects with package-lock.json and node_modules.
@Suite(.serialized) struct AuditLoopbackTests {
    static func client(_ registry: LoopbackRegistry, attempts: Int = 2, timeout: TimeInterval = 5) -> RegistryClient {
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: attempts, baseDelay: 0.02, maxDelay: 0.05, maxRetryAfter: 0.1)
        configuration.timeout = timeout
        configuration.resourceTimeout = timeout * 4
        return RegistryClient(configuration: configuration)
    }

    static func names(_ prefix: String, _ count: Int) -> [String] {
        (1...count).map { String(format: "\(prefix)-%02d", $0) }
    }

    @Test func signedUnsignedBadAndUnknownKeyPackages() async throws {
        let key = try TestSigningKey.generate()
        let other = try TestSigningKey.generate()
        var packages = Self.names("ok", 6).map { GeneratedPackage(name: $0) }
        packages.append(GeneratedPackage(name: "@gen/scoped"))
        packages.append(GeneratedPackage(name: "unsigned", signature: .none))
        packages.append(GeneratedPackage(name: "badsig", signature: .bad))
        packages.append(GeneratedPackage(name: "otherkey", signature: .unknownKey))
        let project = try GeneratedProject.serve(packages, key: key, otherKey: other)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        try GeneratedProject.write(
            to: folder.url, packages: packages, registry: registry.baseURL,
            extra: ["node_modules/gitdep": ["version": "1.0.0", "resolved": "git+ssh://git@github.com/o/gitdep.git#abc"],
                    "node_modules/localdep": ["resolved": "../localdep", "link": true]])

        let lockfile = try LockfileLoader.load(from: folder.url)
        let report = await PackageAuditor(client: Self.client(registry))
            .audit(lockfile, options: AuditOptions(projectDirectory: folder.url))
        let counts = report.counts
        #expect(counts.total == 12)
        #expect(counts.audited == 10)
        #expect(counts.verifiedSignatures == 7)
        #expect(counts.verified == 7)
        #expect(counts.missing == 1)
        #expect(counts.invalid == 2)
        #expect(counts.skipped == 2)
        #expect(counts.skippedByReason == ["not-from-registry": 2])
        let byName = Dictionary(uniqueKeysWithValues: report.packages.map { ($0.name, $0) })
        #expect(byName["unsigned"]?.status == .missing)
        #expect(byName["badsig"]?.status == .invalid)
        #expect(byName["badsig"]?.reasons.contains { $0.contains("bad-signature") } == true)
        #expect(byName["otherkey"]?.reasons.contains { $0.contains("unknown-key") } == true)
        #expect(byName["gitdep"]?.reasons.first?.contains("git dependency") == true)
        #expect(byName["localdep"]?.skipReason == .notFromRegistry)
        #expect(byName["@gen/scoped"]?.status == .verified)
        #expect(report.failed(strict: false))
        // Each packument was fetched once, the keys once.
        for package in packages {
            let path = "/" + package.name
            #expect(registry.requestCount(matching: PathPattern(path)) == 1, "\(path)")
        }
        #expect(registry.requestCount(matching: "/-/npm/v1/keys") == 1)

        // JSON and SARIF documents.
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(json["audited"] as? Int == 10)
        #expect(json["verified_signatures"] as? Int == 7)
        #expect(json["verified_attestations"] as? Int == 0)
        #expect(json["missing"] as? Int == 1)
        #expect(json["invalid"] as? Int == 2)
        #expect(json["skipped"] as? Int == 2)
        let listed = try #require(json["packages"] as? [[String: Any]])
        #expect(listed.count == 12)
        #expect(listed.allSatisfy { $0["name"] is String && $0["version"] is String && $0["status"] is String && $0["reasons"] is [Any] })
        #expect(try SchemaValidation.errors(try report.jsonData(), schema: "audit-report.schema.json") == [])
        let sarif = report.sarif(toolVersion: "test")
        #expect(try SchemaValidation.errors(try ProvcheckJSON.encode(sarif), schema: "sarif-2.1.0-subset.schema.json") == [])
        #expect(sarif.runs[0].results.filter { $0.level == "error" }.count == 3)
        #expect(sarif.runs[0].results.filter { $0.level == "warning" }.count == 2)
    }

    @Test func lockfileIntegrityAndInstalledCopyAreChecked() async throws {
        let key = try TestSigningKey.generate()
        let packages = [
            GeneratedPackage(name: "fine"),
            GeneratedPackage(name: "tampered", tamperedLockfileIntegrity: true),
            GeneratedPackage(name: "swapped", installedVersion: "9.9.9"),
        ]
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: key)
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        for version in [3, 2, 1] {
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL, lockfileVersion: version)
            let report = await PackageAuditor(client: Self.client(registry))
                .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(projectDirectory: folder.url))
            let byName = Dictionary(uniqueKeysWithValues: report.packages.map { ($0.name, $0) })
            #expect(byName["fine"]?.status == .verified, "v\(version)")
            #expect(byName["tampered"]?.status == .invalid, "v\(version)")
            #expect(byName["tampered"]?.signatures == .verified)
            #expect(byName["tampered"]?.reasons.contains { $0.contains("registry now serves") } == true)
            #expect(byName["swapped"]?.status == .invalid)
            #expect(byName["swapped"]?.reasons.contains { $0.contains("9.9.9") } == true)
        }
        // Without node_modules the installed check does not apply.
        let bare = try TemporaryFolder()
        defer { bare.cleanup() }
        try GeneratedProject.write(to: bare.url, packages: packages, registry: registry.baseURL, installed: false)
        let report = await PackageAuditor(client: Self.client(registry))
            .audit(try LockfileLoader.load(from: bare.url), options: AuditOptions(projectDirectory: bare.url))
        #expect(report.packages.first { $0.name == "swapped" }?.status == .verified)
    }

    @Test func omitDevLeavesDevPackagesOut() async throws {
        let key = try TestSigningKey.generate()
        let packages = [GeneratedPackage(name: "prod"), GeneratedPackage(name: "devonly", signature: .none, dev: true)]
        let project = try GeneratedProject.serve(packages, key: key, otherKey: key)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL)
        let lockfile = try LockfileLoader.load(from: folder.url)
        let all = await PackageAuditor(client: Self.client(registry)).audit(lockfile)
        #expect(all.counts.missing == 1)
        let omitted = await PackageAuditor(client: Self.client(registry)).audit(lockfile, options: AuditOptions(omit: [.dev]))
        #expect(omitted.counts.total == 1)
        #expect(omitted.counts.missing == 0)
        #expect(!omitted.failed(strict: true))
    }

    @Test func faultsOnSomePackagesNeverAbortTheAudit() async throws {
        let key = try TestSigningKey.generate()
        let packages = Self.names("pkg", 12).map { GeneratedPackage(name: $0) }
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: key)
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        registry.inject(.status(500), on: "/pkg-01")                 // always 500
        registry.inject(.delay(seconds: 3), on: "/pkg-02")            // beyond the 1 s timeout, every attempt
        registry.inject(.truncatedBody(keepingBytes: 20), on: "/pkg-03")  // always truncated
        registry.inject(.replacedBody(Data("{\"name\":".utf8)), on: "/pkg-04")  // malformed JSON
        registry.inject(.status(503), on: "/pkg-05", times: 1)        // one 503, then fine: retried
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL)
        let report = await PackageAuditor(client: Self.client(registry, attempts: 2, timeout: 1))
            .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(concurrency: 4, projectDirectory: folder.url))
        let byName = Dictionary(uniqueKeysWithValues: report.packages.map { ($0.name, $0) })
        for faulty in ["pkg-01", "pkg-02", "pkg-03", "pkg-04"] {
            #expect(byName[faulty]?.status == .skipped, "\(faulty)")
            #expect(byName[faulty]?.skipReason == .networkError, "\(faulty)")
        }
        #expect(byName["pkg-01"]?.reasons.first?.contains("500") == true)
        #expect(byName["pkg-02"]?.reasons.first?.contains("timed out") == true)
        #expect(byName["pkg-03"]?.reasons.first?.contains("bytes") == true)
        #expect(byName["pkg-04"]?.reasons.first?.contains("malformed") == true)
        #expect(byName["pkg-05"]?.status == .verified)
        #expect(registry.requestCount(matching: "/pkg-01") == 2)
        #expect(report.counts.verified == 8)
        #expect(report.counts.skippedByReason == ["network-error": 4])
        // Skipped packages fail the audit only with --strict.
        #expect(!report.failed(strict: false))
        #expect(report.failed(strict: true))
    }

    @Test func registryWithoutKeysIsSkippedNotVerified() async throws {
        let key = try TestSigningKey.generate()
        let packages = [GeneratedPackage(name: "a"), GeneratedPackage(name: "b", signature: .none)]
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: key)
        content.keys = nil
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL)
        let report = await PackageAuditor(client: Self.client(registry)).audit(try LockfileLoader.load(from: folder.url))
        #expect(report.counts.audited == 0)
        #expect(report.counts.skippedByReason == ["no-registry-keys": 2])
        #expect(report.counts.verified == 0)
        #expect(!report.failed(strict: false) && report.failed(strict: true))
    }

    @Test func scopedRegistryWithAuthFromNpmrc() async throws {
        let key = try TestSigningKey.generate()
        let privateKey = try TestSigningKey.generate()
        var publicContent = RegistryContent()
        try GeneratedProject.populate(&publicContent, packages: [GeneratedPackage(name: "pub")], key: key, otherKey: key)
        var privateContent = RegistryContent()
        try GeneratedProject.populate(&privateContent, packages: [GeneratedPackage(name: "@corp/lib")], key: privateKey, otherKey: privateKey)
        privateContent.requiredToken = "s3cret"
        privateContent.tokenScope = .everything
        let publicRegistry = try LoopbackRegistry(content: publicContent)
        defer { publicRegistry.stop() }
        let privateRegistry = try LoopbackRegistry(content: privateContent)
        defer { privateRegistry.stop() }

        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try GeneratedProject.write(to: folder.url, packages: [GeneratedPackage(name: "pub")], registry: publicRegistry.baseURL)
        // Add the scoped package to the lockfile with its own registry's tarball URL.
        let lockURL = folder.url.appendingPathComponent("package-lock.json")
        var lock = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: lockURL)) as? [String: Any])
        var entries = try #require(lock["packages"] as? [String: Any])
        let scoped = GeneratedPackage(name: "@corp/lib")
        entries["node_modules/@corp/lib"] = ["version": "1.0.0", "integrity": scoped.integrity,
                                             "resolved": privateRegistry.baseURL.absoluteString + "@corp/lib/-/lib-1.0.0.tgz"]
        lock["packages"] = entries
        try JSONSerialization.data(withJSONObject: lock).write(to: lockURL)
        let host = privateRegistry.baseURL.host!
        let npmrc = "@corp:registry=\(privateRegistry.baseURL.absoluteString)\n//\(host):\(privateRegistry.port)/:_authToken=${CORP_TOKEN}\n"
        try Data(npmrc.utf8).write(to: folder.url.appendingPathComponent(".npmrc"))

        var configuration = try RegistryConfiguration.resolve(
            registry: publicRegistry.baseURL.absoluteString, projectDirectory: folder.url,
            environment: ["CORP_TOKEN": "s3cret", "HOME": folder.url.path, "npm_config_globalconfig": "/nonexistent"])
        configuration.cacheDirectory = nil
        let report = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(try LockfileLoader.load(from: folder.url))
        #expect(report.counts.verified == 2, "\(report.packages.map { "\($0.name): \($0.reasons)" })")
        #expect(privateRegistry.authorizationHeaders.allSatisfy { $0 == "Bearer s3cret" })
        #expect(privateRegistry.requestCount(matching: "/-/npm/v1/keys") == 1)
        #expect(publicRegistry.authorizationHeaders.isEmpty)
    }

    @Test func realSignaturesAndAttestationsFromFixtures() async throws {
        let folder = try AuditProject([.init("gundam-visor@1.0.1"), .init("sigstore@2.3.1"),
                                       .init("sigstore@1.0.0", at: "node_modules/x/node_modules/sigstore")],
                                      root: ["name": "uses-fixtures", "version": "1.0.0"])
        defer { folder.stop() }
        let registry = folder.registry
        let lockfile = try LockfileLoader.load(from: folder.url)
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        let auditor = PackageAuditor(client: RegistryClient(configuration: configuration))
        let report = await auditor.audit(lockfile, options: AuditOptions(keys: .registry))
        let byID = Dictionary(uniqueKeysWithValues: report.packages.map { ("\($0.name)@\($0.version)", $0) })
        // Every attestation (SLSA provenance v0.2/v1 and npm publish attestations) verifies.
        #expect(report.counts.verifiedAttestations == 3, "\(report.packages.map { "\($0.name): \($0.reasons)" })")
        // sigstore@1.0.0 carries a real registry signature; the fixture registry has none for the other two.
        #expect(byID["sigstore@1.0.0"]?.status == .verified)
        #expect(byID["sigstore@1.0.0"]?.signatures == .verified)
        #expect(byID["gundam-visor@1.0.1"]?.signatures == .missing)
        #expect(byID["gundam-visor@1.0.1"]?.attestations == .verified)
        #expect(byID["gundam-visor@1.0.1"]?.checks.contains { $0.id == .trustProvenance && $0.status == .pass } == true)
        #expect(byID["sigstore@2.3.1"]?.checks.contains { $0.id == .trustPublishAttestation && $0.status == .pass } == true)
        // Once abbreviated; once full, because sigstore@1.0.0 is signed with npm's key that has an `expires` date
        // (its validity is judged at the publish time, which only the full packument has).
        #expect(registry.requestCount(matching: "/sigstore") == 2)
        #expect(byID["sigstore@1.0.0"]?.checks.first { $0.id == .auditSource }?.evidence["packument"] == "full")
        #expect(byID["gundam-visor@1.0.1"]?.checks.first { $0.id == .auditSource }?.evidence["packument"] == "abbreviated")

        // An identity policy pinning gundam-visor's repository: gundam-visor passes, sigstore fails it.
        let policy = try PolicyDocument.parse(Data(#"{"version":1,"repository":"https://github.com/ramonpetgrave64/gundam-visor","provenance":"required"}"#.utf8))
        let pinned = await auditor.audit(lockfile, options: AuditOptions(keys: .registry, policy: policy))
        let pinnedByID = Dictionary(uniqueKeysWithValues: pinned.packages.map { ("\($0.name)@\($0.version)", $0) })
        #expect(pinnedByID["gundam-visor@1.0.1"]?.checks.contains { $0.id == .policyRepository && $0.status == .pass } == true)
        #expect(pinnedByID["sigstore@2.3.1"]?.status == .invalid)
        #expect(pinnedByID["sigstore@2.3.1"]?.checks.contains { $0.id == .policyRepository && $0.status == .fail } == true)
    }

    @Test func scopedPackageAttestationsComeFromItsOwnRegistry() async throws {
        let folder = try AuditProject([.init("@trishankatdatadog/supreme-goggles@1.0.5")], lockfileVersion: 2)
        defer { folder.stop() }
        let scoped = folder.registry
        let other = try LoopbackRegistry(content: RegistryContent())
        defer { other.stop() }
        var configuration = RegistryConfiguration(registry: other.baseURL)
        configuration.scopedRegistries["@trishankatdatadog"] = scoped.baseURL
        configuration.retry = RetryPolicy(maxAttempts: 1)
        let report = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(try LockfileLoader.load(from: folder.url))
        let package = try #require(report.packages.first)
        #expect(package.attestations == .verified, "\(package.reasons)")
        #expect(scoped.requestCount(matching: "/-/npm/v1/attestations/*") == 1)
        #expect(other.requests.isEmpty)
    }

    @Test func rebuildFromALocalSourceBundle() async throws {
        let folder = try AuditProject([.init("gundam-visor@1.0.1")])
        defer { folder.stop() }
        let registry = folder.registry
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.retry = RetryPolicy(maxAttempts: 1)
        let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(registry: configuration, offline: true))
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle")
        let rebuild = AuditRebuildOptions(
            pipeline: pipeline, sources: ["git+https://github.com/ramonpetgrave64/gundam-visor.git": .path(bundle.path)],
            offline: true)
        let report = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(keys: .registry, rebuild: rebuild))
        let package = try #require(report.packages.first)
        #expect(package.provenance?.repository == "https://github.com/ramonpetgrave64/gundam-visor")
        let compare = try #require(package.checks.first { $0.id == .rebuildCompare })
        #expect(compare.status == .pass, "\(compare)")
        #expect(compare.evidence["outcome"] == "exact")
        #expect(package.checks.first { $0.id == .sourceTagMatchesProvenance }?.status == .pass)

        // Offline without a local source: the rebuild is skipped with the reason, never passed.
        let withoutSource = AuditRebuildOptions(pipeline: pipeline, offline: true)
        let skipped = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(keys: .registry, rebuild: withoutSource))
        let check = try #require(skipped.packages.first?.checks.first { $0.id == .rebuildCompare })
        #expect(check.status.isSkipped)
    }

    @Test func unknownPackageOrVersionIsAFinding() async throws {
        let key = try TestSigningKey.generate()
        let packages = [GeneratedPackage(name: "present")]
        let project = try GeneratedProject.serve(packages, key: key, otherKey: key)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        let base = registry.baseURL.absoluteString
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL, extra: [
            "node_modules/absent": ["version": "1.0.0", "resolved": base + "absent/-/absent-1.0.0.tgz", "integrity": "sha512-AAAA"],
            "node_modules/present/node_modules/present": [
                "version": "2.0.0", "resolved": base + "present/-/present-2.0.0.tgz", "integrity": "sha512-AAAA"],
        ], installed: false)
        let report = await PackageAuditor(client: Self.client(registry)).audit(try LockfileLoader.load(from: folder.url))
        let byLocation = Dictionary(uniqueKeysWithValues: report.packages.map { ($0.location, $0) })
        #expect(byLocation["node_modules/absent"]?.status == .invalid)
        #expect(byLocation["node_modules/absent"]?.reasons.first?.contains("has no package absent") == true)
        #expect(byLocation["node_modules/present/node_modules/present"]?.status == .invalid)
        #expect(byLocation["node_modules/present/node_modules/present"]?.reasons.first?.contains("no version 2.0.0") == true)
        #expect(byLocation["node_modules/present"]?.status == .verified)
        #expect(registry.requestCount(matching: "/present") == 1)
    }

    @Test func yarnAndPnpmLockfilesAuditEndToEnd() async throws {
        let key = try TestSigningKey.generate()
        let packages = [GeneratedPackage(name: "alpha"), GeneratedPackage(name: "@gen/beta"),
                        GeneratedPackage(name: "gamma", signature: .none), GeneratedPackage(name: "delta", signature: .bad)]
        let project = try GeneratedProject.serve(packages, key: key, otherKey: key)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder

        var yarn = "# yarn lockfile v1\n\n"
        var pnpm = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n"
        for package in packages {
            pnpm += "      '\(package.name)':\n        specifier: \(package.version)\n        version: \(package.version)\n"
        }
        pnpm += "\npackages:\n\n"
        var snapshots = "\nsnapshots:\n\n"
        for package in packages {
            let basename = package.name.split(separator: "/").last!
            yarn += "\"\(package.name)@^\(package.version)\":\n  version \"\(package.version)\"\n"
                + "  resolved \"https://registry.yarnpkg.com/\(package.name)/-/\(basename)-\(package.version).tgz#0000\"\n"
                + "  integrity \(package.integrity)\n\n"
            pnpm += "  '\(package.name)@\(package.version)':\n    resolution: {integrity: \(package.integrity)}\n\n"
            snapshots += "  '\(package.name)@\(package.version)': {}\n\n"
        }
        yarn += "\"git-thing@github:o/git-thing\":\n  version \"1.0.0\"\n  resolved \"https://codeload.github.com/o/git-thing/tar.gz/abc\"\n"
        let yarnFile = folder.url.appendingPathComponent("yarn.lock")
        let pnpmFile = folder.url.appendingPathComponent("pnpm-lock.yaml")
        try Data(yarn.utf8).write(to: yarnFile)
        try Data((pnpm + snapshots).utf8).write(to: pnpmFile)

        for file in [yarnFile, pnpmFile] {
            let report = await PackageAuditor(client: Self.client(registry)).audit(try LockfileLoader.load(from: file))
            let counts = report.counts
            #expect(counts.audited == 4, "\(file.lastPathComponent)")
            #expect(counts.verified == 2, "\(file.lastPathComponent)")
            #expect(counts.missing == 1, "\(file.lastPathComponent)")
            #expect(counts.invalid == 1, "\(file.lastPathComponent)")
            #expect(report.packages.allSatisfy { $0.status == .skipped || $0.checks.contains { $0.id == .auditLockfileIntegrity && $0.status == .pass } })
        }
        let yarnReport = await PackageAuditor(client: Self.client(registry)).audit(try LockfileLoader.load(from: yarnFile))
        #expect(yarnReport.counts.skippedByReason == ["not-from-registry": 1])

        // Installed copies: yarn's hoisted node_modules/<name>, pnpm's virtual store; another version is a finding.
        for path in ["node_modules/alpha", "node_modules/.pnpm/alpha@1.0.0/node_modules/alpha"] {
            let dir = folder.url.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(#"{"name":"alpha","version":"9.9.9"}"#.utf8).write(to: dir.appendingPathComponent("package.json"))
        }
        for file in [yarnFile, pnpmFile] {
            let report = await PackageAuditor(client: Self.client(registry))
                .audit(try LockfileLoader.load(from: file), options: AuditOptions(projectDirectory: folder.url))
            let alpha = report.packages.first { $0.name == "alpha" }
            #expect(alpha?.status == .invalid, "\(file.lastPathComponent)")
            #expect(alpha?.reasons.contains { $0.contains("9.9.9") } == true, "\(file.lastPathComponent)")
            // The others are simply not installed here: noted, not a failure.
            #expect(report.packages.first { $0.name == "@gen/beta" }?.status == .verified)
        }
    }

    @Test func packumentsOnceOverKeptAliveConnections() async throws {
        let key = try TestSigningKey.generate()
        let packages = Self.names("many", 40).map { GeneratedPackage(name: $0) }
        let project = try GeneratedProject.serve(packages, key: key, otherKey: key)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        // Every package at two locations: still one packument request per name.
        var extra: [String: [String: Any]] = [:]
        for package in packages {
            extra["node_modules/x/node_modules/\(package.name)"] = [
                "version": package.version, "integrity": package.integrity,
                "resolved": registry.baseURL.absoluteString + RegistryContent.tarballPath(name: package.name, version: package.version)]
        }
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL, extra: extra, installed: false)
        var configuration = RegistryConfiguration(registry: registry.baseURL)
        configuration.maxConcurrentRequests = 4
        let report = await PackageAuditor(client: RegistryClient(configuration: configuration))
            .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(concurrency: 4))
        #expect(report.counts.total == 80)
        #expect(report.counts.audited == 80)
        #expect(report.counts.verified == 80)
        #expect(registry.requests.count == 41)
        #expect(registry.connectionCount <= 8, "\(registry.connectionCount) connections for \(registry.requests.count) requests")
    }

    @Test func attestationEndpointFailuresAreReportedPerPackage() async throws {
        // npm/cli#7266: one HTTP 500 from the attestations endpoint aborted npm's whole audit.
        let key = try TestSigningKey.generate()
        let packages = [GeneratedPackage(name: "plain"), GeneratedPackage(name: "announced-missing"),
                        GeneratedPackage(name: "announced-500")]
        var content = RegistryContent()
        try GeneratedProject.populate(&content, packages: packages, key: key, otherKey: key)
        for name in ["announced-missing", "announced-500"] {
            content.updateVersion(name: name, version: "1.0.0") { manifest in
                manifest["dist"]?["attestations"] = [
                    "url": .string("https://registry.npmjs.org/-/npm/v1/attestations/\(name)@1.0.0"),
                    "provenance": ["predicateType": "https://slsa.dev/provenance/v1"]]
            }
        }
        let registry = try LoopbackRegistry(content: content)
        defer { registry.stop() }
        registry.inject(.status(500), on: "/-/npm/v1/attestations/announced-500@1.0.0")
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL, installed: false)
        let report = await PackageAuditor(client: Self.client(registry)).audit(try LockfileLoader.load(from: folder.url))
        let byName = Dictionary(uniqueKeysWithValues: report.packages.map { ($0.name, $0) })
        #expect(byName["plain"]?.status == .verified)
        #expect(byName["announced-missing"]?.status == .missing)
        #expect(byName["announced-missing"]?.attestations == .missing)
        #expect(byName["announced-missing"]?.reasons.contains { $0.contains("404") } == true)
        #expect(byName["announced-500"]?.status == .skipped)
        #expect(byName["announced-500"]?.skipReason == .networkError)
        #expect(byName["announced-500"]?.signatures == .verified)
        #expect(byName["announced-500"]?.reasons.contains { $0.contains("500") } == true)
    }
}
