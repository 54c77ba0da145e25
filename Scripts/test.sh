#!/usr/bin/env bash
# Runs provcheck's test suite: installs missing system packages, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --build-tests "$@"
swift test --skip-build "$@"
