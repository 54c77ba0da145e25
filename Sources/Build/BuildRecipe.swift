import Foundation
import JSON
import Packing
import Registry

/// One command of a build recipe.
public struct RecipeStep: Sendable, Hashable, Codable {
    /// When it runs.
    public enum Phase: String, Sendable, Hashable, Codable {
        /// After the dependencies are installed (what `npm ci` runs for the project).
        case install
        /// Before the tarball is written (what `npm publish` / `npm pack` run).
        case pack
    }

    /// When it runs.
    public var phase: Phase
    /// The folder it runs in, relative to the checkout (`.` for the root).
    public var directory: String
    /// The lifecycle event (`prepack`…), or `nil` for `--build-command`.
    public var event: String?
    /// The shell command (`/bin/sh -c`).
    public var command: String
    /// Where it was read from (`package.json scripts.prepack`, `--build-command`).
    public var origin: String

    /// Makes a step.
    public init(phase: Phase, directory: String, event: String?, command: String, origin: String) {
        self.phase = phase
        self.directory = directory
        self.event = event
        self.command = command
        self.origin = origin
    }
}

/// How the tarball is rebuilt: where dependencies are installed and which commands run where, in order.
public struct BuildRecipe: Sendable, Hashable, Codable {
    /// The folder holding the lockfile (the workspace root in monorepos), relative to the checkout.
    public var installDirectory: String
    /// The package folder, relative to the checkout.
    public var packageDirectory: String
    /// The lockfile, relative to the checkout (`nil`: nothing to install).
    public var lockfile: String?
    /// The npm generation whose lifecycle was followed.
    public var npmGeneration: String
    /// The commands, in order.
    public var steps: [RecipeStep]
    /// What was inferred and what was left out, one sentence each.
    public var notes: [String]
    /// The workflow file the steps were read from, when they were.
    public var workflow: String?
    /// `NODE_ENV` as the workflow sets it (given to every step).
    public var nodeEnv: String?

    enum CodingKeys: String, CodingKey {
        case installDirectory = "install_directory", packageDirectory = "package_directory", lockfile
        case npmGeneration = "npm_generation", steps, notes, workflow, nodeEnv = "node_env"
    }

    /// A shell transcript that reproduces the build by hand in a checkout of the commit.
    public var transcript: [String] {
        var lines: [String] = []
        if lockfile != nil {
            lines.append((installDirectory == "." ? "" : "cd \(installDirectory) && ")
                + "npm ci --ignore-scripts   # provcheck installs the lockfile itself, no dependency scripts")
        }
        for step in steps {
            let prefix = step.directory == "." ? "" : "(cd \(step.directory) && "
            let suffix = step.directory == "." ? "" : ")"
            lines.append(prefix + step.command + suffix + "   # " + (step.event ?? (step.origin == "--build-command" ? "build command" : "workflow step"))
                + ", " + step.origin)
        }
        lines.append((packageDirectory == "." ? "" : "cd \(packageDirectory) && ") + "npm pack --ignore-scripts")
        return lines
    }

    /// One line: `npm ci (package-lock.json v3) → prepack: node scripts/build.mjs → pack`.
    public var summary: String {
        var parts: [String] = []
        if let lockfile { parts.append("install \(lockfile)") }
        for step in steps {
            parts.append((step.event.map { "\($0): " } ?? "") + step.command
                + (step.directory == "." ? "" : " (in \(step.directory))"))
        }
        parts.append("pack" + (packageDirectory == "." ? "" : " \(packageDirectory)"))
        return parts.joined(separator: " → ")
    }
}

/// Infers the recipe from the checkout: the lifecycle scripts the publisher's npm generation runs.
public enum RecipeInference {
    /// Scripts `npm ci` runs for the project after installing (npm ≥ 7: `lib/commands/ci.js`; npm 5/6: libcipm).
    static func installEvents(_ generation: NPMGeneration) -> [String] {
        switch generation {
        case .npm10, .npm11: ["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"]
        case .npm6, .npm4: ["preinstall", "install", "postinstall", "prepublish", "prepare"]
        }
    }

    /// Scripts a workspace package gets during the root's install (arborist runs them for link nodes).
    static let workspaceInstallEvents = ["preinstall", "install", "postinstall", "prepare"]

    /// Scripts `npm publish` runs before the tarball is written (npm ≥ 7: `prepublishOnly`, then libnpmpack's
    /// `prepack` and pacote's `prepare`; npm 5/6: `prepublish`, `prepare`, `prepublishOnly`, `prepack`).
    static func packEvents(_ generation: NPMGeneration) -> [String] {
        switch generation {
        case .npm10, .npm11: ["prepublishOnly", "prepack", "prepare"]
        case .npm6: ["prepublish", "prepare", "prepublishOnly", "prepack"]
        case .npm4: ["prepublish", "prepare", "prepublishOnly"]
        }
    }

