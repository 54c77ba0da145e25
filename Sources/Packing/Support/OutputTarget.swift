import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A path the user named for output (`--sarif`, `--vsa`, `--output`, `--markdown`, `rebuild -o`, watch state), and
/// the one way provcheck writes it.
///
/// What is at the path decides how it is written (see docs/hardening.md):
/// - nothing, or a regular file: a temporary file created exclusively next to it (`O_CREAT|O_EXCL|O_NOFOLLOW`, an
///   unpredictable name), written, `fsync`ed and closed (each step checked), then renamed over the path — readers
///   never see a half-written file, and a replaced file keeps its permission bits;
/// - a character or block device, FIFO or socket: written in place (opened without `O_CREAT`/`O_TRUNC`), never
///   replaced — `--sarif /dev/null` leaves `/dev/null` a device;
/// - a symbolic link: followed like a shell redirect (`>`): the link stays, its target is written in place (a
///   regular target is truncated first); a dangling link is refused, so a planted link cannot create a file
///   elsewhere;
/// - a folder: refused.
///
/// ```swift
/// try OutputTarget.write(Data("{}\n".utf8), to: URL(fileURLWithPath: "report.sarif"))
/// ```
public struct OutputTarget: Sendable {
    /// How the destination is written.
    public enum Mode: Sendable, Hashable {
        /// Temporary file next to the path, then `rename` (the path is absent or a regular file).
        case replace
        /// Opened and written in place (a device, FIFO, socket, or a symbolic link to one or to a regular file).
        case inPlace(truncate: Bool)
    }

    /// The path as given.
    public let url: URL
    /// How it will be written.
    public let mode: Mode
    /// Permission bits of the regular file being replaced (kept by the replacement), or `nil`.
    let existingPermissions: mode_t?

    /// Inspects `url` (without following a final symbolic link, then following it) and decides how to write it.
    /// - Throws: ``OutputTargetError`` for a folder, a dangling symbolic link, or a path that cannot be inspected.
    public init(_ url: URL) throws(OutputTargetError) {
        self.url = url
        let path = url.path
        var info = stat()
        if lstat(path, &info) != 0 {
            let code = errno
            guard code == ENOENT else { throw OutputTargetError(path: path, problem: Self.describe(code)) }
            mode = .replace
            existingPermissions = nil
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            mode = .replace
            existingPermissions = info.st_mode & 0o7777
        case S_IFDIR:
            throw OutputTargetError(path: path, problem: "is a folder; name a file")
        case S_IFLNK:
            var target = stat()
            guard stat(path, &target) == 0 else {
                let code = errno
                throw OutputTargetError(path: path, problem: code == ENOENT
                    ? "is a symbolic link to a path that does not exist; provcheck does not create files through links"
                    : Self.describe(code))
            }
            switch target.st_mode & S_IFMT {
            case S_IFDIR: throw OutputTargetError(path: path, problem: "is a symbolic link to a folder; name a file")
            case S_IFREG: mode = .inPlace(truncate: true)
            default: mode = .inPlace(truncate: false)
            }
            existingPermissions = nil
        default:
            mode = .inPlace(truncate: false)
            existingPermissions = nil
        }
    }

    /// Writes `data` to `url` as described in the type's documentation.
    /// - Throws: ``OutputTargetError`` naming the path and the failed step; nothing is left behind on failure
    ///   (no temporary file; an existing regular file is untouched).
    public static func write(_ data: Data, to url: URL) throws(OutputTargetError) {
        let target = try OutputTarget(url)
        switch target.mode {
        case .replace:
            let file = try target.makeTemporary(label: "tmp")
            do {
                try data.withUnsafeBytes { try file.write($0) }
                try file.close()
            } catch {
                try? file.close()
                unlink(file.path)
                throw OutputTargetError(path: url.path, problem: Self.problem(error))
            }
            try target.commit(temporary: file.path)
        case .inPlace:
            let file = try target.openInPlace()
            do {
                try data.withUnsafeBytes { try file.write($0) }
                try file.close(sync: false)
            } catch {
                try? file.close()
                throw OutputTargetError(path: url.path, problem: Self.problem(error))
            }
        }
    }

