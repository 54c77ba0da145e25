import Foundation

/// Git queries the `Packing` module's ``GitRepository`` has no method for, run with the `git` command.
enum GitQueries {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The branches (`refs/heads/<name>`; remote-tracking `refs/remotes/<remote>/<name>` reported as
    /// `refs/heads/<name>`) whose history contains `commit`, sorted and unique.
    static func containing(_ commit: String, gitDirectory: URL) throws -> [String] {
        guard commit.count >= 7, commit.count <= 64, commit.allSatisfy(\.isHexDigit) else { return [] }
        let output = try run(["--git-dir=\(gitDirectory.path)", "for-each-ref", "--contains", commit,
                              "--format=%(refname)", "refs/heads", "refs/remotes"])
        var branches = Set<String>()
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let ref = String(line)
            if ref.hasPrefix("refs/heads/") {
                branches.insert(ref)
            } else if ref.hasPrefix("refs/remotes/") {
                let parts = ref.split(separator: "/", maxSplits: 3)
                if parts.count == 4, parts[3] != "HEAD" { branches.insert("refs/heads/" + parts[3]) }
            }
        }
        return branches.sorted()
    }

    /// The bytes of `path` in the tree of `commit`, or `nil` when the path is not a file there.
    static func blob(commit: String, path: String, gitDirectory: URL) throws -> Data? {
        guard commit.count >= 7, commit.count <= 64, commit.allSatisfy(\.isHexDigit),
              !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..")
        else { return nil }
        let object = "\(commit):\(path)"
        guard let type = try? run(["--git-dir=\(gitDirectory.path)", "cat-file", "-t", object]),
              String(decoding: type, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "blob"
        else { return nil }
        return try run(["--git-dir=\(gitDirectory.path)", "cat-file", "blob", object])
    }

    private static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errHandle = err.fileHandleForReading
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = errHandle.readDataToEndOfFile()
            group.leave()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "git \(arguments.dropFirst().joined(separator: " ")) exited \(process.terminationStatus): "
                + String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return data
    }
}
