import Foundation
import Testing
import TestSupport
@testable import Archive

/// Issue 17 item 2: tar headers npm (node-tar) reads differently from POSIX readers. provcheck reports the path npm
/// installs and an `npm-reads-differently` error for every such header.
@Suite struct NodeTarReadingRegressionTests {
    static func inspect(_ data: Data) throws -> ArchiveReport {
        try ArchiveInspector().inspect(data: GzipBuilder.gzip(data), name: "hostile.tgz")
    }

    @Test func prefixWithLeadingNULReadsAsNodeTarDoes() throws {
        let report = try Self.inspect(TarBuilder.NodeTarHostile.prefixWithLeadingNUL)
        let last = try #require(report.entries.last)
        #expect(last.path == "/index.js")
        #expect(last.pathInPackage == "index.js")
        #expect(!report.ok)
        let finding = try #require(report.findings(.npmReadsDifferently).first, "\(report.findings)")
        #expect(finding.severity == .error)
        #expect(finding.message.contains("'/index.js'") && finding.message.contains("'index.js'"), "\(finding.message)")
        #expect(report.findings(.absolutePath).count == 1)
        // The old, wrong explanation is gone; the new one says where npm installs it.
        #expect(!report.findings.contains { $0.message.contains("npm strips the first path component") })
        let outside = try #require(report.findings(.pathOutsidePackageDir).first)
        #expect(outside.message.contains("installs it as 'index.js'"), "\(outside.message)")
    }

    @Test func paxThenGNULongNameUsesTheLastLikeNodeTar() throws {
        let report = try Self.inspect(TarBuilder.NodeTarHostile.paxThenGNULongName)
        #expect(report.entries.map(\.path).last == "package/index.js")
        #expect(!report.ok)
        let finding = try #require(report.findings(.npmReadsDifferently).first, "\(report.findings)")
        #expect(finding.message.contains("2 long names"), "\(finding.message)")
        #expect(finding.message.contains("package/harmless.js"))
        #expect(report.findings(.duplicatePath).count == 1)
    }

