import Foundation
import Packing

/// One `run:` step of a GitHub Actions workflow job.
struct WorkflowRunStep: Hashable {
    /// The job id.
    var job: String
    /// 1-based position among the job's steps (`uses:` steps count too).
    var position: Int
    /// The step's `name:`.
    var name: String?
    /// The shell script.
    var run: String
    /// `working-directory:` (the step's, else the job's `defaults.run`, else the workflow's).
    var workingDirectory: String?
    /// `NODE_ENV` as the step, job or workflow `env:` sets it.
    var nodeEnv: String?
}

/// Reads the `run:` steps of a GitHub Actions workflow: the small part of YAML workflows use for them (block
/// mappings and sequences by indentation, plain/quoted scalars, `|`/`>` block scalars). Anything else is ignored.
enum WorkflowReader {
    struct Line {
        var indent: Int
        var text: String
    }

    static func lines(_ text: String) -> [Line] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { raw in
            let line = String(raw).replacingOccurrences(of: "\r", with: "")
            let indent = line.prefix { $0 == " " }.count
            return Line(indent: indent, text: String(line.dropFirst(indent)))
        }
    }

    /// `key: value` → (key, value) with quotes and trailing comments removed; `nil` when not a mapping entry.
    static func entry(_ text: String) -> (String, String)? {
        guard !text.hasPrefix("#"), let colon = text.firstIndex(of: ":") else { return nil }
        let after = text.index(after: colon)
        guard after == text.endIndex || text[after] == " " else { return nil }
        var key = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.first == "\"" || key.first == "'", key.last == key.first { key = String(key.dropFirst().dropLast()) }
        return (key, scalar(String(text[after...])))
    }

    static func scalar(_ raw: String) -> String {
        var value = raw.trimmingCharacters(in: .whitespaces)
        if let first = value.first, first == "\"" || first == "'" {
            if let end = value.dropFirst().firstIndex(of: first) { return String(value[value.index(after: value.startIndex)..<end]) }
            return value
        }
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces) }
        return value
    }

    /// The block under the line at `index` (lines indented more than `indent`, blank lines kept).
    static func block(_ lines: [Line], after index: Int, indent: Int) -> Range<Int> {
        var end = index + 1
        while end < lines.count, lines[end].text.isEmpty || lines[end].text.hasPrefix("#") || lines[end].indent > indent { end += 1 }
        while end > index + 1, lines[end - 1].text.isEmpty { end -= 1 }
        return (index + 1)..<end
    }

    /// A `|` / `>` block scalar's text.
    static func blockScalar(_ lines: [Line], _ range: Range<Int>, folded: Bool) -> String {
        let content = lines[range]
        let indent = content.filter { !$0.text.isEmpty }.map(\.indent).min() ?? 0
        let texts = content.map { $0.text.isEmpty ? "" : String(repeating: " ", count: $0.indent - indent) + $0.text }
        return folded ? texts.joined(separator: " ") : texts.joined(separator: "\n")
    }

    /// `NODE_ENV` in the `env:` mapping directly under the line at `index`.
    static func nodeEnv(_ lines: [Line], inEnvAt index: Int) -> String? {
        for i in block(lines, after: index, indent: lines[index].indent) {
            if let (key, value) = entry(lines[i].text), key == "NODE_ENV" { return value }
        }
        return nil
    }

    /// Every `run:` step of every job, in file order.
    static func runSteps(_ text: String) -> [WorkflowRunStep] {
        let lines = lines(text)
        var workflowEnv: String?
        var workflowDirectory: String?
        var steps: [WorkflowRunStep] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.indent == 0, let (key, _) = entry(line.text) {
                if key == "env" { workflowEnv = nodeEnv(lines, inEnvAt: i) }
                if key == "defaults" { workflowDirectory = defaultsDirectory(lines, at: i) }
                if key == "jobs" {
                    let jobsRange = block(lines, after: i, indent: 0)
                    let jobIndent = jobsRange.lazy.map { lines[$0] }.first { !$0.text.isEmpty && !$0.text.hasPrefix("#") }?.indent ?? 2
                    for j in jobsRange where lines[j].indent == jobIndent {
                        guard let (job, _) = entry(lines[j].text) else { continue }
                        steps += jobSteps(lines, job: job, at: j, workflowEnv: workflowEnv, workflowDirectory: workflowDirectory)
                    }
                    i = jobsRange.upperBound
                    continue
                }
            }
            i += 1
        }
        return steps
    }

    static func defaultsDirectory(_ lines: [Line], at index: Int) -> String? {
        for i in block(lines, after: index, indent: lines[index].indent) {
            if let (key, value) = entry(lines[i].text), key == "working-directory" { return value }
        }
        return nil
    }

    static func jobSteps(_ lines: [Line], job: String, at index: Int, workflowEnv: String?, workflowDirectory: String?) -> [WorkflowRunStep] {
        let range = block(lines, after: index, indent: lines[index].indent)
        let keyIndent = range.lazy.map { lines[$0] }.first { !$0.text.isEmpty && !$0.text.hasPrefix("#") }?.indent ?? 0
        var jobEnv = workflowEnv
        var jobDirectory = workflowDirectory
        var stepsAt: Int?
        for i in range where lines[i].indent == keyIndent {
            guard let (key, _) = entry(lines[i].text) else { continue }
            if key == "env", let value = nodeEnv(lines, inEnvAt: i) { jobEnv = value }
            if key == "defaults", let value = defaultsDirectory(lines, at: i) { jobDirectory = value }
            if key == "steps" { stepsAt = i }
        }
        guard let stepsAt else { return [] }
        let stepsRange = block(lines, after: stepsAt, indent: lines[stepsAt].indent)
        // Items start with "- " at the first item's indent.
        guard let itemIndent = stepsRange.lazy.map({ lines[$0] }).first(where: { $0.text.hasPrefix("-") })?.indent else { return [] }
        var result: [WorkflowRunStep] = []
        var position = 0
        var i = stepsRange.lowerBound
        while i < stepsRange.upperBound {
            let line = lines[i]
            guard line.indent == itemIndent, line.text.hasPrefix("-") else { i += 1; continue }
            position += 1
            // The item's lines: the "- key: value" line (as a line at indent + 2) and everything indented deeper.
            var end = i + 1
            while end < stepsRange.upperBound, lines[end].text.isEmpty || lines[end].indent > itemIndent { end += 1 }
            var itemLines = [Line(indent: itemIndent + 2, text: String(line.text.dropFirst()).trimmingCharacters(in: .whitespaces))]
            itemLines += lines[(i + 1)..<end]
            if let step = item(itemLines, job: job, position: position, env: jobEnv, directory: jobDirectory) { result.append(step) }
            i = end
        }
        return result
    }

    static func item(_ lines: [Line], job: String, position: Int, env: String?, directory: String?) -> WorkflowRunStep? {
        let keyIndent = lines[0].indent
        var name: String?
        var run: String?
        var workingDirectory = directory
        var nodeEnv = env
        for i in lines.indices where lines[i].indent == keyIndent {
            guard let (key, value) = entry(lines[i].text) else { continue }
            switch key {
            case "name": name = value
            case "working-directory": workingDirectory = value
            case "env": if let v = Self.nodeEnv(lines, inEnvAt: i) { nodeEnv = v }
            case "run":
                if value.hasPrefix("|") || value.hasPrefix(">") {
                    run = blockScalar(lines, block(lines, after: i, indent: keyIndent), folded: value.hasPrefix(">"))
                } else {
                    run = value
                }
            default: break
            }
        }
        guard let run else { return nil }
        return WorkflowRunStep(job: job, position: position, name: name, run: run, workingDirectory: workingDirectory,
                               nodeEnv: nodeEnv)
    }
}

