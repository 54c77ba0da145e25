import Digest
import Foundation
import TestSupport
import Testing

@testable import Sigstore

private func b64(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }
private func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

@Suite struct PublicKeyTests {
    struct KeysFile: Decodable {
        struct Key: Decodable { let keyid: String; let key: String }
        let keys: [Key]
    }
    struct SignaturesFile: Decodable {
        struct Record: Decodable {
            struct Sig: Decodable { let keyid: String; let sig: String }
            let name: String
            let version: String
            let integrity: String
            let signatures: [Sig]
        }
        let records: [Record]
    }

    @Test func npmKeyFingerprintsMatchKeyIDs() throws {
        let file = try JSONDecoder().decode(KeysFile.self, from: Fixtures.data("npm/keys.json"))
        #expect(file.keys.count == 2)
        for key in file.keys {
            let publicKey = try PublicKey(derSubjectPublicKeyInfo: b64(key.key))
            #expect(publicKey.keyType == .ecdsaP256)
            #expect(publicKey.opensshFingerprint == key.keyid)
        }
    }

    @Test func everyRealNPMSignatureVerifies() throws {
        let keys = try JSONDecoder().decode(KeysFile.self, from: Fixtures.data("npm/keys.json")).keys
        let records = try JSONDecoder().decode(SignaturesFile.self, from: Fixtures.data("npm/signatures.json")).records
        var verified = 0
        for record in records {
            for signature in record.signatures {
                let key = try #require(keys.first { $0.keyid == signature.keyid })
                let publicKey = try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\n\(key.key)\n-----END PUBLIC KEY-----")
                let message = Array("\(record.name)@\(record.version):\(record.integrity)".utf8)
                #expect(publicKey.isValidSignature(b64(signature.sig), for: message, algorithm: .ecdsa(.sha256)))
                #expect(publicKey.isValidSignature(b64(signature.sig), for: message))
                #expect(publicKey.isValidSignature(b64(signature.sig), forDigest: HashAlgorithm.sha256.hash(message), algorithm: .ecdsa(.sha256)))
                // Mutations fail.
                #expect(!publicKey.isValidSignature(b64(signature.sig), for: message + [0x20], algorithm: .ecdsa(.sha256)))
                var badSig = b64(signature.sig)
                badSig[badSig.count - 3] ^= 1
                #expect(!publicKey.isValidSignature(badSig, for: message, algorithm: .ecdsa(.sha256)))
                #expect(!publicKey.isValidSignature(b64(signature.sig), for: message, algorithm: .ecdsa(.sha384)))
                #expect(!publicKey.isValidSignature(b64(signature.sig), for: message, algorithm: .rsaPKCS1v15(.sha256)))
                #expect(!publicKey.isValidSignature([], for: message, algorithm: .ecdsa(.sha256)))
                verified += 1
            }
        }
        #expect(verified >= 4)
        print("npm registry signatures verified: \(verified)")
    }

    @Test func everyTrustedRootKeyParsesAndLogIDsMatch() throws {
        var urls = [try Fixtures.url("sigstore/trusted_root.production.json"), try Fixtures.url("sigstore/trusted_root.public-good.json")]
        let conformance = try Fixtures.url("sigstore/conformance")
        if let walker = FileManager.default.enumerator(at: conformance, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.lastPathComponent.hasPrefix("trusted_root") && url.pathExtension == "json" {
                urls.append(url)
            }
        }
        var parsed = 0
        var matchedIDs = 0
        for url in urls {
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            for listName in ["tlogs", "ctlogs"] {
                for log in root[listName] as? [[String: Any]] ?? [] {
                    let pk = log["publicKey"] as! [String: Any]
                    let key = try PublicKey(rawBytes: b64(pk["rawBytes"] as! String), keyDetails: pk["keyDetails"] as! String)
                    parsed += 1
                    let logID = b64((log["logId"] as! [String: Any])["keyId"] as! String)
                    if key.keyID == logID { matchedIDs += 1 }
                }
            }
        }
        print("trusted-root log keys parsed: \(parsed), logId == SHA-256(SPKI): \(matchedIDs) (\(urls.count) files)")
        #expect(parsed > 40)
        #expect(matchedIDs > 0)
    }

    @Test func unknownKeyDetailsAndMismatchesAreRejected() throws {
        let p256 = b64("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g==")
        #expect(throws: CryptoError.self) { try PublicKey(rawBytes: p256, keyDetails: "PKIX_ECDSA_P384_SHA_384") }
        #expect(throws: CryptoError.self) { try PublicKey(rawBytes: p256, keyDetails: "LMS_SHA256") }
        #expect(throws: CryptoError.self) { try PublicKey(derSubjectPublicKeyInfo: Array(p256.dropLast())) }
        #expect(throws: CryptoError.self) { try PublicKey(pem: "not a key") }
        let key = try PublicKey(rawBytes: p256, keyDetails: "PKIX_ECDSA_P256_SHA_256")
        #expect(key.keyID.count == 32)
        #expect(try PublicKey(pem: key.pemEncoded) == key)
    }

