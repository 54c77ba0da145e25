import Configuration
import Foundation
import Verification

/// A SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), limited to the parts GitHub code scanning
/// reads: one run, the tool's rules, and results with a rule id, level, message, location and fingerprint.
public struct SARIFLog: Codable, Hashable, Sendable {
    /// The schema URI written into `$schema`.
    public static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    /// `$schema`.
    public var schema: String
    /// Always `2.1.0`.
    public var version: String
    /// The runs (provcheck writes one).
    public var runs: [Run]

    enum CodingKeys: String, CodingKey {
        case schema = "$schema", version, runs
    }

    /// Makes a log.
    public init(runs: [Run]) {
        self.schema = Self.schemaURI
        self.version = "2.1.0"
        self.runs = runs
    }

    /// A SARIF `message`.
    public struct Message: Codable, Hashable, Sendable {
        /// Plain text.
        public var text: String
        /// Makes a message.
        public init(_ text: String) { self.text = text }
    }

    /// One run of one tool.
    public struct Run: Codable, Hashable, Sendable {
        /// The tool.
        public var tool: Tool
        /// The results.
        public var results: [Result]
        /// Identifies the run category (lets GitHub keep one analysis per package).
        public var automationDetails: AutomationDetails?
        /// Makes a run.
        public init(tool: Tool, results: [Result], automationDetails: AutomationDetails? = nil) {
            self.tool = tool
            self.results = results
            self.automationDetails = automationDetails
        }
    }

    /// `run.automationDetails`.
    public struct AutomationDetails: Codable, Hashable, Sendable {
        /// `category/run-id` form; GitHub uses the part before the last `/` as the category.
        public var id: String
        /// Makes an `automationDetails`.
        public init(id: String) {
            self.id = id
        }
    }

    /// `run.tool`.
    public struct Tool: Codable, Hashable, Sendable {
        /// The driver component.
        public var driver: ToolComponent
        /// Makes a `tool`.
        public init(driver: ToolComponent) {
            self.driver = driver
        }
    }

    /// `tool.driver`.
    public struct ToolComponent: Codable, Hashable, Sendable {
        /// Tool name.
        public var name: String
        /// Tool version.
        public var version: String?
        /// Semantic version, for GitHub.
        public var semanticVersion: String?
        /// Where to learn about the tool.
        public var informationUri: String?
        /// The rules (one per check id).
        public var rules: [ReportingDescriptor]
        /// Makes a `toolComponent`.
        public init(name: String, version: String? = nil, semanticVersion: String? = nil, informationUri: String? = nil, rules: [ReportingDescriptor]) {
            self.name = name
            self.version = version
            self.semanticVersion = semanticVersion
            self.informationUri = informationUri
            self.rules = rules
        }
    }

    /// A rule.
    public struct ReportingDescriptor: Codable, Hashable, Sendable {
        /// Stable rule id (the check id).
        public var id: String
        /// A PascalCase name.
        public var name: String?
        /// One-line description.
        public var shortDescription: Message?
        /// Longer description.
        public var fullDescription: Message?
        /// How to act on a finding.
        public var help: Message?
        /// Default level.
        public var defaultConfiguration: Configuration?
        /// GitHub properties (`tags`, `security-severity`, `precision`).
        public var properties: [String: PropertyValue]?
        /// Makes a `reportingDescriptor`.
        public init(id: String, name: String? = nil, shortDescription: Message? = nil, fullDescription: Message? = nil, help: Message? = nil, defaultConfiguration: Configuration? = nil, properties: [String: PropertyValue]? = nil) {
            self.id = id
            self.name = name
            self.shortDescription = shortDescription
            self.fullDescription = fullDescription
            self.help = help
            self.defaultConfiguration = defaultConfiguration
            self.properties = properties
        }
    }

    /// `reportingConfiguration`.
    public struct Configuration: Codable, Hashable, Sendable {
        /// `none`, `note`, `warning` or `error`.
        public var level: String
        /// Makes a `configuration`.
        public init(level: String) {
            self.level = level
        }
    }

