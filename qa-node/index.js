// Loads the native addon: qa-engine.node, which `npm install` builds in a checkout (`napi build
// --release`, see install.js), or else the prebuilt qa-engine.<platform>-<arch>[-<abi>].node that
// a packed release carries (scripts/dist.sh; see platform.js), and adds the scoring methods,
// which convert here.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { types } = require('node:util')
const { triples, prebuilt } = require('./platform.js')

function loadNative() {
  const built = path.join(__dirname, 'qa-engine.node')
  const file = fs.existsSync(built) ? built : prebuilt(__dirname)
  if (file === null) {
    throw new Error(
      `qa-engine: no native addon: neither qa-engine.node nor a prebuilt qa-engine.${triples()[0]}.node ` +
        `is in ${__dirname}. This package carries prebuilt addons for the platforms it was packed on; ` +
        'elsewhere it is built from a checkout by the install script (needs a Rust toolchain): ' +
        'run `npm install` in the qa-node folder of a checkout.',
    )
  }
  try {
    return require(file)
  } catch (e) {
    e.message =
      `qa-engine: cannot load the native addon ${path.basename(file)} (${e.message}). ` +
      'In a checkout it is built by the install script (needs a Rust toolchain): allow it with ' +
      '`npm install-scripts approve --all` and run `npm rebuild qa-engine`, ' +
      'or run `npm install` in the qa-node folder.'
    throw e
  }
}

const native = loadNative()

// One conversion path. A transcript, a turn or a session meta is written here as JSON text
// with JSON.stringify, and the addon reads that text with the core's serde reader, which
// checks every field and names the field and turn of the first problem; reports come back as
// JSON text for JSON.parse. What JSON.stringify would silently change is refused instead,
// with its place (`check` below finds that something is wrong, `locate` then says where):
// a number that is not finite (NaN, ±Infinity would become null), a bigint, a function or a
// symbol (dropped, or null in an array), a lone surrogate (escaped, then unreadable), nesting
// deeper than the reader takes, a cycle. `undefined` properties are left out and `toJSON` is
// used, as JSON.stringify does. The engine's limits are checked while converting, before the
// expensive part: the number of turns and the size of each turn before the turns are written,
// `meta` while it is written (see `docs/node.md`).

const { Engine, Session } = native

/** Takes the addon's method `name` off `cls.prototype` (it is internal). */
function take(cls, name) {
  const f = cls.prototype[name]
  if (typeof f !== 'function') throw new Error(`qa-engine: the native addon has no ${name}`)
  delete cls.prototype[name]
  return f
}

/** Defines the method `f` on `cls.prototype`, as napi defines its own. */
function define(cls, f) {
  Object.defineProperty(cls.prototype, f.name, { value: f, writable: true, enumerable: false, configurable: true })
}

const nativeScore = take(Engine, '_score')
const nativeScoreBytes = take(Engine, '_scoreBytes')
const nativeSession = take(Engine, '_session')
const nativePush = take(Session, '_push')
const nativeFinish = take(Session, '_finish')

/** Takes the addon's internal function `name` off its exports. */
function internal(name) {
  const f = native[name]
  if (typeof f !== 'function') throw new Error(`qa-engine: the native addon has no ${name}`)
  delete native[name]
  return f
}

const transcriptError = internal('_transcriptError')
const batchOf = internal('_batch')
const batchAdd = internal('_batchAdd')
const batchAddBytes = internal('_batchAddBytes')
const batchSkip = internal('_batchSkip')
const batchRun = internal('_batchRun')
const batchNext = internal('_batchNext')

/** Deepest nesting the core's JSON reader (serde_json) takes: arrays and objects in all. */
const MAX_DEPTH = 127
/** Main-thread time a batch is converted for before it yields to the event loop. */
const SLICE_MS = 8

/** A value refused while converting: becomes a TranscriptError (`toError`). */
class Fault {
  constructor(kind, message, turn = null, field = null) {
    this.kind = kind
    this.message = message
    this.turn = turn
    this.field = field
  }
}

/** The TranscriptError of a fault (`index`: its place in a batch), built by the addon. */
function toError(fault, index = null) {
  return transcriptError(fault.kind, fault.message, fault.turn, fault.field, index)
}

