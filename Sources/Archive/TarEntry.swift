import Foundation

/// The kind of a tar entry, from its type flag.
public enum TarEntryType: String, Codable, Sendable, Hashable {
    /// `'0'` or NUL: a regular file.
    case file
    /// `'7'`: a contiguous file (read as a regular file).
    case contiguousFile = "contiguous-file"
    /// `'1'`: a hard link to ``TarEntry/linkname``.
    case hardLink = "hardlink"
    /// `'2'`: a symbolic link to ``TarEntry/linkname``.
    case symbolicLink = "symlink"
    /// `'3'`: a character device.
    case characterDevice = "character-device"
    /// `'4'`: a block device.
    case blockDevice = "block-device"
    /// `'5'`: a directory.
    case directory
    /// `'6'`: a FIFO.
    case fifo
    /// Any other flag (GNU sparse, volume header, …); see ``TarEntry/typeflag``.
    case unsupported

    init(flag: UInt8) {
        switch flag {
        case UInt8(ascii: "0"), 0: self = .file
        case UInt8(ascii: "7"): self = .contiguousFile
        case UInt8(ascii: "1"): self = .hardLink
        case UInt8(ascii: "2"): self = .symbolicLink
        case UInt8(ascii: "3"): self = .characterDevice
        case UInt8(ascii: "4"): self = .blockDevice
        case UInt8(ascii: "5"): self = .directory
        case UInt8(ascii: "6"): self = .fifo
        default: self = .unsupported
        }
    }

    /// Whether the entry carries file content (regular or contiguous file).
    public var isRegularFile: Bool { self == .file || self == .contiguousFile }
}

/// One PAX extended-header record (`<len> key=value\n`), in archive order.
public struct PaxRecord: Codable, Sendable, Hashable {
    /// The keyword, e.g. `path`, `mtime`, `size`.
    public let key: String
    /// The value (UTF-8, decoded with replacement of invalid bytes).
    public let value: String

    /// Creates a record.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The header format an entry was written in.
public enum TarHeaderFormat: String, Codable, Sendable, Hashable {
    /// POSIX ustar (`"ustar\0"` `"00"`), with or without PAX extensions.
    case ustar
    /// GNU tar (`"ustar  \0"`).
    case gnu
    /// Pre-POSIX (v7) header: no magic.
    case v7
}

/// One tar entry as read from its header(s), after PAX and GNU long names were applied.
///
/// JSON encoding uses snake_case keys; ``rawHeader`` is rendered only as ``headerSHA256`` (`header_sha256`) and is
/// empty after decoding.
public struct TarEntry: Codable, Sendable, Hashable {
    /// The full path as npm (node-tar) reads it: the last PAX `path` or GNU long name, else the ustar prefix + name
    /// read as node-tar does. Where POSIX readers read another path, the report has an `npm-reads-differently`
    /// error giving both.
    public var path: String
    /// The kind of entry.
    public var type: TarEntryType
    /// The raw type flag character (`"0"`, `"x"`, …; `"\0"` is shown as `""`).
    public var typeflag: String
    /// The header format.
    public var format: TarHeaderFormat
    /// Permission and special bits (`mode & 0o7777`).
    public var mode: UInt32
    /// Content size in bytes (PAX `size` when present).
    public var size: UInt64
    /// Modification time in whole seconds since 1970 (PAX `mtime` when present, truncated).
    public var mtime: Int64
    /// Owner user id, or nil when the field is empty (node-tar "portable" headers leave it empty).
    public var uid: Int64?
    /// Owner group id, or nil when the field is empty.
    public var gid: Int64?
    /// Owner user name ("" when empty).
    public var uname: String
    /// Owner group name ("" when empty).
    public var gname: String
    /// Link target for links as node-tar reads it (global PAX `linkpath`, else PAX `linkpath` or GNU long link,
    /// else the header field); "" otherwise.
    public var linkname: String
    /// Device major/minor numbers, when the fields are set.
    public var devmajor: Int64?
    /// Device minor number, when set.
    public var devminor: Int64?
    /// The PAX records that applied to this entry (global then per-entry), in archive order.
    public var paxRecords: [PaxRecord]
    /// Whether a GNU `L`/`K` long name/link header applied.
    public var usedGNULongName: Bool
    /// Offset of the entry's first header block (the PAX/GNU extension header if any) in the tar stream.
    public var offset: UInt64
    /// Offset of the entry's own ustar header block.
    public var headerOffset: UInt64
    /// Offset of the content in the tar stream.
    public var dataOffset: UInt64
    /// The 512 bytes of the entry's own ustar header (empty after JSON decoding).
    public var rawHeader: [UInt8]
    /// The raw bytes of the extension headers before it (PAX `x` header + body, GNU `L`/`K` + body), if any
    /// (empty after JSON decoding).
    public var rawExtensionHeaders: [UInt8]
    /// SHA-256 hex of ``rawHeader``.
    public var headerSHA256: String
    /// SHA-512 hex of the content (of the `size` bytes that follow the header, for every type).
    public var sha512: String
    /// Whether the entry comes after the end-of-archive marker (hidden from tools that stop there).
    public var afterEndOfArchive: Bool

