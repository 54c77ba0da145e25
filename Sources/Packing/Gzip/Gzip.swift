import Archive
import CZlib
import Deflate
import Foundation

/// A raw-deflate engine (RFC 1951, no zlib/gzip wrapper) that can produce a candidate gzip body.
///
/// The system zlib is ``SystemZlibEngine``; another module (e.g. a zlib-identical engine with Node's
/// Chromium-zlib hashing) can conform and be passed in ``GzipAttempt`` lists.
public protocol DeflateEngine: Sendable {
    /// A short description (`"system zlib 1.2.13 level 9 memLevel 8"`), reported when it reproduces a tarball.
    var name: String { get }
    /// The compression level it emulates (decides the default XFL byte).
    var level: Int32 { get }
    /// Starts a new raw deflate stream.
    func makeStream() throws -> any RawDeflateStream
}

/// A running raw-deflate stream.
public protocol RawDeflateStream: AnyObject {
    /// Compresses `input`, passing produced bytes to `emit`.
    func write(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Flushes the end of the stream to `emit`.
    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// Errors from the deflate layer.
public struct GzipError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The system zlib (`deflateInit2_`, raw, windowBits 15, default strategy).
public struct SystemZlibEngine: DeflateEngine {
    public let level: Int32
    public let memLevel: Int32

    public init(level: Int32 = 9, memLevel: Int32 = 8) {
        self.level = level
        self.memLevel = memLevel
    }

    /// The runtime zlib version (`zlibVersion()`).
    public static var zlibVersionString: String { String(cString: zlibVersion()) }

    public var name: String { "system zlib \(SystemZlibEngine.zlibVersionString) level \(level) memLevel \(memLevel)" }

    public func makeStream() throws -> any RawDeflateStream {
        try ZlibRawDeflateStream(level: level, memLevel: memLevel)
    }
}

final class ZlibRawDeflateStream: RawDeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    private let outputSize = 1 << 17

    init(level: Int32, memLevel: Int32) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: outputSize)
        let status = deflateInit2_(stream, level, Z_DEFLATED, -15, memLevel, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            output.deallocate()
            stream.deallocate()
            throw GzipError(message: "deflateInit2 failed (\(status)) for level \(level), memLevel \(memLevel)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        while true {
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(outputSize)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw GzipError(message: "deflate failed (\(status))")
            }
            let produced = outputSize - Int(stream.pointee.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(start: output, count: produced)) }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                return
            }
        }
    }

    func write(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard input.count > 0 else { return }
        try run(input, flush: Z_NO_FLUSH, emit: emit)
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, emit: emit)
    }
}

/// One deflate engine plus the gzip headers to try with it (the deflate body is computed once per engine).
public struct GzipAttempt: Sendable {
    /// The engine.
    public let engine: any DeflateEngine
    /// Header variants, first = the one written when nothing is to be matched.
    public let headers: [GzipHeader]

    public init(engine: any DeflateEngine, headers: [GzipHeader]) {
        self.engine = engine
        self.headers = headers
    }
}

/// The gzip conventions of an npm generation, as candidate lists for the system zlib.
public enum GzipDialect {
    /// npm ≥ 7.7: level 9, XFL 2, OS 255 (minizlib `portable`).
    public static let npm7Plus = [GzipAttempt(engine: SystemZlibEngine(level: 9, memLevel: 8),
                                                headers: [.npm7])]

    /// The system-zlib candidates for a generation, most likely first. npm 5/6 used the default level (6) and
    /// the publisher's zlib OS byte (``Deflate/NPMGzip/zlibOSCodes``).
    public static func candidates(for generation: NPMGeneration) -> [GzipAttempt] {
        switch generation {
        case .npm10, .npm11:
            return npm7Plus + [
                // npm 7.0–7.6 (pacote < 11.3.1) used the default level with the portable header.
                GzipAttempt(engine: SystemZlibEngine(level: 6, memLevel: 8), headers: [.zlib(level: 6, os: NPMGzip.portableOS)]),
            ]
        case .npm6, .npm4:
            return [GzipAttempt(engine: SystemZlibEngine(level: 6, memLevel: 8),
                                  headers: NPMGzip.zlibOSCodes.map { .zlib(level: 6, os: $0) })]
        }
    }
}

