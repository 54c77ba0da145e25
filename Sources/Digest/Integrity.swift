import Foundation

/// Why an integrity string or shasum was rejected. Every error names the offending input.
public struct IntegrityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem.
    public enum Code: String, Sendable, Hashable, Codable {
        /// The string is empty or only whitespace.
        case empty
        /// A token is not of the form `<algorithm>-<base64 digest>[?options]`.
        case malformedToken
        /// The digest of a known algorithm is not valid base64.
        case invalidBase64
        /// The digest decodes to the wrong number of bytes for its algorithm.
        case wrongDigestLength
        /// No token uses an algorithm provcheck supports (sha1, sha256, sha384, sha512).
        case noSupportedAlgorithm
        /// A legacy shasum is not 40 hexadecimal characters.
        case malformedShasum
    }

    /// The kind of problem.
    public let code: Code
    /// The whole input string as given.
    public let input: String
    /// The token within ``input`` that is at fault, when the problem is in one token.
    public let token: String?
    /// A human-readable explanation naming the input.
    public let message: String

    /// A message naming the input.
    public var description: String { message }

    static func make(_ code: Code, input: String, token: String? = nil, _ detail: String) -> IntegrityError {
        IntegrityError(code: code, input: input, token: token, message: detail)
    }
}

/// One hash of an SRI integrity string: `<algorithm>-<base64 digest>[?option…]`.
public struct IntegrityHash: Sendable, Hashable, CustomStringConvertible {
    /// The algorithm.
    public let algorithm: HashAlgorithm
    /// The raw digest bytes (``HashAlgorithm/digestLength`` of them).
    public let digest: [UInt8]
    /// The `?`-separated options after the digest, without the `?`s (SRI reserves them; npm ignores them).
    public let options: [String]

    /// Creates a hash from its parts.
    /// - Precondition: `digest.count == algorithm.digestLength`.
    public init(algorithm: HashAlgorithm, digest: [UInt8], options: [String] = []) {
        precondition(digest.count == algorithm.digestLength, "wrong digest length for \(algorithm.rawValue)")
        self.algorithm = algorithm
        self.digest = digest
        self.options = options
    }

    /// The base64 digest.
    public var base64Digest: String { DigestEncoding.base64(digest) }

    /// The lowercase hex digest.
    public var hexDigest: String { DigestEncoding.hex(digest) }

    /// The SRI form, e.g. `sha512-<base64>` (options appended as `?opt`).
    public var description: String {
        "\(algorithm.rawValue)-\(base64Digest)" + options.map { "?\($0)" }.joined()
    }
}

