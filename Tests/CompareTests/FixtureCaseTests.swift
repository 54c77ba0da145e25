import Foundation
import Testing
import TestSupport
@testable import Archive
@testable import Compare

/// Checks the comparator against the facts recorded in each npm case (`observed`): the gzip layer that stock
/// zlib reproduces (or not), and the tar differences between the registry tarball and `npm pack` 10.8.2.
@Suite struct FixtureCaseTests {
    struct Case: Decodable {
        struct Observed: Decodable {
            struct Gzip: Decodable {
                struct Stock: Decodable {
                    struct Match: Decodable {
                        let zlib: String
                        let level: Int32
                        let memLevel: [Int32]
                    }
                    let matches: [Match]
                }
                let xfl: UInt8?
                let os: UInt8?
                let stock_zlib_params_that_reproduce: Stock?
            }
            struct TarDifferences: Decodable {
                let only_in_registry: [String]
                let only_in_npm_pack: [String]
                let content_differs: [String]
                let entry_order_same: Bool
                let npm_pack_entry_order: [String]
            }
            let gzip: Gzip?
            let tar_identical_to_npm_pack_10_8_2: Bool?
            let tar_differences: TarDifferences?
        }
        let name: String
        let version: String
        let registry_tarball: String?
        let observed: Observed
    }

    static func cases() throws -> [Case] {
        try Fixtures.npmCaseFiles().map { try JSONDecoder().decode(Case.self, from: Data(contentsOf: $0)) }
            .filter { $0.registry_tarball != nil }
    }

    @Test func stockZlibRecompressionMatchesTheRecordedGzipFacts() throws {
        let comparator = TarballComparator()
        var exact = 0, tarIdentical = 0
        for c in try Self.cases() {
            let registry = try Fixtures.data(c.registry_tarball!)
            let tar = GzipBuilder.gunzip(registry)
            let gzip = try #require(c.observed.gzip)
            let match = gzip.stock_zlib_params_that_reproduce?.matches.first { $0.zlib == "1.2.13" }
            let memLevel = match.map { $0.memLevel.contains(8) ? 8 : $0.memLevel[0] } ?? 8
            let level = match?.level ?? (gzip.xfl == 2 ? 9 : 6)
            let rebuilt = Data(GzipBuilder.member(tar, xfl: gzip.xfl!, os: gzip.os!, level: level, memLevel: memLevel))
            let report = try comparator.compare(rebuilt, registry, nameA: "stock-zlib", nameB: c.registry_tarball!)
            if match != nil {
                #expect(report.verdict == .exact, "\(c.name)@\(c.version): \(report.summary)")
                exact += 1
            } else {
                #expect(report.verdict == .tarIdentical, "\(c.name)@\(c.version): \(report.summary)")
                #expect(report.gzip.headerDifferences.isEmpty)
                #expect(report.gzip.deflateIdentical == false)
                tarIdentical += 1
            }
        }
        #expect(exact >= 10 && tarIdentical >= 5)
    }

    @Test func recordedTarDifferencesGiveTheRecordedVerdicts() throws {
        let comparator = TarballComparator()
        var checked = 0
        for c in try Self.cases() {
            guard let differences = c.observed.tar_differences else { continue }
            #expect(differences.only_in_npm_pack.isEmpty && differences.content_differs.isEmpty)
            let registry = try Fixtures.data(c.registry_tarball!)
            let entries = try rawEntries(GzipBuilder.gunzip(registry))
            let byPath = Dictionary(entries.map { ($0.path, $0.bytes) }, uniquingKeysWith: { $1 })
            // Re-create the npm pack 10.8.2 tar from the registry tar and the recorded facts.
            let npmPack = try differences.npm_pack_entry_order.map { try #require(byPath[$0], "\($0)") }
            let report = try comparator.compare(Data(GzipBuilder.member(assemble(npmPack))), registry,
                                                nameA: "npm-pack-10.8.2", nameB: c.registry_tarball!)
            let label = "\(c.name)@\(c.version)"
            if differences.only_in_registry.isEmpty {
                #expect(report.verdict == .contentIdentical, "\(label): \(report.summary)")
                #expect(report.metadataDifferences.map(\.field) == [.order], "\(label)")
                #expect(report.acceptable, "\(label)")
            } else {
                #expect(report.verdict == .differs, "\(label): \(report.summary)")
                #expect(report.filesOnlyInB.map(\.tarPath).sorted() == differences.only_in_registry.sorted(), "\(label)")
                #expect(report.filesOnlyInA.isEmpty && report.changed.isEmpty, "\(label)")
                #expect(report.metadataDifferences.map(\.field) == (differences.entry_order_same ? [] : [.order]), "\(label)")
            }
            checked += 1
        }
        #expect(checked >= 7)
    }
}
