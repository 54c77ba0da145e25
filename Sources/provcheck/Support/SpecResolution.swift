import ArgumentParser
import Foundation
import Registry
import Verification

/// Package specs on the command line: `name@1.2.3`, `name@latest` (a dist-tag), `name@^4` / `name@4` (a semver
/// range), resolved against the packument as npm resolves them, the resolved version named on stderr.
enum SpecResolution {
    /// Reads `argument` and, for a tag or range, fetches the packument and picks the version npm would pick.
    /// - Throws: ``VerificationError/invalidSpec(_:)`` for something that is not `name@selector`; registry
    ///   errors; ``VersionSelectionError`` when no version matches.
    static func resolve(_ argument: String, registry: RegistryOptions, command: String,
                        quiet: Bool = false) async throws -> PackageSpec {
        let parsed = try PackageSpec(parsing: argument)
        let selector = VersionSelector(parsed.version)
        if case .version(let version) = selector { return PackageSpec(name: parsed.name, version: version) }
        var configuration = try registry.configuration()
        // As every command: --offline still asks a registry on this machine.
        let host = configuration.registry.host ?? ""
        if ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) { configuration.offline = false }
        let packument = try await RegistryClient(configuration: configuration).packument(name: parsed.name)
        let version = try packument.selectVersion(selector)
        if !quiet {
            FileHandle.standardError.write(Data(
                "provcheck \(command): \(argument) resolved to \(parsed.name)@\(version)\n".utf8))
        }
        return PackageSpec(name: parsed.name, version: version)
    }
}

/// `--source` arguments: a path that does not exist is a usage error (exit 2), not a skipped check.
enum SourceArgument {
    /// Throws a usage error when `source` is a local path (no URL scheme, not scp-like) that does not exist.
    static func validate(_ source: String?, option: String = "--source") throws {
        guard let source, case .path(let path) = SourceLocator(argument: source) else { return }
        if !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(option) \(path): no such file or directory (give a git repository, bundle or URL)")
        }
    }
}
