import Foundation
import JSON

/// The on-disk HTTP cache: one body file and one metadata file per URL under `<directory>/http/`.
///
/// Entries are keyed by the full URL (a 64-bit FNV-1a hash names the files; the metadata repeats the URL and a
/// mismatch counts as a miss). Bodies are written to a temporary file and renamed, so a crash never leaves a partial
/// entry. Credentials are never stored.
struct ResponseCache: Sendable {
    struct Entry {
        var url: String
        var etag: String?
        var lastModified: String?
        var storedAt: Date
        var byteCount: Int

        /// The metadata file's JSON (`storedAt` in seconds since 2001-01-01, as earlier versions wrote it).
        var json: RawJSON {
            var members: [String: RawJSON] = [
                "url": .string(url), "storedAt": .number(String(storedAt.timeIntervalSinceReferenceDate)),
                "byteCount": .int(byteCount),
            ]
            if let etag { members["etag"] = .string(etag) }
            if let lastModified { members["lastModified"] = .string(lastModified) }
            return .object(members)
        }

        /// Reads a metadata file written by ``json``; `nil` when it is not one.
        init?(json: RawJSON) {
            guard let url = json["url"]?.stringValue, case .number(let stored)? = json["storedAt"],
                  let seconds = Double(stored), case .number(let count)? = json["byteCount"], let byteCount = Int(count)
            else { return nil }
            self.init(url: url, etag: json["etag"]?.stringValue, lastModified: json["lastModified"]?.stringValue,
                      storedAt: Date(timeIntervalSinceReferenceDate: seconds), byteCount: byteCount)
        }

        init(url: String, etag: String?, lastModified: String?, storedAt: Date, byteCount: Int) {
            self.url = url
            self.etag = etag
            self.lastModified = lastModified
            self.storedAt = storedAt
            self.byteCount = byteCount
        }
    }

    let directory: URL

    private var httpDirectory: URL { directory.appendingPathComponent("http", isDirectory: true) }
    var temporaryDirectory: URL { directory.appendingPathComponent("tmp", isDirectory: true) }

    private func key(for url: URL) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in url.absoluteString.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let tail = url.lastPathComponent.filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "@" }
        return String(hash, radix: 16) + "-" + String(tail.suffix(60))
    }

    func bodyURL(for url: URL) -> URL { httpDirectory.appendingPathComponent(key(for: url) + ".body") }
    private func metaURL(for url: URL) -> URL { httpDirectory.appendingPathComponent(key(for: url) + ".meta.json") }

    /// The cached entry for `url` whose body file is complete, or `nil`.
    func lookup(_ url: URL) -> Entry? {
        guard let data = try? Data(contentsOf: metaURL(for: url)),
            let document = try? RawJSON(parsing: data), let entry = Entry(json: document), entry.url == url.absoluteString,
            let attributes = try? FileManager.default.attributesOfItem(atPath: bodyURL(for: url).path),
            (attributes[.size] as? NSNumber)?.intValue == entry.byteCount
        else { return nil }
        return entry
    }

    /// The cached body of `url` (must have been found by ``lookup(_:)``).
    func body(for url: URL) throws(RegistryError) -> Data {
        do { return try Data(contentsOf: bodyURL(for: url)) } catch {
            throw RegistryError(code: .fileSystem, url: bodyURL(for: url), problem: "cannot read cached body: \(error.localizedDescription)")
        }
    }

    /// A fresh temporary file path inside the cache (same file system, so it can be renamed into place).
    func makeTemporaryFile() throws(RegistryError) -> URL {
        do {
            try FileManager.default.createDirectory(at: temporaryDirectory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError(code: .fileSystem, url: temporaryDirectory, problem: "cannot create cache folder: \(error.localizedDescription)")
        }
        return temporaryDirectory.appendingPathComponent(UUID().uuidString)
    }

    /// Stores `data` as the body of `url`.
    func store(_ url: URL, data: Data, headers: [String: String]) throws(RegistryError) {
        let temporary = try makeTemporaryFile()
        do { try data.write(to: temporary) } catch {
            throw RegistryError(code: .fileSystem, url: temporary, problem: "cannot write cache file: \(error.localizedDescription)")
        }
        try storeFile(url, moving: temporary, byteCount: data.count, headers: headers)
    }

    /// Moves the complete body file `file` into the cache as the body of `url`.
    func storeFile(_ url: URL, moving file: URL, byteCount: Int, headers: [String: String]) throws(RegistryError) {
        let fm = FileManager.default
        let body = bodyURL(for: url)
        do {
            try fm.createDirectory(at: httpDirectory, withIntermediateDirectories: true)
            try? fm.removeItem(at: metaURL(for: url))
            if fm.fileExists(atPath: body.path) { try fm.removeItem(at: body) }
            try fm.moveItem(at: file, to: body)
            let entry = Entry(
                url: url.absoluteString, etag: headers["etag"], lastModified: headers["last-modified"], storedAt: Date(),
                byteCount: byteCount)
            try entry.json.encoded().write(to: metaURL(for: url), options: .atomic)
        } catch {
            throw RegistryError(code: .fileSystem, url: body, problem: "cannot store cache entry: \(error.localizedDescription)")
        }
    }
}
