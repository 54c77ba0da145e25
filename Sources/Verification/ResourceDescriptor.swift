import Foundation

/// An in-toto ResourceDescriptor (`name`/`uri` and a digest set), as used by Statement subjects and VSA inputs.
public struct ResourceDescriptor: Codable, Hashable, Sendable {
    /// A name (for subjects: the package URL).
    public var name: String?
    /// A URI locating the resource.
    public var uri: String?
    /// Algorithm → lowercase hex digest.
    public var digest: [String: String]

    /// Makes a descriptor.
    public init(name: String? = nil, uri: String? = nil, digest: [String: String]) {
        self.name = name
        self.uri = uri
        self.digest = digest
    }
}
