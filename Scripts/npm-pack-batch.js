#!/usr/bin/env node
// Packs many package folders with the installed npm's own pack code path (libnpmpack → pacote DirFetcher →
// npm-packlist → node-tar), i.e. what `npm pack --ignore-scripts` runs, without paying npm's CLI start-up per folder.
// Usage: node npm-pack-batch.js LIST_FILE [CONCURRENCY]
//   LIST_FILE: one absolute folder path per line. Writes <folder>.tgz, or <folder>.err with the error message.
'use strict'
const fs = require('fs')
const path = require('path')
const { execSync } = require('child_process')

const npmRoot = process.env.NPM_ROOT ||
  path.join(execSync('npm root -g', { encoding: 'utf8' }).trim(), 'npm')
const pack = require(path.join(npmRoot, 'node_modules', 'libnpmpack'))

const list = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)
const concurrency = Number(process.argv[3] || 4)

async function one (dir) {
  try {
    const tarball = await pack(`file:${dir}`, { ignoreScripts: true, dryRun: true, silent: true })
    fs.writeFileSync(dir + '.tgz', tarball)
  } catch (er) {
    fs.writeFileSync(dir + '.err', String(er && er.stack || er))
  }
}

async function main () {
  let next = 0
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < list.length) {
      const dir = list[next++]
      await one(dir)
    }
  })
  await Promise.all(workers)
}
main().catch(er => { console.error(er); process.exit(1) })
