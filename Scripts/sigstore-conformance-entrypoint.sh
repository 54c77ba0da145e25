#!/bin/sh
# Entry point for the sigstore-conformance suite (`--entrypoint`): the suite calls
# `ENTRYPOINT verify-bundle …`; provcheck implements that contract as `provcheck sigstore verify-bundle …`.
# PROVCHECK may point at the binary (default: provcheck on PATH, else .build/debug/provcheck).
set -eu
bin="${PROVCHECK:-}"
if [ -z "$bin" ]; then
    if command -v provcheck >/dev/null 2>&1; then bin=provcheck
    else bin="$(dirname "$0")/../.build/debug/provcheck"; fi
fi
exec "$bin" sigstore "$@"
