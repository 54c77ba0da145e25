import Foundation
import Testing
import TestSupport
@testable import Archive

/// Hostile tarballs built by the tests (issue 8): every one must end in a clear finding or a typed error, within a
/// bounded time, without reading more input than the limits allow.
@Suite struct HostileArchiveTests {
    /// Runs `body` and fails if it takes longer than `seconds` (debug and sanitizer builds on shared CI cores: the
    /// bounds are generous; they catch hangs and pathological blow-ups, not small slowdowns).
    static func bounded<T>(_ what: String, seconds: Double = 60, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(seconds), "\(what) took \(elapsed)")
        return result
    }

    static func header(_ name: String, size: Int = 0, typeflag: Character = "0", linkname: String = "") -> [UInt8] {
        TarBuilder.header(TarBuilder.Header(name: name, typeflag: UInt8(ascii: typeflag.unicodeScalars.first!),
                                            linkname: linkname), contentCount: size)
    }

    /// Inspects a lazily generated gzip stream and returns the report plus how many pieces were pulled.
    static func inspectLazy(limits: ArchiveLimits, _ produce: @escaping (Int) -> [UInt8]?) throws
        -> (report: ArchiveReport, pulled: Int, compressed: Int) {
        let source = LazyGzipTar(produce: produce)
        let report = try ArchiveInspector(limits: limits).inspect(chunks: source, name: "hostile.tgz")
        return (report, source.piecesPulled, source.compressedBytes)
    }

    // MARK: decompression bombs

    @Test func ratioBombStopsAtTheRatioLimit() throws {
        // One entry claiming 1 GiB of zeros: compresses ~1000:1. Offered lazily in 1 MiB pieces.
        let mib = [UInt8](repeating: 0, count: 1 << 20)
        let (report, pulled, _) = try Self.bounded("ratio bomb") {
            try Self.inspectLazy(limits: .npmDefault) { i in
                i == 0 ? Self.header("package/zeros.bin", size: 1 << 30) : (i <= 256 ? mib : nil)
            }
        }
        #expect(codes(report).contains(.ratioLimitExceeded), "\(report.findings)")
        #expect(!report.ok)
        // The rest of the compressed input is only hashed (for the input digests), never inflated.
        #expect(report.tar.size < 64 << 20, "inflated \(report.tar.size) bytes of a bomb before stopping")
        #expect(pulled == 258)
    }

    @Test func absoluteSizeLimitStopsAnIncompressibleStream() throws {
        // Pseudo-random content (no ratio problem), more than maxDecompressedBytes.
        var rng = HostileRNG(seed: 8)
        let piece = (0..<(1 << 18)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let limits = ArchiveLimits(maxDecompressedBytes: 4 << 20)
        let (report, pulled, _) = try Self.bounded("size bomb") {
            try Self.inspectLazy(limits: limits) { i in
                i == 0 ? Self.header("package/big.bin", size: 64 << 20) : (i <= 256 ? piece : nil)
            }
        }
        #expect(codes(report).contains(.sizeLimitExceeded), "\(report.findings)")
        #expect(report.tar.size <= limits.maxDecompressedBytes + (1 << 20), "inflated \(report.tar.size) bytes")
        #expect(pulled == 258)
    }

    @Test func aMillionTinyEntriesStopAtTheEntryLimit() throws {
        // 1 000 000 empty files offered lazily (1000 per piece); the reader must stop at maxEntries. The piece is
        // built once (names repeat from the second piece on; the entry-count limit comes first).
        let limits = ArchiveLimits(maxEntries: 5_000)
        var piece: [UInt8] = []
        piece.reserveCapacity(512 * 1000)
        for j in 0..<1000 { piece += Self.header("package/f\(j)") }
        let (report, pulled, _) = try Self.bounded("million entries", seconds: 90) {
            try Self.inspectLazy(limits: limits) { i in i < 1000 ? piece : nil }
        }
        #expect(codes(report).contains(.entryCountLimitExceeded), "\(report.findings.prefix(3))")
        #expect(report.entries.count <= limits.maxEntries)
        #expect(report.tar.size <= UInt64(limits.maxEntries + 1000) * 512, "inflated \(report.tar.size) bytes")
        #expect(pulled == 1001)
    }

    // MARK: claimed sizes

    @Test(arguments: ["base256", "octal12"])
    func claimedEightGiBEntryIsTruncatedNotAllocated(encoding: String) throws {
        var block = Self.header("package/huge.bin")
        let size: UInt64 = 8 << 30
        if encoding == "base256" {
            block.replaceSubrange(124..<136, with: [0x80, 0, 0, 0] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: size >> (8 * UInt64($0))) })
        } else {
            block.replaceSubrange(124..<136, with: Array(String(size, radix: 8).utf8))  // 12 digits, no terminator
        }
        block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = block.reduce(0) { $0 + Int($1) }
        block.replaceSubrange(148..<156, with: Array(String(format: "%06o", sum).utf8) + [0, 0x20])
        let tar = block + [UInt8](repeating: 0x41, count: 4096)
        let report = try Self.bounded("8 GiB claim") {
            try ArchiveInspector().inspect(data: GzipBuilder.gzip(Data(tar)), name: "huge.tgz")
        }
        #expect(!report.ok)
        let found = codes(report)
        #expect(found.contains(.truncatedTar) || found.contains(.sizeLimitExceeded) || found.contains(.malformedHeader),
                "\(report.findings)")
        // The entry reader must not try to buffer the claimed size.
        let reader = TarballReader(data: GzipBuilder.gzip(Data(tar)), name: "huge.tgz")
        #expect(throws: ArchiveError.self) { while try reader.next() != nil {} }
    }

    // MARK: paths

    @Test func veryLongPAXPathIsReportedTooLong() throws {
        var tar = TarBuilder()
        tar.pax([("path", "package/" + String(repeating: "a/", count: 5000) + "x")])
        tar.file("package/short", "x")
        tar.end()
        let report = try Self.bounded("long path") { try inspect(tar) }
        #expect(codes(report).contains(.pathTooLong), "\(report.findings)")
    }

    @Test func deepPathWithinTheLimitIsReadCompletely() throws {
        var tar = TarBuilder()
        let deep = "package/" + String(repeating: "d/", count: 2000) + "leaf.js"
        tar.pax([("path", deep)])
        tar.file("package/placeholder", "1")
        tar.end()
        let report = try Self.bounded("deep path") { try inspect(tar) }
        #expect(report.entries.first?.path == deep)
        #expect(report.tar.complete)
    }

    @Test func extendedHeaderLargerThanTheLimitIsAnError() throws {
        var tar = TarBuilder()
        tar.pax([("comment", String(repeating: "z", count: 2 << 20))])
        tar.file("package/a", "x")
        tar.end()
        let report = try Self.bounded("huge pax") { try inspect(tar) }
        #expect(!report.ok, "\(report.findings)")
    }

    @Test func paxPathOverrideWithTraversalIsFlagged() throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        tar.pax([("path", "package/../../../etc/cron.d/x")])
        tar.file("package/innocent.js", "evil")
        tar.end()
        let report = try inspect(tar)
        #expect(report.entries.contains { $0.path == "package/../../../etc/cron.d/x" })
        #expect(codes(report).contains(.pathTraversal), "\(report.findings)")
    }

    @Test func gnuLongNameOverrideWithAbsolutePathIsFlagged() throws {
        var tar = TarBuilder()
        tar.gnuLongName("/etc/" + String(repeating: "l", count: 200))
        tar.entry(TarBuilder.Header(name: "package/innocent.js", magic: Array("ustar  \0".utf8)), Array("x".utf8))
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).contains(.absolutePath), "\(report.findings)")
    }

    @Test(arguments: ["package/../x", "../x", "package/a/../../x", "/etc/passwd", "C:\\evil", "\\\\server\\share"])
    func traversalAndAbsolutePathsAreErrors(path: String) throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        tar.file(path, "x")
        tar.end()
        let report = try inspect(tar)
        let found = codes(report)
        #expect(found.contains(.pathTraversal) || found.contains(.absolutePath), "\(path): \(report.findings)")
        #expect(!report.ok)
    }

    @Test func duplicateAndCaseCollidingEntriesAreFlagged() throws {
        var tar = TarBuilder()
        tar.file("package/index.js", "good")
        tar.file("package/index.js", "evil")
        tar.file("package/README.md", "a")
        tar.file("package/readme.md", "b")
        tar.end()
        let found = codes(try inspect(tar))
        #expect(found.contains(.duplicatePath))
        #expect(found.contains(.caseInsensitiveDuplicatePath))
    }

    // MARK: entry types

    @Test func sparseEntriesAreUnsupported() throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        tar.entry(TarBuilder.Header(name: "package/sparse.bin", typeflag: UInt8(ascii: "S"),
                                    magic: Array("ustar  \0".utf8)), [UInt8](repeating: 7, count: 512))
        tar.end()
        let report = try inspect(tar)
        #expect(codes(report).contains(.unsupportedEntryType), "\(report.findings)")
    }

    @Test func paxSparseRecordsDoNotHideContent() throws {
        var tar = TarBuilder()
        tar.pax([("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"), ("GNU.sparse.name", "package/real.js"),
                 ("GNU.sparse.realsize", "999999999999")])
        tar.file("package/GNUSparseFile.0/real.js", "1\n0\n512\n")
        tar.end()
        let report = try Self.bounded("pax sparse") { try inspect(tar) }
        // Whatever the verdict, the reader finished and reported the entry it read.
        #expect(!report.entries.isEmpty)
    }

    @Test func symlinkAndHardlinkTricksAreFlagged() throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        tar.entry(TarBuilder.Header(name: "package/lib", typeflag: UInt8(ascii: "2"), linkname: "../../../../etc"))
        tar.file("package/lib/passwd", "root::0:0::/:/bin/sh")
        tar.entry(TarBuilder.Header(name: "package/shadow", typeflag: UInt8(ascii: "1"), linkname: "/etc/shadow"))
        tar.entry(TarBuilder.Header(name: "package/self", typeflag: UInt8(ascii: "2"), linkname: "self"))
        tar.end()
        let found = codes(try inspect(tar))
        #expect(found.contains(.symlink))
        #expect(found.contains(.hardlink))
    }

    // MARK: names

    @Test func nulByteInAPAXPathIsNotSilentlyTruncated() throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        tar.pax([("path", "package/index.js\u{0}../../evil")])
        tar.file("package/placeholder", "x")
        tar.end()
        let report = try inspect(tar)
        // Either the NUL is kept in the path (so it cannot collide with package/index.js) or reported.
        let entry = report.entries.last
        #expect(entry?.path != "package/index.js" || !report.ok, "\(String(describing: entry?.path)) \(report.findings)")
    }

    @Test func invalidUTF8NamesAreReadAndDistinct() throws {
        var tar = TarBuilder()
        tar.file("package/package.json", "{}")
        var a = Self.header("package/x", size: 1)
        a[9] = 0xff
        a[10] = 0xfe
        var b = Self.header("package/x", size: 1)
        b[9] = 0xc3
        b[10] = 0x28
        for var block in [a, b] {
            block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
            let sum = block.reduce(0) { $0 + Int($1) }
            block.replaceSubrange(148..<156, with: Array(String(format: "%06o", sum).utf8) + [0, 0x20])
            tar.raw(block + TarBuilder.padded([0x31]))
        }
        tar.end()
        let report = try Self.bounded("invalid utf8") { try inspect(tar) }
        #expect(report.entries.count == 3, "\(report.entries.map(\.path))")
        #expect(report.tar.complete)
    }

    @Test func headerBitFlipsNeverCrash() throws {
        // Deterministic mutation sweep over a small package: every outcome is a report or a typed error.
        let clean = Array(GzipBuilder.gzip(samplePackage().data))
        var tar = samplePackage()
        tar.end()
        let plain = tar.bytes
        var rng = HostileRNG(seed: 42)
        try Self.bounded("mutation sweep", seconds: 120) {
            for round in 0..<300 {
                var bytes = round % 2 == 0 ? plain : clean
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let index = Int(rng.next() % UInt64(bytes.count))
                    bytes[index] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                do {
                    _ = try ArchiveInspector(crossCheckWithLibarchive: false).inspect(data: Data(bytes), name: "m.tgz")
                } catch {}
            }
        }
    }
}

typealias HostileRNG = SplitMix64  // TestSupport's seeded RNG
