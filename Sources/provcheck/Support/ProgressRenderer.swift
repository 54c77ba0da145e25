import Foundation
import Verification

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Renders the library's ``ProgressEvent``s on stderr, only once a command has run for more than a second: a live
/// line redrawn in place on a terminal (stage, what it works on, elapsed time), plain lines otherwise (CI logs),
/// nothing with `--quiet`.
final class ProgressRenderer: @unchecked Sendable {
    enum Mode { case live, lines, off }

    private let lock = NSLock()
    private let mode: Mode
    private let command: String
    private let start = Date()
    private let delay: TimeInterval
    private var current: String?
    private var stageStart = Date()
    private var shown = false
    private var drawn = false
    private var pendingLine: String?
    /// The file a running download writes to (its size is the bytes received so far).
    private var download: (stage: String, detail: String, file: URL)?
    private var ticker: Task<Void, Never>?

    /// A renderer for `command`: live on a terminal stderr, plain lines otherwise, off with `quiet`.
    /// `PROVCHECK_PROGRESS_DELAY` (seconds) overrides the one-second threshold (tests).
    init(command: String, quiet: Bool) {
        self.command = command
        if quiet {
            mode = .off
        } else {
            mode = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .live : .lines
        }
        delay = ProcessInfo.processInfo.environment["PROVCHECK_PROGRESS_DELAY"].flatMap(Double.init) ?? 1.0
        guard mode != .off else { return }
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 100_000_000)
                self?.tick()
            }
        }
    }

    /// The handler to pass to the library (`nil` when off).
    var handler: ProgressHandler? {
        if mode == .off { return nil }
        let handler: ProgressHandler = { [weak self] event in self?.receive(event) }
        return handler
    }

    static func size(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
        return "\(bytes) B"
    }

    private func receive(_ event: ProgressEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let stage, let detail):
            current = "\(stage) \(detail)"
            stageStart = Date()
            download = nil
            emitLine("\(stage) \(detail)")
        case .downloading(let stage, let detail, let file):
            current = "\(stage) \(detail)"
            stageStart = Date()
            download = (stage, detail, file)
            emitLine("\(stage) \(detail)")
        case .transferred(let stage, let detail, let bytes, let seconds):
            let rate = seconds > 0 ? " (\(Self.size(Int(Double(bytes) / seconds)))/s)" : ""
            emitLine("\(stage) done: \(Self.size(bytes)) in \(String(format: "%.1f", seconds)) s\(rate) \(detail)")
            current = nil
            download = nil
        case .finished:
            current = nil
            download = nil
        }
        if mode == .live && shown { redraw() }
    }

    /// Plain mode: a line now if the command has already run a second, else remembered for the first tick after.
    private func emitLine(_ text: String) {
        guard mode == .lines else { return }
        if !shown && Date().timeIntervalSince(start) >= delay { shown = true }
        if shown {
            write("provcheck \(command): \(text)\n")
        } else {
            pendingLine = text
        }
    }

    private func tick() {
        lock.lock()
        defer { lock.unlock() }
        if !shown && Date().timeIntervalSince(start) >= delay {
            shown = true
            if mode == .lines, let pendingLine, current != nil { write("provcheck \(command): \(pendingLine)\n") }
            pendingLine = nil
        }
        if shown && mode == .live { redraw() }
    }

    private func redraw() {
        guard let current else {
            if drawn { write("\r\u{1B}[K"); drawn = false }
            return
        }
        let seconds = Date().timeIntervalSince(stageStart)
        var line = "provcheck \(command): \(current) … \(Int(seconds)) s"
        // A download: the bytes on disk so far and the rate first, so a narrow terminal cuts the URL, not them.
        if let download, let bytes = (try? FileManager.default.attributesOfItem(atPath: download.file.path))?[.size] as? Int {
            let rate = seconds > 0.5 ? ", \(Self.size(Int(Double(bytes) / seconds)))/s" : ""
            line = "provcheck \(command): \(download.stage) \(Self.size(bytes))\(rate), \(Int(seconds)) s: \(download.detail)"
        }
        let columns = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
        if line.count > columns - 1 { line = String(line.prefix(max(10, columns - 2))) + "…" }
        write("\r\u{1B}[K" + line)
        drawn = true
    }

    /// Stops the renderer and clears a live line (call before printing the result).
    func finish() {
        ticker?.cancel()
        lock.lock()
        defer { lock.unlock() }
        current = nil
        if drawn { write("\r\u{1B}[K"); drawn = false }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
