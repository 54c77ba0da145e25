import Foundation

/// RFC 5280 profile rules that libcrypto does not enforce on its own:
/// - serial numbers are positive (§4.1.2.2);
/// - nameConstraints appear only in CA certificates and are critical (§4.2.1.10);
/// - policyConstraints are critical (§4.2.1.11);
/// - rfc822Name subject alternative names are well-formed mailboxes (§4.2.1.6).
///
/// The rules apply to every certificate of the path, the trust anchor included.
public struct RFC5280ProfilePolicy: CertificatePolicy {
    /// Creates the policy.
    public init() {}

    public func failures(chain: [Certificate], at time: Date) -> [PolicyFailure] {
        var failures: [PolicyFailure] = []
        for (index, certificate) in chain.enumerated() {
            let name = index == 0 ? "the leaf" : "CA certificate \(certificate.subject)"
            let serial = certificate.serialNumber
            if serial.first.map({ $0 & 0x80 != 0 }) == true || serial.allSatisfy({ $0 == 0 }) {
                failures.append(PolicyFailure(.malformedCertificate, "\(name) has a zero or negative serial number", certificateIndex: index))
            }
            if let nc = certificate.extension(oid: ExtensionOID.nameConstraints) {
                if !nc.critical {
                    failures.append(PolicyFailure(.malformedCertificate, "\(name) has a non-critical nameConstraints extension", certificateIndex: index))
                }
                if (try? certificate.basicConstraints)??.isCertificateAuthority != true {
                    failures.append(PolicyFailure(.malformedCertificate, "\(name) is not a CA but has a nameConstraints extension", certificateIndex: index))
                }
            }
            if let pc = certificate.extension(oid: "2.5.29.36"), !pc.critical {
                failures.append(PolicyFailure(.malformedCertificate, "\(name) has a non-critical policyConstraints extension", certificateIndex: index))
            }
            do {
                for case .email(let address) in try certificate.subjectAlternativeNames where !Self.isMailbox(address) {
                    failures.append(PolicyFailure(.malformedCertificate, "\(name) has a malformed email subjectAltName '\(address)'", certificateIndex: index))
                }
            } catch {
                failures.append(PolicyFailure(.malformedCertificate, "\(name): \(error)", certificateIndex: index))
            }
        }
        return failures
    }

    /// `local@domain` with exactly one `@`, both parts non-empty, no whitespace.
    static func isMailbox(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !address.contains(where: \.isWhitespace)
    }
}

/// Requires the leaf's extended key usage (when present) to allow every purpose in ``requiredPurposes``.
public struct ExtendedKeyUsagePolicy: CertificatePolicy {
    /// Purpose OIDs the leaf must allow.
    public let requiredPurposes: [String]
    /// Whether the leaf must carry an extKeyUsage extension at all.
    public let requiresExtension: Bool

    /// Creates the policy.
    public init(requiredPurposes: [String], requiresExtension: Bool = false) {
        self.requiredPurposes = requiredPurposes
        self.requiresExtension = requiresExtension
    }

    public func failures(chain: [Certificate], at time: Date) -> [PolicyFailure] {
        guard let leaf = chain.first else { return [] }
        let purposes: [String]?
        do { purposes = try leaf.extendedKeyUsage } catch {
            return [PolicyFailure(.malformedCertificate, "\(error)", certificateIndex: 0)]
        }
        guard let purposes else {
            return requiresExtension ? [PolicyFailure(.extendedKeyUsage, "the leaf has no extKeyUsage extension", certificateIndex: 0)] : []
        }
        return requiredPurposes.filter { !purposes.contains($0) }.map {
            PolicyFailure(.extendedKeyUsage, "the leaf's extKeyUsage \(purposes) does not include \($0)", certificateIndex: 0)
        }
    }
}

/// Requires the leaf to be issued for an expected DNS name or IP address (subjectAltName matching, RFC 6125 style).
public struct SubjectNamePolicy: CertificatePolicy {
    /// The expected peer name.
    public enum ExpectedName: Sendable, Hashable {
        /// A DNS host name (a leftmost `*` label in the SAN matches one label).
        case dnsName(String)
        /// A textual IPv4 or IPv6 address.
        case ipAddress(String)
    }

    /// The expected name.
    public let expected: ExpectedName

    /// Creates the policy.
    public init(expected: ExpectedName) { self.expected = expected }

    public func failures(chain: [Certificate], at time: Date) -> [PolicyFailure] {
        guard let leaf = chain.first else { return [] }
        let names: [GeneralName]
        do { names = try leaf.subjectAlternativeNames } catch {
            return [PolicyFailure(.malformedCertificate, "\(error)", certificateIndex: 0)]
        }
        let matched: Bool
        switch expected {
        case .dnsName(let host):
            let wanted = host.lowercased()
            matched = names.contains { name in
                guard case .dnsName(let pattern) = name else { return false }
                return Self.dnsMatches(pattern: pattern.lowercased(), host: wanted)
            }
        case .ipAddress(let text):
            let wanted = IPAddress.parse(text)
            matched = wanted != nil && names.contains { $0 == .ipAddress(wanted!) }
        }
        return matched ? [] : [PolicyFailure(.nameMismatch, "the leaf's subjectAltName does not match \(expected)", certificateIndex: 0)]
    }

    static func dnsMatches(pattern: String, host: String) -> Bool {
        if pattern == host { return true }
        guard pattern.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst(1)
        guard host.hasSuffix(suffix) else { return false }
        let label = host.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}

/// Textual IP address parsing (for name matching and name constraints).
enum IPAddress {
    static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var address = in6_addr()
            return inet_pton(AF_INET6, text, &address) == 1 ? withUnsafeBytes(of: &address) { Array($0) } : nil
        }
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1 ? withUnsafeBytes(of: &address) { Array($0) } : nil
    }
}

/// The Fulcio code-signing leaf profile Sigstore verifiers apply:
/// the leaf is not a CA, its extKeyUsage includes codeSigning, its keyUsage (when present) includes
/// digitalSignature, and it carries at least one subjectAltName (which Fulcio marks critical).
public struct FulcioCodeSigningPolicy: CertificatePolicy {
    /// Creates the policy.
    public init() {}

    public func failures(chain: [Certificate], at time: Date) -> [PolicyFailure] {
        guard let leaf = chain.first else { return [] }
        var failures = ExtendedKeyUsagePolicy(requiredPurposes: [ExtendedKeyUsageOID.codeSigning], requiresExtension: true)
            .failures(chain: chain, at: time)
        do {
            if try leaf.basicConstraints?.isCertificateAuthority == true {
                failures.append(PolicyFailure(.invalidCA, "the Fulcio leaf is a CA certificate", certificateIndex: 0))
            }
            if let usage = try leaf.keyUsage, !usage.contains(.digitalSignature) {
                failures.append(PolicyFailure(.keyUsage, "the Fulcio leaf's keyUsage lacks digitalSignature", certificateIndex: 0))
            }
            if try leaf.subjectAlternativeNames.isEmpty {
                failures.append(PolicyFailure(.nameMismatch, "the Fulcio leaf has no subjectAltName", certificateIndex: 0))
            }
        } catch {
            failures.append(PolicyFailure(.malformedCertificate, "the Fulcio leaf: \(error)", certificateIndex: 0))
        }
        return failures
    }
}
