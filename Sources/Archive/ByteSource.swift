import Foundation

/// Where compressed tarball bytes come from: a file, an in-memory buffer, or a sequence of chunks.
///
/// Readers pull from it in bounded pieces, so memory stays bounded whatever the input size.
public enum TarballInput: Sendable {
    /// A file on disk (read in 64 KiB pieces).
    case file(URL)
    /// Bytes in memory.
    case data(Data)

    /// A short name of the input for messages: the file path, or `<data: N bytes>`.
    public var displayName: String {
        switch self {
        case .file(let url): return url.path
        case .data(let data): return "<data: \(data.count) bytes>"
        }
    }
}

/// A pull source of bytes. `read` returns up to `maxCount` bytes, or an empty array at the end of input.
protocol ByteSource {
    mutating func read(maxCount: Int) throws(ArchiveError) -> ArraySlice<UInt8>
    /// The name used in messages.
    var displayName: String { get }
}

/// Reads a file through a POSIX descriptor.
final class FileByteSource: ByteSource {
    let displayName: String
    private let fd: Int32
    private var buffer: [UInt8]

    init(url: URL) throws(ArchiveError) {
        displayName = url.path
        fd = open(url.path, O_RDONLY)
        buffer = []
        guard fd >= 0 else {
            throw ArchiveError(code: .unreadableInput, input: url.path,
                               message: "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func read(maxCount: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        if buffer.count < maxCount { buffer = [UInt8](repeating: 0, count: maxCount) }
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, maxCount) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError(code: .unreadableInput, input: displayName,
                                   message: "cannot read \(displayName): \(String(cString: strerror(errno)))")
            }
            return buffer[0..<n]
        }
    }
}

/// Reads from an in-memory buffer.
struct DataByteSource: ByteSource {
    let displayName: String
    private let data: [UInt8]
    private var position = 0

    init(data: Data, displayName: String? = nil) {
        self.data = [UInt8](data)
        self.displayName = displayName ?? "<data: \(data.count) bytes>"
    }

    mutating func read(maxCount: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        let end = min(data.count, position + maxCount)
        defer { position = end }
        return data[position..<end]
    }
}

/// Reads from a sequence of chunks (e.g. pieces of a download).
struct ChunkByteSource: ByteSource {
    let displayName: String
    private var iterator: AnyIterator<Data>
    private var pending: [UInt8] = []
    private var pendingStart = 0

    init<S: Sequence>(chunks: S, displayName: String) where S.Element == Data {
        iterator = AnyIterator(chunks.makeIterator())
        self.displayName = displayName
    }

    mutating func read(maxCount: Int) throws(ArchiveError) -> ArraySlice<UInt8> {
        while pendingStart >= pending.count {
            guard let next = iterator.next() else { return [] }
            pending = [UInt8](next)
            pendingStart = 0
        }
        let end = min(pending.count, pendingStart + maxCount)
        defer { pendingStart = end }
        return pending[pendingStart..<end]
    }
}
