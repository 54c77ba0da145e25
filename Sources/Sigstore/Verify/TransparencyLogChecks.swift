import Foundation

/// RFC 8785-style canonical JSON as Rekor signs it for signed entry timestamps.
enum RekorCanonicalJSON {
    /// `{"body":"…","integratedTime":N,"logID":"hex","logIndex":N}` (keys sorted, no whitespace).
    static func signedEntryTimestampPayload(entry: TransparencyLogEntry) -> Data {
        let body = entry.canonicalizedBody.base64EncodedString()
        let text = "{\"body\":\(quote(body)),\"integratedTime\":\(entry.integratedTime),"
            + "\"logID\":\(quote(Hex.encode(entry.logID))),\"logIndex\":\(entry.logIndex)}"
        return Data(text.utf8)
    }

    /// A JSON string literal with RFC 8785 escaping.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// RFC 6962 / RFC 9162 Merkle inclusion proofs.
enum MerkleInclusion {
    static func leafHash(_ leaf: Data) -> Data { SHA2.sha256(Data([0]) + leaf) }
    static func nodeHash(_ left: Data, _ right: Data) -> Data { SHA2.sha256(Data([1]) + left + right) }

    /// The root the proof leads to, or nil if the proof has the wrong shape for (index, size).
    static func root(leafHash: Data, index: Int64, treeSize: Int64, proof: [Data]) -> Data? {
        guard index >= 0, index < treeSize else { return nil }
        let index = UInt64(index)
        let last = UInt64(treeSize - 1)
        let inner = (index ^ last) == 0 ? 0 : 64 - (index ^ last).leadingZeroBitCount
        let border = (index >> UInt64(inner)).nonzeroBitCount
        guard proof.count == inner + border, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var hash = leafHash
        for i in 0..<inner {
            hash = (index >> UInt64(i)) & 1 == 1 ? nodeHash(proof[i], hash) : nodeHash(hash, proof[i])
        }
        for sibling in proof[inner...] { hash = nodeHash(sibling, hash) }
        return hash
    }
}

/// A transparency-dev signed note checkpoint: `origin\nsize\nroot\n[extra…]\n\n— name base64(hint‖sig)\n…`.
struct Checkpoint {
    struct SignatureLine {
        let name: String
        let keyHint: Data
        let signature: Data
    }

    let origin: String
    let treeSize: Int64
    let rootHash: Data
    /// The signed note text (up to and including the newline before the blank line).
    let note: Data
    let signatures: [SignatureLine]

    /// Parses an envelope; returns a message describing the first problem, or the checkpoint.
    struct Problem: Error { let text: String }

    static func parse(_ envelope: String) -> Result<Checkpoint, Problem> {
        guard let separator = envelope.range(of: "\n\n") else { return .failure(Problem(text: "no blank line between note and signatures")) }
        let noteText = String(envelope[..<separator.lowerBound]) + "\n"
        let signatureText = String(envelope[separator.upperBound...])
        let lines = noteText.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { return .failure(Problem(text: "the note has \(lines.count) lines, expected origin, size and root hash")) }
        let origin = lines[0]
        guard !origin.isEmpty else { return .failure(Problem(text: "the origin line is empty")) }
        guard lines[1].allSatisfy({ $0.isASCII && $0.isNumber }), let size = Int64(lines[1]) else {
            return .failure(Problem(text: "the tree size line '\(lines[1])' is not a decimal number"))
        }
        guard let root = Data(base64Encoded: lines[2]), root.count == 32 else {
            return .failure(Problem(text: "the root hash line '\(lines[2])' is not a base64 SHA-256 hash"))
        }
        var signatures: [SignatureLine] = []
        for line in signatureText.split(separator: "\n", omittingEmptySubsequences: true) {
            guard line.hasPrefix("\u{2014} ") else { return .failure(Problem(text: "signature line does not start with an em dash: '\(line)'")) }
            let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let blob = Data(base64Encoded: String(parts[1])), blob.count > 4 else {
                return .failure(Problem(text: "malformed signature line '\(line)'"))
            }
            signatures.append(SignatureLine(name: String(parts[0]), keyHint: Data(blob.prefix(4)), signature: Data(blob.dropFirst(4))))
        }
        guard !signatures.isEmpty else { return .failure(Problem(text: "no signature lines")) }
        return .success(Checkpoint(origin: origin, treeSize: size, rootHash: root, note: Data(noteText.utf8), signatures: signatures))
    }
}
