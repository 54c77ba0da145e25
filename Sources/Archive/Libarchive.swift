import CArchive
import Foundation

/// Lists an archive with libarchive (an independent reader) to cross-check provcheck's own tar parser.
enum LibarchiveLister {
    struct Listed: Equatable {
        var path: String
        var type: TarEntryType
        var size: Int64
        /// The link target of a symbolic or hard link ("" otherwise).
        var linkname: String = ""
    }

    /// Lists `input`; returns the entries read and the error libarchive stopped with, if any.
    static func list(_ input: TarballInput, maxEntries: Int) -> (entries: [Listed], error: String?) {
        guard let archive = archive_read_new() else { return ([], "archive_read_new failed") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        switch input {
        case .file(let url):
            guard archive_read_open_filename(archive, url.path, 64 << 10) == ARCHIVE_OK else {
                return ([], errorString(archive))
            }
            return readAll(archive, maxEntries: maxEntries)
        case .data(let data):
            return data.withUnsafeBytes { raw in
                guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                    return ([], errorString(archive))
                }
                return readAll(archive, maxEntries: maxEntries)
            }
        }
    }

    private static func errorString(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(archive_errno(archive))"
    }

    private static func readAll(_ archive: OpaquePointer, maxEntries: Int) -> (entries: [Listed], error: String?) {
        var entries: [Listed] = []
        var entry: OpaquePointer?
        while entries.count <= maxEntries {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                return (entries, errorString(archive))
            }
            let path = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
                ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            let type: TarEntryType
            if archive_entry_hardlink(entry) != nil {
                type = .hardLink
            } else {
                switch archive_entry_filetype(entry) {
                case 0o100000: type = .file
                case 0o120000: type = .symbolicLink
                case 0o040000: type = .directory
                case 0o020000: type = .characterDevice
                case 0o060000: type = .blockDevice
                case 0o010000: type = .fifo
                default: type = .unsupported
                }
            }
            let target = archive_entry_hardlink_utf8(entry) ?? archive_entry_hardlink(entry)
                ?? archive_entry_symlink_utf8(entry) ?? archive_entry_symlink(entry)
            entries.append(Listed(path: path, type: type, size: archive_entry_size(entry),
                                  linkname: target.map { String(cString: $0) } ?? ""))
            if archive_read_data_skip(archive) != ARCHIVE_OK {
                return (entries, errorString(archive))
            }
        }
        return (entries, nil)
    }

    /// Compares libarchive's listing with provcheck's entries before the end-of-archive marker (path, type, size of
    /// regular files, link targets).
    static func crossCheck(_ input: TarballInput, entries: [TarEntry], limits: ArchiveLimits) -> LibarchiveCrossCheck {
        let (listed, error) = list(input, maxEntries: limits.maxEntries)
        let ours = entries.filter { !$0.afterEndOfArchive }
        var differences: [String] = []
        if listed.count != ours.count {
            differences.append("libarchive lists \(listed.count) entries, provcheck \(ours.count)")
        }
        for (index, (theirs, mine)) in zip(listed, ours).enumerated() where differences.count < 10 {
            let mineType: TarEntryType = mine.type == .contiguousFile ? .file : mine.type
            if Array(theirs.path.utf8) != Array(mine.path.utf8) {
                differences.append("entry \(index + 1): libarchive path '\(theirs.path)', provcheck '\(mine.path)'")
            } else if theirs.type != mineType && mine.type != .unsupported {
                differences.append("entry \(index + 1) '\(mine.path)': libarchive type \(theirs.type.rawValue), provcheck \(mineType.rawValue)")
            } else if mine.type.isRegularFile && theirs.size != Int64(mine.size) {
                differences.append("entry \(index + 1) '\(mine.path)': libarchive size \(theirs.size), provcheck \(mine.size)")
            } else if mine.type == .symbolicLink || mine.type == .hardLink,
                      Array(theirs.linkname.utf8) != Array(mine.linkname.utf8) {
                differences.append("entry \(index + 1) '\(mine.path)': libarchive link target '\(theirs.linkname)', provcheck '\(mine.linkname)'")
            }
        }
        if let error { differences.append("libarchive stopped with: \(error)") }
        return LibarchiveCrossCheck(entryCount: listed.count, agrees: differences.isEmpty, error: error,
                                    differences: differences)
    }
}
