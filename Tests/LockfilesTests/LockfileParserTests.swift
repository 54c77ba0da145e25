import Foundation
import TestSupport
import Testing
@testable import Lockfiles

@Suite struct LockfileParserTests {
    let file = URL(fileURLWithPath: "/project/package-lock.json")

    @Test func npmV3PackagesAliasesLinksGitAndFlags() throws {
        let json = """
        {"name":"p","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
          "":{"name":"p","version":"1.0.0","workspaces":["packages/a"]},
          "packages/a":{"name":"a","version":"0.1.0"},
          "node_modules/a":{"resolved":"packages/a","link":true},
          "node_modules/abbrev":{"version":"1.1.1","resolved":"https://registry.npmjs.org/abbrev/-/abbrev-1.1.1.tgz","integrity":"sha512-AAAA","dev":true},
          "node_modules/@scope/x":{"version":"2.0.0","resolved":"https://registry.npmjs.org/@scope/x/-/x-2.0.0.tgz","optional":true},
          "node_modules/alias":{"name":"real","version":"3.0.0","resolved":"https://registry.npmjs.org/real/-/real-3.0.0.tgz"},
          "node_modules/g":{"version":"1.0.0","resolved":"git+ssh://git@github.com/o/g.git#abc"},
          "node_modules/t":{"version":"1.0.0","resolved":"https://example.com/t.tgz"},
          "node_modules/f":{"version":"1.0.0","resolved":"file:../f.tgz"},
          "node_modules/abbrev/node_modules/ms":{"version":"2.1.3","devOptional":true,"peer":true},
          "packages/a/node_modules/wrappy":{"version":"1.0.2","resolved":"https://registry.npmjs.org/wrappy/-/wrappy-1.0.2.tgz"}
        }}
        """
        let lockfile = try NPMLockfileParser.parse(Data(json.utf8), file: file)
        #expect(lockfile.format == .npmV3)
        let byLocation = Dictionary(uniqueKeysWithValues: lockfile.packages.map { ($0.location, $0) })
        #expect(byLocation["packages/a"] == nil)
        #expect(byLocation["node_modules/a"]?.source == .link("packages/a"))
        #expect(byLocation["node_modules/abbrev"]?.source == .registry)
        #expect(byLocation["node_modules/abbrev"]?.flags.dev == true)
        #expect(byLocation["node_modules/@scope/x"]?.name == "@scope/x")
        #expect(byLocation["node_modules/@scope/x"]?.source == .registry)
        #expect(byLocation["node_modules/alias"]?.name == "real")
        #expect(byLocation["node_modules/alias"]?.source == .registry)
        #expect(byLocation["node_modules/g"]?.source == .git("git+ssh://git@github.com/o/g.git#abc"))
        #expect(byLocation["node_modules/t"]?.source == .remoteTarball("https://example.com/t.tgz"))
        #expect(byLocation["node_modules/f"]?.source == .file("file:../f.tgz"))
        #expect(byLocation["node_modules/abbrev/node_modules/ms"]?.name == "ms")
        #expect(byLocation["node_modules/abbrev/node_modules/ms"]?.source == .registry)
        #expect(byLocation["packages/a/node_modules/wrappy"]?.name == "wrappy")

        #expect(lockfile.packages(omitting: [.dev]).contains { $0.name == "abbrev" } == false)
        #expect(lockfile.packages(omitting: [.optional]).contains { $0.name == "@scope/x" } == false)
        #expect(lockfile.packages(omitting: [.peer]).contains { $0.name == "ms" } == false)
        // devOptional is omitted only when both dev and optional are.
        #expect(lockfile.packages(omitting: [.dev]).filter { $0.name == "ms" && !$0.flags.peer }.isEmpty)
        #expect(DependencyFlags(devOptional: true).isOmitted(by: [.dev]) == false)
        #expect(DependencyFlags(devOptional: true).isOmitted(by: [.dev, .optional]))
    }

