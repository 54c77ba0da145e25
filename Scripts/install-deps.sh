#!/usr/bin/env bash
# Installs the system packages provcheck builds against (Debian/Ubuntu), only when missing.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail
need=()
# ca-certificates: the system trust store the HTTPS client verifies the registry against; python3: the memory-bound
# test measures the child process from a small Python parent, and the HTTP client is tested against Python's
# http.server; openssl: tests make throw-away keys and certificates (e.g. a certificate for another host); bubblewrap: the sandbox of `--build` (docs/build.md).
for pkg in libssl-dev zlib1g-dev libarchive-dev pkg-config git ca-certificates openssl bubblewrap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
