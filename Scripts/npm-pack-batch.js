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

// Some npm versions throw asynchronously (an unhandled stream 'error' event, e.g. npm 11's tar on some hard links):
// record it as that folder's error instead of crashing the whole batch (meaningful with concurrency 1).
let failCurrent = null
process.on('uncaughtException', er => { if (failCurrent) failCurrent(er); else throw er })
// ...or never settle at all (the event loop drains): fail that folder and go on with the next.
process.on('beforeExit', () => { if (failCurrent) failCurrent(new Error('npm pack never settled (npm bug)')) })

function one (dir) {
  return new Promise(resolve => {
    let done = false
    const finish = (er, tarball) => {
      if (done) return
      done = true
      failCurrent = null
      if (er) fs.writeFileSync(dir + '.err', String(er && er.stack || er))
      else fs.writeFileSync(dir + '.tgz', tarball)
      resolve()
    }
    failCurrent = er => finish(er)
    pack(`file:${dir}`, { ignoreScripts: true, dryRun: true, silent: true })
      .then(tarball => finish(null, tarball), er => finish(er))
  })
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
