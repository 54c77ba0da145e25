import Digest
import Foundation
@testable import Packing
import Testing
import TestSupport

/// Rebuilds every public npm case from its git bundle and compares with the registry tarball.
@Suite struct RegistryCaseTests {
    static let cases: [NPMCase] = (try? NPMCase.all()) ?? []
    static let tarIdenticalCases = cases.filter { $0.tarIdentical == true && $0.registryTarball != nil }

    /// Every case the npm 10.8.2 oracle found tar-identical: our rebuild (npm 7–10 rules) gives the same tar bytes
    /// as the decompressed registry tarball. Where stock zlib reproduces the registry gzip, the whole `.tgz` is
    /// exact when the publisher's generation and the expected integrity are passed.
    @Test(arguments: tarIdenticalCases)
    func tarIdenticalToRegistry(_ npmCase: NPMCase) throws {
        let repository = try BundleCache.shared.repository(npmCase.sourceBundle)
        let out = try TestIO.temporaryDirectory("case")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PackRebuilder().rebuild(
            .repository(repository, ref: npmCase.commit),
            options: RebuildOptions(directory: npmCase.directory, npmVersion: npmCase.npmVersion,
                                    expectedIntegrity: npmCase.integrity,
                                    output: out.appendingPathComponent("rebuilt.tgz")))
        let registryTar = try TestIO.gunzip(Fixtures.data(npmCase.registryTarball!))
        let rebuiltTar = try TestIO.gunzip(Data(contentsOf: URL(fileURLWithPath: result.tgzPath)))
        #expect(TestIO.tarEntryNames(rebuiltTar) == TestIO.tarEntryNames(registryTar), "\(npmCase)")
        #expect(rebuiltTar == registryTar, "\(npmCase): tar bytes differ")
        #expect(result.tarSHA512 == DigestEncoding.hex(Hashing.sha512(registryTar)))
        #expect(result.commit == npmCase.commit)
        if npmCase.gzipMatchesStockZlib {
            #expect(result.integrity == npmCase.integrity, "\(npmCase): stock zlib should reproduce the gzip layer")
            #expect(result.gzip.reproducedExpected == true)
        }
        if npmCase.npmPackExact {
            // Chromium-zlib deflate (node's): tar identical; exact once the Deflate engine is plugged in.
            #expect(result.gzip.header == GzipHeader(xfl: 2, os: 255))
        }
    }

    /// npm ≤ 6 cases: the npm 5/6 selection packs CHANGELOG/HISTORY, so the file set equals the registry's.
    @Test(arguments: cases.filter { ($0.npmVersion.flatMap(NPMGeneration.init(npmVersion:)) ?? .npm10) != .npm10
        && $0.registryTarball != nil })
    func legacyFileSelection(_ npmCase: NPMCase) throws {
        let repository = try BundleCache.shared.repository(npmCase.sourceBundle)
        let commit = try #require(repository.resolveCommit(npmCase.commit))
        let generation = NPMGeneration(npmVersion: npmCase.npmVersion!)!
        let list = try PackList.compute(source: repository.source(commit: commit, directory: npmCase.directory),
                                        generation: generation)
        let registryNames = TestIO.tarEntryNames(try TestIO.gunzip(Fixtures.data(npmCase.registryTarball!)))
        let registryFiles = Set(registryNames)
        var expected = registryFiles
        if generation == .npm4 {
            expected.remove(".npmignore")  // fstream-npm packed it; npm-packlist never does
        }
        #expect(Set(list.entries.map(\.path)) == expected, "\(npmCase)")
        // Order: npm-packlist ≥ 1.4.2 (npm ≥ 6.10) sorted like npm 7+; older npm 5/6 put package.json first.
        if generation == .npm6, let minor = npmCase.npmVersion.flatMap({ Int($0.split(separator: ".")[1]) }),
           npmCase.npmVersion!.hasPrefix("6."), minor >= 10 {
            #expect(list.entries.map(\.path) == registryNames, "\(npmCase)")
        }
    }

    /// npm 6 packed CHANGELOG.md; npm 10 does not (which@2.0.2, semver@7.3.2).
    @Test func changelogOnlyInLegacyGeneration() throws {
        let which = try #require(RegistryCaseTests.cases.first { $0.name == "which" && $0.version == "2.0.2" })
        let repository = try BundleCache.shared.repository(which.sourceBundle)
        let source = try repository.source(commit: #require(repository.resolveCommit(which.commit)))
        let legacy = try PackList.compute(source: source, generation: .npm6).entries.map(\.path)
        let modern = try PackList.compute(source: source, generation: .npm10).entries.map(\.path)
        #expect(legacy.contains("CHANGELOG.md"))
        #expect(!modern.contains("CHANGELOG.md"))
        #expect(Set(modern) == Set(which.npmPackFiles))
    }

    /// The npm 10 file list equals what `npm pack` 10.8.2 listed, for every case with a source.
    @Test(arguments: cases.filter { !$0.npmPackFiles.isEmpty })
    func npm10FileSetMatchesOracle(_ npmCase: NPMCase) throws {
        let repository = try BundleCache.shared.repository(npmCase.sourceBundle)
        let commit = try #require(repository.resolveCommit(npmCase.commit))
        let list = try PackList.compute(source: repository.source(commit: commit, directory: npmCase.directory),
                                        generation: .npm10)
        #expect(Set(list.entries.map(\.path)) == Set(npmCase.npmPackFiles), "\(npmCase)")
    }

    /// Tag lookup and commit existence (used by Verification).
    @Test func tagResolution() throws {
        let semver = try #require(RegistryCaseTests.cases.first { $0.name == "semver" && $0.version == "7.6.3" })
        let repository = try BundleCache.shared.repository(semver.sourceBundle)
        let found = try #require(try repository.findTag(name: "semver", version: "7.6.3"))
        #expect(found.tag == "v7.6.3")
        #expect(found.commit == semver.commit)
        #expect(repository.commitExists(semver.commit))
        #expect(!repository.commitExists(String(repeating: "0", count: 40)))
        #expect(repository.resolveCommit("v0.0.0-nope") == nil)
    }
}
