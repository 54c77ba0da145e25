import JSON
import Registry

/// A JSON document as a plain Swift value, so tests can build and edit registry documents (packuments, attestation
/// responses, stage items) without `[String: Any]`: the `Registry` module's ``RawJSON`` (one parser and writer
/// for the client and the server).
public typealias JSONValue = RawJSON
