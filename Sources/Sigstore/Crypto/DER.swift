import Foundation

/// A minimal, strict DER reader used by the certificate, key and SCT parsers.
///
/// Only definite lengths in minimal form are accepted, as DER requires; anything
/// else throws ``DERError``.
struct DERNode: Sendable {
    /// The full identifier octet (class, constructed bit and tag number < 31).
    let identifier: UInt8
    /// The contents octets.
    let content: ArraySlice<UInt8>
    /// The whole TLV encoding.
    let encoded: ArraySlice<UInt8>

    var isConstructed: Bool { identifier & 0x20 != 0 }
    var tagClass: UInt8 { identifier >> 6 }
    var tagNumber: UInt8 { identifier & 0x1f }

    /// The children of a constructed node.
    func children() throws -> [DERNode] {
        guard isConstructed else { throw DERError("expected a constructed element, found tag 0x\(String(identifier, radix: 16))") }
        var reader = DERReader(content)
        var result: [DERNode] = []
        while !reader.isAtEnd { result.append(try reader.read()) }
        return result
    }

    /// Decodes an OBJECT IDENTIFIER node into dotted form.
    func objectIdentifier() throws -> String {
        guard identifier == DERTag.objectIdentifier else { throw DERError("expected an OBJECT IDENTIFIER") }
        return try DER.decodeOID(content)
    }

    /// Decodes a string node (UTF8String, PrintableString, IA5String, T61String, BMPString, UniversalString, VisibleString, NumericString).
    func string() throws -> String {
        switch identifier {
        case 0x0c, 0x13, 0x16, 0x12, 0x1a, 0x14:
            guard let s = String(bytes: content, encoding: identifier == 0x0c ? .utf8 : .isoLatin1) else {
                throw DERError("invalid string encoding")
            }
            return s
        case 0x1e:
            guard let s = String(bytes: content, encoding: .utf16BigEndian) else { throw DERError("invalid BMPString") }
            return s
        case 0x1c:
            guard let s = String(bytes: content, encoding: .utf32BigEndian) else { throw DERError("invalid UniversalString") }
            return s
        default:
            throw DERError("expected a string, found tag 0x\(String(identifier, radix: 16))")
        }
    }

    /// Decodes a BOOLEAN.
    func boolean() throws -> Bool {
        guard identifier == DERTag.boolean, content.count == 1 else { throw DERError("expected a BOOLEAN") }
        return content.first! != 0
    }

    /// Decodes a small non-negative INTEGER.
    func smallInteger() throws -> Int {
        guard identifier == DERTag.integer, !content.isEmpty, content.count <= 8 else { throw DERError("expected a small INTEGER") }
        guard content.first! & 0x80 == 0 else { throw DERError("negative INTEGER") }
        return content.reduce(0) { ($0 << 8) | Int($1) }
    }

    /// Decodes a BIT STRING, returning its bytes (the unused-bits octet removed) and the unused-bit count.
    func bitString() throws -> (bytes: ArraySlice<UInt8>, unusedBits: Int) {
        guard identifier == DERTag.bitString, let first = content.first, first < 8 else { throw DERError("expected a BIT STRING") }
        return (content.dropFirst(), Int(first))
    }
}

enum DERTag {
    static let boolean: UInt8 = 0x01
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let octetString: UInt8 = 0x04
    static let null: UInt8 = 0x05
    static let objectIdentifier: UInt8 = 0x06
    static let utf8String: UInt8 = 0x0c
    static let utcTime: UInt8 = 0x17
    static let generalizedTime: UInt8 = 0x18
    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31
}

/// A DER decoding failure.
struct DERError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct DERReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    var isAtEnd: Bool { bytes.isEmpty }

    /// Peeks at the next identifier octet.
    var nextIdentifier: UInt8? { bytes.first }

    mutating func read() throws -> DERNode {
        let original = bytes
        guard let identifier = bytes.popFirst() else { throw DERError("unexpected end of data") }
        guard identifier & 0x1f != 0x1f else { throw DERError("high tag numbers are not supported") }
        guard let first = bytes.popFirst() else { throw DERError("missing length") }
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7f)
            guard count > 0, count <= 4 else { throw DERError("unsupported length form") }
            guard bytes.count >= count else { throw DERError("truncated length") }
            for _ in 0..<count { length = (length << 8) | Int(bytes.popFirst()!) }
            guard length >= 0x80, (count == 1 || length >= 1 << (8 * (count - 1))) else {
                throw DERError("non-minimal length encoding")
            }
        }
        guard bytes.count >= length else { throw DERError("truncated element (need \(length) bytes, have \(bytes.count))") }
        let content = bytes.prefix(length)
        bytes = bytes.dropFirst(length)
        return DERNode(identifier: identifier, content: content, encoded: original[original.startIndex..<content.endIndex])
    }

    /// Reads the next element only when its identifier equals `identifier`.
    mutating func readOptional(_ identifier: UInt8) throws -> DERNode? {
        guard nextIdentifier == identifier else { return nil }
        return try read()
    }
}

