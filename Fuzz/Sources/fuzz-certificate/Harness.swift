// libFuzzer harness: build with Scripts/fuzz.sh (see Fuzz/Package.swift).
import Foundation
import FuzzSupport
import Sigstore

/// DER certificates (first byte even) or PEM text (odd); every parsed certificate also goes through the
/// accessors, the Fulcio extensions, SCT list parsing and the precertificate TBS rewrite.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes = data else { return 0 }
    guard count > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: bytes + 1, count: count - 1))
    var certificates: [Certificate] = []
    if bytes[0] & 1 == 0 {
        if let certificate = try? Certificate(derEncoded: body) { certificates.append(certificate) }
        _ = try? PublicKey(derSubjectPublicKeyInfo: body)
        _ = try? RFC3161Verifier.parse(token: body)
    } else {
        certificates += (try? Certificate.parseChain(pem: String(decoding: body, as: UTF8.self))) ?? []
    }
    for certificate in certificates {
        _ = certificate.description
        _ = try? SCTVerifier.embeddedSCTs(in: certificate)
        _ = try? SCTVerifier.precertificateTBS(of: certificate)
        _ = try? certificate.fulcioExtensions
        _ = try? certificate.subjectAlternativeNameValues
        _ = try? certificate.keyUsage
        _ = try? certificate.extendedKeyUsage
        _ = try? certificate.basicConstraints
        _ = try? certificate.subjectKeyIdentifier
        _ = try? certificate.authorityKeyIdentifier
        _ = try? certificate.nameConstraints
        _ = certificate.pemEncoded
    }
    return 0
}
