import Foundation
import TestSupport

/// Validates JSON documents against the JSON schemas shipped in `docs/schemas/`, with python3's `jsonschema`
/// (Draft 7, format checking on).
enum SchemaValidation {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "python3 with the jsonschema module is needed to validate documents (pip install jsonschema)" }
    }

    /// The schema file `docs/schemas/<name>`.
    static func schema(_ name: String) -> URL {
        Fixtures.repositoryRoot.appendingPathComponent("docs/schemas").appendingPathComponent(name)
    }

    /// The official OASIS SARIF 2.1.0 schema, shipped as test data.
    static var officialSARIFSchema: URL { Fixtures.root.appendingPathComponent("sarif/sarif-schema-2.1.0.json") }

    /// Validation errors of a SARIF log against both the official OASIS SARIF 2.1.0 schema and
    /// `docs/schemas/sarif-2.1.0-subset.schema.json` (GitHub code scanning's upload rules); empty when valid.
    static func sarifErrors(_ document: Data) throws -> [String] {
        try errors(document, schemaAt: officialSARIFSchema).map { "official schema: \($0)" }
            + errors(document, schema: "sarif-2.1.0-subset.schema.json")
    }

    /// Returns the validation errors (`path: message`), empty when the document is valid.
    static func errors(_ document: Data, schema name: String) throws -> [String] {
        try errors(document, schemaAt: schema(name))
    }

    /// Returns the validation errors against the schema file at `schemaURL` (its `$schema` draft is honoured).
    static func errors(_ document: Data, schemaAt schemaURL: URL) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("provcheck-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let documentURL = dir.appendingPathComponent("document.json")
        try document.write(to: documentURL)
        let script = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            sys.exit(3)
        schema = json.load(open(sys.argv[1]))
        document = json.load(open(sys.argv[2]))
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        cls.check_schema(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path).__repr__()):
            print(error.json_path + ": " + error.message)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schemaURL.path, documentURL.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 3 { throw Unavailable() }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        if process.terminationStatus != 0 && lines.isEmpty {
            return ["validator exited with status \(process.terminationStatus)"]
        }
        return lines
    }
}

/// TestSupport's temporary folder.
typealias TemporaryDirectory = TemporaryFolder

/// Runs a command line tool and returns its stdout; throws on a non-zero exit (TestSupport's ``ProcessRunner``).
@discardableResult
func run(_ arguments: [String], in directory: URL? = nil) throws -> Data {
    try ProcessRunner.run(arguments, in: directory).stdout
}
