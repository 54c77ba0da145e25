import Archive
import Digest
import Foundation

/// Why two tarballs could not be compared. Names the input at fault.
public struct CompareError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input (file path or name).
    public let input: String
    /// What went wrong, naming the input.
    public let message: String
    /// The archive finding code that stopped reading, when there is one.
    public let code: FindingCode?

    /// Creates an error.
    public init(input: String, message: String, code: FindingCode?) {
        self.input = input
        self.message = message
        self.code = code
    }

    /// The message.
    public var description: String { message }
}

/// Compares two `.tgz` files layer by layer (gzip bytes, tar bytes, file set and contents, metadata) and gives one
/// ``ComparisonVerdict`` with every difference named.
///
/// By convention A is the rebuilt (or source) tarball and B the registry's; only-in-A / only-in-B lists use that
/// order. Reading is streaming and bounded: entries are hashed in one pass, then only the changed files' contents
/// (up to ``maxDiffBytes`` each) are read again for diffs.
///
/// ```swift
/// let report = try TarballComparator().compare(rebuiltURL, registryURL)
/// if report.acceptable { … } else { report.highlights, report.changed … }
/// ```
public struct TarballComparator: Sendable {
    /// Limits for reading each tarball.
    public var limits: ArchiveLimits
    /// Largest file (per side) that is read into memory for a text diff.
    public var maxDiffBytes: Int
    /// Longest unified diff kept per file, in bytes (longer diffs are cut with a note).
    public var maxDiffOutputBytes: Int
    /// Marks package paths (first tar component removed, e.g. `dist/index.js`) whose difference cannot be checked
    /// against the source, e.g. build outputs that are not in git. Such files are listed in
    /// ``ComparisonReport/notInSource`` ("not in source: unverified") instead of the only-in / changed lists.
    public var notInSource: (@Sendable (String) -> Bool)?

    /// Creates a comparator.
    public init(limits: ArchiveLimits = .npmDefault, maxDiffBytes: Int = 1 << 20, maxDiffOutputBytes: Int = 64 << 10,
                notInSource: (@Sendable (String) -> Bool)? = nil) {
        self.limits = limits
        self.maxDiffBytes = maxDiffBytes
        self.maxDiffOutputBytes = maxDiffOutputBytes
        self.notInSource = notInSource
    }

    /// Creates a comparator that treats the given package paths as not in source.
    public init(limits: ArchiveLimits = .npmDefault, notInSourcePaths: Set<String>) {
        self.init(limits: limits, notInSource: { notInSourcePaths.contains($0) })
    }

    /// Compares two files.
    public func compare(_ a: URL, _ b: URL) throws(CompareError) -> ComparisonReport {
        try compare(.file(a), .file(b))
    }

    /// Compares two files, naming them `nameA` and `nameB` in the report.
    public func compare(_ a: URL, _ b: URL, nameA: String, nameB: String) throws(CompareError) -> ComparisonReport {
        try compare(Named(input: .file(a), name: nameA), Named(input: .file(b), name: nameB))
    }

    /// Compares two in-memory tarballs.
    public func compare(_ a: Data, _ b: Data, nameA: String = "A", nameB: String = "B") throws(CompareError) -> ComparisonReport {
        try compare(Named(input: .data(a), name: nameA), Named(input: .data(b), name: nameB))
    }

    /// Compares two inputs.
    public func compare(_ a: TarballInput, _ b: TarballInput) throws(CompareError) -> ComparisonReport {
        try compare(Named(input: a, name: a.displayName), Named(input: b, name: b.displayName))
    }

    struct Named {
        let input: TarballInput
        let name: String
    }

    // MARK: -

    private func inspect(_ side: Named) throws(CompareError) -> ArchiveReport {
        let inspector = ArchiveInspector(limits: limits, crossCheckWithLibarchive: false)
        let report: ArchiveReport
        do {
            switch side.input {
            case .file(let url): report = try inspector.inspect(fileAt: url)
            case .data(let data): report = try inspector.inspect(data: data, name: side.name)
            }
        } catch {
            throw CompareError(input: side.name, message: error.message, code: error.code)
        }
        guard report.tar.complete, report.inputDigests != nil else {
            let stop = report.findings.last { $0.severity == .error }
            throw CompareError(input: side.name,
                               message: stop.map { "cannot compare: \($0.message)" } ?? "cannot compare \(side.name): the archive could not be read to its end",
                               code: stop?.code)
        }
        return report
    }

