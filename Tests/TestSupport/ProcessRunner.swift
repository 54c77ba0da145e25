import Foundation

/// Runs a program to completion and collects its output (tests' `tar`, `gzip`, `git` calls; one copy for every
/// test target).
public enum ProcessRunner {
    /// The outcome of one run.
    public struct Result: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything written on stdout.
        public var stdout: Data
        /// Everything written on stderr.
        public var stderr: Data
    }

    /// A run that exited non-zero (with `check`).
    public struct Failed: Error, CustomStringConvertible {
        /// The command line.
        public var arguments: [String]
        /// The result.
        public var result: Result
        public var description: String {
            "\(arguments.joined(separator: " ")) exited \(result.status): \(String(decoding: result.stderr, as: UTF8.self))"
        }
    }

    /// Runs `arguments` (looked up on `PATH` through `/usr/bin/env`) in `directory`; throws ``Failed`` on a
    /// non-zero exit when `check` is set.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                           check: Bool = true) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-run-\(UUID().uuidString)")
        let errFile = outFile.appendingPathExtension("err")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let result = Result(status: process.terminationStatus, stdout: try Data(contentsOf: outFile),
                            stderr: try Data(contentsOf: errFile))
        if check && result.status != 0 { throw Failed(arguments: arguments, result: result) }
        return result
    }

    /// What a running child has written on `pipe` by the end of its first line, white space trimmed (a server's
    /// announced port); what came before the end of the stream when it closes first.
    public static func firstLine(of pipe: Pipe) -> String {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