/// CRC-32 (zlib).
struct CRC32 {
    private(set) var value: UInt = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        value = crc32(value, base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
    }
}

/// The project's zlib-identical deflate engine (module `Deflate`) in one of its hash modes: `stock` (zlib),
/// `crc32c` (Node 12.17–20.9's Chromium zlib) or `anzac` (Node ≥ 20.10). Plugged in as extra gzip attempts so
/// tarballs compressed by Node's bundled zlib can be reproduced exactly.
public struct NodeZlibEngine: DeflateEngine {
    /// Level, memLevel and hash mode.
    public let parameters: DeflateParameters

    public init(parameters: DeflateParameters) {
        self.parameters = parameters
    }

    public var level: Int32 { Int32(parameters.level) }

    public var name: String {
        "provcheck deflate (\(parameters.mode.rawValue) hashing) level \(parameters.level) memLevel \(parameters.memLevel)"
    }

    public func makeStream() throws -> any RawDeflateStream {
        NodeZlibStream(try DeflateStream(parameters: parameters))
    }
}

final class NodeZlibStream: RawDeflateStream {
    private let stream: DeflateStream

    init(_ stream: DeflateStream) {
        self.stream = stream
    }

    func write(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard input.count > 0 else { return }
        try stream.write(Data(input)) { chunk in try chunk.withUnsafeBytes(emit) }
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream.finish(Data()) { chunk in try chunk.withUnsafeBytes(emit) }
    }
}

extension GzipDialect {
    /// Attempts with the Node-zlib emulation (modes most likely first for `nodeVersion`), after the system-zlib
    /// ones: level 9 + portable header for npm ≥ 7 (then level 6 for npm 7.0–7.6), level 6 + zlib OS bytes for npm 5/6.
    public static func nodeZlibAttempts(for generation: NPMGeneration, nodeVersion: String?) -> [GzipAttempt] {
        let modes = NodeZlibClass.candidateModes(forNodeVersion: nodeVersion).filter { $0 != .stock }
        switch generation {
        case .npm10, .npm11:
            return modes.map { GzipAttempt(engine: NodeZlibEngine(parameters: .npm7($0)), headers: [.npm7]) }
                + modes.map { GzipAttempt(engine: NodeZlibEngine(parameters: DeflateParameters(level: 6, memLevel: 8, mode: $0)),
                                          headers: [.zlib(level: 6, os: NPMGzip.portableOS)]) }
        case .npm6, .npm4:
            return modes.map { GzipAttempt(engine: NodeZlibEngine(parameters: DeflateParameters(level: 6, memLevel: 8, mode: $0)),
                                           headers: NPMGzip.zlibOSCodes.map { .zlib(level: 6, os: $0) }) }
        }
    }

    /// The Node version whose deflate a rebuild with neither an expected integrity nor a publisher Node version
    /// emulates: the current LTS lines (Node ≥ 20.10 all share the ANZAC class), so the output equals today's
    /// `npm pack`.
    public static let currentNodeVersion = "20.20.2"

    /// The attempt that reproduces what `npm pack` writes on a given Node version (npm ≥ 7: level 9, portable
    /// header), or nil when that Node used stock zlib (then the system zlib is that engine).
    public static func npmPackAttempt(nodeVersion: String, generation: NPMGeneration) -> GzipAttempt? {
        guard generation == .npm10 || generation == .npm11,
              let mode = NodeZlibClass.candidateModes(forNodeVersion: nodeVersion).first, mode != .stock else { return nil }
        return GzipAttempt(engine: NodeZlibEngine(parameters: .npm7(mode)), headers: [.npm7])
    }
}
