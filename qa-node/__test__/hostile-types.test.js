// Wrong types everywhere (every field of a transcript, every argument) and deeply nested rubric
// text in each format: a typed error or a report, never a crash, and the engine keeps working.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa } = require('./helpers')

const engine = qa.Engine.fromString(
  'rubric: t\nrules:\n  - {id: rude, kind: forbid, match: [爱买不买], deduct: 10}\n  - {id: slow, kind: silence, max_seconds: 5}\n',
)

const WRONG = [
  undefined, null, true, 0, -1, 1.5, NaN, Infinity, 2 ** 80, 10n, '', '\ud800', 'x'.repeat(10000),
  [], [null], {}, { a: new Set([1]) }, new Map([[1, 2]]), new Date(0), /re/, Symbol('s'), () => 1,
  new Uint8Array(3), Buffer.from('x'), new Proxy({}, {}), Object.create(null), new Error('x'),
]

/** Every path to a value inside objects and arrays, the root excluded. */
function* paths(value, path = []) {
  if (value === null || typeof value !== 'object') return
  for (const key of Object.keys(value)) {
    yield [...path, key]
    yield* paths(value[key], [...path, key])
  }
}

function replaced(value, path, v) {
  const out = structuredClone(value)
  let target = out
  for (const step of path.slice(0, -1)) target = target[step]
  target[path.at(-1)] = v
  return out
}

/** Runs f: it returns, or throws an Error with a QA code (or a Node argument code). */
function typedOrOk(f, codes = ['QA_TRANSCRIPT_ERROR']) {
  try {
    return f()
  } catch (e) {
    assert.ok(e instanceof Error, `not an Error: ${String(e)}`)
    assert.ok(codes.includes(e.code), `${e.code}: ${e.message}`)
    return e
  }
}

const BASE = {
  id: 'c1',
  agent: 'A1',
  channel: 'chat',
  meta: { order: '1', tags: ['x', 2] },
  turns: [
    { speaker: 'customer', text: '在吗', start: 0, end: 1 },
    { speaker: 'agent', text: '爱买不买', start: 9 },
  ],
}

/** BASE with each value of WRONG in each of its fields. */
function variants() {
  const out = []
  for (const path of paths(BASE)) for (const v of WRONG) out.push(replaced(BASE, path, v))
  return out
}

test('a wrong type in any field of a transcript is a TranscriptError or ignored', async () => {
  let n = 0
  for (const path of paths(BASE)) {
    for (const v of WRONG) {
      const t = replaced(BASE, path, v)
      const r = typedOrOk(() => engine.score(t))
      if (!(r instanceof Error)) assert.equal(typeof r.score, 'number')
      const s = engine.session()
      for (const turn of Array.isArray(t.turns) ? t.turns : []) typedOrOk(() => s.push(turn))
      assert.equal(typeof s.finish().score, 'number')
      n++
    }
  }
  assert.ok(n > 300, `${n}`)
  const all = variants()
  await assert.rejects(engine.scoreMany(all), (e) => e.code === 'QA_TRANSCRIPT_ERROR')
  assert.equal(engine.score(BASE).score, 90)
})

test('scoreManySettled returns every hostile transcript as its error, in place', async () => {
  const all = variants()
  const out = await engine.scoreManySettled(all)
  assert.equal(out.length, all.length)
  let errors = 0
  out.forEach((r, i) => {
    if (r instanceof Error) {
      errors += 1
      assert.equal(r.code, 'QA_TRANSCRIPT_ERROR')
      assert.equal(r.index, i)
    } else {
      assert.equal(typeof r.score, 'number')
    }
  })
  assert.ok(errors > 0)
})

test('a wrong type for any argument is a TypeError, RangeError or QA error', async () => {
  const codes = ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'QA_RUBRIC_ERROR', 'QA_TRANSCRIPT_ERROR']
  for (const v of WRONG) {
    typedOrOk(() => qa.Engine.fromString(v), codes)
    typedOrOk(() => qa.Engine.fromString('rubric: t\nrules: []\n', v), codes)
    typedOrOk(() => qa.Engine.fromFile(v), codes)
    typedOrOk(() => engine.session(v), codes)
    typedOrOk(() => engine.session().push(v), codes)
    await engine.scoreMany(v).then(
      (r) => assert.ok(Array.isArray(r)),
      (e) => assert.ok(codes.includes(e.code), `${e.code}: ${e.message}`),
    )
  }
  assert.equal(engine.score(BASE).score, 90)
})

test('deeply nested rubric text in each format is a RubricError, not a stack overflow', () => {
  const n = 100000
  const texts = [
    ['rubric: t\nrules: ' + '['.repeat(n) + ']'.repeat(n), 'yaml'],
    ['rubric: t\nrules: ' + '{a: '.repeat(n) + '1' + '}'.repeat(n), 'yaml'],
    ['{"rubric": "t", "rules": ' + '['.repeat(n) + ']'.repeat(n) + '}', 'json'],
    ['rubric = "t"\nrules = ' + '['.repeat(n) + ']'.repeat(n), 'toml'],
    ['rubric = "t"\n' + 'a = {'.repeat(1000) + '}'.repeat(1000), 'toml'],
    ['rubric: t\nlists:\n  a: &x [p]\n  b: *x\nrules: []\n', 'yaml'],
  ]
  for (const [text, format] of texts) {
    assert.throws(
      () => qa.Engine.fromString(text, format),
      (e) => e.code === 'QA_RUBRIC_ERROR',
      `${format}: ${text.slice(0, 30)}`,
    )
  }
})
