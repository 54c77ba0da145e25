// Watch: `provcheck watch`, the daily monitor of a list of npm packages (docs/watch.md).
//
// It reads a watch configuration (JSON or TOML, through the Configuration module), compares each package's
// registry state with the state recorded on the previous run (versions, signatures, provenance, dist-tags, staged
// publishes), verifies new versions with the Verification pipeline, and writes findings (JSON, Markdown, SARIF via
// Reports) and the next state. Runs can be sharded and merged. The library never prints or exits; the provcheck
// executable renders the report.
//
// Depends on: Verification (pipeline, verdicts), Configuration (TOML, policy files), Reports (SARIF).
// Used by: Staged (records staged tarball pins in a watch state), provcheck.

