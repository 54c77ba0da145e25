#!/usr/bin/env bash
# Serves the repository's npm fixtures as a registry on 127.0.0.1 so `npm` (or provcheck) can be pointed at it.
#
#   Scripts/loopback-registry.sh [--port N] [--fixtures DIR]                 # serve until Ctrl-C / SIGTERM
#   Scripts/loopback-registry.sh [--port N] [--fixtures DIR] --run CMD ARGS  # serve while CMD runs, then stop
#
# Builds the `loopback-registry` executable if needed and prints the registry URL on the first line of stdout
# (serve mode). With --run, CMD runs with npm_config_registry=<URL> in its environment (npm and provcheck both
# read it) and LOOPBACK_REGISTRY_URL=<URL>; the script exits with CMD's status. Examples:
#
#   npm view abbrev@3.0.0 dist.integrity --registry http://127.0.0.1:PORT/
#   npm pack abbrev@1.1.1 --registry http://127.0.0.1:PORT/      # downloads and integrity-checks the tarball
#   Scripts/loopback-registry.sh --run npm view ms@2.1.2 dist.integrity
#
# Served: /<name>, /@scope%2fname (and /@scope/name), /<name>/-/<file>.tgz, /-/npm/v1/keys,
# /-/npm/v1/attestations/<name>@<version>, and the /-/stage endpoints (empty for fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="Fixtures"
args=()
run=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fixtures) fixtures="$2"; shift 2 ;;
    --run) shift; run=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
binary=".build/debug/loopback-registry"
if [ ! -x "$binary" ] || [ -n "$(find Sources/LoopbackRegistry Sources/loopback-registry -newer "$binary" -print -quit)" ]; then
  swift build --product loopback-registry >&2
fi
if [ ${#run[@]} -eq 0 ]; then
  exec "$binary" --fixtures "$fixtures" ${args[@]+"${args[@]}"}
fi

output="$(mktemp)"
"$binary" --fixtures "$fixtures" ${args[@]+"${args[@]}"} > "$output" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$output"' EXIT
for _ in $(seq 1 100); do
  [ -s "$output" ] && break
  kill -0 "$server" 2>/dev/null || { echo "loopback-registry failed to start" >&2; exit 2; }
  sleep 0.05
done
url="$(head -n 1 "$output")"
[ -n "$url" ] || { echo "loopback-registry did not report its URL" >&2; exit 2; }
echo "loopback registry: $url" >&2
status=0
npm_config_registry="$url" LOOPBACK_REGISTRY_URL="$url" "${run[@]}" || status=$?
exit "$status"
