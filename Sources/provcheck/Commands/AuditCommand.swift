import ArgumentParser
import Audit
import Build
import Digest
import Foundation
import Lockfiles
import NPMTrust
import Packing
import Registry
import Sigstore
import Verification

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `provcheck audit [path]`: verify every package a lockfile pins (and `node_modules` holds) against its registry.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit a project's lockfile and node_modules: integrity, installed versions, registry signatures, attestations, policy.",
        discussion: """
        Reads npm-shrinkwrap.json, package-lock.json (v1-v3), yarn.lock (v1) or pnpm-lock.yaml (v6, v9). For each \
        registry package it checks that the lockfile integrity equals the registry's dist.integrity, that \
        node_modules/<pkg>/package.json has the locked name and version (when node_modules exists), the registry \
        signatures, the attestations the packument announces, and with --policy the identity rules. Packages that \
        cannot be audited (git, file, link, tarball URLs, registries without keys, network errors after retries) \
        are listed as skipped with the reason and never counted as verified.

        Examples:
          provcheck audit
          provcheck audit path/to/project --omit dev --json
          provcheck audit package-lock.json --policy org.policy.toml --strict
          provcheck audit --sarif audit.sarif
          provcheck audit --rebuild --source https://github.com/o/r=./r.bundle

        Exit codes: 0 nothing invalid or missing; 1 an invalid or missing signature or attestation, or another \
        failed check (with --strict: also any skipped package); 2 usage error, unreadable lockfile, or no \
        registry package could be reached.
        """
    )

    @Argument(help: ArgumentHelp("Project folder or lockfile.", valueName: "path"))
    var path: String = "."

    @OptionGroup var registryOptions: RegistryOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Leave out a dependency type, as npm does (repeatable; default: dev when NODE_ENV=production).", valueName: "dev|optional|peer"))
    var omit: [String] = []

    @Option(name: [.customShort("w"), .long], help: ArgumentHelp("Audit only what this workspace (name or folder) needs (repeatable; package-lock.json v2/v3).", valueName: "workspace"))
    var workspace: [String] = []

    @Option(name: .long, help: ArgumentHelp("Packuments fetched at once (and connections kept open to one registry host).", valueName: "n"))
    var concurrency: Int = 128

    @OptionGroup var trust: TrustOptions

    @OptionGroup var policyOptions: PolicyOptions

    @OptionGroup var strictOptions: StrictOptions
    var strict: Bool { strictOptions.strict }

    @Option(name: .long, help: ArgumentHelp("Also write SARIF 2.1.0 to this file.", valueName: "file"))
    var sarif: String?

    @Flag(name: .long, help: "Also rebuild every package whose verified provenance names a repository, and compare with the registry tarball.")
    var rebuild: Bool = false

    @Option(name: .customLong("rebuild-concurrency"), help: ArgumentHelp("Rebuilds run at once (with --rebuild).", valueName: "n"))
    var rebuildConcurrency: Int = 2

    @Option(name: .long, help: ArgumentHelp("With --rebuild: read REPOSITORY from a local git repository or bundle instead of cloning it (repeatable).", valueName: "repository=path"))
    var source: [String] = []

    func validate() throws {
        for kind in omit where DependencyKind(rawValue: kind) == nil {
            throw ValidationError("--omit \(kind): expected dev, optional or peer")
        }
        try NumericOption.count(concurrency, name: "--concurrency", in: 1...256)
        try NumericOption.count(rebuildConcurrency, name: "--rebuild-concurrency", in: 1...16)
        for entry in source where !entry.contains("=") {
            throw ValidationError("--source \(entry): expected REPOSITORY=PATH, e.g. https://github.com/o/r=./r.bundle")
        }
        if !source.isEmpty && !rebuild { throw ValidationError("--source needs --rebuild") }
    }

    /// `--omit`, else npm's default: `dev` when `NODE_ENV=production`.
    var effectiveOmit: Set<DependencyKind> {
        if !omit.isEmpty { return Set(omit.compactMap(DependencyKind.init(rawValue:))) }
        return ProcessInfo.processInfo.environment["NODE_ENV"] == "production" ? [.dev] : []
    }

    func run() async throws {
        let report: AuditReport
        do {
            let target = URL(fileURLWithPath: path)
            var lockfile = try LockfileLoader.load(from: target)
            if !workspace.isEmpty { lockfile = try lockfile.selectingWorkspaces(workspace) }
            let projectDirectory = lockfile.file.deletingLastPathComponent()
            var configuration = try RegistryConfiguration.resolve(
                registry: registryOptions.registry, projectDirectory: projectDirectory,
                cacheDirectory: registryOptions.cacheDir, offline: registryOptions.offline)
            if registryOptions.cacheDir == nil && !registryOptions.offline { configuration.cacheDirectory = nil }
            // As in verify: --offline never blocks a loopback registry (tests, local mirrors); it forbids clones.
            configuration = configuration.offline(registryOptions.offline)
            configuration.maxConcurrentRequests = concurrency
            configuration.maxConnectionsPerHost = concurrency
            if let timeout = registryOptions.timeout { configuration.timeout = max(1, timeout) }
            if let attempts = registryOptions.attempts { configuration.retry.maxAttempts = max(1, attempts) }
            if let keys = trust.keys {
                // Fail early on a bad keys file (not per package later).
                let url = URL(fileURLWithPath: keys)
                let data: Data
                do { data = try InputFile.read(url) } catch {
                    throw ValidationError("--keys \(keys): \(error.problem)")
                }
                _ = try TrustedRegistryKeys(json: data, source: keys)
            }
            let root = try trust.trustedRoot.map { try TrustedRoot.load(contentsOf: URL(fileURLWithPath: $0)) } ?? .production
            let policyDocument = try policyOptions.load()
            var rebuildOptions: AuditRebuildOptions? = nil
            if rebuild {
                // A policy with build = "auto" builds packages whose tarball holds build output (docs/build.md).
                let pipeline = try VerificationPipeline.standard(StandardPipelineOptions(
                    registry: configuration, offline: registryOptions.offline,
                    trustedRoot: trust.trustedRootURL, keys: trust.keysURL,
                    build: policyDocument?.build == .auto ? BuildSettings(registry: configuration) : nil))
                var sources: [String: SourceLocator] = [:]
                for entry in source {
                    let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                    sources[parts[0]] = .path(parts[1])
                }
                rebuildOptions = AuditRebuildOptions(pipeline: pipeline, concurrency: rebuildConcurrency, sources: sources,
                                                     offline: registryOptions.offline)
            }
            let options = AuditOptions(
                omit: effectiveOmit, concurrency: concurrency,
                keys: trust.keysURL.map { .file($0) } ?? .automatic, policy: policyDocument,
                projectDirectory: projectDirectory, rebuild: rebuildOptions)
            let auditor = PackageAuditor(client: RegistryClient(configuration: configuration),
                                         trust: RegistryTrustVerifier(trustedRoot: root))
            let progressLine: ProgressLine? = isatty(STDERR_FILENO) == 1 && !output.quiet ? ProgressLine() : nil
            var callback: (@Sendable (Int, Int) -> Void)? = nil
            if let progressLine { callback = { done, total in progressLine.update(done, total) } }
            report = await auditor.audit(lockfile, options: options, progress: callback)
            progressLine?.finish()
        } catch {
            throw CommandFailure("audit", error)
        }

        // Nothing could be fetched: one line with the count and the first reason (not one line per package).
        let counts = report.counts
        let registryPackages = counts.total - (counts.skippedByReason[AuditSkipReason.notFromRegistry.rawValue] ?? 0)
        // Only packages whose registry could not be read at all count here: one whose packument was read but whose
        // attestations could not be fetched had its signatures verified, and is a skipped (unverifiable) package.
        let unfetched = report.packages.filter { package in
            package.skipReason == .networkError && package.checks.contains { $0.id == .auditRegistry && $0.status.isSkipped }
        }
        if registryPackages > 0, unfetched.count == registryPackages {
            let first = unfetched.first?.reasons.first ?? "network error"
            throw CommandFailure("audit", code: "ENETWORK", message:
                "no registry package could be fetched (\(registryPackages) package(s)); nothing was verified. First error: \(first)")
        }

        if let sarif {
            do {
                let log = report.sarif(toolVersion: ProvcheckVersion.current)
                try OutputTarget.write(try ProvcheckJSON.encode(log), to: URL(fileURLWithPath: sarif))
            } catch let error as OutputTargetError {
                throw CommandFailure("audit", code: "EFILESYSTEM", message: "cannot write the SARIF file \(sarif): \(error.problem)")
            } catch {
                throw CommandFailure("audit", code: "EFILESYSTEM", message: "cannot write the SARIF file \(sarif): \(error)")
            }
        }
        if output.json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            print(AuditText.render(report, style: VerdictText.Style.forStandardOutput(output.color)), terminator: "")
        }
        if report.failed(strict: strict) { throw ExitStatus.failed }
    }
}