/// A Subresource Integrity value as npm uses it (`dist.integrity`), parsed per the W3C SRI / npm `ssri` rules.
///
/// - Several hashes may be given, separated by whitespace.
/// - Each hash is `<algorithm>-<base64 digest>` optionally followed by `?options`.
/// - Hashes with algorithms provcheck does not know (e.g. `md5-…`, `sha3-256-…`) are ignored and listed in
///   ``ignored``; at least one supported hash must remain.
/// - A token that is not of that shape, or a supported algorithm with bad base64 or the wrong digest length, is
///   rejected with an ``IntegrityError`` (fail closed).
/// - Only the strongest algorithm present is checked (``strongestAlgorithm``); when it appears more than once,
///   a match with any of them passes (as `ssri` does).
///
/// Encodes to JSON as its SRI string.
public struct Integrity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The supported hashes, in input order.
    public let hashes: [IntegrityHash]
    /// Tokens with unsupported algorithms that were ignored, in input order.
    public let ignored: [String]

    /// Creates a value from already-parsed hashes.
    /// - Precondition: `hashes` is not empty.
    public init(hashes: [IntegrityHash], ignored: [String] = []) {
        precondition(!hashes.isEmpty, "an Integrity needs at least one hash")
        self.hashes = hashes
        self.ignored = ignored
    }

    /// Parses an SRI string such as `sha512-AbC…== sha1-xyz…=`.
    /// - Throws: ``IntegrityError`` naming the string (and the bad token) when it is empty, malformed, or has no
    ///   supported algorithm.
    public init(_ string: String) throws(IntegrityError) {
        // Swift compares Characters (grapheme clusters): "\r\n" is one Character, equal to neither "\r" nor "\n".
        let tokens = string.split(whereSeparator: {
            $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" || $0 == "\u{0C}"
        })
            .map(String.init)
        guard !tokens.isEmpty else {
            throw .make(.empty, input: string, "integrity string is empty")
        }
        var hashes: [IntegrityHash] = []
        var ignored: [String] = []
        for token in tokens {
            // <algorithm>-<digest>[?opt]…  with algorithm = [a-z0-9]+ (sha3-256 style names are "unknown" below).
            guard let dash = token.firstIndex(of: "-") else {
                throw .make(.malformedToken, input: string, token: token,
                            "integrity '\(string)': '\(token)' is not of the form <algorithm>-<base64 digest>")
            }
            let algorithmName = String(token[..<dash])
            let rest = token[token.index(after: dash)...]
            let parts = rest.split(separator: "?", omittingEmptySubsequences: false).map(String.init)
            let digestText = parts[0]
            let options = Array(parts.dropFirst())
            guard !algorithmName.isEmpty,
                  algorithmName.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }),
                  !digestText.isEmpty
            else {
                throw .make(.malformedToken, input: string, token: token,
                            "integrity '\(string)': '\(token)' is not of the form <algorithm>-<base64 digest>")
            }
            guard let algorithm = HashAlgorithm(rawValue: algorithmName) else {
                ignored.append(token)
                continue
            }
            guard digestText.utf8.allSatisfy(Self.isBase64Character), let decoded = Data(base64Encoded: digestText) else {
                throw .make(.invalidBase64, input: string, token: token,
                            "integrity '\(string)': the \(algorithm.rawValue) digest '\(digestText)' is not valid base64")
            }
            guard decoded.count == algorithm.digestLength else {
                throw .make(.wrongDigestLength, input: string, token: token,
                            "integrity '\(string)': the \(algorithm.rawValue) digest decodes to \(decoded.count) bytes, "
                                + "expected \(algorithm.digestLength)")
            }
            hashes.append(IntegrityHash(algorithm: algorithm, digest: Array(decoded), options: options))
        }
        guard !hashes.isEmpty else {
            throw .make(.noSupportedAlgorithm, input: string,
                        "integrity '\(string)' has no sha1, sha256, sha384 or sha512 hash (ignored: "
                            + ignored.joined(separator: ", ") + ")")
        }
        self.init(hashes: hashes, ignored: ignored)
    }

    private static func isBase64Character(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
    }

    /// The strongest algorithm present: the one ``verify(_:)`` checks.
    public var strongestAlgorithm: HashAlgorithm { hashes.map(\.algorithm).max()! }

    /// The first hash of the strongest algorithm.
    public var strongest: IntegrityHash { strongestHashes[0] }

    /// Every hash of the strongest algorithm (usually one).
    public var strongestHashes: [IntegrityHash] {
        let algorithm = strongestAlgorithm
        return hashes.filter { $0.algorithm == algorithm }
    }

    /// The algorithms present, weakest first, without duplicates.
    public var algorithms: [HashAlgorithm] { Array(Set(hashes.map(\.algorithm))).sorted() }

    /// Checks `digests` against the strongest hash. Fails (never passes) when `digests` lacks that algorithm.
    public func verify(_ digests: DigestSet) -> IntegrityCheck {
        let algorithm = strongestAlgorithm
        let candidates = strongestHashes
        let expected = candidates.map { "\(algorithm.rawValue)-\($0.base64Digest)" }.joined(separator: " ")
        guard let actual = digests[algorithm] else {
            return IntegrityCheck(algorithm: algorithm, expected: expected, actual: nil, ok: false)
        }
        let ok = candidates.contains { constantTimeEqual($0.digest, actual) }
        return IntegrityCheck(algorithm: algorithm, expected: expected,
                              actual: "\(algorithm.rawValue)-\(DigestEncoding.base64(actual))", ok: ok)
    }

    /// Hashes `data` with the strongest algorithm and checks it.
    public func verify(data: Data) -> IntegrityCheck {
        verify(Hashing.digests(of: data, algorithms: [strongestAlgorithm]))
    }

    /// The SRI string: the supported hashes in input order, space separated (ignored tokens are dropped).
    public var description: String { hashes.map(\.description).joined(separator: " ") }

    /// Decodes from an SRI string.
    public init(from decoder: any Decoder) throws {
        self = try StringCoding.decode(from: decoder) { (string: String) throws(IntegrityError) in try Integrity(string) }
    }

    /// Encodes as the SRI string.
    public func encode(to encoder: any Encoder) throws {
        try StringCoding.encode(description, to: encoder)
    }
}

