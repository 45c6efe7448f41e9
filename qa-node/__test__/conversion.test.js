// One conversion path: a transcript object is read as its JSON text (JSON.stringify) is read by
// the core — so `score(t)` gives what `scoreJson(JSON.stringify(t))` gives, the CLI's reading —
// except where JSON.stringify would silently change or drop a value (NaN, ±Infinity, bigints,
// functions, symbols, lone surrogates, cycles, nesting deeper than the core's reader takes):
// those are refused with a TranscriptError that names the turn and field. Run on ordinary and
// hostile values in every place a value can go, through score, session push, scoreMany and
// scoreManySettled.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa } = require('./helpers')

const engine = qa.Engine.fromString(
  'rubric: t\nrules:\n' +
    '  - {id: rude, kind: forbid, match: [爱买不买], deduct: 10}\n' +
    '  - {id: slow, kind: silence, max_seconds: 5}\n' +
    '  - {id: greet, kind: require, role: agent, window: {first: 1}, match: [您好], deduct: 5}\n',
)

function outcome(f) {
  try {
    return { ok: f() }
  } catch (e) {
    return errorOutcome(e)
  }
}

function errorOutcome(e) {
  if (!(e instanceof Error)) return { thrown: e }
  const { name, code, kind, turn, field, line, column, rule, index, message } = e
  return { error: { name, code, kind, turn, field, line, column, rule, index, message } }
}

/** Deep equality that also compares key order and tells -0 from 0. */
function same(a, b, what) {
  assert.deepStrictEqual(a, b, what)
  assert.equal(JSON.stringify(a), JSON.stringify(b), what)
}

function show(v) {
  try {
    return String(v)
  } catch {
    return typeof v
  }
}

const turn = (text, extra = {}) => ({ speaker: 'agent', text, start: 1, end: 2, ...extra })
const base = (meta, turns = [turn('您好，爱买不买😀')]) => ({ id: 'c', channel: 'chat', meta, turns })

function deep(n) {
  let v = 'x'
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { v }
  return v
}

function withGetter(value) {
  const o = {}
  Object.defineProperty(o, 'g', { get: () => value, enumerable: true })
  Object.defineProperty(o, 'hidden', { get: () => 1, enumerable: false })
  return o
}

const cyclic = { a: 1 }
cyclic.self = cyclic
const sparse = [1, , 3] // eslint-disable-line no-sparse-arrays
const withSymbol = { a: 1, [Symbol('s')]: 2 }
const proto = Object.create({ inherited: 1 })
proto.own = 2

const VALUES = [
  null, true, false, 0, -0, 1, -1, 1.5, -2.25, 0.1, 0.1 + 0.2, 1 / 3, 123456.789, 1e-7, 1e21,
  2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 80, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity,
  '', 'plain', '"quote\\ \n\t\u0000\u001f\u2028', '😀', '\ud800', '\udc00x', 'a\ud83d', 'back\\ud800slash',
  10n, Symbol('s'), () => 1, undefined, [], [1, undefined, null], sparse, {}, { a: undefined, b: 1 },
  { '\ud800': 1 }, { 2: 'b', 1: 'a', z: 1, y: 2 }, { __proto__: null, a: 1 },
  JSON.parse('{"__proto__": 1}'), withSymbol, proto, withGetter(3), withGetter(NaN), withGetter(10n),
  new Date(0), new Map([[1, 2]]), new Set([1]), /re/g, new Error('x'), new String('ab'),
  new Number(3), new Boolean(false), new Uint8Array([1, 2, 3]), Buffer.from('hi'),
  new Proxy({ a: 1 }, {}), new Proxy([1, 2], {}), [1, [2, [NaN]]], { a: { b: [() => 1] } }, cyclic,
  deep(90), deep(99), deep(100), deep(101), deep(124), deep(125), deep(126), deep(127), deep(128), deep(300),
]

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * What JSON.stringify would silently change in `v` (the kind of the error that refuses it), or
 * null: v is JSON data and its JSON text says the same. `levels` are the arrays and objects
 * around v in the transcript.
 */