    /// The folder temporaries go in: next to the destination when it will be renamed over, else the system's
    /// temporary folder (a device's folder, such as `/dev`, is not ours to write).
    var temporaryFolder: URL {
        switch mode {
        case .replace: url.deletingLastPathComponent()
        case .inPlace: FileManager.default.temporaryDirectory
        }
    }

    /// Creates a new temporary file exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600 until committed) with an
    /// unpredictable name `.<name>.<64 random bits>.<label>` in ``temporaryFolder``. A file or link already at
    /// that name is never opened or followed: another name is drawn.
    func makeTemporary(label: String) throws(OutputTargetError) -> OutputFile {
        let folder = temporaryFolder
        for _ in 0..<16 {
            let random = String(UInt64.random(in: .min ... .max), radix: 16)
            let path = folder.appendingPathComponent(".\(url.lastPathComponent).\(random).\(label)").path
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return OutputFile(descriptor: fd, path: path) }
            let code = errno
            guard code == EEXIST else {
                throw OutputTargetError(path: url.path, problem: "cannot create a temporary file in \(folder.path): \(Self.describe(code))")
            }
        }
        throw OutputTargetError(path: url.path, problem: "cannot create a temporary file in \(folder.path): every name taken")
    }

    /// Opens the destination for writing in place (``Mode/inPlace(truncate:)``): never created, never replaced.
    func openInPlace() throws(OutputTargetError) -> OutputFile {
        guard case .inPlace(let truncate) = mode else {
            throw OutputTargetError(path: url.path, problem: "is not written in place")
        }
        var fd: Int32
        repeat {
            fd = open(url.path, O_WRONLY | O_CLOEXEC | (truncate ? O_TRUNC : 0))
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw OutputTargetError(path: url.path, problem: Self.describe(errno)) }
        return OutputFile(descriptor: fd, path: url.path)
    }

    /// Makes the closed temporary at `temporary` the destination: renamed over it (``Mode/replace``, after giving it
    /// the replaced file's permissions, or 0644 less the umask), or copied into it in place. The temporary is gone
    /// afterwards either way.
    func commit(temporary: String) throws(OutputTargetError) {
        switch mode {
        case .replace:
            let permissions: mode_t
            if let existingPermissions {
                permissions = existingPermissions
            } else {
                let mask = umask(0o022)
                umask(mask)
                permissions = 0o644 & ~mask
            }
            chmod(temporary, permissions)
            // The data reaches the disk before the name does: a crash never leaves a truncated output.
            let written = open(temporary, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if written >= 0 {
                let synced = fsync(written) == 0 || errno == EINVAL || errno == EROFS
                let code = errno
                Glibc.close(written)
                guard synced else {
                    unlink(temporary)
                    throw OutputTargetError(path: url.path, problem: "cannot write: \(Self.describe(code))")
                }
            }
            guard rename(temporary, url.path) == 0 else {
                let code = errno
                unlink(temporary)
                throw OutputTargetError(path: url.path, problem: "cannot replace the file: \(Self.describe(code))")
            }
            // The rename is durable once the folder is synced (best effort: not every file system allows it).
            let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 {
                _ = fsync(folder)
                Glibc.close(folder)
            }
        case .inPlace:
            defer { unlink(temporary) }
            let file = try openInPlace()
            do {
                try OutputFile.read(URL(fileURLWithPath: temporary)) { try file.write($0) }
                try file.close(sync: false)
            } catch {
                try? file.close()
                throw OutputTargetError(path: url.path, problem: Self.problem(error))
            }
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: "permission denied"
        case ENOENT: "its folder does not exist"
        case ENOTDIR: "a part of the path is not a folder"
        case ENOSPC: "no space left on the device"
        default: String(cString: strerror(code))
        }
    }

    static func problem(_ error: any Error) -> String {
        if let error = error as? RebuildError { return error.message }
        return "\(error)"
    }
}

/// An output path that cannot be written.
public struct OutputTargetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as given.
    public let path: String
    /// What is wrong, e.g. "is a folder; name a file".
    public let problem: String
    /// Makes an error.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    /// `"<path>: <problem>"`.
    public var description: String { "\(path): \(problem)" }
}
