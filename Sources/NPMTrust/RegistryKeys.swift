import Foundation
import JSON
import Sigstore

/// One public key a registry signs with, as served by `GET /-/npm/v1/keys`
/// (`{"keys":[{"expires","keyid","keytype","scheme","key"}]}`).
public struct TrustedRegistryKey: Sendable, Hashable, Codable {
    /// The key id, `SHA256:<unpadded base64>` of the OpenSSH wire-format public key (the `ssh-keygen -l` fingerprint).
    public let keyid: String
    /// The key type; only `ecdsa-sha2-nistp256` is supported.
    public let keytype: String
    /// The signature scheme; only `ecdsa-sha2-nistp256` (ECDSA P-256 with SHA-256, DER signatures) is supported.
    public let scheme: String
    /// The DER SubjectPublicKeyInfo of the key.
    public let subjectPublicKeyInfo: Data
    /// The key, ready to verify ECDSA P-256/SHA-256 signatures.
    public let publicKey: PublicKey
    /// The instant from which the key no longer signs; `nil` means it never expires.
    public let expires: Date?

    /// Creates a key from its parts, checking that `keyid` is the OpenSSH SHA256 fingerprint of the key.
    ///
    /// - Throws: ``RegistryKeyError`` when the key type or scheme is unsupported, the SPKI is not an
    ///   uncompressed P-256 key, or the key id does not match the key.
    public init(keyid: String, keytype: String, scheme: String, subjectPublicKeyInfo: Data, expires: Date?,
                source: String = "keys") throws {
        guard keytype == "ecdsa-sha2-nistp256" else {
            throw RegistryKeyError(source: source, keyid: keyid, problem: .unsupportedKeyType(keytype))
        }
        guard scheme == "ecdsa-sha2-nistp256" else {
            throw RegistryKeyError(source: source, keyid: keyid, problem: .unsupportedScheme(scheme))
        }
        guard let publicKey = try? PublicKey(derSubjectPublicKeyInfo: [UInt8](subjectPublicKeyInfo)),
              publicKey.keyType == .ecdsaP256 else {
            throw RegistryKeyError(source: source, keyid: keyid, problem: .malformedKey)
        }
        let fingerprint = publicKey.opensshFingerprint
        guard fingerprint == keyid else {
            throw RegistryKeyError(source: source, keyid: keyid, problem: .keyidMismatch(computed: fingerprint))
        }
        self.keyid = keyid
        self.keytype = keytype
        self.scheme = scheme
        self.subjectPublicKeyInfo = subjectPublicKeyInfo
        self.publicKey = publicKey
        self.expires = expires
    }

    /// Whether the key was still valid at `instant`: it has no expiry, or `instant` is strictly before it
    /// (npm/pacote: `!expires || time < Date.parse(expires)`).
    public func isValid(at instant: Date) -> Bool {
        guard let expires else { return true }
        return instant < expires
    }

    /// Whether `signature` (DER ECDSA) verifies over `message` with this key (P-256, SHA-256).
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: message, algorithm: .ecdsa(.sha256))
    }

    private enum CodingKeys: String, CodingKey { case keyid, keytype, scheme, key, expires }

    /// Decodes one entry of the keys document, checking it as ``init(keyid:keytype:scheme:subjectPublicKeyInfo:expires:source:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let keyid = try container.decode(String.self, forKey: .keyid)
        let base64 = try container.decode(String.self, forKey: .key)
        guard let der = Data(base64Encoded: base64) else {
            throw RegistryKeyError(source: "keys", keyid: keyid, problem: .malformedKey)
        }
        let expiresText = try container.decodeIfPresent(String.self, forKey: .expires)
        var expires: Date? = nil
        if let expiresText {
            guard let date = NPMDate.parse(expiresText) else {
                throw RegistryKeyError(source: "keys", keyid: keyid, problem: .malformedExpiry(expiresText))
            }
            expires = date
        }
        try self.init(keyid: keyid,
                      keytype: try container.decode(String.self, forKey: .keytype),
                      scheme: try container.decode(String.self, forKey: .scheme),
                      subjectPublicKeyInfo: der, expires: expires)
    }

    /// Reads entry `index` of a keys document (`keyid`, `keytype`, `scheme`, `key` in base64 DER, optional
    /// `expires`), read with provcheck's JSON parser.
    init(json entry: RawJSON, index: Int) throws {
        func field(_ name: String) throws -> String {
            guard let text = entry[name]?.stringValue else {
                throw RegistryKeyError(source: "keys", keyid: entry["keyid"]?.stringValue,
                                       problem: .malformedDocument("keys[\(index)].\(name) is missing or not a string"))
            }
            return text
        }
        let keyid = try field("keyid")
        guard let der = Data(base64Encoded: try field("key")) else {
            throw RegistryKeyError(source: "keys", keyid: keyid, problem: .malformedKey)
        }
        var expires: Date? = nil
        switch entry["expires"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let date = NPMDate.parse(text) else {
                throw RegistryKeyError(source: "keys", keyid: keyid, problem: .malformedExpiry(text))
            }
            expires = date
        default:
            throw RegistryKeyError(source: "keys", keyid: keyid,
                                   problem: .malformedDocument("keys[\(index)].expires is not a string"))
        }
        try self.init(keyid: keyid, keytype: try field("keytype"), scheme: try field("scheme"),
                      subjectPublicKeyInfo: der, expires: expires)
    }

    /// Encodes the key in the keys-document shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyid, forKey: .keyid)
        try container.encode(keytype, forKey: .keytype)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(subjectPublicKeyInfo.base64EncodedString(), forKey: .key)
        try container.encode(expires.map(NPMDate.format), forKey: .expires)
    }
}

