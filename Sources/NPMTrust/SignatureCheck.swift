import Foundation

/// The outcome of checking one `dist.signatures[]` entry (or the absence of any).
public enum SignatureStatus: String, Sendable, Hashable, Codable {
    /// The signature verifies over `<name>@<version>:<integrity>` with a key valid at the publish time.
    case verified
    /// No registry key has the signature's key id (npm: `EMISSINGSIGNATUREKEY`).
    case unknownKey = "unknown-key"
    /// The key had expired at the version's publish time (npm: `EEXPIREDSIGNATUREKEY`).
    case keyExpired = "key-expired"
    /// The signature does not verify (npm: `EINTEGRITYSIGNATURE`).
    case badSignature = "bad-signature"
    /// The `sig` field is not base64 of a DER signature.
    case malformedSignature = "malformed-signature"
    /// The registry has keys but the version has no `dist.signatures` (npm: "missing").
    case noSignatures = "no-signatures"
    /// The registry has no keys (HTTP 404/400 on its keys endpoint): nothing could be verified.
    case skippedNoKeys = "skipped-no-keys"
}

/// One registry-signature check: which key, whether it passed, and why.
public struct SignatureCheck: Sendable, Hashable, Codable {
    /// The key id named by the signature; `nil` for ``SignatureStatus/noSignatures``.
    public var keyid: String?
    /// The outcome.
    public var status: SignatureStatus
    /// A sentence saying what was checked and why it passed or failed.
    public var reason: String

    /// Creates a check result.
    public init(keyid: String?, status: SignatureStatus, reason: String) {
        self.keyid = keyid
        self.status = status
        self.reason = reason
    }

    /// `true` only for ``SignatureStatus/verified``.
    public var ok: Bool { status == .verified }

    private enum CodingKeys: String, CodingKey { case keyid, status, ok, reason }

    /// Decodes a check (the `ok` field is derived and ignored on input).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keyid = try container.decodeIfPresent(String.self, forKey: .keyid)
        status = try container.decode(SignatureStatus.self, forKey: .status)
        reason = try container.decode(String.self, forKey: .reason)
    }

    /// Encodes `keyid`, `status`, `ok`, `reason`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyid, forKey: .keyid)
        try container.encode(status, forKey: .status)
        try container.encode(ok, forKey: .ok)
        try container.encode(reason, forKey: .reason)
    }
}

/// Verifies `dist.signatures` the way npm/pacote does, but collecting every result instead of stopping at
/// the first: every signature must verify, each failure gets its own status.
public enum RegistrySignatureVerifier {
    /// Checks every registry signature of a version.
    ///
    /// - Parameters:
    ///   - evidence: the version's name, version, integrity, publish time and signatures.
    ///   - keys: the registry's keys, or the fact that it has none.
    /// - Returns: one check per signature; a single ``SignatureStatus/noSignatures`` check when the registry
    ///   has keys but the version carries no signature; ``SignatureStatus/skippedNoKeys`` checks when the
    ///   registry has no keys.
    public static func verify(_ evidence: PackageVersionEvidence, keys: RegistryKeysAvailability) -> [SignatureCheck] {
        let keySet: TrustedRegistryKeys
        switch keys {
        case .registryHasNoKeys(let source):
            let reason = "not verified: the registry has no signing keys (\(source) answered 404 or 400)"
            if evidence.signatures.isEmpty { return [SignatureCheck(keyid: nil, status: .skippedNoKeys, reason: reason)] }
            return evidence.signatures.map { SignatureCheck(keyid: $0.keyid, status: .skippedNoKeys, reason: reason) }
        case .keys(let set):
            keySet = set
        }
        guard !evidence.signatures.isEmpty else {
            return [SignatureCheck(keyid: nil, status: .noSignatures,
                                   reason: "\(evidence.id) has no dist.signatures although the registry has keys (\(keySet.source))")]
        }
        let message = Array(evidence.signedMessage.utf8)
        let publishTime = evidence.publishTime ?? PackageVersionEvidence.missingPublishTimeCutoff
        let publishTimeText = evidence.publishTime.map(NPMDate.format)
            ?? "unknown (no time[\"\(evidence.version)\"]; assumed \(NPMDate.format(publishTime)))"
        return evidence.signatures.map { signature in
            guard let key = keySet.key(withID: signature.keyid) else {
                return SignatureCheck(keyid: signature.keyid, status: .unknownKey,
                                      reason: "no registry key has keyid \(signature.keyid) (keys from \(keySet.source))")
            }
            guard key.isValid(at: publishTime) else {
                return SignatureCheck(keyid: signature.keyid, status: .keyExpired,
                                      reason: "key \(key.keyid) expired \(key.expires.map(NPMDate.format) ?? "?") before the publish time \(publishTimeText)")
            }
            guard let der = Data(base64Encoded: signature.sig), !der.isEmpty else {
                return SignatureCheck(keyid: signature.keyid, status: .malformedSignature,
                                      reason: "dist.signatures sig for key \(signature.keyid) is not base64")
            }
            guard key.isValidSignature([UInt8](der), for: message) else {
                return SignatureCheck(keyid: signature.keyid, status: .badSignature,
                                      reason: "ECDSA P-256/SHA-256 signature by \(key.keyid) does not verify over \"\(evidence.signedMessage)\"")
            }
            return SignatureCheck(keyid: signature.keyid, status: .verified,
                                  reason: "signature by \(key.keyid) verifies over \"\(evidence.signedMessage)\"; key valid at publish time \(publishTimeText)")
        }
    }
}
