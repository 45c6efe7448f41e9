// Loads the native addon that `npm install` builds (`napi build --release`): qa-engine.node.
'use strict'

const { types } = require('node:util')

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

// The fast path in. Reading a JavaScript value field by field through napi (the addon's
// strict walker, src/convert.rs) costs far more than scoring it, so `score`, `scoreMany`,
// `scoreManySettled` and `Session#push` first try to write the value as JSON text here, which
// the addon parses in one go. `encode` gives up (returns undefined) on anything the walker
// would refuse or could read differently — a lone surrogate, a non-finite number, an integer
// too large to be exact, a function, a symbol, a bigint, a Proxy, an external, deep nesting,
// too many values, an exception from a getter — and then the addon walks the value itself,
// exactly as without this path: the same result, the same typed error. (Getters of a value
// that falls back run twice.) Otherwise the text is what the walker reads: own enumerable
// string keys in their order, `undefined` properties left out, `undefined` array items as
// null, integers below 2^53 as integers, other numbers as their shortest text (which the addon
// reads back to the same double).

/** Deepest nesting taken here; below the walker's limit (128) and serde_json's (127). */
const MAX_DEPTH = 100
/** The walker's limit on the number of values in one argument. */
const MAX_NODES = 10_000_000
const TWO_53 = 2 ** 53
const GIVE_UP = Symbol('give up')
/** What JSON.stringify escapes in a well-formed string. */
const ESCAPED = /["\\\u0000-\u001f]/

/** JSON.stringify(s) for a well-formed string, quicker when nothing needs escaping. */
function quote(s) {
  return ESCAPED.test(s) ? JSON.stringify(s) : '"' + s + '"'
}

let nodes = 0

function item(v, depth) {
  if (++nodes > MAX_NODES) throw GIVE_UP
  switch (typeof v) {
    case 'string':
      if (!v.isWellFormed()) throw GIVE_UP
      return quote(v)
    case 'number':
      if (Number.isInteger(v)) {
        if (v > -TWO_53 && v < TWO_53) return '' + v
        throw GIVE_UP // the walker keeps it a double, serde_json would read an integer
      }
      // the shortest text that reads back as v (the addon reads it with a correctly
      // rounded parser)
      if (Number.isFinite(v)) return '' + v
      throw GIVE_UP
    case 'boolean':
      return v ? 'true' : 'false'
    case 'object': {
      if (v === null) return 'null'
      if (depth >= MAX_DEPTH || types.isProxy(v) || types.isExternal(v)) throw GIVE_UP
      if (Array.isArray(v)) {
        const n = v.length
        let out = '['
        for (let i = 0; i < n; i++) {
          if (i > 0) out += ','
          const x = v[i]
          if (x === undefined) {
            if (++nodes > MAX_NODES) throw GIVE_UP
            out += 'null'
          } else {
            out += item(x, depth + 1)
          }
        }
        return out + ']'
      }
      const keys = Object.keys(v)
      let out = '{'
      let first = true
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]
        if (!k.isWellFormed()) throw GIVE_UP
        const x = v[k]
        if (x === undefined) continue
        if (first) first = false
        else out += ','
        out += quote(k) + ':' + item(x, depth + 1)
      }
      return out + '}'
    }
    default: // undefined (at the top), function, symbol, bigint
      throw GIVE_UP
  }
}

/** `value` as the JSON text the walker would read it as, or undefined (then the walker reads it). */
function encode(value) {
  const outer = nodes // a getter may score another value meanwhile
  nodes = 0
  try {
    return item(value, 0)
  } catch {
    return undefined
  } finally {
    nodes = outer
  }
}

const { Engine, Session } = native

/** Takes the addon's method `name` off `cls.prototype` (it is internal). */
function take(cls, name) {
  const f = cls.prototype[name]
  if (typeof f !== 'function') throw new Error(`qa-engine: the native addon has no ${name}`)
  delete cls.prototype[name]
  return f
}

/** Replaces the method `name` of `cls.prototype` by `f`, keeping its attributes. */
function replace(cls, name, f) {
  const d = Object.getOwnPropertyDescriptor(cls.prototype, name)
  Object.defineProperty(cls.prototype, name, { ...d, value: f })
}

const scoreJson = take(Engine, '_scoreJson')
const scoreManyJson = take(Engine, '_scoreManyJson')
const pushJson = take(Session, '_pushJson')
const nativeScore = Engine.prototype.score
const nativeScoreMany = Engine.prototype.scoreMany
const nativeScoreManySettled = Engine.prototype.scoreManySettled
const nativePush = Session.prototype.push

/** The JSON text of the transcripts of `batch` up to the first one `encode` gives up on. */
function encodeBatch(batch) {
  const out = []
  if (!Array.isArray(batch) || types.isProxy(batch)) return out
  const n = batch.length
  for (let i = 0; i < n; i++) {
    let x
    try {
      x = batch[i]
    } catch {
      return out
    }
    const json = encode(x)
    if (json === undefined) return out
    out.push(json)
  }
  return out
}

replace(Engine, 'score', {
  score(transcript) {
    if (!(this instanceof Engine)) return nativeScore.call(this, transcript)
    const json = encode(transcript)
    return json === undefined
      ? nativeScore.call(this, transcript)
      : scoreJson.call(this, transcript, json)
  },
}.score)

replace(Engine, 'scoreMany', {
  scoreMany(transcripts) {
    if (!(this instanceof Engine)) return nativeScoreMany.call(this, transcripts)
    return scoreManyJson.call(this, transcripts, encodeBatch(transcripts), false)
  },
}.scoreMany)

replace(Engine, 'scoreManySettled', {
  scoreManySettled(transcripts) {
    if (!(this instanceof Engine)) return nativeScoreManySettled.call(this, transcripts)
    return scoreManyJson.call(this, transcripts, encodeBatch(transcripts), true)
  },
}.scoreManySettled)

replace(Session, 'push', {
  push(turn) {
    // a finished session throws before reading the turn
    if (!(this instanceof Session) || this.finished) return nativePush.call(this, turn)
    const json = encode(turn)
    return json === undefined ? nativePush.call(this, turn) : pushJson.call(this, turn, json)
  },
}.push)

module.exports = native
module.exports.Engine = Engine
module.exports.Session = Session
