import Digest
import Foundation
import JSON
import LoopbackRegistry

/// A Sigstore of its own for tests, as sigstore-go's `VirtualSigstore`: a test Fulcio root CA (and an untrusted
/// one), a test CT log, a test Rekor log and a `trusted_root.json` listing them. It mints bundles that pass the real
/// production verification — Fulcio-style leaf certificates with the Fulcio OID extensions and an embedded SCT,
/// DSSE signatures, Rekor entries with a signed entry timestamp, an inclusion proof and a signed checkpoint — so
/// tests exercise the crypto instead of stubbing it out. Keys and signatures come from the `openssl` CLI; the
/// certificates are assembled here in DER.
public final class VirtualSigstore: Sendable {
    /// An ECDSA P-256 key held as a PEM file in the sigstore's folder.
    public struct Key: Sendable {
        /// The PEM private key file.
        public let privateKey: URL
        /// The DER SubjectPublicKeyInfo.
        public let spki: Data

        /// SHA-256 of the SPKI (a log id).
        public var logID: Data { Data(HashAlgorithm.sha256.hash([UInt8](spki))) }

        /// Signs `message` (ECDSA P-256 with SHA-256, DER signature).
        public func sign(_ message: Data) throws -> Data {
            let folder = privateKey.deletingLastPathComponent()
            let input = folder.appendingPathComponent("message-\(UUID().uuidString)")
            let output = input.appendingPathExtension("sig")
            defer {
                try? FileManager.default.removeItem(at: input)
                try? FileManager.default.removeItem(at: output)
            }
            try message.write(to: input)
            try ProcessRunner.run(["openssl", "dgst", "-sha256", "-sign", privateKey.path, "-out", output.path, input.path])
            return try Data(contentsOf: output)
        }

