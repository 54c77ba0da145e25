import Compare
import Digest
import Foundation
import JSON
import Packing
import Registry

/// Settings of sandboxed builds.
public struct BuildSettings: Sendable {
    /// The registry dependencies are fetched from (`registry.npmjs.org` lockfile URLs are moved onto it).
    public var registry: RegistryConfiguration
    /// Isolation and limits.
    public var sandbox: SandboxSettings
    /// The `node` to run (default: `node` on `PATH`).
    public var node: String?
    /// Run dependencies' install scripts (`--allow-install-scripts`), inside the sandbox.
    public var allowInstallScripts: Bool
    /// Replaces the inferred lifecycle scripts (`--build-command`).
    public var buildCommand: String?
    /// Where verified dependency tarballs are cached by integrity (default: `<registry cache>/build-tarballs`).
    public var tarballCache: URL?
    /// The `PATH` used to find `bwrap` and `node` (default: this process's).
    public var searchPath: String?

    /// Makes settings.
    public init(registry: RegistryConfiguration, sandbox: SandboxSettings = SandboxSettings(), node: String? = nil,
                allowInstallScripts: Bool = false, buildCommand: String? = nil, tarballCache: URL? = nil,
                searchPath: String? = nil) {
        self.registry = registry
        self.sandbox = sandbox
        self.node = node
        self.allowInstallScripts = allowInstallScripts
        self.buildCommand = buildCommand
        self.tarballCache = tarballCache
        self.searchPath = searchPath
    }
}

/// What to build.
public struct BuildRequest: Sendable {
    /// The repository.
    public var repository: GitRepository
    /// The commit to build.
    public var commit: String
    /// The package folder in the repository (monorepos).
    public var directory: String?
    /// The publisher's npm version (`_npmVersion`): lifecycle and packing rules.
    public var npmVersion: String?
    /// The publisher's Node version (`_nodeVersion`): gzip engine, and a note when the build's node differs.
    public var publisherNodeVersion: String?
    /// The registry integrity: gzip candidates are tried until one reproduces it.
    public var expectedIntegrity: String?
    /// Where the `.tgz` goes.
    public var output: URL
    /// The workflow file that published the package (path in the repository, e.g. from a verified provenance):
    /// its plain npm/node steps become the recipe.
    public var workflow: String?

    /// Makes a request.
    public init(repository: GitRepository, commit: String, directory: String? = nil, npmVersion: String? = nil,
                publisherNodeVersion: String? = nil, expectedIntegrity: String? = nil, output: URL,
                workflow: String? = nil) {
        self.workflow = workflow
        self.repository = repository
        self.commit = commit
        self.directory = directory
        self.npmVersion = npmVersion
        self.publisherNodeVersion = publisherNodeVersion
        self.expectedIntegrity = expectedIntegrity
        self.output = output
    }
}

/// The node a build ran with.
public struct NodeInfo: Sendable, Hashable, Codable {
    /// Its path.
    public var path: String
    /// `node --version` (e.g. `v20.20.2`).
    public var version: String
    /// The packument's `_nodeVersion`, when known.
    public var publisherVersion: String?
    /// Set when the majors differ.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case path, version, publisherVersion = "publisher_version", note
    }
}

/// One step as it ran.
public struct StepRun: Sendable, Hashable, Codable {
    /// The step.
    public var step: RecipeStep
    /// Exit status.
    public var status: Int32
    /// Seconds.
    public var seconds: Double
    /// Its last output lines.
    public var outputTail: String

    enum CodingKeys: String, CodingKey {
        case step, status, seconds, outputTail = "output_tail"
    }
}

/// What a build did: recipe, node, sandbox, install, steps.
public struct BuildReport: Sendable, Hashable, Codable {
    /// The recipe followed.
    public var recipe: BuildRecipe
    /// The node used.
    public var node: NodeInfo
    /// Whether the steps ran sandboxed.
    public var sandboxed: Bool
    /// What the sandbox allows, in one sentence.
    public var sandbox: String
    /// The dependency install (`nil`: nothing to install).
    public var install: InstallSummary?
    /// `SOURCE_DATE_EPOCH` given to the steps (the commit's committer time).
    public var sourceDateEpoch: Int?
    /// The steps as they ran.
    public var steps: [StepRun]
    /// Other notes.
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case recipe, node, sandboxed, sandbox, install, sourceDateEpoch = "source_date_epoch", steps, notes
    }
}