    private func compare(_ sideA: Named, _ sideB: Named) throws(CompareError) -> ComparisonReport {
        let reportA = try inspect(sideA)
        let reportB = try inspect(sideB)
        let summaryA = ComparedSide(input: sideA.name, integrity: reportA.inputDigests?.sri(.sha512) ?? "",
                                    compressedSize: reportA.compressedSize, findings: reportA.findings)
        let summaryB = ComparedSide(input: sideB.name, integrity: reportB.inputDigests?.sri(.sha512) ?? "",
                                    compressedSize: reportB.compressedSize, findings: reportB.findings)
        let exact = reportA.inputDigests?[.sha512] == reportB.inputDigests?[.sha512]
        let tarIdentical = reportA.tar.sha512 == reportB.tar.sha512
        let gzip = try compareGzip(sideA, reportA, sideB, reportB, identicalBytes: exact, tarIdentical: tarIdentical)
        let filesA = reportA.entries.filter { $0.type != .directory && !$0.afterEndOfArchive }
        let filesB = reportB.entries.filter { $0.type != .directory && !$0.afterEndOfArchive }
        let tar = TarComparison(identical: tarIdentical, sizeA: reportA.tar.size,
                                sizeB: reportB.tar.size, sha512A: reportA.tar.sha512 ?? "",
                                sha512B: reportB.tar.sha512 ?? "", filesA: filesA.count, filesB: filesB.count)
        var report = ComparisonReport(
            verdict: exact ? .exact : tar.identical ? .tarIdentical : .contentIdentical, a: summaryA, b: summaryB,
            gzip: gzip, tar: tar, highlights: ComparisonHighlights(), filesOnlyInA: [], filesOnlyInB: [], changed: [],
            notInSource: [], metadataDifferences: [])
        guard report.verdict == .contentIdentical else { return report }

        // File sets, keyed by installed path (npm strips the first component; the last duplicate wins).
        let byPathA = index(filesA)
        let byPathB = index(filesB)
        let unverified = notInSource ?? { _ in false }
        var changedPaths: [String] = []
        var samePaths: [String] = []
        for (path, entryA) in byPathA.map where byPathB.map[path] != nil {
            let entryB = byPathB.map[path]!
            if entryA.sha512 == entryB.sha512 && sameKind(entryA, entryB) && entryA.linkname == entryB.linkname {
                samePaths.append(path)
            } else {
                changedPaths.append(path)
            }
        }
        let onlyA = byPathA.order.filter { byPathB.map[$0] == nil }
        let onlyB = byPathB.order.filter { byPathA.map[$0] == nil }
        report.notInSource = (onlyA + onlyB + changedPaths).filter(unverified).sorted()
        report.filesOnlyInA = onlyA.filter { !unverified($0) }.map { summary(byPathA.map[$0]!, path: $0) }
        report.filesOnlyInB = onlyB.filter { !unverified($0) }.map { summary(byPathB.map[$0]!, path: $0) }
        report.metadataDifferences = metadataDifferences(
            byPathA, byPathB, same: Set(samePaths), reportA: reportA, reportB: reportB)

        let anyFileDifference = !onlyA.isEmpty || !onlyB.isEmpty || !changedPaths.isEmpty
        if !anyFileDifference {
            if report.metadataDifferences.isEmpty {
                report.metadataDifferences = [MetadataFieldDifference(
                    field: .headerEncoding, files: 0, aValues: ["tar sha512 \(tar.sha512A.prefix(16))…"],
                    bValues: ["tar sha512 \(tar.sha512B.prefix(16))…"], examples: [])]
            }
            return report
        }
        report.verdict = .differs

        // Second pass: contents needed for diffs and the package.json / binding.gyp call-outs.
        var wanted = Set(changedPaths.filter {
            byPathA.map[$0]!.size <= UInt64(maxDiffBytes) && byPathB.map[$0]!.size <= UInt64(maxDiffBytes)
        })
        for special in ["package.json", "binding.gyp"] {
            if byPathA.map[special] != nil || byPathB.map[special] != nil { wanted.insert(special) }
        }
        let contentA = try contents(of: sideA, paths: wanted)
        let contentB = try contents(of: sideB, paths: wanted)

        let orderedChanged = changedPaths.filter { !unverified($0) }.sorted { lhs, rhs in
            let rank = { (p: String) -> Int in p == "package.json" ? 0 : p == "binding.gyp" ? 1 : 2 }
            return (rank(lhs), lhs) < (rank(rhs), rhs)
        }
        report.changed = orderedChanged.map { path in
            changedFile(path, byPathA.map[path]!, byPathB.map[path]!, contentA[path], contentB[path])
        }
        report.highlights = highlights(byPathA, byPathB, contentA, contentB,
                                       packageJSONChanged: changedPaths.contains("package.json")
                                           || onlyA.contains("package.json") || onlyB.contains("package.json"))
        return report
    }

