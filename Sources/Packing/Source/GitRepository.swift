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
    /// - a remote (`https://…`, `ssh://…`, scp-like `user@host:path`): mirrored with `git clone --mirror` into
    ///   `cacheDirectory` (default: a folder under the temporary directory), or fetched when already there.
    ///
    /// `trust` says who gave the location: local paths and bundles are opened only when the user gave them
    /// (``GitLocationTrust/user``); a location read from a packument or provenance (``GitLocationTrust/remoteOnly``)
    /// must be a remote. Other transports (`file://`, `ext::`, `git://`, `http://`, …) and anything git could read
    /// as an option are refused before git runs (``GitLocation/check(_:trust:)``); git runs with `--` before the
    /// location and `GIT_ALLOW_PROTOCOL` limited to what the location needs.
    /// - Throws: ``SourceError`` naming the location and why it is refused, or git's failure.
    public static func open(_ location: String, cacheDirectory: URL? = nil, trust: GitLocationTrust = .user) throws -> GitRepository {
        let fm = FileManager.default
        switch try GitLocation.check(location, trust: trust) {
        case .local:
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: location, isDirectory: &isDirectory) else {
                throw SourceError("git source \(location) is neither an existing path nor a clonable URL (https://, ssh:// or user@host:path)")
            }
            let url = URL(fileURLWithPath: location).standardizedFileURL
            if isDirectory.boolValue {
                let output = try Git.run(["-C", url.path, "rev-parse", "--absolute-git-dir"], context: location)
                let dir = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return GitRepository(gitDirectory: URL(fileURLWithPath: dir), origin: location)
            }
            let destination = (cacheDirectory ?? fm.temporaryDirectory.appendingPathComponent("provcheck-git"))
                .appendingPathComponent("bundle-\(UUID().uuidString).git")
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            // A bundle is read through git's `file` transport; nothing else is allowed.
            _ = try Git.run(["clone", "--bare", "--quiet", "--", url.path, destination.path], context: location,
                            allowedProtocols: "file")
            return GitRepository(gitDirectory: destination, origin: location, isTemporaryClone: true)
        case .remote:
            let cache = cacheDirectory ?? fm.temporaryDirectory.appendingPathComponent("provcheck-git")
            try fm.createDirectory(at: cache, withIntermediateDirectories: true)
            // Credentials in the URL never reach the mirror's folder name (git shows it in messages).
            let safe = URLCredentials.redact(location).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
            let destination = cache.appendingPathComponent(String(safe) + ".git")
            if fm.fileExists(atPath: destination.path) {
                _ = try Git.run(["--git-dir=\(destination.path)", "fetch", "--quiet", "--tags", "--prune"], context: location)
            } else {
                _ = try Git.run(["clone", "--mirror", "--quiet", "--", location, destination.path], context: location)
            }
            return GitRepository(gitDirectory: destination, origin: location)
        }
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
        let output = try git(["for-each-ref", "--contains", commit, "--format=%(refname)", "--", "refs/heads", "refs/remotes"])
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
        guard let type = try? git(["cat-file", "-t", "--end-of-options", object]),
              String(decoding: type, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "blob"
        else { return nil }
        return try git(["cat-file", "blob", "--end-of-options", object])
    }

    static func isCommitID(_ text: String) -> Bool {
        text.count >= 7 && text.count <= 64 && text.allSatisfy(\.isHexDigit)
    }

    /// Resolves a ref (tag, branch, abbreviated or full commit id) to a full commit id, or nil when unknown.
    public func resolveCommit(_ ref: String) -> String? {
        guard !ref.hasPrefix("-"),
              let output = try? git(["rev-parse", "--verify", "--quiet", "--end-of-options", "\(ref)^{commit}"]) else { return nil }
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// `true` when `commit` names a commit object present in the repository.
    public func commitExists(_ commit: String) -> Bool {
        guard !commit.hasPrefix("-") else { return false }
        return (try? git(["cat-file", "-e", "--end-of-options", "\(commit)^{commit}"])) != nil
    }

    /// Every tag with the commit it points to (annotated tags peeled).
    public func tags() throws -> [String: String] {
        let output = try git(["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)", "--", "refs/tags"])
        var result: [String: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            result[fields[0]] = fields[2].isEmpty ? fields[1] : fields[2]
        }
        return result
    }

    /// The tag names npm projects release `version` under, in the order tried: `v<version>`, `<version>`,
    /// `<name>@<version>`, `<name>-v<version>`, then for a scoped name `<unscoped>@<version>`, `<unscoped>-v<version>`.
    /// The one list (rebuild, verify's source stage and watch use it).
    public static func tagCandidates(name: String?, version: String) -> [String] {
        var candidates = ["v\(version)", version]
        if let name {
            candidates.append("\(name)@\(version)")
            candidates.append("\(name)-v\(version)")
            if name.hasPrefix("@"), let slash = name.lastIndex(of: "/") {
                let bare = String(name[name.index(after: slash)...])
                candidates.append("\(bare)@\(version)")
                candidates.append("\(bare)-v\(version)")
            }
        }
        return candidates
    }

    /// The first of ``tagCandidates(name:version:)`` that exists, with its commit, or nil.
    public func findTag(name: String?, version: String) throws -> (tag: String, commit: String)? {
        let all = try tags()
        for tag in Self.tagCandidates(name: name, version: version) {
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

/// Who gave a git location (decides whether a local path may be opened).
public enum GitLocationTrust: Sendable, Hashable {
    /// The user, on the command line or in their own configuration (`--source`, `rebuild`'s positional, a watch
    /// file): a local repository or bundle, or a remote URL.
    case user
    /// A registry document (packument `repository`, provenance): only a remote `https://`, `ssh://` or scp-like
    /// `user@host:path` URL.
    case remoteOnly
}

/// The checks a git location passes before git sees it (git option injection, dangerous transports).
public enum GitLocation {
    /// What a checked location is.
    public enum Kind: Sendable, Hashable {
        /// A local path (work tree, bare repository or bundle file).
        case local
        /// A remote read over `https` or `ssh`.
        case remote
    }

    /// Classifies `location`, refusing anything but `https://`, `ssh://`, scp-like `user@host:path` and (for
    /// ``GitLocationTrust/user`` only) local paths.
    /// - Throws: ``SourceError`` naming the location and the reason.
    public static func check(_ location: String, trust: GitLocationTrust) throws -> Kind {
        func refuse(_ why: String) -> SourceError {
            SourceError("git source '\(location)' is refused: \(why)")
        }
        guard !location.isEmpty else { throw refuse("it is empty") }
        guard !location.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw refuse("it contains control characters")
        }
        guard !location.hasPrefix("-") else { throw refuse("it starts with '-' and git would read it as an option") }
        let lower = location.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("ssh://") {
            guard let components = URLComponents(string: location), let host = components.host, !host.isEmpty else {
                throw refuse("it is not a valid URL")
            }
            guard !host.hasPrefix("-"), !(components.user ?? "").hasPrefix("-") else {
                throw refuse("its host or user starts with '-' and ssh would read it as an option")
            }
            return .remote
        }
        if let scheme = lower.range(of: "://").map({ String(lower[..<$0.lowerBound]) }) {
            throw refuse("the '\(scheme)://' transport is not allowed (only https://, ssh:// and user@host:path)")
        }
        if let transport = location.range(of: "::"), !location[..<transport.lowerBound].contains("/") {
            throw refuse("git remote helpers ('\(location[..<transport.lowerBound])::') are not allowed")
        }
        if let kind = scpLike(location) { return kind }
        guard trust == .user else {
            throw refuse("a local path taken from the registry is never opened (only https://, ssh:// and user@host:path)")
        }
        return .local
    }

    /// scp-like `user@host:path` (no slash before the colon), with user, host and path not starting with '-'.
    private static func scpLike(_ location: String) -> Kind? {
        guard let colon = location.firstIndex(of: ":"), !location[..<colon].contains("/"),
              let at = location[..<colon].firstIndex(of: "@") else { return nil }
        let user = location[..<at]
        let host = location[location.index(after: at)..<colon]
        let path = location[location.index(after: colon)...]
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !user.isEmpty, !host.isEmpty, !path.isEmpty, !user.hasPrefix("-"), !host.hasPrefix("-"),
              !path.hasPrefix("-"),
              user.unicodeScalars.allSatisfy(allowed.contains), host.unicodeScalars.allSatisfy(allowed.contains)
        else { return nil }
        return .remote
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
        if dir.split(separator: "/").contains("..") || dir.hasPrefix("-") {
            throw SourceError("directory \(directory ?? "") is refused: it must stay inside the repository")
        }
        label = "\(repository.origin)@\(commit)" + (dir.isEmpty ? "" : ":\(dir)")
        let treeish = dir.isEmpty ? "\(commit)^{tree}" : "\(commit):\(dir)"
        if !dir.isEmpty {
            let kind = try? repository.git(["cat-file", "-t", "--end-of-options", treeish])
            guard let kind, String(decoding: kind, as: UTF8.self).hasPrefix("tree") else {
                throw SourceError("directory \(dir) does not exist at commit \(commit) of \(repository.origin)")
            }
        }
        // -t lists every tree before its contents: a path whose parent was not listed has a "/" inside a name.
        let output = try repository.git(["ls-tree", "-r", "-t", "-z", "-l", "--full-tree", "--end-of-options", treeish])
        root = SourceNode(name: dir.isEmpty ? "package" : String(dir.split(separator: "/").last!), kind: .directory)
        var directories: [Substring: SourceNode] = ["": root]
        var seen = Set<Substring>()
        func refuse(_ path: String, _ why: String) -> SourceError {
            SourceError("the git tree of \(label) is refused: the entry '\(path)' \(why); such a tree cannot be checked out safely")
        }
        var symlinkBlobs: [(SourceNode, Substring, String, String)] = []
        for record in output.split(separator: 0) {
            // "<mode> SP <type> SP <object> SP+ <size> TAB <path>"
            guard let tab = record.firstIndex(of: 9) else {
                throw refuse(String(decoding: record, as: UTF8.self), "cannot be read (a name containing NUL?)")
            }
            let meta = String(decoding: record[record.startIndex..<tab], as: UTF8.self)
                .split(separator: " ", omittingEmptySubsequences: true)
            let rawPath = record[(tab + 1)...]
            let path = Substring(String(decoding: rawPath, as: UTF8.self))
            guard meta.count == 4 else { throw refuse(String(path), "has an unreadable ls-tree record") }
            guard Array(path.utf8) == Array(rawPath) else { throw refuse(String(path), "has a name that is not UTF-8") }
            if path.hasPrefix("/") { throw refuse(String(path), "has an absolute name") }
            let slash = path.lastIndex(of: "/")
            let parentPath = slash.map { path[path.startIndex..<$0] } ?? ""
            let name = String(slash.map { path[path.index(after: $0)...] } ?? path)
            if let why = Self.unsafeName(name) { throw refuse(String(path), why) }
            guard let parent = directories[parentPath] else {
                throw refuse(String(path), "has a name containing '/' (or an unsafe parent)")
            }
            guard seen.insert(path).inserted else { throw refuse(String(path), "appears twice in one tree") }
            let object = String(meta[2])
            switch meta[0] {
            case "040000":
                let node = SourceNode(name: name, kind: .directory)
                parent.add(node)
                directories[path] = node
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
            let target = (try? repository.git(["cat-file", "blob", "--end-of-options", object])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            parent.add(SourceNode(name: name, kind: .symlink(target: target)))
        }
    }

    /// Why a git tree entry name is unsafe to write to disk (nil when it is fine): empty, `.`, `..`, `.git` in any
    /// letter case, or containing `/` or NUL.
    static func unsafeName(_ name: String) -> String? {
        if name.isEmpty { return "has an empty name" }
        if name == "." || name == ".." { return "is named '\(name)'" }
        // `.git` as case-insensitive file systems see it: any letter case, HFS+ ignorable code points dropped,
        // trailing dots and spaces dropped (Windows).
        let folded = String(String.UnicodeScalarView(name.unicodeScalars.filter { scalar in
            !((0x200c...0x200f).contains(scalar.value) || (0x202a...0x202e).contains(scalar.value)
                || (0x206a...0x206f).contains(scalar.value) || scalar.value == 0xfeff)
        })).lowercased()
        var trimmed = Substring(folded)
        while let last = trimmed.last, last == "." || last == " " { trimmed = trimmed.dropLast() }
        if folded == ".git" || trimmed == ".git" { return "is named '\(name)' (git's own folder)" }
        if name.contains("/") || name.unicodeScalars.contains("\0") { return "has a name containing '/' or NUL" }
        return nil
    }

    public func readAll(_ location: ContentLocation) throws -> Data {
        guard case .gitBlob(let object) = location else { throw SourceError("not a git blob: \(location)") }
        return try repository.git(["cat-file", "blob", "--end-of-options", object])
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

    /// The transports git may use: https and ssh only (`file` for a user's bundle); never `ext`, `fd`, `file`
    /// from a remote's submodules or redirects, `git` or `http`.
    static let remoteProtocols = "https:ssh"

    static func makeProcess(_ arguments: [String], allowedProtocols: String = remoteProtocols) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = executable == "/usr/bin/env" ? ["git"] + arguments : arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        environment["GIT_ALLOW_PROTOCOL"] = allowedProtocols
        process.environment = environment
        return process
    }

    /// Connects `process` to `input`, `output` and `error` (each a `Pipe` or `FileHandle`) and starts it; a failure
    /// to start names `command` and `context`.
    private static func launch(_ process: Process, input: Any, output: Any, error: Any,
                               _ command: String, context: String) throws {
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        do {
            try process.run()
        } catch {
            throw SourceError("cannot run \(command) for \(context): \(error.localizedDescription)")
        }
    }

    /// Runs git, returns stdout; throws with stderr on a non-zero exit.
    static func run(_ arguments: [String], context: String, allowedProtocols: String = remoteProtocols) throws -> Data {
        let process = makeProcess(arguments, allowedProtocols: allowedProtocols)
        let out = Pipe()
        let err = Pipe()
        try launch(process, input: FileHandle.nullDevice, output: out, error: err, "git", context: context)
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
        try launch(process, input: input, output: output, error: FileHandle.nullDevice, "git cat-file", context: context)
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
