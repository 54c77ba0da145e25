import CZlib
import Foundation
@testable import Packing
import TestSupport

/// A decoded npm case file (only the fields the packing tests use).
struct NPMCase: Sendable, CustomStringConvertible {
    let name: String
    let version: String
    let tag: String?
    let commit: String
    let directory: String?
    let integrity: String
    let registryTarball: String?
    let sourceBundle: String
    let npmVersion: String?
    let nodeVersion: String?
    let tarIdentical: Bool?
    let npmPackExact: Bool
    let npmPackFiles: [String]
    let gzipMatchesStockZlib: Bool

    var description: String { "\(name)@\(version)" }

    static func all() throws -> [NPMCase] {
        try Fixtures.npmCaseFiles().map { url in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            let observed = json["observed"] as? [String: Any] ?? [:]
            let publisher = json["publisher"] as? [String: Any] ?? [:]
            let gzip = observed["gzip"] as? [String: Any] ?? [:]
            return NPMCase(
                name: json["name"] as! String, version: json["version"] as! String, tag: json["tag"] as? String,
                commit: json["commit"] as! String, directory: json["directory"] as? String,
                integrity: json["integrity"] as! String, registryTarball: json["registry_tarball"] as? String,
                sourceBundle: json["source_bundle"] as! String, npmVersion: publisher["npmVersion"] as? String,
                nodeVersion: publisher["nodeVersion"] as? String,
                tarIdentical: observed["tar_identical_to_npm_pack_10_8_2"] as? Bool,
                npmPackExact: observed["npm_pack_10_8_2_sha512_equals_integrity"] as? Bool ?? false,
                npmPackFiles: observed["npm_pack_10_8_2_files"] as? [String] ?? [],
                gzipMatchesStockZlib: (gzip["stock_zlib_params_that_reproduce"] as? [String: Any]) != nil)
        }
    }
}

enum TestIO {
    static func temporaryDirectory(_ label: String) throws -> URL { try TemporaryFolder(label: "packing-tests-\(label)").url }

    /// gunzip with zlib (windowBits 15+16).
    static func gunzip(_ data: Data) throws -> Data {
        var stream = z_stream()
        var status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw SourceError("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            repeat {
                let produced: Int = buffer.withUnsafeMutableBytes { out in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.avail_out = UInt32(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
                guard status == Z_OK || status == Z_STREAM_END else { throw SourceError("inflate failed: \(status)") }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Names of the entries of an (uncompressed, ustar/PAX) tar, in order, without `package/`.
    static func tarEntryNames(_ tar: Data) -> [String] {
        var names: [String] = []
        var offset = 0
        let bytes = [UInt8](tar)
        var paxPath: String?
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) { break }
            func field(_ start: Int, _ length: Int) -> String {
                let slice = header[start..<(start + length)]
                let end = slice.firstIndex(of: 0) ?? slice.endIndex
                return String(decoding: slice[start..<end], as: UTF8.self)
            }
            let size = Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
            let type = header[156]
            let body = offset + 512
            if type == UInt8(ascii: "x") {
                let text = String(decoding: bytes[body..<(body + size)], as: UTF8.self)
                for line in text.split(separator: "\n") where line.contains(" path=") {
                    paxPath = String(line[line.range(of: " path=")!.upperBound...])
                }
            } else {
                let prefix = field(345, 155)
                var name = prefix.isEmpty ? field(0, 100) : prefix + "/" + field(0, 100)
                if let paxPath { name = paxPath }
                paxPath = nil
                if name.hasPrefix("package/") { name.removeFirst(8) }
                names.append(name)
            }
            offset = body + (size + 511) / 512 * 512
        }
        return names
    }
}

/// One clone per bundle per test process.
final class BundleCache: @unchecked Sendable {
    static let shared = BundleCache()
    private let lock = NSLock()
    private var repositories: [String: GitRepository] = [:]

    /// Clones live here and are deleted when the test process exits.
    static let cloneRoot: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("packing-tests-clones-\(UUID().uuidString)")
        atexit { try? FileManager.default.removeItem(at: BundleCache.cloneRoot) }
        return url
    }()

    func repository(_ bundle: String) throws -> GitRepository {
        lock.lock()
        defer { lock.unlock() }
        if let repository = repositories[bundle] { return repository }
        let repository = try GitRepository.open(try Fixtures.url(bundle).path, cacheDirectory: BundleCache.cloneRoot)
        repositories[bundle] = repository
        return repository
    }
}