extension RecipeInference {
    /// The recipe from a workflow file: the `run:` steps of the job that runs `npm publish` (or `npm pack`), up to
    /// that step, when they are plain npm/node commands. `npm ci`/`npm install` become the lockfile install (plus
    /// the project's install scripts unless `--ignore-scripts`), `npm run …`/`node …` run as written in their
    /// working directory, `npm publish`/`npm pack` run the package's pre-pack lifecycle scripts; test, lint and
    /// other commands are listed as not run.
    /// - Returns: `nil` when no job publishes (the lifecycle recipe is used instead).
    static func fromWorkflowFile(_ text: String, file: String, checkout root: URL, packageDirectory: String?,
                             generation: NPMGeneration) throws -> (steps: [RecipeStep], notes: [String], nodeEnv: String?, packageDirectory: String?)? {
        let all = WorkflowReader.runSteps(text)
        func commands(_ script: String) -> [String] {
            script.split(separator: "\n").flatMap { line -> [String] in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { return [] }
                return trimmed.components(separatedBy: "&&").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
        func isPublish(_ command: String) -> Bool {
            let words = command.split(separator: " ")
            return words.count >= 2 && words[0] == "npm" && (words[1] == "publish" || words[1] == "pack")
        }
        guard let publishing = all.first(where: { commands($0.run).contains(where: isPublish) }) else { return nil }
        var steps: [RecipeStep] = []
        var notes: [String] = ["recipe from \(file), job \(publishing.job)"]
        var packageDir: String?
        var nodeEnv: String?
        jobLoop: for step in all where step.job == publishing.job && step.position <= publishing.position {
            var directory = normalize(step.workingDirectory)
            if let value = step.nodeEnv { nodeEnv = value }
            let label = "\(file) job \(publishing.job) step \(step.position)" + (step.name.map { " (\($0))" } ?? "")
            for command in commands(step.run) {
                let words = command.split(separator: " ").map(String.init)
                let manifestPath = join(directory, "package.json")
                let scripts = (try? readManifest(root, directory))?["scripts"]?.objectValue ?? [:]
                switch (words.first ?? "", words.count > 1 ? words[1] : "") {
                case ("cd", _) where words.count == 2:
                    directory = normalize(join(directory, words[1]))
                case ("npm", "ci"), ("npm", "install"), ("npm", "i"):
                    if words.count > 2, !words.dropFirst(2).allSatisfy({ $0.hasPrefix("-") }) {
                        notes.append("not understood (installs named packages): `\(command)` in \(label)")
                        continue
                    }
                    notes.append("`\(command)` in \(label): the lockfile install")
                    if !words.contains("--ignore-scripts") {
                        for event in installEvents(generation) {
                            if let script = scripts[event]?.stringValue {
                                steps.append(RecipeStep(phase: .install, directory: directory, event: event, command: script,
                                                        origin: "\(manifestPath) scripts.\(event) (`\(command)`, \(label))"))
                            }
                        }
                    }
                case ("npm", "run"), ("npm", "run-script"), ("node", _):
                    if words[0] == "npm", words.count > 2, ["test", "lint"].contains(where: { words[2].hasPrefix($0) }) {
                        notes.append("not run (tests and linters do not change the tarball): `\(command)` in \(label)")
                        continue
                    }
                    steps.append(RecipeStep(phase: .pack, directory: directory, event: nil, command: command, origin: label))
                case ("npm", "test"), ("npm", "t"):
                    notes.append("not run (tests do not change the tarball): `\(command)` in \(label)")
                case ("npm", "publish"), ("npm", "pack"):
                    // A positional folder argument (option values such as `--access public` are not folders).
                    let folder = words.dropFirst(2).first { word in
                        !word.hasPrefix("-") && FileManager.default.fileExists(
                            atPath: root.appendingPathComponent(join(join(directory, word), "package.json")).path)
                    }
                    let publishDir = folder.map { normalize(join(directory, $0)) } ?? directory
                    let publishScripts = (try? readManifest(root, publishDir))?["scripts"]?.objectValue ?? [:]
                    for event in words[1] == "publish" ? packEvents(generation) : packEvents(generation).filter({ $0 != "prepublishOnly" }) {
                        if let script = publishScripts[event]?.stringValue {
                            steps.append(RecipeStep(phase: .pack, directory: publishDir, event: event, command: script,
                                                    origin: "\(join(publishDir, "package.json")) scripts.\(event) (`\(command)`, \(label))"))
                        }
                    }
                    packageDir = publishDir
                    break jobLoop
                default:
                    notes.append("not understood, not run: `\(command)` in \(label)")
                }
            }
        }
        if let packageDir, packageDir != normalize(packageDirectory) {
            notes.append("the workflow publishes from \(packageDir), the package folder is \(normalize(packageDirectory))")
        }
        return (steps, notes, nodeEnv, packageDir)
    }
}
