'use strict'
module.exports = () => require('./built-at.js')
