import ArgumentParser
import Build
import Foundation
import Registry

/// Flags of sandboxed builds (`--build`), shared by `rebuild` and `verify` (see docs/build.md).
struct BuildOptions: ParsableArguments {
    @Flag(name: .long, help: "Build the package in a sandbox (lockfile install, lifecycle scripts) and compare its build output too.")
    var build: Bool = false

    @Flag(name: .customLong("no-sandbox"), help: "With --build: run the build WITHOUT bubblewrap (network and your files reachable); the output says so.")
    var noSandbox: Bool = false

    @Option(name: .long, help: ArgumentHelp("With --build: the node executable (default: node on PATH).", valueName: "path"))
    var node: String?

    @Flag(name: .customLong("allow-install-scripts"), help: "With --build: run dependencies' install scripts (inside the sandbox).")
    var allowInstallScripts: Bool = false

    @Option(name: .customLong("build-memory"), help: ArgumentHelp("With --build: address-space limit per step in MiB (default: 4096).", valueName: "MiB"))
    var buildMemory: UInt64 = 4096

    func validate() throws {
        guard !build else { return }
        if noSandbox { throw ValidationError("--no-sandbox needs --build") }
        if node != nil { throw ValidationError("--node needs --build") }
        if allowInstallScripts { throw ValidationError("--allow-install-scripts needs --build") }
    }

    /// The build settings these flags select (`nil` without `--build`).
    func settings(registry: RegistryConfiguration, buildCommand: String?, timeout: Double) -> BuildSettings? {
        guard build else { return nil }
        return BuildSettings(
            registry: registry,
            sandbox: SandboxSettings(mode: noSandbox ? .none : .bubblewrap, timeout: max(1, timeout),
                                     memoryBytes: buildMemory << 20),
            node: node, allowInstallScripts: allowInstallScripts, buildCommand: buildCommand)
    }
}
