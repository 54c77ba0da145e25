import Foundation
import TestSupport

@testable import Sigstore

/// Helpers that pull certificates and keys out of the Sigstore fixtures.
enum X509Fixtures {
    static func b64(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }

    static func json(_ relativePath: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Fixtures.data(relativePath)) as! [String: Any]
    }

    /// The base64 DER of a bundle's signing certificate (`verificationMaterial`): the first of an
    /// `x509CertificateChain` (v0.1) or the `certificate` (v0.3); `nil` for a public-key bundle.
    static func leafRawBytes(_ material: [String: Any]) -> String? {
        if let chain = material["x509CertificateChain"] as? [String: Any] {
            return (chain["certificates"] as! [[String: Any]])[0]["rawBytes"] as? String
        } else if let certificate = material["certificate"] as? [String: Any] {
            return certificate["rawBytes"] as? String
        }
        return nil
    }

    /// The leaf certificate of every Fulcio-signed attestation bundle in Fixtures/npm/attestations, keyed by file name and predicate type.
    static func npmProvenanceLeaves() throws -> [(name: String, leaf: Certificate, integratedTime: Date)] {
        let dir = try Fixtures.url("npm/attestations")
        var result: [(String, Certificate, Date)] = []
        for url in try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil).sorted(by: { $0.path < $1.path })
        where url.pathExtension == "json" {
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            for attestation in doc["attestations"] as! [[String: Any]] {
                let bundle = attestation["bundle"] as! [String: Any]
                let material = bundle["verificationMaterial"] as! [String: Any]
                guard let raw = leafRawBytes(material) else { continue }
                let entry = (material["tlogEntries"] as! [[String: Any]])[0]
                let time = Date(timeIntervalSince1970: Double(entry["integratedTime"] as! String)!)
                result.append(("\(url.lastPathComponent) \(attestation["predicateType"]!)", try Certificate(derEncoded: b64(raw)), time))
            }
        }
        return result
    }

    struct RootCA {
        let chain: [Certificate]
        let start: Date
        let end: Date?
    }

    static func parseDate(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)!
    }

    static func certificateAuthorities(_ relativePath: String, key: String = "certificateAuthorities") throws -> [RootCA] {
        let root = try json(relativePath)
        return try (root[key] as? [[String: Any]] ?? []).map { ca in
            let chain = try ((ca["certChain"] as! [String: Any])["certificates"] as! [[String: Any]]).map {
                try Certificate(derEncoded: b64($0["rawBytes"] as! String))
            }
            let validFor = ca["validFor"] as! [String: Any]
            return RootCA(chain: chain, start: parseDate(validFor["start"] as! String), end: (validFor["end"] as? String).map(parseDate))
        }
    }

    static func ctLogs(_ relativePath: String) throws -> [CTLogKey] {
        let root = try json(relativePath)
        return try (root["ctlogs"] as! [[String: Any]]).map { log in
            let pk = log["publicKey"] as! [String: Any]
            let validFor = pk["validFor"] as! [String: Any]
            return CTLogKey(
                logID: b64((log["logId"] as! [String: Any])["keyId"] as! String),
                publicKey: try PublicKey(rawBytes: b64(pk["rawBytes"] as! String), keyDetails: pk["keyDetails"] as! String),
                validFrom: parseDate(validFor["start"] as! String),
                validUntil: (validFor["end"] as? String).map(parseDate))
        }
    }
}
