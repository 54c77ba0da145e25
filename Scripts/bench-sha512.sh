#!/usr/bin/env bash
# SHA-512 throughput of `provcheck hash` on a 1 GiB file, next to `openssl speed -evp sha512`, as a ratio (goal >= 0.9).
#
# Usage: Scripts/bench-sha512.sh [size-in-MiB (default 1024)] [runs (default 5)]
# Env:   PROVCHECK=/path/to/provcheck to use a given binary (default: build the debug product; the hashing time is
#        spent inside OpenSSL, so debug and release builds measure the same).
# Units: MB/s = 10^6 bytes per second, as `openssl speed` prints (its figures are in 1000s of bytes per second).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mib="${1:-1024}"
runs="${2:-5}"

if [[ -z "${PROVCHECK:-}" ]]; then
  swift build --product provcheck >/dev/null
  PROVCHECK="$(swift build --show-bin-path)/provcheck"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/provcheck-bench.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT
file="$workdir/big.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$file"
bytes="$(stat -c %s "$file")"

# Warm the page cache, then time each run; keep the best (least disturbed by other load) and the median.
"$PROVCHECK" hash --algorithm sha512 "$file" >/dev/null
times=()
for _ in $(seq "$runs"); do
  start="$(date +%s.%N)"
  "$PROVCHECK" hash --algorithm sha512 "$file" >/dev/null
  end="$(date +%s.%N)"
  times+=("$(echo "$end - $start" | bc -l)")
done
sorted="$(printf '%s\n' "${times[@]}" | sort -g)"
best="$(echo "$sorted" | head -1)"
median="$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")"
ours_best="$(echo "$bytes / $best / 1000000" | bc -l)"
ours_median="$(echo "$bytes / $median / 1000000" | bc -l)"

# openssl speed prints e.g. "sha512   ...   1144400.00k" for the 16384-byte column (1000s of bytes per second).
speed_line="$(openssl speed -evp sha512 -bytes 16384 -seconds 3 2>/dev/null | grep -E '^sha512' | tail -1)"
openssl_k="$(echo "$speed_line" | awk '{print $NF}' | tr -d 'k')"
openssl_mbs="$(echo "$openssl_k / 1000" | bc -l)"

printf 'file:            %d bytes (%d MiB), %d runs\n' "$bytes" "$size_mib" "$runs"
printf 'provcheck hash:  best %.3f s = %.1f MB/s, median %.3f s = %.1f MB/s (wall, incl. process start)\n' \
  "$best" "$ours_best" "$median" "$ours_median"
printf 'openssl speed:   %.1f MB/s (-evp sha512 -bytes 16384 -seconds 3)\n' "$openssl_mbs"
printf 'ratio (best):    %.3f   ratio (median): %.3f   goal >= 0.9\n' \
  "$(echo "$ours_best / $openssl_mbs" | bc -l)" "$(echo "$ours_median / $openssl_mbs" | bc -l)"
