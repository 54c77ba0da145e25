import Foundation
import Testing
import TestSupport
@testable import Archive
@testable import Compare

/// Splits a plain tar into its entries' raw bytes (extension headers, header, content, padding).
func rawEntries(_ tar: [UInt8]) throws -> [(path: String, bytes: [UInt8])] {
    let report = try ArchiveInspector(crossCheckWithLibarchive: false).inspect(data: Data(tar), name: "tar")
    return report.entries.map { entry in
        let end = Int(entry.dataOffset) + Int((entry.size + 511) / 512 * 512)
        return (entry.path, Array(tar[Int(entry.offset)..<end]))
    }
}

func assemble(_ entries: [[UInt8]]) -> [UInt8] {
    entries.flatMap { $0 } + [UInt8](repeating: 0, count: 1024)
}

func fixture(_ name: String) throws -> Data { try Fixtures.data("npm/tarballs/\(name).tgz") }

@Suite struct TarballComparatorTests {
    let comparator = TarballComparator()

    @Test func identicalFilesAreExact() throws {
        let url = try Fixtures.url("npm/tarballs/abbrev@2.0.0.tgz")
        let report = try comparator.compare(url, url)
        #expect(report.verdict == .exact)
        #expect(report.acceptable)
        #expect(report.gzip.identicalBytes)
        #expect(report.a.integrity == "sha512-6/mh1E2u2YgEsCHdY0Yx5oW+61gZU+1vXaoiHHrpKeuRNNgFvS+/jrwHiQhB5apAf5oB7UB7E19ol2R2LKH8hQ==")
    }

    @Test func abbrevRecompressedWithSystemZlib() throws {
        // abbrev@2.0.0's registry gzip is stock zlib level 9 with npm's portable header (OS 255), so system zlib
        // reproduces it exactly; another OS byte or level gives tar-identical with the gzip difference named.
        let registry = try fixture("abbrev@2.0.0")
        let tar = GzipBuilder.gunzip(registry)
        let same = Data(GzipBuilder.member(tar, xfl: 2, os: 255, level: 9))
        #expect(try comparator.compare(same, registry).verdict == .exact)

        let unixOS = Data(GzipBuilder.member(tar, xfl: 2, os: 3, level: 9))
        let osReport = try comparator.compare(unixOS, registry, nameA: "rebuilt.tgz", nameB: "registry.tgz")
        #expect(osReport.verdict == .tarIdentical)
        #expect(osReport.gzip.headerDifferences.map(\.field) == ["os"])
        #expect(osReport.gzip.deflateIdentical == true)
        #expect(osReport.acceptable)

        let level6 = Data(GzipBuilder.member(tar, xfl: 0, os: 255, level: 6))
        let levelReport = try comparator.compare(level6, registry)
        #expect(levelReport.verdict == .tarIdentical)
        #expect(levelReport.gzip.deflateIdentical == false)
        #expect(levelReport.gzip.levelA == "2-8" && levelReport.gzip.levelB == "9")
        #expect(levelReport.gzip.summary.contains("deflate stream differs"))
        #expect(levelReport.metadataDifferences.isEmpty && levelReport.changed.isEmpty)
    }

    @Test func nodeZlibTarballRecompressedIsTarIdenticalWithDeflateDifference() throws {
        // mime-db@1.44.0: no stock zlib setting reproduces its deflate stream (see the case file).
        let registry = try fixture("mime-db@1.44.0")
        let tar = GzipBuilder.gunzip(registry)
        let report = try comparator.compare(Data(GzipBuilder.member(tar, xfl: 0, os: 19, level: 6)), registry)
        #expect(report.verdict == .tarIdentical)
        #expect(report.gzip.headerDifferences.isEmpty)
        #expect(report.gzip.deflateIdentical == false)
        #expect(report.gzip.summary.contains("both XFL say level 2-8"))
    }

    @Test func msOrderDifferenceIsContentIdenticalAndAcceptable() throws {
        // ms@2.1.2: npm 6 wrote package.json first; npm 10 writes index.js first. Same files, contents, headers.
        let registry = try fixture("ms@2.1.2")
        let entries = try rawEntries(GzipBuilder.gunzip(registry))
        #expect(entries.map(\.path) == ["package/package.json", "package/index.js", "package/license.md", "package/readme.md"])
        let npm10Order = assemble([entries[1].bytes, entries[0].bytes, entries[2].bytes, entries[3].bytes])
        let report = try comparator.compare(Data(GzipBuilder.member(npm10Order)), registry, nameA: "rebuilt", nameB: "registry")
        #expect(report.verdict == .contentIdentical)
        #expect(report.metadataDifferences.map(\.field) == [.order])
        #expect(report.metadataDifferences[0].examples.map(\.path) == ["index.js", "package.json"])
        #expect(report.acceptable)
    }