/// A progress line on stderr ("auditing 120/1000"), redrawn at most every 100 ms.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    private var drawn = false

    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(last) >= 0.1 else { return }
        last = now
        drawn = true
        FileHandle.standardError.write(Data("\r\u{1B}[Kprovcheck audit: \(done)/\(total) packages".utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Renders an audit report as text: npm's summary lines, then every package that is not verified, by outcome.
enum AuditText {
    static func plural(_ count: Int, _ singular: String, _ pluralForm: String) -> String {
        "\(count) \(count == 1 ? singular : pluralForm)"
    }

    static func render(_ report: AuditReport, style: VerdictText.Style) -> String {
        let counts = report.counts
        var out = "audited \(plural(counts.audited, "package", "packages")) in \(String(format: "%.2f", report.elapsed))s"
            + " (\(counts.total) in \(URL(fileURLWithPath: report.lockfile).lastPathComponent))\n\n"
        if counts.verifiedSignatures > 0 {
            out += style.paint(plural(counts.verifiedSignatures, "package has a verified registry signature",
                                      "packages have verified registry signatures"), "32") + "\n"
        }
        if counts.verifiedAttestations > 0 {
            out += style.paint(plural(counts.verifiedAttestations, "package has verified attestations",
                                      "packages have verified attestations"), "32") + "\n"
        }
        func list(_ packages: [PackageAudit]) -> String {
            packages.map { package in
                var line = "  \(package.name)@\(package.version) (\(package.location))\n"
                for reason in package.reasons { line += style.paint("      \(reason)", "2") + "\n" }
                return line
            }.joined()
        }
        let missing = report.packages.filter { $0.status == .missing }
        if !missing.isEmpty {
            out += "\n" + style.paint(plural(missing.count, "package has a missing registry signature or attestation",
                                             "packages have missing registry signatures or attestations"), "31;1")
                + " but the registry is providing signing keys:\n" + list(missing)
        }
        let invalid = report.packages.filter { $0.status == .invalid }
        if !invalid.isEmpty {
            out += "\n" + style.paint(plural(invalid.count, "package failed a check", "packages failed a check"), "31;1")
                + " (invalid signature or attestation, integrity, installed copy or policy):\n" + list(invalid)
        }
        let skipped = report.packages.filter { $0.status == .skipped }
        if !skipped.isEmpty {
            out += "\n" + style.paint(plural(skipped.count, "package was skipped", "packages were skipped"), "33;1")
                + " (not verified; --strict makes this fail):\n"
            for reason in AuditSkipReason.allCases {
                let group = skipped.filter { $0.skipReason == reason }
                guard !group.isEmpty else { continue }
                out += "  \(reason.phrase): \(group.count)\n"
                out += group.map { package in
                    "    \(package.name)@\(package.version) (\(package.location)): "
                        + (package.reasons.first ?? reason.phrase) + "\n"
                }.joined()
            }
        }
        // --rebuild: every package's rebuild outcome (verified or not), from the engine's source and rebuild checks.
        let rebuilt = report.packages.compactMap { package in
            PackageAuditor.rebuildSummary(package).map { (package, $0) }
        }
        if !rebuilt.isEmpty {
            out += "\n" + style.paint(plural(rebuilt.count, "package rebuilt from source", "packages rebuilt from source"), "1")
                + ":\n" + rebuilt.map { "  \($0.0.name)@\($0.0.version): \($0.1)\n" }.joined()
        }
        if counts.total == 0 { out += "no packages to audit\n" }
        return out
    }
}
