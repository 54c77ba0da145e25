import COpenSSL
import Foundation

/// Owns an `X509*`.
final class X509Box: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// A parsed X.509 certificate backed by libcrypto, with its fields decoded.
///
/// Equality and hashing compare the DER encoding.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    let box: X509Box

    /// The DER encoding, exactly as given.
    public let derEncoded: [UInt8]
    /// The X.509 version (1, 2 or 3).
    public let version: Int
    /// The serial number's INTEGER contents (big-endian two's complement, as encoded).
    public let serialNumber: [UInt8]
    /// The signature algorithm OID of the outer `signatureAlgorithm`.
    public let signatureAlgorithmOID: String
    /// The issuer name.
    public let issuer: DistinguishedName
    /// The subject name.
    public let subject: DistinguishedName
    /// Start of the validity period (inclusive).
    public let notValidBefore: Date
    /// End of the validity period (inclusive).
    public let notValidAfter: Date
    /// The subject public key.
    public let publicKey: PublicKey
    /// All extensions in encoding order.
    public let extensions: [CertificateExtension]
    /// The DER of the `tbsCertificate`.
    public let tbsCertificate: [UInt8]

    // MARK: Parsing

    /// Parses a DER certificate. The whole input must be one certificate.
    public init(derEncoded der: [UInt8]) throws {
        do {
            let top = try DER.parse(der)
            let outer = try top.children()
            guard top.identifier == DERTag.sequence, outer.count == 3, outer[0].identifier == DERTag.sequence else {
                throw DERError("Certificate must be SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }")
            }
            tbsCertificate = Array(outer[0].encoded)
            guard let sigOID = try outer[1].children().first?.objectIdentifier() else { throw DERError("empty signatureAlgorithm") }
            signatureAlgorithmOID = sigOID
            var tbs = DERReader(outer[0].content)
            if let versionNode = try tbs.readOptional(0xa0) {
                let v = try DER.parse(versionNode.content).smallInteger()
                guard (0...2).contains(v) else { throw DERError("unknown certificate version \(v)") }
                version = v + 1
            } else {
                version = 1
            }
            let serial = try tbs.read()
            guard serial.identifier == DERTag.integer, !serial.content.isEmpty else { throw DERError("serialNumber must be an INTEGER") }
            serialNumber = Array(serial.content)
            let innerSig = try tbs.read()
            guard innerSig.identifier == DERTag.sequence else { throw DERError("malformed tbsCertificate signature") }
            issuer = try DistinguishedName(node: tbs.read())
            let validity = try tbs.read().children()
            guard validity.count == 2 else { throw DERError("Validity must have two times") }
            notValidBefore = try DER.decodeTime(validity[0])
            notValidAfter = try DER.decodeTime(validity[1])
            subject = try DistinguishedName(node: tbs.read())
            let spki = try tbs.read()
            publicKey = try PublicKey(derSubjectPublicKeyInfo: Array(spki.encoded))
            _ = try tbs.readOptional(0x81)
            _ = try tbs.readOptional(0x82)
            var extensions: [CertificateExtension] = []
            if let wrapper = try tbs.readOptional(0xa3) {
                guard version == 3 else { throw DERError("extensions in a non-v3 certificate") }
                let list = try DER.parse(wrapper.content)
                guard list.identifier == DERTag.sequence else { throw DERError("Extensions must be a SEQUENCE") }
                for ext in try list.children() {
                    var reader = DERReader(ext.content)
                    let oid = try reader.read().objectIdentifier()
                    var critical = false
                    if let flag = try reader.readOptional(DERTag.boolean) {
                        critical = try flag.boolean()
                        guard critical else { throw DERError("DER forbids encoding critical=FALSE explicitly (extension \(oid))") }
                    }
                    let value = try reader.read()
                    guard value.identifier == DERTag.octetString, reader.isAtEnd else { throw DERError("malformed extension \(oid)") }
                    extensions.append(CertificateExtension(oid: oid, critical: critical, value: Array(value.content)))
                }
                guard Set(extensions.map(\.oid)).count == extensions.count else { throw DERError("duplicate extension") }
            }
            guard tbs.isAtEnd else { throw DERError("unexpected trailing fields in tbsCertificate") }
            self.extensions = extensions
        } catch let error as DERError {
            throw CryptoError(.malformedInput, "invalid X.509 certificate: \(error)")
        } catch let error as CryptoError {
            throw CryptoError(error.code, "invalid X.509 certificate: \(error.message)")
        }
        OpenSSL.clearErrors()
        guard let x509 = OpenSSL.decode(der, { d2i_X509(nil, $0, $1) }) else {
            throw CryptoError(.malformedInput, "libcrypto rejected the certificate: \(OpenSSL.drainErrors())")
        }
        box = X509Box(x509)
        derEncoded = der
    }

    /// Parses the first `CERTIFICATE` block of a PEM text.
    public init(pemEncoded pem: String) throws {
        guard let der = try PEM.blocks(in: pem, label: "CERTIFICATE").first else {
            throw CryptoError(.malformedInput, "no '-----BEGIN CERTIFICATE-----' block found in the PEM text")
        }
        try self.init(derEncoded: der)
    }

    /// Parses every `CERTIFICATE` block of a PEM text, in order.
    public static func parseChain(pem: String) throws -> [Certificate] {
        try PEM.blocks(in: pem, label: "CERTIFICATE").map { try Certificate(derEncoded: $0) }
    }

    /// The certificate as a PEM `CERTIFICATE` block.
    public var pemEncoded: String { PEM.encode(derEncoded, label: "CERTIFICATE") }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.derEncoded == rhs.derEncoded }
    public func hash(into hasher: inout Hasher) { hasher.combine(derEncoded) }

    public var description: String {
        "Certificate(subject: \(subject), issuer: \(issuer), serial: \(serialNumber.map { String(format: "%02x", $0) }.joined()), notBefore: \(notValidBefore), notAfter: \(notValidAfter))"
    }

    // MARK: Extensions

    /// The extension with `oid`, if present.
    public func `extension`(oid: String) -> CertificateExtension? { extensions.first { $0.oid == oid } }

    /// Subject alternative names (empty when the extension is absent).
    public var subjectAlternativeNames: [GeneralName] {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.subjectAlternativeName) else { return [] }
            return try Self.decode("subjectAltName") { try DER.parse(ext.value).children().map(GeneralName.init(node:)) }
        }
    }

    /// The URI, email and UTF8String otherName SAN values in order (the identities Sigstore matches against).
    public var subjectAlternativeNameValues: [String] {
        ((try? subjectAlternativeNames) ?? []).compactMap { name in
            switch name {
            case .uri(let s), .email(let s): s
            case .otherName: name.stringValue
            default: nil
            }
        }
    }

    /// keyUsage, when present.
    public var keyUsage: KeyUsage? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.keyUsage) else { return nil }
            return try Self.decode("keyUsage") { KeyUsage(bitString: try DER.parse(ext.value).bitString()) }
        }
    }

    /// extKeyUsage purpose OIDs, when present.
    public var extendedKeyUsage: [String]? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.extendedKeyUsage) else { return nil }
            return try Self.decode("extKeyUsage") { try DER.parse(ext.value).children().map { try $0.objectIdentifier() } }
        }
    }

    /// basicConstraints, when present.
    public var basicConstraints: BasicConstraints? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.basicConstraints) else { return nil }
            return try Self.decode("basicConstraints") {
                let node = try DER.parse(ext.value)
                guard node.identifier == DERTag.sequence else { throw DERError("not a SEQUENCE") }
                var reader = DERReader(node.content)
                var isCA = false
                if let flag = try reader.readOptional(DERTag.boolean) {
                    isCA = try flag.boolean()
                    guard isCA else { throw DERError("DER forbids encoding cA=FALSE explicitly") }
                }
                let pathLength = try reader.readOptional(DERTag.integer).map { try $0.smallInteger() }
                guard reader.isAtEnd else { throw DERError("trailing data") }
                return BasicConstraints(isCertificateAuthority: isCA, pathLengthConstraint: pathLength)
            }
        }
    }

    /// subjectKeyIdentifier, when present.
    public var subjectKeyIdentifier: [UInt8]? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.subjectKeyIdentifier) else { return nil }
            return try Self.decode("subjectKeyIdentifier") {
                let node = try DER.parse(ext.value)
                guard node.identifier == DERTag.octetString else { throw DERError("not an OCTET STRING") }
                return Array(node.content)
            }
        }
    }

    /// The keyIdentifier of authorityKeyIdentifier, when present.
    public var authorityKeyIdentifier: [UInt8]? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.authorityKeyIdentifier) else { return nil }
            return try Self.decode("authorityKeyIdentifier") {
                let node = try DER.parse(ext.value)
                guard node.identifier == DERTag.sequence else { throw DERError("not a SEQUENCE") }
                return try node.children().first { $0.identifier == 0x80 }.map { Array($0.content) }
            }
        }
    }

    /// nameConstraints, when present.
    public var nameConstraints: NameConstraints? {
        get throws {
            guard let ext = `extension`(oid: ExtensionOID.nameConstraints) else { return nil }
            return try Self.decode("nameConstraints") {
                var permitted: [GeneralName] = []
                var excluded: [GeneralName] = []
                for subtrees in try DER.parse(ext.value).children() {
                    let bases = try subtrees.children().map { subtree -> GeneralName in
                        guard let base = try subtree.children().first else { throw DERError("empty GeneralSubtree") }
                        return try GeneralName(node: base)
                    }
                    switch subtrees.identifier {
                    case 0xa0: permitted += bases
                    case 0xa1: excluded += bases
                    default: throw DERError("unknown NameConstraints field")
                    }
                }
                return NameConstraints(permitted: permitted, excluded: excluded)
            }
        }
    }

    /// The Fulcio (1.3.6.1.4.1.57264.1.*) extension values.
    public var fulcioExtensions: FulcioExtensions {
        get throws { try FulcioExtensions(certificate: self) }
    }

    private static func decode<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DERError {
            throw CryptoError(.malformedInput, "malformed \(name) extension: \(error)")
        }
    }

    // MARK: Checks

    /// Whether `date` lies within [notValidBefore, notValidAfter] (both inclusive).
    public func isValid(at date: Date) -> Bool { notValidBefore <= date && date <= notValidAfter }

    /// Whether subject and issuer names are byte-identical.
    public var isSelfIssued: Bool { subject.derEncoded == issuer.derEncoded }

    /// Whether this certificate's signature verifies with `issuer`'s public key.
    public func isSignature(validUnder issuer: PublicKey) -> Bool {
        let result = X509_verify(box.pointer, issuer.box.pointer)
        OpenSSL.clearErrors()
        return result == 1
    }

    /// Whether this certificate's signature verifies with `issuer`'s public key.
    public func isSigned(by issuer: Certificate) -> Bool { isSignature(validUnder: issuer.publicKey) }
}
