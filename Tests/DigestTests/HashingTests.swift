import Foundation
import Testing
import TestSupport
@testable import Digest

@Suite struct HashingTests {
    static let abc = Data("abc".utf8)

    @Test func knownVectorsForABC() {
        #expect(DigestEncoding.hex(Hashing.sha1(Self.abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(DigestEncoding.hex(Hashing.sha256(Self.abc))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(DigestEncoding.hex(Hashing.sha384(Self.abc))
            == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        #expect(DigestEncoding.hex(Hashing.sha512(Self.abc))
            == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    }

    @Test func emptyInput() {
        let set = Hashing.digests(of: Data(), algorithms: [.sha1, .sha512])
        #expect(set.hex(.sha1) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(set.hex(.sha512) == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
        #expect(set[.sha256] == nil)
    }

    @Test func multiHasherChunkingDoesNotMatter() {
        var bytes = [UInt8](repeating: 0, count: 100_003)
        var state: UInt32 = 12345
        for i in bytes.indices { state = state &* 1_103_515_245 &+ 12345; bytes[i] = UInt8(truncatingIfNeeded: state >> 16) }
        let whole = Hashing.digests(of: Data(bytes), algorithms: Set(HashAlgorithm.allCases))
        let hasher = MultiHasher(Set(HashAlgorithm.allCases))
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            hasher.update(Data(bytes[offset..<end]))
            offset = end
            step = step * 3 + 1
        }
        #expect(hasher.byteCount == UInt64(bytes.count))
        let chunked = hasher.finalize()
        #expect(chunked == whole)
        #expect(hasher.finalize() == chunked)
        #expect(whole.algorithms == [.sha1, .sha256, .sha384, .sha512])
    }

    @Test func millionAs() {
        // FIPS 180-2 long-message vector: one million 'a'.
        let hasher = MultiHasher([.sha1, .sha256])
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        let set = hasher.finalize()
        #expect(set.hex(.sha1) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(set.hex(.sha256) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileHashingMatchesFixtureIntegrity() throws {
        let url = try Fixtures.url("npm/tarballs/abbrev@2.0.0.tgz")
        let set = try Hashing.digest(fileAt: url, algorithms: [.sha512, .sha1])
        #expect(set.sri(.sha512)
            == "sha512-6/mh1E2u2YgEsCHdY0Yx5oW+61gZU+1vXaoiHHrpKeuRNNgFvS+/jrwHiQhB5apAf5oB7UB7E19ol2R2LKH8hQ==")
        #expect(set == Hashing.digests(of: try Data(contentsOf: url), algorithms: [.sha512, .sha1]))
    }

    @Test func everyFixtureCaseTarballMatchesItsIntegrity() throws {
        struct Case: Decodable { let integrity: String; let registry_tarball: String? }
        var checked = 0
        for file in try Fixtures.npmCaseFiles() {
            let c = try JSONDecoder().decode(Case.self, from: Data(contentsOf: file))
            guard let tarball = c.registry_tarball else { continue }
            let integrity = try Integrity(c.integrity)
            let digests = try Hashing.digest(fileAt: Fixtures.url(tarball), algorithms: Set(integrity.algorithms))
            let check = integrity.verify(digests)
            #expect(check.ok, "\(file.lastPathComponent): \(check)")
            checked += 1
        }
        #expect(checked >= 15)
    }

    @Test func missingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent/provcheck/file.tgz")
        #expect {
            _ = try Hashing.digest(fileAt: url, algorithms: [.sha512])
        } throws: { error in
            (error as? DigestError)?.description.contains("/nonexistent/provcheck/file.tgz") == true
        }
    }

    @Test func digestSetCodableRoundTrip() throws {
        let set = Hashing.digests(of: Self.abc, algorithms: [.sha1, .sha512])
        let json = try JSONEncoder().encode(set)
        let object = try JSONSerialization.jsonObject(with: json) as? [String: String]
        #expect(object?["sha1"] == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(try JSONDecoder().decode(DigestSet.self, from: json) == set)
        #expect(set.description.hasPrefix("sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0= sha512-"))
    }

    @Test func algorithmsAreInStrengthOrder() {
        #expect(HashAlgorithm.allCases == [.sha1, .sha256, .sha384, .sha512])
        #expect(HashAlgorithm.allCases.sorted() == HashAlgorithm.allCases)
        #expect(HashAlgorithm.allCases.map(\.digestLength) == [20, 32, 48, 64])
    }
}
