import Digest
import Foundation

/// Where and how the client talks to the registry: URLs, credentials, proxy, cache, timeouts and retries.
///
/// Build it with ``resolve(registry:projectDirectory:environment:cacheDirectory:offline:)``, which follows npm's
/// precedence, or set the fields directly (tests do).
public struct RegistryConfiguration: Sendable {
    /// The default registry (always ends with `/`).
    public var registry: URL
    /// Registries for scopes, keyed `@scope` (from `@scope:registry=` lines).
    public var scopedRegistries: [String: URL]
    /// Credentials by npm "nerf dart" (`//host[:port]/path/`), from `//…/:_authToken=`, `:_auth=` and
    /// `:username=` + `:_password=` lines.
    public var credentials: [String: Credential]
    /// Proxy settings (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, or npmrc `proxy`/`https-proxy`/`noproxy`).
    public var proxy: ProxySettings
    /// PEM CA certificates that replace the system trust store for HTTPS (npmrc `cafile`).
    public var caFile: URL?
    /// PEM CA certificates added to the trust store (`NODE_EXTRA_CA_CERTS`, as Node reads it).
    public var extraCAFile: URL?
    /// Verify HTTPS certificates and host names (npmrc `strict-ssl`, default `true`). `false` accepts any
    /// certificate: integrity and signature checks still run, but the connection itself is not authenticated.
    public var strictSSL: Bool
    /// The on-disk cache folder, or `nil` for no cache.
    public var cacheDirectory: URL?
    /// Use only the cache; never touch the network.
    public var offline: Bool
    /// Seconds without any data before a request fails with ``RegistryError/Code/timeout`` (an idle timeout: a
    /// slow but steady download does not time out). Also the connect timeout.
    public var timeout: TimeInterval
    /// Seconds a whole transfer (one attempt) may take.
    public var resourceTimeout: TimeInterval
    /// Retry policy for transient failures.
    public var retry: RetryPolicy
    /// How many requests may be in flight at once, over all hosts. Default 64.
    public var maxConcurrentRequests: Int
    /// How many connections (so requests in flight: HTTP/1.1 has one per connection) one host gets at most.
    /// Default 64 (npm's `maxsockets` default is 15, with far more client CPU per request; see docs/registry.md).
    public var maxConnectionsPerHost: Int
    /// The `User-Agent` header.
    public var userAgent: String
    /// Largest JSON document accepted (held in memory), in bytes. Default 256 MiB.
    public var maxDocumentBytes: Int
    /// Largest tarball accepted (streamed to disk), in bytes. Default 4 GiB.
    public var maxTarballBytes: Int

    /// npm's default registry.
    public static let defaultRegistry = URL(string: "https://registry.npmjs.org/")!

    /// A configuration for `registry` with no credentials, no proxy, no cache and default timeouts.
    public init(registry: URL = RegistryConfiguration.defaultRegistry) {
        self.registry = Self.withTrailingSlash(registry)
        scopedRegistries = [:]
        credentials = [:]
        proxy = ProxySettings()
        caFile = nil
        extraCAFile = nil
        strictSSL = true
        cacheDirectory = nil
        offline = false
        timeout = 30
        resourceTimeout = 600
        retry = RetryPolicy()
        maxConcurrentRequests = 64
        maxConnectionsPerHost = 64
        userAgent = "provcheck"
        maxDocumentBytes = 256 << 20
        maxTarballBytes = 4 << 30
    }

    /// An auth credential for one registry prefix.
    public enum Credential: Sendable, Hashable {
        /// `_authToken`: sent as `Authorization: Bearer <token>`.
        case bearer(String)
        /// `_auth`: base64 `user:password`, sent as `Authorization: Basic <value>`.
        case basic(String)

        /// The `Authorization` header value.
        public var headerValue: String {
            switch self {
            case .bearer(let token): "Bearer \(token)"
            case .basic(let value): "Basic \(value)"
            }
        }
    }

