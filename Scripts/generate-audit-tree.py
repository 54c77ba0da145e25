#!/usr/bin/env python3
"""Generate a signed npm registry and an installed project for `provcheck audit` / `npm audit signatures`.

usage: generate-audit-tree.py OUT_DIR [--count N] [--unsigned K] [--bad K] [--unknown-key K] [--key PEM]
                               [--history N] [--readme BYTES]

Writes
  OUT_DIR/registry/npm/packuments/*.json and OUT_DIR/registry/npm/keys.json  (serve with `loopback-registry --fixtures`)
  OUT_DIR/project/{package.json,package-lock.json,node_modules/*/package.json}
The lockfile's `resolved` URLs use the placeholder host http://loopback.invalid/ (npm audit signatures and
provcheck audit both fetch packuments from --registry, not from `resolved`).
The signing key (EC P-256) is made with the openssl CLI unless --key names a PEM file; its keyid is the OpenSSH
SHA256 fingerprint, as npm's are. Signatures are ECDSA-SHA256 over "name@version:integrity".

Real-sized packuments: --history N gives every package N earlier versions (0.1.0 ... 0.N.0, signed, published a day
apart, before the installed 1.0.0) and every version the fields a real full manifest has (description, keywords,
scripts, dependencies, maintainers, _npmUser, repository, gitHead, ...); --readme BYTES adds a top-level `readme` of
that size. The registry (loopback-registry) serves the abbreviated twin of each packument when asked with
`Accept: application/vnd.npm.install-v1+json`.
"""
import argparse, base64, hashlib, json, os, subprocess, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def load_key(path):
    if path is None:
        pem = subprocess.run("openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt",
                             shell=True, check=True, capture_output=True).stdout
    else:
        pem = open(path, "rb").read()
    return serialization.load_pem_private_key(pem, password=None)


def keyid(public_key):
    blob = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    return "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(blob)).digest()).decode().rstrip("=")


