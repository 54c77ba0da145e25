import ArgumentParser
import Foundation
import Registry
import Verification

/// Flags shared by every subcommand that talks to a registry.
struct RegistryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Registry base URL (default: $npm_config_registry, then .npmrc, then https://registry.npmjs.org/).",
        valueName: "url"))
    var registry: String?

    @Flag(name: .long, help: "Use only the on-disk cache; never touch the network.")
    var offline: Bool = false

    @Option(name: .long, help: ArgumentHelp("Cache folder (default: $XDG_CACHE_HOME/provcheck).", valueName: "dir"))
    var cacheDir: String?

    @Option(name: .long, help: ArgumentHelp("Seconds without data before a request fails (default: 30).",
                                            valueName: "seconds"))
    var timeout: Double?

    @Option(name: .long, help: ArgumentHelp(
        "Attempts per request, including the first; 429, 5xx and connection errors are retried with backoff (default: 4).",
        valueName: "n"))
    var attempts: Int?
}

/// Flags that choose how results are printed.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout instead of text.")
    var json: Bool = false
}

extension RegistryOptions {
    /// The registry configuration these flags select: `--registry`, then `npm_config_registry`, then `.npmrc`,
    /// then the public registry; `--cache-dir` and `--offline` applied.
    func configuration() throws -> RegistryConfiguration {
        var configuration = try RegistryConfiguration.resolve(
            registry: registry, projectDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            cacheDirectory: cacheDir, offline: offline)
        if let timeout { configuration.timeout = max(1, timeout) }
        if let attempts { configuration.retry.maxAttempts = max(1, attempts) }
        return configuration
    }
}

/// JSON output shared by every subcommand (``ProvcheckJSON``'s settings).
enum JSONRendering {
    static func string(_ value: some Encodable) throws -> String {
        String(decoding: try ProvcheckJSON.encode(value), as: UTF8.self)
    }
}
