import Digest
import Foundation

/// Where the bytes of a regular file come from.
public enum ContentLocation: Sendable, Hashable {
    /// A git blob, by object id.
    case gitBlob(String)
    /// A file on disk; `device`/`inode`/`linkCount` come from `lstat` (for hard-link detection).
    case disk(path: String, device: UInt64, inode: UInt64, linkCount: UInt64)
}

/// The kind of one directory entry of a package source tree.
public enum SourceEntryKind: Sendable {
    /// A regular file with its permission bits (git: 0o644 or 0o755) and size in bytes.
    case file(mode: UInt32, size: UInt64, content: ContentLocation)
    /// A directory.
    case directory
    /// A symbolic link (never packed by npm).
    case symlink(target: String)
    /// A git submodule (gitlink), never packed.
    case submodule(commit: String)
    /// Anything else (sockets, FIFOs, devices): never packed.
    case other
}

/// A node of a package source tree (a git tree at a commit, or a folder on disk).
public final class SourceNode: @unchecked Sendable {
    /// The entry name (one path component).
    public let name: String
    /// What it is.
    public let kind: SourceEntryKind
    /// Children in "readdir" order (git: tree order; disk: readdir order).
    public private(set) var children: [SourceNode] = []
    private var index: [String: Int] = [:]

    init(name: String, kind: SourceEntryKind) {
        self.name = name
        self.kind = kind
    }

    var isDirectory: Bool { if case .directory = kind { return true } else { return false } }
    var isFile: Bool { if case .file = kind { return true } else { return false } }

    func child(_ name: String) -> SourceNode? { index[name].map { children[$0] } }

    func add(_ node: SourceNode) {
        if let existing = index[node.name] {
            children[existing] = node
        } else {
            index[node.name] = children.count
            children.append(node)
        }
    }

    /// Finds a descendant by a `/`-separated relative path; `.` and `..` are resolved lexically.
    func lookup(_ relativePath: String) -> SourceNode? {
        var stack: [SourceNode] = [self]
        for part in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if stack.count > 1 { stack.removeLast() } else { return nil }
                continue
            }
            guard let current = stack.last, current.isDirectory, let next = current.child(String(part)) else {
                return nil
            }
            stack.append(next)
        }
        return stack.last
    }
}

/// A package source tree plus a way to read file contents.
public protocol PackageSource: Sendable {
    /// The package root directory node.
    var root: SourceNode { get }
    /// A short description for messages (e.g. `repo@commit:dir` or a folder path).
    var label: String { get }
    /// Reads a whole (small) file, e.g. `package.json` or an ignore file.
    func readAll(_ location: ContentLocation) throws -> Data
    /// Streams the contents of `files` in order: `body(index, chunk)` is called with consecutive chunks.
    func stream(_ files: [ContentLocation], _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws
}

/// Errors reading a package source.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the input.
    public let message: String
    /// Makes an error; credentials in any URL the message names (git echoes them) are hidden.
    public init(_ message: String) { self.message = URLCredentials.redact(message) }
    public var description: String { message }
}
