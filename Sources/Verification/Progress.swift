import Foundation

/// What a long-running verification is doing, reported to a ``ProgressHandler`` (the library never prints: the CLI
/// renders these on stderr — a live line on a terminal, plain lines otherwise, nothing with `--quiet`).
public enum ProgressEvent: Sendable, Hashable {
    /// A stage started: `fetch`, `clone`, `rebuild`, `compare` …, with what it works on.
    case started(stage: String, detail: String)
    /// A download into `file` started: the bytes on disk so far are the bytes received (the renderer shows them
    /// live, with the rate).
    case downloading(stage: String, detail: String, file: URL)
    /// A transfer finished: bytes moved in `seconds` (the renderer shows the size and the rate).
    case transferred(stage: String, detail: String, bytes: Int, seconds: Double)
    /// A stage finished.
    case finished(stage: String)
}

/// Receives ``ProgressEvent``s; called from any task, so it must be thread-safe.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
