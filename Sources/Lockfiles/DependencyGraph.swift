import Foundation

/// The dependency edges of an npm v2/v3 lockfile, for `--workspace`: which installed packages a workspace needs.
///
/// Names resolve the way Node and npm's arborist do: from a package's folder up through every parent folder's
/// `node_modules`; a link (`link: true`) continues at its target folder.
public struct DependencyGraph: Hashable, Sendable {
    /// One lockfile entry's edges.
    public struct Node: Hashable, Sendable {
        /// Names of `dependencies`, `optionalDependencies`, `peerDependencies` (and `devDependencies` for the root
        /// and workspace folders, whose dev dependencies are installed).
        public var dependencies: [String]
        /// The target folder of a link entry.
        public var linkTarget: String?
        /// The `name` field, if any.
        public var name: String?

        /// Creates a node.
        public init(dependencies: [String], linkTarget: String? = nil, name: String? = nil) {
            self.dependencies = dependencies
            self.linkTarget = linkTarget
            self.name = name
        }
    }

    /// Every entry by location (`""` is the root project).
    public var nodes: [String: Node]

    /// Creates a graph.
    public init(nodes: [String: Node]) { self.nodes = nodes }

    /// The workspace folders (entries outside `node_modules`, other than the root).
    public var workspaceFolders: [String] {
        nodes.keys.filter { !$0.isEmpty && !$0.hasPrefix("node_modules/") && !$0.contains("/node_modules/") }.sorted()
    }

    /// The folder of the workspace named `selector` (its package name or its folder path).
    public func workspaceFolder(_ selector: String) -> String? {
        var trimmed = selector
        while trimmed.hasPrefix("./") { trimmed.removeFirst(2) }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return workspaceFolders.first { $0 == trimmed || nodes[$0]?.name == selector }
    }

    /// Where `name` resolves from the folder `location`, or `nil` when it is not installed.
    public func resolve(_ name: String, from location: String) -> String? {
        var folder = location
        while true {
            let candidate = (folder.isEmpty ? "" : folder + "/") + "node_modules/" + name
            if !folder.hasSuffix("node_modules"), nodes[candidate] != nil { return candidate }
            if folder.isEmpty { return nil }
            if let slash = folder.lastIndex(of: "/") { folder = String(folder[..<slash]) } else { folder = "" }
        }
    }

    /// Every location reachable from `start` (the starting folders included).
    public func reachable(from start: [String]) -> Set<String> {
        var seen = Set<String>()
        var queue = start
        while let location = queue.popLast() {
            guard seen.insert(location).inserted, let node = nodes[location] else { continue }
            if let target = node.linkTarget { queue.append(target) }
            for dependency in node.dependencies {
                if let resolved = resolve(dependency, from: location) { queue.append(resolved) }
            }
        }
        return seen
    }
}
