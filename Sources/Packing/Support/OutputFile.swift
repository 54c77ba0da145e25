import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered, write-only file (created or truncated).
final class OutputFile {
    private let fd: Int32
    /// The file's path.
    let path: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    private var closed = false

    init(_ url: URL) throws {
        path = url.path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw RebuildError(code: .output, message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(capacity)
    }

    /// Wraps a descriptor opened by ``OutputTarget`` (exclusively created temporary, or a destination written in
    /// place); the file takes ownership of `fd`.
    init(descriptor: Int32, path: String) {
        self.fd = descriptor
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    deinit { if !closed { Glibc.close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw RebuildError(code: .output, message: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Overwrites bytes at `offset` (after flushing).
    func patch(offset: Int, bytes: [UInt8]) throws {
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else {
            throw RebuildError(code: .output, message: "cannot patch \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes, optionally `fsync`s (regular files), and closes; every step is checked.
    func close(sync: Bool = false) throws {
        guard !closed else { return }
        do {
            try flush()
        } catch {
            closed = true
            Glibc.close(fd)
            throw error
        }
        closed = true
        if sync && fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            let code = errno
            Glibc.close(fd)
            throw RebuildError(code: .output, message: "cannot write \(path): \(String(cString: strerror(code)))")
        }
        if Glibc.close(fd) != 0 && errno != EINTR {
            throw RebuildError(code: .output, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Streams a file in 1 MiB chunks.
    static func read(_ url: URL, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw RebuildError(code: .output, message: "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw RebuildError(code: .output, message: "cannot read \(url.path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}

/// Runs `--build-command` in a throwaway copy.
enum BuildRunner {
    /// Writes every file, directory and symlink of `source` under `folder` (a new folder), confined to it
    /// (``ConfinedTreeWriter``).
    static func materialize(_ source: any PackageSource, into folder: URL) throws {
        try ConfinedTreeWriter.write(source, into: folder)
    }

    /// Runs the command with `/bin/sh -c`, killing it after the timeout. Returns a short log line.
    static func run(_ build: BuildCommand, in folder: URL) throws -> String {
        let process = Process()
        // coreutils `timeout` runs the command in its own process group and kills all of it on expiry.
        let timeoutTool = ["/usr/bin/timeout", "/bin/timeout"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let timeoutTool {
            process.executableURL = URL(fileURLWithPath: timeoutTool)
            process.arguments = ["--kill-after=2", String(format: "%.3f", build.timeout), "/bin/sh", "-c", build.command]
        } else {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", build.command]
        }
        process.currentDirectoryURL = folder
        let log = folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw RebuildError(code: .build, message: "cannot start build command `\(build.command)`: \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(build.timeout + 5)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                usleep(200_000)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw RebuildError(code: .build, message: "build command `\(build.command)` timed out after \(Int(build.timeout)) s")
            }
            usleep(20_000)
        }
        try? handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let tail = String(output.suffix(2000))
        if timeoutTool != nil && (process.terminationStatus == 124 || process.terminationStatus == 137) {
            throw RebuildError(code: .build, message: "build command `\(build.command)` timed out after \(build.timeout) s")
        }
        guard process.terminationStatus == 0 else {
            throw RebuildError(code: .build, message: "build command `\(build.command)` failed with exit \(process.terminationStatus): \(tail)")
        }
        return "exit 0" + (tail.isEmpty ? "" : "; output tail: \(tail)")
    }
}
