import Archive
import Digest
import Foundation
import Registry

/// The result of `provcheck integrity`: does the tarball the registry serves match the registry's own
/// `dist.integrity` and `dist.shasum`, and what is inside it.
public struct IntegrityReport: Codable, Sendable {
    /// The package name.
    public var name: String
    /// The version.
    public var version: String
    /// The tarball URL that was fetched.
    public var tarballURL: String
    /// The `dist.integrity` check, or nil when the packument gives none (legacy packages have only a shasum).
    public var integrity: HashComparison?
    /// The legacy `dist.shasum` (hex sha1) check, or nil when the packument gives none.
    public var shasum: HashComparison?
    /// The archive inspection of the tarball (gzip layer, tar entries, findings).
    public var archive: ArchiveReport
    /// Problems that make the report fail besides the comparisons and the archive findings.
    public var problems: [String]

    /// True only when at least one registry hash was checked, every hash check passed, nothing else went wrong
    /// and the archive has no finding of severity error.
    public var ok: Bool {
        (integrity != nil || shasum != nil)
            && (integrity?.ok ?? true) && (shasum?.ok ?? true)
            && problems.isEmpty && archive.ok
    }

    /// Warnings that do not fail the report: the tarball was checked against SHA-1 only (the packument has no
    /// stronger `dist.integrity`), and SHA-1 collisions can be made.
    public var warnings: [String] {
        let strongest = integrity.flatMap { $0.ok ? $0.algorithm : nil }
        if (strongest == nil || strongest == "sha1") && (shasum?.ok == true || strongest == "sha1") {
            return ["only SHA-1 was checked (the packument gives no sha512 dist.integrity); SHA-1 collisions can be "
                    + "made, so this match is weak evidence"]
        }
        return []
    }

    enum CodingKeys: String, CodingKey {
        case name, version, integrity, shasum, archive, problems, warnings, ok
        case tarballURL = "tarball_url"
    }

    /// Makes a report.
    public init(name: String, version: String, tarballURL: String, integrity: HashComparison?,
                shasum: HashComparison?, archive: ArchiveReport, problems: [String]) {
        self.name = name
        self.version = version
        self.tarballURL = tarballURL
        self.integrity = integrity
        self.shasum = shasum
        self.archive = archive
        self.problems = problems
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        tarballURL = try c.decode(String.self, forKey: .tarballURL)
        integrity = try c.decodeIfPresent(HashComparison.self, forKey: .integrity)
        shasum = try c.decodeIfPresent(HashComparison.self, forKey: .shasum)
        archive = try c.decode(ArchiveReport.self, forKey: .archive)
        problems = try c.decodeIfPresent([String].self, forKey: .problems) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(tarballURL, forKey: .tarballURL)
        try c.encode(integrity, forKey: .integrity)
        try c.encode(shasum, forKey: .shasum)
        try c.encode(archive, forKey: .archive)
        try c.encode(problems, forKey: .problems)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(ok, forKey: .ok)
    }
}

/// One registry hash compared with the tarball's bytes.
public struct HashComparison: Codable, Sendable, Hashable {
    /// The algorithm that was checked (the strongest one in an SRI string).
    public var algorithm: String
    /// What the packument says, as given.
    public var expected: String
    /// The tarball's digest in the same encoding (SRI for integrity, hex for shasum), or nil when the expected
    /// value could not be parsed.
    public var actual: String?
    /// Whether they are equal.
    public var ok: Bool
    /// Why the check failed, when it did.
    public var reason: String?

    /// Makes a comparison.
    public init(algorithm: String, expected: String, actual: String?, ok: Bool, reason: String? = nil) {
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        self.ok = ok
        self.reason = reason
    }
}

/// Fetches a version's tarball (streamed to a temporary file, never whole in memory), checks it against the
/// packument's `dist.integrity` (W3C SRI, strongest algorithm) and `dist.shasum`, and inspects its gzip and tar
/// layers.
public struct IntegrityVerifier: Sendable {
    /// The registry client.
    public var client: RegistryClient
    /// Limits for the archive inspection.
    public var limits: ArchiveLimits

