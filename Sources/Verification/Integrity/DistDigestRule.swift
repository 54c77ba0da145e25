import Digest
import Foundation

/// The one rule for comparing a tarball with its packument's `dist.integrity` and `dist.shasum`, used by the
/// engine's integrity stage (`registry.integrity`, `registry.shasum`) and by `provcheck integrity`.
///
/// - `dist.integrity`: the `Digest` module's SRI rules (ssri): the strongest algorithm present is checked, a second
///   hash of that algorithm may match, unknown algorithms are ignored, a malformed string fails.
/// - `dist.shasum`: 40 hex digits, either case (Node's hex decoding); surrounding white space fails, because npm's
///   `ssri.fromHex` would read a different (truncated) digest from it.
enum DistDigestRule {
    /// Compares `sri` with `digests`; `rehash` computes the algorithms `digests` lacks (nil when it cannot).
    static func integrity(_ sri: String, digests: inout DigestSet,
                          rehash: (Set<HashAlgorithm>) -> DigestSet?) -> HashComparison {
        let parsed: Integrity
        do {
            parsed = try Integrity(sri)
        } catch {
            return HashComparison(algorithm: "?", expected: sri, actual: nil, ok: false,
                                  reason: "dist.integrity is not a valid SRI string: \(error)")
        }
        if digests[parsed.strongestAlgorithm] == nil, let more = rehash(Set(parsed.algorithms)) {
            var merged = [HashAlgorithm: [UInt8]]()
            for algorithm in HashAlgorithm.allCases {
                if let value = digests[algorithm] ?? more[algorithm] { merged[algorithm] = value }
            }
            digests = DigestSet(merged)
        }
        let check = parsed.verify(digests)
        return HashComparison(
            algorithm: check.algorithm.rawValue, expected: check.expected, actual: check.actual, ok: check.ok,
            reason: check.ok ? nil : "the tarball's \(check.algorithm.rawValue) is \(check.actual ?? "?"), dist.integrity says \(check.expected)")
    }

    /// Compares the legacy hex sha1 `hex` with `digests`.
    static func shasum(_ hex: String, digests: DigestSet) -> HashComparison {
        guard hex.trimmingCharacters(in: .whitespacesAndNewlines) == hex else {
            return HashComparison(algorithm: "sha1", expected: hex, actual: digests.hex(.sha1), ok: false,
                                  reason: "dist.shasum \"\(hex)\" has surrounding white space (npm would read another digest)")
        }
        do {
            let check = try Shasum(hex).verify(digests)
            return HashComparison(algorithm: "sha1", expected: hex, actual: check.actual, ok: check.ok,
                                  reason: check.ok ? nil : "the tarball's sha1 is \(check.actual ?? "?"), dist.shasum says \(hex)")
        } catch {
            return HashComparison(algorithm: "sha1", expected: hex, actual: digests.hex(.sha1), ok: false,
                                  reason: "dist.shasum is not a 40-digit hex sha1: \(error)")
        }
    }
}
