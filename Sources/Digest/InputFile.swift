import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a small input document the user named (policy, trusted root, keys, bundle, configuration, lockfile):
/// bounded in size, with a message that says what is wrong ("is a folder", "is a device", "does not exist") rather
/// than Foundation's "NSCocoaErrorDomain error 256" or "You don't have permission".
///
/// Regular files, FIFOs and pipes (`/dev/stdin`, `<(…)`) are read; folders and devices are refused.
/// (It lives in Digest only because every module that reads such a document depends on Digest.)
public enum InputFile {
    /// The largest document read by default: 64 MiB.
    public static let defaultLimit = 64 << 20

    /// The bytes of `url`, at most `limit` of them.
    /// - Throws: ``InputFileError`` naming the path and the problem.
    public static func read(_ url: URL, limit: Int = defaultLimit) throws(InputFileError) -> Data {
        let path = url.path
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw InputFileError(path: path, problem: describe(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InputFileError(path: path, problem: describe(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFIFO, S_IFSOCK: break
        case S_IFDIR: throw InputFileError(path: path, problem: "is a folder; expected a file")
        default: throw InputFileError(path: path, problem: "is a device, not a file")
        }
        // Blocking reads from here on (a FIFO was opened non-blocking so a writer-less FIFO cannot hang the open).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var data = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, chunk) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputFileError(path: path, problem: describe(errno))
            }
            if count == 0 { return data }
            guard data.count + count <= limit else {
                throw InputFileError(path: path, problem: "is larger than \(limit >> 20) MiB; not read")
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: "does not exist"
        case EACCES, EPERM: "cannot be read: permission denied"
        case EISDIR: "is a folder; expected a file"
        case ENOTDIR: "a part of the path is not a folder"
        default: "cannot be read: \(String(cString: strerror(code)))"
        }
    }
}

/// An input file that cannot be read.
public struct InputFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as given.
    public let path: String
    /// What is wrong, e.g. "is a folder; expected a file".
    public let problem: String
    /// Makes an error.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    /// `"<path> <problem>"`.
    public var description: String { "\(path) \(problem)" }
}
