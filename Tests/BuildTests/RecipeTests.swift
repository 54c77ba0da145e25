import Foundation
import Packing
import Registry
import Testing
import TestSupport
@testable import Build

/// Recipe inference, lockfile reading and registry host replacement.
struct RecipeTests {
    func checkout(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-recipe-\(UUID().uuidString)")
        for (path, content) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        return root
    }

    let everyScript = """
    {"name":"p","version":"1.0.0","scripts":{"preinstall":"a","install":"b","postinstall":"c","prepublish":"d",
     "preprepare":"e","prepare":"f","postprepare":"g","prepublishOnly":"h","prepack":"i","postpack":"j","publish":"k"}}
    """

    @Test func npm7To11RunTheCIInstallScriptsThenPrepublishOnlyPrepackPrepare() throws {
        let root = try checkout(["package.json": everyScript])
        defer { try? FileManager.default.removeItem(at: root) }
        let recipe = try RecipeInference.infer(checkout: root, packageDirectory: nil, generation: .npm10)
        #expect(recipe.steps.map(\.event) == ["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare",
                                              "postprepare", "prepublishOnly", "prepack", "prepare"])
        #expect(recipe.steps.filter { $0.phase == .pack }.map(\.command) == ["h", "i", "f"])
        #expect(recipe.notes.contains("scripts.postpack runs after the tarball is written: not run"))
        #expect(recipe.lockfile == nil)
    }

    @Test func npm6RunsPrepublishAndPrepareBeforePrepublishOnlyAndPrepack() throws {
        let root = try checkout(["package.json": everyScript])
        defer { try? FileManager.default.removeItem(at: root) }
        let recipe = try RecipeInference.infer(checkout: root, packageDirectory: nil, generation: .npm6)
        #expect(recipe.steps.filter { $0.phase == .pack }.map(\.event) == ["prepublish", "prepare", "prepublishOnly", "prepack"])
        #expect(recipe.steps.filter { $0.phase == .install }.map(\.event) == ["preinstall", "install", "postinstall", "prepublish", "prepare"])
    }

    @Test func buildCommandReplacesTheScripts() throws {
        let root = try checkout(["package.json": everyScript])
        defer { try? FileManager.default.removeItem(at: root) }
        let recipe = try RecipeInference.infer(checkout: root, packageDirectory: nil, generation: .npm10, buildCommand: "make dist")
        #expect(recipe.steps == [RecipeStep(phase: .pack, directory: ".", event: nil, command: "make dist", origin: "--build-command")])
    }

    @Test func yarnOnlyAndMissingLockfilesAreClearReasons() throws {
        let yarn = try checkout(["package.json": #"{"name":"p","version":"1.0.0","devDependencies":{"x":"1"}}"#, "yarn.lock": ""])
        defer { try? FileManager.default.removeItem(at: yarn) }
        #expect { try RecipeInference.infer(checkout: yarn, packageDirectory: nil, generation: .npm10) } throws: {
            ($0 as? BuildError)?.code == .lockfile && "\($0)".contains("yarn.lock") && "\($0)".contains("not supported")
        }
        let none = try checkout(["package.json": #"{"name":"p","version":"1.0.0","dependencies":{"x":"1"}}"#])
        defer { try? FileManager.default.removeItem(at: none) }
        #expect { try RecipeInference.infer(checkout: none, packageDirectory: nil, generation: .npm10) } throws: {
            ($0 as? BuildError)?.code == .lockfile && "\($0)".contains("no package-lock.json")
        }
    }

    @Test func workspaceLockfileIsFoundAtTheRoot() throws {
        let root = try checkout([
            "package.json": #"{"name":"root","private":true,"workspaces":["packages/*"],"scripts":{"prepare":"r"}}"#,
            "package-lock.json": #"{"lockfileVersion":3,"packages":{}}"#,
            "packages/x/package.json": #"{"name":"x","version":"1.0.0","scripts":{"prepack":"p","prepare":"q"}}"#,
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let recipe = try RecipeInference.infer(checkout: root, packageDirectory: "./packages/x/", generation: .npm10)
        #expect(recipe.lockfile == "package-lock.json")
        #expect(recipe.installDirectory == ".")
        #expect(recipe.packageDirectory == "packages/x")
        #expect(recipe.steps.map { "\($0.directory):\($0.event ?? "")" }
            == ["packages/x:prepare", ".:prepare", "packages/x:prepack", "packages/x:prepare"])
    }

    @Test func lockfileLocationsMustStayInTheProject() throws {
        let escaping = Data(#"{"lockfileVersion":3,"packages":{"node_modules/../../etc":{"version":"1.0.0"}}}"#.utf8)
        #expect { try PackageLock.parse(escaping, file: "package-lock.json") } throws: {
            ($0 as? BuildError)?.code == .lockfile && "\($0)".contains("not a folder inside the project")
        }
        let v1 = Data(#"{"lockfileVersion":1,"dependencies":{}}"#.utf8)
        #expect { try PackageLock.parse(v1, file: "package-lock.json") } throws: { "\($0)".contains("lockfileVersion 1") }
        let lock = try PackageLock.parse(try Data(contentsOf: BuildFixtures.folder.appendingPathComponent("monorepo/package-lock.json")),
                                         file: "package-lock.json")
        #expect(lock.entries.map(\.location) == ["node_modules/fixture-banner", "packages/x", "node_modules/@fixture/x"])
        #expect(lock.entries.first { $0.link }?.resolved == "packages/x")
    }

    @Test func publicRegistryURLsMoveToTheConfiguredRegistry() throws {
        var configuration = RegistryConfiguration(registry: URL(string: "http://127.0.0.1:4873/mirror/")!)
        configuration.scopedRegistries["@corp"] = URL(string: "http://127.0.0.1:5000/")!
        let moved = DependencyInstaller.fetchURL(resolved: "https://registry.npmjs.org/a/-/a-1.0.0.tgz", name: "a",
                                                 configuration: configuration)
        #expect(moved?.absoluteString == "http://127.0.0.1:4873/a/-/a-1.0.0.tgz")
        let scoped = DependencyInstaller.fetchURL(resolved: "https://registry.npmjs.org/@corp/b/-/b-2.0.0.tgz", name: "@corp/b",
                                                  configuration: configuration)
        #expect(scoped?.absoluteString == "http://127.0.0.1:5000/@corp/b/-/b-2.0.0.tgz")
        let other = DependencyInstaller.fetchURL(resolved: "https://example.invalid/c.tgz", name: "c", configuration: configuration)
        #expect(other?.absoluteString == "https://example.invalid/c.tgz")
        #expect(DependencyInstaller.fetchURL(resolved: "git+ssh://git@github.com/a/b.git", name: "b", configuration: configuration) == nil)
    }
}
