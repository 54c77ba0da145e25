import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a package source tree into a new folder without ever leaving it: every directory is opened with
/// `O_DIRECTORY|O_NOFOLLOW` relative to its parent's descriptor, every file is created with
/// `openat(…, O_CREAT|O_EXCL|O_NOFOLLOW)`, and symbolic links are created last with `symlinkat` (never followed).
/// Names that could leave the folder or collide on a case-insensitive file system are refused before anything is
/// written. Used for the throwaway copy `rebuild --build-command` runs in.
public enum ConfinedTreeWriter {
    /// Writes `source` into `folder`, which must not exist yet (it is created with mode 0700).
    /// - Throws: ``SourceError`` naming the entry for an unsafe or colliding name, or the failing system call.
    public static func write(_ source: any PackageSource, into folder: URL) throws {
        // A folder on disk is the user's own: its `.git` folder is copied as before. A git tree never has one
        // (``GitTreeSource`` refuses it).
        try check(source.root, path: "", allowGitFolder: source is WorktreeSource)
        guard mkdir(folder.path, 0o700) == 0 else {
            throw SourceError("cannot create the build copy \(folder.path): \(String(cString: strerror(errno)))")
        }
        let root = open(folder.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else {
            throw SourceError("cannot open the build copy \(folder.path): \(String(cString: strerror(errno)))")
        }
        defer { close(root) }

        var files: [(path: [String], mode: UInt32, content: ContentLocation)] = []
        var links: [(path: [String], target: String)] = []
        func walk(_ node: SourceNode, _ path: [String], _ fd: Int32) throws {
            for child in node.children {
                let childPath = path + [child.name]
                switch child.kind {
                case .directory:
                    guard mkdirat(fd, child.name, 0o755) == 0 else { throw failure("create the folder", childPath) }
                    let sub = openat(fd, child.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard sub >= 0 else { throw failure("open the folder", childPath) }
                    defer { close(sub) }
                    try walk(child, childPath, sub)
                case .file(let mode, _, let content):
                    files.append((childPath, mode, content))
                case .symlink(let target):
                    links.append((childPath, target))
                default:
                    break
                }
            }
        }
        try walk(source.root, [], root)

        var current: Int32 = -1
        var currentIndex = -1
        var written = Set<Int>()
        func create(_ index: Int) throws -> Int32 {
            let path = files[index].path
            let parent = try openParent(root, path)
            defer { if parent != root { close(parent) } }
            let fd = openat(parent, path.last!, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(0o600))
            guard fd >= 0 else { throw failure("create the file", path) }
            written.insert(index)
            return fd
        }
        func finish(_ fd: Int32, _ index: Int) throws {
            guard fchmod(fd, mode_t(files[index].mode)) == 0 else { throw failure("set the mode of", files[index].path) }
            guard close(fd) == 0 else { throw failure("write", files[index].path) }
        }
        do {
            try source.stream(files.map(\.content)) { index, chunk in
                if index != currentIndex {
                    if current >= 0 { try finish(current, currentIndex) }
                    current = -1
                    current = try create(index)
                    currentIndex = index
                }
                var offset = 0
                while offset < chunk.count {
                    let n = Glibc.write(current, chunk.baseAddress! + offset, chunk.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("write", files[index].path)
                    }
                    offset += n
                }
            }
            if current >= 0 { try finish(current, currentIndex) }
            current = -1
        } catch {
            if current >= 0 { close(current) }
            throw error
        }
        for index in files.indices where !written.contains(index) {  // empty files are never streamed
            try finish(try create(index), index)
        }
        for (path, target) in links {
            let parent = try openParent(root, path)
            defer { if parent != root { close(parent) } }
            guard symlinkat(target, parent, path.last!) == 0 else { throw failure("create the link", path) }
        }
    }

    /// Refuses names that leave the folder and names that collide on a case-insensitive file system.
    static func check(_ node: SourceNode, path: String, allowGitFolder: Bool = false) throws {
        var folded: [String: String] = [:]
        for child in node.children {
            let childPath = path.isEmpty ? child.name : path + "/" + child.name
            let ownGitFolder = allowGitFolder && path.isEmpty && child.name == ".git"
            if !ownGitFolder, let why = GitTreeSource.unsafeName(child.name) {
                throw SourceError("the build copy is refused: the entry '\(childPath)' \(why)")
            }
            let key = child.name.precomposedStringWithCanonicalMapping.lowercased()
            if let other = folded[key] {
                throw SourceError("the build copy is refused: the entries '\(path.isEmpty ? other : path + "/" + other)' and "
                    + "'\(childPath)' differ only in letter case (or Unicode normalisation) and collide on case-insensitive file systems")
            }
            folded[key] = child.name
            if case .directory = child.kind { try check(child, path: childPath) }
        }
    }

    /// The descriptor of the folder holding `path` (all but its last component), opened component by component
    /// without following links. The caller closes it unless it is `root`.
    private static func openParent(_ root: Int32, _ path: [String]) throws -> Int32 {
        var fd = root
        for (i, name) in path.dropLast().enumerated() {
            let next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let problem = next < 0 ? failure("open the folder", Array(path[...i])) : nil
            if fd != root { close(fd) }
            if let problem { throw problem }
            fd = next
        }
        return fd
    }

    private static func failure(_ what: String, _ path: [String]) -> SourceError {
        SourceError("cannot \(what) '\(path.joined(separator: "/"))' in the build copy: \(String(cString: strerror(errno)))")
    }
}
