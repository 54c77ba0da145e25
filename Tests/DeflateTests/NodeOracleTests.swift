import Foundation
import Testing

@testable import Deflate

/// The Chromium modes against real Node builds: `anzac` vs the installed node (v20.20.2, class A),
/// `crc32c` vs Node 18.4.0 from PyPI nodejs-bin (class C on x86-64 with SSE4.2 + PCLMUL).
@Suite struct NodeOracleTests {
    /// The jobs of a batch: generated inputs, spread over levels, a memLevel sweep on a few, real tars.
    static func jobs(seed: UInt64) -> [Oracle.NodeJob] {
        let scale = StockDifferentialTests.scale
        let inputs = Inputs.corpus(seed: seed, count: 160 * scale, maxRandomSize: 150_000, largeCount: 2)
        var jobs = inputs.enumerated().map { i, input in
            Oracle.NodeJob(input: input, level: i % 9 + 1, memLevel: i % 17 == 0 ? (i / 17) % 9 + 1 : 8)
        }
        let tars = Inputs.fixtureTars
        let all = tars.reduce(Data(), +)
        for level in 1...9 {
            for memLevel in [1, 8, 9] { jobs.append(Oracle.NodeJob(input: all, level: level, memLevel: memLevel)) }
        }
        for (t, tar) in tars.enumerated() { jobs.append(Oracle.NodeJob(input: tar, level: 9 - t % 4, memLevel: 8)) }
        return jobs
    }

    static func compare(mode: DeflateHashMode, node: URL, seed: UInt64) throws {
        let jobs = jobs(seed: seed)
        let expected = try Oracle.nodeDeflateRaw(node: node, jobs: jobs)
        var mismatches: [String] = []
        for (job, want) in zip(jobs, expected) {
            let ours = try Deflate.compress(job.input, parameters: DeflateParameters(level: job.level, memLevel: job.memLevel, mode: mode))
            if ours != want { mismatches.append("\(job.input.count) B level \(job.level) memLevel \(job.memLevel)") }
        }
        #expect(mismatches.isEmpty, "\(mode) differs from \(node.path): \(mismatches.prefix(10))")
        print("\(mode.rawValue) vs \(node.path): \(jobs.count) inputs, \(mismatches.count) mismatches")
    }

    @Test(.enabled(if: Oracle.anzacNode != nil, "skipped: oracle missing (node not in PATH)"))
    func anzacEqualsInstalledNode() throws {
        try Self.compare(mode: .anzac, node: try #require(Oracle.anzacNode), seed: 0xA11C)
    }

    @Test(.enabled(if: Oracle.crc32cNode != nil,
                   "skipped: oracle missing (run Scripts/install-oracles.sh or set PROVCHECK_NODE18)"))
    func crc32cEqualsNode18() throws {
        try Self.compare(mode: .crc32c, node: try #require(Oracle.crc32cNode), seed: 0xC3C)
    }
}