function unfaithful(v, levels, seen = new Set()) {
  if (v !== null && typeof v === 'object' && typeof v.toJSON === 'function') v = v.toJSON()
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? null : 'invalid_value'
    case 'string':
      return v.isWellFormed() ? null : 'invalid_value'
    case 'bigint':
    case 'function':
    case 'symbol':
      return 'wrong_type'
    case 'object': {
      if (v === null) return null
      if (levels >= 127 || seen.has(v)) return 'too_deep'
      seen.add(v)
      const items = Array.isArray(v) ? Array.from(v) : Object.keys(v).map((k) => (k.isWellFormed() ? v[k] : NaN))
      for (const x of items) {
        if (x === undefined) continue
        const kind = unfaithful(x, levels + 1, seen)
        if (kind) return kind
      }
      seen.delete(v)
      return null
    }
    default:
      return null
  }
}

/** Transcripts with `v` in each place a value can go: [transcript, turn, field] of v. */
function places(v) {
  return [
    [base({ v }), null, 'meta'],
    [base({ list: [v, 'x'] }), null, 'meta'],
    [base(undefined, [turn('您好'), turn('爱买不买', { start: v })]), 1, 'start'],
    [base(undefined, [turn(v)]), 0, 'text'],
    [base(undefined, [{ speaker: v, text: 'x' }]), 0, 'speaker'],
    [base(undefined, [turn('x', { extra: { v } })]), 0, 'extra'],
    [{ id: v, turns: [turn('x')] }, null, 'id'],
    ...(Array.isArray(v) ? [[{ turns: v }, badIndex(v, 2), badKey(v[badIndex(v, 2)], 3)]] : [[{ turns: v }, null, 'turns']]),
    [{ turns: [v] }, 0, badKey(v, 3)],
    [v, null, badKey(v, 1)],
  ]
}

/** When `v` is an array: the index of its item that holds what is refused (items `levels` deep). */
function badIndex(v, levels) {
  const i = Array.from(v).findIndex((x) => x !== undefined && unfaithful(x, levels))
  return i < 0 ? null : i
}

/**
 * When `v` is an object: its key that holds what is refused (null for a bad key itself), its
 * values `levels` deep.
 */
function badKey(v, levels) {
  if (!isObject(v)) return null
  for (const k of Object.keys(v)) {
    if (!k.isWellFormed()) return null
    if (v[k] !== undefined && unfaithful(v[k], levels)) return k
  }
  return null
}


/** JSON of the type of `t`, which is not an object (the core names the type it found). */
function shape(t) {
  if (t === null) return 'null'
  if (Array.isArray(t)) return '[]'
  return { undefined: 'null', string: '""', number: '0', boolean: 'false' }[typeof t]
}

/** The kind of the error for `t` given where an object is expected, or null. */
function expectedKind(t) {
  return isObject(t) ? unfaithful(t, 0) : 'wrong_type'
}

function checkRefused(got, kind, turn, field, what) {
  assert.ok(got.error, `${what}: not refused`)
  assert.equal(got.error.code, 'QA_TRANSCRIPT_ERROR', what)
  assert.deepEqual([got.error.kind, got.error.turn, got.error.field], [kind, turn, field], `${what}: ${got.error.message}`)
}

const numbers = []
for (let i = 0; i < 300; i++) {
  const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 30 - 15)
  numbers.push(x, Math.round(x * 1000) / 1000, Number(x.toPrecision(1 + (i % 17))))
}

test('score(t) gives what scoreJson(JSON.stringify(t)) gives, or refuses what JSON would change, with its place', () => {
  let faithful = 0
  let refused = 0
  for (const v of [...VALUES, ...numbers]) {
    for (const [t, turnAt, field] of places(v)) {
      const got = outcome(() => engine.score(t))
      const kind = expectedKind(t)
      if (kind === null || (kind === 'wrong_type' && !isObject(t) && typeof t !== 'function' && typeof t !== 'symbol' && typeof t !== 'bigint')) {
        // JSON data (or JSON of a wrong type at the top, for the core to refuse): the JSON reading
        const json = isObject(t) ? JSON.stringify(t) : shape(t)
        same(got, outcome(() => engine.scoreJson(json)), `score of ${show(v)} at ${field}`)
        faithful++
      } else {
        checkRefused(got, kind, turnAt, field, `score of ${show(v)} at ${field}`)
        refused++
      }
    }
  }
  assert.ok(faithful > 1000 && refused > 100, `${faithful} ${refused}`)
})

