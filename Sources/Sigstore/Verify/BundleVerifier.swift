import Foundation

/// Verifies Sigstore bundles offline against a ``TrustedRoot``, in the manner of sigstore-js `@sigstore/verify`
/// (with its default thresholds): transparency log entries (SET, inclusion proof, signed checkpoint, body),
/// trusted timestamps, the certificate path to a Fulcio CA at each verified time with SCTs, the signature
/// (message or DSSE), the artifact, and the identity policy.
///
/// The verification time is always a verified Rekor integrated time or RFC 3161 genTime, never the clock.
public struct BundleVerifier: Sendable {
    /// The trust material.
    public let trustedRoot: TrustedRoot
    /// Thresholds.
    public var options: VerificationOptions

    /// Creates a verifier; the default trust root is the embedded production root.
    public init(trustedRoot: TrustedRoot = .production, options: VerificationOptions = VerificationOptions()) {
        self.trustedRoot = trustedRoot
        self.options = options
    }

    /// Parses and verifies bundle JSON; a parse failure is a ``BundleVerificationError/Reason/malformedInput``.
    public func verify(bundleJSON: Data, source: String = "bundle", policy: VerificationPolicy)
        throws(BundleVerificationError) -> BundleVerificationResult
    {
        let bundle: SigstoreBundle
        do { bundle = try SigstoreBundle.parse(bundleJSON, source: source) } catch {
            throw BundleVerificationError(.malformedInput, error.description)
        }
        return try verify(bundle, policy: policy)
    }

