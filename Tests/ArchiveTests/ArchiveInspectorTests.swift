import Foundation
import Testing
import TestSupport
@testable import Archive
import Digest

/// A small well-formed npm-style package tarball.
func samplePackage() -> TarBuilder {
    var tar = TarBuilder()
    tar.file("package/package.json", "{\"name\":\"x\",\"version\":\"1.0.0\"}\n")
    tar.file("package/index.js", "module.exports = 1\n")
    tar.file("package/bin/cli.js", "#!/usr/bin/env node\n", mode: 0o755)
    return tar
}

func inspect(_ tar: TarBuilder, limits: ArchiveLimits = .npmDefault) throws -> ArchiveReport {
    try ArchiveInspector(limits: limits).inspect(data: GzipBuilder.gzip(tar.data), name: "crafted.tgz")
}

func inspectRaw(_ bytes: [UInt8], limits: ArchiveLimits = .npmDefault) throws -> ArchiveReport {
    try ArchiveInspector(limits: limits).inspect(data: Data(bytes), name: "crafted.tgz")
}

func codes(_ report: ArchiveReport) -> Set<FindingCode> { Set(report.findings.map(\.code)) }

@Suite struct FixtureTarballTests {
    static func tarballs() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: Fixtures.url("npm/tarballs"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "tgz" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func everyFixtureTarballInspectsCleanly() throws {
        let urls = try Self.tarballs()
        #expect(urls.count >= 15)
        for url in urls {
            let report = try ArchiveInspector().inspect(fileAt: url)
            #expect(report.ok, "\(url.lastPathComponent): \(report.findings)")
            #expect(report.findings.isEmpty, "\(url.lastPathComponent): \(report.findings)")
            #expect(report.gzip?.memberCount == 1)
            #expect(report.gzip?.trailingBytes == 0)
            #expect(report.gzip?.members.first?.trailerOK == true)
            #expect(report.tar.endOfArchiveFound)
            #expect(report.tar.complete)
            #expect(report.tar.libarchive?.agrees == true, "\(url.lastPathComponent): \(String(describing: report.tar.libarchive))")
            #expect(!report.entries.isEmpty)
            #expect(report.tar.topDirectory != nil)
            let fileDigests = try Hashing.digest(fileAt: url, algorithms: [.sha512])
            #expect(report.inputDigests?.hex(.sha512) == fileDigests.hex(.sha512))
            #expect(report.compressedSize == UInt64(try Data(contentsOf: url).count))
        }
    }

    @Test func abbrevGzipHeaderAndDeflateRange() throws {
        let url = try Fixtures.url("npm/tarballs/abbrev@2.0.0.tgz")
        let data = try Data(contentsOf: url)
        let report = try ArchiveInspector().inspect(fileAt: url)
        let header = try #require(report.gzip?.header)
        #expect(header.flg == 0)
        #expect(header.mtime == 0)
        #expect(header.xfl == 2)
        #expect(header.os == 255)
        #expect(header.fixedBytesHex == "1f8b08000000000002ff")
        let member = try #require(report.gzip?.members.first)
        #expect(member.deflateOffset == 10)
        #expect(member.deflateRange.upperBound == data.count - 8)
        #expect(report.entries.map(\.path) == ["package/LICENSE", "package/lib/index.js", "package/package.json", "package/README.md"]
            || Set(report.entries.map(\.path)) == ["package/LICENSE", "package/lib/index.js", "package/package.json", "package/README.md"])
        for entry in report.entries {
            #expect(entry.mtime == 499_162_500)
            #expect(entry.uid == nil && entry.gid == nil && entry.uname.isEmpty)
            #expect(entry.type == .file)
            #expect(entry.rawHeader.count == 512)
        }
        #expect(report.tar.bytesAfterEndOfArchive == 0)
        #expect(report.tar.size == member.uncompressedSize)
    }

    @Test func readerGivesContentMatchingHashes() throws {
        let url = try Fixtures.url("npm/tarballs/ms@2.1.3.tgz")
        let reader = try TarballReader(fileAt: url)
        var count = 0
        while let item = try reader.next() {
            let content = try #require(item.content)
            #expect(content.count == Int(item.entry.size))
            #expect(DigestEncoding.hex(Hashing.sha512(content)) == item.entry.sha512)
            count += 1
        }
        #expect(count > 0)
        #expect(reader.report.ok)
        #expect(reader.report.entries.count == count)
        #expect(reader.report.tar.sha512 != nil)
        #expect(try reader.next() == nil)
    }

