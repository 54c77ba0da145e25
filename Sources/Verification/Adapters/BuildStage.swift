import Build
import Compare
import Foundation
import Packing

extension PackingRebuilder {
    /// `--build`: builds the package at `commit` in the sandbox, packs the built tree and compares it with the
    /// registry tarball. The build's comparison replaces the plain one when the build ran; when it could not run,
    /// the plain comparison is kept and `rebuild.not-in-source` stays skipped with the reason. When the built tarball
    /// differs, a second build tells a non-deterministic build (files differing between two builds stay unverified)
    /// from a tarball that differs from what its source builds to.
    static func buildAndCompare(_ plain: RebuildComparison, builder: PackageBuilder, packing: PackingSourceRepository,
                                commit: String, directory: String?, npmVersion: String?, nodeVersion: String?,
                                registryTarball: URL, workflow: String? = nil) async -> RebuildComparison {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-build-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let registryHex = (try? DigestTarballHashing().sha512AndSHA1Hex(fileAt: registryTarball).sha512) ?? ""
        let expected = "sha512-" + Data(bytes(fromHex: registryHex)).base64EncodedString()
        func request(_ name: String) -> BuildRequest {
            BuildRequest(repository: packing.repository, commit: commit, directory: directory, npmVersion: npmVersion,
                         publisherNodeVersion: nodeVersion, expectedIntegrity: expected,
                         output: folder.appendingPathComponent(name), workflow: workflow)
        }
        var unbuilt = plain
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let first = try await builder.build(request("build-1.tgz"))
            let rebuilt = URL(fileURLWithPath: first.result.tgzPath)
            var built = try compare(registry: registryTarball, rebuilt: rebuilt, result: first.result)
            built.buildEvidence = evidence(first.report)
            built.notes += first.report.notes
            if let note = first.report.node.note { built.notes.append(note) }
            if built.outcome == .identical || built.outcome == .identicalTar, built.onlyInRegistry.isEmpty {
                built.buildEvidence["buildDeterministic"] = "not checked (the first build reproduced the tarball)"
                return built
            }
            built.notes += diffs(registry: registryTarball, rebuilt: rebuilt, paths: Set(built.contentDiffers))
            // Build twice: is the difference the build's own non-determinism?
            let second = try await builder.build(request("build-2.tgz"))
            let unstable = try PackageBuilder.differingFiles(URL(fileURLWithPath: first.result.tgzPath),
                                                             URL(fileURLWithPath: second.result.tgzPath))
            if unstable.isEmpty {
                built.buildEvidence["buildDeterministic"] = "yes (two builds agree)"
            } else {
                built.buildEvidence["buildDeterministic"] = "no: two builds differ in " + unstable.joined(separator: ", ")
                let unstableSet = Set(unstable)
                let stillDiffering = built.contentDiffers.filter { !unstableSet.contains($0) }
                let unverifiable = built.contentDiffers.filter(unstableSet.contains)
                built.contentDiffers = stillDiffering
                built.onlyInRegistry = (built.onlyInRegistry + unverifiable).sorted()
                if stillDiffering.isEmpty, built.onlyInRebuild.isEmpty, built.outcome == .different {
                    built.outcome = .sameContent
                }
                built.notInSourceReason = "the build is not deterministic: two builds differ in "
                    + unstable.joined(separator: ", ") + ", so these files cannot be verified"
                built.notes.append("the build is not deterministic (two builds differ in " + unstable.joined(separator: ", ") + ")")
            }
            return built
        } catch {
            unbuilt.buildEvidence["build"] = "could not run"
            unbuilt.notInSourceReason = "the build could not run: \(error)"
            if !unbuilt.onlyInRegistry.isEmpty {
                unbuilt.notInSourceReason! += " (\(unbuilt.onlyInRegistry.count) file(s) of the registry tarball stay unverified)"
            }
            unbuilt.notes.append("--build: the build could not run: \(error)")
            return unbuilt
        }
    }

    /// The build's evidence for `rebuild.compare`.
    static func evidence(_ report: BuildReport) -> [String: String] {
        var evidence = [
            "buildRecipe": report.recipe.summary,
            "buildNode": "\(report.node.version) (\(report.node.path))",
            "buildSandbox": report.sandbox,
        ]
        if let workflow = report.recipe.workflow { evidence["buildWorkflow"] = workflow }
        if let nodeEnv = report.recipe.nodeEnv { evidence["buildNodeEnv"] = nodeEnv }
        let ignored = report.recipe.notes.filter { $0.hasPrefix("not understood") || $0.hasPrefix("not run") }
        if !ignored.isEmpty { evidence["buildStepsNotRun"] = ignored.joined(separator: "; ") }
        if let install = report.install {
            evidence["buildInstall"] = "\(install.installed) package(s) from \(install.lockfile) "
                + "(lockfileVersion \(install.lockfileVersion), \(install.fromCache) from the integrity cache)"
        }
        if let publisher = report.node.publisherVersion { evidence["publisherNode"] = publisher }
        if let epoch = report.sourceDateEpoch { evidence["buildSourceDateEpoch"] = String(epoch) }
        return evidence
    }

    /// Unified diffs (registry → build) of the text files in `paths`.
    static func diffs(registry: URL, rebuilt: URL, paths: Set<String>) -> [String] {
        guard !paths.isEmpty,
              let report = try? TarballComparator().compare(registry, rebuilt, nameA: "registry tarball", nameB: "build")
        else { return [] }
        return report.changed.filter { paths.contains($0.path) }.compactMap { file in
            guard let diff = file.diff else { return file.text ? nil : "\(file.path): binary content differs" }
            return "diff of \(file.path) (registry tarball → build):\n" + diff
        }
    }
}
