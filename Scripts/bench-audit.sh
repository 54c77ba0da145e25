#!/usr/bin/env bash
# bench-audit.sh: `provcheck audit` vs `npm audit signatures` on the same generated project and registry, with the
# registry as far away and as big as a real one.
#
#   Scripts/bench-audit.sh [N] [RUNS] [--delay-ms MS[,MS...]] [--mbps RATE] [--history K] [--readme BYTES]
#                          [--concurrency C]
#   defaults: N=1000 packages, RUNS=5, --delay-ms 0,20,50, no bandwidth limit, tiny packuments (one version)
#   e.g. real-sized documents 20/50 ms away:  Scripts/bench-audit.sh 1000 5 --delay-ms 0,20,50 --mbps 200 \
#                                                 --history 40 --readme 100000
#
# 1. builds provcheck and loopback-registry in release mode (SKIP_BUILD=1 to reuse .build/release);
# 2. generates a registry of N packages signed with a fresh EC P-256 key (openssl), 1% of them unsigned and 0.5%
#    with a bad signature, and a project with package-lock.json v3 and node_modules (Scripts/generate-audit-tree.py);
#    --history K gives every packument K earlier versions and real manifest fields, --readme BYTES a readme; the
#    registry serves each packument's abbreviated twin to requests with `Accept: application/vnd.npm.install-v1+json`;
# 3. for each delay, serves the registry with loopback-registry on 127.0.0.1 with `--delay-ms` (waited before every
#    answer and once per new connection) and `--mbps` (per connection): both tools talk to the same shaped server;
# 4. runs `npm audit signatures` (with Scripts/npm-audit-offline-shim.js, an empty npm cache each run) and
#    `provcheck audit` (no cache) RUNS times each, alternating; bytes sent by the server to each tool are read from
#    the registry's `/-/loopback/stats` around each run;
# 5. prints, per delay, the counts of both (they must agree in every run), the median wall times, the ratio and the
#    median bytes transferred, then the table. Exit status 1 when any run's counts differ.
# BENCH_NPM_CACHE=warm keeps npm's cache between runs (one untimed warm-up run per delay): npm then revalidates each
# packument with If-None-Match and the loopback registry answers 304 (npm's best case; provcheck still runs without a
# cache). Default: an empty npm cache every run, as on a fresh CI machine (both tools fetch every document).
# BENCH_TLS=1 serves the registry over HTTPS (Fixtures/tls test CA; npm gets --cafile, provcheck npm_config_cafile).
set -euo pipefail
N=1000; RUNS=5; DELAYS="0,20,50"; MBPS=""; HISTORY=0; README=0; CONCURRENCY=""
POSITIONAL=()
while [ $# -gt 0 ]; do
  case "$1" in
    --delay-ms) DELAYS="$2"; shift 2 ;;
    --mbps) MBPS="$2"; shift 2 ;;
    --history) HISTORY="$2"; shift 2 ;;
    --readme) README="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done
[ "${#POSITIONAL[@]}" -ge 1 ] && N="${POSITIONAL[0]}"
[ "${#POSITIONAL[@]}" -ge 2 ] && RUNS="${POSITIONAL[1]}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/provcheck-bench-audit.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && swift build -c release --product provcheck >/dev/null && swift build -c release --product loopback-registry >/dev/null)
fi
BIN="$ROOT/.build/release"

python3 "$ROOT/Scripts/generate-audit-tree.py" "$WORK/tree" --count "$N" --unsigned $((N / 100)) --bad $((N / 200)) \
  --history "$HISTORY" --readme "$README"

