import COpenSSL
import Foundation

/// Why a certificate path was rejected.
public struct PolicyFailure: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A stable failure category.
    public enum Code: String, Sendable, Hashable, Codable {
        /// No path to a trust anchor could be built, or a signature on it does not verify.
        case noPathToTrustAnchor
        /// A certificate is not valid at the verification time.
        case expired
        /// A certificate is not yet valid at the verification time.
        case notYetValid
        /// basicConstraints / keyUsage forbid a certificate from acting as a CA, or a path length is exceeded.
        case invalidCA
        /// pathLenConstraint or the validator's maximum chain depth is exceeded.
        case pathTooLong
        /// A name violates a nameConstraints extension.
        case nameConstraintViolation
        /// The leaf's extended key usage does not allow the required purpose.
        case extendedKeyUsage
        /// The leaf's key usage does not allow the required operation.
        case keyUsage
        /// An unknown extension is marked critical.
        case unhandledCriticalExtension
        /// A certificate violates an RFC 5280 profile rule (encoding, serial, AKI/SKI, …).
        case malformedCertificate
        /// The leaf does not match the expected subject name.
        case nameMismatch
        /// Any other rejection reported by libcrypto.
        case other
    }

    /// The failure category.
    public let code: Code
    /// What failed, naming the certificate.
    public let message: String
    /// Index of the offending certificate in the chain (0 = leaf), when known.
    public let certificateIndex: Int?

    /// Creates a failure.
    public init(_ code: Code, _ message: String, certificateIndex: Int? = nil) {
        self.code = code
        self.message = message
        self.certificateIndex = certificateIndex
    }

    public var description: String {
        "\(code.rawValue)\(certificateIndex.map { " (certificate #\($0))" } ?? ""): \(message)"
    }
}

/// The result of path validation.
public enum CertificateVerdict: Sendable, Hashable {
    /// The leaf chains to a trust anchor and every policy passed. The chain runs leaf first, trust anchor last.
    case valid(chain: [Certificate])
    /// The leaf was rejected, with every reason found.
    case invalid([PolicyFailure])

    /// Whether the verdict is ``valid(chain:)``.
    public var isValid: Bool { if case .valid = self { true } else { false } }

    /// The validated chain, or nil.
    public var chain: [Certificate]? { if case .valid(let chain) = self { chain } else { nil } }

    /// The failures (empty when valid).
    public var failures: [PolicyFailure] { if case .invalid(let failures) = self { failures } else { [] } }
}

/// A check applied to a candidate chain that already chains to a trust anchor with valid signatures.
public protocol CertificatePolicy: Sendable {
    /// Returns every rule `chain` (leaf first, trust anchor last) breaks at `time`; empty when it complies.
    func failures(chain: [Certificate], at time: Date) -> [PolicyFailure]
}

/// Validates a leaf certificate up to a set of trust anchors at a given time.
///
/// The RFC 5280 core (chain building, signatures, validity of every certificate at `time`, basicConstraints,
/// pathLenConstraint, keyUsage keyCertSign on CAs, name constraints, unknown critical extensions, strict
/// encoding rules) is done by libcrypto's `X509_verify_cert` with `X509_V_FLAG_X509_STRICT`; further
/// rules are ``CertificatePolicy`` values run on the built chain.
public struct CertificatePathValidator: Sendable {
    /// Certificates trusted as path ends (need not be self-signed when ``allowsPartialChains`` is true).
    public var trustAnchors: [Certificate]
    /// Untrusted certificates that may be used to build the path.
    public var intermediates: [Certificate]
    /// Extra policies applied to the built chain.
    public var policies: [any CertificatePolicy]
    /// Maximum number of intermediates (self-issued ones not counted), nil for no limit.
    public var maxChainDepth: Int?
    /// Whether a non-self-signed trust anchor may end the path (Sigstore trusts every certificate of a CA's chain).
    public var allowsPartialChains: Bool

    /// Creates a validator.
    public init(
        trustAnchors: [Certificate],
        intermediates: [Certificate] = [],
        policies: [any CertificatePolicy] = [RFC5280ProfilePolicy()],
        maxChainDepth: Int? = nil,
        allowsPartialChains: Bool = true
    ) {
        self.trustAnchors = trustAnchors
        self.intermediates = intermediates
        self.policies = policies
        self.maxChainDepth = maxChainDepth
        self.allowsPartialChains = allowsPartialChains
    }

    /// Limits on path building (protection against pathological certificate sets).
    static let maxPathLength = 12
    static let maxCandidatePaths = 16
    static let maxSignatureChecks = 2_000

    /// Validates `leaf` at `time` (never the wall clock unless you pass it).
    ///
    /// Candidate paths are built leaf-to-anchor by issuer name and signature, shortest first; each is checked
    /// in turn and the first that passes everything is returned. When none passes, the failures of the
    /// shortest candidate are reported.
    public func validate(_ leaf: Certificate, at time: Date) -> CertificateVerdict {
        guard !trustAnchors.isEmpty else {
            return .invalid([PolicyFailure(.noPathToTrustAnchor, "no trust anchors were given")])
        }
        let candidates = candidatePaths(from: leaf)
        guard !candidates.isEmpty else {
            return .invalid([PolicyFailure(
                .noPathToTrustAnchor,
                "no path from the leaf (issuer \(leaf.issuer)) to any of the \(trustAnchors.count) trust anchors",
                certificateIndex: 0)])
        }
        var firstFailures: [PolicyFailure]?
        for path in candidates {
            let failures = check(path: path, at: time)
            if failures.isEmpty { return .valid(chain: path) }
            if firstFailures == nil { firstFailures = failures }
        }
        return .invalid(firstFailures ?? [])
    }