    @Test func npmV1NestedTreeAndAliases() throws {
        let json = """
        {"name":"p","version":"1.0.0","lockfileVersion":1,"requires":true,"dependencies":{
          "a":{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz","integrity":"sha512-AA","dependencies":{
              "b":{"version":"2.0.0","resolved":"https://registry.npmjs.org/b/-/b-2.0.0.tgz","dev":true}}},
          "al":{"version":"npm:real@3.0.0","resolved":"https://registry.npmjs.org/real/-/real-3.0.0.tgz"},
          "g":{"version":"github:o/g#abc","from":"github:o/g"},
          "l":{"version":"file:packages/l"}
        }}
        """
        let lockfile = try NPMLockfileParser.parse(Data(json.utf8), file: file)
        #expect(lockfile.format == .npmV1)
        let byLocation = Dictionary(uniqueKeysWithValues: lockfile.packages.map { ($0.location, $0) })
        #expect(byLocation["node_modules/a"]?.source == .registry)
        #expect(byLocation["node_modules/a/node_modules/b"]?.name == "b")
        #expect(byLocation["node_modules/a/node_modules/b"]?.flags.dev == true)
        #expect(byLocation["node_modules/al"]?.name == "real")
        #expect(byLocation["node_modules/al"]?.version == "3.0.0")
        #expect(byLocation["node_modules/g"]?.source == .git("github:o/g#abc"))
        #expect(byLocation["node_modules/l"]?.source == .file("file:packages/l"))
    }

    @Test func unsupportedNpmLockfileVersionIsAnError() {
        #expect(throws: LockfileError.self) {
            try NPMLockfileParser.parse(Data(#"{"lockfileVersion":4,"packages":{}}"#.utf8), file: file)
        }
        #expect(throws: LockfileError.self) { try NPMLockfileParser.parse(Data("[]".utf8), file: file) }
    }

    @Test func yarnV1EntriesSourcesAndDevReachability() throws {
        let text = """
        # THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
        # yarn lockfile v1


        "@scope/x@^2.0.0", "@scope/x@^2.1.0":
          version "2.1.0"
          resolved "https://registry.yarnpkg.com/@scope/x/-/x-2.1.0.tgz#0123456789abcdef0123456789abcdef01234567"
          integrity sha512-XXXX
          dependencies:
            ms "^2.1.0"

        ms@^2.1.0:
          version "2.1.3"
          resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#574c8138ce1d2b5861f0b44579dbadd60c6615b2"
          integrity sha512-YYYY

        devonly@1.0.0:
          version "1.0.0"
          resolved "https://registry.yarnpkg.com/devonly/-/devonly-1.0.0.tgz"

        alias@npm:real@^3:
          version "3.0.0"
          resolved "https://registry.yarnpkg.com/real/-/real-3.0.0.tgz"

        "g@github:o/g":
          version "1.0.0"
          resolved "https://codeload.github.com/o/g/tar.gz/abc"

        "t@https://example.com/t.tgz":
          version "1.0.0"
          resolved "https://example.com/t.tgz"
        """
        let manifest: [String: Any] = ["dependencies": ["@scope/x": "^2.0.0", "alias": "npm:real@^3"],
                                       "devDependencies": ["devonly": "1.0.0"]]
        let lockfile = try YarnLockfileParser.parse(Data(text.utf8), file: URL(fileURLWithPath: "/p/yarn.lock"), manifest: manifest)
        #expect(lockfile.format == .yarnV1)
        let byName = Dictionary(uniqueKeysWithValues: lockfile.packages.map { ($0.name, $0) })
        #expect(byName["@scope/x"]?.version == "2.1.0")
        #expect(byName["@scope/x"]?.source == .registry)
        #expect(byName["@scope/x"]?.integrity == "sha512-XXXX")
        #expect(byName["ms"]?.flags.dev == false)
        #expect(byName["ms"]?.installPath == "node_modules/ms")
        #expect(byName["g"]?.installPath == nil)
        #expect(byName["devonly"]?.flags.dev == true)
        #expect(byName["real"]?.source == .registry)
        #expect(byName["g"]?.source == .git("https://codeload.github.com/o/g/tar.gz/abc"))
        #expect(byName["t"]?.source == .remoteTarball("https://example.com/t.tgz"))
        #expect(lockfile.packages(omitting: [.dev]).map(\.name).contains("devonly") == false)
    }

    @Test func yarnBerryIsRejected() {
        let text = "__metadata:\n  version: 6\n  cacheKey: 8\n"
        #expect(throws: LockfileError.self) {
            try YarnLockfileParser.parse(Data(text.utf8), file: URL(fileURLWithPath: "/p/yarn.lock"))
        }
    }