        /// Generates a fresh key in `folder`.
        public static func generate(in folder: URL, label: String) throws -> Key {
            let pem = folder.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8)).pem")
            let der = pem.appendingPathExtension("spki")
            try ProcessRunner.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                   "-out", pem.path])
            try ProcessRunner.run(["openssl", "pkey", "-in", pem.path, "-pubout", "-outform", "DER", "-out", der.path])
            return Key(privateKey: pem, spki: try Data(contentsOf: der))
        }
    }

    /// A registry signing key (the npm keys document's `ecdsa-sha2-nistp256` form), for publish attestations and
    /// `dist.signatures`.
    public struct RegistryKey: Sendable {
        /// The key.
        public let key: Key
        /// `SHA256:<unpadded base64 of SHA-256 of the SSH wire key>`, as npm names its keys.
        public var keyid: String {
            func sshString(_ bytes: [UInt8]) -> [UInt8] {
                let n = UInt32(bytes.count)
                return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
            }
            let wire = sshString(Array("ecdsa-sha2-nistp256".utf8)) + sshString(Array("nistp256".utf8))
                + sshString(Array(key.spki.suffix(65)))
            var id = Data(HashAlgorithm.sha256.hash(wire)).base64EncodedString()
            while id.hasSuffix("=") { id.removeLast() }
            return "SHA256:" + id
        }
        /// Wraps a key as a registry key.
        public init(key: Key) { self.key = key }

        /// Signs `name@version:integrity` (npm's `dist.signatures` message) and serves the signature in the
        /// packument and this key in the keys document, so `trust.signatures` passes.
        public func sign(_ registry: LoopbackRegistry, name: String, version: String, integrity: String) throws {
            let signature = try key.sign(Data("\(name)@\(version):\(integrity)".utf8)).base64EncodedString()
            let entry = keysEntry, keyid = keyid
            registry.update { content in
                var keys = content.keys?["keys"]?.arrayValue ?? []
                if !keys.contains(entry) { keys.append(entry) }
                content.keys = ["keys": .array(keys)]
                content.updateVersion(name: name, version: version) {
                    $0["dist"]?["signatures"] = [["keyid": .string(keyid), "sig": .string(signature)]]
                }
            }
        }

        /// The entry of a `/-/npm/v1/keys` document.
        public var keysEntry: JSONValue {
            ["expires": .null, "keyid": .string(keyid), "keytype": "ecdsa-sha2-nistp256",
             "scheme": "ecdsa-sha2-nistp256", "key": .string(key.spki.base64EncodedString())]
        }
    }

    /// Who built a package, as the Fulcio certificate and the SLSA provenance state it.
    public struct BuildIdentity: Sendable {
        /// `https://github.com/<owner>/<repo>`.
        public var repository: String
        /// `refs/tags/v1.0.0`.
        public var ref: String
        /// The source commit.
        public var commit: String
        /// `.github/workflows/publish.yml`.
        public var workflowPath: String
        /// The OIDC issuer.
        public var issuer = "https://token.actions.githubusercontent.com"
        /// The triggering event.
        public var trigger = "release"
        /// Numeric repository id.
        public var repositoryID = "123456"
        /// Numeric owner id.
        public var ownerID = "654321"

        /// Creates an identity.
        public init(repository: String, ref: String = "refs/tags/v1.0.0",
                    commit: String = "0123456789abcdef0123456789abcdef01234567",
                    workflowPath: String = ".github/workflows/publish.yml") {
            self.repository = repository
            self.ref = ref
            self.commit = commit
            self.workflowPath = workflowPath
        }

        /// `https://github.com/<owner>`.
        public var ownerURI: String { (repository as NSString).deletingLastPathComponent.replacingOccurrences(of: ":/", with: "://") }
        /// `<repository>/<workflowPath>@<ref>`: the SAN and build signer URI.
        public var workflowURI: String { "\(repository)/\(workflowPath)@\(ref)" }
        /// The CI run URL.
        public var runURL: String { "\(repository)/actions/runs/42/attempts/1" }
    }

    /// The Rekor base URL in the trusted root (checkpoint signer names must occur in it).
    public static let rekorURL = "https://rekor.sigstore.test"
    /// The Rekor checkpoint origin.
    public static let checkpointOrigin = "rekor.sigstore.test - 1193050959916656506"
    /// The Rekor integrated time of every minted entry: 2024-06-03T22:00:00Z (certificates are valid around it).
    public static let integratedTime: Int64 = 1_717_452_000
    /// The in-toto payload type.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"
    /// The SLSA provenance v1 predicate type.
    public static let slsaProvenanceV1 = "https://slsa.dev/provenance/v1"
    /// The npm publish attestation predicate type.
    public static let npmPublishV01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"

    /// The folder holding the keys (removed by ``cleanup()``).
    public let folder: TemporaryFolder
    /// The trusted Fulcio root CA's key and certificate.
    public let rootKey: Key
    /// The trusted root CA certificate (DER).
    public let rootCertificate: Data
    /// A CA that is not in the trusted root (same shape, different key and name).
    public let untrustedKey: Key
    /// The untrusted CA certificate (DER).
    public let untrustedCertificate: Data
    /// The CT log key (signs SCTs).
    public let ctLogKey: Key
    /// The Rekor key (signs SETs and checkpoints).
    public let rekorKey: Key
    /// The registry key that signs publish attestations.
    public let registryKey: RegistryKey

    /// Generates fresh keys and CA certificates (six `openssl` runs).
    public init() throws {
        folder = try TemporaryFolder(label: "virtual-sigstore")
        rootKey = try Key.generate(in: folder.url, label: "fulcio-root")
        untrustedKey = try Key.generate(in: folder.url, label: "untrusted-root")
        ctLogKey = try Key.generate(in: folder.url, label: "ctlog")
        rekorKey = try Key.generate(in: folder.url, label: "rekor")
        registryKey = RegistryKey(key: try Key.generate(in: folder.url, label: "registry"))
        rootCertificate = try Self.caCertificate(key: rootKey, commonName: "sigstore-test-root")
        untrustedCertificate = try Self.caCertificate(key: untrustedKey, commonName: "sigstore-untrusted-root")
    }

    /// Removes the key folder.
    public func cleanup() { folder.cleanup() }

    // MARK: - Trusted root

    /// `trusted_root.json` listing the test Rekor log, the test Fulcio root CA and the test CT log.
    public var trustedRootJSON: Data {
        func key(_ key: Key) -> JSONValue {
            ["rawBytes": .string(key.spki.base64EncodedString()), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
             "validFor": ["start": "2020-01-01T00:00:00Z"]]
        }
        let root: JSONValue = [
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [["baseUrl": .string(Self.rekorURL), "hashAlgorithm": "SHA2_256", "publicKey": key(rekorKey),
                       "logId": ["keyId": .string(rekorKey.logID.base64EncodedString())]]],
            "certificateAuthorities": [[
                "subject": ["organization": "sigstore.test", "commonName": "sigstore-test-root"],
                "uri": "https://fulcio.sigstore.test",
                "certChain": ["certificates": [["rawBytes": .string(rootCertificate.base64EncodedString())]]],
                "validFor": ["start": "2020-01-01T00:00:00Z"]]],
            "ctlogs": [["baseUrl": "https://ctfe.sigstore.test", "hashAlgorithm": "SHA2_256", "publicKey": key(ctLogKey),
                        "logId": ["keyId": .string(ctLogKey.logID.base64EncodedString())]]],
            "timestampAuthorities": [],
        ]
        return root.encoded()
    }

    /// Writes ``trustedRootJSON`` into the sigstore's folder and returns its URL (for `--trusted-root`).
    public func writeTrustedRoot() throws -> URL {
        let url = folder.url.appendingPathComponent("trusted_root.json")
        try trustedRootJSON.write(to: url)
        return url
    }

    // MARK: - Bundles

    /// The in-toto statement of SLSA provenance v1 for `name@version` whose subject digest is `sha512Hex`, built by
    /// `identity` (the shape `npm publish --provenance` writes).
    public static func provenanceStatement(name: String, version: String, sha512Hex: String,
                                           identity: BuildIdentity) -> Data {
        let statement: JSONValue = [
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [["name": .string(purl(name: name, version: version)), "digest": ["sha512": .string(sha512Hex)]]],
            "predicateType": .string(slsaProvenanceV1),
            "predicate": [
                "buildDefinition": [
                    "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                    "externalParameters": ["workflow": ["ref": .string(identity.ref),
                                                        "repository": .string(identity.repository),
                                                        "path": .string(identity.workflowPath)]],
                    "internalParameters": ["github": ["event_name": .string(identity.trigger),
                                                      "repository_id": .string(identity.repositoryID),
                                                      "repository_owner_id": .string(identity.ownerID)]],
                    "resolvedDependencies": [["uri": .string("git+\(identity.repository)@\(identity.ref)"),
                                              "digest": ["gitCommit": .string(identity.commit)]]],
                ],
                "runDetails": ["builder": ["id": "https://github.com/actions/runner/github-hosted"],
                               "metadata": ["invocationId": .string(identity.runURL)]],
            ],
        ]
        return statement.encoded()
    }

    /// The in-toto statement of an npm publish attestation for `name@version` with subject digest `sha512Hex`.
    public static func publishStatement(name: String, version: String, sha512Hex: String) -> Data {
        let statement: JSONValue = [
            "_type": "https://in-toto.io/Statement/v0.1",
            "subject": [["name": .string(purl(name: name, version: version)), "digest": ["sha512": .string(sha512Hex)]]],
            "predicateType": .string(npmPublishV01),
            "predicate": ["name": .string(name), "version": .string(version), "registry": "https://registry.npmjs.org"],
        ]
        return statement.encoded()
    }

    /// `pkg:npm/<name>@<version>` (`@` of a scope escaped).
    public static func purl(name: String, version: String) -> String {
        "pkg:npm/\(name.hasPrefix("@") ? "%40" + name.dropFirst() : name)@\(version)"
    }

    /// A v0.3 bundle (`dsse` 0.0.1 Rekor entry) of `payload`, signed by a fresh Fulcio leaf for `identity` issued by
    /// the trusted root CA, or by the untrusted CA when `untrustedCA` is set.
    public func provenanceBundle(payload: Data, identity: BuildIdentity, untrustedCA: Bool = false) throws -> Data {
        let leafKey = try Key.generate(in: folder.url, label: "leaf")
        let leaf = try leafCertificate(key: leafKey, identity: identity,
                                       issuerKey: untrustedCA ? untrustedKey : rootKey,
                                       issuerCommonName: untrustedCA ? "sigstore-untrusted-root" : "sigstore-test-root")
        let signature = try leafKey.sign(Self.pae(payload))
        let verifier = Self.pem(leaf, label: "CERTIFICATE").base64EncodedString()
        let body: JSONValue = [
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": [
                "envelopeHash": ["algorithm": "sha256", "value": .string(Self.hex(sha256Of: payload))],
                "payloadHash": ["algorithm": "sha256", "value": .string(Self.hex(sha256Of: payload))],
                "signatures": [["signature": .string(signature.base64EncodedString()), "verifier": .string(verifier)]],
            ],
        ]
        return try bundle(mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
                          material: ["certificate": ["rawBytes": .string(leaf.base64EncodedString())]],
                          payload: payload, signature: signature, keyid: "", body: body)
    }

    /// A v0.2 npm publish attestation bundle (`intoto` 0.0.2 Rekor entry) of `payload`, signed by ``registryKey``.
    public func publishAttestationBundle(payload: Data) throws -> Data {
        let signature = try registryKey.key.sign(Self.pae(payload))
        let keyid = registryKey.keyid
        let publicKey = Self.pem(registryKey.key.spki, label: "PUBLIC KEY").base64EncodedString()
        let body: JSONValue = [
            "apiVersion": "0.0.2", "kind": "intoto",
            "spec": ["content": [
                "envelope": ["payloadType": .string(Self.inTotoPayloadType),
                             "signatures": [["keyid": .string(keyid), "publicKey": .string(publicKey),
                                             "sig": .string(Data(signature.base64EncodedString().utf8).base64EncodedString())]]],
                "hash": ["algorithm": "sha256", "value": .string(Self.hex(sha256Of: payload))],
                "payloadHash": ["algorithm": "sha256", "value": .string(Self.hex(sha256Of: payload))],
            ]],
        ]
        return try bundle(mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2",
                          material: ["publicKey": ["hint": .string(keyid)]],
                          payload: payload, signature: signature, keyid: keyid, body: body)
    }

    /// The npm attestations document (`{"attestations": [{predicateType, bundle}]}`) for `name@version` whose
    /// tarball is `tarball`: a v0.2 publish attestation and a v0.3 SLSA provenance bundle built by `identity`.
    public func attestations(name: String, version: String, tarball: Data, identity: BuildIdentity,
                             untrustedCA: Bool = false) throws -> JSONValue {
        let sha512 = Self.sha512Hex(tarball)
        let publish = try publishAttestationBundle(payload: Self.publishStatement(name: name, version: version, sha512Hex: sha512))
        let provenance = try provenanceBundle(
            payload: Self.provenanceStatement(name: name, version: version, sha512Hex: sha512, identity: identity),
            identity: identity, untrustedCA: untrustedCA)
        return ["attestations": [
            ["predicateType": .string(Self.npmPublishV01), "bundle": try JSONValue(parsing: publish)],
            ["predicateType": .string(Self.slsaProvenanceV1), "bundle": try JSONValue(parsing: provenance)],
        ]]
    }

    /// Serves minted attestations for `name@version` (already in `registry`, with its tarball), signs the version's
    /// `dist.signatures` with ``registryKey`` (served in the keys document), and announces the provenance in the
    /// packument's `dist.attestations`.
    public func serve(_ registry: LoopbackRegistry, name: String, version: String, identity: BuildIdentity,
                      untrustedCA: Bool = false) throws {
        let path = RegistryContent.tarballPath(name: name, version: version)
        guard let tarball = registry.content.tarballs[path] else {
            throw MissingTarball(description: "VirtualSigstore.serve: the registry has no tarball at \(path)")
        }
        let document = try attestations(name: name, version: version, tarball: tarball, identity: identity,
                                        untrustedCA: untrustedCA)
        try registryKey.sign(registry, name: name, version: version, integrity: Self.integrity(tarball))
        registry.update { content in
            content.attestations["\(name)@\(version)"] = document
            content.updateVersion(name: name, version: version) {
                $0["dist"]?["attestations"] = [
                    "url": .string("https://registry.npmjs.org/-/npm/v1/attestations/\(name)@\(version)"),
                    "provenance": ["predicateType": .string(Self.slsaProvenanceV1)]]
            }
        }
    }

    /// ``serve(_:name:version:identity:untrustedCA:)`` found no tarball to attest.
    public struct MissingTarball: Error, CustomStringConvertible {
        /// What is missing.
        public let description: String
    }

    // MARK: - Assembly

    private func bundle(mediaType: String, material: JSONValue, payload: Data, signature: Data, keyid: String,
                        body: JSONValue) throws -> Data {
        let canonicalBody = body.encoded()
        let logIndex: Int64 = 95_000_001
        let set = try rekorKey.sign(Data(("{\"body\":\"\(canonicalBody.base64EncodedString())\",\"integratedTime\":\(Self.integratedTime),"
            + "\"logID\":\"\(Self.hex(rekorKey.logID))\",\"logIndex\":\(logIndex)}").utf8))
        // A tree of two leaves: the sibling is some other entry, our leaf is index 1.
        let leafHash = Self.sha256(Data([0]) + canonicalBody)
        let sibling = Self.sha256(Data("another entry".utf8))
        let rootHash = Self.sha256(Data([1]) + sibling + leafHash)
        let note = "\(Self.checkpointOrigin)\n2\n\(rootHash.base64EncodedString())\n"
        let noteSignature = try rekorKey.sign(Data(note.utf8))
        let host = URL(string: Self.rekorURL)!.host!
        let checkpoint = note + "\n\u{2014} \(host) \((rekorKey.logID.prefix(4) + noteSignature).base64EncodedString())\n"
        var materialObject = material
        materialObject["tlogEntries"] = [[
            "logIndex": .string(String(logIndex)),
            "logId": ["keyId": .string(rekorKey.logID.base64EncodedString())],
            "kindVersion": ["kind": .string(body["kind"]?.stringValue ?? ""),
                            "version": .string(body["apiVersion"]?.stringValue ?? "")],
            "integratedTime": .string(String(Self.integratedTime)),
            "inclusionPromise": ["signedEntryTimestamp": .string(set.base64EncodedString())],
            "inclusionProof": ["logIndex": "1", "rootHash": .string(rootHash.base64EncodedString()), "treeSize": "2",
                               "hashes": [.string(sibling.base64EncodedString())],
                               "checkpoint": ["envelope": .string(checkpoint)]],
            "canonicalizedBody": .string(canonicalBody.base64EncodedString()),
        ]]
        materialObject["timestampVerificationData"] = [:]
        let bundle: JSONValue = [
            "mediaType": .string(mediaType),
            "verificationMaterial": materialObject,
            "dsseEnvelope": ["payload": .string(payload.base64EncodedString()),
                             "payloadType": .string(Self.inTotoPayloadType),
                             "signatures": [["sig": .string(signature.base64EncodedString()), "keyid": .string(keyid)]]],
        ]
        return bundle.encoded()
    }

    /// The DSSE pre-authentication encoding of an in-toto payload.
    static func pae(_ payload: Data) -> Data {
        Data("DSSEv1 \(inTotoPayloadType.utf8.count) \(inTotoPayloadType) \(payload.count) ".utf8) + payload
    }

    /// The hex SHA-512 of `data` (an in-toto subject digest).
    public static func sha512Hex(_ data: Data) -> String { hex(Data(HashAlgorithm.sha512.hash([UInt8](data)))) }
    /// The `sha512-<base64>` integrity of `data`.
    public static func integrity(_ data: Data) -> String {
        "sha512-" + Data(HashAlgorithm.sha512.hash([UInt8](data))).base64EncodedString()
    }

    static func sha256(_ data: Data) -> Data { Data(HashAlgorithm.sha256.hash([UInt8](data))) }
    static func hex(_ data: Data) -> String { DigestEncoding.hex(data) }
    static func hex(sha256Of data: Data) -> String { hex(sha256(data)) }

    static func pem(_ der: Data, label: String) -> Data {
        let base64 = der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Data("-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n".utf8)
    }

    // MARK: - Certificates (DER)

    private static let fulcioArc = "1.3.6.1.4.1.57264.1"

    private static func caCertificate(key: Key, commonName: String) throws -> Data {
        let name = DERBuilder.name(organization: "sigstore.test", commonName: commonName)
        let ski = DERBuilder.keyIdentifier(key.spki)
        let extensions = [
            DERBuilder.extension("2.5.29.19", critical: true, DERBuilder.sequence([DERBuilder.boolean(true)])),
            DERBuilder.extension("2.5.29.15", critical: true, [0x03, 0x02, 0x01, 0x06]),
            DERBuilder.extension("2.5.29.14", critical: false, DERBuilder.tlv(0x04, ski)),
        ]
        let tbs = DERBuilder.tbs(serial: 1, issuer: name, notBefore: "200101000000Z", notAfter: "391231235959Z",
                                 subject: name, spki: key.spki, extensions: extensions)
        return try DERBuilder.certificate(tbs: tbs, signer: key)
    }

    private func leafCertificate(key: Key, identity: BuildIdentity, issuerKey: Key, issuerCommonName: String) throws -> Data {
        let issuer = DERBuilder.name(organization: "sigstore.test", commonName: issuerCommonName)
        func utf8(_ arc: Int, _ value: String) -> [UInt8] {
            DERBuilder.extension("\(Self.fulcioArc).\(arc)", critical: false, DERBuilder.tlv(0x0C, Array(value.utf8)))
        }
        var extensions = [
            DERBuilder.extension("2.5.29.15", critical: true, [0x03, 0x02, 0x07, 0x80]),
            DERBuilder.extension("2.5.29.37", critical: false, DERBuilder.sequence([DERBuilder.oid("1.3.6.1.5.5.7.3.3")])),
            DERBuilder.extension("2.5.29.14", critical: false, DERBuilder.tlv(0x04, DERBuilder.keyIdentifier(key.spki))),
            DERBuilder.extension("2.5.29.35", critical: false,
                                 DERBuilder.sequence([DERBuilder.tlv(0x80, DERBuilder.keyIdentifier(issuerKey.spki))])),
            DERBuilder.extension("2.5.29.17", critical: true,
                                 DERBuilder.sequence([DERBuilder.tlv(0x86, Array(identity.workflowURI.utf8))])),
            DERBuilder.extension("\(Self.fulcioArc).1", critical: false, Array(identity.issuer.utf8)),
            utf8(8, identity.issuer), utf8(9, identity.workflowURI), utf8(10, identity.commit),
            utf8(11, "github-hosted"), utf8(12, identity.repository), utf8(13, identity.commit), utf8(14, identity.ref),
            utf8(15, identity.repositoryID), utf8(16, identity.ownerURI),
            utf8(17, identity.ownerID), utf8(18, identity.workflowURI), utf8(19, identity.commit),
            utf8(20, identity.trigger), utf8(21, identity.runURL), utf8(22, "public"),
        ]
        let notBefore = Date(timeIntervalSince1970: TimeInterval(Self.integratedTime - 300))
        let notAfter = Date(timeIntervalSince1970: TimeInterval(Self.integratedTime + 300))
        let serial = UInt64.random(in: 1...UInt64(Int64.max))
        func tbs(_ extensions: [[UInt8]]) -> [UInt8] {
            DERBuilder.tbs(serial: serial, issuer: issuer, notBefore: DERBuilder.utcTime(notBefore),
                           notAfter: DERBuilder.utcTime(notAfter), subject: DERBuilder.sequence([]), spki: key.spki,
                           extensions: extensions)
        }
        // RFC 6962: the CT log signs the precertificate TBS (the final TBS without the SCT list).
        let precertificate = tbs(extensions)
        let timestamp = UInt64(Self.integratedTime - 250) * 1000
        func be(_ value: UInt64, _ count: Int) -> [UInt8] { (0..<count).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xff) } }
        let issuerKeyHash = HashAlgorithm.sha256.hash([UInt8](issuerKey.spki))
        let signed: [UInt8] = [0, 0] + be(timestamp, 8) + be(1, 2) + issuerKeyHash
            + be(UInt64(precertificate.count), 3) + precertificate + be(0, 2)
        let sctSignature = [UInt8](try ctLogKey.sign(Data(signed)))
        let sct: [UInt8] = [0] + [UInt8](ctLogKey.logID) + be(timestamp, 8) + be(0, 2) + [4, 3]
            + be(UInt64(sctSignature.count), 2) + sctSignature
        let list = be(UInt64(sct.count + 2), 2) + be(UInt64(sct.count), 2) + sct
        extensions.append(DERBuilder.extension("1.3.6.1.4.1.11129.2.4.2", critical: false, DERBuilder.tlv(0x04, list)))
        return try DERBuilder.certificate(tbs: tbs(extensions), signer: issuerKey)
    }
}

