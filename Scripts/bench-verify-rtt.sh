#!/usr/bin/env bash
# bench-verify-rtt.sh: how many round trips `provcheck verify` of one package costs. Serves Fixtures/ with
# loopback-registry (release) answering after 0 ms and after DELAY ms (also once per new connection), runs
# `provcheck verify SPEC --offline` (registry checks; --offline forbids clones, never the loopback registry) RUNS
# times each, and prints k = (median at DELAY - median at 0) / DELAY: the round trips spent waiting.
#
#   Scripts/bench-verify-rtt.sh [SPEC] [DELAY_MS] [RUNS]     (defaults gundam-visor@1.0.1 200 5)
set -euo pipefail
SPEC="${1:-gundam-visor@1.0.1}"; DELAY="${2:-200}"; RUNS="${3:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$ROOT" && swift build -c release --product provcheck >/dev/null && swift build -c release --product loopback-registry >/dev/null)
fi
python3 - "$ROOT" "$SPEC" "$DELAY" "$RUNS" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time, urllib.request
root, spec, delay, runs = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
bindir = os.path.join(root, ".build", "release")
medians = {}
for d in (0.0, delay):
    server = subprocess.Popen([os.path.join(bindir, "loopback-registry"), "--fixtures", os.path.join(root, "Fixtures"),
                               "--print-port", "--delay-ms", str(d)], stdout=subprocess.PIPE, text=True)
    port = server.stdout.readline().strip()
    times = []
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as cache:
                start = time.perf_counter()
                p = subprocess.run([os.path.join(bindir, "provcheck"), "verify", spec, "--registry",
                                    f"http://127.0.0.1:{port}/", "--offline", "--cache-dir", cache], capture_output=True)
                times.append(time.perf_counter() - start)
                if p.returncode not in (0, 1): sys.exit(f"verify failed:\n{p.stdout.decode()}{p.stderr.decode()}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/loopback/stats") as r: stats = json.load(r)
    finally:
        server.terminate(); server.wait()
    medians[d] = statistics.median(times)
    print(f"{d:g} ms: median {medians[d]:.3f} s over {runs} runs ({stats['requests'] // runs} requests, "
          f"{stats['connections'] // runs} connections a run)")
k = (medians[delay] - medians[0.0]) / (delay / 1000)
print(f"round trips waited: k = {k:.2f} (a connection's handshake counts as one)  load {os.getloadavg()[0]:.2f}")
PY
