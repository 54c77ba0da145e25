#!/usr/bin/env bash
# Installs the system packages provcheck builds against (Debian/Ubuntu), only when missing.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail
need=()
for pkg in libssl-dev zlib1g-dev libarchive-dev pkg-config git; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