    enum CodingKeys: String, CodingKey {
        case path, type, typeflag, format, mode, size, mtime, uid, gid, uname, gname, linkname, devmajor, devminor
        case paxRecords = "pax_records"
        case usedGNULongName = "gnu_long_name"
        case offset
        case headerOffset = "header_offset"
        case dataOffset = "data_offset"
        case headerSHA256 = "header_sha256"
        case sha512
        case afterEndOfArchive = "after_end_of_archive"
    }

    /// The mode as 4 octal digits, e.g. `0644`.
    public var modeOctal: String { String(format: "%04o", mode) }

    /// The path with its first component removed: where npm installs it inside the package folder.
    public var pathInPackage: String {
        guard let slash = path.firstIndex(of: "/") else { return "" }
        return String(path[path.index(after: slash)...])
    }

    /// Creates an entry (used by the parser and by tests).
    public init(path: String, type: TarEntryType, typeflag: String, format: TarHeaderFormat, mode: UInt32,
                size: UInt64, mtime: Int64, uid: Int64?, gid: Int64?, uname: String, gname: String,
                linkname: String, devmajor: Int64?, devminor: Int64?, paxRecords: [PaxRecord],
                usedGNULongName: Bool, offset: UInt64, headerOffset: UInt64, dataOffset: UInt64,
                rawHeader: [UInt8], rawExtensionHeaders: [UInt8], headerSHA256: String, sha512: String,
                afterEndOfArchive: Bool) {
        self.path = path
        self.type = type
        self.typeflag = typeflag
        self.format = format
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.uname = uname
        self.gname = gname
        self.linkname = linkname
        self.devmajor = devmajor
        self.devminor = devminor
        self.paxRecords = paxRecords
        self.usedGNULongName = usedGNULongName
        self.offset = offset
        self.headerOffset = headerOffset
        self.dataOffset = dataOffset
        self.rawHeader = rawHeader
        self.rawExtensionHeaders = rawExtensionHeaders
        self.headerSHA256 = headerSHA256
        self.sha512 = sha512
        self.afterEndOfArchive = afterEndOfArchive
    }

    /// Decodes an entry; `mode` is an octal string; raw header bytes are not in JSON and come back empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        type = try c.decode(TarEntryType.self, forKey: .type)
        typeflag = try c.decode(String.self, forKey: .typeflag)
        format = try c.decode(TarHeaderFormat.self, forKey: .format)
        let modeText = try c.decode(String.self, forKey: .mode)
        guard let parsed = UInt32(modeText, radix: 8) else {
            throw DecodingError.dataCorruptedError(forKey: .mode, in: c, debugDescription: "mode '\(modeText)' is not octal")
        }
        mode = parsed
        size = try c.decode(UInt64.self, forKey: .size)
        mtime = try c.decode(Int64.self, forKey: .mtime)
        uid = try c.decodeIfPresent(Int64.self, forKey: .uid)
        gid = try c.decodeIfPresent(Int64.self, forKey: .gid)
        uname = try c.decode(String.self, forKey: .uname)
        gname = try c.decode(String.self, forKey: .gname)
        linkname = try c.decode(String.self, forKey: .linkname)
        devmajor = try c.decodeIfPresent(Int64.self, forKey: .devmajor)
        devminor = try c.decodeIfPresent(Int64.self, forKey: .devminor)
        paxRecords = try c.decode([PaxRecord].self, forKey: .paxRecords)
        usedGNULongName = try c.decode(Bool.self, forKey: .usedGNULongName)
        offset = try c.decode(UInt64.self, forKey: .offset)
        headerOffset = try c.decode(UInt64.self, forKey: .headerOffset)
        dataOffset = try c.decode(UInt64.self, forKey: .dataOffset)
        rawHeader = []
        rawExtensionHeaders = []
        headerSHA256 = try c.decode(String.self, forKey: .headerSHA256)
        sha512 = try c.decode(String.self, forKey: .sha512)
        afterEndOfArchive = try c.decode(Bool.self, forKey: .afterEndOfArchive)
    }

    /// Encodes the entry (mode as an octal string, raw header as its SHA-256 only).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(type, forKey: .type)
        try c.encode(typeflag, forKey: .typeflag)
        try c.encode(format, forKey: .format)
        try c.encode(modeOctal, forKey: .mode)
        try c.encode(size, forKey: .size)
        try c.encode(mtime, forKey: .mtime)
        try c.encodeIfPresent(uid, forKey: .uid)
        try c.encodeIfPresent(gid, forKey: .gid)
        try c.encode(uname, forKey: .uname)
        try c.encode(gname, forKey: .gname)
        try c.encode(linkname, forKey: .linkname)
        try c.encodeIfPresent(devmajor, forKey: .devmajor)
        try c.encodeIfPresent(devminor, forKey: .devminor)
        try c.encode(paxRecords, forKey: .paxRecords)
        try c.encode(usedGNULongName, forKey: .usedGNULongName)
        try c.encode(offset, forKey: .offset)
        try c.encode(headerOffset, forKey: .headerOffset)
        try c.encode(dataOffset, forKey: .dataOffset)
        try c.encode(headerSHA256, forKey: .headerSHA256)
        try c.encode(sha512, forKey: .sha512)
        try c.encode(afterEndOfArchive, forKey: .afterEndOfArchive)
    }
}
