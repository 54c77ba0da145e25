/// An X.501 distinguished name (subject or issuer).
public struct DistinguishedName: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One attribute of a relative distinguished name.
    public struct Attribute: Sendable, Hashable, Codable {
        /// Attribute type OID in dotted form (e.g. `2.5.4.3` for commonName).
        public let oid: String
        /// The attribute value as text (string types decoded; other types as hex).
        public let value: String
    }

    /// The DER encoding of the `Name`, as it appears in the certificate.
    public let derEncoded: [UInt8]
    /// The relative distinguished names in encoding order; each RDN holds one or more attributes.
    public let relativeDistinguishedNames: [[Attribute]]

    init(node: DERNode) throws {
        guard node.identifier == DERTag.sequence else { throw DERError("Name must be a SEQUENCE") }
        derEncoded = Array(node.encoded)
        relativeDistinguishedNames = try node.children().map { rdn in
            guard rdn.identifier == DERTag.set else { throw DERError("RelativeDistinguishedName must be a SET") }
            return try rdn.children().map { atv in
                let parts = try atv.children()
                guard atv.identifier == DERTag.sequence, parts.count == 2 else { throw DERError("malformed AttributeTypeAndValue") }
                let value = (try? parts[1].string()) ?? parts[1].encoded.map { String(format: "%02x", $0) }.joined()
                return Attribute(oid: try parts[0].objectIdentifier(), value: value)
            }
        }
    }

    /// All attributes, flattened.
    public var attributes: [Attribute] { relativeDistinguishedNames.flatMap { $0 } }

    /// The values of every attribute with `oid`.
    public func values(for oid: String) -> [String] { attributes.filter { $0.oid == oid }.map(\.value) }

    /// The first commonName (2.5.4.3).
    public var commonName: String? { values(for: "2.5.4.3").first }
    /// The first organizationName (2.5.4.10).
    public var organization: String? { values(for: "2.5.4.10").first }

    /// Name comparison for chaining (RFC 5280 §7.1, simplified): byte-identical encodings match; otherwise the
    /// RDN sequences must match attribute by attribute, with values compared case-insensitively after
    /// collapsing internal whitespace and trimming (so PrintableString vs UTF8String encodings still match).
    public func matches(_ other: DistinguishedName) -> Bool {
        if derEncoded == other.derEncoded { return true }
        guard relativeDistinguishedNames.count == other.relativeDistinguishedNames.count else { return false }
        func normalized(_ rdn: [Attribute]) -> [String] {
            rdn.map { "\($0.oid)=\($0.value.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " "))" }.sorted()
        }
        return zip(relativeDistinguishedNames, other.relativeDistinguishedNames).allSatisfy { normalized($0) == normalized($1) }
    }

    /// Whether the name has no attributes (e.g. Fulcio leaf subjects).
    public var isEmpty: Bool { relativeDistinguishedNames.isEmpty }

    private static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
        "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
    ]

    /// An RFC 4514-like rendering, most significant RDN first as encoded (e.g. `O=sigstore.dev, CN=sigstore-intermediate`).
    public var description: String {
        relativeDistinguishedNames.map { rdn in
            rdn.map { "\(Self.shortNames[$0.oid] ?? $0.oid)=\($0.value)" }.joined(separator: "+")
        }.joined(separator: ", ")
    }
}
