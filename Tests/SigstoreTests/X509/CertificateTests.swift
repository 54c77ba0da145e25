import Foundation
import TestSupport
import Testing

@testable import Sigstore

@Suite struct CertificateTests {
    @Test func gundamVisorProvenanceLeafFields() throws {
        let leaves = try X509Fixtures.npmProvenanceLeaves()
        let (_, leaf, time) = try #require(leaves.first { $0.name.hasPrefix("gundam-visor") })
        #expect(leaf.version == 3)
        #expect(leaf.subject.isEmpty)
        #expect(leaf.issuer.description == "O=sigstore.dev, CN=sigstore-intermediate")
        #expect(leaf.issuer.commonName == "sigstore-intermediate")
        #expect(leaf.serialNumber.count == 20 && leaf.serialNumber.first == 0x7b)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) == 600)
        #expect(leaf.isValid(at: time))
        #expect(!leaf.isValid(at: leaf.notValidAfter.addingTimeInterval(1)))
        #expect(leaf.publicKey.keyType == .ecdsaP256)
        #expect(leaf.signatureAlgorithmOID == "1.2.840.10045.4.3.3")
        #expect(try leaf.keyUsage == .digitalSignature)
        #expect(try leaf.extendedKeyUsage == [ExtendedKeyUsageOID.codeSigning])
        #expect(try leaf.basicConstraints == nil)
        #expect(try leaf.subjectKeyIdentifier?.first == 0x50)
        #expect(try leaf.authorityKeyIdentifier?.first == 0xdf)
        let san = try #require(leaf.extension(oid: ExtensionOID.subjectAlternativeName))
        #expect(san.critical)
        #expect(try leaf.subjectAlternativeNames == [.uri("https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1")])
        #expect(leaf.subjectAlternativeNameValues.count == 1)

        let fulcio = try leaf.fulcioExtensions
        #expect(fulcio.issuer == "https://token.actions.githubusercontent.com")
        #expect(fulcio.issuerV1 == fulcio.issuerV2)
        #expect(fulcio.githubWorkflowTrigger == "release")
        #expect(fulcio.githubWorkflowSHA == "599500821344b070902a7a5666064bfdaba715df")
        #expect(fulcio.githubWorkflowName == "Publish Package to npmjs")
        #expect(fulcio.githubWorkflowRepository == "ramonpetgrave64/gundam-visor")
        #expect(fulcio.githubWorkflowRef == "refs/tags/v1.0.1")
        #expect(fulcio.buildSignerURI == "https://github.com/ramonpetgrave64/gundam-visor/.github/workflows/npm-publish.yml@refs/tags/v1.0.1")
        #expect(fulcio.buildSignerDigest == "599500821344b070902a7a5666064bfdaba715df")
        #expect(fulcio.runnerEnvironment == "github-hosted")
        #expect(fulcio.sourceRepositoryURI == "https://github.com/ramonpetgrave64/gundam-visor")
        #expect(fulcio.sourceRepositoryDigest == "599500821344b070902a7a5666064bfdaba715df")
        #expect(fulcio.sourceRepositoryRef == "refs/tags/v1.0.1")
        #expect(fulcio.sourceRepositoryIdentifier == "810002373")
        #expect(fulcio.sourceRepositoryOwnerURI == "https://github.com/ramonpetgrave64")
        #expect(fulcio.sourceRepositoryOwnerIdentifier == "32398091")
        #expect(fulcio.buildConfigURI == fulcio.buildSignerURI)
        #expect(fulcio.buildConfigDigest == "599500821344b070902a7a5666064bfdaba715df")
        #expect(fulcio.buildTrigger == "release")
        #expect(fulcio.runInvocationURI == "https://github.com/ramonpetgrave64/gundam-visor/actions/runs/9358004112/attempts/1")
        #expect(fulcio.sourceRepositoryVisibilityAtSigning == "public")
        #expect(fulcio.value(forOID: "1.3.6.1.4.1.57264.1.12") == fulcio.sourceRepositoryURI)
        // Codable round trip.
        let data = try JSONEncoder().encode(fulcio)
        #expect(try JSONDecoder().decode(FulcioExtensions.self, from: data) == fulcio)

        // The leaf is signed by the production intermediate.
        let cas = try X509Fixtures.certificateAuthorities("sigstore/trusted_root.production.json")
        let issuers = cas.flatMap(\.chain).filter { leaf.isSigned(by: $0) }
        #expect(issuers.count == 1)
        #expect(try issuers.first?.basicConstraints?.isCertificateAuthority == true)
        #expect(try issuers.first?.subjectKeyIdentifier == leaf.authorityKeyIdentifier)
    }

    @Test func everyFixtureCertificateParses() throws {
        var count = 0
        for (_, leaf, _) in try X509Fixtures.npmProvenanceLeaves() {
            _ = try leaf.fulcioExtensions
            #expect(try Certificate(pemEncoded: leaf.pemEncoded) == leaf)
            count += 1
        }
        for file in ["sigstore/trusted_root.production.json", "sigstore/trusted_root.public-good.json"] {
            for key in ["certificateAuthorities", "timestampAuthorities"] {
                for ca in try X509Fixtures.certificateAuthorities(file, key: key) {
                    count += ca.chain.count
                    #expect(try ca.chain.last?.basicConstraints?.isCertificateAuthority == true)
                }
            }
        }
        print("fixture certificates parsed: \(count)")
        #expect(count > 10)
    }

    @Test func malformedCertificatesAreRejected() throws {
        let (_, leaf, _) = try #require(X509Fixtures.npmProvenanceLeaves().first)
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: Array(leaf.derEncoded.dropLast())) }
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: leaf.derEncoded + [0]) }
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: []) }
        #expect(throws: CryptoError.self) { try Certificate(pemEncoded: "nothing here") }
        var tampered = leaf.derEncoded
        tampered[tampered.count - 5] ^= 0x01
        if let parsed = try? Certificate(derEncoded: tampered) {
            let cas = try X509Fixtures.certificateAuthorities("sigstore/trusted_root.production.json")
            #expect(cas.flatMap(\.chain).allSatisfy { !parsed.isSigned(by: $0) })
        }
    }
}
