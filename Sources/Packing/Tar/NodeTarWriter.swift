import Foundation

/// One file to archive, as npm hands it to node-tar.
public struct TarInputFile: Sendable {
    /// The path as given to node-tar (`lib/a.js`, or `./@scope.js` for names starting with `@`).
    public let inputPath: String
    /// Permission bits from the source (git: 0o644/0o755; disk: lstat mode & 0o7777).
    public let mode: UInt32
    /// Size in bytes.
    public let size: UInt64
    /// Where the bytes come from.
    public let content: ContentLocation
}

/// Errors writing the tar stream.
public struct TarWriteError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Writes a tar stream byte-identical to node-tar 6/7 `tar.c({portable: true, prefix: 'package/', mtime: 1985…})`
/// as pacote/npm call it, including pacote's "bin files are executable" filter.
public struct NodeTarWriter {
    /// node-tar's fixed mtime for npm: 1985-10-26T08:15:00Z.
    public static let npmMtime = 499_162_500
    /// The entry name prefix.
    public static let prefix = "package"

    /// Normalized bin targets (the values of the manifest's `bin` map).
    public let binPaths: Set<String>

    /// node-tar 7 (npm 11) writes a PAX `size=0` record for empty files; node-tar 4–6 omit it.
    public let paxRecordsZeroSize: Bool

    public init(binPaths: Set<String>, paxRecordsZeroSize: Bool = false) {
        self.binPaths = binPaths
        self.paxRecordsZeroSize = paxRecordsZeroSize
    }

    /// pacote `isPackageBin`: strip the first path component, compare with the bin values.
    public func isPackageBin(_ inputPath: String) -> Bool {
        guard !binPaths.isEmpty else { return false }
        var stripped = Substring(inputPath)
        if let slash = stripped.firstIndex(where: { $0 == "/" || $0 == "\\" }) {
            stripped = stripped[stripped.index(after: slash)...]
        }
        return binPaths.contains(String(stripped))
    }

    /// node-tar `prefixPath`.
    static func prefixed(_ path: String) -> String {
        var p = Substring(path)
        if p == "." { p = "" } else if p.hasPrefix("./") { p = p.dropFirst(2) }
        return prefix + "/" + p
    }

    /// node-tar `mode-fix` for portable files.
    static func fixMode(_ mode: UInt32) -> UInt32 {
        ((mode & 0o7777) | 0o600) & ~UInt32(0o22)
    }

