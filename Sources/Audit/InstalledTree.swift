import Foundation
import Lockfiles
import Verification

/// The installed `node_modules` tree of a project, compared with the lockfile package by package.
struct InstalledTree: Sendable {
    /// The project folder, or `nil` when there is no tree to compare with.
    let root: URL?

    /// Uses `projectDirectory` when it has a `node_modules` folder.
    init(projectDirectory: URL?) {
        var isDirectory: ObjCBool = false
        if let projectDirectory,
            FileManager.default.fileExists(atPath: projectDirectory.appendingPathComponent("node_modules").path,
                                           isDirectory: &isDirectory), isDirectory.boolValue
        {
            root = projectDirectory
        } else {
            root = nil
        }
    }

    /// Checks that `<root>/<installPath>/package.json` names the lockfile's name and version.
    func check(_ package: LockedPackage) -> Check {
        let title = "Installed package matches the lockfile"
        guard let root else {
            return .notApplicable(.auditInstalled, title, reason: "no node_modules folder next to the lockfile")
        }
        guard let installPath = package.installPath else {
            return .notApplicable(.auditInstalled, title, reason: "the lockfile does not say where this package is installed")
        }
        if case .link = package.source {
            return .notApplicable(.auditInstalled, title, reason: "a link, not an installed copy")
        }
        // Never read outside the project, whatever the lockfile says (issue 17).
        guard NPMLockfileParser.staysInProject(installPath) else {
            return .fail(.auditInstalled, title, evidence: ["path": String(installPath.prefix(200))],
                         reasons: ["the lockfile's install location leaves the project; not read"])
        }
        let manifest = root.appendingPathComponent(installPath).appendingPathComponent("package.json")
        let evidence = ["path": installPath + "/package.json"]
        guard let data = FileManager.default.contents(atPath: manifest.path) else {
            return .skipped(.auditInstalled, title, reason: "not installed (\(installPath)/package.json does not exist)",
                            evidence: evidence)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return .fail(.auditInstalled, title, evidence: evidence,
                         reasons: ["\(installPath)/package.json is not a JSON object"])
        }
        let name = object["name"] as? String
        let version = object["version"] as? String
        var reasons: [String] = []
        if name != package.name {
            reasons.append("\(installPath)/package.json names \(name ?? "no package"), the lockfile \(package.name)")
        }
        if version != package.version, package.source.isRegistry {
            reasons.append("\(installPath)/package.json has version \(version ?? "(none)"), the lockfile \(package.version)")
        }
        if reasons.isEmpty { return .pass(.auditInstalled, title, evidence: evidence) }
        return .fail(.auditInstalled, title, evidence: evidence, reasons: reasons)
    }
}
