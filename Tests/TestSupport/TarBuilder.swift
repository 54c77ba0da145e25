import CZlib
import Foundation

/// Builds tar and gzip bytes for tests (Archive and Compare suites), including deliberately broken ones.
package struct TarBuilder {
    package struct Header {
        package var name: String
        package var mode: UInt32 = 0o644
        package var uid: String? = nil  // raw octal text; nil = all NUL (node-tar portable)
        package var gid: String? = nil
        package var size: Int? = nil  // defaults to content length
        package var mtime: UInt64 = 499_162_500
        package var typeflag: UInt8 = UInt8(ascii: "0")
        package var linkname: String = ""
        package var magic: [UInt8] = Array("ustar\0".utf8) + Array("00".utf8)
        package var uname: String = ""
        package var gname: String = ""
        package var prefix: String = ""
        package var checksumDelta: Int = 0
        package var modeField: String? = nil  // raw override

        package init(name: String, mode: UInt32 = 0o644, uid: String? = nil, gid: String? = nil, size: Int? = nil,
                     mtime: UInt64 = 499_162_500, typeflag: UInt8 = UInt8(ascii: "0"), linkname: String = "",
                     magic: [UInt8] = Array("ustar\0".utf8) + Array("00".utf8), uname: String = "", gname: String = "",
                     prefix: String = "", checksumDelta: Int = 0, modeField: String? = nil) {
            self.name = name; self.mode = mode; self.uid = uid; self.gid = gid; self.size = size; self.mtime = mtime
            self.typeflag = typeflag; self.linkname = linkname; self.magic = magic; self.uname = uname; self.gname = gname
            self.prefix = prefix; self.checksumDelta = checksumDelta; self.modeField = modeField
        }
    }

    package private(set) var bytes: [UInt8] = []

    package init() {}

    package static func header(_ h: Header, contentCount: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ s: [UInt8], _ offset: Int, _ length: Int) {
            for (i, b) in s.prefix(length).enumerated() { block[offset + i] = b }
        }
        func octal(_ value: UInt64, _ width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 2 - digits.count)) + digits + " ").utf8) + [0]
        }
        put(Array(h.name.utf8), 0, 100)
        put(h.modeField.map { Array($0.utf8) } ?? octal(UInt64(h.mode), 8), 100, 8)
        if let uid = h.uid { put(Array(uid.utf8), 108, 8) }
        if let gid = h.gid { put(Array(gid.utf8), 116, 8) }
        put(octal(UInt64(h.size ?? contentCount), 12), 124, 12)
        put(octal(h.mtime, 12), 136, 12)
        block[156] = h.typeflag
        put(Array(h.linkname.utf8), 157, 100)
        put(h.magic, 257, 8)
        put(Array(h.uname.utf8), 265, 32)
        put(Array(h.gname.utf8), 297, 32)
        put(octal(0, 8), 329, 8)
        put(octal(0, 8), 337, 8)
        put(Array(h.prefix.utf8), 345, 155)
        for i in 148..<156 { block[i] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) } + h.checksumDelta
        let text = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: 6 - text.count) + text).utf8) + [0, 0x20], 148, 8)
        return block
    }

    /// `block` with its checksum field recomputed (after a test edited raw header bytes).
    package static func rechecksummed(_ block: [UInt8]) -> [UInt8] {
        var block = block
        for i in 148..<156 { block[i] = 0x20 }
        let text = String(block.reduce(0) { $0 + Int($1) }, radix: 8)
        let field = Array((String(repeating: "0", count: max(0, 6 - text.count)) + text).utf8) + [0, 0x20]
        for (i, b) in field.enumerated() { block[148 + i] = b }
        return block
    }

    package static func padded(_ content: [UInt8]) -> [UInt8] {
        content + [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    package mutating func file(_ name: String, _ content: String = "", mode: UInt32 = 0o644) {
        entry(Header(name: name, mode: mode), Array(content.utf8))
    }

    package mutating func entry(_ header: Header, _ content: [UInt8] = []) {
        bytes += Self.header(header, contentCount: content.count)
        bytes += Self.padded(content)
    }

    package static func paxBody(_ records: [(String, String)]) -> [UInt8] {
        var body: [UInt8] = []
        for (key, value) in records {
            let payload = " \(key)=\(value)\n"
            var length = payload.utf8.count + 1
            while String(length).count + payload.utf8.count != length { length += 1 }
            body += Array("\(length)\(payload)".utf8)
        }
        return body
    }

    package mutating func pax(_ records: [(String, String)], global: Bool = false) {
        let body = Self.paxBody(records)
        entry(Header(name: "PaxHeader/x", typeflag: UInt8(ascii: global ? "g" : "x")), body)
    }

    package mutating func gnuLongName(_ name: String) {
        let body = Array(name.utf8) + [0]
        entry(Header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), magic: Array("ustar  \0".utf8)), body)
    }

    package mutating func end(blocks: Int = 2) {
        bytes += [UInt8](repeating: 0, count: 512 * blocks)
    }

    package mutating func raw(_ more: [UInt8]) { bytes += more }

    /// The hostile archives of issue 17 item 2, shared by the Archive and CLI regression tests.
    package enum NodeTarHostile {
        /// `package/index.js`, then a second `index.js` whose ustar prefix starts with NUL but has a non-zero byte 475:
        /// node-tar reads all 155 prefix bytes ("") and joins them with "/": `/index.js`, which npm installs over the
        /// package's `index.js`.
        package static var prefixWithLeadingNUL: Data {
            var tar = TarBuilder()
            tar.file("package/package.json", #"{"name":"hostile","version":"1.0.0"}"#)
            tar.file("package/index.js", "module.exports = 'good'\n")
            let evil = Array("module.exports = 'evil'".utf8)
            var block = TarBuilder.header(Header(name: "index.js"), contentCount: evil.count)
            block[345 + 130] = UInt8(ascii: "A")  // byte 475
            tar.raw(rechecksummed(block))
            tar.raw(padded(evil))
            tar.end()
            return tar.data
        }

        /// A PAX `path` followed by a GNU `L` long name before one entry: node-tar uses the last (the GNU name),
        /// POSIX readers the PAX path.
        package static var paxThenGNULongName: Data {
            var tar = TarBuilder()
            tar.file("package/package.json", #"{"name":"hostile","version":"1.0.0"}"#)
            tar.file("package/index.js", "module.exports = 'good'\n")
            tar.pax([("path", "package/harmless.js")])
            tar.gnuLongName("package/index.js")
            tar.file("package/placeholder.js", "module.exports = 'evil'\n")
            tar.end()
            return tar.data
        }
    }

    package var data: Data { Data(bytes) }
}

package enum GzipBuilder {
    /// Raw deflate of `data` with stock zlib.
    package static func deflateRaw(_ data: [UInt8], level: Int32 = 9, memLevel: Int32 = 8) -> [UInt8] {
        var stream = z_stream()
        precondition(deflateInit2_(&stream, level, Z_DEFLATED, -15, memLevel, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf -> Int in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuf.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    package static func crc(_ data: [UInt8]) -> UInt32 {
        UInt32(data.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
    }

    package static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }

    /// One gzip member with a chosen header.
    package static func member(_ data: [UInt8], flg: UInt8 = 0, mtime: UInt32 = 0, xfl: UInt8 = 2, os: UInt8 = 255,
                       name: String? = nil, comment: String? = nil, extra: [UInt8]? = nil, level: Int32 = 9,
                       memLevel: Int32 = 8, crcDelta: UInt32 = 0) -> [UInt8] {
        var flags = flg
        if name != nil { flags |= 0x08 }
        if comment != nil { flags |= 0x10 }
        if extra != nil { flags |= 0x04 }
        var out: [UInt8] = [0x1f, 0x8b, 8, flags] + le32(mtime) + [xfl, os]
        if let extra { out += [UInt8(extra.count & 0xff), UInt8(extra.count >> 8)] + extra }
        if let name { out += Array(name.utf8) + [0] }
        if let comment { out += Array(comment.utf8) + [0] }
        out += deflateRaw(data, level: level, memLevel: memLevel)
        out += le32(crc(data) &+ crcDelta) + le32(UInt32(truncatingIfNeeded: data.count))
        return out
    }

    package static func gzip(_ data: Data, os: UInt8 = 255) -> Data { Data(member(Array(data), os: os)) }
}

extension GzipBuilder {
    /// Decompresses a (single- or multi-member) gzip with zlib.
    package static func gunzip(_ data: Data) -> [UInt8] {
        var stream = z_stream()
        precondition(inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        var input = [UInt8](data)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            var status: Int32 = Z_OK
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuf -> Int in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                output += chunk[0..<produced]
            } while status == Z_OK
            precondition(status == Z_STREAM_END, "gunzip failed: \(status)")
        }
        return output
    }
}
