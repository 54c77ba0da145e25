// Staged: `provcheck staged`, the check of an npm staged publish before a maintainer approves it (docs/staged.md).
//
// It downloads the staged tarball from the registry's stage endpoint, checks it against the stage item (shasum,
// name and version) and then runs it through the Verification pipeline as a tarball override: the same archive,
// trust, source, rebuild and policy stages as `verify`. `staged check --record` pins the tarball's sha512 in a watch
// state file, so a later `provcheck watch` notices a publish with another digest. The library never prints or exits.
//
// Depends on: Verification (pipeline, verdicts), Watch (the state file the pins go into).
// Used by: provcheck.
