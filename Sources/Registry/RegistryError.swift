import Digest
import Foundation

/// Why a registry operation failed. Every error names the URL (or file) involved and the problem.
///
/// Equality compares ``code`` and ``url`` only.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable, Codable {
        /// The server answered with a status other than success (after retries where retryable).
        case httpStatus
        /// 404 for a document that must exist (a packument, a tarball, a stage item).
        case notFound
        /// 401/403: missing or insufficient credentials.
        case unauthorized
        /// No answer within the timeout.
        case timeout
        /// The connection failed, was refused or reset.
        case connection
        /// The body was shorter or longer than its `Content-Length` (never passed on as data).
        case truncatedBody
        /// The body is not the JSON document expected.
        case malformedResponse
        /// The body is larger than the configured limit (``RegistryConfiguration/maxDocumentBytes`` or
        /// ``RegistryConfiguration/maxTarballBytes``); the transfer was stopped.
        case responseTooLarge
        /// `--offline` and the URL is not in the cache.
        case notInCache
        /// The package name cannot be a registry name.
        case invalidPackageName
        /// A stage id is not a UUID.
        case invalidStageID
        /// An `.npmrc` file or configuration value is invalid.
        case invalidConfiguration
        /// A local file (cache, destination) could not be read or written.
        case fileSystem
        /// The operation was cancelled.
        case cancelled
    }

    /// The kind of failure.
    public let code: Code
    /// The URL involved, when there is one.
    public let url: URL?
    /// The HTTP status, for ``Code/httpStatus``, ``Code/notFound`` and ``Code/unauthorized``.
    public let status: Int?
    /// How many attempts were made (1 when not retried).
    public let attempts: Int
    /// A sentence on what went wrong, without the URL.
    public let problem: String

    /// Creates an error.
    public init(code: Code, url: URL?, status: Int? = nil, attempts: Int = 1, problem: String) {
        self.code = code
        self.url = url
        self.status = status
        self.attempts = attempts
        self.problem = problem
    }

    /// `"<url>: <problem>"` plus the attempt count when retried.
    public var description: String {
        var text = URLCredentials.redact(url.map { "\($0.absoluteString): \(problem)" } ?? problem)
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        return text
    }

    public var errorDescription: String? { description }

    /// Whether a retry may succeed (429/5xx, timeouts, connection problems, truncated bodies).
    public var isTransient: Bool {
        switch code {
        case .timeout, .connection, .truncatedBody: true
        case .httpStatus: status.map { $0 == 429 || $0 == 408 || (500...599).contains($0) } ?? false
        default: false
        }
    }

    public static func == (lhs: RegistryError, rhs: RegistryError) -> Bool {
        lhs.code == rhs.code && lhs.url == rhs.url
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(url)
    }

    func withAttempts(_ count: Int) -> RegistryError {
        RegistryError(code: code, url: url, status: status, attempts: count, problem: problem)
    }

    static func malformed(_ url: URL, problem: String) -> RegistryError {
        RegistryError(code: .malformedResponse, url: url, problem: "malformed response: \(problem)")
    }

    /// The error for an unexpected status. `credentialSent` says whether an `Authorization` header went with the
    /// request: a refused credential is then named as such, not answered with "set an auth token".
    static func status(_ status: Int, url: URL, credentialSent: Bool = false) -> RegistryError {
        switch status {
        case 404:
            return RegistryError(code: .notFound, url: url, status: status, problem: "HTTP 404 Not Found")
        case 401, 403 where credentialSent:
            return RegistryError(
                code: .unauthorized, url: url, status: status,
                problem: "HTTP \(status): the registry refused the credential provcheck sent for it (from .npmrc or the"
                    + " registry URL); check that it is valid and allowed to read this package")
        case 401, 403:
            return RegistryError(
                code: .unauthorized, url: url, status: status,
                problem: "HTTP \(status): the registry refused the request; set an auth token for this registry"
                    + " in .npmrc (//host/path/:_authToken=...)")
        default:
            let reason = HTTPURLResponseReason.text(status)
            return RegistryError(code: .httpStatus, url: url, status: status, problem: "HTTP \(status)\(reason)")
        }
    }
}

enum HTTPURLResponseReason {
    static func text(_ status: Int) -> String {
        switch status {
        case 400: " Bad Request"
        case 408: " Request Timeout"
        case 429: " Too Many Requests"
        case 500: " Internal Server Error"
        case 502: " Bad Gateway"
        case 503: " Service Unavailable"
        case 504: " Gateway Timeout"
        default: ""
        }
    }
}