    /// Every rule `path` (leaf first, anchor last) breaks at `time`.
    private func check(path: [Certificate], at time: Date) -> [PolicyFailure] {
        let seconds = time.timeIntervalSince1970.rounded(.down)
        let truncated = Date(timeIntervalSince1970: seconds)
        var failures: [PolicyFailure] = []
        if let failure = verifyWithLibcrypto(path: path) { failures.append(failure) }
        for (index, certificate) in path.enumerated() {
            // RFC 5280 validity, both ends inclusive, at the granularity of the encoding (whole seconds).
            if truncated < certificate.notValidBefore {
                failures.append(PolicyFailure(.notYetValid, "certificate \(certificate.subject) is not valid before \(certificate.notValidBefore) (time checked: \(time))", certificateIndex: index))
            } else if truncated > certificate.notValidAfter {
                failures.append(PolicyFailure(.expired, "certificate \(certificate.subject) expired at \(certificate.notValidAfter) (time checked: \(time))", certificateIndex: index))
            }
        }
        if let maxChainDepth {
            let intermediates = path.dropFirst().dropLast().filter { !$0.isSelfIssued }.count
            if intermediates > maxChainDepth {
                failures.append(PolicyFailure(.pathTooLong, "the path has \(intermediates) intermediates; at most \(maxChainDepth) are allowed"))
            }
        }
        for policy in policies { failures += policy.failures(chain: path, at: time) }
        return failures
    }

    /// Candidate paths from `leaf` to a trust anchor, shortest first (breadth-first, bounded).
    func candidatePaths(from leaf: Certificate) -> [[Certificate]] {
        let anchors = Set(trustAnchors)
        var pool: [Certificate] = []
        for certificate in trustAnchors + intermediates where !pool.contains(certificate) { pool.append(certificate) }
        var signatureCache: [Int: Bool] = [:]
        var signatureChecks = 0
        func issues(_ issuerIndex: Int, _ child: Certificate, childKey: Int) -> Bool {
            let key = childKey &* 1_000_003 &+ issuerIndex
            if let cached = signatureCache[key] { return cached }
            guard signatureChecks < Self.maxSignatureChecks else { return false }
            signatureChecks += 1
            let result = child.isSigned(by: pool[issuerIndex])
            signatureCache[key] = result
            return result
        }
        if anchors.contains(leaf) { return [[leaf]] }
        var complete: [[Certificate]] = []
        // Each partial path is a list of pool indices after the leaf (-1 stands for the leaf).
        var frontier: [[Int]] = [[]]
        while !frontier.isEmpty, complete.count < Self.maxCandidatePaths {
            var next: [[Int]] = []
            for partial in frontier {
                let tail = partial.last.map { pool[$0] } ?? leaf
                let tailKey = partial.last ?? -1
                for (index, candidate) in pool.enumerated()
                where !partial.contains(index) && candidate != leaf && candidate.subject.matches(tail.issuer) {
                    guard issues(index, tail, childKey: tailKey) else { continue }
                    let extended = partial + [index]
                    if anchors.contains(candidate) {
                        complete.append([leaf] + extended.map { pool[$0] })
                    } else if extended.count + 1 < Self.maxPathLength {
                        next.append(extended)
                    }
                }
            }
            frontier = next
        }
        return Array(complete.prefix(Self.maxCandidatePaths))
    }

    /// Runs `X509_verify_cert` restricted to exactly `path`; returns its failure, if any.
    private func verifyWithLibcrypto(path: [Certificate]) -> PolicyFailure? {
        OpenSSL.clearErrors()
        guard let leaf = path.first, let anchor = path.last else { return PolicyFailure(.other, "empty path") }
        guard let store = X509_STORE_new() else { return PolicyFailure(.other, "X509_STORE_new failed") }
        defer { X509_STORE_free(store) }
        X509_STORE_add_cert(store, anchor.box.pointer)
        guard let untrusted = OPENSSL_sk_new_null() else { return PolicyFailure(.other, "allocation failed") }
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in path.dropFirst().dropLast() { OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.box.pointer)) }
        guard let ctx = X509_STORE_CTX_new() else { return PolicyFailure(.other, "allocation failed") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, leaf.box.pointer, untrusted) == 1 else {
            return PolicyFailure(.other, "X509_STORE_CTX_init failed: \(OpenSSL.drainErrors())")
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        // Validity is checked by `check(path:at:)` (inclusive ends, whole seconds). Setting a check time
        // here would override X509_V_FLAG_NO_CHECK_TIME.
        var flags = UInt(X509_V_FLAG_X509_STRICT) | UInt(X509_V_FLAG_NO_CHECK_TIME)
        if allowsPartialChains { flags |= UInt(X509_V_FLAG_PARTIAL_CHAIN) }
        X509_VERIFY_PARAM_set_flags(param, flags)
        if X509_verify_cert(ctx) == 1 {
            OpenSSL.clearErrors()
            return nil
        }
        let code = X509_STORE_CTX_get_error(ctx)
        let depth = Int(X509_STORE_CTX_get_error_depth(ctx))
        let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        OpenSSL.clearErrors()
        return PolicyFailure(Self.category(code), "\(text) (libcrypto error \(code))", certificateIndex: depth)
    }

    private static func category(_ code: Int32) -> PolicyFailure.Code {
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED: .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: .notYetValid
        case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN: .invalidCA
        case X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_CERT_CHAIN_TOO_LONG: .pathTooLong
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION, X509_V_ERR_SUBTREE_MINMAX,
            X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
            X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
            .nameConstraintViolation
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: .unhandledCriticalExtension
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED:
            .noPathToTrustAnchor
        case X509_V_ERR_INVALID_PURPOSE: .extendedKeyUsage
        default: .malformedCertificate
        }
    }
}
