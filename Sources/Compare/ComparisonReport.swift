import Archive
import Foundation

/// The overall result of comparing two tarballs, from most to least similar.
public enum ComparisonVerdict: String, Codable, Sendable, Hashable, CaseIterable {
    /// Same `.tgz` bytes (same SHA-512).
    case exact
    /// Same decompressed tar bytes; only the gzip layer differs (see ``GzipComparison``).
    case tarIdentical = "tar-identical"
    /// Same installed file set and contents; tar metadata differs (see ``MetadataFieldDifference``).
    case contentIdentical = "content-identical"
    /// Files differ: some exist on one side only, or their contents or types differ.
    case differs
}

/// A tar metadata field that can differ between content-identical tarballs.
public enum MetadataField: String, Codable, Sendable, Hashable, CaseIterable {
    /// The order of the file entries.
    case order
    /// Modification times.
    case mtime
    /// Numeric owner user id.
    case uid
    /// Numeric owner group id.
    case gid
    /// Owner user name.
    case uname
    /// Owner group name.
    case gname
    /// Permission bits (e.g. 0644 vs 0755).
    case mode
    /// PAX extended-header records.
    case pax
    /// Header bytes differ although every parsed field is equal (number formatting, prefix split, format).
    case headerEncoding = "header-encoding"
    /// Directory entries present on one side (npm ≥ 5 writes none).
    case directoryEntries = "directory-entries"
    /// The bytes after the end-of-archive marker (record padding), or the marker itself.
    case endOfArchive = "end-of-archive"

    /// The fields whose differences still count as a reproduction (exit 0): order, mtime, uid, gid, uname, gname.
    public static let acceptableByDefault: Set<MetadataField> = [.order, .mtime, .uid, .gid, .uname, .gname]
}

/// One value pair of a differing field.
public struct FieldDifference: Codable, Sendable, Hashable {
    /// The field or item name.
    public let field: String
    /// Side A's value.
    public let a: String
    /// Side B's value.
    public let b: String

    /// Creates a difference.
    public init(field: String, a: String, b: String) {
        self.field = field
        self.a = a
        self.b = b
    }
}

/// One file's value of a differing metadata field.
public struct MetadataExample: Codable, Sendable, Hashable {
    /// The path inside the package.
    public let path: String
    /// Side A's value.
    public let a: String
    /// Side B's value.
    public let b: String
}

/// How one metadata field differs across the files present on both sides.
public struct MetadataFieldDifference: Codable, Sendable, Hashable {
    /// The field.
    public let field: MetadataField
    /// How many files differ in this field (for `order`: the number of files in the common sequence).
    public let files: Int
    /// The distinct values on side A (at most 10).
    public let aValues: [String]
    /// The distinct values on side B (at most 10).
    public let bValues: [String]
    /// The first few files with their two values (at most 10).
    public let examples: [MetadataExample]

    enum CodingKeys: String, CodingKey {
        case field, files
        case aValues = "a_values"
        case bValues = "b_values"
        case examples
    }
}

/// A file present on one side only.
public struct FileSummary: Codable, Sendable, Hashable {
    /// The path inside the package (first tar path component removed).
    public let path: String
    /// The tar path as stored.
    public let tarPath: String
    /// The entry type.
    public let type: TarEntryType
    /// Content size.
    public let size: UInt64
    /// SHA-512 hex of the content.
    public let sha512: String

    enum CodingKeys: String, CodingKey {
        case path
        case tarPath = "tar_path"
        case type, size, sha512
    }
}

/// A file present on both sides whose content, type or link target differs.
public struct ChangedFile: Codable, Sendable, Hashable {
    /// The path inside the package.
    public let path: String
    /// Side A's entry type.
    public let typeA: TarEntryType
    /// Side B's entry type.
    public let typeB: TarEntryType
    /// Side A's size.
    public let sizeA: UInt64
    /// Side B's size.
    public let sizeB: UInt64
    /// Side A's SHA-512 hex.
    public let sha512A: String
    /// Side B's SHA-512 hex.
    public let sha512B: String
    /// Whether both sides are UTF-8 text (then ``diff`` is a unified diff when it fits the bounds).
    public let text: Bool
    /// The unified diff A → B, when both are text and small enough.
    public let diff: String?
    /// Why there is no diff, or other remarks (link target change).
    public let note: String?

    enum CodingKeys: String, CodingKey {
        case path
        case typeA = "type_a"
        case typeB = "type_b"
        case sizeA = "size_a"
        case sizeB = "size_b"
        case sha512A = "sha512_a"
        case sha512B = "sha512_b"
        case text, diff, note
    }
}

/// A change to a lifecycle script that npm runs on install, or to `binding.gyp` (which makes npm run
/// `node-gyp rebuild` on install when there is no `install` script).
public struct InstallScriptChange: Codable, Sendable, Hashable {
    /// How it changed.
    public enum Change: String, Codable, Sendable, Hashable {
        /// Present on B only.
        case added
        /// Present on A only.
        case removed
        /// Present on both sides with different values.
        case changed
    }