    /// A property bag value (string or string list).
    public enum PropertyValue: Codable, Hashable, Sendable {
        /// A string.
        case string(String)
        /// A list of strings.
        case strings([String])

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .string(s) } else { self = .strings(try c.decode([String].self)) }
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s): try c.encode(s)
            case .strings(let s): try c.encode(s)
            }
        }
    }

    /// A result.
    public struct Result: Codable, Hashable, Sendable {
        /// The rule id.
        public var ruleId: String
        /// Index into `tool.driver.rules`.
        public var ruleIndex: Int
        /// `error` (failed check) or `warning` (skipped check).
        public var level: String
        /// What was found.
        public var message: Message
        /// Where (the package's manifest plus the package as a logical location).
        public var locations: [Location]
        /// Stable identity across runs for GitHub's alert tracking.
        public var partialFingerprints: [String: String]
        /// Evidence of the check.
        public var properties: [String: String]?
        /// Makes a `result`.
        public init(ruleId: String, ruleIndex: Int, level: String, message: Message, locations: [Location], partialFingerprints: [String: String], properties: [String: String]? = nil) {
            self.ruleId = ruleId
            self.ruleIndex = ruleIndex
            self.level = level
            self.message = message
            self.locations = locations
            self.partialFingerprints = partialFingerprints
            self.properties = properties
        }
    }

    /// A location.
    public struct Location: Codable, Hashable, Sendable {
        /// File and region.
        public var physicalLocation: PhysicalLocation
        /// The package, by purl.
        public var logicalLocations: [LogicalLocation]?
        /// Makes a `location`.
        public init(physicalLocation: PhysicalLocation, logicalLocations: [LogicalLocation]? = nil) {
            self.physicalLocation = physicalLocation
            self.logicalLocations = logicalLocations
        }
    }

    /// `physicalLocation`.
    public struct PhysicalLocation: Codable, Hashable, Sendable {
        /// The file.
        public var artifactLocation: ArtifactLocation
        /// The region (GitHub needs a start line).
        public var region: Region?
        /// Makes a `physicalLocation`.
        public init(artifactLocation: ArtifactLocation, region: Region? = nil) {
            self.artifactLocation = artifactLocation
            self.region = region
        }
    }

    /// `artifactLocation`.
    public struct ArtifactLocation: Codable, Hashable, Sendable {
        /// A URI reference, relative to the repository root.
        public var uri: String
        /// Makes a `artifactLocation`.
        public init(uri: String) {
            self.uri = uri
        }
    }

    /// `region`.
    public struct Region: Codable, Hashable, Sendable {
        /// 1-based line.
        public var startLine: Int
        /// Makes a `region`.
        public init(startLine: Int) {
            self.startLine = startLine
        }
    }

    /// `logicalLocation`.
    public struct LogicalLocation: Codable, Hashable, Sendable {
        /// The package URL.
        public var fullyQualifiedName: String
        /// `package`.
        public var kind: String
        /// Makes a `logicalLocation`.
        public init(fullyQualifiedName: String, kind: String) {
            self.fullyQualifiedName = fullyQualifiedName
            self.kind = kind
        }
    }
}

extension SARIFLog {
    /// Builds a log for verdicts: one result per failed check (`error`) and per skipped check (`warning`);
    /// passing and not-applicable checks produce no result. Rules are every check id seen, sorted.
    ///
    /// - Parameter artifactURI: the file results point at, relative to the repository the SARIF is uploaded for
    ///   (default `package.json`; GitHub needs a file location to show an alert).
    public static func make(
        verdicts: [Verdict], toolVersion: String, artifactURI: String = "package.json"
    ) -> SARIFLog {
        var titles: [CheckID: String] = [:]
        for verdict in verdicts { for check in verdict.checks where titles[check.id] == nil { titles[check.id] = check.title } }
        let ids = titles.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let rules = ids.map { id in
            ReportingDescriptor(
                id: id.rawValue, name: pascalCase(id.rawValue),
                shortDescription: Message(titles[id]!),
                fullDescription: Message(CheckCatalog.description(of: id) ?? titles[id]!),
                help: Message(CheckCatalog.help(of: id)),
                defaultConfiguration: Configuration(level: "error"),
                properties: ["tags": .strings(["security", "supply-chain", "npm", id.area]),
                             "precision": .string("high"),
                             "security-severity": .string(id.area == "archive" ? "6.0" : "8.0")])
        }
        var results = [Result]()
        for verdict in verdicts {
            let purl = verdict.subject.purl
            for check in verdict.checks {
                let level: String
                var text: String
                switch check.status {
                case .fail:
                    level = "error"
                    text = "\(purl): \(check.title) failed"
                    if !check.reasons.isEmpty { text += ": " + check.reasons.joined(separator: "; ") }
                case .skipped(let reason):
                    level = "warning"
                    text = "\(purl): \(check.title) was not checked: \(reason)"
                    if !check.reasons.isEmpty { text += " (" + check.reasons.joined(separator: "; ") + ")" }
                case .pass, .notApplicable:
                    continue
                }
                results.append(Result(
                    ruleId: check.id.rawValue, ruleIndex: index[check.id]!, level: level, message: Message(text),
                    locations: [Location(
                        physicalLocation: PhysicalLocation(artifactLocation: ArtifactLocation(uri: artifactURI),
                                                           region: Region(startLine: 1)),
                        logicalLocations: [LogicalLocation(fullyQualifiedName: purl, kind: "package")])],
                    partialFingerprints: ["provcheck/v1": SHA256Hex.of(Data("\(check.id.rawValue)|\(purl)".utf8))],
                    properties: check.evidence.isEmpty ? nil : check.evidence))
            }
        }
        let category = verdicts.count == 1 ? "provcheck/\(verdicts[0].subject.purl)/" : "provcheck/"
        return SARIFLog(runs: [Run(
            tool: Tool(driver: ToolComponent(
                name: "provcheck", version: toolVersion, semanticVersion: toolVersion,
                informationUri: VerificationSummary.verifierID, rules: rules)),
            results: results, automationDetails: AutomationDetails(id: category))])
    }

