import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output that was not written is an error, never a silent success: `verify --json > /dev/full`, a pipe
/// whose reader has gone, or a closed stdout end with exit 2 and a message on stderr.
enum StandardOutput {
    /// Call first. A write to a pipe whose reader has gone then fails with EPIPE (reported at the end) instead of
    /// killing the process; the handler is a no-op, and unlike an ignored signal it is not inherited by git or a
    /// build command. A closed descriptor 1 is filled with a read-only descriptor, so the first file provcheck
    /// opens cannot become its standard output and every `print` fails visibly.
    static func prepare() {
        signal(SIGPIPE, { _ in })
        if fcntl(STDOUT_FILENO, F_GETFD) < 0 && errno == EBADF {
            let placeholder = open("/dev/null", O_RDONLY)
            if placeholder >= 0 && placeholder != STDOUT_FILENO {
                dup2(placeholder, STDOUT_FILENO)
                close(placeholder)
            }
        }
    }

    /// Flushes stdout; when anything written to it was lost, says so on stderr and exits 2.
    static func finish() {
        // C's `stdout` (what `print` writes to), read through its symbol: Swift 6 refuses the mutable C global.
        guard let symbol = dlsym(nil, "stdout"),
              let stream = symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
        else { return }
        let flushed = fflush(stream) == 0
        let code = errno
        guard !flushed || ferror(stream) != 0 else { return }
        let reason = flushed ? "a write failed" : String(cString: strerror(code))
        FileHandle.standardError.write(Data("provcheck: cannot write to standard output: \(reason)\n".utf8))
        exit(ExitStatus.error.rawValue)
    }
}
