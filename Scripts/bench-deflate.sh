#!/usr/bin/env bash
# Benchmarks provcheck's deflate engine (Sources/CDeflate) against the system zlib at level 9 on
# a ~10 MB tar, and prints the time ratio (goal: <= 2x). The stock-mode output is also checked to
# be byte-identical to zlib's. Usage: Scripts/bench-deflate.sh [TAR] [LEVEL] [RUNS]
# Without TAR, a deterministic ~10 MB npm-like tar (JS/JSON/Markdown text plus the fixture tars'
# files) is generated under a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I Sources/CDeflate/include -o "$tmp/bench" \
  Scripts/bench/bench-deflate.c Sources/CDeflate/cdeflate.c -lz -lpthread
tar_path=${1:-}
if [ -z "$tar_path" ]; then
  tar_path="$tmp/bench.tar"
  python3 - "$tar_path" Fixtures/npm/tarballs <<'PY'
import io, os, random, sys, tarfile
out, fixtures = sys.argv[1], sys.argv[2]
rng = random.Random(20261128)
members = []
for name in sorted(os.listdir(fixtures)):
    if name.endswith(".tgz"):
        with tarfile.open(os.path.join(fixtures, name), "r:gz") as t:
            for m in t.getmembers():
                if m.isfile():
                    members.append(t.extractfile(m).read())
words = ("function return const let var if else for while module exports require this new class "
         "extends import from export default async await try catch throw null undefined true false "
         "the of and to in is that package version license README options value").split()
def text(n):
    parts, size = [], 0
    while size < n:
        line = "  " * rng.randrange(4) + " ".join(rng.choice(words) for _ in range(rng.randrange(3, 12)))
        line += rng.choice([";", " {", " }", ",", ""]) + "\n"
        parts.append(line); size += len(line)
    return "".join(parts).encode()
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    total, i = 0, 0
    while total < 10_000_000:
        data = members[i % len(members)] if i % 3 == 0 and members else text(rng.randrange(200, 60000))
        info = tarfile.TarInfo(f"package/lib/file{i:05d}.js")
        info.size, info.mtime, info.mode = len(data), 499162500, 0o644
        t.addfile(info, io.BytesIO(data)); total += len(data) + 512; i += 1
PY
fi
"$tmp/bench" "$tar_path" "${2:-9}" "${3:-3}"
