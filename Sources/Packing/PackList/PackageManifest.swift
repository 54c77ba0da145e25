import Foundation

/// The fields of `package.json` that decide what `npm pack` includes, normalized the way npm reads them
/// (read-package-json-fast + npm-normalize-package-bin).
public struct PackageManifest: Sendable {
    /// `name`, when a string.
    public let name: String?
    /// `version`, when a string.
    public let version: String?
    /// The raw `files` array (`nil` when absent or not an array); entries rendered as JavaScript strings.
    public let files: [String]?
    /// `main` rendered as a JavaScript template string would render it (not normalized: npm keeps `./`).
    public let main: String?
    /// `browser` rendered as a JavaScript template string would render it.
    public let browser: String?
    /// Normalized bin map (name → relative path, `./` and `..` resolved), in a stable order.
    public internal(set) var bin: [(name: String, path: String)]
    /// The bin targets as pacote's manifest normalizes them (@npmcli/package-json `securePath`): these decide
    /// which files get `+x` in the tarball. Targets that normalize to a dotfile path are dropped there.
    public internal(set) var executableBinPaths: [String]
    /// `directories.bin`, used when `bin` is absent.
    public let directoriesBin: String?
    /// Normalized `bundleDependencies` (`true` → every dependency name).
    public let bundleDependencies: [String]
    /// `workspaces` patterns (array form or `{packages: [...]}`).
    public let workspaces: [String]?
    /// The `scripts` names present (for reporting lifecycle scripts).
    public let scripts: [String: String]

    /// Parses `package.json` bytes (a UTF-8 BOM is skipped).
    public init(data: Data, source: String) throws {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
        } catch {
            throw SourceError("\(source): package.json is not valid JSON (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any] else {
            throw SourceError("\(source): package.json is not a JSON object")
        }
        name = json["name"] as? String
        version = json["version"] as? String
        if let array = json["files"] as? [Any] {
            files = array.map(PackageManifest.jsString)
        } else {
            files = nil
        }
        main = json["main"].flatMap(PackageManifest.templateString)
        browser = json["browser"].flatMap(PackageManifest.templateString)
        directoriesBin = (json["directories"] as? [String: Any])?["bin"] as? String
        var scripts: [String: String] = [:]
        for (key, value) in (json["scripts"] as? [String: Any]) ?? [:] {
            if let text = value as? String { scripts[key] = text }
        }
        self.scripts = scripts

        // bin (npm-normalize-package-bin)
        let rawBin = Self.binEntries(json["bin"], name: name)
        var cleaned: [String: String] = [:]
        var order: [String] = []
        for (key, value) in rawBin {
            let base = String(PosixPath.normalizeAbsolute(
                "/" + PosixPath.basename(key.replacingOccurrences(of: "\\", with: "/")
                    .replacingOccurrences(of: ":", with: "/"))).dropFirst())
            guard let target = value as? String, !base.isEmpty else { continue }
            let cleanTarget = String(PosixPath.normalizeAbsolute("/" + target.replacingOccurrences(of: "\\", with: "/")).dropFirst())
            guard !cleanTarget.isEmpty else { continue }
            if cleaned[base] == nil { order.append(base) }
            cleaned[base] = cleanTarget
        }
        bin = order.map { ($0, cleaned[$0]!) }

        // @npmcli/package-json normalize (pacote's manifest): securePath drops targets/keys starting with ".".
        func securePath(_ ref: String) -> String {
            let unixified = ref.replacingOccurrences(of: "\\", with: "/").replacingOccurrences(of: ":", with: "/")
            let secured = PosixPath.normalizeRelative(String(PosixPath.normalizeAbsolute("/" + unixified).dropFirst()))
            return secured.hasPrefix(".") ? "" : secured
        }
        var executable: [String] = []
        let pacoteBin = Self.binEntries(json["bin"], name: name)
        for (key, value) in pacoteBin {
            guard let target = value as? String else { continue }
            let base = PosixPath.basename(securePath(key))
            let cleanTarget = securePath(target)
            if base.isEmpty || base == "." || cleanTarget.isEmpty { continue }
            executable.append(cleanTarget)
        }
        executableBinPaths = executable

        // bundleDependencies (read-package-json-fast fixBundled)
        let bundled = json["bundleDependencies"] ?? json["bundledDependencies"]
        if let bundled, PackageManifest.isBool(bundled), let flag = bundled as? Bool {
            bundleDependencies = flag ? ((json["dependencies"] as? [String: Any]).map { Array($0.keys).sorted() } ?? []) : []
        } else if let array = bundled as? [Any] {
            bundleDependencies = array.compactMap { $0 as? String }
        } else if let object = bundled as? [String: Any] {
            bundleDependencies = Array(object.keys).sorted()
        } else {
            bundleDependencies = []
        }
        if let array = json["workspaces"] as? [Any] {
            workspaces = array.compactMap { $0 as? String }
        } else if let object = json["workspaces"] as? [String: Any], let packages = object["packages"] as? [Any] {
            workspaces = packages.compactMap { $0 as? String }
        } else {
            workspaces = nil
        }
    }

