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

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp(
        "Seconds one request may take in all, however steadily data arrives (default: 600).", valueName: "seconds"))
    var requestTimeout: Double?

    func validate() throws {
        if let timeout { try NumericOption.seconds(timeout, name: "--timeout") }
        if let requestTimeout { try NumericOption.seconds(requestTimeout, name: "--request-timeout") }
        if let attempts { try NumericOption.count(attempts, name: "--attempts", in: 1...100) }
    }
}

/// The one check for numeric options: a value that is not a finite number in range is a usage error (exit 2),
/// never clamped, wrapped or passed on (`1e19`, `inf`, `nan`, `0`, negatives).
enum NumericOption {
    /// The longest duration accepted for a timeout: one day.
    static let maximumSeconds: Double = 86_400

    /// A duration in seconds: finite, at least 1 ms, at most ``maximumSeconds``.
    static func seconds(_ value: Double, name: String) throws {
        guard value.isFinite, value >= 0.001, value <= maximumSeconds else {
            throw ValidationError("\(name) \(value): expected a number of seconds from 0.001 to \(Int(maximumSeconds))")
        }
    }

    /// A count within `range`.
    static func count(_ value: Int, name: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) \(value): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
    }
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
        try validate()
        if let timeout { configuration.timeout = timeout }
        if let requestTimeout { configuration.resourceTimeout = requestTimeout }
        if let attempts { configuration.retry.maxAttempts = attempts }
        return configuration
    }
}

/// JSON output shared by every subcommand (``ProvcheckJSON``'s settings).
enum JSONRendering {
    static func string(_ value: some Encodable) throws -> String {
        String(decoding: try ProvcheckJSON.encode(value), as: UTF8.self)
    }
}