/// npm's legacy `dist.shasum`: a 40-character hex SHA-1 of the tarball.
public struct Shasum: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The 20 digest bytes.
    public let digest: [UInt8]

    /// Parses a hex SHA-1 (either case, surrounding whitespace allowed).
    /// - Throws: ``IntegrityError`` with code ``IntegrityError/Code/malformedShasum`` naming the string.
    public init(_ hex: String) throws(IntegrityError) {
        let trimmed = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count == 40, let bytes = DigestEncoding.bytes(fromHex: trimmed) else {
            throw .make(.malformedShasum, input: hex, "shasum '\(hex)' is not a 40-character hexadecimal SHA-1")
        }
        self.digest = bytes
    }

    /// Lowercase hex.
    public var hex: String { DigestEncoding.hex(digest) }

    /// The same digest as an SRI value (`sha1-<base64>`).
    public var integrity: Integrity { Integrity(hashes: [IntegrityHash(algorithm: .sha1, digest: digest)]) }

    /// Checks the SHA-1 in `digests`; fails when `digests` has no SHA-1. Renders expected/actual as hex.
    public func verify(_ digests: DigestSet) -> IntegrityCheck {
        guard let actual = digests[.sha1] else {
            return IntegrityCheck(algorithm: .sha1, expected: hex, actual: nil, ok: false)
        }
        return IntegrityCheck(algorithm: .sha1, expected: hex, actual: DigestEncoding.hex(actual),
                              ok: constantTimeEqual(digest, actual))
    }

    /// Lowercase hex.
    public var description: String { hex }

    /// Decodes from a hex string.
    public init(from decoder: any Decoder) throws {
        self = try StringCoding.decode(from: decoder) { (string: String) throws(IntegrityError) in try Shasum(string) }
    }

    /// Encodes as lowercase hex.
    public func encode(to encoder: any Encoder) throws {
        try StringCoding.encode(hex, to: encoder)
    }
}

/// The outcome of checking bytes against an expected digest: what was expected, what was found, and whether they
/// match. Encodes to JSON as `{"algorithm", "expected", "actual", "ok"}`.
public struct IntegrityCheck: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The algorithm that was checked.
    public let algorithm: HashAlgorithm
    /// The expected value (SRI form for integrity, hex for shasum).
    public let expected: String
    /// The actual value in the same form, or `nil` when it was not computed (then ``ok`` is `false`).
    public let actual: String?
    /// Whether the actual digest equals the expected one.
    public let ok: Bool

    /// Creates a check result.
    public init(algorithm: HashAlgorithm, expected: String, actual: String?, ok: Bool) {
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        self.ok = ok
    }

    /// A one-line summary.
    public var description: String {
        if ok { return "\(algorithm.rawValue) ok (\(expected))" }
        return "\(algorithm.rawValue) MISMATCH: expected \(expected), got \(actual ?? "no \(algorithm.rawValue) digest")"
    }
}

/// Compares two byte arrays without an early exit on the first difference.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

/// Codable support for values that are written as the string they are parsed from.
enum StringCoding {
    /// Decodes a single string and parses it; a parse error becomes a `DecodingError` carrying its message.
    static func decode<Value>(from decoder: any Decoder,
                              _ parse: (String) throws(IntegrityError) -> Value) throws -> Value {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            return try parse(string)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    /// Encodes `string` as a single value.
    static func encode(_ string: String, to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
