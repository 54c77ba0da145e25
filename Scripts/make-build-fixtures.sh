#!/usr/bin/env bash
# Regenerates the committed parts of Fixtures/build (see Fixtures/README.md, "build/"):
#   Fixtures/build/fixture-banner-1.0.0.tgz   `npm pack` of Fixtures/build/fixture-banner (the devDependency)
#   Fixtures/build/single/package-lock.json   lockfileVersion 3 naming https://registry.npmjs.org/ URLs
#   Fixtures/build/monorepo/package-lock.json workspace root lockfile (packages/x linked, fixture-banner hoisted)
# The lockfiles are what `npm install` writes for these manifests (same keys and fields), with the integrity of the
# packed tarball. The published tarballs themselves are made by the tests at run time with a CI-like
# `npm ci && npm pack` against the loopback registry (Tests/BuildTests/BuildFixtures.swift).
set -euo pipefail
cd "$(dirname "$0")/../Fixtures/build"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R fixture-banner "$work/fixture-banner"
(cd "$work/fixture-banner" && npm pack --ignore-scripts --pack-destination "$work" >/dev/null)
cp "$work/fixture-banner-1.0.0.tgz" fixture-banner-1.0.0.tgz
node - <<'JS'
const fs = require('fs')
const crypto = require('crypto')
const tgz = fs.readFileSync('fixture-banner-1.0.0.tgz')
const integrity = 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64')
const banner = {
  version: '1.0.0',
  resolved: 'https://registry.npmjs.org/fixture-banner/-/fixture-banner-1.0.0.tgz',
  integrity,
  dev: true,
  license: 'MIT',
  bin: { 'fixture-banner': 'bin/banner.js' },
}
const write = (file, lock) => fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n')
const single = JSON.parse(fs.readFileSync('single/package.json', 'utf8'))
write('single/package-lock.json', {
  name: single.name, version: single.version, lockfileVersion: 3, requires: true,
  packages: {
    '': { name: single.name, version: single.version, license: single.license, devDependencies: single.devDependencies },
    'node_modules/fixture-banner': banner,
  },
})
const x = JSON.parse(fs.readFileSync('monorepo/packages/x/package.json', 'utf8'))
write('monorepo/package-lock.json', {
  name: 'fixture-monorepo', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'fixture-monorepo', workspaces: ['packages/*'] },
    'node_modules/@fixture/x': { resolved: 'packages/x', link: true },
    'node_modules/fixture-banner': banner,
    'packages/x': { name: x.name, version: x.version, license: x.license, devDependencies: x.devDependencies },
  },
})
JS
echo "make-build-fixtures: $(sha512sum fixture-banner-1.0.0.tgz | cut -c1-16)… fixture-banner-1.0.0.tgz; lockfiles written" >&2