    /// `bin` as (command, target) pairs before cleaning, as both npm-normalize-package-bin and pacote read it:
    /// a string names the package's own command, an array names commands by basename, an object in key order.
    private static func binEntries(_ bin: Any?, name: String?) -> [(String, Any)] {
        if let text = bin as? String {
            if let name { return [(name, text)] }
        } else if let array = bin as? [Any] {
            return array.compactMap { $0 as? String }.map { (PosixPath.basename($0), $0) }
        } else if let object = bin as? [String: Any] {
            return object.keys.sorted().map { ($0, object[$0]!) }
        }
        return []
    }

    static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return value is Bool }
        return String(cString: number.objCType) == "c"
    }

    /// Renders a JSON value the way a JavaScript template literal `${value}` would; nil for null/false-ish absent.
    static func templateString(_ value: Any) -> String? {
        if value is NSNull { return nil }
        if let text = value as? String { return text.isEmpty ? nil : text }
        if let object = value as? [String: Any] { return object.isEmpty ? "[object Object]" : "[object Object]" }
        return jsString(value)
    }

    /// `String(value)` in JavaScript, for JSON values.
    static func jsString(_ value: Any) -> String {
        switch value {
        case let text as String: return text
        case is NSNull: return "null"
        case let array as [Any]: return array.map { $0 is NSNull ? "" : jsString($0) }.joined(separator: ",")
        case is [String: Any]: return "[object Object]"
        case let number as NSNumber:
            if isBool(number) { return number.boolValue ? "true" : "false" }
            if number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 1e21 {
                return String(Int64(number.doubleValue))
            }
            return "\(number.doubleValue)"
        default: return "\(value)"
        }
    }
}

/// POSIX path helpers with Node `path.posix` semantics.
enum PosixPath {
    static func basename(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if let slash = trimmed.lastIndex(of: "/") { return String(trimmed[trimmed.index(after: slash)...]) }
        return String(trimmed)
    }

    static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[path.startIndex..<slash])
    }

    /// Node `path.extname` for a path.
    static func extname(_ path: String) -> String {
        let base = Array(basename(path).utf16)
        var startDot = -1
        var preDotState = 0
        var end = base.count
        if end == 0 { return "" }
        var index = base.count - 1
        while index >= 0 {
            if base[index] == 0x2E {
                if startDot == -1 { startDot = index } else if preDotState != 1 { preDotState = 1 }
            } else if startDot != -1 {
                preDotState = -1
            }
            index -= 1
        }
        end = base.count
        if startDot == -1 || preDotState == 0
            || (preDotState == 1 && startDot == end - 1 && startDot == 1) {
            return ""
        }
        return String(decoding: base[startDot..<end], as: UTF16.self)
    }

    /// `path.posix.normalize` of an absolute path (leading `/`), keeping a trailing slash.
    static func normalizeAbsolute(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        var result = "/" + parts.joined(separator: "/")
        if path.hasSuffix("/") && result != "/" { result += "/" }
        return result
    }

    /// `path.posix.normalize` of a relative path (may keep leading `..`); "" becomes ".".
    static func normalizeRelative(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        var result = parts.joined(separator: "/")
        if result.isEmpty { result = "." }
        if path.hasSuffix("/") && result != "." { result += "/" }
        return result
    }
}
