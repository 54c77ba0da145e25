// This file imports only `Deflate` (whose `GzipCandidate`/`GzipHeader` share names with `Packing`'s).
import Deflate
import Foundation

/// One Node-zlib deflate setting to try when rebuilding: parameters plus (XFL, OS) header bytes.
struct NodeZlibSetting: Sendable {
    let parameters: DeflateParameters
    let headers: [(xfl: UInt8, os: UInt8)]
    var name: String { "Node zlib (\(parameters))" }

    /// The non-stock settings for a publisher (stock zlib is already tried by Packing's system-zlib candidates).
    static func candidates(nodeVersion: String?, npmVersion: String?) -> [NodeZlibSetting] {
        NPMGzip.candidates(nodeVersion: nodeVersion, npmVersion: npmVersion)
            .filter { $0.parameters.mode != .stock }
            .map { NodeZlibSetting(parameters: $0.parameters, headers: $0.headers.map { ($0.extraFlags, $0.os) }) }
    }
}

/// A streaming Node-zlib deflate (the `Deflate` module's engine).
final class NodeZlibStreamBox {
    private let stream: DeflateStream
    init(_ parameters: DeflateParameters) throws { stream = try DeflateStream(parameters: parameters) }
    func write(_ input: Data, to sink: (Data) throws -> Void) throws { try stream.write(input, to: sink) }
    func finish(to sink: (Data) throws -> Void) throws { try stream.finish(Data(), to: sink) }
}
