/// Field parsing for 512-byte tar headers (POSIX ustar, GNU, v7).
enum TarField {
    enum Number: Equatable {
        case empty
        case value(Int64)
        case invalid
    }

    /// Parses a numeric field: octal digits (leading spaces allowed, terminated by NUL or space), or GNU base-256
    /// (first byte 0x80). All-NUL or all-space fields are `.empty`.
    static func number(_ h: [UInt8], _ offset: Int, _ length: Int) -> Number {
        let field = h[offset..<offset + length]
        if field.allSatisfy({ $0 == 0 || $0 == 0x20 }) { return .empty }
        let first = field.first!
        if first & 0x80 != 0 {
            guard first == 0x80 else { return .invalid }  // negative base-256
            var value: Int64 = 0
            for byte in field.dropFirst() {
                guard value <= (Int64.max >> 8) else { return .invalid }
                value = value << 8 | Int64(byte)
            }
            return .value(value)
        }
        var i = field.startIndex
        while i < field.endIndex, field[i] == 0x20 { i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < field.endIndex, field[i] >= 0x30, field[i] <= 0x37 {
            guard value <= (Int64.max >> 3) else { return .invalid }
            value = value << 3 | Int64(field[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return .invalid }
        while i < field.endIndex {
            guard field[i] == 0 || field[i] == 0x20 else { return .invalid }
            i += 1
        }
        return .value(value)
    }

    /// A NUL-terminated string field, decoded as UTF-8 (invalid bytes replaced).
    static func string(_ h: [UInt8], _ offset: Int, _ length: Int) -> String {
        String(decoding: bytes(h, offset, length), as: UTF8.self)
    }

    /// The bytes of a NUL-terminated field, without the terminator and padding.
    static func bytes(_ h: [UInt8], _ offset: Int, _ length: Int) -> ArraySlice<UInt8> {
        let field = h[offset..<offset + length]
        if let nul = field.firstIndex(of: 0) { return field[offset..<nul] }
        return field
    }

    /// The header checksum: the sum of all bytes with the checksum field counted as spaces (unsigned), and the
    /// historical signed-char variant.
    static func checksums(_ h: [UInt8]) -> (unsigned: Int64, signed: Int64) {
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, byte) in h.enumerated() {
            let b = (148..<156).contains(i) ? UInt8(0x20) : byte
            unsigned += Int64(b)
            signed += Int64(Int8(bitPattern: b))
        }
        return (unsigned, signed)
    }

    /// Whether `h` is a header whose stored checksum matches (unsigned or signed).
    static func hasValidChecksum(_ h: [UInt8]) -> Bool {
        guard case .value(let stored) = number(h, 148, 8) else { return false }
        let sums = checksums(h)
        return stored == sums.unsigned || stored == sums.signed
    }

    enum PaxParse {
        case records([PaxRecord])
        case malformed(String, [PaxRecord])
    }

    /// Parses a PAX extended header body: `"<len> <key>=<value>\n"` records with self-inclusive decimal lengths.
    static func paxRecords(_ body: [UInt8]) -> PaxParse {
        var records: [PaxRecord] = []
        var pos = 0
        while pos < body.count {
            if body[pos] == 0 {  // NUL padding after the last record
                if body[pos...].allSatisfy({ $0 == 0 }) { break }
                return .malformed("NUL byte inside the records at body offset \(pos)", records)
            }
            var length = 0
            var i = pos
            while i < body.count, body[i] >= 0x30, body[i] <= 0x39, i - pos < 20 {
                length = length * 10 + Int(body[i] - 0x30)
                i += 1
            }
            guard i > pos, i < body.count, body[i] == 0x20 else {
                return .malformed("record at body offset \(pos) does not start with '<length> '", records)
            }
            guard length > i - pos + 1, pos + length <= body.count, body[pos + length - 1] == 0x0a else {
                return .malformed("record at body offset \(pos) has a bad length \(length)", records)
            }
            let record = body[(i + 1)..<(pos + length - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")), eq > record.startIndex else {
                return .malformed("record at body offset \(pos) has no 'key='", records)
            }
            records.append(PaxRecord(key: String(decoding: record[record.startIndex..<eq], as: UTF8.self),
                                     value: String(decoding: record[(eq + 1)...], as: UTF8.self)))
            pos += length
        }
        return .records(records)
    }
}