    @Test func reportJSONHasDocumentedKeys() throws {
        let report = try ArchiveInspector().inspect(fileAt: Fixtures.url("npm/tarballs/wrappy@1.0.2.tgz"))
        let json = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        for key in ["gzip", "entries", "findings", "tar", "ok", "input_digests"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let entry = try #require((object["entries"] as? [[String: Any]])?.first)
        for key in ["path", "type", "mode", "size", "mtime", "uname", "gname", "linkname", "pax_records", "header_sha256", "sha512"] {
            #expect(entry[key] != nil, "entry missing \(key)")
        }
        let decoded = try JSONDecoder().decode(ArchiveReport.self, from: json)
        #expect(decoded.entries.map(\.path) == report.entries.map(\.path))
        #expect(decoded.gzip == report.gzip)
    }
}

@Suite struct CraftedArchiveTests {
    @Test func wellFormedCraftedPackageIsClean() throws {
        var tar = samplePackage()
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.entries.map(\.path) == ["package/package.json", "package/index.js", "package/bin/cli.js"])
        #expect(report.entries[2].mode == 0o755)
        #expect(report.tar.libarchive?.agrees == true)
    }

    @Test func paxRecordsAreOrderedAndApplied() throws {
        var tar = TarBuilder()
        let long = "package/" + String(repeating: "b", count: 120) + ".js"
        tar.pax([("path", long), ("mtime", "499162500"), ("size", "9")])
        tar.entry(.init(name: String(long.prefix(99))), Array("123456789".utf8))
        tar.gnuLongName("package/" + String(repeating: "g", count: 110))
        tar.entry(.init(name: "package/ggg", magic: Array("ustar  \0".utf8)), Array("x".utf8))
        tar.entry(.init(name: "file-with-a-long-name.txt", prefix: "package/a/very/long"), Array("y".utf8))
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.entries.map(\.path) == [long, "package/" + String(repeating: "g", count: 110),
                                                "package/a/very/long/file-with-a-long-name.txt"])
        #expect(report.entries[0].paxRecords.map(\.key) == ["path", "mtime", "size"])
        #expect(report.entries[0].size == 9)
        #expect(report.entries[0].rawExtensionHeaders.count == 1024)
        #expect(report.entries[0].offset == 0 && report.entries[0].headerOffset == 1024)
        #expect(report.entries[1].usedGNULongName)
        #expect(report.entries[1].format == .gnu)
        #expect(report.tar.libarchive?.agrees == true, "\(String(describing: report.tar.libarchive))")
    }

    // MARK: one test per finding code

    @Test func pathOutsidePackageDir() throws {
        var tar = samplePackage()
        tar.file("other/evil.js", "x")
        tar.file("toplevel.js", "y")
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings(.pathOutsidePackageDir).map(\.path) == ["other/evil.js", "toplevel.js"])
    }

    @Test func pathTraversal() throws {
        var tar = samplePackage()
        tar.file("package/../../etc/cron.d/x", "x")
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).contains(.pathTraversal))
        #expect(!report.ok)
    }

    @Test func absolutePath() throws {
        var tar = samplePackage()
        tar.file("/etc/passwd", "x")
        tar.end()
        #expect(codes(try inspect(tar)).contains(.absolutePath))
    }

    @Test func duplicatePath() throws {
        var tar = samplePackage()
        tar.file("package/index.js", "module.exports = 2\n")
        tar.file("other/index.js", "evil")  // installs to the same place after npm strips the first component
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings(.duplicatePath).count == 2)
        #expect(!report.ok)
    }

    @Test func caseInsensitiveDuplicatePath() throws {
        var tar = samplePackage()
        tar.file("package/INDEX.js", "x")
        tar.end()
        #expect(codes(try inspect(tar)).contains(.caseInsensitiveDuplicatePath))
    }

    @Test func pathTooLong() throws {
        var tar = samplePackage()
        tar.pax([("path", "package/" + String(repeating: "d/", count: 60) + "f")])
        tar.entry(.init(name: "package/f"), [])
        tar.end()
        var limits = ArchiveLimits()
        limits.maxPathLength = 100
        #expect(codes(try inspect(tar, limits: limits)).contains(.pathTooLong))
    }

    @Test func symlinkHardlinkDeviceFifoUnsupported() throws {
        var tar = samplePackage()
        tar.entry(.init(name: "package/link", typeflag: UInt8(ascii: "2"), linkname: "/etc/passwd"))
        tar.entry(.init(name: "package/hard", typeflag: UInt8(ascii: "1"), linkname: "package/index.js"))
        tar.entry(.init(name: "package/chr", typeflag: UInt8(ascii: "3")))
        tar.entry(.init(name: "package/blk", typeflag: UInt8(ascii: "4")))
        tar.entry(.init(name: "package/fifo", typeflag: UInt8(ascii: "6")))
        tar.entry(.init(name: "package/sparse", typeflag: UInt8(ascii: "S")))
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings(.symlink).first?.message.contains("outside the package") == true)
        #expect(report.findings(.hardlink).count == 1)
        #expect(report.findings(.deviceOrFifo).count == 3)
        #expect(report.findings(.unsupportedEntryType).count == 1)
        #expect(report.entries.map(\.type).suffix(6) == [.symbolicLink, .hardLink, .characterDevice, .blockDevice, .fifo, .unsupported])
    }

    @Test func paxGlobalHeaderAndSpecialModeBits() throws {
        var tar = TarBuilder()
        tar.pax([("uname", "root")], global: true)
        tar.entry(.init(name: "package/setuid", mode: 0o4755), Array("x".utf8))
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).isSuperset(of: [.paxGlobalHeader, .specialModeBits]))
        #expect(report.entries.first?.uname == "root")
    }

    @Test func entryAfterEndOfArchive() throws {
        var tar = samplePackage()
        tar.end()
        tar.file("package/hidden.js", "require('child_process')")
        tar.end()
        let report = try inspect(tar)
        let finding = try #require(report.findings(.entryAfterEndOfArchive).first)
        #expect(finding.path == "package/hidden.js")
        #expect(report.entries.last?.afterEndOfArchive == true)
        #expect(report.tar.endOfArchiveOffset == 3 * 1024)
        #expect(!report.ok)
    }

    @Test func dataAfterEndOfArchiveAndZeroPadding() throws {
        var padded = samplePackage()
        padded.end(blocks: 14)  // padded to a 10240-byte record: fine
        let clean = try inspect(padded)
        #expect(clean.findings.isEmpty)
        #expect(clean.tar.bytesAfterEndOfArchive == 12 * 512)
        #expect(clean.tar.nonZeroBytesAfterEndOfArchive == 0)

        var tar = samplePackage()
        tar.end()
        tar.raw(Array(repeating: 0x41, count: 700))
        let report = try inspect(tar)
        #expect(codes(report).contains(.dataAfterEndOfArchive))
        #expect(report.tar.nonZeroBytesAfterEndOfArchive == 700)
    }

    @Test func missingEndOfArchive() throws {
        let report = try inspect(samplePackage())
        #expect(codes(report) == [.missingEndOfArchive])
        #expect(report.ok)  // a warning: node-tar accepts it
    }

    @Test func malformedHeader() throws {
        var tar = samplePackage()
        tar.entry(.init(name: "package/bad-mode", modeField: "0x9z\0"), Array("x".utf8))
        tar.entry(.init(name: "package/symlink-with-data", size: 512, typeflag: UInt8(ascii: "2"), linkname: "a"),
                  [UInt8](repeating: 0x61, count: 512))
        tar.end()
        let report = try inspect(tar)
        #expect(report.findings(.malformedHeader).count == 2)
        #expect(!report.ok)
    }

    @Test func badChecksumStopsReading() throws {
        var tar = samplePackage()
        tar.entry(.init(name: "package/tampered", checksumDelta: 1), Array("x".utf8))
        tar.file("package/after.js", "x")
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).contains(.badChecksum))
        #expect(report.entries.count == 3)
        #expect(report.inputDigests != nil)  // the compressed input was still hashed to its end
        #expect(!report.tar.complete)
    }

    @Test func truncatedTarInsideContent() throws {
        var tar = TarBuilder()
        tar.entry(.init(name: "package/big", size: 5000), [UInt8](repeating: 1, count: 100))
        let report = try inspect(tar)
        #expect(codes(report).contains(.truncatedTar))
        #expect(!report.ok)
    }

    @Test func notGzipIsReadAsPlainTar() throws {
        var tar = samplePackage()
        tar.end()
        let report = try inspectRaw(tar.bytes)
        #expect(codes(report) == [.notGzip])
        #expect(report.gzip == nil)
        #expect(report.entries.count == 3)
    }

    @Test func malformedGzipHeaderAndDeflate() throws {
        var tar = samplePackage()
        tar.end()
        var member = GzipBuilder.member(tar.bytes)
        member[2] = 7  // not deflate
        #expect(codes(try inspectRaw(member)).contains(.malformedGzip))

        var corrupt = GzipBuilder.member(tar.bytes)
        for i in 12..<40 { corrupt[i] ^= 0xff }
        let report = try inspectRaw(corrupt)
        #expect(codes(report).contains(.malformedGzip) || codes(report).contains(.gzipCRCMismatch)
            || codes(report).contains(.truncatedTar) || codes(report).contains(.badChecksum))
        #expect(!report.ok)
    }

    @Test func gzipTrailingData() throws {
        var tar = samplePackage()
        tar.end()
        let bytes = GzipBuilder.member(tar.bytes) + Array("garbage after the member".utf8)
        let report = try inspectRaw(bytes)
        #expect(codes(report) == [.gzipTrailingData])
        #expect(report.gzip?.trailingBytes == 24)
        #expect(report.gzip?.trailingPreview?.hasPrefix("67617262") == true)
    }

    @Test func gzipExtraMembers() throws {
        var first = TarBuilder()
        first.file("package/a.js", "a")
        var second = TarBuilder()
        second.file("package/b.js", "b")
        second.end()
        let bytes = GzipBuilder.member(first.bytes) + GzipBuilder.member(second.bytes, os: 3)
        let report = try inspectRaw(bytes)
        #expect(codes(report) == [.gzipExtraMembers])
        #expect(report.gzip?.memberCount == 2)
        #expect(report.gzip?.members[1].header.os == 3)
        #expect(report.entries.map(\.path) == ["package/a.js", "package/b.js"])
    }

    @Test func gzipCRCMismatch() throws {
        var tar = samplePackage()
        tar.end()
        let report = try inspectRaw(GzipBuilder.member(tar.bytes, crcDelta: 1))
        #expect(codes(report) == [.gzipCRCMismatch])
        #expect(!report.ok)
    }

    @Test func gzipHeaderOptionalFields() throws {
        var tar = samplePackage()
        tar.end()
        let bytes = GzipBuilder.member(tar.bytes, mtime: 1_700_000_000, xfl: 0, os: 3, name: "package.tar",
                                       comment: "hi", extra: [1, 2, 3])
        let report = try inspectRaw(bytes)
        #expect(report.findings.isEmpty)
        let header = try #require(report.gzip?.header)
        #expect(header.name == "package.tar" && header.comment == "hi" && header.extra == "010203")
        #expect(header.mtime == 1_700_000_000 && header.os == 3 && header.flg == 0x1c)
        #expect(report.gzip?.members[0].deflateOffset == UInt64(header.length))
    }

    @Test(arguments: [1, 5, 10, 11, 40, -9, -5, -1])
    func truncatedGzipIsAFindingNotACrash(cut: Int) throws {
        var tar = samplePackage()
        tar.end()
        let full = GzipBuilder.member(tar.bytes)
        let bytes = Array(full.prefix(cut > 0 ? cut : full.count + cut))
        let report = try inspectRaw(bytes)
        #expect(codes(report).contains(.truncatedGzip), "cut \(cut): \(report.findings)")
        #expect(!report.ok)
        #expect(report.findings.first { $0.code == .truncatedGzip }?.message.contains("crafted.tgz") == true)
        #expect(throws: ArchiveError.self) {
            let reader = TarballReader(data: Data(bytes), name: "crafted.tgz")
            _ = try reader.readAll()
        }
    }

    @Test func emptyInput() throws {
        let report = try inspectRaw([])
        #expect(codes(report) == [.truncatedGzip])
    }

    @Test func sizeLimitExceeded() throws {
        var tar = TarBuilder()
        tar.entry(.init(name: "package/zeros"), [UInt8](repeating: 0, count: 300_000))
        tar.end()
        var limits = ArchiveLimits()
        limits.maxDecompressedBytes = 100_000
        let report = try inspect(tar, limits: limits)
        #expect(codes(report).contains(.sizeLimitExceeded))
    }

    @Test func ratioLimitExceeded() throws {
        var tar = TarBuilder()
        tar.entry(.init(name: "package/zeros"), [UInt8](repeating: 0, count: 2_000_000))
        tar.end()
        var limits = ArchiveLimits()
        limits.ratioCheckThresholdBytes = 1 << 20
        let report = try inspect(tar, limits: limits)
        #expect(codes(report).contains(.ratioLimitExceeded))
        #expect(try inspect(tar).findings.isEmpty)  // under the default threshold it is fine
    }

    @Test func entryCountLimitExceeded() throws {
        var tar = TarBuilder()
        for i in 0..<20 { tar.file("package/f\(i)", "") }
        tar.end()
        var limits = ArchiveLimits()
        limits.maxEntries = 10
        let report = try inspect(tar, limits: limits)
        #expect(codes(report).contains(.entryCountLimitExceeded))
        #expect(report.entries.count == 10)
    }

    @Test func libarchiveDisagreesOnLoneZeroBlock() throws {
        var tar = samplePackage()
        tar.end(blocks: 1)
        tar.file("package/after-one-zero-block.js", "x")
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).contains(.malformedHeader))
        #expect(codes(report).contains(.libarchiveDisagrees), "\(report.findings)")
    }

    @Test func unreadableFileThrowsNamingIt() {
        #expect {
            _ = try ArchiveInspector().inspect(fileAt: URL(fileURLWithPath: "/nonexistent/x.tgz"))
        } throws: { error in
            (error as? ArchiveError)?.code == .unreadableInput && "\(error)".contains("/nonexistent/x.tgz")
        }
    }

    @Test func chunkedInputGivesTheSameReport() throws {
        var tar = samplePackage()
        tar.end()
        let gz = GzipBuilder.gzip(tar.data)
        let chunks = stride(from: 0, to: gz.count, by: 7).map { gz.subdata(in: $0..<min(gz.count, $0 + 7)) }
        let chunked = try ArchiveInspector().inspect(chunks: chunks, name: "chunks")
        let whole = try ArchiveInspector(crossCheckWithLibarchive: false).inspect(data: gz, name: "chunks")
        #expect(chunked == whole)
    }

    @Test func everyFindingCodeIsCovered() {
        // Codes exercised by the tests above; keep this list in sync when adding codes.
        let covered: Set<FindingCode> = [
            .pathOutsidePackageDir, .pathTraversal, .absolutePath, .duplicatePath, .caseInsensitiveDuplicatePath,
            .pathTooLong, .symlink, .hardlink, .deviceOrFifo, .unsupportedEntryType, .paxGlobalHeader,
            .specialModeBits, .entryAfterEndOfArchive, .dataAfterEndOfArchive, .missingEndOfArchive,
            .malformedHeader, .badChecksum, .truncatedTar, .notGzip, .malformedGzip, .gzipTrailingData,
            .gzipExtraMembers, .gzipCRCMismatch, .truncatedGzip, .sizeLimitExceeded, .ratioLimitExceeded,
            .entryCountLimitExceeded, .libarchiveDisagrees, .unreadableInput,
            .npmReadsDifferently,  // Regression/NodeTarReadingRegressionTests
        ]
        #expect(covered == Set(FindingCode.allCases))
    }
}

@Suite struct GunzipTests {
    @Test func decompressAndRawDeflateOfAFixture() throws {
        let data = try Fixtures.data("npm/tarballs/abbrev@2.0.0.tgz")
        let result = try Gunzip.decompress(data, name: "abbrev")
        #expect(result.data.count == 8192)
        #expect(result.findings.isEmpty)
        #expect(result.report.members.first?.trailerOK == true)
        let deflate = try Gunzip.rawDeflateStream(of: data)
        #expect(deflate.count == data.count - 18)
        #expect(Array(GzipBuilder.deflateRaw(Array(result.data), level: 9)) == Array(deflate))  // stock zlib level 9
    }

    @Test func errorsNameTheInput() {
        #expect {
            _ = try Gunzip.decompress(Data([0x1f, 0x8b, 8, 0, 0, 0]), name: "short.tgz")
        } throws: { error in
            (error as? ArchiveError)?.code == .truncatedGzip && "\(error)".contains("short.tgz")
        }
        #expect {
            _ = try Gunzip.decompress(Data("plain".utf8), name: "plain.tar")
        } throws: { error in
            (error as? ArchiveError)?.code == .notGzip
        }
    }
}
