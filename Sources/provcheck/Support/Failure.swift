import ArgumentParser
import Configuration
import Foundation
import Registry
import Reports
import Staged
import Verification
import Watch

/// A command that could not run to a verdict: nothing was verified (exit 2).
///
/// Commands throw it instead of printing; ``ErrorReporting`` prints it on stderr (`provcheck <command>: <message>`)
/// and, with `--json`, as an `{"error": {"code": …, "message": …}}` object on stdout.
struct CommandFailure: Error, CustomStringConvertible {
    /// The subcommand path, e.g. `verify` or `watch merge`.
    var command: String
    /// The error's machine-readable code (npm style: `EUSAGE`, `E404`, `ETARGET`, …).
    var code: String
    /// The message, naming the input and the problem.
    var message: String
    /// The input involved (a file path), when there is one.
    var input: String? = nil
    /// A finer reason than ``code`` (e.g. `compare`'s `truncated-gzip`), when there is one.
    var reason: String? = nil

    /// Wraps a library error thrown while `command` ran, with the code ``ErrorReporting/code(for:)`` gives it.
    init(_ command: String, _ error: any Error) {
        self.command = command
        if let failure = error as? CommandFailure {
            self.code = failure.code
            self.message = failure.message
        } else {
            self.code = ErrorReporting.code(for: error)
            self.message = ErrorReporting.message(for: error)
        }
    }

    /// A failure with an explicit code and message.
    init(_ command: String, code: String, message: String, input: String? = nil, reason: String? = nil) {
        self.command = command
        self.code = code
        self.message = message
        self.input = input
        self.reason = reason
    }

    /// A usage error (exit 2, code `EUSAGE`).
    static func usage(_ command: String, _ message: String) -> CommandFailure {
        CommandFailure(command, code: "EUSAGE", message: message)
    }

    var description: String { "provcheck \(command): \(message)" }
}

/// The one place errors become exit codes and error messages (stderr text; a JSON error object with `--json`).
///
/// Exit codes: 0 and 1 are verdicts and are thrown by commands as ``ExitStatus`` values; everything else that
/// stops a command (usage, input, network, environment) exits 2.
enum ErrorReporting {
    /// The JSON error object printed on stdout with `--json`, as npm does.
    struct JSONError: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
            var exitCode: Int32
            var input: String?
            var reason: String?
        }
        var error: Body
    }

    /// Whether `arguments` ask for JSON output (`--json` before a `--` terminator).
    static func wantsJSON(_ arguments: [String]) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "--json" { return true }
        }
        return false
    }

    /// An npm-style code for an error: what kind of problem it is, for scripts.
    static func code(for error: any Error) -> String {
        switch error {
        case let failure as CommandFailure:
            return failure.code
        case is ValidationError:
            return "EUSAGE"
        case let error as VerificationError:
            switch error {
            case .invalidSpec: return "EINVALIDSPEC"
            case .registry(_, let problem): return problem.contains("404") ? "E404" : "EREGISTRY"
            case .malformedPackument: return "EPACKUMENT"
            case .versionNotFound: return "ETARGET"
            case .input: return "EINPUT"
            }
        case let error as RegistryError:
            switch error.code {
            case .notFound: return "E404"
            case .unauthorized: return "E\(error.status ?? 401)"
            case .httpStatus: return error.status.map { "E\($0)" } ?? "EREGISTRY"
            case .timeout: return "ETIMEDOUT"
            case .connection: return "ECONNECTION"
            case .notInCache: return "ENOTCACHED"
            case .invalidPackageName: return "EINVALIDPACKAGENAME"
            case .invalidConfiguration: return "ECONFIG"
            case .fileSystem: return "EFILESYSTEM"
            case .cancelled: return "ECANCELLED"
            case .truncatedBody, .malformedResponse, .responseTooLarge, .invalidStageID: return "EREGISTRY"
            }
        case is VersionSelectionError:
            return "ETARGET"
        default:
            return codesByType[String(describing: type(of: error))] ?? "EERROR"
        }
    }

    /// Library error types by name (the CLI need not import every module to classify its errors).
    static let codesByType: [String: String] = [
        "RegistryKeyError": "EINPUT", "PolicyFileError": "EINPUT", "LockfileError": "EINPUT", "TOMLError": "EINPUT",
        "JSONSyntaxError": "EINPUT", "WatchConfigurationError": "EINPUT", "WatchStateError": "EINPUT",
        "WatchReportError": "EINPUT", "SigstoreFormatError": "EINPUT", "DigestError": "EINPUT",
        "ArchiveError": "EINPUT", "GzipError": "EINPUT", "CompareError": "EINPUT", "IntegrityError": "EINPUT",
        "DSSEError": "EINPUT", "VSAError": "EINPUT", "CryptoError": "EINPUT",
        "RebuildError": "ESOURCE", "SourceError": "ESOURCE", "TarWriteError": "ESOURCE",
        "OfflineError": "ENOTCACHED", "StagedCheckError": "ESTAGED", "PackumentEvidenceError": "EPACKUMENT",
    ]

    /// The message for an error: its description (ArgumentParser's own text for its errors).
    static func message(for error: any Error) -> String {
        if let validation = error as? ValidationError { return validation.message }
        return String(describing: error)
    }

    /// Prints `failure` on stderr (and as a JSON error object on stdout when `json`), then exits 2.
    static func exit(with failure: CommandFailure, json: Bool) -> Never {
        FileHandle.standardError.write(Data((failure.description + "\n").utf8))
        exitTwo(failure, json: json)
    }

    /// A usage error found by ArgumentParser: its own message and usage on stderr, then a hint; exit 2.
    static func exitForUsage(command: String, fullMessage: String, json: Bool) -> Never {
        let text = fullMessage + "\nRun 'provcheck help' or 'provcheck <subcommand> --help' for usage.\n"
        FileHandle.standardError.write(Data(text.utf8))
        var first = fullMessage.split(separator: "\n").first.map(String.init) ?? fullMessage
        if first.hasPrefix("Error: ") { first.removeFirst("Error: ".count) }
        exitTwo(.usage(command, first), json: json)
    }

    private static func exitTwo(_ failure: CommandFailure, json: Bool) -> Never {
        if json {
            let object = JSONError(error: .init(code: failure.code, message: failure.message,
                                                exitCode: ExitStatus.error.rawValue, input: failure.input,
                                                reason: failure.reason))
            if let data = try? ProvcheckJSON.encode(object) {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        }
        Foundation.exit(ExitStatus.error.rawValue)
    }
}
