import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A package folder on disk, read the way `npm pack` reads it: `lstat` modes, symlinks not followed,
/// hard links detected by device and inode.
public struct WorktreeSource: PackageSource {
    public let root: SourceNode
    public let label: String

    /// Scans `folder` recursively (never following symlinks).
    public init(folder: URL) throws {
        let path = folder.standardizedFileURL.path
        label = path
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SourceError("package folder \(path) does not exist or is not a directory")
        }
        root = SourceNode(name: (path as NSString).lastPathComponent, kind: .directory)
        try WorktreeSource.scan(path, into: root)
    }

    private static func scan(_ path: String, into node: SourceNode) throws {
        guard let dir = opendir(path) else {
            throw SourceError("cannot read directory \(path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        for name in names {
            let full = path + "/" + name
            var st = stat()
            guard lstat(full, &st) == 0 else {
                throw SourceError("cannot lstat \(full): \(String(cString: strerror(errno)))")
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                node.add(SourceNode(name: name, kind: .file(
                    mode: UInt32(st.st_mode) & 0o7777, size: UInt64(st.st_size),
                    content: .disk(path: full, device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                                   linkCount: UInt64(st.st_nlink)))))
            case S_IFDIR:
                let child = SourceNode(name: name, kind: .directory)
                node.add(child)
                try scan(full, into: child)
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? ""
                node.add(SourceNode(name: name, kind: .symlink(target: target)))
            default:
                node.add(SourceNode(name: name, kind: .other))
            }
        }
    }

    public func readAll(_ location: ContentLocation) throws -> Data {
        guard case .disk(let path, _, _, _) = location else { throw SourceError("not a disk file: \(location)") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SourceError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    public func stream(_ files: [ContentLocation], _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for (index, location) in files.enumerated() {
            guard case .disk(let path, _, _, _) = location else { throw SourceError("not a disk file: \(location)") }
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw SourceError("cannot open \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                try body(index, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
        }
    }
}
