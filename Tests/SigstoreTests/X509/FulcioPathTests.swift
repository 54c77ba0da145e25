import Foundation
import TestSupport
import Testing

@testable import Sigstore

@Suite struct FulcioPathTests {
    static func authorities(_ file: String) throws -> [CertificateAuthority] {
        try X509Fixtures.certificateAuthorities(file).map {
            CertificateAuthority(certificateChain: $0.chain, validFrom: $0.start, validUntil: $0.end)
        }
    }

    @Test func realNPMLeavesValidateAtIntegratedTime() throws {
        let authorities = try Self.authorities("sigstore/trusted_root.production.json")
        let leaves = try X509Fixtures.npmProvenanceLeaves()
        #expect(leaves.count >= 3)
        for (name, leaf, time) in leaves {
            let verdict = CertificatePathValidator.fulcio(authorities: authorities, at: time).validate(leaf, at: time)
            #expect(verdict.isValid, "\(name): \(verdict.failures)")
            #expect(verdict.chain?.first == leaf)
            #expect((verdict.chain?.count ?? 0) >= 2)
            // An hour later the 10-minute leaf has expired.
            let later = time.addingTimeInterval(3600)
            let expired = CertificatePathValidator.fulcio(authorities: authorities, at: later).validate(leaf, at: later)
            #expect(expired.failures.contains { $0.code == .expired }, "\(name): \(expired)")
            // No usable authority.
            let none = CertificatePathValidator.fulcio(authorities: [], at: time).validate(leaf, at: time)
            #expect(none.failures.first?.code == .noPathToTrustAnchor)
            // The public-good root of the fixtures also covers the 2023-2024 leaves.
            let publicGood = try Self.authorities("sigstore/trusted_root.public-good.json")
            #expect(CertificatePathValidator.fulcio(authorities: publicGood, at: time).validate(leaf, at: time).isValid, "\(name)")
        }
        print("Fulcio leaves validated: \(leaves.count)")
    }

    @Test func caCertificateIsNotACodeSigningLeaf() throws {
        let authorities = try Self.authorities("sigstore/trusted_root.production.json")
        let intermediate = try #require(authorities.last?.certificateChain.first)
        let time = intermediate.notValidBefore.addingTimeInterval(86_400)
        let verdict = CertificatePathValidator.fulcio(authorities: authorities, at: time).validate(intermediate, at: time)
        #expect(!verdict.isValid)
        #expect(verdict.failures.contains { $0.code == .extendedKeyUsage || $0.code == .invalidCA })
    }
}
