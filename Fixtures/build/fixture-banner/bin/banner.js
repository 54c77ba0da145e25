#!/usr/bin/env node
'use strict'
// fixture-banner <input> <output>: copies input to output with the banner of the package in the current folder.
const fs = require('fs')
const path = require('path')
const { banner } = require('..')
const [input, output] = process.argv.slice(2)
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'))
fs.mkdirSync(path.dirname(output), { recursive: true })
fs.writeFileSync(output, banner(pkg.name, pkg.version) + fs.readFileSync(input, 'utf8'))