test('meta numbers come back as the same doubles', () => {
  const r = engine.score(base({ numbers }))
  assert.equal(r.meta.numbers.length, numbers.length)
  for (let i = 0; i < numbers.length; i++) assert.ok(Object.is(r.meta.numbers[i], numbers[i] === 0 ? 0 : numbers[i]), `${numbers[i]}`)
})

test('a Date, a Map, a boxed number are read as JSON.stringify reads them', () => {
  const r = engine.score({ id: 7, meta: { at: new Date(0), m: new Map([[1, 2]]), n: new Number(3) }, turns: [] })
  assert.deepEqual(r.meta, { at: '1970-01-01T00:00:00.000Z', m: {}, n: 3 })
  assert.equal(r.id, '7')
  // an integer id is its decimal text, as the CLI reads it
  assert.equal(engine.score({ id: 2 ** 53, turns: [] }).id, '9007199254740992')
})

test('session push: a turn is read as its JSON text, or refused with its place', () => {
  for (const v of [...VALUES, ...numbers.slice(0, 60)]) {
    const turns = [
      [turn('您好'), null],
      [turn(v), 'text'],
      [turn('爱买不买', { start: v }), 'start'],
      [{ speaker: 'customer', text: 'x', end: v }, 'end'],
      [v, badKey(v, 1)],
    ]
    const a = engine.session({ id: 'c' })
    const b = engine.session({ id: 'c' })
    for (const [t, field] of turns) {
      const index = b.turnCount
      const got = outcome(() => b.push(t))
      const kind = expectedKind(t)
      if (kind === null || (kind === 'wrong_type' && !isObject(t) && typeof t !== 'function' && typeof t !== 'symbol' && typeof t !== 'bigint')) {
        const json = isObject(t) ? JSON.stringify(t) : shape(t)
        same(got, outcome(() => a.push(JSON.parse(json))), `push of ${show(v)}`)
      } else {
        checkRefused(got, kind, index, field, `push of ${show(v)} at ${field}`)
        a.push(turn('x')) // keep the two sessions' turn counts together
        b.push(turn('x'))
      }
    }
    same(b.finish(), a.finish())
  }
})

async function settle(p) {
  try {
    return { ok: await p }
  } catch (e) {
    return errorOutcome(e)
  }
}

/** What a batch gives for the transcript at `index`: score()'s outcome, with its index. */
function inBatch(o, index) {
  if (!o.error) return o
  return { error: { ...o.error, index, message: `transcript ${index}: ${o.error.message}` } }
}

test('scoreMany and scoreManySettled give what score gives for each transcript, its index named', async () => {
  for (const v of VALUES) {
    const batch = [base({}), ...places(v).map((p) => p[0]), base({ v: 1 })]
    // in a batch, a string or a Uint8Array is JSON text
    const isText = (t) => typeof t === 'string' || t instanceof Uint8Array
    const want = batch.map((t, i) => inBatch(outcome(() => (isText(t) ? engine.scoreJson(t) : engine.score(t))), i))
    const gotSettled = await engine.scoreManySettled(batch)
    same(gotSettled.map((r) => (r instanceof Error ? errorOutcome(r) : { ok: r })), want, `scoreManySettled of ${show(v)}`)
    const firstError = want.find((o) => o.error)
    same(await settle(engine.scoreMany(batch)), firstError ?? { ok: want.map((o) => o.ok) }, `scoreMany of ${show(v)}`)
  }
})

