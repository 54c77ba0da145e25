#!/usr/bin/env bash
# Runs provcheck's libFuzzer harnesses (Fuzz/ package) one after the other.
#   Scripts/fuzz.sh [SECONDS] [HARNESS...]     default: 60 seconds each, every harness
# Harness names: gzip-tar sri packument keys bundle trusted-root certificate checkpoint canonical-json lockfile policy
# http-response node-tar
# (with or without the fuzz- prefix). Environment: FUZZ_SKIP_BUILD=1 reuses the last build; FUZZ_ARGS adds libFuzzer
# flags. `node-tar` is not a libFuzzer harness: it is the differential fuzzer against npm's tar reader
# (Scripts/fuzz-node-tar.py: generated hostile archives read by `provcheck archive-probe --list` and by node-tar 6 and 7;
# their entry lists must agree or provcheck must report an error); it builds the normal debug binary. Crashing inputs land in Fuzz/artifacts/<harness>/; logs in Fuzz/artifacts/<harness>.log; a summary line per
# harness (executions, exec/s, new corpus size, crashes) is printed at the end. Exit 1 if any harness found a crash.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
ALL=(gzip-tar sri packument keys bundle trusted-root certificate checkpoint canonical-json lockfile policy http-response
     node-tar)
if [ $# -gt 0 ]; then HARNESSES=("$@"); else HARNESSES=("${ALL[@]}"); fi

status=0
summary=()
# The node-tar differential fuzzer runs first and needs no libFuzzer build.
LIBFUZZER=()
for h in "${HARNESSES[@]}"; do
    if [ "${h#fuzz-}" = node-tar ]; then
        echo "== node-tar differential for ${SECONDS_EACH}s"
        [ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || swift build --product provcheck >/dev/null || exit 2
        [ -d .build/npm11-oracle ] || Scripts/install-npm11-oracle.sh >/dev/null 2>&1 || true
        mkdir -p Fuzz/artifacts
        log=Fuzz/artifacts/node-tar.log
        python3 Scripts/fuzz-node-tar.py "$SECONDS_EACH" > "$log" 2>&1
        rc=$?
        line="node-tar: $(tail -1 "$log"), exit $rc"
        echo "$line"
        summary+=("$line")
        [ "$rc" = 0 ] || status=1
    else
        LIBFUZZER+=("$h")
    fi
done
if [ ${#LIBFUZZER[@]} -eq 0 ]; then
    echo "== summary"
    printf '%s\n' "${summary[@]}"
    exit $status
fi
HARNESSES=("${LIBFUZZER[@]}")

BUILD_FLAGS=(-c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
             -Xswiftc -enable-testing)
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    [ -f Package.resolved ] && [ ! -f Fuzz/Package.resolved ] && cp Package.resolved Fuzz/Package.resolved
    swift build "${BUILD_FLAGS[@]}" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" || exit 2
fi
BIN=$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)
for h in "${HARNESSES[@]}"; do [ -d "Fuzz/corpus/fuzz-${h#fuzz-}" ] || { Scripts/fuzz-seed.sh; break; }; done

for h in "${HARNESSES[@]}"; do
    h=${h#fuzz-}
    exe="$BIN/fuzz-$h"
    [ -x "$exe" ] || { echo "no harness fuzz-$h" >&2; status=2; continue; }
    mkdir -p "Fuzz/corpus/fuzz-$h" "Fuzz/artifacts/fuzz-$h"
    before=$(ls "Fuzz/corpus/fuzz-$h" | wc -l)
    log="Fuzz/artifacts/fuzz-$h.log"
    echo "== fuzz-$h for ${SECONDS_EACH}s (corpus $before)"
    # Leak detection is off: the Swift runtime keeps metadata caches alive on purpose. rss_limit bounds memory use.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$exe" "Fuzz/corpus/fuzz-$h" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="Fuzz/artifacts/fuzz-$h/" ${FUZZ_ARGS:-} > "$log" 2>&1
    rc=$?
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    after=$(ls "Fuzz/corpus/fuzz-$h" | wc -l)
    crashes=$(ls "Fuzz/artifacts/fuzz-$h" | grep -cE '^(crash|timeout|oom|leak|slow-unit)-' || true)
    line="fuzz-$h: ${SECONDS_EACH}s, ${runs:-?} executions (${speed:-?}/s), corpus $before -> $after, artifacts $crashes, exit $rc"
    echo "$line"
    summary+=("$line")
    [ "$rc" = 0 ] || status=1
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