    /// `preinstall`, `install`, `postinstall`, or `binding.gyp`.
    public let name: String
    /// How it changed from A to B.
    public let change: Change
    /// Side A's value (the script, or the file's SHA-512 for binding.gyp).
    public let a: String?
    /// Side B's value.
    public let b: String?
}

/// The security-relevant differences, shown before everything else.
public struct ComparisonHighlights: Codable, Sendable, Hashable {
    /// Whether `package.json` differs (or is present on one side only).
    public var packageJSONDiffers: Bool = false
    /// Top-level `package.json` fields that differ (values as compact JSON, truncated).
    public var packageJSONFields: [FieldDifference] = []
    /// Added, removed or changed install scripts and binding.gyp.
    public var installScripts: [InstallScriptChange] = []

    enum CodingKeys: String, CodingKey {
        case packageJSONDiffers = "package_json_differs"
        case packageJSONFields = "package_json_fields"
        case installScripts = "install_scripts"
    }

    /// Whether there is anything to call out.
    public var isEmpty: Bool { !packageJSONDiffers && installScripts.isEmpty }
}

/// The gzip layers compared.
public struct GzipComparison: Codable, Sendable, Hashable {
    /// Whether the compressed bytes are identical.
    public var identicalBytes: Bool
    /// Differing header fields of the first member (`flg`, `mtime`, `xfl`, `os`, `name`, `comment`, `extra`),
    /// plus `members` and `trailing_bytes` when those differ.
    public var headerDifferences: [FieldDifference]
    /// Whether the raw deflate streams of the first members are identical (nil when a side is not gzip).
    public var deflateIdentical: Bool?
    /// Compression level inferred from XFL for side A (`9`, `1`, `2-8`), when gzip.
    public var levelA: String?
    /// Compression level inferred from XFL for side B.
    public var levelB: String?
    /// A one-line explanation, e.g. "deflate stream differs (same header, same tar)".
    public var summary: String

    enum CodingKeys: String, CodingKey {
        case identicalBytes = "identical_bytes"
        case headerDifferences = "header_differences"
        case deflateIdentical = "deflate_identical"
        case levelA = "level_a"
        case levelB = "level_b"
        case summary
    }
}

/// The tar layers compared.
public struct TarComparison: Codable, Sendable, Hashable {
    /// Whether the decompressed tar bytes are identical.
    public var identical: Bool
    /// Side A's tar size.
    public var sizeA: UInt64
    /// Side B's tar size.
    public var sizeB: UInt64
    /// Side A's tar SHA-512 hex.
    public var sha512A: String
    /// Side B's tar SHA-512 hex.
    public var sha512B: String
    /// Number of file entries (non-directories) on side A.
    public var filesA: Int
    /// Number of file entries on side B.
    public var filesB: Int

    enum CodingKeys: String, CodingKey {
        case identical
        case sizeA = "size_a"
        case sizeB = "size_b"
        case sha512A = "sha512_a"
        case sha512B = "sha512_b"
        case filesA = "files_a"
        case filesB = "files_b"
    }
}

/// One side of a comparison.
public struct ComparedSide: Codable, Sendable, Hashable {
    /// The input (file path or name).
    public let input: String
    /// The `.tgz` SHA-512 in SRI form.
    public let integrity: String
    /// The compressed size.
    public let compressedSize: UInt64
    /// Archive findings on this side (see the Archive module's codes).
    public let findings: [ArchiveFinding]

    enum CodingKeys: String, CodingKey {
        case input, integrity
        case compressedSize = "compressed_size"
        case findings
    }
}

/// The full comparison of tarball A with tarball B, layer by layer.
///
/// JSON keys: `verdict`, `acceptable`, `summary`, `a`, `b`, `gzip`, `tar`, `highlights`, `files_only_in_a`,
/// `files_only_in_b`, `changed`, `not_in_source`, `metadata_differences`.
public struct ComparisonReport: Codable, Sendable, Hashable {
    /// The verdict.
    public var verdict: ComparisonVerdict
    /// Side A.
    public var a: ComparedSide
    /// Side B.
    public var b: ComparedSide
    /// The gzip layers.
    public var gzip: GzipComparison
    /// The tar layers.
    public var tar: TarComparison
    /// Security-relevant differences, to show first.
    public var highlights: ComparisonHighlights
    /// Files only in A (excluding those the caller marked as not in source).
    public var filesOnlyInA: [FileSummary]
    /// Files only in B (excluding those the caller marked as not in source).
    public var filesOnlyInB: [FileSummary]
    /// Files on both sides whose content, type or link target differs (excluding not-in-source ones).
    public var changed: [ChangedFile]
    /// Files that differ but that the caller marked as "not in source: unverified" (e.g. build outputs).
    public var notInSource: [String]
    /// Metadata differences, per field, among files with equal content.
    public var metadataDifferences: [MetadataFieldDifference]