/// A built and packed package.
public struct BuiltPackage: Sendable {
    /// The packed tarball (from the built tree).
    public var result: RebuildResult
    /// How it was built.
    public var report: BuildReport
    /// The commit built.
    public var commit: String
}

/// Builds a package from its commit the way its publisher's CI did (lockfile install, lifecycle scripts, in a
/// bubblewrap sandbox), then packs the built tree with the publisher's npm generation.
///
/// ```swift
/// let builder = PackageBuilder(settings: BuildSettings(registry: configuration))
/// let built = try await builder.build(BuildRequest(repository: repo, commit: sha, output: out))
/// built.result.integrity   // sha512 of the rebuilt .tgz
/// built.report.recipe.transcript
/// ```
public struct PackageBuilder: Sendable {
    /// The settings.
    public let settings: BuildSettings

    /// Makes a builder.
    public init(settings: BuildSettings) { self.settings = settings }

    /// Builds and packs.
    /// - Throws: ``BuildError`` (sandbox unavailable, no node, lockfile, fetch, integrity mismatch, step failed,
    ///   timeout), ``RebuildError`` from packing.
    public func build(_ request: BuildRequest) async throws -> BuiltPackage {
        let searchPath = settings.searchPath ?? ProcessInfo.processInfo.environment["PATH"]
        if let directory = request.directory, directory.split(separator: "/").contains("..") {
            throw BuildError(.io, "package directory \(directory) leaves the repository")
        }
        // Node.
        guard let nodePath = ProcessRunner.which(settings.node ?? "node", path: searchPath) else {
            throw BuildError(.node, settings.node.map { "--node \($0) is not an executable" }
                ?? "no `node` on PATH: install Node.js or pass --node PATH")
        }
        let node = URL(fileURLWithPath: nodePath).resolvingSymlinksInPath()
        guard let version = ProcessRunner.capture(node.path, ["--version"]), version.hasPrefix("v") else {
            throw BuildError(.node, "\(nodePath) --version failed: not a working node")
        }
        var nodeInfo = NodeInfo(path: nodePath, version: version, publisherVersion: request.publisherNodeVersion)
        if let publisher = request.publisherNodeVersion, Self.major(publisher) != Self.major(version) {
            nodeInfo.note = "the publisher used Node \(publisher), this build Node \(version.dropFirst()): "
                + "output of tools that depend on the Node major may differ (pass --node)"
        }

        // The work area: <area>/work/{src,home} is the only writable place inside the sandbox; logs stay outside.
        // `src` is created by the confined checkout writer itself (it must not exist yet).
        let fm = FileManager.default
        let area = fm.temporaryDirectory.appendingPathComponent("provcheck-build-\(UUID().uuidString)")
        let work = area.appendingPathComponent("work")
        let checkout = work.appendingPathComponent("src")
        let home = work.appendingPathComponent("home")
        let logs = area.appendingPathComponent("logs")
        defer { try? fm.removeItem(at: area) }
        do {
            for folder in [home, logs] { try fm.createDirectory(at: folder, withIntermediateDirectories: true) }
        } catch {
            throw BuildError(.io, "cannot create the build folder \(area.path): \(error.localizedDescription)")
        }

        // The sandbox first: nothing is fetched when it cannot run.
        var readOnly: [String] = []
        if !node.path.hasPrefix("/usr/") {
            readOnly.append(node.deletingLastPathComponent().deletingLastPathComponent().path)
        }
        let sandbox = try Sandbox(settings: settings.sandbox, writable: work, extraReadOnly: readOnly, searchPath: searchPath)

        // The checkout.
        do {
            let source = try request.repository.source(commit: request.commit)
            try source.materialize(into: checkout)
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(.io, "cannot check out \(request.commit) of \(request.repository.origin): \(error)")
        }
        let generation = request.npmVersion.flatMap(NPMGeneration.init(npmVersion:)) ?? .npm10
        let recipe = try RecipeInference.infer(checkout: checkout, packageDirectory: request.directory,
                                               generation: generation, buildCommand: settings.buildCommand,
                                               workflow: request.workflow)
        let epoch = ProcessRunner.capture("/usr/bin/env", ["git", "--git-dir", request.repository.gitDirectory.path,
                                                          "show", "-s", "--format=%ct", request.commit]).flatMap { Int($0) }
        var report = BuildReport(recipe: recipe, node: nodeInfo, sandboxed: settings.sandbox.mode == .bubblewrap,
                                 sandbox: sandbox.description, install: nil, sourceDateEpoch: epoch, steps: [], notes: [])

        // Dependencies.
        if let lockfile = recipe.lockfile {
            guard let data = fm.contents(atPath: checkout.appendingPathComponent(lockfile).path) else {
                throw BuildError(.lockfile, "\(lockfile): cannot be read")
            }
            let lock = try PackageLock.parse(data, file: lockfile)
            let cache = settings.tarballCache ?? settings.registry.cacheDirectory?.appendingPathComponent("build-tarballs")
            let installer = DependencyInstaller(client: RegistryClient(configuration: settings.registry), cacheDirectory: cache)
            let installRoot = recipe.installDirectory == "." ? checkout : checkout.appendingPathComponent(recipe.installDirectory)
            var summary = try await installer.install(lock, lockfile: lockfile, root: installRoot)
            if settings.allowInstallScripts {
                try runInstallScripts(lock, root: installRoot, installDirectory: recipe.installDirectory, summary: &summary,
                                      sandbox: sandbox, checkout: checkout, home: home, node: node, epoch: epoch,
                                      logs: logs, report: &report)
            }
            report.install = summary
            if !summary.installScriptsNotRun.isEmpty {
                report.notes.append("install scripts not run (pass --allow-install-scripts): "
                    + summary.installScriptsNotRun.joined(separator: ", "))
            }
        }

        // The recipe.
        for (index, step) in recipe.steps.enumerated() {
            let run = try runStep(step, index: index, sandbox: sandbox, checkout: checkout, home: home, node: node,
                                  epoch: epoch, logs: logs, nodeEnv: recipe.nodeEnv)
            report.steps.append(run)
        }

        // Pack the built tree.
        let options = RebuildOptions(
            directory: recipe.packageDirectory == "." ? nil : recipe.packageDirectory, npmVersion: request.npmVersion,
            generation: generation, nodeVersion: request.publisherNodeVersion ?? String(version.dropFirst()),
            expectedIntegrity: request.expectedIntegrity, output: request.output)
        let result = try PackRebuilder().rebuild(.worktree(checkout), options: options)
        return BuiltPackage(result: result, report: report, commit: request.commit)
    }

