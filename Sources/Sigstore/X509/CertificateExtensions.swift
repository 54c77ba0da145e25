/// One X.509 v3 extension, undecoded.
public struct CertificateExtension: Sendable, Hashable, Codable {
    /// The extension OID in dotted form.
    public let oid: String
    /// The `critical` flag.
    public let critical: Bool
    /// The contents of `extnValue` (the DER of the extension's own value, without the OCTET STRING wrapper).
    public let value: [UInt8]
}

/// Well-known extension OIDs.
public enum ExtensionOID {
    /// subjectKeyIdentifier.
    public static let subjectKeyIdentifier = "2.5.29.14"
    /// keyUsage.
    public static let keyUsage = "2.5.29.15"
    /// subjectAltName.
    public static let subjectAlternativeName = "2.5.29.17"
    /// basicConstraints.
    public static let basicConstraints = "2.5.29.19"
    /// nameConstraints.
    public static let nameConstraints = "2.5.29.30"
    /// authorityKeyIdentifier.
    public static let authorityKeyIdentifier = "2.5.29.35"
    /// extKeyUsage.
    public static let extendedKeyUsage = "2.5.29.37"
    /// Embedded precertificate SCT list (RFC 6962 §3.3).
    public static let signedCertificateTimestampList = "1.3.6.1.4.1.11129.2.4.2"
    /// CT precertificate poison (RFC 6962 §3.1).
    public static let precertificatePoison = "1.3.6.1.4.1.11129.2.4.3"
}

/// Extended key usage purpose OIDs.
public enum ExtendedKeyUsageOID {
    /// id-kp-serverAuth.
    public static let serverAuth = "1.3.6.1.5.5.7.3.1"
    /// id-kp-clientAuth.
    public static let clientAuth = "1.3.6.1.5.5.7.3.2"
    /// id-kp-codeSigning (Fulcio leaves).
    public static let codeSigning = "1.3.6.1.5.5.7.3.3"
    /// id-kp-timeStamping (TSA certificates).
    public static let timeStamping = "1.3.6.1.5.5.7.3.8"
    /// anyExtendedKeyUsage.
    public static let any = "2.5.29.37.0"
}

/// A GeneralName (RFC 5280 §4.2.1.6).
public enum GeneralName: Sendable, Hashable, Codable {
    /// otherName: type OID and the DER of the explicitly tagged value.
    case otherName(typeID: String, value: [UInt8])
    /// rfc822Name (email).
    case email(String)
    /// dNSName.
    case dnsName(String)
    /// directoryName.
    case directoryName(DistinguishedName)
    /// uniformResourceIdentifier.
    case uri(String)
    /// iPAddress (4 or 16 bytes; 8 or 32 in name constraints).
    case ipAddress([UInt8])
    /// registeredID.
    case registeredID(String)
    /// x400Address or ediPartyName, kept raw.
    case other(tag: UInt8, value: [UInt8])

    init(node: DERNode) throws {
        guard node.tagClass == 2 else { throw DERError("GeneralName must be context-tagged") }
        func text() throws -> String {
            guard let s = String(bytes: node.content, encoding: .ascii) else { throw DERError("GeneralName is not IA5") }
            return s
        }
        switch node.tagNumber {
        case 0:
            var reader = DERReader(node.content)
            let oid = try reader.read().objectIdentifier()
            let explicit = try reader.read()
            guard explicit.identifier == 0xa0, reader.isAtEnd else { throw DERError("malformed otherName") }
            self = .otherName(typeID: oid, value: Array(explicit.content))
        case 1: self = .email(try text())
        case 2: self = .dnsName(try text())
        case 4: self = .directoryName(try DistinguishedName(node: DER.parse(node.content)))
        case 6: self = .uri(try text())
        case 7: self = .ipAddress(Array(node.content))
        case 8: self = .registeredID(try DER.decodeOID(node.content))
        default: self = .other(tag: node.tagNumber, value: Array(node.content))
        }
    }

    /// The textual value of URI, email and DNS names, and of UTF8String otherNames (Fulcio's 1.3.6.1.4.1.57264.1.7).
    public var stringValue: String? {
        switch self {
        case .uri(let s), .email(let s), .dnsName(let s): s
        case .otherName(_, let value): (try? DER.parse(value).string())
        default: nil
        }
    }
}

/// keyUsage bits (RFC 5280 §4.2.1.3).
public struct KeyUsage: OptionSet, Sendable, Hashable, Codable {
    /// The bits, bit n = KeyUsage bit n of the DER BIT STRING.
    public let rawValue: UInt16
    /// Creates a value from raw bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// digitalSignature (bit 0).
    public static let digitalSignature = KeyUsage(rawValue: 1 << 0)
    /// nonRepudiation / contentCommitment (bit 1).
    public static let nonRepudiation = KeyUsage(rawValue: 1 << 1)
    /// keyEncipherment (bit 2).
    public static let keyEncipherment = KeyUsage(rawValue: 1 << 2)
    /// dataEncipherment (bit 3).
    public static let dataEncipherment = KeyUsage(rawValue: 1 << 3)
    /// keyAgreement (bit 4).
    public static let keyAgreement = KeyUsage(rawValue: 1 << 4)
    /// keyCertSign (bit 5).
    public static let keyCertSign = KeyUsage(rawValue: 1 << 5)
    /// cRLSign (bit 6).
    public static let cRLSign = KeyUsage(rawValue: 1 << 6)
    /// encipherOnly (bit 7).
    public static let encipherOnly = KeyUsage(rawValue: 1 << 7)
    /// decipherOnly (bit 8).
    public static let decipherOnly = KeyUsage(rawValue: 1 << 8)

    init(bitString: (bytes: ArraySlice<UInt8>, unusedBits: Int)) {
        var value: UInt16 = 0
        for (byteIndex, byte) in bitString.bytes.prefix(2).enumerated() {
            for bit in 0..<8 where byte & (0x80 >> bit) != 0 {
                value |= 1 << (byteIndex * 8 + bit)
            }
        }
        self.init(rawValue: value)
    }
}

/// basicConstraints (RFC 5280 §4.2.1.9).
public struct BasicConstraints: Sendable, Hashable, Codable {
    /// The cA flag.
    public let isCertificateAuthority: Bool
    /// pathLenConstraint, when present.
    public let pathLengthConstraint: Int?
}

/// nameConstraints (RFC 5280 §4.2.1.10).
public struct NameConstraints: Sendable, Hashable, Codable {
    /// permittedSubtrees bases.
    public let permitted: [GeneralName]
    /// excludedSubtrees bases.
    public let excluded: [GeneralName]
}