    @Test func whichChangelogOnlyInRegistryDiffers() throws {
        let registry = try fixture("which@2.0.2")
        let entries = try rawEntries(GzipBuilder.gunzip(registry))
        let rebuilt = assemble(entries.filter { $0.path != "package/CHANGELOG.md" }.map(\.bytes))
        let report = try comparator.compare(Data(GzipBuilder.member(rebuilt)), registry)
        #expect(report.verdict == .differs)
        #expect(report.filesOnlyInB.map(\.path) == ["CHANGELOG.md"])
        #expect(report.filesOnlyInA.isEmpty && report.changed.isEmpty)
        #expect(report.highlights.isEmpty)
        #expect(!report.acceptable)
    }

    static func package(_ files: [(String, String)], mtime: UInt64 = 499_162_500, uid: String? = nil,
                        uname: String = "", mode: UInt32 = 0o644, directories: Bool = false) -> Data {
        var tar = TarBuilder()
        if directories { tar.entry(.init(name: "package/", mode: 0o755, typeflag: UInt8(ascii: "5"))) }
        for (path, content) in files {
            tar.entry(.init(name: "package/" + path, mode: mode, uid: uid, gid: uid, mtime: mtime, uname: uname, gname: uname),
                      Array(content.utf8))
        }
        tar.end()
        return GzipBuilder.gzip(tar.data)
    }

