import Digest
import Foundation
import LoopbackRegistry
import Packing
import Registry
import Testing
import TestSupport
@testable import Build

/// Recipes read from a GitHub Actions workflow file.
struct WorkflowRecipeTests {
    static let workflow = """
    name: Publish
    on:
      release:
        types: [published]
    env:
      NODE_ENV: "ci"   # a comment
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: npm ci && npm test
      publish:
        runs-on: ubuntu-latest
        permissions:
          id-token: write
        steps:
          - uses: actions/checkout@v4
          - uses: actions/setup-node@v4
            with:
              node-version: 20
              registry-url: 'https://registry.npmjs.org'
          - run: npm ci
          - name: Build
            run: |
              npm run build
              npm run lint
              echo built
          - name: Publish
            run: npm publish --provenance --access public
            env:
              NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
    """

    @Test func runStepsAreReadWithTheirJobDirectoryAndEnvironment() {
        let steps = WorkflowReader.runSteps(Self.workflow)
        #expect(steps.map(\.job) == ["test", "publish", "publish", "publish"])
        #expect(steps.map(\.position) == [2, 3, 4, 5])
        #expect(steps[2].run == "npm run build\nnpm run lint\necho built")
        #expect(steps[2].name == "Build")
        #expect(steps.allSatisfy { $0.nodeEnv == "ci" })
        let nested = WorkflowReader.runSteps("""
        jobs:
          release:
            defaults:
              run:
                working-directory: packages/x
            steps:
              - run: npm ci
                working-directory: .
              - run: npm publish
        """)
        #expect(nested.map(\.workingDirectory) == [".", "packages/x"])
    }

    @Test func thePublishingJobBecomesTheRecipeAndOtherCommandsAreNamed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-workflow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".github/workflows"), withIntermediateDirectories: true)
        try Data(Self.workflow.utf8).write(to: root.appendingPathComponent(".github/workflows/publish.yml"))
        try Data(#"{"name":"p","version":"1.0.0","scripts":{"build":"node b.js","prepack":"node p.js"}}"#.utf8)
            .write(to: root.appendingPathComponent("package.json"))
        let recipe = try RecipeInference.infer(checkout: root, packageDirectory: nil, generation: .npm10,
                                               workflow: ".github/workflows/publish.yml")
        #expect(recipe.workflow == ".github/workflows/publish.yml")
        #expect(recipe.nodeEnv == "ci")
        #expect(recipe.steps.map(\.command) == ["npm run build", "node p.js"])
        #expect(recipe.steps[1].event == "prepack")
        #expect(recipe.steps[0].origin == ".github/workflows/publish.yml job publish step 4 (Build)")
        #expect(recipe.notes.contains("not run (tests and linters do not change the tarball): `npm run lint` in .github/workflows/publish.yml job publish step 4 (Build)"))
        #expect(recipe.notes.contains("not understood, not run: `echo built` in .github/workflows/publish.yml job publish step 4 (Build)"))
        // A workflow without a publish step, or one not in the commit, falls back to the lifecycle scripts.
        let fallback = try RecipeInference.infer(checkout: root, packageDirectory: nil, generation: .npm10,
                                                 workflow: ".github/workflows/missing.yml")
        #expect(fallback.workflow == nil)
        #expect(fallback.steps.map(\.event) == ["prepack"])
        #expect(fallback.notes.contains { $0.contains("is not in the commit") })
    }

    @Test(.enabled(if: BuildFixtures.toolsPresent && BuildFixtures.bubblewrapWorks, "needs node, npm, git and bubblewrap"))
    func aWorkflowBuildStepReproducesWhatTheLifecycleAloneCannot() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-workflow-build-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let registry = try LoopbackRegistry(content: try BuildFixtures.registryContent())
        defer {
            registry.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        // fixture-single without its prepack: the CI workflow builds in a step of its own.
        var manifest = try String(contentsOf: BuildFixtures.folder.appendingPathComponent("single/package.json"), encoding: .utf8)
        manifest = manifest.replacingOccurrences(of: ",\n    \"prepack\": \"npm run build\"", with: "")
        let workflow = """
        on: push
        jobs:
          publish:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: npm ci
              - run: npm run build
              - run: npm publish --provenance
        """
        let repository = try BuildFixtures.makeRepository("single", in: directory, files: [
            "package.json": manifest, ".github/workflows/release.yml": workflow,
        ])
        let published = try BuildFixtures.ciPack(repository: repository, registry: registry.baseURL, in: directory,
                                                 before: [["npm", "run", "build"]])
        let repo = try GitRepository.open(repository.path)
        let commit = try #require(repo.resolveCommit("v1.0.0"))
        let builder = PackageBuilder(settings: BuildSettings(registry: RegistryConfiguration(registry: registry.baseURL),
                                                             sandbox: SandboxSettings(timeout: 120)))
        let expected = Hashing.sriSHA512(try Data(contentsOf: published))
        let withWorkflow = try await builder.build(BuildRequest(
            repository: repo, commit: commit, npmVersion: "10.8.2", expectedIntegrity: expected,
            output: directory.appendingPathComponent("a.tgz"), workflow: ".github/workflows/release.yml"))
        #expect(withWorkflow.result.gzip.reproducedExpected == true)
        #expect(withWorkflow.report.recipe.steps.map(\.command) == ["npm run build"])
        let lifecycleOnly = try await builder.build(BuildRequest(
            repository: repo, commit: commit, npmVersion: "10.8.2", expectedIntegrity: expected,
            output: directory.appendingPathComponent("b.tgz")))
        #expect(lifecycleOnly.result.gzip.reproducedExpected == false)
        #expect(!lifecycleOnly.result.files.contains("dist/index.js"))
    }
}
