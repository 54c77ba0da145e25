#!/usr/bin/env bash
# bench-packument-parse.sh: what reading full packuments costs provcheck (the own JSON parser and the transfer),
# measured as wall and CPU time of `provcheck audit` on the same project with the abbreviated packuments (default)
# and with the full ones (an empty `--policy` makes the audit read the full documents).
#
#   Scripts/bench-packument-parse.sh [N] [RUNS] [HISTORY] [README]    (defaults 1000 5 40 100000: ~240 MB full)
# The registry (loopback-registry, release) answers at once on 127.0.0.1; SKIP_BUILD=1 reuses .build/release.
set -euo pipefail
N="${1:-1000}"; RUNS="${2:-5}"; HISTORY="${3:-40}"; README="${4:-100000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/provcheck-bench-parse.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && swift build -c release --product provcheck >/dev/null && swift build -c release --product loopback-registry >/dev/null)
fi
python3 "$ROOT/Scripts/generate-audit-tree.py" "$WORK/tree" --count "$N" --history "$HISTORY" --readme "$README"
echo '{}' > "$WORK/empty.policy.json"
python3 - "$WORK" "$ROOT/.build/release" "$RUNS" <<'PY'
import json, os, resource, statistics, subprocess, sys, time, urllib.request
work, bindir, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
server = subprocess.Popen([os.path.join(bindir, "loopback-registry"), "--fixtures", os.path.join(work, "tree/registry/npm"),
                           "--print-port"], stdout=subprocess.PIPE, text=True)
port = server.stdout.readline().strip()
registry = f"http://127.0.0.1:{port}/"
def sent():
    with urllib.request.urlopen(registry + "-/loopback/stats") as r: return json.load(r)["bytesSent"]
def measure(extra):
    before_usage, before_bytes = resource.getrusage(resource.RUSAGE_CHILDREN), sent()
    start = time.perf_counter()
    subprocess.run([os.path.join(bindir, "provcheck"), "audit", "--registry", registry, *extra, "."],
                   cwd=os.path.join(work, "tree/project"), capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before_usage.ru_utime) + (after.ru_stime - before_usage.ru_stime), sent() - before_bytes
try:
    rows = {}
    for label, extra in [("abbreviated", []), ("full", ["--policy", os.path.join(work, "empty.policy.json")])]:
        results = [measure(extra) for _ in range(runs)]
        rows[label] = tuple(statistics.median(r[i] for r in results) for i in range(3))
finally:
    server.terminate(); server.wait()
print(f"load average {os.getloadavg()[0]:.2f}; medians of {runs}")
print("| packuments | bytes | wall | CPU (user+sys) |")
print("|---|---|---|---|")
for label, (wall, cpu, size) in rows.items():
    print(f"| {label} | {size / 1e6:.1f} MB | {wall:.2f} s | {cpu:.2f} s |")
(aw, ac, ab), (fw, fc, fb) = rows["abbreviated"], rows["full"]
print(f"full minus abbreviated: {(fb - ab) / 1e6:.1f} MB more cost {fc - ac:.2f} s CPU ({(fb - ab) / 1e6 / max(fc - ac, 1e-9):.0f} MB per CPU second), {fw - aw:.2f} s wall")
PY