/// A problem with a registry keys document or one of its keys.
public struct RegistryKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Problem: Sendable, Equatable {
        /// The document is not `{"keys":[…]}` JSON; the associated text explains why.
        case malformedDocument(String)
        /// `keytype` is not `ecdsa-sha2-nistp256`.
        case unsupportedKeyType(String)
        /// `scheme` is not `ecdsa-sha2-nistp256`.
        case unsupportedScheme(String)
        /// `key` is not base64 of an uncompressed P-256 SubjectPublicKeyInfo.
        case malformedKey
        /// `expires` is neither null nor an ISO-8601 instant.
        case malformedExpiry(String)
        /// `keyid` is not the OpenSSH SHA256 fingerprint of `key`.
        case keyidMismatch(computed: String)
        /// Two keys share one key id.
        case duplicateKeyid
        /// The keys file cannot be read; the associated text says why.
        case unreadable(String)
    }

    /// The file or URL the keys came from.
    public var source: String
    /// The key id concerned, or `nil` for document-level problems.
    public var keyid: String?
    /// What went wrong.
    public var problem: Problem

    /// Creates an error.
    public init(source: String, keyid: String?, problem: Problem) {
        self.source = source
        self.keyid = keyid
        self.problem = problem
    }

    /// A message that names the input and the problem.
    public var description: String {
        let subject = keyid.map { "\(source): key \($0)" } ?? source
        switch problem {
        case .malformedDocument(let why): return "\(subject): not a registry keys document ({\"keys\":[…]}): \(why)"
        case .unsupportedKeyType(let type): return "\(subject): unsupported keytype \"\(type)\" (only ecdsa-sha2-nistp256)"
        case .unsupportedScheme(let scheme): return "\(subject): unsupported scheme \"\(scheme)\" (only ecdsa-sha2-nistp256)"
        case .malformedKey: return "\(subject): \"key\" is not base64 of a DER P-256 SubjectPublicKeyInfo"
        case .malformedExpiry(let text): return "\(subject): \"expires\" is not null or an ISO-8601 time: \(text)"
        case .keyidMismatch(let computed):
            return "\(subject): keyid does not match the key; its OpenSSH SHA256 fingerprint is \(computed)"
        case .duplicateKeyid: return "\(subject): the key id appears more than once"
        case .unreadable(let why): return "\(subject): cannot read the keys file: \(why)"
        }
    }
}

/// The keys a registry signs packages and publish attestations with.
public struct TrustedRegistryKeys: Sendable, Hashable {
    /// The keys, in document order.
    public let keys: [TrustedRegistryKey]
    /// Where the keys came from (file path, URL, or "built-in npm registry keys").
    public let source: String

    /// Creates a key set; key ids must be unique.
    public init(keys: [TrustedRegistryKey], source: String) throws {
        var seen = Set<String>()
        for key in keys where !seen.insert(key.keyid).inserted {
            throw RegistryKeyError(source: source, keyid: key.keyid, problem: .duplicateKeyid)
        }
        self.keys = keys
        self.source = source
    }

    /// Parses a `GET /-/npm/v1/keys` response or a keys file of the same shape, checking every key id.
    ///
    /// - Parameters:
    ///   - data: the JSON bytes.
    ///   - source: the file or URL, used in error messages.
    /// - Throws: ``RegistryKeyError``.
    public init(json data: Data, source: String) throws {
        let document: RawJSON
        do { document = try RawJSON(parsing: data) } catch {
            throw RegistryKeyError(source: source, keyid: nil, problem: .malformedDocument("\(error)"))
        }
        try self.init(document: document, source: source)
    }

    /// Reads an already parsed keys document (`{"keys":[…]}`), checking every key as ``init(json:source:)`` does.
    /// - Throws: ``RegistryKeyError``.
    public init(document: RawJSON, source: String) throws {
        func malformed(_ problem: String) -> RegistryKeyError {
            RegistryKeyError(source: source, keyid: nil, problem: .malformedDocument(problem))
        }
        guard document.objectValue != nil else { throw malformed("the document is not a JSON object") }
        guard let entries = document["keys"]?.arrayValue else { throw malformed("no array field \"keys\"") }
        var keys: [TrustedRegistryKey] = []
        for (index, entry) in entries.enumerated() {
            do {
                keys.append(try TrustedRegistryKey(json: entry, index: index))
            } catch var error as RegistryKeyError {
                error.source = source
                throw error
            }
        }
        do {
            try self.init(keys: keys, source: source)
        } catch var error as RegistryKeyError {
            error.source = source
            throw error
        }
    }

    /// The key with this key id, if any.
    public func key(withID keyid: String) -> TrustedRegistryKey? {
        keys.first { $0.keyid == keyid }
    }

    /// The npm public registry's keys (registry.npmjs.org), built into the tool: the key that expired
    /// 2025-01-29 and its successor. Replace them with `--keys` for another registry.
    public static let npmPublicRegistry: TrustedRegistryKeys = {
        // The embedded document is a constant checked by the test suite; failing to parse it is a build defect.
        do {
            return try TrustedRegistryKeys(json: Data(EmbeddedNPMKeys.json.utf8), source: "built-in npm registry keys")
        } catch {
            preconditionFailure("embedded npm registry keys are invalid: \(error)")
        }
    }()
}

/// Where the registry keys for a check came from, or why there are none.
public enum RegistryKeysAvailability: Sendable, Hashable {
    /// The registry (or a keys file) provided these keys.
    case keys(TrustedRegistryKeys)
    /// The registry answered its keys endpoint (`source`) with HTTP 404 or 400: it has no keys, so signatures and
    /// publish attestations cannot be verified (they are reported as skipped, never as verified).
    case registryHasNoKeys(source: String)
}
