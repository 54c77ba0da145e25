#!/usr/bin/env bash
# Serves the repository's npm fixtures as a registry on 127.0.0.1 so `npm` (or provcheck) can be pointed at it.
#
#   Scripts/loopback-registry.sh [--port N] [--fixtures DIR]     # default DIR: Fixtures/, default port: a free one
#
# Builds the `loopback-registry` executable if needed, prints the registry URL on the first line of stdout, and
# serves until interrupted (Ctrl-C / SIGTERM). Example, in another shell:
#
#   npm view abbrev@3.0.0 dist.integrity --registry http://127.0.0.1:PORT/
#   npm pack abbrev@1.1.1 --registry http://127.0.0.1:PORT/      # downloads and integrity-checks the tarball
#
# Served: /<name>, /@scope%2fname (and /@scope/name), /<name>/-/<file>.tgz, /-/npm/v1/keys,
# /-/npm/v1/attestations/<name>@<version>, and the /-/stage endpoints (empty for fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="Fixtures"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fixtures) fixtures="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
binary=".build/debug/loopback-registry"
if [ ! -x "$binary" ] || [ -n "$(find Sources/LoopbackRegistry Sources/loopback-registry -newer "$binary" -print -quit)" ]; then
  swift build --product loopback-registry >&2
fi
exec "$binary" --fixtures "$fixtures" ${args[@]+"${args[@]}"}