    /// Resolves the configuration the way npm does: the registry from `registry` (the `--registry` flag), then the
    /// environment (`npm_config_registry`, any case), then `.npmrc` files (project `<projectDirectory>/.npmrc`,
    /// user `~/.npmrc` or `$npm_config_userconfig`, global `$npm_config_globalconfig` or `$PREFIX/etc/npmrc`),
    /// then ``defaultRegistry``. Scoped registries and credentials come from the same files (project wins over user
    /// over global); `${VAR}` in values is expanded from `environment`. Proxies come from the environment, then
    /// npmrc `https-proxy` / `proxy` / `noproxy`. The cache is `cacheDirectory`, else `$XDG_CACHE_HOME/provcheck`,
    /// else `~/.cache/provcheck`.
    /// - Throws: ``RegistryError`` `.invalidConfiguration` naming the file and line of a bad entry.
    public static func resolve(
        registry explicitRegistry: String? = nil, projectDirectory: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, cacheDirectory: String? = nil,
        offline: Bool = false
    ) throws(RegistryError) -> RegistryConfiguration {
        let env = Environment(environment)
        let home = env["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        var files: [URL] = []  // lowest precedence first
        if let global = env["npm_config_globalconfig"] {
            files.append(URL(fileURLWithPath: global))
        } else {
            let prefix = env["npm_config_prefix"] ?? env["PREFIX"] ?? "/usr"
            files.append(URL(fileURLWithPath: prefix).appendingPathComponent("etc/npmrc"))
        }
        files.append(env["npm_config_userconfig"].map { URL(fileURLWithPath: $0) } ?? home.appendingPathComponent(".npmrc"))
        if let projectDirectory { files.append(projectDirectory.appendingPathComponent(".npmrc")) }

        var settings: [String: String] = [:]
        for file in files where FileManager.default.fileExists(atPath: file.path) {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw RegistryError(
                    code: .invalidConfiguration, url: file, problem: "cannot read npmrc: \(error.localizedDescription)")
            }
            for (key, value) in try Npmrc.parse(text, file: file, environment: environment) { settings[key] = value }
        }

        var config = RegistryConfiguration()
        let registryText = explicitRegistry ?? env["npm_config_registry"] ?? settings["registry"]
        var urlCredentials: [String: Credential] = [:]
        if let registryText {
            let (url, credential) = splitCredentials(try parseURL(registryText, what: "registry URL"))
            config.registry = url
            if let credential { urlCredentials[nerfDart(url)] = credential }
        }
        for (key, value) in settings {
            if key.hasPrefix("@"), key.hasSuffix(":registry") {
                let scope = String(key.dropLast(":registry".count))
                let (url, credential) = splitCredentials(try parseURL(value, what: "registry URL for \(scope)"))
                config.scopedRegistries[scope] = url
                if let credential { urlCredentials[nerfDart(url)] = credential }
            } else if key.hasPrefix("//"), let colon = key.range(of: ":", options: .backwards) {
                let prefix = String(key[..<colon.lowerBound])
                let field = String(key[colon.upperBound...])
                let nerf = prefix.hasSuffix("/") ? prefix : prefix + "/"
                switch field {
                case "_authToken": config.credentials[nerf] = .bearer(value)
                case "_auth": if config.credentials[nerf] == nil { config.credentials[nerf] = .basic(value) }
                default: break
                }
            }
        }
        // `//host/:username=` + `//host/:_password=` (base64) pairs become Basic credentials.
        for (key, user) in settings where key.hasPrefix("//") && key.hasSuffix(":username") {
            let prefix = String(key.dropLast(":username".count))
            let nerf = prefix.hasSuffix("/") ? prefix : prefix + "/"
            guard config.credentials[nerf] == nil, let encoded = settings[prefix + ":_password"],
                let password = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) })
            else { continue }
            config.credentials[nerf] = .basic(Data("\(user):\(password)".utf8).base64EncodedString())
        }
        if let legacy = settings["_authToken"], config.credentials[nerfDart(config.registry)] == nil {
            config.credentials[nerfDart(config.registry)] = .bearer(legacy)
        }
        // User information in a registry URL (`https://user:pass@host/`) is sent as Basic auth, as npm does (Node's
        // HTTP client turns it into `Authorization: Basic`), unless npmrc has a credential for that registry; the
        // URL itself is kept without it, so it is never shown.
        for (nerf, credential) in urlCredentials where config.credentials[nerf] == nil {
            config.credentials[nerf] = credential
        }

        config.proxy = ProxySettings(
            httpsProxy: env["https_proxy"] ?? settings["https-proxy"] ?? env["http_proxy"] ?? settings["proxy"],
            httpProxy: env["http_proxy"] ?? settings["proxy"],
            noProxy: env["no_proxy"] ?? settings["noproxy"])
        if let cafile = env["npm_config_cafile"] ?? settings["cafile"], !cafile.isEmpty {
            config.caFile = URL(fileURLWithPath: cafile)
        }
        if let extra = env["node_extra_ca_certs"], !extra.isEmpty { config.extraCAFile = URL(fileURLWithPath: extra) }
        if let strict = env["npm_config_strict_ssl"] ?? settings["strict-ssl"] {
            switch strict.lowercased() {
            case "true": config.strictSSL = true
            case "false": config.strictSSL = false
            default:
                throw RegistryError(
                    code: .invalidConfiguration, url: nil, problem: "strict-ssl must be true or false, not \"\(strict)\"")
            }
        }
        config.offline = offline
        if let cacheDirectory {
            config.cacheDirectory = URL(fileURLWithPath: cacheDirectory)
        } else if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            config.cacheDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("provcheck")
        } else {
            config.cacheDirectory = home.appendingPathComponent(".cache/provcheck")
        }
        return config
    }

    /// The registry that serves `packageName` (its scope's registry, else ``registry``).
    public func registry(forPackage packageName: String) -> URL {
        if packageName.hasPrefix("@"), let slash = packageName.firstIndex(of: "/"),
            let scoped = scopedRegistries[String(packageName[..<slash])]
        {
            return Self.withTrailingSlash(scoped)
        }
        return registry
    }

    /// The credential npm would send to `url`: the one whose nerf dart is the longest prefix of the URL's nerf
    /// dart (same host and port; the path walked up segment by segment), or `nil`.
    public func credential(for url: URL) -> Credential? {
        var key = Self.nerfDart(url)
        while key.count > 2 {
            if let credential = credentials[key] { return credential }
            // Drop the last path segment (or the trailing slash).
            if key.hasSuffix("/") { key.removeLast() } else if let slash = key.lastIndex(of: "/") {
                key = String(key[...slash])
            } else {
                break
            }
            if key == "/" || key == "//" { break }
        }
        return nil
    }

    /// npm's "nerf dart" of a URL: `//host[:port]/path/` (no scheme, user info, query or fragment; trailing `/`).
    public static func nerfDart(_ url: URL) -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true), let host = components.host
        else { return url.absoluteString }
        var path = components.percentEncodedPath
        if !path.hasSuffix("/") {
            // npm resolves "." against the URL: the last segment of a file path is dropped.
            if let slash = path.lastIndex(of: "/") { path = String(path[...slash]) } else { path = "/" }
        }
        if path.isEmpty { path = "/" }
        let port = components.port.map { ":\($0)" } ?? ""
        return "//\(host.lowercased())\(port)\(path)"
    }

    /// `name` as it appears in registry URLs: `@scope%2fname` for scoped names.
    /// - Throws: ``RegistryError`` `.invalidPackageName` when `name` cannot be an npm package name.
    public static func escapedName(_ name: String) throws(RegistryError) -> String {
        let problem: String?
        if name.isEmpty || name.count > 214 {
            problem = "a package name must have 1 to 214 characters"
        } else if name.hasPrefix(".") || name.hasPrefix("_") {
            problem = "a package name cannot start with \".\" or \"_\""
        } else if name.contains(where: { $0.isWhitespace || $0 == "%" || $0 == "?" || $0 == "#" || $0 == "\\" }) {
            problem = "a package name cannot contain spaces, %, ?, # or \\"
        } else if name.hasPrefix("@") {
            let parts = name.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            problem = parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !parts[1].hasPrefix(".")
                ? nil : "a scoped package name must look like @scope/name"
        } else {
            problem = name.contains("/") ? "an unscoped package name cannot contain \"/\"" : nil
        }
        if let problem {
            throw RegistryError(code: .invalidPackageName, url: nil, problem: "invalid package name \"\(name)\": \(problem)")
        }
        return name.replacingOccurrences(of: "/", with: "%2f")
    }

    static func withTrailingSlash(_ url: URL) -> URL {
        url.absoluteString.hasSuffix("/") ? url : URL(string: url.absoluteString + "/") ?? url
    }

    /// `url` without user information, and the Basic credential it carried (user and password exactly as written
    /// in the URL, percent-encoding kept, as npm sends them), if any.
    static func splitCredentials(_ url: URL) -> (URL, Credential?) {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
            components.percentEncodedUser != nil || components.percentEncodedPassword != nil
        else { return (url, nil) }
        let user = components.percentEncodedUser ?? ""
        let password = components.percentEncodedPassword ?? ""
        components.percentEncodedUser = nil
        components.percentEncodedPassword = nil
        guard let stripped = components.url else { return (url, nil) }
        guard !user.isEmpty || !password.isEmpty else { return (stripped, nil) }
        return (stripped, .basic(Data("\(user):\(password)".utf8).base64EncodedString()))
    }

    static func parseURL(_ text: String, what: String) throws(RegistryError) -> URL {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else {
            throw RegistryError(code: .invalidConfiguration, url: nil,
                                problem: "invalid \(what) \"\(URLCredentials.redact(text))\": expected an http(s) URL")
        }
        return withTrailingSlash(url)
    }
}

