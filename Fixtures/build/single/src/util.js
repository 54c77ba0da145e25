'use strict'
module.exports.shout = (text) => String(text).toUpperCase()
