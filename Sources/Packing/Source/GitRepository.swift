import Digest
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A git repository read through the `git` command-line tool (never a work tree: objects only).
///
/// Open a local repository (work tree or bare), a bundle file, or a clonable URL with ``open(_:cacheDirectory:)``.
public struct GitRepository: Sendable {
    /// The git directory (`.git` or a bare repository) commands run against.
    public let gitDirectory: URL
    /// What the user gave (path, bundle or URL), for messages.
    public let origin: String
    /// `true` when ``gitDirectory`` is a temporary clone of a bundle (the caller may delete it when done).
    public var isTemporaryClone: Bool = false

    public init(gitDirectory: URL, origin: String, isTemporaryClone: Bool = false) {
        self.gitDirectory = gitDirectory
        self.origin = origin
        self.isTemporaryClone = isTemporaryClone
    }

    /// Opens `location`:
    /// - a directory inside a git work tree or a bare repository: used in place;
    /// - a file (git bundle): cloned with `git clone --bare` into a temporary folder;
    /// - a URL (`scheme://…`, `git@host:…`): mirrored with `git clone --mirror` into `cacheDirectory`
    ///   (default: a folder under the temporary directory), or fetched when already there.
    public static func open(_ location: String, cacheDirectory: URL? = nil) throws -> GitRepository {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: location, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: location).standardizedFileURL
            if isDirectory.boolValue {
                let output = try Git.run(["-C", url.path, "rev-parse", "--absolute-git-dir"], context: location)
                let dir = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return GitRepository(gitDirectory: URL(fileURLWithPath: dir), origin: location)
            }
            let destination = (cacheDirectory ?? fm.temporaryDirectory.appendingPathComponent("provcheck-git"))
                .appendingPathComponent("bundle-\(UUID().uuidString).git")
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = try Git.run(["clone", "--bare", "--quiet", url.path, destination.path], context: location)
            return GitRepository(gitDirectory: destination, origin: location, isTemporaryClone: true)
        }
        if location.contains("://") || location.hasPrefix("git@") {
            let cache = cacheDirectory ?? fm.temporaryDirectory.appendingPathComponent("provcheck-git")
            try fm.createDirectory(at: cache, withIntermediateDirectories: true)
            // Credentials in the URL never reach the mirror's folder name (git shows it in messages).
            let safe = URLCredentials.redact(location).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
            let destination = cache.appendingPathComponent(String(safe) + ".git")
            if fm.fileExists(atPath: destination.path) {
                _ = try Git.run(["--git-dir=\(destination.path)", "fetch", "--quiet", "--tags", "--prune"], context: location)
            } else {
                _ = try Git.run(["clone", "--mirror", "--quiet", location, destination.path], context: location)
            }
            return GitRepository(gitDirectory: destination, origin: location)
        }
        throw SourceError("git source \(location) is neither an existing path nor a clonable URL")
    }

    /// Runs `git --git-dir=… <arguments>` and returns stdout.
    func git(_ arguments: [String]) throws -> Data {
        try Git.run(["--git-dir=\(gitDirectory.path)"] + arguments, context: origin)
    }

    /// The branches whose history contains `commit`, as `refs/heads/<name>` (remote-tracking
    /// `refs/remotes/<remote>/<name>` reported as `refs/heads/<name>`), sorted and unique; empty for an id that is not
    /// 7 to 64 hex digits.
    public func branches(containing commit: String) throws -> [String] {
        guard Self.isCommitID(commit) else { return [] }
        let output = try git(["for-each-ref", "--contains", commit, "--format=%(refname)", "refs/heads", "refs/remotes"])
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

    /// The bytes of `path` in the tree of `commit`, or `nil` when it is not a file there (or the id or path is not
    /// well formed: relative, without `..`).
    public func blob(commit: String, path: String) throws -> Data? {
        guard Self.isCommitID(commit), !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..")
        else { return nil }
        let object = "\(commit):\(path)"
        guard let type = try? git(["cat-file", "-t", object]),
              String(decoding: type, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "blob"
        else { return nil }
        return try git(["cat-file", "blob", object])
    }

    static func isCommitID(_ text: String) -> Bool {
        text.count >= 7 && text.count <= 64 && text.allSatisfy(\.isHexDigit)
    }

    /// Resolves a ref (tag, branch, abbreviated or full commit id) to a full commit id, or nil when unknown.
    public func resolveCommit(_ ref: String) -> String? {
        guard !ref.hasPrefix("-"),
              let output = try? git(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"]) else { return nil }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// `true` when `commit` names a commit object present in the repository.
    public func commitExists(_ commit: String) -> Bool {
        guard !commit.hasPrefix("-") else { return false }
        return (try? git(["cat-file", "-e", "\(commit)^{commit}"])) != nil
    }

    /// Every tag with the commit it points to (annotated tags peeled).
    public func tags() throws -> [String: String] {
        let output = try git(["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)", "refs/tags"])
        var result: [String: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            result[fields[0]] = fields[2].isEmpty ? fields[1] : fields[2]
        }
        return result
    }

    /// The tag npm projects use for `version`: tried in order `v<version>`, `<version>`, `<name>@<version>`,
    /// `<name>-v<version>`, `<unscoped-name>@<version>`. Returns the tag and its commit, or nil.
    public func findTag(name: String?, version: String) throws -> (tag: String, commit: String)? {
        let all = try tags()
        var candidates = ["v\(version)", version]
        if let name {
            candidates.append("\(name)@\(version)")
            candidates.append("\(name)-v\(version)")
            if let slash = name.lastIndex(of: "/") {
                let bare = String(name[name.index(after: slash)...])
                candidates.append("\(bare)@\(version)")
                candidates.append("\(bare)-v\(version)")
            }
        }
        for tag in candidates {
            if let commit = all[tag] { return (tag, commit) }
        }
        return nil
    }

    /// The tags pointing at `commit`, sorted.
    public func tags(pointingAt commit: String) throws -> [String] {
        try tags().filter { $0.value == commit }.map(\.key).sorted()
    }

    /// Reads the tree of `commit` (optionally the sub-folder `directory`) as a package source.
    public func source(commit: String, directory: String? = nil) throws -> GitTreeSource {
        try GitTreeSource(repository: self, commit: commit, directory: directory)
    }
}

/// A package tree read from git objects at one commit.
public struct GitTreeSource: PackageSource {
    public let root: SourceNode
    public let label: String
    let repository: GitRepository

    init(repository: GitRepository, commit: String, directory: String?) throws {
        self.repository = repository
        var dir = (directory ?? "").split(separator: "/").filter { !$0.isEmpty && $0 != "." }.joined(separator: "/")
        if dir.isEmpty { dir = "" }
        label = "\(repository.origin)@\(commit)" + (dir.isEmpty ? "" : ":\(dir)")
        let treeish = dir.isEmpty ? "\(commit)^{tree}" : "\(commit):\(dir)"
        if !dir.isEmpty {
            let kind = try? repository.git(["cat-file", "-t", treeish])
            guard let kind, String(decoding: kind, as: UTF8.self).hasPrefix("tree") else {
                throw SourceError("directory \(dir) does not exist at commit \(commit) of \(repository.origin)")
            }
        }
        let output = try repository.git(["ls-tree", "-r", "-z", "-l", "--full-tree", treeish])
        root = SourceNode(name: dir.isEmpty ? "package" : String(dir.split(separator: "/").last!), kind: .directory)
        var directories: [Substring: SourceNode] = ["": root]
        func directoryNode(_ path: Substring) -> SourceNode {
            if let node = directories[path] { return node }
            let slash = path.lastIndex(of: "/")
            let parentPath = slash.map { path[path.startIndex..<$0] } ?? ""
            let name = slash.map { path[path.index(after: $0)...] } ?? path
            let parent = directoryNode(parentPath)
            let node = SourceNode(name: String(name), kind: .directory)
            parent.add(node)
            directories[path] = node
            return node
        }
        var symlinkBlobs: [(SourceNode, Substring, String, String)] = []
        for record in output.split(separator: 0) {
            // "<mode> SP <type> SP <object> SP+ <size> TAB <path>"
            guard let tab = record.firstIndex(of: 9) else { continue }
            let meta = String(decoding: record[record.startIndex..<tab], as: UTF8.self)
                .split(separator: " ", omittingEmptySubsequences: true)
            let path = Substring(String(decoding: record[(tab + 1)...], as: UTF8.self))
            guard meta.count == 4 else { continue }
            let slash = path.lastIndex(of: "/")
            let parentPath = slash.map { path[path.startIndex..<$0] } ?? ""
            let name = String(slash.map { path[path.index(after: $0)...] } ?? path)
            let parent = directoryNode(parentPath)
            let object = String(meta[2])
            switch meta[0] {
            case "100644", "100755", "100664":
                let mode: UInt32 = meta[0] == "100755" ? 0o755 : 0o644
                parent.add(SourceNode(name: name, kind: .file(mode: mode, size: UInt64(meta[3]) ?? 0,
                                                              content: .gitBlob(object))))
            case "120000":
                symlinkBlobs.append((parent, path, name, object))
            case "160000":
                parent.add(SourceNode(name: name, kind: .submodule(commit: object)))
            default:
                parent.add(SourceNode(name: name, kind: .other))
            }
        }
        for (parent, _, name, object) in symlinkBlobs {
            let target = (try? repository.git(["cat-file", "blob", object])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            parent.add(SourceNode(name: name, kind: .symlink(target: target)))
        }
    }

    public func readAll(_ location: ContentLocation) throws -> Data {
        guard case .gitBlob(let object) = location else { throw SourceError("not a git blob: \(location)") }
        return try repository.git(["cat-file", "blob", object])
    }

    public func stream(_ files: [ContentLocation], _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let objects: [String] = try files.map {
            guard case .gitBlob(let object) = $0 else { throw SourceError("not a git blob: \($0)") }
            return object
        }
        if objects.isEmpty { return }
        try Git.catFileBatch(gitDirectory: repository.gitDirectory, objects: objects, context: label, body)
    }
}

/// Thin `git` process runner.
enum Git {
    static let executable: String = {
        for candidate in ["/usr/bin/git", "/usr/local/bin/git", "/opt/homebrew/bin/git"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/env"
    }()

    static func makeProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = executable == "/usr/bin/env" ? ["git"] + arguments : arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        process.environment = environment
        return process
    }

    /// Runs git, returns stdout; throws with stderr on a non-zero exit.
    static func run(_ arguments: [String], context: String) throws -> Data {
        let process = makeProcess(arguments)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SourceError("cannot run git for \(context): \(error.localizedDescription)")
        }
        let errorBox = DataBox()
        let errorReader = Thread {
            errorBox.finish(err.fileHandleForReading.readDataToEndOfFile())
        }
        errorReader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorData = errorBox.wait()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw SourceError("git \(arguments.filter { !$0.hasPrefix("--git-dir") }.prefix(3).joined(separator: " ")) "
                + "failed for \(context): \(message.isEmpty ? "exit \(process.terminationStatus)" : message)")
        }
        return data
    }

    /// Streams blobs with one `git cat-file --batch` process.
    static func catFileBatch(gitDirectory: URL, objects: [String], context: String,
                             _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let process = makeProcess(["--git-dir=\(gitDirectory.path)", "cat-file", "--batch"])
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SourceError("cannot run git cat-file for \(context): \(error.localizedDescription)")
        }
        let request = Data(objects.map { $0 + "\n" }.joined().utf8)
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: request)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        defer { process.waitUntilExit() }
        let reader = FDReader(fd: output.fileHandleForReading.fileDescriptor)
        defer { reader.close() }
        for (index, object) in objects.enumerated() {
            guard let header = try reader.readLine() else {
                throw SourceError("git cat-file ended early for \(context) at \(object)")
            }
            let fields = header.split(separator: " ")
            guard fields.count == 3, fields[1] == "blob", let size = Int(fields[2]) else {
                throw SourceError("git cat-file: unexpected reply for \(object) in \(context): \(header)")
            }
            try reader.read(count: size) { try body(index, $0) }
            _ = try reader.read(count: 1) { _ in }  // trailing LF
        }
    }
}