    enum CodingKeys: String, CodingKey {
        case verdict, acceptable, summary, a, b, gzip, tar, highlights
        case filesOnlyInA = "files_only_in_a"
        case filesOnlyInB = "files_only_in_b"
        case changed
        case notInSource = "not_in_source"
        case metadataDifferences = "metadata_differences"
    }

    /// Whether the result counts as a reproduction: `exact`, `tar-identical`, or `content-identical` where every
    /// differing metadata field is in `acceptableFields` (default: order, mtime, uid/gid, uname/gname).
    /// Never acceptable when either side is read differently by npm and by other tar readers
    /// (`npm-reads-differently`): which files it installs is then not what the comparison saw.
    public func isAcceptable(acceptableFields: Set<MetadataField> = MetadataField.acceptableByDefault) -> Bool {
        if (a.findings + b.findings).contains(where: { $0.code == .npmReadsDifferently && $0.severity == .error }) {
            return false
        }
        switch verdict {
        case .exact, .tarIdentical: return true
        case .contentIdentical: return metadataDifferences.allSatisfy { acceptableFields.contains($0.field) }
        case .differs: return false
        }
    }

    /// ``isAcceptable(acceptableFields:)`` with the default fields.
    public var acceptable: Bool { isAcceptable() }

    /// Whether anything contradicts the source: files only on one side or changed, not counting the files marked
    /// as not in source.
    public var hasContradictions: Bool { !filesOnlyInA.isEmpty || !filesOnlyInB.isEmpty || !changed.isEmpty }

    /// A one-line explanation of the verdict.
    public var summary: String {
        switch verdict {
        case .exact:
            return "exact: the .tgz bytes are identical"
        case .tarIdentical:
            return "tar-identical: the tar bytes are identical; gzip layer: \(gzip.summary)"
        case .contentIdentical:
            return "content-identical: same files and contents; metadata differs in "
                + metadataDifferences.map(\.field.rawValue).joined(separator: ", ")
        case .differs:
            var parts: [String] = []
            if !highlights.installScripts.isEmpty {
                parts.append("install scripts: " + highlights.installScripts.map { "\($0.name) \($0.change.rawValue)" }.joined(separator: ", "))
            }
            if highlights.packageJSONDiffers { parts.append("package.json differs") }
            if !filesOnlyInA.isEmpty { parts.append("\(filesOnlyInA.count) only in A") }
            if !filesOnlyInB.isEmpty { parts.append("\(filesOnlyInB.count) only in B") }
            if !changed.isEmpty { parts.append("\(changed.count) changed") }
            if !notInSource.isEmpty { parts.append("\(notInSource.count) not in source (unverified)") }
            return "differs: " + parts.joined(separator: "; ")
        }
    }

    /// Creates a report.
    public init(verdict: ComparisonVerdict, a: ComparedSide, b: ComparedSide, gzip: GzipComparison, tar: TarComparison,
                highlights: ComparisonHighlights, filesOnlyInA: [FileSummary], filesOnlyInB: [FileSummary],
                changed: [ChangedFile], notInSource: [String], metadataDifferences: [MetadataFieldDifference]) {
        self.verdict = verdict
        self.a = a
        self.b = b
        self.gzip = gzip
        self.tar = tar
        self.highlights = highlights
        self.filesOnlyInA = filesOnlyInA
        self.filesOnlyInB = filesOnlyInB
        self.changed = changed
        self.notInSource = notInSource
        self.metadataDifferences = metadataDifferences
    }

    /// Decodes a report (`acceptable` and `summary` are derived and ignored).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verdict = try c.decode(ComparisonVerdict.self, forKey: .verdict)
        a = try c.decode(ComparedSide.self, forKey: .a)
        b = try c.decode(ComparedSide.self, forKey: .b)
        gzip = try c.decode(GzipComparison.self, forKey: .gzip)
        tar = try c.decode(TarComparison.self, forKey: .tar)
        highlights = try c.decode(ComparisonHighlights.self, forKey: .highlights)
        filesOnlyInA = try c.decode([FileSummary].self, forKey: .filesOnlyInA)
        filesOnlyInB = try c.decode([FileSummary].self, forKey: .filesOnlyInB)
        changed = try c.decode([ChangedFile].self, forKey: .changed)
        notInSource = try c.decode([String].self, forKey: .notInSource)
        metadataDifferences = try c.decode([MetadataFieldDifference].self, forKey: .metadataDifferences)
    }

    /// Encodes the report with the derived `acceptable` and `summary`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(acceptable, forKey: .acceptable)
        try c.encode(summary, forKey: .summary)
        try c.encode(a, forKey: .a)
        try c.encode(b, forKey: .b)
        try c.encode(gzip, forKey: .gzip)
        try c.encode(tar, forKey: .tar)
        try c.encode(highlights, forKey: .highlights)
        try c.encode(filesOnlyInA, forKey: .filesOnlyInA)
        try c.encode(filesOnlyInB, forKey: .filesOnlyInB)
        try c.encode(changed, forKey: .changed)
        try c.encode(notInSource, forKey: .notInSource)
        try c.encode(metadataDifferences, forKey: .metadataDifferences)
    }
}
