import ArgumentParser
import Digest
import Foundation
import Sigstore

/// `provcheck sigstore …`: Sigstore bundle tools.
struct SigstoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sigstore",
        abstract: "Verify Sigstore bundles offline (sigstore-conformance client contract).",
        discussion: """
        Examples:
          provcheck sigstore verify-bundle --bundle a.sigstore.json \\
            --certificate-identity-regexp '^https://github.com/o/r/' \\
            --certificate-oidc-issuer https://token.actions.githubusercontent.com \\
            a.tgz
        """,
        subcommands: [VerifyBundle.self])
}

extension SigstoreCommand {
    /// `provcheck sigstore verify-bundle`: the sigstore-conformance `verify-bundle` contract.
    struct VerifyBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-bundle",
            abstract: "Verify a Sigstore bundle for an artifact, offline.",
            discussion: """
            ARTIFACT is a file path, or sha256:<64 hex> (used as a digest only when no such file exists).
            For DSSE bundles it is the in-toto subject. Exit 0 if and only if the bundle verifies; 1 if a check
            fails; 2 if an input cannot be read. The default trust root is the Sigstore production root built
            into provcheck; the verification time is the Rekor integrated time or RFC 3161 time, never the clock.

            Examples:
              provcheck sigstore verify-bundle --bundle a.sigstore.json \\
                --certificate-identity me@example.com \\
                --certificate-oidc-issuer https://github.com/login/oauth a.txt
              provcheck sigstore verify-bundle --bundle b.sigstore.json \\
                --key key.pub sha256:<64 hex> --json
            """)

        @Flag(name: .long, help: "Use the Sigstore staging instance (requires --trusted-root; no staging root ships).")
        var staging = false

        @Option(name: .long, help: ArgumentHelp("The Sigstore bundle (JSON).", valueName: "file"))
        var bundle: String

        @Option(name: .long, help: ArgumentHelp("Required certificate SAN (exact match).", valueName: "identity"))
        var certificateIdentity: String?

        @Option(name: .long, help: ArgumentHelp("Required certificate SAN, as a regular expression (unanchored).",
                                                valueName: "regex"))
        var certificateIdentityRegexp: String?

        @Option(name: .long, help: ArgumentHelp("Required OIDC issuer (exact match).", valueName: "url"))
        var certificateOidcIssuer: String?

        @Option(name: .long, parsing: .singleValue,
                help: ArgumentHelp("Required Fulcio extension value, OID=VALUE (repeatable), e.g. 1.3.6.1.4.1.57264.1.12=https://github.com/o/r.",
                                   valueName: "oid=value"))
        var certificateExtension: [String] = []

        @Option(name: .long, help: ArgumentHelp("Verify with this managed public key (PEM or DER) instead of a certificate.",
                                                valueName: "file"))
        var key: String?

        @Option(name: .long, help: ArgumentHelp("Trusted root JSON (default: the built-in production root).", valueName: "file"))
        var trustedRoot: String?

        @OptionGroup var output: OutputOptions

        @Argument(help: ArgumentHelp("The artifact file, or sha256:<hex>.", valueName: "artifact"))
        var artifact: String

        /// Usage problems exit with provcheck's status 2 (not ArgumentParser's 64).
        func validate() throws {
            try checkOptions()
        }

        private func checkOptions() throws {
            let identity = certificateIdentity != nil || certificateIdentityRegexp != nil
            if key != nil {
                guard !identity, certificateOidcIssuer == nil, certificateExtension.isEmpty else {
                    throw ValidationError("--key cannot be combined with certificate identity options")
                }
            } else {
                guard identity, certificateOidcIssuer != nil else {
                    throw ValidationError("give --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer, or --key")
                }
                guard certificateIdentity == nil || certificateIdentityRegexp == nil else {
                    throw ValidationError("give either --certificate-identity or --certificate-identity-regexp, not both")
                }
            }
            // The same engine the verifier matches with: a pattern it cannot compile is a usage error (exit 2).
            if let pattern = certificateIdentityRegexp, (try? NSRegularExpression(pattern: pattern)) == nil {
                throw ValidationError("--certificate-identity-regexp '\(pattern)' is not a valid regular expression")
            }
            if artifact.hasPrefix("sha256:"), Self.sha256Digest(artifact) == nil,
               !FileManager.default.fileExists(atPath: artifact) {
                throw ValidationError("artifact '\(artifact)' is neither a file nor sha256:<64 hex digits>")
            }
            if staging, trustedRoot == nil {
                throw ValidationError("--staging needs --trusted-root: provcheck ships only the production trust root")
            }
        }

        func run() async throws {
            let report: VerifyBundleReport
            do {
                report = try verify()
            } catch let error as InputError {
                throw CommandFailure("sigstore verify-bundle", code: "EINPUT", message: error.message)
            }
            try output.emit(report, text: report.text + "\n", passed: report.ok)
        }

        struct InputError: Error { let message: String }

        private func read(_ path: String, what: String) throws -> Data {
            do { return try InputFile.read(URL(fileURLWithPath: path)) } catch {
                throw InputError(message: "cannot read \(what) '\(path)': it \(error.problem)")
            }
        }

        private func verify() throws -> VerifyBundleReport {
            let bundleData = try read(bundle, what: "bundle")
            let root: TrustedRoot
            if let trustedRoot {
                // An unusable trust root is an input error (exit 2), not a verification failure.
                do { root = try TrustedRoot.parse(read(trustedRoot, what: "trusted root"), source: trustedRoot) } catch let error as SigstoreFormatError {
                    throw InputError(message: "--trusted-root: \(error.description)")
                }
            } else {
                root = .production
            }
            let artifactValue: VerificationPolicy.Artifact
            if let digest = Self.sha256Digest(artifact), !FileManager.default.fileExists(atPath: artifact) {
                artifactValue = .sha256Digest(digest)
            } else {
                artifactValue = .bytes(try read(artifact, what: "artifact"))
            }
            let signer: VerificationPolicy.Signer
            if let key {
                signer = .publicKey(try read(key, what: "key"))
            } else {
                var extensions: [String: String] = [:]
                for pair in certificateExtension {
                    guard let equals = pair.firstIndex(of: "=") else {
                        throw InputError(message: "--certificate-extension '\(pair)' is not OID=VALUE")
                    }
                    extensions[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
                }
                let san: VerificationPolicy.SANMatcher = certificateIdentity.map { .exact($0) }
                    ?? .regularExpression(certificateIdentityRegexp ?? "")
                signer = .certificateIdentity(.init(subjectAlternativeName: san, oidcIssuer: certificateOidcIssuer ?? "",
                                                    extensions: extensions))
            }
            do {
                let result = try BundleVerifier(trustedRoot: root).verify(
                    bundleJSON: bundleData, source: bundle, policy: VerificationPolicy(artifact: artifactValue, signer: signer))
                return .success(result)
            } catch {
                return .failure(error.reason, error.message)
            }
        }

        /// `sha256:<64 hex>` → 32 bytes.
        static func sha256Digest(_ text: String) -> Data? {
            guard text.hasPrefix("sha256:") else { return nil }
            let hex = Array(text.dropFirst(7).utf8)
            guard hex.count == 64, hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) })
            else { return nil }
            var bytes = Data()
            var index = 0
            while index < 64 {
                bytes.append(UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16)!)
                index += 2
            }
            return bytes
        }
    }
}