    /// Verifies a parsed bundle against `policy`. Throws the first failed check.
    public func verify(_ bundle: SigstoreBundle, policy: VerificationPolicy) throws(BundleVerificationError)
        -> BundleVerificationResult
    {
        let signature: Data
        var envelope: DSSEEnvelope?
        switch bundle.content {
        case .messageSignature(let message): signature = message.signature
        case .dsseEnvelope(let dsse):
            envelope = dsse
            signature = dsse.signatures[0].sig
        }

        // Signer material demanded by the policy.
        var leaf: Certificate?
        var managedKey: PublicKey?
        switch policy.signer {
        case .publicKey(let keyData):
            guard case .publicKey = bundle.verificationMaterial.signer else {
                throw BundleVerificationError(.identityMismatch,
                    "a managed key was given, but the bundle is signed with a certificate")
            }
            guard let key = PublicKey.fromKeyFile(keyData) else {
                throw BundleVerificationError(.malformedInput, "the given public key is not a PEM or DER public key")
            }
            managedKey = key
        case .certificateIdentity, .anyCertificate:
            guard let der = bundle.verificationMaterial.signer.leafCertificate else {
                throw BundleVerificationError(.identityMismatch,
                    "a certificate identity was required, but the bundle is signed with a managed key")
            }
            guard let parsed = Certificate.parse(der) else {
                throw BundleVerificationError(.malformedInput, "verificationMaterial: the signing certificate is not valid DER X.509")
            }
            if case .x509CertificateChain(let chain) = bundle.verificationMaterial.signer {
                // Paths are built from the trusted root only. A root certificate in the bundle chain is accepted
                // only if it is one of the trusted root's own certificates (real v0.1 npm bundles carry the full
                // chain); any other self-signed certificate there is rejected.
                let trustedDER = Set(trustedRoot.certificateAuthorities.flatMap(\.certificateChain).map { Data($0.derEncoded) })
                for (index, der) in chain.enumerated() {
                    guard let cert = Certificate.parse(der) else {
                        throw BundleVerificationError(.malformedInput,
                            "verificationMaterial.x509CertificateChain.certificates[\(index)] is not valid DER X.509")
                    }
                    if cert.isSelfSigned, !trustedDER.contains(der) {
                        throw BundleVerificationError(.certificateChain,
                            "verificationMaterial.x509CertificateChain.certificates[\(index)] is a self-signed root that is not in the trusted root")
                    }
                }
            }
            leaf = parsed
        }
        guard let signingKey = managedKey ?? leaf?.publicKey else {
            throw BundleVerificationError(.malformedInput, "the bundle has no usable signing key")
        }

        // 1. Transparency log entries: inclusion (SET, proof, checkpoint).
        var logEntries: [BundleVerificationResult.LogEntry] = []
        var timestamps: [BundleVerificationResult.VerifiedTimestamp] = []
        var seen = Set<String>()
        for entry in bundle.verificationMaterial.tlogEntries {
            let key = "\(Hex.encode(entry.logID))/\(entry.logIndex)"
            guard seen.insert(key).inserted else {
                throw BundleVerificationError(.malformedInput, "duplicate tlog entry \(entry.logIndex) for log \(Hex.encode(entry.logID))")
            }
            let verified = try verifyInclusion(entry)
            logEntries.append(verified)
            if let time = verified.integratedTime {
                timestamps.append(.init(source: .transparencyLog, time: time, authority: verified.logBaseURL))
            }
        }
        guard logEntries.count >= options.transparencyLogThreshold else {
            throw BundleVerificationError(.transparencyLogThreshold,
                "\(logEntries.count) verified transparency log entries, \(options.transparencyLogThreshold) required")
        }

        // 2. RFC 3161 timestamps over the signature bytes.
        for (index, response) in bundle.verificationMaterial.rfc3161Timestamps.enumerated() {
            let time: Date
            do {
                time = try RFC3161Verifier.verify(token: [UInt8](response), signedData: [UInt8](signature),
                                                  authorities: trustedRoot.timestampAuthorities)
            } catch {
                throw BundleVerificationError(.timestampInvalid,
                    "timestampVerificationData.rfc3161Timestamps[\(index)] does not verify: \(error)")
            }
            let authority = trustedRoot.timestampAuthorities.first { $0.isValid(at: time) }
            timestamps.append(.init(source: .timestampAuthority, time: time,
                                    authority: authority?.certificateChain.first.map { "\($0.subject)" } ?? "timestamp authority"))
        }
        guard !timestamps.isEmpty, timestamps.count >= options.timestampThreshold else {
            throw BundleVerificationError(.noTrustedTimestamp,
                "\(timestamps.count) verified timestamps (SET integrated times or RFC 3161), \(options.timestampThreshold) required")
        }

        // A log entry proven only by inclusion (Rekor v2: no SET) must come from a log whose key was valid at
        // every verified time.
        for entry in bundle.verificationMaterial.tlogEntries where entry.signedEntryTimestamp == nil {
            if let log = trustedRoot.tlogs.first(where: { $0.logID == entry.logID }),
               let outside = timestamps.first(where: { !log.publicKey.validFor.contains($0.time) }) {
                throw BundleVerificationError(.untrustedLog,
                    "tlog entry \(entry.logIndex): log \(log.baseURL)'s key is not valid at the verified time \(outside.time)")
            }
        }

        // 3. Certificate path at every verified time, and SCTs.
        var certificateSigner: BundleVerificationResult.CertificateSigner?
        if let leaf {
            certificateSigner = try verifyCertificate(leaf, at: timestamps.map(\.time))
        }

        // 4. Signature, artifact binding.
        var artifactSHA256: Data?
        switch policy.artifact {
        case .bytes(let bytes): artifactSHA256 = SHA2.sha256(bytes)
        case .sha256Digest(let digest):
            guard digest.count == 32 else {
                throw BundleVerificationError(.malformedInput, "the artifact digest must be 32 bytes of SHA-256")
            }
            artifactSHA256 = digest
        case .none: artifactSHA256 = nil
        }
        var statement: InTotoStatement?
        switch bundle.content {
        case .messageSignature(let message):
            guard let artifactSHA256 else {
                throw BundleVerificationError(.artifactMismatch, "a message-signature bundle needs the artifact or its digest")
            }
            if let claimed = message.messageDigest {
                guard claimed.algorithm == "SHA2_256" else {
                    throw BundleVerificationError(.unsupported, "messageSignature.messageDigest.algorithm '\(claimed.algorithm)' is not supported")
                }
                guard claimed.digest == artifactSHA256 else {
                    throw BundleVerificationError(.artifactMismatch,
                        "messageSignature.messageDigest \(Hex.encode(claimed.digest)) is not the artifact's SHA-256 \(Hex.encode(artifactSHA256))")
                }
            }
            let valid: Bool
            if case .bytes(let bytes) = policy.artifact {
                valid = signingKey.isValidSignature([UInt8](signature), for: [UInt8](bytes))
            } else {
                let algorithm = signingKey.defaultSignatureAlgorithm
                guard algorithm.hash == .sha256 else {
                    throw BundleVerificationError(.unsupported,
                        "a \(algorithm) signature is not over SHA-256; verify with the artifact bytes instead of a digest")
                }
                valid = signingKey.isValidSignature([UInt8](signature), forDigest: [UInt8](artifactSHA256), algorithm: algorithm)
            }
            guard valid else {
                throw BundleVerificationError(.signatureMismatch, "messageSignature.signature does not verify over the artifact with the signer's key")
            }
        case .dsseEnvelope(let dsse):
            guard signingKey.isValidSignature([UInt8](signature), for: [UInt8](dsse.preAuthenticationEncoding)) else {
                throw BundleVerificationError(.signatureMismatch, "dsseEnvelope.signatures[0].sig does not verify over the DSSE PAE with the signer's key")
            }
            if dsse.payloadType == InTotoStatement.payloadType {
                do { statement = try InTotoStatement.parse(dsse.payload, source: "dsseEnvelope.payload") } catch {
                    throw BundleVerificationError(.malformedInput, error.description)
                }
            }
            if let artifactSHA256 {
                guard let statement else {
                    throw BundleVerificationError(.unsupported, "dsseEnvelope.payloadType '\(dsse.payloadType)' is not an in-toto statement; cannot bind an artifact")
                }
                let hex = Hex.encode(artifactSHA256)
                guard statement.subjects.contains(where: { $0.digest["sha256"] == hex }) else {
                    throw BundleVerificationError(.artifactMismatch, "no in-toto subject has sha256 \(hex)")
                }
            }
        }

        // 5. Log entry bodies describe this bundle.
        let facts = SignedContentFacts(signature: signature, artifactSHA256: artifactSHA256, envelope: envelope,
                                       leafCertificate: leaf.map { Data($0.derEncoded) },
                                       publicKeySPKI: managedKey.map { Data($0.subjectPublicKeyInfo) })
        for entry in bundle.verificationMaterial.tlogEntries {
            try RekorBodyComparison.check(entry: entry, facts: facts)
        }

        // 6. Identity policy.
        let signer: BundleVerificationResult.Signer
        if let certificateSigner {
            if case .certificateIdentity(let identity) = policy.signer {
                try check(identity, against: certificateSigner)
            }
            signer = .certificate(certificateSigner)
        } else {
            var hint = ""
            if case .publicKey(let bundleHint) = bundle.verificationMaterial.signer { hint = bundleHint }
            signer = .publicKey(keyID: Hex.encode(signingKey.keyID), hint: hint)
        }
        return BundleVerificationResult(bundleVersion: bundle.version, signer: signer, timestamps: timestamps,
                                        logEntries: logEntries, payloadType: envelope?.payloadType,
                                        payload: envelope?.payload, statement: statement)
    }

