import Configuration
import Foundation
import LoopbackRegistry
import NPMTrust
import Registry
import TestSupport
@testable import Verification
@testable import Watch

/// A lock-protected value shared between a test and the fakes it drives.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    var get: Value { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ body: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; body(&value) }
}

/// Trust per version from a table the test edits (default: registry signature only).
struct TableTrust: WatchTrustReading {
    let table: Shared<[String: WatchTrust]>
    func trust(packument: Packument, version: String) async throws -> WatchTrust {
        table.get["\(packument.name)@\(version)"] ?? WatchTrust(level: .registrySignature)
    }
}

/// Tags per location from a table (unknown locations: no tags).
struct TableTags: WatchTagReading {
    let table: Shared<[String: [String: String]]>
    func tags(location: String) async throws -> [String: String] { table.get[location] ?? [:] }
}

/// Verdicts per version from a table (default: verified, rebuild identical).
struct TableVerifier: WatchVerifying {
    let table: Shared<[String: OverallResult]>
    func verify(name: String, version: String, source: String?, policy: PolicyDocument) async throws -> Verdict {
        let result = table.get["\(name)@\(version)"] ?? .verified
        let rebuild: Check = result == .failed
            ? .fail(.rebuildCompare, "Rebuild", evidence: ["outcome": "different"], reasons: ["content differs: index.js"])
            : .pass(.rebuildCompare, "Rebuild", evidence: ["outcome": "identical"])
        return Verdict(subject: VerdictSubject(name: name, version: version), checks: [rebuild])
    }
}

enum WatchTestSupport {
    /// A fixed clock (whole seconds, so state round-trips exactly).
    static let runTime = Date(timeIntervalSince1970: 1_795_000_000)

    static func temporaryDirectory() throws -> URL { try TemporaryFolder(label: "watch-tests").url }

    @discardableResult
    static func git(_ arguments: [String], in directory: URL) throws -> String { try TestGit.run(arguments, in: directory) }

    /// A working clone of the real gundam-visor source bundle (tags v1.0.0, v1.0.1).
    static func gundamClone(in folder: URL) throws -> URL {
        let clone = folder.appendingPathComponent("gundam-visor")
        try git(["clone", "--quiet", try Fixtures.url("npm/sources/ramonpetgrave64+gundam-visor.bundle").path, clone.path], in: folder)
        return clone
    }

    /// Adds an empty commit tagged `tag` and returns its id.
    static func commitAndTag(_ tag: String, in clone: URL) throws -> String {
        try git(["commit", "--quiet", "--allow-empty", "-m", "release \(tag)"], in: clone)
        let commit = try git(["rev-parse", "HEAD"], in: clone)
        try git(["tag", tag], in: clone)
        return commit
    }

    static func findingKeys(_ report: WatchReport) -> [String] {
        report.findings.map { "\($0.code.rawValue) \($0.package)@\($0.version ?? "-")" }.sorted()
    }
}