    /// Makes a verifier.
    public init(client: RegistryClient, limits: ArchiveLimits = .npmDefault) {
        self.client = client
        self.limits = limits
    }

    /// Verifies one version.
    /// - Throws: ``VerificationError`` when nothing can be verified (registry error, no such version, no
    ///   tarball URL, the tarball cannot be read).
    /// - Parameter progress: receives the stages (packument, tarball fetch with its size and rate, inspection).
    public func verify(_ spec: PackageSpec, progress: ProgressHandler? = nil) async throws -> IntegrityReport {
        progress?(.started(stage: "fetch", detail: "packument of \(spec.name)"))
        let packument: Packument
        do {
            packument = try await client.packument(name: spec.name)
        } catch {
            throw VerificationError.registry(url: (try? client.packumentURL(name: spec.name).absoluteString) ?? spec.name,
                                             problem: error.problem)
        }
        guard let version = packument.versions[spec.version] else {
            throw VerificationError.versionNotFound(source: spec.name, version: spec.version,
                                                    known: packument.distTags["latest"] ?? "")
        }
        guard let tarballURL = URL(string: version.dist.tarball), tarballURL.scheme != nil else {
            throw VerificationError.malformedPackument(
                source: spec.name, problem: "version \(spec.version) has no usable dist.tarball (\"\(version.dist.tarball)\")")
        }

        // The cached copy is inspected in place (no copy; nothing written outside the cache folder); without a
        // cache, a temporary file that is removed afterwards.
        do {
            progress?(.started(stage: "fetch", detail: tarballURL.absoluteString))
            let fetchStart = Date()
            let detail = tarballURL.absoluteString
            let receiving: @Sendable (URL) -> Void = { progress?(.downloading(stage: "fetch", detail: detail, file: $0)) }
            return try await client.withTarballFile(from: tarballURL, receiving: receiving) { file, _ in
                let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int ?? 0
                progress?(.transferred(stage: "fetch", detail: tarballURL.absoluteString, bytes: bytes,
                                       seconds: Date().timeIntervalSince(fetchStart)))
                progress?(.started(stage: "inspect", detail: "gzip and tar layers of \(spec.name)@\(spec.version)"))
                defer { progress?(.finished(stage: "inspect")) }
                return try inspect(file, spec: spec, version: version, tarballURL: tarballURL)
            }
        } catch let error as RegistryError {
            throw VerificationError.registry(url: tarballURL.absoluteString, problem: error.problem)
        }
    }

    /// Inspects the downloaded tarball `file` and compares its hashes with the packument's `dist`.
    private func inspect(
        _ file: URL, spec: PackageSpec, version: PackageVersion, tarballURL: URL
    ) throws -> IntegrityReport {
        let archive: ArchiveReport
        do {
            archive = try ArchiveInspector(limits: limits).inspect(fileAt: file)
        } catch {
            throw VerificationError.input(path: tarballURL.absoluteString, problem: "\(error)")
        }
        var digests = archive.inputDigests ?? DigestSet([:])
        var problems: [String] = []

        let integrity: HashComparison? = version.dist.integrity.map { sri in
            DistDigestRule.integrity(sri, digests: &digests) { algorithms in
                do {
                    return try Hashing.digest(fileAt: file, algorithms: algorithms.union([.sha512, .sha1]))
                } catch {
                    problems.append("cannot hash \(tarballURL.absoluteString): \(error)")
                    return nil
                }
            }
        }
        let shasum: HashComparison? = version.dist.shasum.map { DistDigestRule.shasum($0, digests: digests) }
        if integrity == nil && shasum == nil {
            problems.append("the packument gives neither dist.integrity nor dist.shasum: nothing to check the tarball against")
        }
        return IntegrityReport(name: spec.name, version: spec.version, tarballURL: tarballURL.absoluteString,
                               integrity: integrity, shasum: shasum, archive: archive, problems: problems)
    }
}
