import Foundation

/// Why a build could not run or did not finish, naming the input and the problem.
public struct BuildError: Error, Sendable, CustomStringConvertible, Codable, Hashable {
    /// The kind of problem.
    public enum Code: String, Sendable, Codable, Hashable {
        /// bubblewrap is missing or cannot create namespaces here.
        case sandboxUnavailable = "sandbox-unavailable"
        /// No usable `node`.
        case node
        /// No lockfile, or one provcheck does not install from (yarn, pnpm, lockfileVersion 1).
        case lockfile
        /// A dependency could not be fetched.
        case fetch
        /// A dependency tarball does not match the lockfile's integrity (nothing was unpacked).
        case integrityMismatch = "integrity-mismatch"
        /// A dependency tarball could not be unpacked safely.
        case unpack
        /// A recipe step exited non-zero.
        case stepFailed = "step-failed"
        /// A recipe step ran past the wall-clock limit.
        case timeout
        /// The source tree, the copy or the output could not be read or written.
        case io
    }

    /// The kind of problem.
    public let code: Code
    /// One sentence naming the input and the problem.
    public let message: String
    /// The last lines the failing step printed (stdout and stderr), when a step ran.
    public let outputTail: String?

    /// Makes an error.
    public init(_ code: Code, _ message: String, outputTail: String? = nil) {
        self.code = code
        self.message = message
        self.outputTail = outputTail
    }

    public var description: String {
        guard let outputTail, !outputTail.isEmpty else { return message }
        return message + "; last output:\n" + outputTail
    }
}