    @Test func pnpmV6() throws {
        let text = """
        lockfileVersion: '6.0'

        settings:
          autoInstallPeers: true

        dependencies:
          ms:
            specifier: ^2.1.3
            version: 2.1.3

        devDependencies:
          '@scope/x':
            specifier: ^2.0.0
            version: 2.1.0(react@18.2.0)

        packages:

          /ms@2.1.3:
            resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}
            dev: false

          /@scope/x@2.1.0(react@18.2.0):
            resolution: {integrity: sha512-ZZZZ}
            peerDependencies:
              react: '>=16'
            dev: true

          github.com/o/g/abc:
            resolution: {tarball: https://codeload.github.com/o/g/tar.gz/abc}
            name: g
            version: 1.0.0
            dev: false

          '@tarball.example/t@https://example.com/t.tgz':
            resolution: {tarball: https://example.com/t.tgz}
            name: t
            version: 1.0.0
            dev: false
        """
        let lockfile = try PnpmLockfileParser.parse(Data(text.utf8), file: URL(fileURLWithPath: "/p/pnpm-lock.yaml"))
        #expect(lockfile.format == .pnpmV6)
        let byName = Dictionary(uniqueKeysWithValues: lockfile.packages.map { ($0.name, $0) })
        #expect(byName["ms"]?.version == "2.1.3")
        #expect(byName["ms"]?.source == .registry)
        #expect(byName["ms"]?.integrity?.hasPrefix("sha512-6Flz") == true)
        #expect(byName["@scope/x"]?.version == "2.1.0")
        #expect(byName["@scope/x"]?.flags.dev == true)
        #expect(byName["ms"]?.installPath == "node_modules/.pnpm/ms@2.1.3/node_modules/ms")
        #expect(byName["@scope/x"]?.installPath == nil)  // peer suffix: pnpm encodes the folder differently
        #expect(byName["g"]?.source == .git("https://codeload.github.com/o/g/tar.gz/abc"))
        #expect(byName["t"]?.source == .remoteTarball("https://example.com/t.tgz"))
    }

    @Test func pnpmV9WithSnapshotReachability() throws {
        let text = """
        lockfileVersion: '9.0'

        settings:
          autoInstallPeers: true
          excludeLinksFromLockfile: false

        importers:

          .:
            dependencies:
              a:
                specifier: ^1.0.0
                version: 1.0.0
              local:
                specifier: link:packages/local
                version: link:packages/local
            devDependencies:
              d:
                specifier: 1.0.0
                version: 1.0.0
            optionalDependencies:
              o:
                specifier: 1.0.0
                version: 1.0.0

        packages:

          a@1.0.0:
            resolution: {integrity: sha512-AAAA}

          b@2.0.0:
            resolution: {integrity: sha512-BBBB}
            engines: {node: '>=8'}

          d@1.0.0:
            resolution: {integrity: sha512-DDDD}

          o@1.0.0:
            resolution: {integrity: sha512-OOOO}
            os: [darwin]

          g@git+https://github.com/o/g.git#abc:
            resolution: {commit: abc, repo: https://github.com/o/g.git, type: git}
            version: 1.0.0

        snapshots:

          a@1.0.0:
            dependencies:
              b: 2.0.0

          b@2.0.0: {}

          d@1.0.0:
            dependencies:
              b: 2.0.0

          o@1.0.0:
            optional: true

          g@git+https://github.com/o/g.git#abc: {}
        """
        let lockfile = try PnpmLockfileParser.parse(Data(text.utf8), file: URL(fileURLWithPath: "/p/pnpm-lock.yaml"))
        #expect(lockfile.format == .pnpmV9)
        let byName = Dictionary(uniqueKeysWithValues: lockfile.packages.map { ($0.name, $0) })
        #expect(byName["a"]?.source == .registry)
        #expect(byName["b"]?.flags.dev == false)
        #expect(byName["d"]?.flags.dev == true)
        #expect(byName["o"]?.flags.optional == true)
        #expect(byName["g"]?.source == .git("https://github.com/o/g.git#abc"))
        #expect(Set(lockfile.packages(omitting: [.dev, .optional]).map(\.name)) == ["a", "b", "g"])
    }