enum DER {
    /// Parses exactly one element spanning all of `bytes`.
    static func parse(_ bytes: [UInt8]) throws -> DERNode {
        try parse(bytes[...])
    }

    static func parse(_ bytes: ArraySlice<UInt8>) throws -> DERNode {
        var reader = DERReader(bytes)
        let node = try reader.read()
        guard reader.isAtEnd else { throw DERError("trailing data after the DER element") }
        return node
    }

    static func decodeOID(_ content: ArraySlice<UInt8>) throws -> String {
        guard !content.isEmpty, content.last! & 0x80 == 0 else { throw DERError("invalid OBJECT IDENTIFIER") }
        var arcs: [UInt64] = []
        var value: UInt64 = 0
        var fresh = true
        for byte in content {
            if fresh && byte == 0x80 { throw DERError("non-minimal OBJECT IDENTIFIER arc") }
            guard value <= (UInt64.max >> 7) else { throw DERError("OBJECT IDENTIFIER arc too large") }
            value = (value << 7) | UInt64(byte & 0x7f)
            fresh = false
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
                fresh = true
            }
        }
        let first = arcs.removeFirst()
        let head: [UInt64] = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
        return (head + arcs).map(String.init).joined(separator: ".")
    }

    static func encodeOID(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        precondition(arcs.count >= 2, "invalid OID \(dotted)")
        var body: [UInt8] = []
        for arc in [arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7f)]
            var rest = arc >> 7
            while rest > 0 {
                chunk.insert(UInt8(rest & 0x7f) | 0x80, at: 0)
                rest >>= 7
            }
            body += chunk
        }
        return tlv(DERTag.objectIdentifier, body)
    }

    static func tlv(_ identifier: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [identifier]
        let n = content.count
        if n < 0x80 {
            out.append(UInt8(n))
        } else {
            var lengthBytes: [UInt8] = []
            var rest = n
            while rest > 0 {
                lengthBytes.insert(UInt8(rest & 0xff), at: 0)
                rest >>= 8
            }
            out.append(0x80 | UInt8(lengthBytes.count))
            out += lengthBytes
        }
        return out + content
    }

    /// Decodes a UTCTime or GeneralizedTime node (UTC, "Z" suffix, optional fractional seconds).
    static func decodeTime(_ node: DERNode) throws -> Date {
        guard let text = String(bytes: node.content, encoding: .ascii), text.hasSuffix("Z") else {
            throw DERError("time must be ASCII and end in Z")
        }
        let digits = Array(text.dropLast())
        func number(_ range: Range<Int>) throws -> Int {
            guard range.upperBound <= digits.count, let v = Int(String(digits[range])) else { throw DERError("malformed time \(text)") }
            return v
        }
        var year: Int
        var offset: Int
        switch node.identifier {
        case DERTag.utcTime:
            guard digits.count == 12 else { throw DERError("malformed UTCTime \(text)") }
            let yy = try number(0..<2)
            year = yy >= 50 ? 1900 + yy : 2000 + yy
            offset = 2
        case DERTag.generalizedTime:
            guard digits.count >= 14 else { throw DERError("malformed GeneralizedTime \(text)") }
            year = try number(0..<4)
            offset = 4
        default:
            throw DERError("expected a UTCTime or GeneralizedTime")
        }
        let month = try number(offset..<offset + 2)
        let day = try number(offset + 2..<offset + 4)
        let hour = try number(offset + 4..<offset + 6)
        let minute = try number(offset + 6..<offset + 8)
        let second = try number(offset + 8..<offset + 10)
        var fraction = 0.0
        if digits.count > offset + 10 {
            guard digits[offset + 10] == ".", let f = Double("0" + String(digits[(offset + 10)...])) else {
                throw DERError("malformed time \(text)")
            }
            fraction = f
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw DERError("time out of range \(text)")
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
