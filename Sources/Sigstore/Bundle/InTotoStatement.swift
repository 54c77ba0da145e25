import Foundation
import JSON

/// An in-toto Statement (v0.1 or v1), the DSSE payload of npm provenance and publish attestations.
public struct InTotoStatement: Sendable, Equatable {
    /// The DSSE payload type of in-toto statements.
    public static let payloadType = "application/vnd.in-toto+json"

    /// One subject: a name (for npm, a purl) and its digests by algorithm (`sha512` → hex).
    public struct Subject: Sendable, Equatable, Codable {
        /// The subject name (npm: `pkg:npm/<name>@<version>`).
        public let name: String
        /// Lower-cased algorithm name → lower-cased hex digest.
        public let digest: [String: String]

        /// Creates a subject.
        public init(name: String, digest: [String: String]) {
            self.name = name
            self.digest = digest
        }
    }

    /// The statement `_type` (`https://in-toto.io/Statement/v0.1` or `/v1`).
    public let type: String
    /// The subjects the statement is about.
    public let subjects: [Subject]
    /// The predicate type (`https://slsa.dev/provenance/v1`, npm's publish predicate, …).
    public let predicateType: String
    /// The predicate, read with provcheck's JSON parser (every string exactly as signed); `.null` if absent.
    public let predicate: RawJSON
    /// The predicate as JSON bytes (re-serialized with sorted keys; `null` if absent).
    public var predicateJSON: Data { predicate.encoded() }

    /// Parses statement JSON (a DSSE payload). `source` names the input in errors.
    public static func parse(_ data: Data, source: String = "in-toto statement") throws(SigstoreFormatError)
        -> InTotoStatement
    {
        let json = try JSONFields.parseDocument(data, source: source)
        let type = try json.string("_type")
        guard type.hasPrefix("https://in-toto.io/Statement/") else {
            throw json.error("_type", "not an in-toto statement type: '\(type)'")
        }
        var subjects: [Subject] = []
        for subject in try json.objects("subject") {
            let digestFields = try subject.object("digest")
            var digest: [String: String] = [:]
            for (algorithm, value) in digestFields.object {
                guard let hex = value.stringValue else { throw digestFields.error(algorithm, "is not a string") }
                digest[algorithm.lowercased()] = hex.lowercased()
            }
            subjects.append(Subject(name: try subject.optionalString("name") ?? "", digest: digest))
        }
        return InTotoStatement(type: type, subjects: subjects, predicateType: try json.string("predicateType"),
                               predicate: json.value("predicate") ?? .null)
    }
}