/// Minimal DER encoding for ``VirtualSigstore``'s certificates.
enum DERBuilder {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let count = content.count
        var length: [UInt8]
        if count < 0x80 {
            length = [UInt8(count)]
        } else {
            var bytes: [UInt8] = []
            var n = count
            while n > 0 { bytes.insert(UInt8(n & 0xff), at: 0); n >>= 8 }
            length = [0x80 | UInt8(bytes.count)] + bytes
        }
        return [tag] + length + content
    }

    static func sequence(_ items: [[UInt8]]) -> [UInt8] { tlv(0x30, items.flatMap { $0 }) }
    static func set(_ items: [[UInt8]]) -> [UInt8] { tlv(0x31, items.flatMap { $0 }) }
    static func boolean(_ value: Bool) -> [UInt8] { [0x01, 0x01, value ? 0xff : 0x00] }

    static func integer(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var n = value
        repeat { bytes.insert(UInt8(n & 0xff), at: 0); n >>= 8 } while n > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return tlv(0x02, bytes)
    }

    static func oid(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        var body: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7f)]
            var n = arc >> 7
            while n > 0 { chunk.insert(UInt8(n & 0x7f) | 0x80, at: 0); n >>= 7 }
            body += chunk
        }
        return tlv(0x06, body)
    }

    static func name(organization: String, commonName: String) -> [UInt8] {
        sequence([
            set([sequence([oid("2.5.4.10"), tlv(0x0C, Array(organization.utf8))])]),
            set([sequence([oid("2.5.4.3"), tlv(0x0C, Array(commonName.utf8))])]),
        ])
    }

    static func `extension`(_ identifier: String, critical: Bool, _ value: [UInt8]) -> [UInt8] {
        sequence([oid(identifier)] + (critical ? [boolean(true)] : []) + [tlv(0x04, value)])
    }

    /// A 20-byte key identifier (the first 20 bytes of SHA-256 of the SPKI).
    static func keyIdentifier(_ spki: Data) -> [UInt8] { Array(HashAlgorithm.sha256.hash([UInt8](spki)).prefix(20)) }

    static func utcTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    static let ecdsaWithSHA256 = sequence([oid("1.2.840.10045.4.3.2")])

    static func tbs(serial: UInt64, issuer: [UInt8], notBefore: String, notAfter: String, subject: [UInt8], spki: Data,
                    extensions: [[UInt8]]) -> [UInt8] {
        sequence([
            tlv(0xA0, integer(2)), integer(serial), ecdsaWithSHA256, issuer,
            sequence([tlv(0x17, Array(notBefore.utf8)), tlv(0x17, Array(notAfter.utf8))]),
            subject, [UInt8](spki), tlv(0xA3, sequence(extensions)),
        ])
    }

    static func certificate(tbs: [UInt8], signer: VirtualSigstore.Key) throws -> Data {
        let signature = try signer.sign(Data(tbs))
        return Data(sequence([tbs, ecdsaWithSHA256, tlv(0x03, [0] + [UInt8](signature))]))
    }
}