    static let baseFiles = [
        ("package.json", #"{"name":"demo","version":"1.0.0","scripts":{"test":"node test.js"}}"#),
        ("index.js", "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n"),
        ("README.md", "# demo\n"),
    ]

    @Test func metadataOnlyDifferencesAreNamedPerField() throws {
        let npm = Self.package(Self.baseFiles)
        let old = Self.package(Self.baseFiles, mtime: 1_600_000_000, uid: "001750 \0", uname: "alice")
        let report = try comparator.compare(old, npm)
        #expect(report.verdict == .contentIdentical)
        #expect(Set(report.metadataDifferences.map(\.field)) == [.mtime, .uid, .gid, .uname, .gname])
        let mtime = try #require(report.metadataDifferences.first { $0.field == .mtime })
        #expect(mtime.files == 3 && mtime.aValues == ["1600000000"] && mtime.bValues == ["499162500"])
        #expect(report.acceptable)
    }

    @Test func modeAndDirectoryDifferencesAreNotAcceptable() throws {
        let npm = Self.package(Self.baseFiles)
        let modes = try comparator.compare(Self.package(Self.baseFiles, mode: 0o755), npm)
        #expect(modes.verdict == .contentIdentical)
        #expect(modes.metadataDifferences.map(\.field) == [.mode])
        #expect(!modes.acceptable)
        #expect(modes.isAcceptable(acceptableFields: MetadataField.acceptableByDefault.union([.mode])))

        let dirs = try comparator.compare(Self.package(Self.baseFiles, directories: true), npm)
        #expect(dirs.verdict == .contentIdentical)
        #expect(dirs.metadataDifferences.map(\.field) == [.directoryEntries])
        #expect(!dirs.acceptable)
    }

    @Test func differencesWithInstallScriptsCalledOutFirst() throws {
        let rebuilt = Self.package(Self.baseFiles + [("test.js", "ok\n")])
        var registryFiles = Self.baseFiles
        registryFiles[0] = ("package.json", #"{"name":"demo","version":"1.0.0","scripts":{"test":"node test.js","postinstall":"node steal.js"}}"#)
        registryFiles[1] = ("index.js", "line 1\nline 2\nline 3\nline 4 changed\nline 5\nline 6\nline 7\nline 8\n")
        registryFiles += [("steal.js", "require('child_process')\n"), ("binding.gyp", "{}\n")]
        let registry = Self.package(registryFiles)
        let report = try comparator.compare(rebuilt, registry, nameA: "rebuilt.tgz", nameB: "registry.tgz")
        #expect(report.verdict == .differs)
        #expect(report.highlights.packageJSONDiffers)
        #expect(report.highlights.packageJSONFields.map(\.field) == ["scripts"])
        #expect(report.highlights.installScripts.map(\.name) == ["postinstall", "binding.gyp"])
        #expect(report.highlights.installScripts[0].change == .added)
        #expect(report.highlights.installScripts[0].b == "node steal.js")
        #expect(report.filesOnlyInA.map(\.path) == ["test.js"])
        #expect(report.filesOnlyInB.map(\.path) == ["steal.js", "binding.gyp"])
        #expect(report.changed.map(\.path) == ["package.json", "index.js"])
        let diff = try #require(report.changed[1].diff)
        #expect(diff == """
            --- a/index.js
            +++ b/index.js
            @@ -1,7 +1,7 @@
             line 1
             line 2
             line 3
            -line 4
            +line 4 changed
             line 5
             line 6
             line 7

            """)
        #expect(report.summary.hasPrefix("differs: install scripts: postinstall added, binding.gyp added"))
    }

    @Test func binaryChangeHasSizesAndHashes() throws {
        let a = Self.package([("data.bin", "\u{0}\u{1}\u{2}")])
        let b = Self.package([("data.bin", "\u{0}\u{1}\u{3}\u{4}")])
        let report = try comparator.compare(a, b)
        let changed = try #require(report.changed.first)
        #expect(!changed.text && changed.diff == nil && changed.note == "binary content")
        #expect(changed.sizeA == 3 && changed.sizeB == 4 && changed.sha512A != changed.sha512B)
    }

    @Test func notInSourceHookListsBuildOutputsSeparately() throws {
        let rebuilt = Self.package(Self.baseFiles)
        let registry = Self.package(Self.baseFiles + [("dist/index.js", "compiled\n")])
        let hooked = TarballComparator(notInSource: { $0.hasPrefix("dist/") })
        let report = try hooked.compare(rebuilt, registry)
        #expect(report.verdict == .differs)
        #expect(report.notInSource == ["dist/index.js"])
        #expect(report.filesOnlyInB.isEmpty)
        #expect(!report.hasContradictions)
        let plain = try comparator.compare(rebuilt, registry)
        #expect(plain.filesOnlyInB.map(\.path) == ["dist/index.js"] && plain.hasContradictions)
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let report = try comparator.compare(Self.package(Self.baseFiles), Self.package([("index.js", "x")]))
        let encoder = JSONEncoder()
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any])
        for key in ["verdict", "gzip", "tar", "files_only_in_a", "files_only_in_b", "changed", "metadata_differences",
                    "highlights", "not_in_source", "acceptable"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["verdict"] as? String == "differs")
        let decoded = try JSONDecoder().decode(ComparisonReport.self, from: encoder.encode(report))
        #expect(decoded == report)
    }

    @Test func truncatedInputIsACompareErrorNamingIt() throws {
        let good = Self.package(Self.baseFiles)
        #expect {
            _ = try comparator.compare(good.prefix(good.count - 20), good, nameA: "broken.tgz", nameB: "ok.tgz")
        } throws: { error in
            guard let error = error as? CompareError else { return false }
            return error.input == "broken.tgz" && error.code == .truncatedGzip && error.message.contains("broken.tgz")
        }
    }
}

@Suite struct UnifiedDiffTests {
    @Test func insertionsDeletionsAndNoNewline() throws {
        let diff = try UnifiedDiff.diff("a\nb\nc\n", "a\nc\nd", labelA: "x", labelB: "y")
        #expect(diff == "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n c\n+d\n\\ No newline at end of file\n")
        #expect(try UnifiedDiff.diff("same", "same", labelA: "x", labelB: "y") == "")
        #expect(try UnifiedDiff.diff("", "new\n", labelA: "x", labelB: "y") == "--- x\n+++ y\n@@ -0,0 +1 @@\n+new\n")
    }

    @Test func separateHunks() throws {
        let a = (1...20).map { "l\($0)" }.joined(separator: "\n") + "\n"
        let b = a.replacingOccurrences(of: "l2\n", with: "L2\n").replacingOccurrences(of: "l18\n", with: "L18\n")
        let diff = try UnifiedDiff.diff(a, b, labelA: "a", labelB: "b")
        #expect(diff.components(separatedBy: "@@ -").count == 3)
        #expect(diff.contains("@@ -1,5 +1,5 @@") && diff.contains("@@ -15,6 +15,6 @@"))
    }

    @Test func tooLargeIsReported() {
        let a = (0..<3000).map { "a\($0)" }.joined(separator: "\n")
        let b = (0..<3000).map { "b\($0)" }.joined(separator: "\n")
        #expect(throws: UnifiedDiff.Omission.self) { try UnifiedDiff.diff(a, b, labelA: "a", labelB: "b", maxCells: 1_000_000) }
    }
}

@Suite struct EndOfArchiveComparisonTests {
    @Test func paddingAndHiddenEntriesAreNamed() throws {
        var plain = TarBuilder()
        plain.file("package/index.js", "x")
        plain.end()
        var padded = TarBuilder()
        padded.file("package/index.js", "x")
        padded.end(blocks: 18)
        var hidden = TarBuilder()
        hidden.file("package/index.js", "x")
        hidden.end()
        hidden.file("package/hidden.js", "y")
        hidden.end()
        let comparator = TarballComparator()
        let paddingReport = try comparator.compare(GzipBuilder.gzip(padded.data), GzipBuilder.gzip(plain.data))
        #expect(paddingReport.verdict == .contentIdentical)
        #expect(paddingReport.metadataDifferences.map(\.field) == [.endOfArchive])
        #expect(paddingReport.isAcceptable(acceptableFields: MetadataField.acceptableByDefault.union([.endOfArchive])))
        let hiddenReport = try comparator.compare(GzipBuilder.gzip(hidden.data), GzipBuilder.gzip(plain.data))
        #expect(hiddenReport.verdict == .contentIdentical)
        #expect(hiddenReport.metadataDifferences.first?.aValues.first?.contains("1 entries after it") == true)
        #expect(hiddenReport.a.findings.contains { $0.code == .entryAfterEndOfArchive })
        #expect(!hiddenReport.acceptable)
    }
}
