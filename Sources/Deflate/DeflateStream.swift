import CDeflate
import Foundation

/// A streaming raw-deflate (RFC 1951) compressor whose output is byte-identical to zlib's
/// `deflate()` (windowBits -15, default strategy) in the zlib build selected by
/// ``DeflateParameters/mode``.
///
/// Feeding the input in any chunking gives the same bytes as zlib given the same chunks with
/// `Z_NO_FLUSH` and then `Z_FINISH` (which, for zlib, equals one `Z_FINISH` call). Memory use is
/// bounded (about 300 KiB of state plus the output of one call).
public final class DeflateStream {
    /// The parameters this stream compresses with.
    public let parameters: DeflateParameters
    private let handle: OpaquePointer
    private var isFinished = false

    /// The largest slice handed to the engine at once, to bound the buffered output.
    private static let sliceSize = 1 << 20

    /// Creates a stream; throws ``DeflateError/invalidParameters(_:)`` for levels or memLevels
    /// outside 1–9.
    public init(parameters: DeflateParameters) throws {
        self.parameters = parameters
        let modeValue: Int32
        switch parameters.mode {
        case .stock: modeValue = Int32(CDEFLATE_HASH_STOCK)
        case .crc32c: modeValue = Int32(CDEFLATE_HASH_CRC32C)
        case .anzac: modeValue = Int32(CDEFLATE_HASH_ANZAC)
        }
        guard (1...9).contains(parameters.level), (1...9).contains(parameters.memLevel) else {
            throw DeflateError.invalidParameters(parameters)
        }
        var error: Int32 = 0
        guard let handle = cdeflate_new(Int32(parameters.level), Int32(parameters.memLevel), modeValue, &error)
        else {
            throw error == Int32(CDEFLATE_ERR_PARAM)
                ? DeflateError.invalidParameters(parameters) : DeflateError.outOfMemory
        }
        self.handle = handle
    }

    deinit { cdeflate_free(handle) }

    /// Compresses the next chunk of input and returns the compressed bytes completed so far
    /// (possibly empty: zlib holds back input until a block is full).
    public func write(_ input: Data) throws -> Data {
        var output = Data()
        try write(input) { output.append($0) }
        return output
    }

    /// Compresses the last chunk of input (may be empty), ends the stream, and returns the rest
    /// of the compressed bytes.
    public func finish(_ input: Data = Data()) throws -> Data {
        var output = Data()
        try finish(input) { output.append($0) }
        return output
    }

    /// Compresses the next chunk of input, handing each piece of output to `sink`.
    public func write(_ input: Data, to sink: (Data) throws -> Void) throws {
        try feed(input, finish: false, sink: sink)
    }

    /// Compresses the last chunk of input and ends the stream, handing each piece of output to `sink`.
    public func finish(_ input: Data = Data(), to sink: (Data) throws -> Void) throws {
        try feed(input, finish: true, sink: sink)
    }

    private func feed(_ input: Data, finish: Bool, sink: (Data) throws -> Void) throws {
        guard !isFinished else { throw DeflateError.streamFinished }
        var offset = input.startIndex
        repeat {
            let end = input.index(offset, offsetBy: min(Self.sliceSize, input.endIndex - offset))
            let isLast = finish && end == input.endIndex
            let status = input[offset..<end].withUnsafeBytes { raw -> Int32 in
                cdeflate_write(handle, raw.bindMemory(to: UInt8.self).baseAddress, raw.count, isLast ? 1 : 0)
            }
            guard status == Int32(CDEFLATE_OK) else {
                throw status == Int32(CDEFLATE_ERR_FINISHED) ? DeflateError.streamFinished
                    : DeflateError.outOfMemory
            }
            let count = cdeflate_output_length(handle)
            if count > 0, let bytes = cdeflate_output(handle) {
                try sink(Data(bytes: bytes, count: count))
                cdeflate_output_clear(handle)
            }
            offset = end
        } while offset < input.endIndex
        if finish { isFinished = true }
    }
}

/// One-shot raw deflate.
public enum Deflate {
    /// Compresses `data` to a raw deflate stream, byte-identical to zlib's
    /// `deflateInit2(level, Z_DEFLATED, -15, memLevel, Z_DEFAULT_STRATEGY)` + `deflate(Z_FINISH)`
    /// in the zlib build named by `parameters.mode` (Node's `zlib.deflateRawSync(data, {level, memLevel})`
    /// for the Chromium modes).
    public static func compress(_ data: Data, parameters: DeflateParameters) throws -> Data {
        try DeflateStream(parameters: parameters).finish(data)
    }
}