    private func sameKind(_ a: TarEntry, _ b: TarEntry) -> Bool {
        a.type == b.type || (a.type.isRegularFile && b.type.isRegularFile)
    }

    struct Indexed {
        var map: [String: TarEntry] = [:]
        var order: [String] = []
    }

    static func installedPath(_ entry: TarEntry) -> String {
        entry.pathInPackage.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    private func index(_ entries: [TarEntry]) -> Indexed {
        var indexed = Indexed()
        for entry in entries {
            let path = Self.installedPath(entry)
            if indexed.map[path] != nil { indexed.order.removeAll { $0 == path } }
            indexed.map[path] = entry
            indexed.order.append(path)
        }
        return indexed
    }

    private func summary(_ entry: TarEntry, path: String) -> FileSummary {
        FileSummary(path: path, tarPath: entry.path, type: entry.type, size: entry.size, sha512: entry.sha512)
    }

    // MARK: gzip

    private func compareGzip(_ sideA: Named, _ a: ArchiveReport, _ sideB: Named, _ b: ArchiveReport,
                             identicalBytes: Bool, tarIdentical: Bool) throws(CompareError) -> GzipComparison {
        guard let gzA = a.gzip, let gzB = b.gzip, let headerA = gzA.header, let headerB = gzB.header else {
            let both = a.gzip == nil && b.gzip == nil
            return GzipComparison(
                identicalBytes: identicalBytes,
                headerDifferences: both ? [] : [FieldDifference(field: "compression", a: a.gzip == nil ? "none" : "gzip",
                                                                b: b.gzip == nil ? "none" : "gzip")],
                deflateIdentical: nil, levelA: nil, levelB: nil,
                summary: both ? "neither side is gzip-compressed" : "only one side is gzip-compressed")
        }
        var diffs: [FieldDifference] = []
        func field<T: Equatable>(_ name: String, _ x: T, _ y: T, _ render: (T) -> String) {
            if x != y { diffs.append(FieldDifference(field: name, a: render(x), b: render(y))) }
        }
        field("flg", headerA.flg, headerB.flg) { String(format: "0x%02x", $0) }
        field("mtime", headerA.mtime, headerB.mtime) { "\($0)" }
        field("xfl", headerA.xfl, headerB.xfl) { "\($0)" }
        field("os", headerA.os, headerB.os) { _ in "" }
        if let i = diffs.firstIndex(where: { $0.field == "os" }) {
            diffs[i] = FieldDifference(field: "os", a: headerA.osName, b: headerB.osName)
        }
        field("name", headerA.name, headerB.name) { $0 ?? "(none)" }
        field("comment", headerA.comment, headerB.comment) { $0 ?? "(none)" }
        field("extra", headerA.extra, headerB.extra) { $0 ?? "(none)" }
        field("members", gzA.memberCount, gzB.memberCount) { "\($0)" }
        field("trailing_bytes", gzA.trailingBytes, gzB.trailingBytes) { "\($0)" }

        let levelA = Self.level(fromXFL: headerA.xfl)
        let levelB = Self.level(fromXFL: headerB.xfl)
        var deflateIdentical = identicalBytes
        if !identicalBytes {
            let memberA = gzA.members[0], memberB = gzB.members[0]
            if memberA.deflateLength == memberB.deflateLength {
                let hashA = try hashRange(sideA, memberA.deflateRange)
                let hashB = try hashRange(sideB, memberB.deflateRange)
                deflateIdentical = hashA == hashB
            } else {
                deflateIdentical = false
            }
        }
        var summary: String
        if identicalBytes {
            summary = "identical"
        } else {
            var parts: [String] = []
            if !diffs.isEmpty {
                parts.append("header differs (" + diffs.map { "\($0.field): \($0.a) vs \($0.b)" }.joined(separator: "; ") + ")")
            }
            if !deflateIdentical {
                var text = "deflate stream differs (\(gzA.members[0].deflateLength) vs \(gzB.members[0].deflateLength) bytes"
                if !tarIdentical {
                    text += "; the tar bytes differ too"
                } else if levelA == levelB {
                    text += "; both XFL say level \(levelA): a different deflate engine (e.g. Node's Chromium zlib vs stock zlib) or memLevel/strategy"
                } else {
                    text += "; XFL says level \(levelA) vs \(levelB)"
                }
                parts.append(text + ")")
            } else {
                parts.append("deflate stream identical")
            }
            summary = parts.joined(separator: "; ")
        }
        return GzipComparison(identicalBytes: identicalBytes, headerDifferences: diffs, deflateIdentical: deflateIdentical,
                              levelA: levelA, levelB: levelB, summary: summary)
    }

    /// zlib's XFL: 2 for level 9, 4 for level 1 (and Huffman-only/RLE), 0 for the rest.
    static func level(fromXFL xfl: UInt8) -> String {
        switch xfl {
        case 2: return "9"
        case 4: return "1"
        case 0: return "2-8"
        default: return "unknown (XFL \(xfl))"
        }
    }

    private func hashRange(_ side: Named, _ range: Range<Int>) throws(CompareError) -> [UInt8] {
        let hasher = MultiHasher([.sha512])
        switch side.input {
        case .data(let data):
            guard range.upperBound <= data.count else { return [] }
            hasher.update(data.subdata(in: range))
        case .file(let url):
            do {
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                try handle.seek(toOffset: UInt64(range.lowerBound))
                var remaining = range.count
                while remaining > 0 {
                    guard let chunk = try handle.read(upToCount: min(remaining, 1 << 20)), !chunk.isEmpty else { break }
                    hasher.update(chunk)
                    remaining -= chunk.count
                }
            } catch {
                throw CompareError(input: side.name, message: "cannot read \(side.name): \(error)", code: .unreadableInput)
            }
        }
        return hasher.finalize()[.sha512]!
    }

    // MARK: contents and diffs

    private func contents(of side: Named, paths: Set<String>) throws(CompareError) -> [String: Data] {
        guard !paths.isEmpty else { return [:] }
        let reader: TarballReader
        do {
            switch side.input {
            case .file(let url): reader = try TarballReader(fileAt: url, limits: limits, maxContentBytes: maxDiffBytes)
            case .data(let data): reader = TarballReader(data: data, name: side.name, limits: limits, maxContentBytes: maxDiffBytes)
            }
            var found: [String: Data] = [:]
            while let item = try reader.next() {
                guard item.entry.type != .directory, !item.entry.afterEndOfArchive else { continue }
                let path = Self.installedPath(item.entry)
                if paths.contains(path) { found[path] = item.content }
            }
            return found
        } catch {
            throw CompareError(input: side.name, message: error.message, code: error.code)
        }
    }

    private func changedFile(_ path: String, _ a: TarEntry, _ b: TarEntry, _ contentA: Data?, _ contentB: Data?) -> ChangedFile {
        var note: String?
        var diff: String?
        var isText = false
        if !sameKind(a, b) {
            note = "type changed from \(a.type.rawValue) to \(b.type.rawValue)"
        } else if a.linkname != b.linkname {
            note = "link target changed from '\(a.linkname)' to '\(b.linkname)'"
        }
        if let contentA, let contentB, let textA = Self.text(contentA), let textB = Self.text(contentB) {
            isText = true
            do {
                var rendered = try UnifiedDiff.diff(textA, textB, labelA: "a/\(path)", labelB: "b/\(path)")
                if rendered.utf8.count > maxDiffOutputBytes {
                    rendered = String(decoding: rendered.utf8.prefix(maxDiffOutputBytes), as: UTF8.self)
                        + "\n… diff cut at \(maxDiffOutputBytes) bytes\n"
                }
                diff = rendered.isEmpty ? nil : rendered
            } catch {
                note = [note, "diff omitted: too many differing lines"].compactMap { $0 }.joined(separator: "; ")
            }
        } else if a.type.isRegularFile, b.type.isRegularFile, contentA == nil || contentB == nil,
                  a.size > UInt64(maxDiffBytes) || b.size > UInt64(maxDiffBytes) {
            note = [note, "diff omitted: larger than \(maxDiffBytes) bytes"].compactMap { $0 }.joined(separator: "; ")
        } else if a.type.isRegularFile, b.type.isRegularFile {
            note = [note, "binary content"].compactMap { $0 }.joined(separator: "; ")
        }
        return ChangedFile(path: path, typeA: a.type, typeB: b.type, sizeA: a.size, sizeB: b.size, sha512A: a.sha512,
                           sha512B: b.sha512, text: isText, diff: diff, note: note)
    }

    /// The content as text when it is valid UTF-8 without NUL bytes.
    static func text(_ data: Data) -> String? {
        guard !data.contains(0) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    // MARK: highlights

    private static let installScriptNames = ["preinstall", "install", "postinstall"]

    private func highlights(_ a: Indexed, _ b: Indexed, _ contentA: [String: Data], _ contentB: [String: Data],
                            packageJSONChanged: Bool) -> ComparisonHighlights {
        var result = ComparisonHighlights()
        result.packageJSONDiffers = packageJSONChanged
        let jsonA = contentA["package.json"].flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let jsonB = contentB["package.json"].flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        if packageJSONChanged {
            let keysA = jsonA.map { Set($0.keys) } ?? []
            let keysB = jsonB.map { Set($0.keys) } ?? []
            for key in keysA.union(keysB).sorted() {
                let valueA = jsonA?[key].map(Self.compactJSON)
                let valueB = jsonB?[key].map(Self.compactJSON)
                if valueA != valueB {
                    result.packageJSONFields.append(FieldDifference(field: key, a: valueA ?? "(absent)", b: valueB ?? "(absent)"))
                }
            }
        }
        let scriptsA = (jsonA?["scripts"] as? [String: Any]) ?? [:]
        let scriptsB = (jsonB?["scripts"] as? [String: Any]) ?? [:]
        for name in Self.installScriptNames {
            let valueA = scriptsA[name].map { ($0 as? String) ?? Self.compactJSON($0) }
            let valueB = scriptsB[name].map { ($0 as? String) ?? Self.compactJSON($0) }
            if let change = Self.change(valueA, valueB) {
                result.installScripts.append(InstallScriptChange(name: name, change: change, a: valueA, b: valueB))
            }
        }
        let gypA = a.map["binding.gyp"]?.sha512
        let gypB = b.map["binding.gyp"]?.sha512
        if let change = Self.change(gypA, gypB) {
            result.installScripts.append(InstallScriptChange(name: "binding.gyp", change: change,
                                                             a: gypA.map { "sha512 \($0)" }, b: gypB.map { "sha512 \($0)" }))
        }
        return result
    }

    private static func change(_ a: String?, _ b: String?) -> InstallScriptChange.Change? {
        switch (a, b) {
        case (nil, nil): return nil
        case (nil, .some): return .added
        case (.some, nil): return .removed
        case (.some(let x), .some(let y)): return x == y ? nil : .changed
        }
    }

    private static func compactJSON(_ value: Any) -> String {
        let text: String
        if let string = value as? String {
            text = "\"\(string)\""
        } else if JSONSerialization.isValidJSONObject(value),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
            text = String(decoding: data, as: UTF8.self)
        } else if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]) {
            text = String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        } else {
            text = "\(value)"
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    // MARK: metadata

    private func metadataDifferences(_ a: Indexed, _ b: Indexed, same: Set<String>, reportA: ArchiveReport,
                                     reportB: ArchiveReport) -> [MetadataFieldDifference] {
        var result: [MetadataFieldDifference] = []
        // Order of the files present on both sides.
        let commonA = a.order.filter { b.map[$0] != nil }
        let commonB = b.order.filter { a.map[$0] != nil }
        if commonA != commonB {
            let first = zip(commonA, commonB).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(commonA.count, commonB.count)
            let positionB = Dictionary(uniqueKeysWithValues: commonB.enumerated().map { ($1, $0) })
            let examples = commonA.enumerated().filter { positionB[$1] != $0 }.prefix(10).map {
                MetadataExample(path: $1, a: "#\($0 + 1)", b: "#\(positionB[$1]! + 1)")
            }
            result.append(MetadataFieldDifference(field: .order, files: commonA.count,
                                                  aValues: Array(commonA[first...].prefix(10)),
                                                  bValues: Array(commonB[first...].prefix(10)), examples: examples))
        }
        let fields: [(MetadataField, (TarEntry) -> String)] = [
            (.mtime, { "\($0.mtime)" }),
            (.uid, { $0.uid.map { "\($0)" } ?? "(empty)" }),
            (.gid, { $0.gid.map { "\($0)" } ?? "(empty)" }),
            (.uname, { $0.uname.isEmpty ? "(empty)" : $0.uname }),
            (.gname, { $0.gname.isEmpty ? "(empty)" : $0.gname }),
            (.mode, { $0.modeOctal }),
            (.pax, { $0.paxRecords.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }),
        ]
        let samePaths = a.order.filter { same.contains($0) }
        var anyFieldDiffers = Set<String>()
        for (field, render) in fields {
            var examples: [MetadataExample] = []
            var valuesA: [String] = [], valuesB: [String] = []
            var count = 0
            for path in samePaths {
                let x = render(a.map[path]!), y = render(b.map[path]!)
                guard x != y else { continue }
                count += 1
                anyFieldDiffers.insert(path)
                if examples.count < 10 { examples.append(MetadataExample(path: path, a: x, b: y)) }
                if !valuesA.contains(x), valuesA.count < 10 { valuesA.append(x) }
                if !valuesB.contains(y), valuesB.count < 10 { valuesB.append(y) }
            }
            if count > 0 {
                result.append(MetadataFieldDifference(field: field, files: count, aValues: valuesA, bValues: valuesB,
                                                      examples: examples))
            }
        }
        // Header bytes that differ although every compared field is equal (encoding, path prefix, format).
        var encodingExamples: [MetadataExample] = []
        var encodingCount = 0
        for path in samePaths where !anyFieldDiffers.contains(path) {
            let x = a.map[path]!, y = b.map[path]!
            guard x.headerSHA256 != y.headerSHA256 || x.rawExtensionHeaders != y.rawExtensionHeaders else { continue }
            encodingCount += 1
            if encodingExamples.count < 10 {
                let describe = { (e: TarEntry) in "\(e.path) [\(e.format.rawValue), typeflag '\(e.typeflag)', header sha256 \(e.headerSHA256.prefix(12))…]" }
                encodingExamples.append(MetadataExample(path: path, a: describe(x), b: describe(y)))
            }
        }
        if encodingCount > 0 {
            result.append(MetadataFieldDifference(field: .headerEncoding, files: encodingCount,
                                                  aValues: ["see examples"], bValues: ["see examples"],
                                                  examples: encodingExamples))
        }
        let directoriesA = reportA.entries.filter { $0.type == .directory }.count
        let directoriesB = reportB.entries.filter { $0.type == .directory }.count
        if directoriesA != directoriesB {
            result.append(MetadataFieldDifference(field: .directoryEntries, files: abs(directoriesA - directoriesB),
                                                  aValues: ["\(directoriesA) directory entries"],
                                                  bValues: ["\(directoriesB) directory entries"], examples: []))
        }
        let endA = Self.describeEnd(reportA), endB = Self.describeEnd(reportB)
        if endA != endB {
            result.append(MetadataFieldDifference(field: .endOfArchive, files: 0, aValues: [endA], bValues: [endB], examples: []))
        }
        return result
    }

    private static func describeEnd(_ report: ArchiveReport) -> String {
        let tar = report.tar
        guard tar.endOfArchiveFound else { return "no end-of-archive marker" }
        let hidden = report.entries.filter(\.afterEndOfArchive).count
        return "end marker + \(tar.bytesAfterEndOfArchive) bytes after it (\(tar.nonZeroBytesAfterEndOfArchive) non-zero)"
            + (hidden > 0 ? " + \(hidden) entries after it" : "")
    }
}