test('batch items may be objects, JSON strings and Buffers, mixed', async () => {
  const ts = [base({ n: 1 }), base(undefined, [turn('爱买不买'), turn('x', { start: 30 })]), { turns: [{ speaker: 1, text: '' }] }]
  const want = ts.map((t, i) => inBatch(outcome(() => engine.score(t)), i))
  const items = [ts[0], JSON.stringify(ts[1]), Buffer.from(JSON.stringify(ts[2]))]
  const got = await engine.scoreManySettled(items)
  same(got.map((r) => (r instanceof Error ? errorOutcome(r) : { ok: r })), want)
  const asText = await engine.scoreManySettled([JSON.stringify(ts[0]), new Uint8Array(Buffer.from(JSON.stringify(ts[1]))), ts[2]])
  same(asText.map((r) => (r instanceof Error ? errorOutcome(r) : { ok: r })), want)
  // text that is not JSON, bytes that are not UTF-8, a string with a lone surrogate
  const bad = await engine.scoreManySettled(['{"turns": [', Buffer.from([0x7b, 0xff]), '{"turns": [], "id": "\ud800"}', '{"turns": []}'])
  assert.deepEqual(bad.slice(0, 3).map((e) => [e.kind, e.index]), [['syntax', 0], ['syntax', 1], ['syntax', 2]])
  assert.equal(bad[0].line, 1)
  assert.equal(bad[3].score, engine.score({ turns: [] }).score)
})

test('scoreJson reads a string or a Buffer of JSON text, as the CLI reads a line', () => {
  const t = base({ k: [1, 'x'] })
  const want = engine.score(t)
  same(engine.scoreJson(JSON.stringify(t)), want)
  same(engine.scoreJson(Buffer.from(JSON.stringify(t))), want)
  same(engine.scoreJson(new TextEncoder().encode(JSON.stringify(t, null, 2))), want)
  let e = outcome(() => engine.scoreJson('{"turns": [\n  {"speaker": "a", "text": 1}]}')).error
  assert.deepEqual([e.kind, e.turn, e.field], ['wrong_type', 0, 'text'])
  e = outcome(() => engine.scoreJson('{"turns": [}')).error
  assert.deepEqual([e.kind, e.line, e.column], ['syntax', 1, 12])
  e = outcome(() => engine.scoreJson(Buffer.from([0x7b, 0x22, 0xc3]))).error
  assert.equal(e.kind, 'syntax')
  assert.match(e.message, /UTF-8/)
  e = outcome(() => engine.scoreJson('{"turns": [], "id": "a\udc00"}')).error
  assert.equal(e.kind, 'syntax')
  assert.match(e.message, /lone surrogate 0xdc00 at UTF-16 offset 22/)
  assert.throws(() => engine.scoreJson({ turns: [] }), (x) => x instanceof TypeError && x.code === 'ERR_INVALID_ARG_TYPE')
})

test('a getter that throws throws through score and push', () => {
  const boom = new Error('boom')
  const t = base({})
  Object.defineProperty(t, 'agent', { get: () => { throw boom }, enumerable: true })
  assert.throws(() => engine.score(t), (e) => e === boom)
  const turnWithGetter = {}
  Object.defineProperty(turnWithGetter, 'text', { get: () => { throw boom }, enumerable: true })
  assert.throws(() => engine.session().push(turnWithGetter), (e) => e === boom)
  // a toJSON that throws a TypeError is not taken for a cycle
  const typeError = new TypeError('mine')
  assert.throws(() => engine.score({ turns: [], meta: { toJSON: () => { throw typeError } } }), (e) => e === typeError)
})

test('a finished session does not read the turn', () => {
  const s = engine.session()
  s.finish()
  let read = false
  const t = {}
  Object.defineProperty(t, 'text', { get: () => { read = true; return 'x' }, enumerable: true })
  assert.throws(() => s.push(t), { code: 'QA_SESSION_FINISHED' })
  assert.equal(read, false)
})

test('the internal methods are not part of the API', () => {
  for (const name of ['_score', '_scoreBytes', '_session']) assert.equal(name in qa.Engine.prototype, false)
  for (const name of ['_push', '_finish']) assert.equal(name in qa.Session.prototype, false)
  assert.deepEqual(Object.keys(qa).filter((k) => k.startsWith('_')), [])
  assert.deepEqual(Object.keys(qa).sort(), ['Engine', 'Session', 'errorKinds'])
})