def spki_b64(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


WORDS = ("stream parse buffer async promise config module plugin render cache token schema router logger "
         "format encode decode request response socket event emitter path glob watch build bundle test").split()


def words(seed, count):
    return " ".join(WORDS[(seed * 7 + k * 13) % len(WORDS)] for k in range(count))


def full_manifest(name, version, dist, index, step):
    """A full version manifest with the fields npm's registry stores (sizes like a mid-sized real package)."""
    deps = {f"dep-{(index + k) % 997:03d}": f"^{1 + k % 5}.{k % 10}.0" for k in range(3)}
    dev = {f"devdep-{(index + k) % 991:03d}": f"^{2 + k % 7}.{k % 4}.{k % 3}" for k in range(4)}
    repo = f"git+https://github.com/bench/{name.split('/')[-1]}.git"
    user = {"name": f"maintainer{index % 37}", "email": f"maintainer{index % 37}@example.com"}
    return {
        "name": name, "version": version, "description": words(index + step, 40),
        "keywords": words(index * 3 + step, 8).split(), "license": "MIT", "main": "index.js", "types": "index.d.ts",
        "author": user, "homepage": f"https://github.com/bench/{name.split('/')[-1]}#readme",
        "repository": {"type": "git", "url": repo}, "bugs": {"url": f"https://github.com/bench/{name.split('/')[-1]}/issues"},
        "scripts": {"test": "node --test test/", "lint": "eslint .", "build": "tsc -p tsconfig.json",
                    "prepublishOnly": "npm run build && npm test"},
        "dependencies": deps, "devDependencies": dev, "engines": {"node": ">=18"},
        "files": ["index.js", "index.d.ts", "lib/", "LICENSE", "README.md"],
        "gitHead": hashlib.sha1(f"{name}@{version}".encode()).hexdigest(),
        "_id": f"{name}@{version}", "_nodeVersion": "20.11.1", "_npmVersion": "10.2.4", "_npmUser": user,
        "maintainers": [user, {"name": "bench-bot", "email": "bot@example.com"}],
        "contributors": [{"name": f"contributor{(index + k) % 101}", "email": f"c{(index + k) % 101}@example.com",
                          "url": f"https://example.com/~c{(index + k) % 101}"} for k in range(12)],
        "funding": {"type": "github", "url": "https://github.com/sponsors/bench"},
        "directories": {}, "_hasShrinkwrap": False,
        "_npmOperationalInternal": {"host": "s3://npm-registry-packages", "tmp": f"tmp/{name.split('/')[-1]}_{version}_{1700000000 + step}"},
        "dist": dist,
    }


def realistic_packument(name, version, dist, time, history, readme, key, kid, base, index):
    basename = name.split("/")[-1]
    versions, times = {}, {}
    for step in range(1, history + 1):
        old = f"0.{step}.0"
        tarball = f"tarball of {name}@{old}\n".encode()
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        old_dist = {"integrity": integrity, "shasum": hashlib.sha1(tarball).hexdigest(),
                    "tarball": f"{base}{name}/-/{basename}-{old}.tgz", "fileCount": 9 + step % 5,
                    "unpackedSize": 20000 + 137 * step,
                    "signatures": [{"keyid": kid, "sig": base64.b64encode(key.sign(f"{name}@{old}:{integrity}".encode(), ec.ECDSA(hashes.SHA256()))).decode()}]}
        versions[old] = full_manifest(name, old, old_dist, index, step)
        times[old] = f"2024-{1 + step // 28 % 12:02d}-{1 + step % 28:02d}T00:00:00.000Z"
    dist = dict(dist, fileCount=14, unpackedSize=26000)
    versions[version] = full_manifest(name, version, dist, index, history + 1)
    times.update({"created": "2024-01-01T00:00:00.000Z", "modified": time, version: time})
    text = ""
    if readme > 0:
        paragraph = f"# {name}\n\n" + words(index, 60) + "\n\n```js\nconst x = require('" + name + "')\n```\n\n"
        text = (paragraph * (readme // len(paragraph) + 1))[:readme]
    packument = {"_id": name, "_rev": f"{history + 1}-{hashlib.md5(name.encode()).hexdigest()}", "name": name,
                 "description": words(index, 14), "dist-tags": {"latest": version}, "versions": versions, "time": times,
                 "maintainers": versions[version]["maintainers"], "author": versions[version]["author"],
                 "repository": versions[version]["repository"], "homepage": versions[version]["homepage"],
                 "bugs": versions[version]["bugs"], "license": "MIT", "keywords": versions[version]["keywords"],
                 "readme": text, "readmeFilename": "README.md" if readme else ""}
    return packument


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--unsigned", type=int, default=0)
    parser.add_argument("--bad", type=int, default=0)
    parser.add_argument("--unknown-key", type=int, default=0)
    parser.add_argument("--key")
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--readme", type=int, default=0)
    args = parser.parse_args()

    key = load_key(args.key)
    other = ec.generate_private_key(ec.SECP256R1())
    kid, other_kid = keyid(key.public_key()), keyid(other.public_key())

    registry = os.path.join(args.out, "registry", "npm")
    packuments = os.path.join(registry, "packuments")
    project = os.path.join(args.out, "project")
    os.makedirs(packuments, exist_ok=True)
    os.makedirs(os.path.join(project, "node_modules"), exist_ok=True)
    with open(os.path.join(registry, "keys.json"), "w") as f:
        json.dump({"keys": [{"expires": None, "keyid": kid, "keytype": "ecdsa-sha2-nistp256",
                             "scheme": "ecdsa-sha2-nistp256", "key": spki_b64(key.public_key())}]}, f)

    base = "http://loopback.invalid/"
    dependencies, lock_packages = {}, {}
    for i in range(args.count):
        # A few scoped packages too.
        name = f"@bench/pkg-{i:05d}" if i % 50 == 7 else f"pkg-{i:05d}"
        version = "1.0.0"
        tarball = f"tarball of {name}@{version}\n".encode()
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        basename = name.split("/")[-1]
        url = f"{base}{name}/-/{basename}-{version}.tgz"
        message = f"{name}@{version}:{integrity}".encode()
        dist = {"integrity": integrity, "shasum": hashlib.sha1(tarball).hexdigest(), "tarball": url}
        kind = "valid"
        if i < args.unsigned:
            kind = "unsigned"
        elif i < args.unsigned + args.bad:
            kind = "bad"
        elif i < args.unsigned + args.bad + args.unknown_key:
            kind = "unknown"
        if kind == "valid":
            dist["signatures"] = [{"keyid": kid, "sig": base64.b64encode(key.sign(message, ec.ECDSA(hashes.SHA256()))).decode()}]
        elif kind == "bad":
            dist["signatures"] = [{"keyid": kid, "sig": base64.b64encode(key.sign(message + b"x", ec.ECDSA(hashes.SHA256()))).decode()}]
        elif kind == "unknown":
            dist["signatures"] = [{"keyid": other_kid, "sig": base64.b64encode(other.sign(message, ec.ECDSA(hashes.SHA256()))).decode()}]
        time = "2025-06-01T00:00:00.000Z"
        if args.history == 0 and args.readme == 0:
            packument = {"_id": name, "name": name, "dist-tags": {"latest": version},
                         "versions": {version: {"name": name, "version": version, "_id": f"{name}@{version}", "dist": dist}},
                         "time": {"created": time, "modified": time, version: time}}
        else:
            packument = realistic_packument(name, version, dist, time, args.history, args.readme, key, kid, base, i)
        with open(os.path.join(packuments, name.replace("/", "+") + ".json"), "w") as f:
            json.dump(packument, f)
        dependencies[name] = version
        lock_packages[f"node_modules/{name}"] = {"version": version, "resolved": url, "integrity": integrity}
        folder = os.path.join(project, "node_modules", name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "package.json"), "w") as f:
            json.dump({"name": name, "version": version}, f)

    manifest = {"name": "bench-project", "version": "1.0.0", "dependencies": dependencies}
    with open(os.path.join(project, "package.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    lock = {"name": "bench-project", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
            "packages": {"": manifest, **lock_packages}}
    with open(os.path.join(project, "package-lock.json"), "w") as f:
        json.dump(lock, f, indent=2)
    # The hidden lockfile npm writes on install: lets npm read the tree the way an installed project has it.
    hidden = {"name": "bench-project", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": lock_packages}
    with open(os.path.join(project, "node_modules", ".package-lock.json"), "w") as f:
        json.dump(hidden, f, indent=2)


if __name__ == "__main__":
    main()
