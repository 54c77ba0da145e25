import Foundation
import TestSupport

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-verification-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Runs a command line tool and returns its stdout; throws on a non-zero exit.
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil) throws -> Data {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw Failed(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
            + String(decoding: errData, as: UTF8.self))
    }
    return data
}
