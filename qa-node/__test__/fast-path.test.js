// index.js reads transcripts and turns as JSON text when it can (its fast path) and lets the
// addon walk them otherwise: either way the result is the one the addon's walker gives. Here
// the walker's methods are taken from the addon before index.js wraps them, and both are run
// on ordinary and hostile values: same reports and findings (deep equal, same key order), same
// errors (name, code, kind, turn, field, line, column, index, message).
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')

const raw = require(path.join(__dirname, '..', 'qa-engine.node'))
const walk = {
  score: raw.Engine.prototype.score,
  scoreMany: raw.Engine.prototype.scoreMany,
  scoreManySettled: raw.Engine.prototype.scoreManySettled,
  push: raw.Session.prototype.push,
}
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
    if (!(e instanceof Error)) return { thrown: e }
    const { name, code, kind, turn, field, line, column, rule, index, message } = e
    return { error: { name, code, kind, turn, field, line, column, rule, index, message } }
  }
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
  '', 'plain', '"quote\\ \n\t\u0000\u001f\u2028', '😀', '\ud800', '\udc00x', 'a\ud83d', 10n,
  Symbol('s'), () => 1, undefined, [], [1, undefined, null], sparse, {}, { a: undefined, b: 1 },
  { '\ud800': 1 }, { 2: 'b', 1: 'a', z: 1, y: 2 }, { __proto__: null, a: 1 },
  JSON.parse('{"__proto__": 1}'), withSymbol, proto, withGetter(3), withGetter(NaN),
  new Date(0), new Map([[1, 2]]), new Set([1]), /re/g, new Error('x'), new String('ab'),
  new Number(3), new Boolean(false), new Uint8Array([1, 2, 3]), Buffer.from('hi'),
  new Proxy({ a: 1 }, {}), new Proxy([1, 2], {}), cyclic, deep(90), deep(99), deep(100),
  deep(101), deep(126), deep(127), deep(128), deep(129), deep(300),
]

const numbers = []
for (let i = 0; i < 300; i++) {
  const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 30 - 15)
  numbers.push(x, Math.round(x * 1000) / 1000, Number(x.toPrecision(1 + (i % 17))))
}

/** Transcripts with `v` in each place a user value can go. */
function transcripts(v) {
  return [
    base({ v }),
    base({ list: [v, 'x'] }),
    base(undefined, [turn('您好'), turn('爱买不买', { start: v })]),
    base(undefined, [turn(v)]),
    base(undefined, [{ speaker: v, text: 'x' }]),
    { id: v, turns: [turn('x')] },
    { turns: v },
    { turns: [v] },
    v,
  ]
}

test('score: the fast path gives what the walker gives', () => {
  let n = 0
  for (const v of [...VALUES, ...numbers]) {
    for (const t of transcripts(v)) {
      const want = outcome(() => walk.score.call(engine, t))
      const got = outcome(() => engine.score(t))
      same(got, want, `score of ${show(v)}`)
      n++
    }
  }
  assert.ok(n > 1000)
})

test('meta numbers come back as the same doubles', () => {
  const r = engine.score(base({ numbers }))
  assert.equal(r.meta.numbers.length, numbers.length)
  for (let i = 0; i < numbers.length; i++) assert.ok(Object.is(r.meta.numbers[i], numbers[i] === 0 ? 0 : numbers[i]), `${numbers[i]}`)
})

test('session push: the fast path gives what the walker gives', () => {
  for (const v of [...VALUES, ...numbers.slice(0, 60)]) {
    const turns = [turn('您好'), turn(v), turn('爱买不买', { start: v }), { speaker: 'customer', text: 'x', end: v }, v]
    const a = engine.session({ id: 'c' })
    const b = engine.session({ id: 'c' })
    for (const t of turns) {
      same(outcome(() => b.push(t)), outcome(() => walk.push.call(a, t)), `push of ${show(v)}`)
    }
    same(b.finish(), a.finish())
  }
})

async function settle(p) {
  try {
    return { ok: await p }
  } catch (e) {
    return outcome(() => {
      throw e
    })
  }
}

function items(list) {
  return list.map((x) => (x instanceof Error ? outcome(() => { throw x }) : x))
}

test('scoreMany and scoreManySettled: the fast path gives what the walker gives', async () => {
  for (const v of VALUES) {
    const batch = [base({}), ...transcripts(v), base({ v: 1 })]
    const want = await settle(walk.scoreMany.call(engine, batch))
    same(await settle(engine.scoreMany(batch)), want, `scoreMany of ${show(v)}`)
    const wantSettled = await settle(walk.scoreManySettled.call(engine, batch))
    const gotSettled = await settle(engine.scoreManySettled(batch))
    if (wantSettled.ok) wantSettled.ok = items(wantSettled.ok)
    if (gotSettled.ok) gotSettled.ok = items(gotSettled.ok)
    same(gotSettled, wantSettled, `scoreManySettled of ${show(v)}`)
  }
})

test('a getter that throws throws through score and push, as with the walker', () => {
  const boom = new Error('boom')
  const t = base({})
  Object.defineProperty(t, 'agent', { get: () => { throw boom }, enumerable: true })
  assert.throws(() => engine.score(t), (e) => e === boom)
  const turnWithGetter = {}
  Object.defineProperty(turnWithGetter, 'text', { get: () => { throw boom }, enumerable: true })
  assert.throws(() => engine.session().push(turnWithGetter), (e) => e === boom)
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
  for (const name of ['_scoreJson', '_scoreManyJson']) assert.equal(name in qa.Engine.prototype, false)
  assert.equal('_pushJson' in qa.Session.prototype, false)
})
