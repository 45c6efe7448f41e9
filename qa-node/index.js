// Loads the native addon that `npm install` builds (`napi build --release`): qa-engine.node.
'use strict'

let native
try {
  native = require('./qa-engine.node')
} catch (e) {
  e.message =
    `qa-engine: cannot load the native addon qa-engine.node (${e.message}). ` +
    'It is built by the install script (needs a Rust toolchain): allow it with ' +
    '`npm install-scripts approve --all` and run `npm rebuild qa-engine`, ' +
    'or run `npm install` in the qa-node folder.'
  throw e
}

module.exports = native
module.exports.Engine = native.Engine
module.exports.Session = native.Session
