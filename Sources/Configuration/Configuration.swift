// Configuration: provcheck's policy and configuration files, read before anything is verified (docs/policy.md).
//
// `TOML` is a strict TOML 1.0 reader that turns a document into the JSON the file parsers read, so a policy or a
// watch configuration means the same in either format (`ConfigurationFormat` picks one by extension, then by
// content). `PolicyDocument` is a policy file, parsed field by field with errors naming the file and the field;
// `RebuildOutcome`, `ProvenanceRequirement` and `RepositoryURL` are the words and URL rules it is written in. The
// Verification module turns a document into policies (`PolicyDocument.policy`). Nothing here touches the network.
//
// Depends on: JSON (the one parser, for duplicate keys and byte order marks), Digest (file reading, SHA-256).
// Used by: Verification, Reports, Audit, Watch, Staged, provcheck.
import Digest
import Foundation

/// SHA-256 as lowercase hex (the `Digest` module's OpenSSL EVP hashing): the digest of a policy file recorded in a
/// VSA, and of other documents provcheck names by content.
package enum SHA256Hex {
    /// The lowercase hex SHA-256 of `data`.
    package static func of(_ data: Data) -> String { DigestEncoding.hex(Hashing.sha256(data)) }
}