    /// The files whose contents differ between two packed builds (non-determinism), or `[]` when they agree.
    public static func differingFiles(_ first: URL, _ second: URL) throws -> [String] {
        let report = try TarballComparator().compare(first, second)
        return (report.changed.map(\.path) + report.filesOnlyInA.map(\.path) + report.filesOnlyInB.map(\.path)).sorted()
    }

    static func major(_ version: String) -> Int? {
        Int(version.drop { $0 == "v" }.split(separator: ".").first ?? "")
    }

    /// The environment of a step: cleared except what the recipe needs.
    func environment(for step: RecipeStep, checkout: URL, home: URL, node: URL, epoch: Int?,
                     nodeEnv: String? = nil) -> [String: String] {
        var bins: [String] = []
        var folder = step.directory
        while true {
            bins.append(checkout.appendingPathComponent(folder == "." ? "" : folder).appendingPathComponent("node_modules/.bin").path)
            if folder == "." { break }
            folder = RecipeInference.parent(folder)
        }
        let directory = step.directory == "." ? checkout : checkout.appendingPathComponent(step.directory)
        var env: [String: String] = [
            "PATH": (bins + [node.deletingLastPathComponent().path, "/usr/local/bin", "/usr/bin", "/bin"]).joined(separator: ":"),
            "HOME": home.path,
            "CI": "true",
            "TMPDIR": settings.sandbox.mode == .bubblewrap ? "/tmp" : home.path,
            "INIT_CWD": directory.path,
            "npm_node_execpath": node.path,
            "npm_config_cache": home.appendingPathComponent(".npm").path,
            "npm_config_offline": "true",
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        ]
        if let epoch { env["SOURCE_DATE_EPOCH"] = String(epoch) }
        if let nodeEnv { env["NODE_ENV"] = nodeEnv }
        if let event = step.event {
            env["npm_lifecycle_event"] = event
            env["npm_lifecycle_script"] = step.command
        }
        let manifestURL = directory.appendingPathComponent("package.json")
        if let data = FileManager.default.contents(atPath: manifestURL.path), let manifest = try? RawJSON(parsing: data) {
            env["npm_package_json"] = manifestURL.path
            if let name = manifest["name"]?.stringValue { env["npm_package_name"] = name }
            if let version = manifest["version"]?.stringValue { env["npm_package_version"] = version }
        }
        return env
    }