    // MARK: - Transparency log

    private func verifyInclusion(_ entry: TransparencyLogEntry) throws(BundleVerificationError)
        -> BundleVerificationResult.LogEntry
    {
        let label = "tlog entry \(entry.logIndex)"
        guard let log = trustedRoot.tlogs.first(where: { $0.logID == entry.logID }) else {
            throw BundleVerificationError(.untrustedLog, "\(label): log id \(Hex.encode(entry.logID)) is not a trusted transparency log")
        }
        guard let logKey = try? PublicKey(rawBytes: [UInt8](log.publicKey.rawBytes), keyDetails: log.publicKey.keyDetails) else {
            throw BundleVerificationError(.malformedInput, "trusted root: the key of log \(log.baseURL) cannot be parsed")
        }
        var integratedTime: Date?
        if let set = entry.signedEntryTimestamp {
            let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
            guard entry.integratedTime > 0 else {
                throw BundleVerificationError(.setInvalid, "\(label): a signed entry timestamp needs an integrated time")
            }
            guard log.publicKey.validFor.contains(time) else {
                throw BundleVerificationError(.untrustedLog, "\(label): log \(log.baseURL)'s key is not valid at the integrated time \(time)")
            }
            guard time.timeIntervalSinceNow <= options.futureIntegratedTimeSlack else {
                throw BundleVerificationError(.setInvalid, "\(label): the integrated time \(time) is in the future")
            }
            let payload = RekorCanonicalJSON.signedEntryTimestampPayload(entry: entry)
            guard logKey.isValidSignature([UInt8](set), for: [UInt8](payload)) else {
                throw BundleVerificationError(.setInvalid, "\(label): the signed entry timestamp does not verify with the key of \(log.baseURL)")
            }
            integratedTime = time
        }
        if let proof = entry.inclusionProof {
            let leafHash = MerkleInclusion.leafHash(entry.canonicalizedBody)
            guard let root = MerkleInclusion.root(leafHash: leafHash, index: proof.logIndex, treeSize: proof.treeSize,
                                                  proof: proof.hashes) else {
                throw BundleVerificationError(.inclusionProofInvalid,
                    "\(label): the inclusion proof has the wrong shape for index \(proof.logIndex) in a tree of \(proof.treeSize)")
            }
            guard root == proof.rootHash else {
                throw BundleVerificationError(.inclusionProofInvalid, "\(label): the inclusion proof does not lead to its root hash")
            }
            try verifyCheckpoint(proof, log: log, key: logKey, label: label)
        } else if entry.signedEntryTimestamp == nil {
            throw BundleVerificationError(.inclusionProofInvalid, "\(label): neither an inclusion proof nor an inclusion promise")
        }
        return .init(logBaseURL: log.baseURL, logID: Hex.encode(entry.logID), logIndex: entry.logIndex, kind: entry.kind,
                     kindVersion: entry.kindVersion, integratedTime: integratedTime,
                     verifiedSET: integratedTime != nil, verifiedInclusionProof: entry.inclusionProof != nil)
    }

