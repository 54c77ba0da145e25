// Lockfiles: reads a project's lockfile into one model, for `provcheck audit` (docs/audit.md).
//
// npm's package-lock.json and npm-shrinkwrap.json (lockfileVersion 1-3), yarn v1's yarn.lock and pnpm's
// pnpm-lock.yaml (read with Yams, as pnpm reads it with js-yaml) become a `Lockfile` of `LockedPackage`s with their
// source, integrity and dependency flags; `DependencyGraph` selects workspaces and follows Node's resolution. Errors
// name the file and the entry. Nothing here touches the network or verifies anything.
//
// Depends on: Digest (input files), JSON, Registry (names), Yams. Used by: Audit, provcheck.
