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

/// How node-tar (the tar reader npm 10 and 11 install packages with: node-tar 6.x and 7.x) reads header fields.
/// provcheck reports npm's reading and compares it with the POSIX reading (``TarField``); where they differ the
/// header gets an `npm-reads-differently` error.
enum NodeTarField {
    /// The characters JavaScript's `.` does not match (line terminators).
    private static func isLineTerminator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// JavaScript `buf.toString('utf8').replace(/\0.*/, '')`: the first NUL and the characters after it up to the
    /// next line terminator are removed (not the rest of the field: a NUL, a newline and more bytes keep the bytes).
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        let scalars = text.unicodeScalars
        guard let nul = scalars.firstIndex(of: "\0") else { return text }
        var end = scalars.index(after: nul)
        while end < scalars.endIndex, !isLineTerminator(scalars[end]) { end = scalars.index(after: end) }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[scalars.startIndex..<nul])
        result.append(contentsOf: scalars[end...])
        return String(result)
    }

    /// The string field at `offset` of a header, read as node-tar does.
    static func string(_ h: [UInt8], _ offset: Int, _ length: Int) -> String {
        string(h[offset..<offset + length])
    }

    /// A numeric field as node-tar reads it.
    enum Number: Equatable {
        /// Empty or unparseable (JavaScript `null`).
        case null
        /// A value.
        case value(Double)
        /// node-tar throws: the whole header is skipped ("TAR_ENTRY_INVALID").
        case rejected
    }

    /// node-tar's `decNumber`: base-256 when the first byte has the high bit (0x80 positive, 0xff negative, else an
    /// error; an error beyond 2^53 too), otherwise `parseInt(text.replace(/\0.*$/, '').trim(), 8)`.
    static func number(_ h: [UInt8], _ offset: Int, _ length: Int) -> Number {
        let field = h[offset..<offset + length]
        let first = field.first!
        if first & 0x80 != 0 {
            guard first == 0x80 || first == 0xff else { return .rejected }
            var value = 0.0
            if first == 0x80 {
                for byte in field.dropFirst() { value = value * 256 + Double(byte) }
            } else {
                // Two's complement negative number.
                var magnitude = 0.0
                for byte in field { magnitude = magnitude * 256 + Double(0xff ^ byte) }
                value = -(magnitude + 1)
            }
            guard abs(value) <= 9_007_199_254_740_991 else { return .rejected }
            return .value(value)
        }
        // Remove from the first NUL after which no line terminator follows, to the end.
        var scalars = Array(String(decoding: field, as: UTF8.self).unicodeScalars)
        var lastTerminator = -1
        for (i, s) in scalars.enumerated() where isLineTerminator(s) { lastTerminator = i }
        if let cut = scalars.indices.first(where: { scalars[$0] == "\0" && $0 > lastTerminator }) {
            scalars.removeSubrange(cut...)
        }
        // trim(), then parseInt(…, 8): optional sign, octal digits.
        while let f = scalars.first, isJSWhitespace(f) { scalars.removeFirst() }
        var i = 0
        var negative = false
        if i < scalars.count, scalars[i] == "+" || scalars[i] == "-" {
            negative = scalars[i] == "-"
            i += 1
        }
        var value = 0.0
        var digits = 0
        while i < scalars.count, ("0"..."7").contains(scalars[i]) {
            value = value * 8 + Double(scalars[i].value - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return .null }
        return .value(negative ? -value : value)
    }

    /// JavaScript `String.prototype.trim` / `parseInt` white space.
    static func isJSWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0d, 0x20, 0xa0, 0x1680, 0x2000...0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff: true
        default: false
        }
    }

    /// node-tar's checksum reading: the 12 bytes at 148 (into the type flag and link name) as a number, compared
    /// with the unsigned sum only.
    static func checksumValid(_ h: [UInt8]) -> Bool {
        guard case .value(let stored) = number(h, 148, 12) else { return false }
        return stored == Double(TarField.checksums(h).unsigned)
    }

    /// node-tar's reading of a PAX body (`Pax.parse`): lines split at `\n`, a record kept only when its decimal
    /// length equals the line's UTF-8 length + 1, `SCHILY.dev/ino/nlink` renamed; later records win.
    /// Values are returned as node-tar keeps them: all-digit values become numbers (`"007"` → `7`), and a value
    /// that is empty or zero is dropped (node-tar's `|| null`) for the keys it keeps.
    static func paxRecords(_ body: [UInt8]) -> [String: String] {
        var set: [String: String] = [:]
        // Split on "\n" by scalars (a Swift Character may join "\r\n"); one trailing "\n" is removed first.
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var scalars = String(decoding: body, as: UTF8.self).unicodeScalars[...]
        if scalars.last == "\n" { scalars = scalars.dropLast() }
        for s in scalars {
            if s == "\n" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(s)
            }
        }
        lines.append(String(current))
        for line in lines {
            // parseInt(line, 10)
            let us = Array(line.unicodeScalars)
            var i = 0
            while i < us.count, isJSWhitespace(us[i]) { i += 1 }
            var negative = false
            if i < us.count, us[i] == "+" || us[i] == "-" {
                negative = us[i] == "-"
                i += 1
            }
            var n = 0
            var digits = 0
            while i < us.count, ("0"..."9").contains(us[i]), digits < 18 {
                n = n * 10 + Int(us[i].value - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0, !negative, n == line.utf8.count + 1 else { continue }
            let drop = String(n).utf16.count + 1
            let utf16 = Array(line.utf16)
            guard drop <= utf16.count else { continue }
            let rest = String(decoding: utf16[drop...], as: UTF16.self)
            guard let eq = rest.unicodeScalars.firstIndex(of: "=") else {
                // kv.shift() is the whole line: a key without value ("" after join) when non-empty.
                if !rest.isEmpty { set[rename(rest)] = "" }
                continue
            }
            let key = rename(String(rest.unicodeScalars[rest.unicodeScalars.startIndex..<eq]))
            guard !key.isEmpty else { continue }
            set[key] = String(rest.unicodeScalars[rest.unicodeScalars.index(after: eq)...])
        }
        var kept: [String: String] = [:]
        for (key, value) in set {
            var v = value
            if !v.isEmpty, v.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
                // +v: a number, printed back without leading zeros ("0" and "000" are 0: dropped below).
                let trimmed = v.drop { $0 == "0" }
                v = trimmed.isEmpty ? "0" : String(trimmed)
            }
            let dropped = v.isEmpty || v == "0"
            kept[key] = dropped ? nil : v
        }
        return kept
    }

    private static func rename(_ key: String) -> String {
        for name in ["dev", "ino", "nlink"] where key.hasPrefix("SCHILY." + name) {
            return name + key.dropFirst(("SCHILY." + name).count)
        }
        return key
    }
}
