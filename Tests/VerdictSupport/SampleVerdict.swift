import Foundation
import Verification

/// A verdict with one check of every status (pass, fail, skipped required and optional, not applicable), for the
/// verdict, SARIF and VSA tests.
public enum SampleVerdict {
    /// A passing required check.
    public static let passing = Check.pass(.registryIntegrity, "Registry integrity", evidence: ["integrity": "sha512-x"])
    /// A failing required check.
    public static let failing = Check.fail(.rebuildCompare, "Rebuild", reasons: ["index.js differs"])
    /// A skipped required check.
    public static let skippedRequired = Check.skipped(.trustSignatures, "Signatures", reason: "no registry keys")
    /// A skipped optional check.
    public static let skippedOptional = Check(id: .rebuildNotInSource, title: "Not in source",
                                              status: .skipped(reason: "built output"), required: false)
    /// A check that does not apply.
    public static let notApplicable = Check.notApplicable(.policyEnvironment, "Environment", reason: "no provenance")

    /// The verdict of `@scope/pkg@1.2.3` with every check above.
    public static func verdict(strictness: Strictness = .standard) -> Verdict {
        Verdict(
            subject: VerdictSubject(name: "@scope/pkg", version: "1.2.3", integrity: "sha512-abc",
                                    sha512Hex: String(repeating: "ab", count: 64),
                                    tarballURL: "http://127.0.0.1:1/@scope/pkg/-/pkg-1.2.3.tgz"),
            checks: [passing, failing, skippedRequired, skippedOptional, notApplicable],
            strictness: strictness, verifiedAt: Date(timeIntervalSince1970: 1_717_453_081))
    }
}
