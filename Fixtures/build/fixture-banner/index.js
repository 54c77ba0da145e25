'use strict'
// Returns the banner comment a build puts on top of its output.
exports.banner = (name, version) => `/*! ${name} ${version} | built with fixture-banner */\n`
