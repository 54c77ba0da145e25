import Digest
import Foundation

/// Finds and parses a project's lockfile.
public enum LockfileLoader {
    /// The lockfile names looked for in a folder, in npm's order of preference
    /// (`npm-shrinkwrap.json` wins over `package-lock.json`).
    public static let candidateNames = ["npm-shrinkwrap.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml"]

    /// Parses `path`: a lockfile, or a folder holding one of ``candidateNames``.
    /// - Throws: ``LockfileError`` when nothing is found or the file cannot be parsed.
    public static func load(from path: URL) throws -> Lockfile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw LockfileError(file: path.path, message: "no such file or folder")
        }
        if isDirectory.boolValue {
            for name in candidateNames {
                let candidate = path.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate.path) { return try parse(file: candidate) }
            }
            throw LockfileError(file: path.path, message: "no lockfile found (looked for \(candidateNames.joined(separator: ", ")))")
        }
        return try parse(file: path)
    }

    /// Parses one lockfile; the format comes from the file name (`*.json` = npm, `yarn.lock`, `*.yaml` = pnpm).
    public static func parse(file: URL) throws -> Lockfile {
        let data: Data
        do { data = try InputFile.read(file, limit: 1 << 30) } catch {
            throw LockfileError(file: file.path, message: "the file \(error.problem)")
        }
        let name = file.lastPathComponent.lowercased()
        if name.hasSuffix(".json") { return try NPMLockfileParser.parse(data, file: file) }
        if name.hasSuffix(".lock") || name == "yarn.lock" {
            return try YarnLockfileParser.parse(data, file: file, manifest: siblingManifest(of: file))
        }
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { return try PnpmLockfileParser.parse(data, file: file) }
        throw LockfileError(file: file.path, message: "unknown lockfile type (expected package-lock.json, npm-shrinkwrap.json, yarn.lock or pnpm-lock.yaml)")
    }

    /// The `package.json` next to a lockfile, parsed, when present.
    static func siblingManifest(of file: URL) -> [String: Any]? {
        let manifest = file.deletingLastPathComponent().appendingPathComponent("package.json")
        guard let data = FileManager.default.contents(atPath: manifest.path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
