import Foundation
@testable import Packing
import Testing

/// Issue 17 item 7: git locations from a packument never reach git as options or dangerous transports, and local
/// paths are opened only when the user gave them.
@Suite struct GitArgumentInjectionRegressionTests {
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-gitinj-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func uploadPackOptionFromAPackumentIsRefusedAndNothingRuns() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("pwned")
        for trust in [GitLocationTrust.remoteOnly, .user] {
          // The second form contains "://", which sent it to `git clone --mirror` before.
          for location in ["--upload-pack=touch \(marker.path)", "--upload-pack=touch \(marker.path) #://x"] {
            #expect(throws: SourceError.self) {
                _ = try GitRepository.open(location, cacheDirectory: folder, trust: trust)
            }
            do {
                _ = try GitRepository.open(location, cacheDirectory: folder, trust: trust)
            } catch {
                #expect("\(error)".contains("starts with '-'"), "\(error)")
            }
          }
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    @Test func extTransportIsRefusedAndNothingRuns() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let marker = folder.appendingPathComponent("pwned-ext")
        for location in ["ext::sh -c touch% \(marker.path)", "ext::sh -c 'touch \(marker.path)'"] {
            do {
                _ = try GitRepository.open(location, cacheDirectory: folder, trust: .remoteOnly)
                Issue.record("\(location) was opened")
            } catch {
                #expect("\(error)".contains("remote helpers"), "\(error)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    @Test func onlyHTTPSSSHAndScpLikeRemotesPass() throws {
        let remote: [String] = ["https://github.com/o/r.git", "ssh://git@github.com/o/r.git", "git@github.com:o/r.git",
                                "HTTPS://example.com/x"]
        for location in remote {
            #expect(try GitLocation.check(location, trust: .remoteOnly) == .remote, "\(location)")
        }
        let refused: [String] = ["file:///etc", "FILE:///etc", "git://github.com/o/r.git", "http://github.com/o/r.git",
                                 "ext::sh", "fd::3", "/etc", "../repo", "repo.bundle", "ssh://-oProxyCommand=x/r",
                                 "-u x", "git@-oProxyCommand=x:r", "https://exa\nmple.com/", "", "C:repo"]
        for location in refused {
            #expect(throws: SourceError.self, "\(location)") { _ = try GitLocation.check(location, trust: .remoteOnly) }
        }
        // The user may name local paths and bundles, never other transports.
        #expect(try GitLocation.check("/some/repo", trust: .user) == .local)
        #expect(try GitLocation.check("repo.bundle", trust: .user) == .local)
        #expect(throws: SourceError.self) { _ = try GitLocation.check("file:///some/repo", trust: .user) }
    }

    @Test func localPathFromAPackumentIsNotOpened() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repo = folder.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        _ = try Git.run(["init", "--quiet", "--", repo.path], context: "test")
        do {
            _ = try GitRepository.open(repo.path, cacheDirectory: folder, trust: .remoteOnly)
            Issue.record("a local path from the registry was opened")
        } catch {
            #expect("\(error)".contains("local path taken from the registry"), "\(error)")
        }
        // The same path given by the user opens.
        #expect(try GitRepository.open(repo.path, trust: .user).gitDirectory.lastPathComponent == ".git")
    }
}