python3 - "$WORK" "$RUNS" "$BIN" "$ROOT" "$N" "$DELAYS" "$MBPS" "$HISTORY" "$README" "$CONCURRENCY" <<'PY'
import json, os, re, shutil, statistics, subprocess, sys, time, urllib.request
work, runs, bindir, root, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
delays = [float(d) for d in sys.argv[6].split(",") if d]
mbps, history, readme, concurrency = sys.argv[7], int(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
tls = os.environ.get("BENCH_TLS", "0") == "1"
project = os.path.join(work, "tree", "project")
shim = os.path.join(root, "Scripts", "npm-audit-offline-shim.js")
ca = os.path.join(root, "Fixtures", "tls", "ca.pem")
open(os.path.join(work, "npmrc"), "w").close()
npm_cache = os.path.join(work, "npm-cache")
npm_env = dict(os.environ, NODE_OPTIONS=f"--require {shim}", npm_config_userconfig=os.path.join(work, "npmrc"),
               npm_config_cache=npm_cache, npm_config_update_notifier="false", NO_COLOR="1")
pc_env = dict(os.environ, NO_COLOR="1")
if tls:
    npm_env["npm_config_cafile"] = ca
    pc_env["npm_config_cafile"] = ca
packuments = os.path.join(work, "tree", "registry", "npm", "packuments")
sizes = [os.path.getsize(os.path.join(packuments, f)) for f in os.listdir(packuments)]
doc_label = "tiny" if history == 0 and readme == 0 else f"{statistics.mean(sizes) / 1000:.0f} kB full ({history} earlier versions, {readme // 1000} kB readme)"

def number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0

def counts(text):
    return {"audited": number(r"audited (\d+) packages?", text),
            "verified": number(r"(\d+) packages? ha(?:s|ve) (?:a )?verified registry signatures?", text),
            "missing": number(r"(\d+) packages? ha(?:s|ve) (?:a )?missing registry signature", text),
            "invalid": number(r"(\d+) packages? (?:ha(?:s|ve) (?:an )?invalid registry signatures?|failed a check)", text)}

def start_server(delay):
    args = [os.path.join(bindir, "loopback-registry"), "--fixtures", os.path.join(work, "tree", "registry", "npm"),
            "--print-port", "--delay-ms", str(delay)]
    if mbps: args += ["--mbps", mbps]
    if tls: args += ["--tls-cert", os.path.join(root, "Fixtures/tls/server.pem"), "--tls-key", os.path.join(root, "Fixtures/tls/server.key")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "server.log"), "a"), text=True)
    port = proc.stdout.readline().strip()
    if not port:
        sys.exit("loopback-registry did not start; see " + os.path.join(work, "server.log"))
    return proc, port

def stats(port):
    # Plain HTTP only for the stats call when TLS is on would fail; use the same scheme with the test CA.
    import ssl
    scheme = "https" if tls else "http"
    context = ssl.create_default_context(cafile=ca) if tls else None
    with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/-/loopback/stats", context=context) as r:
        return json.load(r)

def run(cmd, env, port):
    before = stats(port)["bytesSent"]
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, p.returncode, p.stdout + p.stderr, stats(port)["bytesSent"] - before

rows, all_same = [], True
for delay in delays:
    proc, port = start_server(delay)
    registry = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    npm_cmd = ["npm", "audit", "signatures", "--registry", registry]
    pc_cmd = [os.path.join(bindir, "provcheck"), "audit", "--registry", registry, "."]
    if concurrency: pc_cmd[2:2] = ["--concurrency", concurrency]
    npm_t, pc_t, npm_b, pc_b = [], [], [], []
    warm = os.environ.get("BENCH_NPM_CACHE", "cold") == "warm"
    try:
        if warm:
            run(npm_cmd, npm_env, port)
        for i in range(runs):
            if not warm:
                shutil.rmtree(npm_cache, ignore_errors=True)
            t, npm_rc, out, b = run(npm_cmd, npm_env, port); npm_t.append(t); npm_b.append(b); npm_counts = counts(out)
            t, pc_rc, out, b = run(pc_cmd, pc_env, port); pc_t.append(t); pc_b.append(b); pc_counts = counts(out)
            same = npm_counts == pc_counts and npm_counts["audited"] == n
            all_same &= same
            print(f"{delay:g} ms run {i + 1}: npm {npm_t[-1]:.3f}s {npm_b[-1] / 1e6:.1f} MB  provcheck {pc_t[-1]:.3f}s "
                  f"{pc_b[-1] / 1e6:.1f} MB  counts {'equal' if same else 'DIFFER'} {pc_counts}", flush=True)
            if not same:
                print(f"  npm {npm_counts} exit {npm_rc} / provcheck {pc_counts} exit {pc_rc}", flush=True)
    finally:
        proc.terminate(); proc.wait()
    npm_m, pc_m = statistics.median(npm_t), statistics.median(pc_t)
    rows.append((delay, npm_m, pc_m, statistics.median(npm_b), statistics.median(pc_b)))

shape = f", {mbps} Mbit/s a connection" if mbps else ""
shape += ", npm cache warm (304s)" if os.environ.get("BENCH_NPM_CACHE", "cold") == "warm" else ", npm cache empty each run"
print(f"\npackages: {n}   runs: {runs} (medians)   packuments: {doc_label}{shape}   load: {os.getloadavg()[0]:.2f}")
print("| registry answers after | `npm audit signatures` | `provcheck audit` | ratio | bytes npm | bytes provcheck |")
print("|---|---|---|---|---|---|")
for delay, npm_m, pc_m, nb, pb in rows:
    print(f"| {delay:g} ms | {npm_m:.2f} s | {pc_m:.2f} s | {npm_m / pc_m:.1f}x | {nb / 1e6:.1f} MB | {pb / 1e6:.1f} MB |")
print(f"same counts in every run: {'yes' if all_same else 'NO'}")
sys.exit(0 if all_same else 1)
PY
