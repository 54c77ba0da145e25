import ArgumentParser

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
}

/// Flags that choose how results are printed.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout instead of text.")
    var json: Bool = false
}
