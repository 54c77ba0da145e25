import Foundation
import LoopbackRegistry
import Testing
import TestSupport

/// The GitHub Action (`action.yml`, composite) and its shell part, `Scripts/action-entry.sh`, run locally against
/// the fixture registry on loopback, as the runner would run it.
@Suite(.serialized) struct ActionTests: RegistryWorkspaceSuite {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var outputs: [String: String]
        var summary: String
    }

    let workspace: RegistryWorkspace
    var folder: URL { workspace.directory }

    init() throws {
        workspace = try RegistryWorkspace(label: "action", content: RegistryContent.fixtures(at: Fixtures.root))
    }

    /// Runs the entry script with the inputs as the action passes them, and GitHub's output and summary files.
    func entry(_ inputs: [String: String]) throws -> Outcome {
        let outputFile = folder.appendingPathComponent("github-output-\(UUID().uuidString)")
        let summaryFile = folder.appendingPathComponent("step-summary-\(UUID().uuidString)")
        try Data().write(to: outputFile)
        try Data().write(to: summaryFile)
        let npmrc = folder.appendingPathComponent("npmrc")
        try Data().write(to: npmrc)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("Scripts/action-entry.sh").path]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["PROVCHECK"] = try ProvcheckBinary.url().path
        environment["GITHUB_OUTPUT"] = outputFile.path
        environment["GITHUB_STEP_SUMMARY"] = summaryFile.path
        environment["XDG_CACHE_HOME"] = folder.appendingPathComponent("cache").path
        environment["npm_config_userconfig"] = npmrc.path
        environment["npm_config_globalconfig"] = npmrc.path
        environment["npm_config_registry"] = nil
        environment["NO_COLOR"] = "1"
        for (key, value) in inputs { environment[key] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so a full stderr pipe cannot block the script writing stdout.
        nonisolated(unsafe) var stderr = Data()
        let stderrDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        Thread {
            stderr = errHandle.readDataToEndOfFile()
            stderrDone.signal()
        }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stderrDone.wait()
        var outputs: [String: String] = [:]
        for line in try String(contentsOf: outputFile, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { outputs[parts[0]] = parts[1] }
        }
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self), outputs: outputs,
                       summary: try String(contentsOf: summaryFile, encoding: .utf8))
    }

    @Test func actionIsACompositeActionRunningTheEntryScript() throws {
        defer { cleanup() }
        let script = """
        import json, sys, yaml
        print(json.dumps(yaml.safe_load(open(sys.argv[1]))))
        """
        let result = try ProcessRunner.run(
            ["python3", "-c", script, Fixtures.repositoryRoot.appendingPathComponent("action.yml").path], check: false)
        #expect(result.status == 0, "action.yml is not valid YAML")
        let action = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let runs = try #require(action["runs"] as? [String: Any])
        #expect(runs["using"] as? String == "composite")
        let inputs = try #require(action["inputs"] as? [String: Any])
        for input in ["command", "args", "policy", "sarif-file", "upload-sarif"] {
            #expect(inputs[input] != nil, "input \(input) missing")
        }
        let steps = try #require(runs["steps"] as? [[String: Any]])
        let commands = steps.compactMap { $0["run"] as? String }.joined(separator: "\n")
        let uses = steps.compactMap { $0["uses"] as? String }
        #expect(commands.contains("Scripts/action-entry.sh"))
        #expect(commands.contains("Scripts/install-deps.sh"))
        #expect(uses.contains { $0.hasPrefix("actions/cache@") })
        #expect(uses.contains { $0.hasPrefix("swift-actions/setup-swift@") })
        #expect(uses.contains { $0.hasPrefix("github/codeql-action/upload-sarif@") })
        // Every composite `run` step names its shell (GitHub requires it).
        for step in steps where step["run"] != nil { #expect(step["shell"] as? String == "bash", "\(step)") }
    }

    @Test func verifyWritesSARIFThatValidatesAndOutputs() throws {
        defer { cleanup() }
        let sarif = folder.appendingPathComponent("out/provcheck.sarif")
        let bundle = try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path
        let run = try entry([
            "INPUT_COMMAND": "verify",
            "INPUT_ARGS": "'gundam-visor@1.0.1' --registry \(registry.baseURL.absoluteString) --offline --source \"\(bundle)\"",
            "INPUT_POLICY": Fixtures.repositoryRoot.appendingPathComponent("docs/examples/gundam-visor.policy.toml").path,
            "INPUT_SARIF_FILE": sarif.path,
        ])
        // The fixture has no registry signature for this version: trust.signatures fails (exit 1).
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.outputs["exit-code"] == "1")
        #expect(run.outputs["sarif-file"] == sarif.path)
        #expect(run.stdout.contains("FAILED gundam-visor@1.0.1"))
        #expect(run.stdout.contains("policy.workflow"), "the policy input was not passed")
        #expect(run.summary.contains("### provcheck verify") && run.summary.contains("Result: **failed** (exit 1)"))
        #expect(run.stderr.contains("::error title=provcheck verify::"))
        let errors = try SchemaValidation.sarifErrors(try Data(contentsOf: sarif))
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test func auditAndWatchRunThroughTheAction() throws {
        defer { cleanup() }
        // audit: a one-package lockfile.
        let project = folder.appendingPathComponent("project")
        try AuditProject.write(to: project, packages: [.init("ms@2.1.3")])
        let auditSARIF = folder.appendingPathComponent("audit.sarif")
        let audit = try entry(["INPUT_COMMAND": "audit",
                               "INPUT_ARGS": "\(project.path) --registry \(registry.baseURL.absoluteString)",
                               "INPUT_SARIF_FILE": auditSARIF.path])
        #expect(audit.status == 0 || audit.status == 1, "\(audit.stderr)")
        #expect(audit.outputs["exit-code"] == String(audit.status))
        #expect(audit.stdout.contains("audited 1 package"))
        #expect(try SchemaValidation.sarifErrors(try Data(contentsOf: auditSARIF)).isEmpty)

        // watch: a baseline run; the Markdown report goes to the job summary.
        let config = folder.appendingPathComponent("watch.json")
        try Data(#"{"version": 1, "packages": [{"name": "ms", "versions": {"latest": 2}}]}"#.utf8).write(to: config)
        let watchSARIF = folder.appendingPathComponent("watch.sarif")
        let watch = try entry(["INPUT_COMMAND": "watch",
                               "INPUT_ARGS": "--config \(config.path) --state \(folder.appendingPathComponent("state.json").path) "
                                   + "--registry \(registry.baseURL.absoluteString)",
                               "INPUT_SARIF_FILE": watchSARIF.path])
        #expect(watch.status == 0 || watch.status == 1, "\(watch.stderr)")
        #expect(watch.summary.contains("### provcheck watch"))
        #expect(watch.summary.contains("ms"), "\(watch.summary)")
        #expect(try SchemaValidation.sarifErrors(try Data(contentsOf: watchSARIF)).isEmpty)
    }

    @Test func badInputsExitTwoWithAnError() throws {
        defer { cleanup() }
        for inputs in [["INPUT_COMMAND": "publish"], ["INPUT_COMMAND": "verify", "INPUT_ARGS": "'unbalanced"],
                       ["INPUT_COMMAND": "verify", "INPUT_ARGS": "ms@2.1.3", "INPUT_POLICY": "/nonexistent/p.toml"]] {
            let run = try entry(inputs)
            #expect(run.status == 2, "\(inputs): \(run.stderr)")
            #expect(run.outputs["exit-code"] == "2")
            #expect(run.stderr.contains("::error title=provcheck action::"), "\(inputs): \(run.stderr)")
        }
        // Nothing in args is executed.
        let marker = folder.appendingPathComponent("pwned")
        let run = try entry(["INPUT_COMMAND": "verify", "INPUT_ARGS": "\"$(touch \(marker.path))\" `touch \(marker.path)`",
                             "INPUT_SARIF_FILE": ""])
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }
}