    private func verifyCheckpoint(_ proof: InclusionProof, log: TransparencyLogInstance, key: PublicKey, label: String)
        throws(BundleVerificationError)
    {
        guard let envelope = proof.checkpointEnvelope else {
            throw BundleVerificationError(.checkpointInvalid, "\(label): the inclusion proof has no checkpoint")
        }
        let checkpoint: Checkpoint
        switch Checkpoint.parse(envelope) {
        case .success(let parsed): checkpoint = parsed
        case .failure(let problem):
            throw BundleVerificationError(.checkpointInvalid, "\(label): malformed checkpoint: \(problem.text)")
        }
        guard checkpoint.rootHash == proof.rootHash, checkpoint.treeSize == proof.treeSize else {
            throw BundleVerificationError(.checkpointInvalid, "\(label): the checkpoint's size/root differ from the inclusion proof's")
        }
        let hint = log.checkpointKeyHint
        let verified = checkpoint.signatures.contains { line in
            line.keyHint == hint && log.baseURL.contains(line.name)
                && key.isValidSignature([UInt8](line.signature), for: [UInt8](checkpoint.note))
        }
        guard verified else {
            throw BundleVerificationError(.checkpointInvalid,
                "\(label): no checkpoint signature from \(log.baseURL) (key hint \(Hex.encode(hint))) verifies")
        }
    }

    // MARK: - Certificates

