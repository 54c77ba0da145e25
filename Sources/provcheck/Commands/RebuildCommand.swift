import ArgumentParser
import Build
import Foundation
import Packing
import Registry

/// `provcheck rebuild`: the tarball `npm pack` would produce from a tagged git tree (or a folder).
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the npm tarball from a git repository at a tag/commit, or from a folder (--worktree).",
        discussion: """
        SOURCE is a git repository (work tree or bare), a git bundle file, or an https://, ssh:// or user@host:path \
        URL (other transports such as file:// and ext:: are refused); with --worktree, \
        a package folder on disk read exactly as `npm pack` reads it.
        Without --ref, the tag for --version is looked up (v<version>, <version>, <name>@<version>).
        The generation (file selection, order, gzip) follows --npm-version (the packument's _npmVersion); default npm 10.

        Examples:
          provcheck rebuild ./gundam-visor.bundle --version 1.0.1 -o rebuilt.tgz
          provcheck rebuild https://github.com/o/r --ref v2.0.0 \\
            --npm-version 10.8.2 -o r.tgz --expect-integrity sha512-…
          provcheck rebuild ./my-package --worktree -o local.tgz --json

        Exit codes: 0 rebuilt (and, with --expect-integrity, reproduced); 1 --expect-integrity not reproduced; \
        2 usage, source or build error.
        With --build, the package is built first like its publisher's CI (lockfile install from --registry, the \
        lifecycle scripts of its npm generation, in a bubblewrap sandbox without network; see docs/build.md) and \
        the built tree is packed; the recipe is printed so the build can be reproduced by hand.
        """
    )

    @Argument(help: ArgumentHelp("Git repository path, bundle or URL; or a folder with --worktree.", valueName: "repo-or-folder"))
    var source: String

    @Option(name: .long, help: ArgumentHelp("Tag or commit to rebuild.", valueName: "ref"))
    var ref: String?

    @Flag(name: .long, help: "Pack the folder as it is on disk (modes, ignore files, hard links) instead of git objects.")
    var worktree: Bool = false

    @Option(name: .long, help: ArgumentHelp("Package folder inside the repository (monorepos).", valueName: "dir"))
    var directory: String?

    @Option(name: .long, help: ArgumentHelp("Publisher's npm version (_npmVersion), e.g. 6.14.4 or 10.8.2.", valueName: "version"))
    var npmVersion: String?

    @Option(name: .long, help: ArgumentHelp("Publisher's Node version (_nodeVersion): picks the deflate engine npm pack used there.", valueName: "version"))
    var nodeVersion: String?

    @Option(name: .long, help: ArgumentHelp("Package name (for the tag lookup).", valueName: "name"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Package version (for the tag lookup).", valueName: "version"))
    var version: String?

    @Option(name: .long, help: ArgumentHelp("The packument's gitHead, used when no tag matches.", valueName: "commit"))
    var gitHead: String?

    @Option(name: .long, help: ArgumentHelp("Registry integrity (sha512-…): try gzip candidates until one reproduces it.", valueName: "sri"))
    var expectIntegrity: String?

    @Option(name: .long, help: ArgumentHelp("Shell command run in a throwaway copy before packing.", valueName: "command"))
    var buildCommand: String?

    @Option(name: .long, help: ArgumentHelp("Seconds before --build-command is killed.", valueName: "seconds"))
    var buildTimeout: Double = 600

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the .tgz.", valueName: "file"))
    var output: String

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var buildOptions: BuildOptions

    @Option(name: .long, help: ArgumentHelp("With --build: the workflow file (path in the repository) whose npm/node steps are the recipe.", valueName: "path"))
    var workflow: String?
    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if worktree && ref != nil { throw ValidationError("--ref and --worktree exclude each other") }
        try NumericOption.seconds(buildTimeout, name: "--build-timeout")
        if worktree && buildOptions.build { throw ValidationError("--build rebuilds a git commit; it excludes --worktree") }
        if workflow != nil && !buildOptions.build { throw ValidationError("--workflow needs --build") }
        if let npmVersion, NPMGeneration(npmVersion: npmVersion) == nil {
            throw ValidationError("--npm-version \(npmVersion) is not an npm version (expected e.g. 10.8.2)")
        }
    }

    func run() async throws {
        if buildOptions.build { return try await runBuild() }
        let input: RebuildSource = worktree
            ? .worktree(URL(fileURLWithPath: source))
            : .git(location: source, ref: ref)
        let options = RebuildOptions(
            directory: directory, npmVersion: npmVersion, name: name, version: version, gitHead: gitHead,
            nodeVersion: nodeVersion,
            expectedIntegrity: expectIntegrity, output: URL(fileURLWithPath: output),
            buildCommand: buildCommand.map { BuildCommand(command: $0, timeout: buildTimeout) })
        let result: RebuildResult
        do {
            let progress = ProgressRenderer(command: "rebuild", quiet: outputOptions.quiet)
            defer { progress.finish() }
            progress.handler?(.started(stage: "rebuild", detail: worktree ? "the folder \(source)" : "\(source)\(ref.map { " at \($0)" } ?? "")"))
            result = try await Task.detached { try PackRebuilder().rebuild(input, options: options) }.value
        } catch {
            throw CommandFailure("rebuild", error)
        }
        if outputOptions.json {
            print(try JSONRendering.string(result))
        } else {
            print("integrity   \(result.integrity)")
            print("tar sha512  \(result.tarSHA512)")
            print("generation  \(result.npmGeneration.rawValue)")
            if let commit = result.commit { print("commit      \(commit)" + (result.tag.map { " (tag \($0))" } ?? "")) }
            print("gzip        \(result.gzip.engine), \(result.gzip.header)"
                + (result.gzip.reproducedExpected.map { $0 ? " — reproduces the expected integrity" : " — expected integrity NOT reproduced" } ?? ""))
            print("files (\(result.files.count), tar order):")
            for file in result.files { print("  \(file)") }
            for item in result.skipped {
                print("skipped     \(item.path): \(item.reason.rawValue)" + (item.detail.map { " (\($0))" } ?? ""))
            }
            for note in result.notes { print("note        \(note)") }
            print("wrote       \(result.tgzPath)")
        }
        if result.gzip.reproducedExpected == false { throw ExitStatus.failed }
    }

    /// `--build`: build in the sandbox, pack the built tree; with --expect-integrity not reproduced, build a second
    /// time to tell a non-deterministic build apart.
    private func runBuild() async throws {
        let built: BuiltPackage
        var unstable: [String]?
        let settings: BuildSettings
        do {
            settings = buildOptions.settings(registry: try registryOptions.configuration(), buildCommand: buildCommand,
                                             timeout: buildTimeout)!
        } catch {
            throw CommandFailure("rebuild", error)
        }
        let progress = ProgressRenderer(command: "rebuild", quiet: outputOptions.quiet)
        do {
            defer { progress.finish() }
            progress.handler?(.started(stage: "build", detail: "\(source)\(ref.map { " at \($0)" } ?? "") in the sandbox, then pack"))
            let repository = try GitRepository.open(source, cacheDirectory: nil)
            defer { if repository.isTemporaryClone { try? FileManager.default.removeItem(at: repository.gitDirectory) } }
            let commit: String
            if let ref {
                guard let resolved = repository.resolveCommit(ref) else {
                    throw BuildError(.io, "ref \(ref) not found in \(repository.origin)")
                }
                commit = resolved
            } else if let version, let found = try repository.findTag(name: name, version: version) {
                commit = found.commit
            } else if let gitHead, let resolved = repository.resolveCommit(gitHead) {
                commit = resolved
            } else {
                throw BuildError(.io, "--build needs --ref (or --version with a matching tag, or --git-head)")
            }
            let builder = PackageBuilder(settings: settings)
            let request = BuildRequest(repository: repository, commit: commit, directory: directory, npmVersion: npmVersion,
                                       publisherNodeVersion: nodeVersion, expectedIntegrity: expectIntegrity,
                                       output: URL(fileURLWithPath: output), workflow: workflow)
            built = try await builder.build(request)
            if built.result.gzip.reproducedExpected == false {
                let second = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-build-2-\(UUID().uuidString).tgz")
                defer { try? FileManager.default.removeItem(at: second) }
                var again = request
                again.output = second
                let secondBuild = try await builder.build(again)
                unstable = try PackageBuilder.differingFiles(URL(fileURLWithPath: built.result.tgzPath),
                                                             URL(fileURLWithPath: secondBuild.result.tgzPath))
            }
        } catch {
            throw CommandFailure("rebuild", code: "EBUILD", message: "the build did not complete: \(error)")
        }
        let result = built.result
        if outputOptions.json {
            print(try JSONRendering.string(BuildOutput(rebuild: result, build: built.report, commit: built.commit,
                                                       differingBetweenBuilds: unstable)))
        } else {
            let report = built.report
            print("integrity   \(result.integrity)")
            print("tar sha512  \(result.tarSHA512)")
            print("generation  \(result.npmGeneration.rawValue)")
            print("commit      \(built.commit)")
            print("gzip        \(result.gzip.engine), \(result.gzip.header)"
                + (result.gzip.reproducedExpected.map { $0 ? " — reproduces the expected integrity" : " — expected integrity NOT reproduced" } ?? ""))
            print("node        \(report.node.version) (\(report.node.path))" + (report.node.note.map { "; \($0)" } ?? ""))
            print("sandbox     \(report.sandbox)")
            if let epoch = report.sourceDateEpoch { print("SOURCE_DATE_EPOCH \(epoch)") }
            if let install = report.install {
                print("installed   \(install.installed) package(s) from \(install.lockfile) (lockfileVersion \(install.lockfileVersion), "
                    + "\(install.fromCache) from the integrity cache, \(install.links) workspace link(s))")
            }
            print("recipe (to reproduce by hand, in a checkout of the commit):")
            for line in report.recipe.transcript { print("  \(line)") }
            for note in report.recipe.notes + report.notes { print("note        \(note)") }
            for step in report.steps {
                print("ran         \(step.step.event ?? "build command"): \(step.step.command) (\(step.seconds) s, exit \(step.status))")
            }
            if let unstable {
                print(unstable.isEmpty ? "determinism two builds agree: the difference is not the build's own non-determinism"
                      : "determinism NOT deterministic: two builds differ in " + unstable.joined(separator: ", "))
            }
            print("files (\(result.files.count), tar order):")
            for file in result.files { print("  \(file)") }
            print("wrote       \(result.tgzPath)")
        }
        if result.gzip.reproducedExpected == false { throw ExitStatus.failed }
    }
}

/// The JSON of `rebuild --build`.
private struct BuildOutput: Encodable {
    let rebuild: RebuildResult
    let build: BuildReport
    let commit: String
    let differingBetweenBuilds: [String]?

    enum CodingKeys: String, CodingKey {
        case rebuild, build, commit, differingBetweenBuilds = "differing_between_builds"
    }
}
