#!/usr/bin/env python3
"""Generate a signed npm registry and an installed project for `provcheck audit` / `npm audit signatures`.

usage: generate-audit-tree.py OUT_DIR [--count N] [--unsigned K] [--bad K] [--unknown-key K] [--key PEM]

Writes
  OUT_DIR/registry/npm/packuments/*.json and OUT_DIR/registry/npm/keys.json  (serve with `loopback-registry --fixtures`)
  OUT_DIR/project/{package.json,package-lock.json,node_modules/*/package.json}
The lockfile's `resolved` URLs use the placeholder host http://loopback.invalid/ (npm audit signatures and
provcheck audit both fetch packuments from --registry, not from `resolved`).
The signing key (EC P-256) is made with the openssl CLI unless --key names a PEM file; its keyid is the OpenSSH
SHA256 fingerprint, as npm's are. Signatures are ECDSA-SHA256 over "name@version:integrity".
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--unsigned", type=int, default=0)
    parser.add_argument("--bad", type=int, default=0)
    parser.add_argument("--unknown-key", type=int, default=0)
    parser.add_argument("--key")
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
        packument = {"_id": name, "name": name, "dist-tags": {"latest": version},
                     "versions": {version: {"name": name, "version": version, "_id": f"{name}@{version}", "dist": dist}},
                     "time": {"created": time, "modified": time, version: time}}
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