/// Proxy settings. URLs are `http://host:port`; `noProxy` is a comma-separated list of hosts / domain suffixes
/// (`*` disables proxying).
public struct ProxySettings: Sendable, Hashable {
    /// Proxy for `https://` URLs.
    public var httpsProxy: String?
    /// Proxy for `http://` URLs.
    public var httpProxy: String?
    /// Hosts that bypass the proxy.
    public var noProxy: String?

    /// Creates settings.
    public init(httpsProxy: String? = nil, httpProxy: String? = nil, noProxy: String? = nil) {
        self.httpsProxy = httpsProxy.flatMap { $0.isEmpty ? nil : $0 }
        self.httpProxy = httpProxy.flatMap { $0.isEmpty ? nil : $0 }
        self.noProxy = noProxy.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The proxy (host, port) to use for `url`, or `nil` for a direct connection.
    public func proxy(for url: URL) -> (host: String, port: Int)? {
        guard let proxyURL = applicableProxy(for: url)?.parsed, let proxyHost = proxyURL.host else { return nil }
        return (proxyHost, proxyURL.port ?? (proxyURL.scheme == "https" ? 443 : 80))
    }

    /// The configured proxy text for `url`'s scheme unless `NO_PROXY` exempts its host, with its parsed form (`nil`
    /// when the text is not a URL with a host; a bare `host:port` is read as `http://host:port`).
    func applicableProxy(for url: URL) -> (text: String, parsed: URLComponents?)? {
        guard let scheme = url.scheme?.lowercased(), var host = url.host?.lowercased() else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let text = scheme == "https" ? httpsProxy : httpProxy, !bypasses(host: host, port: url.port) else { return nil }
        let parsed = URLComponents(string: text.contains("://") ? text : "http://" + text)
        return (text, parsed?.host?.isEmpty == false ? parsed : nil)
    }

    /// Whether `NO_PROXY` exempts `host`.
    public func bypasses(host: String, port: Int? = nil) -> Bool {
        guard let noProxy else { return false }
        for rawEntry in noProxy.split(separator: ",") {
            var entry = rawEntry.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), let entryPort = Int(entry[entry.index(after: colon)...]) {
                if let port, port != entryPort { continue }
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            if entry.hasPrefix(".") {
                if host.hasSuffix(entry) || host == String(entry.dropFirst()) { return true }
            } else if host == entry || host.hasSuffix("." + entry) {
                return true
            }
        }
        return false
    }
}

/// When and how often transient failures are retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts including the first (1 = no retry).
    public var maxAttempts: Int
    /// Delay before the first retry, in seconds; doubled for each further retry.
    public var baseDelay: TimeInterval
    /// Upper bound of a backoff delay, in seconds.
    public var maxDelay: TimeInterval
    /// Upper bound for a server's `Retry-After`, in seconds (longer values are capped to this).
    public var maxRetryAfter: TimeInterval

