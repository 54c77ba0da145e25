import Archive
import Foundation
import TestSupport
import Testing

@testable import Deflate

/// The `stock` mode against the system zlib (deflateInit2_ raw -15), the class-S oracle.
@Suite struct StockDifferentialTests {
    /// Scale with PROVCHECK_DEFLATE_SCALE (default 1) for a longer local run.
    static let scale = Int(ProcessInfo.processInfo.environment["PROVCHECK_DEFLATE_SCALE"] ?? "") ?? 1

    @Test func generatedInputsEveryLevelEqualSystemZlib() throws {
        let inputs = Inputs.corpus(seed: 0x5EED_0001, count: 520 * Self.scale, maxRandomSize: 200_000, largeCount: 3)
        var mismatches: [String] = []
        var totalBytes = 0
        for (i, input) in inputs.enumerated() {
            let level = i % 9 + 1
            let memLevel = i % 23 == 0 ? (i / 23) % 9 + 1 : 8
            let ours = try Deflate.compress(input, parameters: DeflateParameters(level: level, memLevel: memLevel, mode: .stock))
            let zlib = Oracle.zlibDeflate(input, level: level, memLevel: memLevel)
            totalBytes += input.count
            if ours != zlib { mismatches.append("input \(i) (\(input.count) B) level \(level) memLevel \(memLevel)") }
        }
        #expect(inputs.count >= 500)
        #expect(mismatches.isEmpty, "stock mode differs from system zlib: \(mismatches.prefix(10))")
        print("stock vs system zlib: \(inputs.count) inputs, \(totalBytes) bytes, \(mismatches.count) mismatches")
    }

    @Test func realTarsEveryLevelAndMemLevelEqualSystemZlib() throws {
        let tars = Inputs.fixtureTars
        #expect(!tars.isEmpty)
        let all = tars.reduce(Data(), +)
        var checked = 0
        for (t, tar) in (tars + [all]).enumerated() {
            for level in 1...9 {
                // Every memLevel on the concatenation, a rotating one on each single tar.
                let memLevels = t == tars.count ? Array(1...9) : [8, (t + level) % 9 + 1]
                for memLevel in memLevels {
                    let ours = try Deflate.compress(tar, parameters: DeflateParameters(level: level, memLevel: memLevel, mode: .stock))
                    #expect(ours == Oracle.zlibDeflate(tar, level: level, memLevel: memLevel),
                            "tar \(t) (\(tar.count) B) level \(level) memLevel \(memLevel)")
                    checked += 1
                }
            }
        }
        print("stock vs system zlib on real tars: \(checked) compressions")
    }

    @Test func streamingChunksEqualOneShotAndZlibChunked() throws {
        var rng = SplitMix64(seed: 42)
        let input = Inputs.make(kind: 6, size: 300_000, rng: &rng)
        for (level, chunk) in [(1, 1000), (3, 4096), (6, 65536), (9, 7777), (9, 100_000), (4, 32768)] {
            let parameters = DeflateParameters(level: level, memLevel: 8, mode: .stock)
            let stream = try DeflateStream(parameters: parameters)
            var streamed = Data()
            var offset = 0
            while offset < input.count {
                let end = min(offset + chunk, input.count)
                streamed.append(try stream.write(input.subdata(in: offset..<end)))
                offset = end
            }
            streamed.append(try stream.finish())
            #expect(streamed == (try Deflate.compress(input, parameters: parameters)), "level \(level) chunk \(chunk)")
            #expect(streamed == Oracle.zlibDeflate(input, level: level, memLevel: 8, chunk: chunk))
            #expect(throws: DeflateError.streamFinished) { try stream.write(Data([1])) }
        }
    }

    @Test func invalidParametersAreRejected() {
        for (level, memLevel) in [(0, 8), (10, 8), (9, 0), (9, 10)] {
            let p = DeflateParameters(level: level, memLevel: memLevel, mode: .anzac)
            #expect(throws: DeflateError.invalidParameters(p)) { try DeflateStream(parameters: p) }
        }
    }

    @Test func gzipFramingAndSHA512() throws {
        let tar = Data("hello hello hello".utf8)
        let gz = try NPMGzip.compress(tar: tar, parameters: .npm7(.stock))
        #expect(Array(gz.prefix(10)) == [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 2, 0xff])
        #expect(try Oracle.gunzip(gz) == tar)
        #expect(GzipHeader.zlib(level: 6, os: 19).bytes == Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 19]))
        #expect(GzipHeader.zlib(level: 1, os: 3).xfl == 4)
        // FIPS 180-4 example "abc".
        #expect(NPMGzip.sha512(Data("abc".utf8)).map { String(format: "%02x", $0) }.joined()
            == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        var rng = SplitMix64(seed: 7)
        for size in [111, 112, 127, 128, 129, 239, 240, 1000] {
            let data = Inputs.make(kind: 0, size: size, rng: &rng)
            #expect(NPMGzip.sha512(data).count == 64)
        }
    }

    @Test func candidateModeOrderFollowsNodeVersion() {
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "20.10.0") == [.anzac, .stock, .crc32c])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "v22.11.0") == [.anzac, .stock, .crc32c])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "18.19.0") == [.anzac, .stock, .crc32c])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "20.9.0") == [.crc32c, .stock, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "18.18.2") == [.crc32c, .stock, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "13.12.0") == [.crc32c, .stock, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "12.17.0") == [.crc32c, .stock, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "12.16.3") == [.stock, .crc32c, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "8.0.0-pre") == [.stock, .crc32c, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: nil) == [.stock, .crc32c, .anzac])
        #expect(NodeZlibClass.candidateModes(forNodeVersion: "garbage") == [.stock, .crc32c, .anzac])
    }
}
