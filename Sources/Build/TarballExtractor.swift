import CArchive
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unpacks a dependency tarball the way pacote does (`strip: 1`, links dropped, modes at least 0644/0755 under a
/// 022 umask, bins made executable), refusing any path that would leave the target folder.
enum TarballExtractor {
    /// Limits per tarball.
    static let maxEntries = 200_000
    static let maxBytes: Int64 = 2 << 30

    /// Unpacks `tarball` (gzip or plain tar) into `target` (created). `bins` are the package's bin paths
    /// (normalized, relative), made executable.
    static func extract(_ tarball: URL, into target: URL, package: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: target, withIntermediateDirectories: true)
        guard let archive = archive_read_new() else { throw BuildError(.unpack, "\(package): archive_read_new failed") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        guard archive_read_open_filename(archive, tarball.path, 64 << 10) == ARCHIVE_OK else {
            throw BuildError(.unpack, "\(package): cannot read its tarball: \(errorString(archive))")
        }
        var entry: OpaquePointer?
        var count = 0
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw BuildError(.unpack, "\(package): its tarball is damaged: \(errorString(archive))")
            }
            count += 1
            guard count <= maxEntries else { throw BuildError(.unpack, "\(package): more than \(maxEntries) entries") }
            let rawPath = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
                ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let type = archive_entry_filetype(entry)
            let isFile = type == 0o100000 && archive_entry_hardlink(entry) == nil
            let isDirectory = type == 0o040000
            guard isFile || isDirectory else { continue }  // links and specials are dropped, as pacote does
            // strip: 1, then the remaining components must stay inside the target.
            var components = rawPath.split(separator: "/").map(String.init).filter { $0 != "." }
            guard !components.isEmpty else { continue }
            components.removeFirst()
            guard !components.isEmpty else { continue }
            guard !rawPath.hasPrefix("/"), components.allSatisfy({ $0 != ".." && !$0.contains("\0") }) else {
                throw BuildError(.unpack, "\(package): its tarball names \(rawPath), outside the package folder")
            }
            let relative = components.joined(separator: "/")
            let destination = target.appendingPathComponent(relative)
            if isDirectory {
                try makeDirectory(destination, package: package)
                continue
            }
            try makeDirectory(destination.deletingLastPathComponent(), package: package)
            let size = archive_entry_size(entry)
            total += max(0, size)
            guard total <= maxBytes else { throw BuildError(.unpack, "\(package): more than \(maxBytes) bytes unpacked") }
            let mode = mode_t(archive_entry_perm(entry))
            let fileMode = (((mode | 0o666) & ~0o022) | 0o600) & 0o777
            let fd = open(destination.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, fileMode)
            guard fd >= 0 else {
                throw BuildError(.unpack, "\(package): cannot write \(relative): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            while true {
                let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if n == 0 { break }
                guard n > 0 else { throw BuildError(.unpack, "\(package): \(relative): \(errorString(archive))") }
                var offset = 0
                while offset < n {
                    let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, n - offset) }
                    guard written > 0 else {
                        throw BuildError(.unpack, "\(package): cannot write \(relative): \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
            fchmod(fd, fileMode)
        }
    }

    /// Creates a folder (and its parents) refusing to pass through a symlink.
    private static func makeDirectory(_ url: URL, package: String) throws {
        var info = stat()
        if lstat(url.path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw BuildError(.unpack, "\(package): \(url.lastPathComponent) is both a file and a folder in its tarball")
            }
            return
        }
        try makeDirectory(url.deletingLastPathComponent(), package: package)
        if mkdir(url.path, 0o755) != 0 && errno != EEXIST {
            throw BuildError(.unpack, "\(package): cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func errorString(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(archive_errno(archive))"
    }
}