function argType(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

/** What a value is, for messages: "a number", "an array", "null" … */
function describe(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  const t = typeof v
  return t === 'undefined' ? 'undefined' : (/^[aeiou]/.test(t) ? 'an ' : 'a ') + t
}

const NOT_JSON = Symbol('not JSON data')

/** JSON.stringify's replacer: refuses what JSON.stringify would change or drop silently. */
function check(key, value) {
  switch (typeof value) {
    case 'number':
      if (value - value !== 0) throw NOT_JSON // NaN, ±Infinity
      return value
    case 'function':
    case 'symbol':
    case 'bigint':
      throw NOT_JSON
    default:
      return value
  }
}

/** `check` that also stops once the text would be over `max` bytes (for `meta`). */
function bounded(max, field) {
  let left = max
  return function (key, value) {
    if (value === undefined) return value // left out
    if (!Array.isArray(this)) left -= key.length // a key takes at least as many bytes
    switch (typeof value) {
      case 'string':
        left -= value.length + 2
        break
      case 'number':
        if (value - value !== 0) throw NOT_JSON
        left -= 1
        break
      case 'function':
      case 'symbol':
      case 'bigint':
        throw NOT_JSON
      default:
        left -= 1
    }
    if (left < 0) throw tooLarge(field, max)
    return value
  }
}

/** The error of `meta` or a label over its limit (`value`: its text, when there is one yet). */
function tooLarge(field, max, value) {
  const what = field === 'meta' ? ' of JSON' : ''
  const message =
    value === undefined
      ? `\`${field}\` is over the limit of ${max} bytes${what}`
      : `\`${field}\` is ${sizeOf(value, max)}${what}, over the limit of ${max}`
  return new Fault('meta_too_large', message, null, field)
}

/** "N bytes" of UTF-8 for `s`, counted only when that is cheap, else "at least N bytes". */
function sizeOf(s, max) {
  return s.length <= 4 * max ? `${Buffer.byteLength(s, 'utf8')} bytes` : `at least ${s.length} bytes`
}

/** Whether `s` is over `max` bytes of UTF-8 (1 to 3 bytes per UTF-16 unit). */
function overBytes(s, max) {
  return s.length > max || (s.length * 3 > max && Buffer.byteLength(s, 'utf8') > max)
}

/** What JSON.stringify writes for an object: what its toJSON returns, a boxed primitive's value. */
function toJSON(v) {
  if (v === null || typeof v !== 'object') return v
  if (typeof v.toJSON === 'function') return v.toJSON('')
  return types.isBoxedPrimitive(v) ? v.valueOf() : v
}

/**
 * For a value that is not an object, where one is expected: JSON text of the same type, for
 * the core to refuse in its words ("… must be an object, found a number").
 */
function shapeOf(v) {
  switch (typeof v) {
    case 'undefined':
      return 'null'
    case 'string':
      return '""'
    case 'number':
      return '0'
    case 'boolean':
      return 'false'
    case 'object':
      return v === null ? 'null' : '[]'
    default:
      throw new Fault('wrong_type', `a transcript must be a JSON object, found ${describe(v)}`)
  }
}

/** The JSON text of a transcript (`turns` given) or of a session meta (`turns` refused by the addon). */
function encodeFields(t, lim) {
  t = toJSON(t)
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return shapeOf(t)
  const keys = Object.keys(t)
  // the turns' limits first: nothing is written for a transcript over them
  if (keys.includes('turns')) precheckTurns(t.turns, lim)
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const value = t[key]
    if (value === undefined) continue
    let text
    switch (key) {
      case 'meta':
        text = JSON.stringify(value, bounded(lim.maxMetaBytes, 'meta'))
        if (text !== undefined && overBytes(text, lim.maxMetaBytes)) {
          throw tooLarge('meta', lim.maxMetaBytes, text)
        }
        break
      case 'id':
      case 'agent':
      case 'channel':
        if (typeof value === 'string' && overBytes(value, lim.maxLabelBytes)) {
          throw tooLarge(key, lim.maxLabelBytes, value)
        }
        text = JSON.stringify(value, check)
        break
      default:
        text = JSON.stringify(value, check)
    }
    if (text === undefined) continue // a toJSON gave undefined
    if (out.length > 1) out += ','
    out += JSON.stringify(key) + ':' + text
  }
  return out + '}'
}