    /// A rule id in PascalCase for SARIF rule names (`rebuild.compare` → `RebuildCompare`).
    package static func pascalCase(_ id: String) -> String {
        id.split(whereSeparator: { $0 == "." || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

/// Descriptions of the known checks, for SARIF rules and documentation.
public enum CheckCatalog {
    /// A one-paragraph description of a known check id.
    public static func description(of id: CheckID) -> String? {
        switch id {
        case .registryIntegrity: "The tarball's sha512 equals the packument's dist.integrity."
        case .registryShasum: "The tarball's sha1 equals the packument's dist.shasum."
        case .archiveFindings: "The tarball's gzip and tar structure is clean: no path traversal, links out of the package, duplicate entries or trailing data."
        case .trustSignatures: "The registry's ECDSA signature over name@version:integrity verifies with a registry key valid at publish time."
        case .trustPublishAttestation: "The registry-signed npm publish attestation verifies and its subject is this package and tarball digest."
        case .trustProvenance: "The Sigstore SLSA provenance bundle verifies (certificate chain, transparency log, signature) and its subject is this package and tarball digest."
        case .sourceTag: "A git tag for the version exists in the source repository."
        case .sourceCommitExists: "The commit the provenance (or the packument's gitHead) names exists in the source repository."
        case .sourceTagMatchesProvenance: "The version's tag points at the commit named by the provenance; a tag moved after release is a finding."
        case .rebuildCompare: "The tarball rebuilt from the source at the commit, with the npm generation that published it, equals the registry tarball."
        case .rebuildNotInSource: "Files in the registry tarball that are not in the source (build output) cannot be verified by rebuilding."
        case .policyRepository: "The provenance names the expected source repository (URL and pinned numeric ids)."
        case .policyWorkflow: "The provenance names the expected workflow file."
        case .policyRef: "The provenance's git ref matches an allowed ref pattern."
        case .policyTrigger: "The build was triggered by an allowed event."
        case .policyRunner: "The build ran on an allowed runner environment."
        case .policyEnvironment: "The build job ran in the expected GitHub deployment environment."
        case .policyProvenanceRequired: "The version has provenance when the policy, or earlier versions having it, require it."
        case .policyPublishAttestationRequired: "The version has a registry publish attestation when the policy requires it."
        case .policyRebuild: "The rebuild outcome is one the policy accepts."
        case .policyBranch: "The source commit is in the history of a branch the policy allows (not an orphan or fork-pushed commit)."
        default: nil
        }
    }

    /// What to do about a finding of this check.
    public static func help(of id: CheckID) -> String {
        switch id.area {
        case "registry": "The registry served bytes that do not match its own metadata. Do not install this version; report it to the registry."
        case "archive": "Inspect the tarball's entries before installing; a malformed archive can write outside the package directory."
        case "trust": "A signature or attestation does not verify or does not name this tarball. Treat the version as untrusted until explained."
        case "source": "The source repository does not hold what the package claims. Check for a moved or deleted tag, or a commit that was never pushed."
        case "rebuild": "The registry tarball is not what the tagged source produces. Diff the two (provcheck rebuild) and find who published the difference."
        case "policy": "The package was not built the way the policy expects. Check the repository, workflow, ref and trigger of the provenance."
        default: "See provcheck's documentation for this check."
        }
    }
}
