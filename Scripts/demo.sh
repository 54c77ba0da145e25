#!/usr/bin/env bash
# The quick-start demo: `provcheck verify gundam-visor@1.0.1`, fully offline, against the bundled real release.
#
# A loopback registry (Scripts/loopback-registry.sh's server) serves the real registry tarball, the real npm
# publish attestation and SLSA provenance, and npm's real keys from Fixtures/; the source is the real upstream git
# repository with its tag (Fixtures/npm/sources/ramonpetgrave64+gundam-visor.bundle). The fixtures hold no real
# dist.signatures record for this version, so the registry also signs it with a demo key made here
# (Fixtures/demo/README.md); the verdict names that key. Extra arguments go to `provcheck verify`
# (e.g. --json, --sarif out.sarif, --vsa out.vsa.json).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
echo "demo: building provcheck (first build takes a few minutes)..." >&2
swift build --product provcheck >&2
swift build --product loopback-registry >&2
bin=$(swift build --show-bin-path)

port_file=$(mktemp)
"$bin/loopback-registry" --fixtures Fixtures --demo-signatures Fixtures/demo --print-port >"$port_file" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$port_file"' EXIT
for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(head -n1 "$port_file")
[ -n "$port" ] || { echo "demo: the loopback registry did not start" >&2; exit 2; }
echo "demo: loopback registry on http://127.0.0.1:$port/ serving Fixtures/" >&2

set +e
"$bin/provcheck" verify gundam-visor@1.0.1 \
  --registry "http://127.0.0.1:$port/" --offline \
  --source Fixtures/npm/sources/ramonpetgrave64+gundam-visor.bundle "$@"
status=$?
set -e
exit $status
