import CZlib
import Foundation
import TestSupport

@testable import Deflate

/// Deterministic input generation and the system-zlib / node oracles used by the differential tests.
enum Oracle {
    /// Raw deflate by the system zlib (stock class), fed in `chunk`-sized Z_NO_FLUSH pieces then Z_FINISH.
    static func zlibDeflate(_ input: Data, level: Int, memLevel: Int, chunk: Int? = nil) -> Data {
        var stream = z_stream()
        let rc = deflateInit2_(&stream, Int32(level), Z_DEFLATED, -15, Int32(memLevel), Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2_ failed: \(rc)")
        defer { deflateEnd(&stream) }
        var bytes = [UInt8](input)
        let capacity = Int(deflateBound(&stream, uLong(bytes.count))) + 1024
        var out = [UInt8](repeating: 0, count: capacity)
        let step = max(1, chunk ?? max(1, bytes.count))
        bytes.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                var offset = 0
                while offset < inBuf.count {
                    let n = min(step, inBuf.count - offset)
                    stream.next_in = inBuf.baseAddress! + offset
                    stream.avail_in = uInt(n)
                    _ = deflate(&stream, Z_NO_FLUSH)
                    offset += n
                }
                stream.next_in = nil
                stream.avail_in = 0
                let finish = deflate(&stream, Z_FINISH)
                precondition(finish == Z_STREAM_END, "deflate(Z_FINISH) returned \(finish)")
            }
        }
        return Data(out[0..<Int(stream.total_out)])
    }

    /// gunzip of a whole .tgz by the system zlib.
    static func gunzip(_ gz: Data) throws -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TestFailure("inflateInit2_ failed")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](gz)
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var rc: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                buffer.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    result.append(outBuf.baseAddress!, count: outBuf.count - Int(stream.avail_out))
                }
            } while rc == Z_OK
        }
        guard rc == Z_STREAM_END else { throw TestFailure("inflate failed: \(rc)") }
        return result
    }

    /// The node binary for class A (the installed node, or `PROVCHECK_NODE_ANZAC`).
    static var anzacNode: URL? {
        if let path = ProcessInfo.processInfo.environment["PROVCHECK_NODE_ANZAC"] { return executable(path) }
        return findInPath("node")
    }

    /// The Node 18.4.0 binary (class C on x86-64 with SSE4.2 + PCLMUL): `PROVCHECK_NODE18`, or
    /// `.build-oracles/node18/bin/node` made by `Scripts/install-oracles.sh`.
    static var crc32cNode: URL? {
        if let path = ProcessInfo.processInfo.environment["PROVCHECK_NODE18"] { return executable(path) }
        return executable(Fixtures.repositoryRoot.appendingPathComponent(".build-oracles/node18/bin/node").path)
    }

    static func executable(_ path: String) -> URL? {
        FileManager.default.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
    }

    static func findInPath(_ name: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":") {
            if let url = executable("\(dir)/\(name)") { return url }
        }
        return nil
    }

    /// One job for a node batch: input bytes, level and memLevel.
    struct NodeJob {
        let input: Data
        let level: Int
        let memLevel: Int
    }

    /// Runs ONE node process that deflates every job with `zlib.deflateRawSync(x, {level, memLevel})`.
    static func nodeDeflateRaw(node: URL, jobs: [NodeJob]) throws -> [Data] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-deflate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var manifest: [[String: Int]] = []
        for (i, job) in jobs.enumerated() {
            try job.input.write(to: dir.appendingPathComponent("in-\(i)"))
            manifest.append(["i": i, "level": job.level, "memLevel": job.memLevel])
        }
        try JSONSerialization.data(withJSONObject: manifest).write(to: dir.appendingPathComponent("jobs.json"))
        let script = """
            const fs = require('fs'), zlib = require('zlib'), path = require('path');
            const dir = process.argv[2];
            for (const j of JSON.parse(fs.readFileSync(path.join(dir, 'jobs.json')))) {
              const x = fs.readFileSync(path.join(dir, 'in-' + j.i));
              fs.writeFileSync(path.join(dir, 'out-' + j.i), zlib.deflateRawSync(x, {level: j.level, memLevel: j.memLevel}));
            }
            """
        try Data(script.utf8).write(to: dir.appendingPathComponent("deflate.js"))
        let process = Process()
        process.executableURL = node
        process.arguments = [dir.appendingPathComponent("deflate.js").path, dir.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("node exited with \(process.terminationStatus)") }
        return try jobs.indices.map { try Data(contentsOf: dir.appendingPathComponent("out-\($0)")) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}