    /// Creates a policy (defaults: 4 attempts, 0.5 s doubling to at most 8 s, `Retry-After` capped at 60 s).
    public init(maxAttempts: Int = 4, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 8, maxRetryAfter: TimeInterval = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The backoff before attempt `attempt + 1` (attempt counts from 1), with up to 25 % jitter.
    func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return exponential * Double.random(in: 0.75...1.0)
    }
}

/// Case-insensitive view of environment variables (npm reads `npm_config_*` in any case).
struct Environment {
    private let values: [String: String]

    init(_ environment: [String: String]) {
        var lowered: [String: String] = [:]
        // Exact lowercase names win over other spellings.
        for (key, value) in environment where key != key.lowercased() { lowered[key.lowercased()] = value }
        for (key, value) in environment where key == key.lowercased() { lowered[key] = value }
        values = lowered
    }

    subscript(name: String) -> String? {
        values[name.lowercased()].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The `.npmrc` ini dialect: `key = value` lines, `#`/`;` comments, `[section]` headers ignored, quoted values,
/// `${VAR}` expansion (a missing variable is an error, as in npm).
public enum Npmrc {
    /// Parses `text` (read from `file`) into key/value pairs in file order.
    /// - Throws: ``RegistryError`` `.invalidConfiguration` naming `file`, the line and the problem.
    public static func parse(
        _ text: String, file: URL, environment: [String: String]
    ) throws(RegistryError) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("[") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                // npm treats a bare key as `key=true`.
                result.append((try expand(line, file: file, line: index + 1, environment: environment), "true"))
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            } else if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
                value = String(value.dropFirst().dropLast())
            }
            result.append((
                try expand(key, file: file, line: index + 1, environment: environment),
                try expand(value, file: file, line: index + 1, environment: environment)
            ))
        }
        return result
    }

    /// Expands `${VAR}` (and `${VAR?}`, empty when unset) from `environment`; `\${` stays literal.
    static func expand(
        _ text: String, file: URL, line: Int, environment: [String: String]
    ) throws(RegistryError) -> String {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "\\" {
                output += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw RegistryError(
                    code: .invalidConfiguration, url: file, problem: "line \(line): unterminated ${ in \"\(text)\"")
            }
            var name = String(rest[start.upperBound..<end])
            let optional = name.hasSuffix("?")
            if optional { name.removeLast() }
            if let value = environment[name] {
                output += value
            } else if !optional {
                throw RegistryError(
                    code: .invalidConfiguration, url: file,
                    problem: "line \(line): environment variable \(name) is not set (used as ${\(name)})")
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }
}

extension RegistryConfiguration {
    /// Whether `url` names this machine (`127.0.0.1`, `localhost`, `::1`).
    public static func isLoopback(_ url: URL) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host?.lowercased() ?? "")
    }

    /// The configuration under `--offline`, which means "no network but this machine": a loopback registry is still
    /// asked (tests, local mirrors); any other registry is read from the cache only. The one place this rule lives.
    public func offline(_ offline: Bool) -> RegistryConfiguration {
        var configuration = self
        configuration.offline = offline && !Self.isLoopback(registry)
        return configuration
    }
}