/// What `verify-bundle` prints.
struct VerifyBundleReport: Encodable {
    struct Timestamp: Encodable {
        let source: String
        let time: Date
        let authority: String
    }

    struct LogEntry: Encodable {
        let log: String
        let logIndex: Int64
        let kind: String
        let integratedTime: Date?
        let verifiedSET: Bool
        let verifiedInclusionProof: Bool
    }

    let ok: Bool
    let reason: String?
    let message: String?
    let signer: [String: String]?
    let timestamps: [Timestamp]
    let tlogEntries: [LogEntry]
    let predicateType: String?

    static func failure(_ reason: BundleVerificationError.Reason, _ message: String) -> VerifyBundleReport {
        VerifyBundleReport(ok: false, reason: reason.rawValue, message: message, signer: nil, timestamps: [],
                           tlogEntries: [], predicateType: nil)
    }

    static func success(_ result: BundleVerificationResult) -> VerifyBundleReport {
        var signer: [String: String] = [:]
        switch result.signer {
        case .certificate(let certificate):
            signer["san"] = certificate.subjectAlternativeNames.joined(separator: ", ")
            signer["issuer"] = certificate.oidcIssuer ?? ""
            signer["certificate_authority"] = certificate.certificateAuthority
            let ext = certificate.extensions
            for (name, value) in [("source_repository_uri", ext.sourceRepositoryURI),
                                  ("source_repository_digest", ext.sourceRepositoryDigest),
                                  ("source_repository_ref", ext.sourceRepositoryRef),
                                  ("build_signer_uri", ext.buildSignerURI), ("build_trigger", ext.buildTrigger),
                                  ("run_invocation_uri", ext.runInvocationURI),
                                  ("runner_environment", ext.runnerEnvironment)] {
                if let value { signer[name] = value }
            }
        case .publicKey(let keyID, let hint):
            signer["key_id"] = keyID
            if !hint.isEmpty { signer["hint"] = hint }
        }
        return VerifyBundleReport(
            ok: true, reason: nil, message: nil, signer: signer,
            timestamps: result.timestamps.map { .init(source: $0.source.rawValue, time: $0.time, authority: $0.authority) },
            tlogEntries: result.logEntries.map {
                .init(log: $0.logBaseURL, logIndex: $0.logIndex, kind: "\($0.kind) \($0.kindVersion)",
                      integratedTime: $0.integratedTime, verifiedSET: $0.verifiedSET,
                      verifiedInclusionProof: $0.verifiedInclusionProof)
            },
            predicateType: result.statement?.predicateType)
    }

    var text: String {
        guard ok else { return "FAILED (\(reason ?? "")): \(message ?? "")" }
        var lines = ["OK: bundle verified"]
        for (name, value) in (signer ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(value)") }
        let formatter = ISO8601DateFormatter()
        for stamp in timestamps { lines.append("  time: \(formatter.string(from: stamp.time)) (\(stamp.source), \(stamp.authority))") }
        for entry in tlogEntries { lines.append("  tlog: \(entry.log) #\(entry.logIndex) \(entry.kind)") }
        if let predicateType { lines.append("  predicate: \(predicateType)") }
        return lines.joined(separator: "\n")
    }
}