    /// Writes all files and the end-of-archive marker. `source` streams contents in order.
    public func write(files: [TarInputFile], source: any PackageSource,
                      emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var linkCache: [String: String] = [:]  // "dev:ino" → first prefixed path
        var streamed: [ContentLocation] = []
        var plan: [(header: [UInt8], dataSize: UInt64)] = []
        for file in files {
            var mode = file.mode
            if isPackageBin(file.inputPath) { mode |= 0o111 }
            let path = NodeTarWriter.prefixed(file.inputPath)
            var linkTarget: String?
            if case .disk(_, let device, let inode, let links) = file.content, links > 1 {
                let key = "\(device):\(inode)"
                if let first = linkCache[key] { linkTarget = first } else { linkCache[key] = path }
            }
            let size = linkTarget == nil ? file.size : 0
            var fields = HeaderFields(path: path, mode: NodeTarWriter.fixMode(mode), size: size,
                                      mtime: NodeTarWriter.npmMtime, type: linkTarget == nil ? "0" : "1",
                                      linkpath: linkTarget, uname: nil, gname: nil)
            let (block, needPax) = try encodeHeader(fields)
            var bytes: [UInt8] = []
            if needPax {
                var body = paxRecord("path", path)
                if let linkTarget { body += paxRecord("linkpath", linkTarget) }
                body += paxRecord("mtime", String(NodeTarWriter.npmMtime))
                if size > 0 || paxRecordsZeroSize { body += paxRecord("size", String(size)) }
                let bodyBytes = Array(body.utf8)
                let paxName = String(decoding: Array(("PaxHeader/" + PosixPath.basename(path)).utf16.prefix(99)), as: UTF16.self)
                fields = HeaderFields(path: paxName, mode: 0o644, size: UInt64(bodyBytes.count),
                                      mtime: NodeTarWriter.npmMtime, type: "x", linkpath: "", uname: "", gname: "")
                let (paxBlock, _) = try encodeHeader(fields)
                bytes += paxBlock
                bytes += bodyBytes
                bytes += [UInt8](repeating: 0, count: (512 - bodyBytes.count % 512) % 512)
            }
            bytes += block
            plan.append((bytes, size))
            if size > 0 { streamed.append(file.content) }
        }
        // Emit headers in order; contents are pulled from the source stream as their entries come up.
        var streamedPlan: [Int] = []
        for (index, entry) in plan.enumerated() where entry.dataSize > 0 { streamedPlan.append(index) }
        var nextHeader = 0
        var current = -1
        var written: UInt64 = 0
        let zeros = [UInt8](repeating: 0, count: 512)
        func emitHeaders(through target: Int) throws {
            while nextHeader <= target && nextHeader < plan.count {
                try plan[nextHeader].header.withUnsafeBytes(emit)
                nextHeader += 1
            }
        }
        func finishCurrent() throws {
            guard current >= 0 else { return }
            let expected = plan[streamedPlan[current]].dataSize
            guard written == expected else {
                throw TarWriteError(message: "\(source.label): a file changed while packing (expected \(expected) bytes, read \(written))")
            }
            let pad = Int((512 - expected % 512) % 512)
            if pad > 0 { try zeros.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<pad])) } }
        }
        try source.stream(streamed) { index, chunk in
            if index != current {
                try finishCurrent()
                guard index == current + 1 else {
                    throw TarWriteError(message: "\(source.label): a file changed while packing (no bytes read)")
                }
                current = index
                written = 0
                try emitHeaders(through: streamedPlan[index])
            }
            let expected = plan[streamedPlan[index]].dataSize
            let room = expected > written ? Int(min(UInt64(chunk.count), expected - written)) : 0
            if room > 0 { try emit(UnsafeRawBufferPointer(rebasing: chunk[0..<room])) }
            written += UInt64(chunk.count)
        }
        guard current == streamedPlan.count - 1 else {
            throw TarWriteError(message: "\(source.label): could not read every file's contents")
        }
        try finishCurrent()
        try emitHeaders(through: plan.count - 1)
        let end = [UInt8](repeating: 0, count: 1024)
        try end.withUnsafeBytes(emit)
    }

    struct HeaderFields {
        var path: String
        var mode: UInt32
        var size: UInt64
        var mtime: Int
        var type: Character
        var linkpath: String?
        var uname: String?
        var gname: String?
    }

    /// node-tar `Pax.encodeField`.
    func paxRecord(_ key: String, _ value: String) -> String {
        let body = " \(key)=\(value)\n"
        let byteLength = body.utf8.count
        var digits = Int(floor(log10(Double(byteLength)))) + 1
        if byteLength + digits >= Int(pow(10.0, Double(digits))) { digits += 1 }
        return String(digits + byteLength) + body
    }

    /// node-tar `Header.encode` for the fields npm uses; returns the block and whether PAX is needed.
    func encodeHeader(_ fields: HeaderFields) throws -> ([UInt8], Bool) {
        var block = [UInt8](repeating: 0, count: 512)
        let (name, prefix, splitNeedsPax) = NodeTarWriter.splitPrefix(fields.path, prefixSize: 155)
        var needPax = splitNeedsPax
        needPax = NodeTarWriter.encString(&block, 0, 100, name) || needPax
        needPax = try encNumber(&block, 100, 8, UInt64(fields.mode)) || needPax
        needPax = try encNumber(&block, 124, 12, fields.size) || needPax
        needPax = try encNumber(&block, 136, 12, UInt64(fields.mtime)) || needPax
        block[156] = fields.type.asciiValue!
        if let linkpath = fields.linkpath { needPax = NodeTarWriter.encString(&block, 157, 100, linkpath) || needPax }
        for (offset, byte) in Array("ustar\u{0}00".utf8).enumerated() { block[257 + offset] = byte }
        if let uname = fields.uname { needPax = NodeTarWriter.encString(&block, 265, 32, uname) || needPax }
        if let gname = fields.gname { needPax = NodeTarWriter.encString(&block, 297, 32, gname) || needPax }
        needPax = try encNumber(&block, 329, 8, 0) || needPax
        needPax = try encNumber(&block, 337, 8, 0) || needPax
        needPax = NodeTarWriter.encString(&block, 345, 155, prefix) || needPax
        var sum = 8 * 0x20
        for index in 0..<148 { sum += Int(block[index]) }
        for index in 156..<512 { sum += Int(block[index]) }
        _ = try encNumber(&block, 148, 8, UInt64(sum))
        return (block, needPax)
    }

    private func encNumber(_ block: inout [UInt8], _ offset: Int, _ size: Int, _ number: UInt64) throws -> Bool {
        let maximum: UInt64 = size == 12 ? 0o77777777777 : 0o7777777
        guard number <= maximum else {
            throw TarWriteError(message: "number \(number) does not fit a \(size)-byte tar field (files over 8 GiB are not supported)")
        }
        let digits = String(number, radix: 8)
        let text: String
        if digits.count == size - 1 {
            text = digits + "\u{0}"
        } else {
            text = String(repeating: "0", count: max(0, size - digits.count - 2)) + digits + " \u{0}"
        }
        for (index, byte) in text.utf8.prefix(size).enumerated() { block[offset + index] = byte }
        return false
    }

    /// node-tar `encString`: UTF-8, truncated to `size` bytes at a character boundary; PAX when not ASCII or too long.
    static func encString(_ block: inout [UInt8], _ offset: Int, _ size: Int, _ string: String) -> Bool {
        var written = 0
        for scalar in string.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if written + bytes.count > size { break }
            for byte in bytes {
                block[offset + written] = byte
                written += 1
            }
        }
        let utf16Count = string.utf16.count
        return utf16Count != string.utf8.count || utf16Count > size
    }

    /// node-tar `splitPrefix` → (name, prefix, needPax).
    static func splitPrefix(_ p: String, prefixSize: Int) -> (String, String, Bool) {
        let pathSize = 100
        if p.utf8.count < pathSize { return (p, "", false) }
        var prefix = PosixPath.dirname(p)
        var pp = PosixPath.basename(p)
        let root = "."
        repeat {
            if pp.utf8.count <= pathSize && prefix.utf8.count <= prefixSize {
                return (pp, prefix, false)
            } else if pp.utf8.count > pathSize && prefix.utf8.count <= prefixSize {
                return (jsSlice(pp, pathSize - 1), prefix, true)
            } else {
                pp = PosixPath.normalizeRelative(PosixPath.basename(prefix) + "/" + pp)
                prefix = PosixPath.dirname(prefix)
            }
        } while prefix != root
        return (jsSlice(p, pathSize - 1), "", true)
    }

    static func jsSlice(_ string: String, _ count: Int) -> String {
        String(decoding: Array(string.utf16.prefix(count)), as: UTF16.self)
    }
}
