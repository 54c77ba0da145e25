// Verification: the one engine that reaches a verdict on an npm package version (docs/architecture.md).
//
// `VerificationPipeline` fetches the evidence once (packument, tarball, attestations, keys) and evaluates it in
// typed stages: integrity (`DistDigestRule`), archive, trust, source, rebuild, policy, verdict. Each stage sits
// behind a seam (`RegistryAccess`, `TrustVerifying`, `SourceOpening`, `Rebuilding`, ...) that `Adapters/` fills
// with the Registry, NPMTrust, Packing, Compare and Build modules (`VerificationPipeline.standard`). The composable
// policies (`PolicySet`, built from a Configuration `PolicyDocument`) and the verdict model (`Check`, `CheckID`,
// `Verdict`) live here too. `verify`, `audit --rebuild`, `watch`, `staged check` and `attestations` are
// configurations of this engine; the modules around it (Reports, Audit, Watch, Staged) never verify anything
// themselves. The library never prints or exits.
//
// Depends on: Configuration, JSON, Digest, Archive, Registry, Deflate, Packing, Compare, Sigstore, NPMTrust, Build.
// Used by: Reports, Audit, Watch, Staged, provcheck.