/**
 * The limits on turns, checked before they are written: their number, and the size of each
 * text and speaker and of all of them (in UTF-16 units here, which are never more than the
 * UTF-8 bytes the core counts; the core checks the bytes exactly afterwards).
 */
function precheckTurns(turns, lim) {
  if (!Array.isArray(turns)) return // the core says what is wrong
  const n = turns.length
  if (n > lim.maxTurns) {
    throw new Fault('too_many_turns', `the transcript has ${n} turns, over the limit of ${lim.maxTurns}`, null, 'turns')
  }
  let total = 0
  for (let i = 0; i < n; i++) {
    const turn = turns[i]
    if (turn === null || typeof turn !== 'object') continue
    total += turnSize(turn, i, lim)
    if (total > lim.maxTranscriptBytes) {
      throw new Fault(
        'transcript_too_large',
        `the transcript holds over ${lim.maxTranscriptBytes} bytes of text, over the limit of ${lim.maxTranscriptBytes}`,
      )
    }
  }
}

/** The size of a turn's speaker and text (UTF-16 units); refuses a turn over the limit. */
function turnSize(turn, index, lim) {
  const speaker = turn.speaker
  const text = turn.text
  let size = 0
  if (typeof text === 'string') {
    if (text.length > lim.maxTurnBytes) {
      throw new Fault('turn_too_long', `the text is ${sizeOf(text, lim.maxTurnBytes)}, over the limit of ${lim.maxTurnBytes}`, index, 'text')
    }
    size += text.length
  }
  if (typeof speaker === 'string') {
    if (speaker.length > lim.maxTurnBytes) {
      throw new Fault('turn_too_long', 'the speaker label is over the turn size limit', index, 'speaker')
    }
    size += speaker.length
  }
  return size
}

/** The JSON text of one turn pushed to a session. */
function encodeTurn(turn, index, lim) {
  turn = toJSON(turn)
  if (turn === null || typeof turn !== 'object' || Array.isArray(turn)) {
    if (typeof turn === 'function' || typeof turn === 'symbol' || typeof turn === 'bigint') {
      throw new Fault('wrong_type', `turn ${index} must be an object, found ${describe(turn)}`, index)
    }
    return shapeOf(turn)
  }
  turnSize(turn, index, lim)
  return JSON.stringify(turn, check)
}

/** What a converted value is, to name the turn and field of a problem in it. */
const TRANSCRIPT = { turn: undefined }
const META = { turn: null }
const turnReading = (turn) => ({ turn })

/**
 * Runs `encode` (which writes `value` as JSON text) and returns the text. A refused value
 * throws a Fault that names its place; an exception of a getter, a Proxy trap or a toJSON is
 * thrown as it is.
 */
function convert(value, reading, encode) {
  let text
  try {
    text = encode()
  } catch (e) {
    if (e instanceof Fault) throw e
    // NOT_JSON from `check`, TypeError for a cycle or a bigint, RangeError for deep nesting
    if (e === NOT_JSON || e instanceof TypeError || e instanceof RangeError) {
      const fault = locate(value, reading)
      if (fault) throw fault
      if (e === NOT_JSON) {
        throw new Fault('invalid_value', 'a value that is not JSON data (it changed while it was read)', reading.turn ?? null)
      }
    }
    throw e
  }
  // JSON.stringify escapes lone surrogates (only them, and control characters, as \u): the
  // core would not read them
  if (text.includes('\\ud')) {
    const fault = locate(value, reading)
    if (fault) throw fault
  }
  return text
}

/**
 * The first part of `root` that is not JSON data, as a Fault with its turn and field, or
 * null: a slow walk, run only once something was found wrong.
 */
