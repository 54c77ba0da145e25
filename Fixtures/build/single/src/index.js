'use strict'
// Greets someone.
module.exports = function greet (name) {
  return `hello, ${name}`
}
