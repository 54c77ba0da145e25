#!/usr/bin/env bash
# Runs provcheck's test suite: installs missing system packages, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --build-tests "$@"
# swift-argument-parser's man page generator, used by Scripts/install.sh (and its test) when present.
swift build --product generate-manual "$@"
# Serial on purpose: several suites run real processes (npm, node, git, the provcheck binary) synchronously, which
# on a 2-core machine starves Swift's cooperative thread pool and turns the timing assertions of the network-fault
# tests (a 1 s client timeout must fire in under 3 s) into noise. Serial, the whole suite takes about 1.5 minutes.
swift test --skip-build --no-parallel "$@"