function locate(root, reading) {
  const path = []
  let visits = 0
  const at = () => {
    if (path.length === 0) return 'the value'
    let s = ''
    for (const step of path) s += typeof step === 'number' ? `[${step}]` : s === '' ? step : '.' + step
    return '`' + s + '`'
  }
  const fault = (kind, message) => {
    let turn = null
    let field = null
    const key = (i) => (typeof path[i] === 'string' ? path[i] : null)
    if (reading === TRANSCRIPT && path[0] === 'turns' && typeof path[1] === 'number') {
      turn = path[1]
      field = key(2)
    } else {
      turn = reading.turn ?? null
      field = key(0)
    }
    return new Fault(kind, message, turn, field)
  }
  function walk(v, key, depth) {
    if (++visits > 10_000_000) return null
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint') && typeof v.toJSON === 'function') {
      v = v.toJSON(key)
    }
    switch (typeof v) {
      case 'number':
        return Number.isFinite(v) ? null : fault('invalid_value', `${at()} must be a finite number, found ${v}`)
      case 'string':
        return v.isWellFormed() ? null : fault('invalid_value', `${at()} is not valid Unicode: ${loneSurrogate(v)}`)
      case 'bigint':
      case 'function':
      case 'symbol':
        return fault('wrong_type', `${at()} must be a JSON value, found ${describe(v)}`)
      case 'object': {
        if (v === null) return null
        if (depth >= MAX_DEPTH) {
          return fault('too_deep', `${at()} is nested deeper than ${MAX_DEPTH} levels (or refers to itself)`)
        }
        if (Array.isArray(v)) {
          for (let i = 0, n = v.length; i < n; i++) {
            path.push(i)
            const f = walk(v[i], String(i), depth + 1)
            path.pop()
            if (f) return f
          }
          return null
        }
        for (const k of Object.keys(v)) {
          if (!k.isWellFormed()) {
            return fault('invalid_value', `a key of ${at()} is not valid Unicode: ${loneSurrogate(k)}`)
          }
          const x = v[k]
          if (x === undefined) continue
          path.push(k)
          const f = walk(x, k, depth + 1)
          path.pop()
          if (f) return f
        }
        return null
      }
      default:
        return null
    }
  }
  return walk(root, '', 0)
}

/** "a lone surrogate 0xd800 at UTF-16 offset 3" for the first one in `s`. */
function loneSurrogate(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
    } else if (c < 0xdc00 || c > 0xdfff) continue
    return `a lone surrogate 0x${c.toString(16)} at UTF-16 offset ${i}`
  }
  return 'a lone surrogate'
}

/** The error of JSON text given as a string with a lone surrogate. */
function notUnicode(s) {
  return new Fault('syntax', `invalid JSON: the text is not valid Unicode: ${loneSurrogate(s)}`)
}

/**
 * The core finds nesting too deep while reading the text, where it cannot name the field:
 * find it in the value (when the value is still there to read).
 */
function relocated(error, value, reading, index = null) {
  if (!(error instanceof Error) || error.kind !== 'too_deep' || error.field !== null) return error
  if (value === null || typeof value !== 'object' || types.isUint8Array(value)) return error
  try {
    const fault = locate(value, reading)
    return fault ? toError(fault, index) : error
  } catch {
    return error
  }
}

/** `engine.limits`, read once per engine. */
const limitsOf = new WeakMap()
function limits(engine) {
  if (!(engine instanceof Engine)) throw new TypeError('Illegal invocation: not an Engine')
  let l = limitsOf.get(engine)
  if (l === undefined) {
    l = engine.limits
    limitsOf.set(engine, l)
  }
  return l
}

