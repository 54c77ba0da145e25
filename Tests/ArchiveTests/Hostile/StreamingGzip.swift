import CZlib
import Foundation

/// Incremental gzip compression for hostile-input generators: feed bytes, collect compressed chunks, so tests can
/// offer gigabytes lazily and stop as soon as the reader stops pulling.
final class StreamingGzip {
    private var stream = z_stream()
    private var finished = false

    init(level: Int32 = 1) {
        precondition(deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input` (and finishes the stream when `finish`), returning the compressed bytes produced.
    func compress(_ input: [UInt8], finish: Bool = false) -> Data {
        precondition(!finished)
        var output = Data()
        var input = input
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            repeat {
                let produced = buffer.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    let status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR)
                    return outBuf.count - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
            } while stream.avail_out == 0 || (finish && stream.avail_in > 0)
        }
        if finish { finished = true }
        return output
    }
}

/// A lazy sequence of gzip chunks: `produce(i)` returns the i-th piece of uncompressed tar (nil = end).
/// Counts how many pieces were pulled so tests can prove a reader stopped early.
final class LazyGzipTar: Sequence, IteratorProtocol {
    private let gzip = StreamingGzip()
    private let produce: (Int) -> [UInt8]?
    private var done = false
    private(set) var piecesPulled = 0
    private(set) var compressedBytes = 0

    init(produce: @escaping (Int) -> [UInt8]?) { self.produce = produce }

    func next() -> Data? {
        while !done {
            let piece = produce(piecesPulled)
            piecesPulled += 1
            let chunk: Data
            if let piece {
                chunk = gzip.compress(piece)
            } else {
                chunk = gzip.compress([], finish: true)
                done = true
            }
            compressedBytes += chunk.count
            if !chunk.isEmpty { return chunk }
        }
        return nil
    }
}