    private func runStep(_ step: RecipeStep, index: Int, sandbox: Sandbox, checkout: URL, home: URL, node: URL,
                         epoch: Int?, logs: URL, nodeEnv: String? = nil) throws -> StepRun {
        let directory = step.directory == "." ? checkout : checkout.appendingPathComponent(step.directory)
        let log = logs.appendingPathComponent("step-\(index).log")
        let outcome = try sandbox.run(script: step.command, in: directory,
                                      environment: environment(for: step, checkout: checkout, home: home, node: node, epoch: epoch,
                                                               nodeEnv: nodeEnv),
                                      log: log)
        let tail = ProcessRunner.tail(outcome.output)
        let name = (step.event.map { "`\($0)`" } ?? (step.origin == "--build-command" ? "the build command" : "`\(step.origin)`")) + " (\(step.command))"
            + (step.directory == "." ? "" : " in \(step.directory)")
        if outcome.timedOut {
            throw BuildError(.timeout, "\(name) ran past \(Int(settings.sandbox.timeout)) s and was killed", outputTail: tail)
        }
        guard outcome.status == 0 else {
            throw BuildError(.stepFailed, "\(name) exited \(outcome.status)"
                + (settings.sandbox.mode == .bubblewrap ? " inside the sandbox (no network)" : ""), outputTail: tail)
        }
        return StepRun(step: step, status: outcome.status, seconds: (outcome.seconds * 1000).rounded() / 1000, outputTail: tail)
    }

    private func runInstallScripts(_ lock: PackageLock, root: URL, installDirectory: String, summary: inout InstallSummary,
                                   sandbox: Sandbox, checkout: URL, home: URL, node: URL, epoch: Int?, logs: URL,
                                   report: inout BuildReport) throws {
        // Deepest first, as npm builds children before parents.
        let withScripts = lock.entries.filter { $0.isDependency && $0.hasInstallScript && !$0.link }
            .sorted { $0.location.split(separator: "/").count > $1.location.split(separator: "/").count }
        for entry in withScripts {
            let folder = root.appendingPathComponent(entry.location)
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("package.json").path),
                  let manifest = try? RawJSON(parsing: data) else { continue }
            let scripts = manifest["scripts"]?.objectValue ?? [:]
            let relative = RecipeInference.join(installDirectory, entry.location)
            for event in ["preinstall", "install", "postinstall"] {
                guard let command = scripts[event]?.stringValue else { continue }
                let step = RecipeStep(phase: .install, directory: relative, event: event, command: command,
                                      origin: "\(entry.name)@\(entry.version ?? "?") scripts.\(event) (--allow-install-scripts)")
                report.steps.append(try runStep(step, index: 1000 + report.steps.count, sandbox: sandbox, checkout: checkout,
                                                home: home, node: node, epoch: epoch, logs: logs))
            }
            summary.installScriptsRun.append("\(entry.name)@\(entry.version ?? "?")")
        }
        summary.installScriptsNotRun = []
    }
}