    @Test func gnuLongNameThenPaxPathIsFlaggedToo() throws {
        var tar = TarBuilder()
        tar.gnuLongName("package/a.js")
        tar.pax([("path", "package/b.js")])
        tar.file("package/c.js", "x")
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.entries.map(\.path) == ["package/b.js"])
        #expect(report.findings(.npmReadsDifferently).count == 1)
    }

    @Test func paxSizeOnAFollowingGNUHeaderIsFlagged() throws {
        // node-tar 6 (npm 10) reads the L header's body with the PAX size of the header before it.
        var tar = TarBuilder()
        tar.pax([("size", "1024")])
        tar.gnuLongName("package/a.js")
        tar.file("package/c.js", String(repeating: "x", count: 1024))
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.findings(.npmReadsDifferently).contains { $0.message.contains("sets size") }, "\(report.findings)")
    }

    @Test func nameFieldWithNULNewlineAndMoreBytesIsFlagged() throws {
        var block = TarBuilder.header(TarBuilder.Header(name: "package/a.js"), contentCount: 0)
        for (i, b) in Array("\0\n/evil".utf8).enumerated() { block[12 + i] = b }
        var tar = TarBuilder()
        tar.raw(TarBuilder.rechecksummed(block))
        tar.end()
        let report = try Self.inspect(tar.data)
        // node-tar removes only the first NUL run up to the line break: the rest, padding included, stays.
        #expect(report.entries.map(\.path) == ["package/a.js\n/evil" + String(repeating: "\0", count: 100 - 12 - 7)])
        #expect(report.findings(.npmReadsDifferently).count == 1)
    }

    @Test func linkNameOnARegularFileIsFlagged() throws {
        var tar = TarBuilder()
        tar.entry(TarBuilder.Header(name: "package/a.js", linkname: "b"), Array("content".utf8))
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.findings(.npmReadsDifferently).contains { $0.message.contains("node-tar skips it") })
    }

    @Test func unknownTypeFlagIsAnError() throws {
        var tar = TarBuilder()
        tar.entry(TarBuilder.Header(name: "package/a.js", typeflag: UInt8(ascii: "Z")), Array("content".utf8))
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.findings(.npmReadsDifferently).contains { $0.message.contains("node-tar 7") })
    }

    @Test func pathZeroInPAXIsDroppedByNodeTar() throws {
        var tar = TarBuilder()
        tar.pax([("path", "0")])
        tar.file("package/a.js", "x")
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.entries.map(\.path) == ["package/a.js"])
        #expect(report.findings(.npmReadsDifferently).count == 1)
    }

    @Test func gitArchiveGlobalCommentIsNotAnError() throws {
        var tar = TarBuilder()
        tar.pax([("comment", "0123456789abcdef0123456789abcdef01234567")], global: true)
        tar.file("package/a.js", "x")
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.ok, "\(report.findings)")
        #expect(report.findings(.paxGlobalHeader).count == 1)
    }

    /// node-tar 7 (npm 11) writes `size=0` in the PAX header of a directory with a long name; node-tar reads the
    /// zero as absent, POSIX readers as 0: the same entry, no finding (a false positive found by the fuzzer's
    /// real-writer check).
    @Test func nodeTar7PAXSizeZeroOnADirectoryIsNotAFinding() throws {
        let long = "package/" + String(repeating: "d", count: 120) + "/"
        var tar = TarBuilder()
        tar.pax([("path", long), ("size", "0")])
        tar.entry(TarBuilder.Header(name: String(long.prefix(99)), typeflag: UInt8(ascii: "5")))
        tar.pax([("path", long + "f.js"), ("size", "3")])
        tar.file(String((long + "f.js").suffix(99)), "abc")
        tar.end()
        let report = try Self.inspect(tar.data)
        #expect(report.findings(.npmReadsDifferently).isEmpty, "\(report.findings)")
        #expect(report.entries.map(\.path) == [long, long + "f.js"])
    }

    @Test func everyRealFixtureTarballReadsAlikeInNodeTar() throws {
        let enumerator = FileManager.default.enumerator(at: Fixtures.root, includingPropertiesForKeys: nil)
        let files = (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "tgz" }
        #expect(files.count >= 10)
        for file in files {
            let report = try ArchiveInspector().inspect(fileAt: file)
            #expect(report.findings(.npmReadsDifferently).isEmpty, "\(file.lastPathComponent): \(report.findings)")
        }
    }

    /// The installed npm's own tar reader agrees with the path provcheck reports for both hostile archives.
    @Test func installedNodeTarReadsTheSamePaths() throws {
        let npmRoot = try Self.shell("npm root -g").trimmingCharacters(in: .whitespacesAndNewlines)
        let module = npmRoot + "/npm/node_modules/tar"
        let script = Fixtures.repositoryRoot.appendingPathComponent("Scripts/node-tar-list.js").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("node-tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, data) in [("prefix", TarBuilder.NodeTarHostile.prefixWithLeadingNUL),
                             ("pax-then-gnu", TarBuilder.NodeTarHostile.paxThenGNULongName)] {
            let file = folder.appendingPathComponent("\(name).tar")
            try data.write(to: file)
            let line = try Self.shell("node '\(script)' '\(module)' '\(file.path)'")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let nodePaths = (json["entries"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            let ours = try ArchiveInspector().inspect(fileAt: file).entries.map(\.path)
            #expect(nodePaths == ours, "\(name): node-tar \(nodePaths), provcheck \(ours)")
        }
        // What npm does with the prefix archive: extract with `strip: 1` (as pacote does) — the second entry lands on
        // the package's index.js.
        let out = folder.appendingPathComponent("installed")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let tarFile = folder.appendingPathComponent("prefix.tar").path
        _ = try Self.shell("node -e \"require('\(module)').x({file: '\(tarFile)', cwd: '\(out.path)', strip: 1, sync: true})\"")
        #expect(try String(contentsOf: out.appendingPathComponent("index.js"), encoding: .utf8) == "module.exports = 'evil'")
    }

    static func shell(_ command: String) throws -> String {
        String(decoding: try ProcessRunner.run(["sh", "-c", command], check: false).stdout, as: UTF8.self)
    }
}
