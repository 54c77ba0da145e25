// Audit: `provcheck audit`, every package of a project's lockfile checked against its registry (docs/audit.md).
//
// `PackageAuditor` reads the lockfile (Lockfiles), fetches each package's packument once, verifies registry
// signatures with the keys of the package's own registry (`RegistryKeyring`) and provenance attestations (NPMTrust),
// checks the lockfile's integrity and the installed copy (`InstalledTree`) and, with `--rebuild`, runs the
// Verification pipeline per package (`AuditRebuild`). `AuditReport` holds the per-package outcomes in the shared
// verdict model, with counts, JSON and SARIF (Reports). The library never prints or exits.
//
// Depends on: Verification, Lockfiles, Configuration (policy files), Reports (SARIF). Used by: provcheck.
