import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child process with a wall-clock limit, its stdout and stderr captured in one file.
enum ProcessRunner {
    struct Outcome {
        /// Exit status (128 + signal when killed by a signal).
        var status: Int32
        /// Whether the wall-clock limit killed it.
        var timedOut: Bool
        /// The end of the captured output (at most the last 64 KiB of the log file: memory stays bounded).
        var output: String
        /// Seconds it ran.
        var seconds: Double
    }

    /// Runs `executable arguments…` with exactly `environment`, in `directory`, killing it (and, through `timeout`'s
    /// process group, its children) after `seconds`. Output goes to `log`.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], directory: URL,
                    seconds: TimeInterval, log: URL) throws -> Outcome {
        let process = Process()
        let timeoutTool = ["/usr/bin/timeout", "/bin/timeout"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let timeoutTool {
            process.executableURL = URL(fileURLWithPath: timeoutTool)
            process.arguments = ["--kill-after=2", String(format: "%.3f", seconds), executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = environment
        process.currentDirectoryURL = directory
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        do {
            try process.run()
        } catch {
            throw BuildError(.io, "cannot start \(executable): \(error.localizedDescription)")
        }
        let deadline = start.addingTimeInterval(seconds + 10)
        var killed = false
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                killed = true
                process.waitUntilExit()
                break
            }
            usleep(20_000)
        }
        let output = tailOfFile(log, bytes: 64 << 10)
        let status = process.terminationStatus
        let elapsed = Date().timeIntervalSince(start)
        // `timeout` exits 124/137, or dies by the signal it sent (Foundation then reports the signal number).
        let timedOut = killed || (status != 0 && elapsed >= seconds
            && (status == 124 || status == 137 || process.terminationReason == .uncaughtSignal || timeoutTool != nil))
        return Outcome(status: status, timedOut: timedOut, output: output, seconds: elapsed)
    }

    /// The last `bytes` bytes of a file, as UTF-8 (invalid sequences repaired).
    static func tailOfFile(_ url: URL, bytes: Int) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a short command and returns its trimmed stdout, or `nil` when it fails.
    static func capture(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The last `lines` lines of `text` (at most 4000 characters).
    static func tail(_ text: String, lines: Int = 25) -> String {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        var kept = all.suffix(lines).joined(separator: "\n")
        while kept.hasSuffix("\n") { kept.removeLast() }
        return kept.count > 4000 ? String(kept.suffix(4000)) : kept
    }

    /// The first executable named `name` on `path` (a `PATH` value).
    static func which(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