/// Generated inputs of several kinds and sizes (incl. the 258, 32 KiB and 64 KiB edges).
enum Inputs {
    static let words: [[UInt8]] = [
        "function", "return", "const", "let", "var", "if", "else", "for", "while", "module", "exports",
        "require", "the", "a", "of", "and", "to", "in", "is", "that", "package", "version", "license",
        "{", "}", "(", ")", ";", "=>", "\n", "  ", "\n  ", "\"name\":", "\"version\":", "0", "1", "2",
    ].map { Array($0.utf8) }

    /// Real tars of the fixture cases (decompressed registry tarballs), cached.
    static let fixtureTars: [Data] = {
        let dir = (try? Fixtures.url("npm/tarballs")) ?? Fixtures.root
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "tgz" }.sorted { $0.path < $1.path }.compactMap {
            try? Oracle.gunzip(Data(contentsOf: $0))
        }
    }()

    /// The edge sizes every kind is generated at.
    static let edgeSizes: [Int] = [
        0, 1, 2, 3, 4, 5, 7, 100, 257, 258, 259, 260, 261, 262, 263, 264, 515, 516, 517,
        4095, 4096, 4097, 32505, 32506, 32507, 32767, 32768, 32769, 33026, 33030, 65273, 65274, 65275,
        65535, 65536, 65537, 65798, 65800, 98304, 131072, 131073,
    ]

    /// Bytes of a given kind: 0 random, 1 text, 2 repetitive, 3 zeros/runs, 4 small alphabet,
    /// 5 slices of real tars, 6 mixed (text with random and repeated islands).
    static func make(kind: Int, size: Int, rng: inout SplitMix64) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(size + 300)
        switch kind {
        case 0:
            while out.count < size { out.append(UInt8(truncatingIfNeeded: rng.next())) }
        case 1:
            while out.count < size {
                out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))])
                if rng.next() % 4 == 0 { out.append(0x20) }
            }
        case 2:
            let period = Int(rng.next() % 300) + 1
            let pattern = (0..<period).map { _ in UInt8(truncatingIfNeeded: rng.next() % 8 + 97) }
            while out.count < size {
                out.append(contentsOf: pattern)
                if rng.next() % 16 == 0 { out.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
        case 3:
            while out.count < size {
                let run = Int(rng.next() % 600) + 1
                let byte: UInt8 = rng.next() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : 0
                out.append(contentsOf: repeatElement(byte, count: run))
            }
        case 4:
            while out.count < size { out.append(UInt8(truncatingIfNeeded: rng.next() % 4)) }
        case 5:
            let tars = fixtureTars
            if tars.isEmpty { return make(kind: 1, size: size, rng: &rng) }
            while out.count < size {
                let tar = tars[Int(rng.next() % UInt64(tars.count))]
                let start = Int(rng.next() % UInt64(max(1, tar.count)))
                let length = min(tar.count - start, Int(rng.next() % 20000) + 1)
                out.append(contentsOf: tar[(tar.startIndex + start)..<(tar.startIndex + start + length)])
            }
        default:
            while out.count < size {
                let part = Int(rng.next() % 3)
                let n = Int(rng.next() % 2000) + 1
                switch part {
                case 0: out.append(contentsOf: make(kind: 1, size: n, rng: &rng))
                case 1: out.append(contentsOf: make(kind: 0, size: min(n, 300), rng: &rng))
                default:
                    if out.count > 10 {
                        let back = Int(rng.next() % UInt64(min(out.count, 40000))) + 1
                        let len = min(back, n)
                        out.append(contentsOf: out[(out.count - back)..<(out.count - back + len)])
                    }
                }
            }
        }
        return Data(out.prefix(size))
    }

    /// `count` inputs cycling through kinds and sizes: the edge sizes first, then random sizes
    /// up to `maxRandomSize`, plus `largeCount` inputs of 1–3 MB.
    static func corpus(seed: UInt64, count: Int, maxRandomSize: Int, largeCount: Int) -> [Data] {
        var rng = SplitMix64(seed: seed)
        var result: [Data] = []
        var i = 0
        while result.count < count {
            let kind = i % 7
            let size: Int
            if i < edgeSizes.count * 2 { size = edgeSizes[i % edgeSizes.count] }
            else if result.count >= count - largeCount { size = 1_000_000 + Int(rng.next() % 2_000_000) }
            else { size = Int(rng.next() % UInt64(maxRandomSize)) }
            result.append(make(kind: kind, size: size, rng: &rng))
            i += 1
        }
        return result
    }
}
