#!/usr/bin/env node
// Lists tar archives with node-tar's Parser, as npm reads them (no extraction): the oracle of the node-tar
// differential fuzzer (Scripts/fuzz-node-tar.py). Usage: node node-tar-list.js TAR_MODULE_DIR FILE...
// Prints one JSON line per file: {"file", "entries": [{path, type, size, linkpath, ignored}], "warnings": [...]}.
'use strict'
const fs = require('fs')
const path = require('path')

const moduleDir = path.resolve(process.argv[2])
const candidates = [path.join(moduleDir, 'dist/commonjs/index.js'), path.join(moduleDir, 'index.js')]
const tar = require(candidates.find(f => fs.existsSync(f)))
const Parser = tar.Parser || tar.Parse

const typeName = {
  File: 'file', OldFile: 'file', ContiguousFile: 'contiguous-file', Link: 'hardlink', SymbolicLink: 'symlink',
  Directory: 'directory', GNUDumpDir: 'directory', CharacterDevice: 'character-device',
  BlockDevice: 'block-device', FIFO: 'fifo',
}

function list (file) {
  return new Promise(resolve => {
    const entries = []
    const warnings = []
    let settled = false
    const finish = () => { if (!settled) { settled = true; resolve({ file, entries, warnings }) } }
    const record = (entry, ignored) => {
      const size = entry.header && typeof entry.header.size === 'number' ? entry.header.size : entry.size
      entries.push({
        path: String(entry.path),
        type: typeName[entry.type] || String(entry.type),
        size: Number.isFinite(size) ? size : String(size),
        linkpath: entry.linkpath === undefined || entry.linkpath === null ? '' : String(entry.linkpath),
        ignored,
      })
    }
    let parser
    try {
      parser = new Parser({
        onwarn: (code, message) => warnings.push(code + ': ' + (message && message.message || message)),
      })
    } catch (e) { warnings.push('construct: ' + e.message); return finish() }
    // node-tar 6 takes `onentry`, 7 `onReadEntry`; both emit 'entry'.
    parser.on('entry', entry => { record(entry, false); entry.resume() })
    parser.on('ignoredEntry', entry => { if (!entry.meta) record(entry, true) })
    parser.on('end', finish)
    parser.on('close', finish)
    parser.on('error', e => { warnings.push('error: ' + e.message); finish() })
    try {
      parser.end(fs.readFileSync(file))
    } catch (e) {
      warnings.push('throw: ' + e.message)
      finish()
    }
    setTimeout(finish, 2000).unref()
  })
}

(async () => {
  for (const file of process.argv.slice(3)) {
    process.stdout.write(JSON.stringify(await list(file)) + '\n')
  }
})()