    @Test func unsupportedPnpmVersionAndBadYamlAreErrors() {
        let url = URL(fileURLWithPath: "/p/pnpm-lock.yaml")
        #expect(throws: LockfileError.self) {
            try PnpmLockfileParser.parse(Data("lockfileVersion: '5.4'\npackages: {}\n".utf8), file: url)
        }
        #expect(throws: LockfileError.self) {
            try PnpmLockfileParser.parse(Data("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: [unclosed\n".utf8), file: url)
        }
    }

    /// pnpm reads lockfiles with js-yaml, which refuses a duplicated key; the old subset reader took the last one,
    /// so a second `resolution` could replace the integrity an audit checks.
    @Test func pnpmDuplicateKeysAreRefused() {
        let url = URL(fileURLWithPath: "/p/pnpm-lock.yaml")
        let text = """
            lockfileVersion: '9.0'
            packages:
              ms@2.1.3:
                resolution: {integrity: sha512-AAAA}
                resolution: {integrity: sha512-BBBB}
            """
        #expect {
            try PnpmLockfileParser.parse(Data(text.utf8), file: url)
        } throws: { error in
            (error as? LockfileError)?.message.contains("duplicated mapping key \"resolution\"") == true
        }
    }

    /// pnpm's combined lockfile: `---`, the env document (config dependencies), `---`, the main document, which is
    /// the one read. A single document behind `---` is read too.
    @Test func pnpmDocumentsAreReadAsPnpmReadsThem() throws {
        let url = URL(fileURLWithPath: "/p/pnpm-lock.yaml")
        let combined = """
            ---
            lockfileVersion: '9.0'
            importers:
              .:
                configDependencies: {}
            packages:
              env-only@1.0.0:
                resolution: {integrity: sha512-AAAA}

            ---
            lockfileVersion: '9.0'
            importers:
              .:
                dependencies:
                  ms:
                    specifier: ^2.1.3
                    version: 2.1.3
            packages:
              ms@2.1.3:
                resolution: {integrity: sha512-BBBB}
            snapshots:
              ms@2.1.3: {}
            """
        let lockfile = try PnpmLockfileParser.parse(Data(combined.utf8), file: url)
        #expect(lockfile.packages.map(\.name) == ["ms"])
        #expect(lockfile.packages.first?.integrity == "sha512-BBBB")
        let single = "---\nlockfileVersion: '9.0'\npackages:\n  ms@2.1.3:\n    resolution: {integrity: sha512-CCCC}\n"
        #expect(try PnpmLockfileParser.parse(Data(single.utf8), file: url).packages.first?.integrity == "sha512-CCCC")
        #expect(throws: LockfileError.self) {
            try PnpmLockfileParser.parse(Data((single + "---\na: 1\n---\nb: 2\n").utf8), file: url)
        }
    }

    @Test func loaderPrefersShrinkwrapAndNamesMissingLockfiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        #expect(throws: LockfileError.self) { try LockfileLoader.load(from: folder.url) }
        let v3 = #"{"lockfileVersion":3,"packages":{"":{},"node_modules/a":{"version":"1.0.0"}}}"#
        try Data(v3.utf8).write(to: folder.url.appendingPathComponent("package-lock.json"))
        try Data(#"{"lockfileVersion":2,"packages":{"":{}}}"#.utf8).write(to: folder.url.appendingPathComponent("npm-shrinkwrap.json"))
        let loaded = try LockfileLoader.load(from: folder.url)
        #expect(loaded.file.lastPathComponent == "npm-shrinkwrap.json")
        #expect(loaded.format == .npmV2)
    }

    @Test func workspaceSelectionFollowsNodeResolution() throws {
        let json = """
        {"lockfileVersion":3,"packages":{
          "":{"name":"root","workspaces":["packages/*"],"devDependencies":{"rootdev":"1"}},
          "packages/a":{"name":"a","version":"1.0.0","dependencies":{"shared":"1","b":"1"},"devDependencies":{"adev":"1"}},
          "packages/b":{"name":"b","version":"1.0.0","dependencies":{"shared":"2"}},
          "packages/c":{"name":"c","version":"1.0.0","dependencies":{"conly":"1"}},
          "node_modules/a":{"resolved":"packages/a","link":true},
          "node_modules/b":{"resolved":"packages/b","link":true},
          "node_modules/c":{"resolved":"packages/c","link":true},
          "node_modules/shared":{"version":"1.0.0","dependencies":{"leaf":"1"}},
          "node_modules/leaf":{"version":"1.0.0"},
          "packages/b/node_modules/shared":{"version":"2.0.0"},
          "node_modules/adev":{"version":"1.0.0","dev":true},
          "node_modules/rootdev":{"version":"1.0.0","dev":true},
          "node_modules/conly":{"version":"1.0.0"}
        }}
        """
        let lockfile = try NPMLockfileParser.parse(Data(json.utf8), file: file)
        let a = try lockfile.selectingWorkspaces(["a"]).packages.map(\.location)
        #expect(Set(a) == ["node_modules/shared", "node_modules/leaf", "node_modules/b", "packages/b/node_modules/shared",
                           "node_modules/adev"])
        let c = try lockfile.selectingWorkspaces(["packages/c"]).packages.map(\.location)
        #expect(c == ["node_modules/conly"])
        #expect(throws: LockfileError.self) { try lockfile.selectingWorkspaces(["nope"]) }
    }
}