/// Hands the stderr bytes read on another thread to the waiting thread (a semaphore orders the write before the
/// read; the previous busy-wait on a plain `Bool` was a data race found by ThreadSanitizer).
final class DataBox: @unchecked Sendable {
    private var data = Data()
    private let finished = DispatchSemaphore(value: 0)

    /// Stores the bytes and wakes the waiter. Call once.
    func finish(_ bytes: Data) {
        data = bytes
        finished.signal()
    }

    /// Waits for ``finish(_:)`` and returns its bytes.
    func wait() -> Data {
        finished.wait()
        return data
    }
}

/// A buffered reader over a file descriptor.
final class FDReader {
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(fd: Int32) {
        self.fd = fd
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
    }

    func close() { buffer.deallocate() }

    private func fill() throws -> Bool {
        if start == end {
            start = 0
            end = 0
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError("read error: \(String(cString: strerror(errno)))")
            }
            end += n
            return n > 0
        }
    }

    func readLine() throws -> String? {
        var line = Data()
        while true {
            if start < end {
                let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                if let newline = slice.firstIndex(of: 10) {
                    line.append(contentsOf: slice[slice.startIndex..<newline])
                    start += newline - slice.startIndex + 1
                    return String(decoding: line, as: UTF8.self)
                }
                line.append(contentsOf: slice)
                start = end
            }
            if try !fill() { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
        }
    }

    func read(count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var remaining = count
        while remaining > 0 {
            if start == end {
                guard try fill() else { throw SourceError("unexpected end of git output") }
            }
            let take = min(remaining, end - start)
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + take)]))
            start += take
            remaining -= take
        }
    }
}
