import Audit
import Foundation
import Lockfiles
import LoopbackRegistry
import Registry
import Testing
import TestSupport
@testable import Verification

/// The real `npm audit signatures` (npm 10, with the offline TUF shim in Scripts/) and `PackageAuditor` on the same
/// generated project and loopback registry: the same audited / verified / missing / invalid counts; provcheck also
/// lists what npm skips silently, and keeps going where npm aborts.
@Suite(.serialized, .enabled(if: NPMOracle.available, "npm and Scripts/npm-audit-offline-shim.js are needed"))
struct NPMOracleTests {
    @Test func sameCountsAsNpmAuditSignatures() async throws {
        let key = try TestSigningKey.generate()
        var packages: [GeneratedPackage] = (1...21).map { GeneratedPackage(name: String(format: "dep-%02d", $0)) }
        packages.append(GeneratedPackage(name: "@gen/scoped"))
        packages += (1...4).map { GeneratedPackage(name: "unsigned-\($0)", signature: .none) }
        packages += (1...3).map { GeneratedPackage(name: "badsig-\($0)", signature: .bad) }
        packages.append(GeneratedPackage(name: "dev-only", dev: true))
        let project = try GeneratedProject.serve(packages, key: key, otherKey: key)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        try GeneratedProject.write(
            to: folder.url, packages: packages, registry: registry.baseURL,
            extra: ["node_modules/gitdep": ["version": "1.0.0", "resolved": "git+ssh://git@github.com/o/gitdep.git#0123456789012345678901234567890123456789"]],
            extraDependencies: ["gitdep": "github:o/gitdep"])

        let npm = try NPMOracle.auditSignatures(project: folder.url, registry: registry.baseURL)
        #expect(npm.status == 1, "\(npm.output)")
        let lockfile = try LockfileLoader.load(from: folder.url)
        let report = await PackageAuditor(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)))
            .audit(lockfile, options: AuditOptions(projectDirectory: folder.url))
        let counts = report.counts
        #expect(npm.audited == 30)
        #expect(counts.audited == npm.audited)
        #expect(counts.verifiedSignatures == npm.verified)
        #expect(counts.missing == npm.missing)
        #expect(counts.invalid == npm.invalid)
        #expect(npm.missing == 4 && npm.invalid == 3)
        // What npm does not mention: the git dependency.
        #expect(!npm.output.contains("gitdep"))
        #expect(report.packages.first { $0.name == "gitdep" }?.skipReason == .notFromRegistry)

        // --omit dev, both tools.
        let npmOmit = try NPMOracle.auditSignatures(project: folder.url, registry: registry.baseURL, extra: ["--omit", "dev"])
        let omitted = await PackageAuditor(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)))
            .audit(lockfile, options: AuditOptions(omit: [.dev], projectDirectory: folder.url))
        #expect(npmOmit.audited == 29)
        #expect(omitted.counts.audited == npmOmit.audited)
        #expect(omitted.counts.verifiedSignatures == npmOmit.verified)
    }

    @Test func unknownKeyAbortsNpmButProvcheckAuditsEverything() async throws {
        let key = try TestSigningKey.generate()
        let other = try TestSigningKey.generate()
        var packages = (1...5).map { GeneratedPackage(name: "fine-\($0)") }
        packages.append(GeneratedPackage(name: "foreign-key", signature: .unknownKey))
        let project = try GeneratedProject.serve(packages, key: key, otherKey: other)
        defer { project.stop() }
        let registry = project.registry, folder = project.folder
        try GeneratedProject.write(to: folder.url, packages: packages, registry: registry.baseURL)

        let npm = try NPMOracle.auditSignatures(project: folder.url, registry: registry.baseURL)
        #expect(npm.status != 0)
        #expect(npm.output.contains("EMISSINGSIGNATUREKEY"))
        #expect(npm.audited == nil)  // npm printed no summary at all
        let report = await PackageAuditor(client: RegistryClient(configuration: RegistryConfiguration(registry: registry.baseURL)))
            .audit(try LockfileLoader.load(from: folder.url), options: AuditOptions(projectDirectory: folder.url))
        #expect(report.counts.verifiedSignatures == 5)
        #expect(report.counts.invalid == 1)
        #expect(report.packages.first { $0.name == "foreign-key" }?.reasons.first?.contains("unknown-key") == true)
    }
}

/// Runs npm 10's `audit signatures` against a loopback registry.
enum NPMOracle {
    static var shim: URL { Fixtures.repositoryRoot.appendingPathComponent("Scripts/npm-audit-offline-shim.js") }

    static var npmPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/npm" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { npmPath != nil && FileManager.default.fileExists(atPath: shim.path) }

    struct Outcome {
        var status: Int32
        var output: String
        var audited: Int?
        var verified: Int
        var missing: Int
        var invalid: Int
    }

    static func auditSignatures(project: URL, registry: URL, extra: [String] = []) throws -> Outcome {
        let scratch = project.appendingPathComponent(".npm-oracle")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let userconfig = scratch.appendingPathComponent("npmrc")
        try Data().write(to: userconfig)
        var environment = ProcessInfo.processInfo.environment
        environment["NODE_OPTIONS"] = "--require \(shim.path)"
        environment["npm_config_userconfig"] = userconfig.path
        environment["npm_config_cache"] = scratch.appendingPathComponent("cache").path
        environment["npm_config_update_notifier"] = "false"
        environment["npm_config_fund"] = "false"
        environment["NO_COLOR"] = "1"
        environment["NODE_ENV"] = nil  // npm omits dev dependencies under NODE_ENV=production
        let result = try Shell.execute(npmPath!, ["audit", "signatures", "--registry", registry.absoluteString] + extra,
                                       directory: project, environment: environment)
        let output = result.stdout + result.stderr
        func number(_ pattern: String) -> Int? {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                let match = regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)),
                let range = Range(match.range(at: 1), in: output)
            else { return nil }
            return Int(output[range])
        }
        return Outcome(
            status: result.status, output: output,
            audited: number(#"audited (\d+) packages?"#),
            verified: number(#"(\d+) packages? ha(?:s|ve) (?:a )?verified registry signatures?"#) ?? 0,
            missing: number(#"(\d+) packages? ha(?:s|ve) (?:a )?missing registry signatures?"#) ?? 0,
            invalid: number(#"(\d+) packages? ha(?:s|ve) (?:an )?invalid registry signatures?"#) ?? 0)
    }
}