/** A Buffer over the bytes of a Uint8Array (no copy). */
function asBuffer(bytes) {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

define(Engine, function score(transcript) {
  let text
  try {
    text = convert(transcript, TRANSCRIPT, () => encodeFields(transcript, limits(this)))
  } catch (e) {
    throw e instanceof Fault ? toError(e) : e
  }
  try {
    return JSON.parse(nativeScore.call(this, text))
  } catch (e) {
    throw relocated(e, transcript, TRANSCRIPT)
  }
})

define(Engine, function scoreJson(json) {
  if (typeof json === 'string') {
    if (!json.isWellFormed()) throw toError(notUnicode(json))
    return JSON.parse(nativeScore.call(this, json))
  }
  if (types.isUint8Array(json)) return JSON.parse(nativeScoreBytes.call(this, asBuffer(json)))
  throw argType(`scoreJson takes JSON text, a string or a Buffer, found ${describe(json)}`)
})

/** `list[i]`, or undefined when reading it throws. */
function itemAt(list, i) {
  try {
    return list[i]
  } catch {
    return undefined
  }
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

/**
 * scoreMany (`settle` false) and scoreManySettled (true). The batch is converted on the main
 * thread in slices of about SLICE_MS, yielding to the event loop between them, handed to the
 * addon one transcript at a time, scored on the libuv thread pool, and its reports are taken
 * back one chunk per turn of the event loop. Every exception rejects the promise.
 */
async function scoreBatch(engine, transcripts, settle) {
  const name = settle ? 'scoreManySettled' : 'scoreMany'
  if (!Array.isArray(transcripts)) {
    throw argType(`${name} takes an array of transcripts, found ${describe(transcripts)}`)
  }
  const lim = limits(engine)
  const batch = batchOf(engine)
  const n = transcripts.length
  const refused = new Map() // index → TranscriptError, for the transcripts refused here
  let slice = performance.now()
  for (let i = 0; i < n; i++) {
    const item = transcripts[i]
    try {
      if (typeof item === 'string') {
        if (!item.isWellFormed()) throw notUnicode(item)
        batchAdd(batch, item)
      } else if (types.isUint8Array(item)) {
        batchAddBytes(batch, asBuffer(item))
      } else {
        batchAdd(batch, convert(item, TRANSCRIPT, () => encodeFields(item, lim)))
      }
    } catch (e) {
      if (!(e instanceof Fault)) throw e
      refused.set(i, toError(e, i))
      batchSkip(batch)
      // the batch rejects with this error, or with the error of an earlier transcript
      if (!settle) break
    }
    if ((i & 7) === 7 && performance.now() - slice > SLICE_MS) {
      await yieldToLoop()
      slice = performance.now()
    }
  }
  try {
    await batchRun(batch, settle)
  } catch (e) {
    let value
    try {
      value = transcripts[e?.index]
    } catch {
      throw e
    }
    throw relocated(e, value, TRANSCRIPT, e?.index)
  }
  if (!settle && refused.size > 0) throw refused.values().next().value
  const out = []
  for (;;) {
    const chunk = batchNext(batch)
    if (chunk === null) break
    for (let k = 0; k < chunk.length; k++) {
      const i = out.length
      let r = chunk[k]
      if (r === null) r = refused.get(i)
      else if (r instanceof Error && r.kind === 'too_deep') r = relocated(r, itemAt(transcripts, i), TRANSCRIPT, i)
      out.push(r)
    }
    if (out.length < n) await yieldToLoop()
  }
  return out
}

define(Engine, function scoreMany(transcripts) {
  return scoreBatch(this, transcripts, false)
})

define(Engine, function scoreManySettled(transcripts) {
  return scoreBatch(this, transcripts, true)
})

const sessionLimits = new WeakMap()

define(Engine, function session(meta) {
  let text = null
  if (typeof meta === 'function' || typeof meta === 'symbol' || typeof meta === 'bigint') {
    throw argType(`the session meta must be an object, found ${describe(meta)}`)
  }
  if (meta !== undefined && meta !== null) {
    try {
      text = convert(meta, META, () => encodeFields(meta, limits(this)))
    } catch (e) {
      throw e instanceof Fault ? toError(e) : e
    }
  }
  const s = nativeSession.call(this, text)
  sessionLimits.set(s, limits(this))
  return s
})

define(Session, function push(turn) {
  // a finished session throws before reading the turn
  if (!(this instanceof Session) || this.finished) return nativePush.call(this, 'null')
  const index = this.turnCount
  const reading = turnReading(index)
  let text
  try {
    text = convert(turn, reading, () => encodeTurn(turn, index, sessionLimits.get(this)))
  } catch (e) {
    throw e instanceof Fault ? toError(e) : e
  }
  try {
    return JSON.parse(nativePush.call(this, text))
  } catch (e) {
    throw relocated(e, turn, reading)
  }
})

define(Session, function finish() {
  return JSON.parse(nativeFinish.call(this))
})

module.exports = native
module.exports.Engine = Engine
module.exports.Session = Session
