import Foundation
import Packing

/// Packing's deflate-engine seam over the `Deflate` module's Node-zlib emulation, so a rebuild can reproduce the
/// gzip bytes npm wrote on Node's bundled (Chromium) zlib, not only the tar.
struct NodeZlibEngine: DeflateEngine {
    let setting: NodeZlibSetting
    var name: String { setting.name }
    var level: Int32 { Int32(setting.parameters.level) }

    func makeStream() throws -> any RawDeflateStream { NodeZlibRawStream(try NodeZlibStreamBox(setting.parameters)) }

    /// Packing candidates for a publisher's Node and npm versions.
    static func candidates(nodeVersion: String?, npmVersion: String?) -> [GzipCandidate] {
        NodeZlibSetting.candidates(nodeVersion: nodeVersion, npmVersion: npmVersion).map {
            GzipCandidate(engine: NodeZlibEngine(setting: $0), headers: $0.headers.map { GzipHeader(xfl: $0.xfl, os: $0.os) })
        }
    }
}

final class NodeZlibRawStream: RawDeflateStream {
    private let box: NodeZlibStreamBox
    init(_ box: NodeZlibStreamBox) { self.box = box }

    func write(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try box.write(Data(input)) { chunk in try chunk.withUnsafeBytes { try emit($0) } }
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try box.finish { chunk in try chunk.withUnsafeBytes { try emit($0) } }
    }
}
