import Audit
import Digest
import Foundation
import Lockfiles
import LoopbackRegistry
@testable import Reports
import Sigstore
import TestSupport
@testable import Verification

/// An EC P-256 registry signing key made for a test with the `openssl` CLI; its key id is the OpenSSH SHA256
/// fingerprint, as npm's are.
struct TestSigningKey: @unchecked Sendable {
    let key: ECKey
    let subjectPublicKeyInfo: Data
    let keyid: String

    static func generate() throws -> TestSigningKey {
        let pem = try Shell.run("/bin/sh", ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt"])
        let key = try ECKey(privateKeyPEM: pem, source: "test key")
        let publicPEM = String(decoding: key.publicKeyPEM, as: UTF8.self)
        let base64 = publicPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = Data(base64Encoded: base64)!
        let keyid = try PublicKey(derSubjectPublicKeyInfo: [UInt8](der)).opensshFingerprint
        return TestSigningKey(key: key, subjectPublicKeyInfo: der, keyid: keyid)
    }

    /// Base64 DER ECDSA signature over `message`.
    func sign(_ message: String) throws -> String {
        try key.sign(Data(message.utf8)).base64EncodedString()
    }

    /// The `GET /-/npm/v1/keys` entry.
    var keysEntry: JSONValue {
        ["expires": nil, "keyid": .string(keyid), "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
         "key": .string(subjectPublicKeyInfo.base64EncodedString())]
    }
}

/// How a generated package is signed.
enum GeneratedSignature: Sendable {
    /// Signed by the registry key.
    case valid
    /// No `dist.signatures`.
    case none
    /// Signed, but over another message.
    case bad
    /// Signed by a key the registry does not list.
    case unknownKey
}

/// A package of a generated registry and project.
struct GeneratedPackage: Sendable {
    var name: String
    var version: String = "1.0.0"
    var signature: GeneratedSignature = .valid
    /// Write a lockfile integrity different from the registry's.
    var tamperedLockfileIntegrity = false
    /// Install another version in node_modules than the lockfile names.
    var installedVersion: String? = nil
    var dev = false

    var tarball: Data { Data("tarball of \(name)@\(version)\n".utf8) }
    var integrity: String { Hashing.sriSHA512(tarball) }
}

/// Builds registry content and a project folder (package.json, package-lock.json v3, node_modules) for tests.
enum GeneratedProject {
    /// Serves `packages` (see ``populate(_:packages:key:otherKey:)``) on loopback next to an empty project folder.
    static func serve(_ packages: [GeneratedPackage], key: TestSigningKey, otherKey: TestSigningKey) throws -> AuditProject {
        var content = RegistryContent()
        try populate(&content, packages: packages, key: key, otherKey: otherKey)
        return try AuditProject(serving: content)
    }

    /// Adds `packages` to `content`, signed as each says, and serves `key` as the registry key.
    static func populate(_ content: inout RegistryContent, packages: [GeneratedPackage], key: TestSigningKey,
                         otherKey: TestSigningKey) throws {
        content.keys = ["keys": [key.keysEntry]]
        for package in packages {
            var dist: JSONValue = [:]
            let message = "\(package.name)@\(package.version):\(package.integrity)"
            switch package.signature {
            case .valid:
                dist["signatures"] = [["keyid": .string(key.keyid), "sig": .string(try key.sign(message))]]
            case .none:
                break
            case .bad:
                dist["signatures"] = [["keyid": .string(key.keyid), "sig": .string(try key.sign(message + "x"))]]
            case .unknownKey:
                dist["signatures"] = [["keyid": .string(otherKey.keyid), "sig": .string(try otherKey.sign(message))]]
            }
            content.addVersion(name: package.name, version: package.version, tarball: package.tarball,
                               manifest: ["dist": dist], publishTime: "2025-06-01T00:00:00.000Z")
        }
    }

    /// Writes the project into `folder`: package.json, package-lock.json (v3, or `lockfileVersion`), and
    /// node_modules unless `installed` is false. `extra` are raw lockfile entries (git/file/link packages).
    static func write(
        to folder: URL, packages: [GeneratedPackage], registry: URL, extra: [String: [String: Any]] = [:],
        extraDependencies: [String: String] = [:], installed: Bool = true, lockfileVersion: Int = 3
    ) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var dependencies: [String: String] = extraDependencies
        var devDependencies: [String: String] = [:]
        for package in packages {
            if package.dev { devDependencies[package.name] = package.version } else { dependencies[package.name] = package.version }
        }
        let manifest: [String: Any] = ["name": "generated-project", "version": "1.0.0", "dependencies": dependencies,
                                       "devDependencies": devDependencies]
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
            .write(to: folder.appendingPathComponent("package.json"))

        var entries: [String: Any] = ["": manifest]
        var v1: [String: Any] = [:]
        for package in packages {
            let resolved = registry.absoluteString + RegistryContent.tarballPath(name: package.name, version: package.version)
            let integrity = package.tamperedLockfileIntegrity
                ? Hashing.sriSHA512(Data("something else".utf8)) : package.integrity
            var entry: [String: Any] = ["version": package.version, "resolved": resolved, "integrity": integrity]
            if package.dev { entry["dev"] = true }
            entries["node_modules/\(package.name)"] = entry
            v1[package.name] = entry
            if installed {
                let dir = folder.appendingPathComponent("node_modules/\(package.name)")
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                let installedManifest: [String: Any] = ["name": package.name, "version": package.installedVersion ?? package.version]
                try JSONSerialization.data(withJSONObject: installedManifest, options: [.sortedKeys])
                    .write(to: dir.appendingPathComponent("package.json"))
            }
        }
        for (location, entry) in extra {
            entries[location] = entry
            if installed, location.hasPrefix("node_modules/"), entry["link"] as? Bool != true {
                let dir = folder.appendingPathComponent(location)
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                let name = String(location.dropFirst("node_modules/".count))
                let installedManifest: [String: Any] = ["name": name, "version": entry["version"] as? String ?? "0.0.0"]
                try JSONSerialization.data(withJSONObject: installedManifest, options: [.sortedKeys])
                    .write(to: dir.appendingPathComponent("package.json"))
            }
        }
        if installed {
            // The hidden lockfile npm writes on install, written last so npm trusts it.
            var hidden = entries
            hidden[""] = nil
            let document: [String: Any] = ["name": "generated-project", "version": "1.0.0", "lockfileVersion": 3,
                                           "requires": true, "packages": hidden]
            try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
                .write(to: folder.appendingPathComponent("node_modules/.package-lock.json"))
        }
        let lock: [String: Any]
        if lockfileVersion == 1 {
            lock = ["name": "generated-project", "version": "1.0.0", "lockfileVersion": 1, "requires": true, "dependencies": v1]
        } else {
            lock = ["name": "generated-project", "version": "1.0.0", "lockfileVersion": lockfileVersion, "requires": true,
                    "packages": entries]
        }
        try JSONSerialization.data(withJSONObject: lock, options: [.sortedKeys, .prettyPrinted])
            .write(to: folder.appendingPathComponent("package-lock.json"))
    }
}

/// Runs a program and returns its standard output (throws on a non-zero exit).
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "\(command) exited \(status): \(stderr)" }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let result = try execute(executable, arguments)
        guard result.status == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: result.status,
                          stdout: result.stdout, stderr: result.stderr)
        }
        return Data(result.stdout.utf8)
    }

    static func execute(_ executable: String, _ arguments: [String], directory: URL? = nil,
                        environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither fills up.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    final class DataBox: @unchecked Sendable { var data = Data() }
}


