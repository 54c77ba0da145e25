#!/usr/bin/env bash
# Benchmark: `provcheck rebuild --worktree` (file list + tar + gzip + sha512) vs `npm pack --ignore-scripts`
# on the same tree, for a ~25-file package and a ~10 MB tree. Reports hyperfine medians and their ratio.
# Goals: >= 10x faster on the small package, >= 3x on the 10 MB tree.
# Usage: Scripts/bench-rebuild.sh [--runs N]   (needs hyperfine, node/npm, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=10
if [ "${1:-}" = "--runs" ]; then RUNS="$2"; fi

# Release build with the Swift runtime and Foundation linked statically: about 5 ms less start-up per run, which
# is a sixth of a small rebuild. (provcheck has its own HTTP client, so FoundationNetworking and libcurl are not linked.)
swift build -c release --product provcheck --static-swift-stdlib >/dev/null
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/provcheck"
NPM_MODULES="$(npm root -g)/npm/node_modules"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-rebuild.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" "$NPM_MODULES" <<'EOF'
import json, os, random, shutil, sys
root = sys.argv[1]
real_sources = sys.argv[2]
rng = random.Random(20261128)
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()
def text(n):
    out = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 14))) + ";\n"
        out.append(line); size += len(line)
    return "".join(out)[:n]
def write(base, rel, data, mode=0o644):
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f: f.write(data)
    os.chmod(path, mode)
# ~25-file package
small = os.path.join(root, "small")
write(small, "package.json", json.dumps({"name": "bench-small", "version": "1.0.0", "main": "lib/index.js",
      "bin": {"bench": "bin/cli.js"}, "files": ["lib", "bin"]}, indent=2))
write(small, "README.md", text(3000)); write(small, "LICENSE", text(1000))
write(small, "bin/cli.js", "#!/usr/bin/env node\n" + text(400), 0o755)
for i in range(22):
    write(small, f"lib/{rng.choice(['core','util','io'])}/mod{i}.js", text(rng.randint(200, 6000)))
write(small, ".gitignore", "node_modules\ncoverage\n"); write(small, "test/a.test.js", text(500))
# ~10 MB tree of real-world JavaScript/JSON/Markdown (the files of the installed npm's dependencies).
big = os.path.join(root, "big")
write(big, "package.json", json.dumps({"name": "bench-big", "version": "1.0.0"}, indent=2))
write(big, "README.md", text(5000))
total = 0; i = 0
# npm's dependencies hold about 5 MB of such files: take them twice (src/a, src/b) to reach ~10 MB.
for copy in ("a", "b"):
    for dirpath, dirnames, filenames in sorted(os.walk(real_sources)):
        dirnames.sort()
        for name in sorted(filenames):
            if total >= 10_000_000: break
            src = os.path.join(dirpath, name)
            if os.path.islink(src) or not name.endswith((".js", ".json", ".md", ".ts", ".cjs", ".mjs")): continue
            rel = os.path.relpath(src, real_sources).replace("node_modules", "nm")
            dst = os.path.join(big, "src", copy, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst); total += os.path.getsize(src); i += 1
print(f"small: 25 files; big: {i} files, {total} bytes", file=sys.stderr)
EOF

for tree in small big; do
  dir="$WORK/$tree"
  # Sanity: identical tar bytes.
  (cd "$dir" && npm pack --ignore-scripts --silent --pack-destination "$WORK" >/dev/null)
  "$BIN" rebuild "$dir" --worktree -o "$WORK/ours-$tree.tgz" >/dev/null
  if cmp -s <(gunzip -c "$WORK"/bench-"$tree"-1.0.0.tgz) <(gunzip -c "$WORK/ours-$tree.tgz"); then
    echo "$tree: tar bytes identical to npm pack"
  else
    echo "$tree: WARNING tar bytes differ from npm pack" >&2
  fi
  hyperfine -N --runs "$RUNS" --warmup 2 --export-json "$WORK/$tree.json" \
    -n provcheck "$BIN rebuild $dir --worktree -o $WORK/ours-$tree.tgz" \
    -n "npm pack" "npm pack $dir --ignore-scripts --silent --pack-destination $WORK" >/dev/null
  python3 - "$WORK/$tree.json" "$tree" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ours, npm = r["provcheck"]["median"], r["npm pack"]["median"]
goal = 10 if sys.argv[2] == "small" else 3
print(f"{sys.argv[2]}: provcheck median {ours*1000:.1f} ms, npm pack median {npm*1000:.1f} ms, "
      f"ratio {npm/ours:.1f}x (goal >= {goal}x: {'met' if npm/ours >= goal else 'NOT met'})")
cpu = lambda x: x["user"] + x["system"]
print(f"{sys.argv[2]}: CPU time (user+sys, mean) provcheck {cpu(r['provcheck'])*1000:.1f} ms, "
      f"npm pack {cpu(r['npm pack'])*1000:.1f} ms, ratio {cpu(r['npm pack'])/cpu(r['provcheck']):.1f}x")
EOF
done