    @Test func ed25519RFC8032Vector() throws {
        let key = try PublicKey(derSubjectPublicKeyInfo: hex("302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        #expect(key.keyType == .ed25519)
        let sig = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key.isValidSignature(sig, for: [], algorithm: .ed25519))
        #expect(!key.isValidSignature(sig, for: [0], algorithm: .ed25519))
        #expect(!key.isValidSignature(sig, forDigest: HashAlgorithm.sha256.hash([]), algorithm: .ed25519))
        #expect(key.opensshWireFormat.count == 4 + 11 + 4 + 32)
    }

    static let message = Array("provcheck rsa vector".utf8)

    @Test func rsaPKCS1AndPSSVectors() throws {
        // Generated once with the openssl CLI (2048-bit key; PSS salt length 32).
        let key = try PublicKey(rawBytes: b64("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyXrAnhlB6nJ8p1drsDFnQB1tLIy7MlHkuF0ocx6UbmngrhsspkDpEcavHyx0ZUIvzoX6t9wsrjRzsJQ3j2l8wLWKsMn94lDqT2I4Y/bz3GkBdtZHS7/+mQKu74C7s35/+X/NV/S6hOYxMofWepgM3+QNLe2ItjqtArKF/+eOQZGfhrupW82fk9CsepCC6vHlW6ZdEhz6dnUVWjxnEl1b6urFG0PTskOmzDCRZMNS+99yK2tPz0ig5Ls/3CqUIDPDQRMd4FUrOifRIuyr6rtCmb/ZLfC6pmyo/s5n17Z5jik4LhqkLDWzI9kMbdZVeP8Z7IQt+M4SJUj/NogeCiLtxQIDAQAB"), keyDetails: "PKIX_RSA_PKCS1V15_2048_SHA256")
        #expect(key.keyType == .rsa && key.bits == 2048)
        #expect(key.opensshFingerprint == "SHA256:gNoHyulrdUvz24SMa73Lb7SgqfX57cfLWI/cktt6cT8")
        let p15 = b64("tJaLYHBJWyf9v4r8rwis5/FGWFBqGaTFfhMFE70MsGuWVUF7ZZzhipRlOF3BwLCRILttif8E4q2SpAD434UieryxyPjPFBxI68p9GHqpTDH9SL4mWPe0vAYHWN0mHAsu7jdfx+STXAbDp+Sf10frua3/KYyAF4w9njYj+1uZJ5MPT21cbMgmBwgDLS2BpKIzCkQi7JTg+EZYt7ZsWY2hkLUrXZvRiL9FzF7n1t9ashKWLxt8Ne9Y+HKeQd9P9Uo5rrkLfaKjjswZf7fB8jlb1l27H5p8+Ix3E7VDdq+qcS/k8XhSRKYgQx7MxYbI49/ge8RmtcLl+xkuHx50tfSKpQ==")
        let pss = b64("qTBg7z5qtjgjfpTYMR74lAyySEgFuuPYWkYfMoeTXasnlk2FU9gukNt4R39XVmpqUHom816KLQl5eC0AYJQ6lkhXWmflObCa73AuLtpLvntwcsfs97yrt3qrufkq24S/5dCZ78S61JG5qosJDqiYy+EGczEwa2/yNL8NSQG3sn8U9UrfpSQgBAMuk7im+KbLGQOr5m/5F89JkO4s+C9o+mgAIZwXdBTkIVAA1caBCgzmg6sxwnyR764VdEQ3B3Oh//eFK8lDIGP7xlVMDllov9D0xmGuQ6UK4erywHBI1GOrIbXg8sW/OtnxJ364P59p2EWuIUK6Lgf9wAMgGuM80w==")
        #expect(key.isValidSignature(p15, for: Self.message, algorithm: .rsaPKCS1v15(.sha256)))
        #expect(key.isValidSignature(p15, for: Self.message))
        #expect(key.isValidSignature(p15, forDigest: HashAlgorithm.sha256.hash(Self.message), algorithm: .rsaPKCS1v15(.sha256)))
        #expect(!key.isValidSignature(p15, for: Self.message, algorithm: .rsaPSS(.sha256)))
        #expect(key.isValidSignature(pss, for: Self.message, algorithm: .rsaPSS(.sha256)))
        #expect(key.isValidSignature(pss, forDigest: HashAlgorithm.sha256.hash(Self.message), algorithm: .rsaPSS(.sha256)))
        #expect(!key.isValidSignature(pss, for: Self.message, algorithm: .rsaPKCS1v15(.sha256)))
        #expect(!key.isValidSignature(pss, for: Self.message + [1], algorithm: .rsaPSS(.sha256)))
        #expect(throws: CryptoError.self) { try PublicKey(rawBytes: key.subjectPublicKeyInfo, keyDetails: "PKIX_RSA_PKCS1V15_4096_SHA256") }
        // The PKCS#1 form of the same key.
        let pkcs1 = key.rawPublicKey
        let again = try PublicKey(rawBytes: pkcs1, keyDetails: "PKCS1_RSA_PKCS1V5")
        #expect(again == key)
    }

    @Test func p384Vector() throws {
        let key = try PublicKey(rawBytes: b64("MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAECDddTK4/h8+suYXeXq+zGybWz2FKo6IfmQXgETrJznXlTkoTTXCpMBNPFbN41QMff6GX3Xv7wp29mGpUQbaiKH1M2cnh1S7JS0uGFlhaEHiqviXzUKhcnN0vZaRuw62y"), keyDetails: "PKIX_ECDSA_P384_SHA_384")
        #expect(key.keyType == .ecdsaP384)
        #expect(key.opensshFingerprint == "SHA256:JdACYi3PZ/qmsOpfFtz0HDKo9aD7uTtvwsH6g4K0vvo")
        let sig = b64("MGMCMDKRA7AMsrv/Xq/OYBuG0MWjZY8Tn25f41uWcVixRs0WoQXautZ3Pjcih+YSS8KpXgIvTrD/vLZYN6/MINqTF1gRYZX6T58zbNt7YNKjGIZirm2UO/aZVUn8DSIBR3/6Zsw=")
        #expect(key.isValidSignature(sig, for: Self.message))
        #expect(key.isValidSignature(sig, for: Self.message, algorithm: .ecdsa(.sha384)))
        #expect(!key.isValidSignature(sig, for: Self.message, algorithm: .ecdsa(.sha256)))
    }
}