    /// Infers the recipe for the package in `packageDirectory` of the checkout at `root`.
    /// - Parameter buildCommand: replaces the lifecycle scripts (`--build-command`), run in the package folder.
    /// - Throws: ``BuildError`` `.lockfile` for a yarn/pnpm-only project or dependencies without any lockfile;
    ///   `.io` when the package has no readable `package.json`.
    /// - Parameter workflow: a workflow file (path relative to the checkout, e.g. the one a verified provenance
    ///   names): its `run:` steps up to `npm publish` replace the lifecycle guess when it has such a step.
    public static func infer(checkout root: URL, packageDirectory: String?, generation: NPMGeneration,
                             buildCommand: String? = nil, workflow: String? = nil) throws -> BuildRecipe {
        let packageDir = normalize(packageDirectory)
        let manifest = try readManifest(root, packageDir)
        var notes: [String] = []

        // The lockfile: in the package folder, else the nearest ancestor (workspace root).
        var candidates: [String] = [packageDir]
        var walk = packageDir
        while walk != "." {
            walk = parent(walk)
            candidates.append(walk)
        }
        var lockfile: String?
        var installDir = packageDir
        var foreign: String?
        search: for folder in candidates {
            for name in ["npm-shrinkwrap.json", "package-lock.json"] {
                let path = join(folder, name)
                if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) {
                    lockfile = path
                    installDir = folder
                    break search
                }
            }
            for name in ["yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"] where foreign == nil {
                let path = join(folder, name)
                if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) { foreign = path }
            }
        }
        let hasDependencies = ["dependencies", "devDependencies", "optionalDependencies"].contains {
            !(manifest[$0]?.objectValue?.isEmpty ?? true)
        }
        if lockfile == nil {
            if let foreign {
                throw BuildError(.lockfile, "\(foreign): provcheck installs dependencies from package-lock.json / "
                    + "npm-shrinkwrap.json only (yarn, pnpm and bun lockfiles are not supported yet)")
            }
            if hasDependencies {
                throw BuildError(.lockfile, "\(join(packageDir, "package.json")) declares dependencies but the commit has "
                    + "no package-lock.json: they cannot be installed reproducibly")
            }
            notes.append("no lockfile and no dependencies: nothing to install")
        } else {
            notes.append("dependencies from \(lockfile!) (lifecycle scripts of dependencies are not run unless allowed)")
        }
        if installDir != packageDir {
            let rootManifest = try? readManifest(root, installDir)
            if rootManifest?["workspaces"] != nil {
                notes.append("workspace: installed at \(installDir), built in \(packageDir)")
            } else {
                notes.append("the lockfile is in \(installDir), above the package folder \(packageDir)")
            }
        }

        var steps: [RecipeStep] = []
        var workflowUsed: String?
        var nodeEnv: String?
        var fromWorkflow: (steps: [RecipeStep], notes: [String], nodeEnv: String?, packageDirectory: String?)?
        if buildCommand == nil, let workflow {
            let path = normalize(workflow)
            if path.split(separator: "/").contains("..") {
                notes.append("workflow \(workflow) leaves the repository: not read")
            } else if let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path),
                    let text = String(data: data, encoding: .utf8) {
                fromWorkflow = try fromWorkflowFile(text, file: path, checkout: root, packageDirectory: packageDir,
                                                    generation: generation)
                if fromWorkflow == nil { notes.append("\(path) has no `npm publish` / `npm pack` step: the lifecycle scripts are used") }
            } else {
                notes.append("workflow \(path) is not in the commit: the lifecycle scripts are used")
            }
        }
        if let fromWorkflow {
            steps = fromWorkflow.steps
            notes += fromWorkflow.notes
            nodeEnv = fromWorkflow.nodeEnv
            workflowUsed = normalize(workflow)
        } else if let buildCommand {
            steps.append(RecipeStep(phase: .pack, directory: packageDir, event: nil, command: buildCommand, origin: "--build-command"))
            notes.append("--build-command replaces the package's lifecycle scripts")
        } else {
            let scripts = manifest["scripts"]?.objectValue ?? [:]
            let manifestPath = join(packageDir, "package.json")
            // Install phase.
            if installDir != packageDir {
                for event in workspaceInstallEvents {
                    if let command = scripts[event]?.stringValue {
                        steps.append(RecipeStep(phase: .install, directory: packageDir, event: event, command: command,
                                                origin: "\(manifestPath) scripts.\(event) (workspace install)"))
                    }
                }
                let rootScripts = (try? readManifest(root, installDir))?["scripts"]?.objectValue ?? [:]
                for event in installEvents(generation) {
                    if let command = rootScripts[event]?.stringValue {
                        steps.append(RecipeStep(phase: .install, directory: installDir, event: event, command: command,
                                                origin: "\(join(installDir, "package.json")) scripts.\(event) (npm ci)"))
                    }
                }
            } else {
                for event in installEvents(generation) {
                    if let command = scripts[event]?.stringValue {
                        steps.append(RecipeStep(phase: .install, directory: packageDir, event: event, command: command,
                                                origin: "\(manifestPath) scripts.\(event) (npm ci)"))
                    }
                }
            }
            // Pack phase.
            for event in packEvents(generation) {
                if let command = scripts[event]?.stringValue {
                    steps.append(RecipeStep(phase: .pack, directory: packageDir, event: event, command: command,
                                            origin: "\(manifestPath) scripts.\(event) (npm publish)"))
                }
            }
            for event in ["postpack", "publish", "postpublish"] where scripts[event] != nil {
                notes.append("scripts.\(event) runs after the tarball is written: not run")
            }
            if steps.isEmpty { notes.append("the package has no lifecycle script that runs before packing") }
        }
        return BuildRecipe(installDirectory: installDir, packageDirectory: packageDir, lockfile: lockfile,
                           npmGeneration: generation.rawValue, steps: steps, notes: notes, workflow: workflowUsed,
                           nodeEnv: nodeEnv)
    }

    static func readManifest(_ root: URL, _ folder: String) throws -> RawJSON {
        let path = join(folder, "package.json")
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else {
            throw BuildError(.io, "\(path): no package.json at the commit")
        }
        do { return try RawJSON(parsing: data) } catch {
            throw BuildError(.io, "\(path): \(error)")
        }
    }

    static func normalize(_ directory: String?) -> String {
        let parts = (directory ?? "").split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    static func parent(_ folder: String) -> String {
        guard let slash = folder.lastIndex(of: "/") else { return "." }
        return String(folder[..<slash])
    }

    static func join(_ folder: String, _ name: String) -> String { folder == "." ? name : folder + "/" + name }
}
