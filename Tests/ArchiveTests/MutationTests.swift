import Foundation
import TestSupport
import Testing
@testable import Archive

/// Random corruptions of a valid tarball must give a report or a typed error, never a crash or a hang.
/// Scale with PROVCHECK_FUZZ_ITERATIONS (default 300).
@Suite struct MutationTests {
    @Test func randomCorruptionsNeverCrash() throws {
        var tar = samplePackage()
        tar.pax([("path", "package/" + String(repeating: "p", count: 150)), ("mtime", "1")])
        tar.entry(.init(name: "package/p"), Array("pax".utf8))
        tar.end()
        let plainTar = tar.bytes
        let gz = GzipBuilder.member(plainTar)
        let iterations = Int(ProcessInfo.processInfo.environment["PROVCHECK_FUZZ_ITERATIONS"] ?? "") ?? 300
        var rng = SplitMix64(seed: 0x5eed)
        let inspector = ArchiveInspector(crossCheckWithLibarchive: true)
        for i in 0..<iterations {
            var bytes = i % 2 == 0 ? gz : plainTar
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                }
                if bytes.isEmpty { break }
            }
            let report = try inspector.inspect(data: Data(bytes), name: "mutant-\(i)")
            #expect(report.input == "mutant-\(i)")
            let reader = TarballReader(data: Data(bytes), name: "mutant-\(i)")
            _ = try? reader.readAll()
            #expect(reader.isFinished)
        }
    }
}

