import ArgumentParser
import Foundation
import Packing

/// `provcheck rebuild`: the tarball `npm pack` would produce from a tagged git tree (or a folder).
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the npm tarball from a git repository at a tag/commit, or from a folder (--worktree).",
        discussion: """
        SOURCE is a git repository (work tree or bare), a git bundle file, or an https://, ssh:// or user@host:path \
        URL (other transports such as file:// and ext:: are refused); with --worktree, \
        a package folder on disk read exactly as `npm pack` reads it.
        Without --ref, the tag for --version is looked up (v<version>, <version>, <name>@<version>).
        The generation (file selection, order, gzip) follows --npm-version (the packument's _npmVersion); default npm 10.
        Exit codes: 0 rebuilt (and, with --expect-integrity, reproduced); 1 --expect-integrity not reproduced; \
        2 usage, source or build error.
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

    func validate() throws {
        if worktree && ref != nil { throw ValidationError("--ref and --worktree exclude each other") }
        try NumericOption.seconds(buildTimeout, name: "--build-timeout")
        if let npmVersion, NPMGeneration(npmVersion: npmVersion) == nil {
            throw ValidationError("--npm-version \(npmVersion) is not an npm version (expected e.g. 10.8.2)")
        }
    }

    func run() throws {
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
            result = try PackRebuilder().rebuild(input, options: options)
        } catch {
            FileHandle.standardError.write(Data("provcheck rebuild: \(error)\n".utf8))
            throw ExitStatus.error
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
}
