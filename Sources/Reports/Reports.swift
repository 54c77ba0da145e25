// Reports: the documents a verdict is written into for other tools (docs/verify.md, docs/json-schema.md).
//
// `SARIFLog` is SARIF 2.1.0 for GitHub code scanning (one rule per check id, one result per failed or skipped
// check); `VerificationSummary` is the SLSA Verification Summary Attestation (an in-toto statement about the
// verified tarball, naming the policy and its digest); `DSSEEnvelope.sign` signs such a statement with an EC key
// (the Sigstore module's envelope model and PAE). Reports read verdicts; they never change one.
//
// Depends on: Verification (verdicts, checks), Configuration (the policy a VSA names), Sigstore (DSSE), Digest.
// Used by: Audit, Watch, provcheck.
