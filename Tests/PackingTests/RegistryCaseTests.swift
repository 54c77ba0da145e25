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
        // The gzip layer: stock zlib where the publisher's Node used it, else the Node-zlib emulation (Deflate).
        #expect(result.integrity == npmCase.integrity, "\(npmCase): gzip layer not reproduced (tried \(result.gzip.tried))")
        #expect(result.gzip.reproducedExpected == true)
        if npmCase.gzipMatchesStockZlib {
            #expect(result.gzip.engine.hasPrefix("system zlib"), "\(npmCase): \(result.gzip.engine)")
        }
    }

    /// Without any integrity, `nodeVersion: 20.20.2` makes the rebuild byte-identical to that Node's `npm pack`
    /// (the cases npm pack 10.8.2 reproduced exactly).
    @Test(arguments: cases.filter { $0.npmPackExact && $0.registryTarball != nil })
    func npmPackOnNode20Exact(_ npmCase: NPMCase) throws {
        let repository = try BundleCache.shared.repository(npmCase.sourceBundle)
        let out = try TestIO.temporaryDirectory("node20")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PackRebuilder().rebuild(
            .repository(repository, ref: npmCase.commit),
            options: RebuildOptions(directory: npmCase.directory, nodeVersion: "20.20.2",
                                    output: out.appendingPathComponent("r.tgz")))
        #expect(result.integrity == npmCase.integrity, "\(npmCase)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: result.tgzPath)) == Fixtures.data(npmCase.registryTarball!))
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
        // Order: npm-packlist ≥ 1.4.2 (npm ≥ 6.10) sorts like npm 7+; older npm 5/6 put package.json first.
        if generation == .npm6 {
            let ordered = try PackList.compute(source: repository.source(commit: commit, directory: npmCase.directory),
                                               generation: generation, npmVersion: npmCase.npmVersion)
            #expect(ordered.entries.map(\.path) == registryNames, "\(npmCase)")
        }
    }

    /// npm 5/6 cases rebuilt with the publisher's npm version reproduce the registry tarball exactly where stock
    /// zlib (or the Node-zlib emulation) reproduces its deflate stream (ms@2.1.2, which@2.0.2 with CHANGELOG.md, …).
    @Test(arguments: cases.filter { $0.npmVersion.flatMap(NPMGeneration.init(npmVersion:)) == .npm6
        && $0.registryTarball != nil })
    func legacyRebuild(_ npmCase: NPMCase) throws {
        let repository = try BundleCache.shared.repository(npmCase.sourceBundle)
        let out = try TestIO.temporaryDirectory("legacy")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try PackRebuilder().rebuild(
            .repository(repository, ref: npmCase.commit),
            options: RebuildOptions(directory: npmCase.directory, npmVersion: npmCase.npmVersion,
                                    nodeVersion: npmCase.nodeVersion, expectedIntegrity: npmCase.integrity,
                                    output: out.appendingPathComponent("r.tgz")))
        let registryTar = try TestIO.gunzip(Fixtures.data(npmCase.registryTarball!))
        let rebuiltTar = try TestIO.gunzip(Data(contentsOf: URL(fileURLWithPath: result.tgzPath)))
        if npmCase.name == "abbrev" && npmCase.version == "1.1.1" {
            // npm 5.4.2 wrote real mtimes: same names, order and contents, different header times.
            #expect(TestIO.tarEntryNames(rebuiltTar) == TestIO.tarEntryNames(registryTar))
            #expect(rebuiltTar != registryTar)
            return
        }
        #expect(rebuiltTar == registryTar, "\(npmCase): tar bytes differ")
        #expect(result.integrity == npmCase.integrity, "\(npmCase): gzip not reproduced, tried \(result.gzip.tried)")
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
