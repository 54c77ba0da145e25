#!/usr/bin/env bash
# bench-audit.sh: `provcheck audit` vs `npm audit signatures` on the same generated project and registry.
#
#   Scripts/bench-audit.sh [N] [RUNS]        (defaults: N=1000 packages, RUNS=5)
#
# 1. builds provcheck and loopback-registry in release mode (SKIP_BUILD=1 to reuse .build/release);
# 2. generates a registry of N packages signed with a fresh EC P-256 key (openssl), 1% of them unsigned and 0.5%
#    with a bad signature, and a project with package-lock.json v3 and node_modules (Scripts/generate-audit-tree.py);
# 3. serves the registry with loopback-registry on 127.0.0.1;
# 4. runs `npm audit signatures` (with Scripts/npm-audit-offline-shim.js, npm's own cache folder kept warm between
#    runs) and `provcheck audit` (no cache) RUNS times each, alternating, on the same project and server;
# 5. prints the counts of both (they must agree), the median wall times and the ratio.
# BENCH_TLS=1 serves the registry over HTTPS (Fixtures/tls test CA; npm gets --cafile, provcheck npm_config_cafile).
set -euo pipefail
N="${1:-1000}"
RUNS="${2:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/provcheck-bench-audit.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && swift build -c release --product provcheck >/dev/null && swift build -c release --product loopback-registry >/dev/null)
fi
BIN="$ROOT/.build/release"

python3 "$ROOT/Scripts/generate-audit-tree.py" "$WORK/tree" --count "$N" --unsigned $((N / 100)) --bad $((N / 200))
TLS_ARGS=(); SCHEME=http
if [ "${BENCH_TLS:-0}" = "1" ]; then
  TLS_ARGS=(--tls-cert "$ROOT/Fixtures/tls/server.pem" --tls-key "$ROOT/Fixtures/tls/server.key"); SCHEME=https
fi
"$BIN/loopback-registry" --fixtures "$WORK/tree/registry/npm" --print-port "${TLS_ARGS[@]}" >"$WORK/port" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT="$(cat "$WORK/port")"
REGISTRY="$SCHEME://127.0.0.1:$PORT/"

python3 - "$WORK" "$REGISTRY" "$RUNS" "$BIN/provcheck" "$ROOT/Scripts/npm-audit-offline-shim.js" "$N" <<'PY'
import os, re, statistics, subprocess, sys, time
work, registry, runs, provcheck, shim, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
project = os.path.join(work, "tree", "project")
open(os.path.join(work, "npmrc"), "w").close()
npm_env = dict(os.environ, NODE_OPTIONS=f"--require {shim}", npm_config_userconfig=os.path.join(work, "npmrc"),
               npm_config_cache=os.path.join(work, "npm-cache"), npm_config_update_notifier="false", NO_COLOR="1")
pc_env = dict(os.environ, NO_COLOR="1")
if registry.startswith("https:"):
    ca = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(shim))), "Fixtures", "tls", "ca.pem")
    npm_env["npm_config_cafile"] = ca
    pc_env["npm_config_cafile"] = ca

def number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0

def counts(text):
    return {"audited": number(r"audited (\d+) packages?", text),
            "verified": number(r"(\d+) packages? ha(?:s|ve) (?:a )?verified registry signatures?", text),
            "missing": number(r"(\d+) packages? ha(?:s|ve) (?:a )?missing registry signature", text),
            "invalid": number(r"(\d+) packages? (?:ha(?:s|ve) (?:an )?invalid registry signatures?|failed a check)", text)}

def run(cmd, env):
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, p.returncode, p.stdout + p.stderr

npm_cmd = ["npm", "audit", "signatures", "--registry", registry]
pc_cmd = [provcheck, "audit", "--registry", registry, "."]
npm_times, pc_times = [], []
npm_counts = pc_counts = None
for i in range(runs):
    t, rc, out = run(npm_cmd, npm_env)
    npm_times.append(t); npm_counts = counts(out); npm_rc = rc
    t, rc, out = run(pc_cmd, pc_env)
    pc_times.append(t); pc_counts = counts(out); pc_rc = rc
    print(f"run {i + 1}: npm {npm_times[-1]:.3f}s  provcheck {pc_times[-1]:.3f}s", flush=True)
npm_median, pc_median = statistics.median(npm_times), statistics.median(pc_times)
print(f"\npackages: {n}   registry: loopback-registry (release) at {registry}")
print(f"npm audit signatures: counts {npm_counts}  exit {npm_rc}  median {npm_median:.3f}s")
print(f"provcheck audit:      counts {pc_counts}  exit {pc_rc}  median {pc_median:.3f}s")
print(f"same counts: {'yes' if npm_counts == pc_counts else 'NO'}")
print(f"ratio (npm / provcheck): {npm_median / pc_median:.1f}x")
sys.exit(0 if npm_counts == pc_counts else 1)
PY