    private func verifyCertificate(_ leaf: Certificate, at times: [Date]) throws(BundleVerificationError)
        -> BundleVerificationResult.CertificateSigner
    {
        var authorityName = ""
        var issuer: Certificate?
        for time in times {
            let validator = CertificatePathValidator.fulcio(authorities: trustedRoot.certificateAuthorities, at: time)
            switch validator.validate(leaf, at: time) {
            case .valid(let chain) where chain.count >= 2:
                issuer = chain[1]
                authorityName = "\(chain[chain.count - 1].subject)"
            case .valid:
                throw BundleVerificationError(.certificateChain, "the signing certificate is itself a trust anchor")
            case .invalid(let failures):
                throw BundleVerificationError(.certificateChain,
                    "the signing certificate does not chain to a trusted certificate authority valid at \(time): "
                        + failures.map(\.description).joined(separator: "; "))
            }
        }
        guard let issuer else {
            throw BundleVerificationError(.noTrustedTimestamp, "no verified time to validate the certificate at")
        }
        let checks: [SCTCheck]
        do {
            checks = try SCTVerifier.verify(leaf: leaf, issuer: issuer, logs: trustedRoot.ctlogs.compactMap(\.ctLogKey))
        } catch {
            throw BundleVerificationError(.sctInvalid, "the embedded SCTs cannot be read: \(error)")
        }
        let verifiedLogs = Set(checks.filter(\.verified).map(\.sct.logID))
        guard checks.filter(\.verified).count == verifiedLogs.count else {
            throw BundleVerificationError(.sctInvalid, "duplicate SCTs from one CT log")
        }
        let scts = verifiedLogs.count
        guard scts >= options.certificateTransparencyThreshold else {
            throw BundleVerificationError(.sctInvalid,
                "\(scts) embedded SCTs verify against the trusted CT logs, \(options.certificateTransparencyThreshold) required: "
                    + checks.compactMap(\.failureReason).joined(separator: "; "))
        }
        let extensions: FulcioExtensions
        do { extensions = try leaf.fulcioExtensions } catch {
            throw BundleVerificationError(.malformedInput, "the signing certificate's Fulcio extensions are malformed: \(error)")
        }
        return .init(subjectAlternativeNames: leaf.subjectAlternativeNameValues, oidcIssuer: extensions.issuer,
                     extensions: extensions, certificateDER: Data(leaf.derEncoded), notBefore: leaf.notValidBefore,
                     notAfter: leaf.notValidAfter,
                     certificateAuthority: authorityName, verifiedSCTCount: scts)
    }

    private func check(_ identity: VerificationPolicy.CertificateIdentity,
                       against signer: BundleVerificationResult.CertificateSigner) throws(BundleVerificationError)
    {
        let sans = signer.subjectAlternativeNames
        let sanMatches: Bool
        switch identity.subjectAlternativeName {
        case .exact(let expected): sanMatches = sans.contains(expected)
        case .regularExpression(let pattern):
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                throw BundleVerificationError(.malformedInput, "the identity pattern '\(pattern)' is not a valid regular expression")
            }
            sanMatches = sans.contains { san in
                regex.firstMatch(in: san, range: NSRange(san.startIndex..., in: san)) != nil
            }
        }
        guard sanMatches else {
            throw BundleVerificationError(.identityMismatch,
                "certificate SAN \(sans) does not match \(identity.subjectAlternativeName)")
        }
        guard signer.oidcIssuer == identity.oidcIssuer else {
            throw BundleVerificationError(.identityMismatch,
                "certificate OIDC issuer '\(signer.oidcIssuer ?? "none")' is not '\(identity.oidcIssuer)'")
        }
        for (oid, expected) in identity.extensions.sorted(by: { $0.key < $1.key }) {
            let actual = signer.extensions.value(forOID: oid)
            guard actual == expected else {
                throw BundleVerificationError(.identityMismatch,
                    "certificate extension \(oid) is '\(actual ?? "absent")', not '\(expected)'")
            }
        }
    }
}
