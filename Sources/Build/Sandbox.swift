import Foundation

/// How build steps are isolated.
public enum SandboxMode: String, Sendable, Codable, Hashable {
    /// bubblewrap: no network, read-only system, the throwaway copy the only writable place.
    case bubblewrap
    /// No isolation (`--no-sandbox`): the step runs as the user, with the user's network and files.
    case none
}

/// The limits and isolation of build steps.
public struct SandboxSettings: Sendable, Hashable {
    /// Isolation.
    public var mode: SandboxMode
    /// The `bwrap` executable (default: `bwrap` on `PATH`).
    public var bubblewrap: String?
    /// Wall-clock seconds per step.
    public var timeout: TimeInterval
    /// Address-space limit per step, bytes (`ulimit -v`; 0 = none).
    public var memoryBytes: UInt64

    /// Makes settings: bubblewrap, 600 s, 4 GiB.
    public init(mode: SandboxMode = .bubblewrap, bubblewrap: String? = nil, timeout: TimeInterval = 600,
                memoryBytes: UInt64 = 4 << 30) {
        self.mode = mode
        self.bubblewrap = bubblewrap
        self.timeout = timeout
        self.memoryBytes = memoryBytes
    }
}

/// Runs one shell command of a recipe inside the sandbox.
struct Sandbox {
    let settings: SandboxSettings
    /// The resolved `bwrap` path (bubblewrap mode).
    let bwrap: String?
    /// Read-only folders to expose besides the system (e.g. the prefix of a node outside `/usr`).
    let extraReadOnly: [String]
    /// The only writable folder (same path inside and outside).
    let writable: URL

    /// Finds bubblewrap and checks that it can create its namespaces here.
    /// - Throws: ``BuildError`` `.sandboxUnavailable` naming the reason.
    init(settings: SandboxSettings, writable: URL, extraReadOnly: [String], searchPath: String?) throws {
        self.settings = settings
        self.writable = writable
        self.extraReadOnly = extraReadOnly
        guard settings.mode == .bubblewrap else {
            bwrap = nil
            return
        }
        guard let found = ProcessRunner.which(settings.bubblewrap ?? "bwrap", path: searchPath) else {
            throw BuildError(.sandboxUnavailable,
                             "bubblewrap (bwrap) is not on PATH: install the `bubblewrap` package, or pass --no-sandbox to build unsandboxed")
        }
        bwrap = found
        let probeLog = writable.deletingLastPathComponent().appendingPathComponent(".bwrap-probe-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: probeLog) }
        let probe = try ProcessRunner.run(found, systemArguments() + ["--", "/bin/sh", "-c", "exit 0"],
                                          environment: [:], directory: writable, seconds: 30, log: probeLog)
        guard probe.status == 0 else {
            throw BuildError(.sandboxUnavailable,
                             "bubblewrap (\(found)) cannot create its namespaces here (exit \(probe.status)): "
                                + ProcessRunner.tail(probe.output, lines: 3)
                                + "; enable unprivileged user namespaces, or pass --no-sandbox")
        }
    }

    /// What the sandbox allows, in one sentence (for the report).
    var description: String {
        switch settings.mode {
        case .bubblewrap:
            return "bubblewrap (\(bwrap ?? "bwrap")): no network (own network namespace), read-only /usr and system "
                + "configuration, private /tmp, writable only \(writable.path); environment cleared; "
                + "\(Int(settings.timeout)) s wall clock, " + (settings.memoryBytes > 0 ? "\(settings.memoryBytes >> 20) MiB address space" : "no memory limit")
        case .none:
            return "NO SANDBOX (--no-sandbox): steps ran as the current user with network access and the user's files; "
                + "environment cleared; \(Int(settings.timeout)) s wall clock"
        }
    }

    /// The bubblewrap arguments that build the system view (everything but the command).
    func systemArguments() -> [String] {
        var args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                    "--ro-bind", "/usr", "/usr"]
        let fm = FileManager.default
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? fm.destinationOfSymbolicLink(atPath: top) {
                args += ["--symlink", target, top]
            } else if fm.fileExists(atPath: top) {
                args += ["--ro-bind", top, top]
            }
        }
        // The configuration programs need to start, not the whole of /etc.
        for file in ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd",
                     "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/hosts", "/etc/ssl",
                     "/etc/ca-certificates"] where fm.fileExists(atPath: file) {
            args += ["--ro-bind", file, file]
        }
        for folder in extraReadOnly where fm.fileExists(atPath: folder) {
            args += ["--ro-bind", folder, folder]
        }
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", writable.path, writable.path]
        return args
    }

    /// Runs `script` with `/bin/sh -c` in `directory` (inside ``writable``) with exactly `environment`.
    func run(script: String, in directory: URL, environment: [String: String], log: URL) throws -> ProcessRunner.Outcome {
        // `ulimit -v` and `umask 022` in a tiny wrapper, then the script itself.
        let limitKiB = settings.memoryBytes > 0 ? String(settings.memoryBytes / 1024) : "unlimited"
        let wrapper = ["/bin/sh", "-c", "ulimit -v \"$0\" 2>/dev/null; umask 022; exec /bin/sh -c \"$1\"", limitKiB, script]
        switch settings.mode {
        case .bubblewrap:
            var args = systemArguments() + ["--chdir", directory.path, "--clearenv"]
            for key in environment.keys.sorted() { args += ["--setenv", key, environment[key]!] }
            args += ["--"] + wrapper
            return try ProcessRunner.run(bwrap!, args, environment: [:], directory: writable,
                                         seconds: settings.timeout, log: log)
        case .none:
            return try ProcessRunner.run(wrapper[0], Array(wrapper.dropFirst()), environment: environment,
                                         directory: directory, seconds: settings.timeout, log: log)
        }
    }
}
