// Hostile input gives typed errors, never a crash: lone surrogates, deep or cyclic nesting,
// huge strings, wrong types, throwing getters.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { qa } = require('./helpers')

const engine = qa.Engine.fromString('rubric: t\nrules:\n  - {id: rude, kind: forbid, match: [爱买不买], deduct: 10}\n')

function transcriptError(f) {
  try {
    f()
  } catch (e) {
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'QA_TRANSCRIPT_ERROR', e.message)
    return e
  }
  assert.fail('did not throw')
}

test('lone surrogates are refused where they are, with turn and field', () => {
  for (const [turn, field] of [
    [{ speaker: 'agent', text: 'ab\udc00' }, 'text'],
    [{ speaker: '\ud83d', text: '' }, 'speaker'],
  ]) {
    const e = transcriptError(() => engine.score({ turns: [{ speaker: 'agent', text: '' }, turn] }))
    assert.deepEqual([e.kind, e.turn, e.field], ['invalid_value', 1, field])
    assert.match(e.message, /lone surrogate/)
    const s = engine.session()
    const pushed = transcriptError(() => s.push(turn))
    assert.deepEqual([pushed.turn, pushed.field], [0, field])
  }
  let e = transcriptError(() => engine.score({ id: 'x\udfff', turns: [] }))
  assert.deepEqual([e.turn, e.field], [null, 'id'])
  e = transcriptError(() => engine.score({ meta: { ['k\ud800']: 1 }, turns: [] }))
  assert.equal(e.field, 'meta')
  // a well-formed pair is fine
  assert.equal(engine.score({ turns: [{ speaker: 'agent', text: '\ud83d\ude00爱买不买' }] }).findings[0].start, 2)
  assert.throws(() => qa.Engine.fromString('rubric: "\ud800"\nrules: []\n'), RangeError)
})

test('deep and cyclic values are refused, not a stack overflow', () => {
  let deep = {}
  for (let i = 0; i < 100000; i++) deep = { d: deep }
  let e = transcriptError(() => engine.score({ turns: [], meta: deep }))
  assert.deepEqual([e.kind, e.field], ['too_deep', 'meta'])
  assert.match(e.message, /deeper than 127 levels/)
  const cyclic = { turns: [] }
  cyclic.meta = { self: cyclic }
  e = transcriptError(() => engine.score(cyclic))
  assert.equal(e.field, 'meta')
  const turn = { speaker: 'agent', text: '' }
  turn.extra = [turn]
  e = transcriptError(() => engine.score({ turns: [turn] }))
  assert.deepEqual([e.turn, e.field], [0, 'extra'])
  // nesting up to the limit of the core's JSON reader (127 arrays and objects in all) is fine,
  // one more is too deep, in an object, in a batch, in JSON text and in a pushed turn alike
  const nested = (n) => {
    let v = 1
    for (let i = 0; i < n; i++) v = [v]
    return v
  }
  assert.deepEqual(engine.score({ turns: [], meta: { ok: nested(125) } }).meta.ok, nested(125))
  e = transcriptError(() => engine.score({ turns: [], meta: { ok: nested(126) } }))
  assert.deepEqual([e.kind, e.turn, e.field], ['too_deep', null, 'meta'])
  e = transcriptError(() => engine.scoreJson(JSON.stringify({ turns: [], meta: { ok: nested(126) } })))
  assert.deepEqual([e.kind, e.turn, e.field], ['too_deep', null, null])
  // a pushed turn is the root of its JSON text: its levels count from it
  e = transcriptError(() => engine.session().push({ speaker: 'a', text: '', x: nested(127) }))
  assert.deepEqual([e.kind, e.turn, e.field], ['too_deep', 0, 'x'])
  assert.equal(engine.session().push({ speaker: 'a', text: '', x: nested(126) }).length, 0)
})

test('huge strings and too many turns hit the limits as typed errors', () => {
  const big = '爱'.repeat(2 << 20) // 6 MiB of UTF-8, over the 1 MiB turn limit
  let e = transcriptError(() => engine.score({ turns: [{ speaker: 'agent', text: big }] }))
  assert.deepEqual([e.kind, e.turn, e.field], ['turn_too_long', 0, 'text'])
  e = transcriptError(() => engine.session().push({ speaker: 'agent', text: big }))
  assert.equal(e.kind, 'turn_too_long')
  const many = Array.from({ length: 100001 }, () => ({ speaker: 'agent', text: '' }))
  e = transcriptError(() => engine.score({ turns: many }))
  assert.deepEqual([e.kind, e.field], ['too_many_turns', 'turns'])
})

test('values that are not JSON are refused with their place', () => {
  const cases = [
    [{ turns: [{ speaker: 'agent', text: 'x', start: NaN }] }, 'invalid_value', 0, 'start'],
    [{ turns: [{ speaker: 'agent', text: 'x', end: Infinity }] }, 'invalid_value', 0, 'end'],
    [{ turns: [{ speaker: 'agent', text: () => 1 }] }, 'wrong_type', 0, 'text'],
    [{ turns: [{ speaker: Symbol('s'), text: '' }] }, 'wrong_type', 0, 'speaker'],
    [{ turns: [{ speaker: 'agent', text: '', start: 10n }] }, 'wrong_type', 0, 'start'],
    [{ turns: [], meta: { n: 1n } }, 'wrong_type', null, 'meta'],
  ]
  for (const [t, kind, turn, field] of cases) {
    const e = transcriptError(() => engine.score(t))
    assert.deepEqual([e.kind, e.turn, e.field], [kind, turn, field], e.message)
  }
  for (const bad of [undefined, null, 1, 'turns', [], true]) {
    const e = transcriptError(() => engine.score(bad))
    assert.equal(e.kind, 'wrong_type')
  }
})

test('undefined and symbol-keyed properties are left out, as JSON.stringify does', () => {
  const t = { id: undefined, turns: [{ speaker: 'agent', text: '爱买不买', start: undefined, [Symbol('x')]: 1 }] }
  const r = engine.score(t)
  assert.equal(r.id, null)
  assert.equal(r.skipped.length, 0)
  assert.equal(r.findings.length, 1)
})

test('a throwing getter or Proxy trap surfaces as its own exception', () => {
  const boom = new Error('boom')
  const t = { turns: [{ speaker: 'agent', get text() { throw boom } }] }
  assert.throws(() => engine.score(t), (e) => e === boom)
  const proxy = new Proxy({}, { ownKeys() { throw boom } })
  assert.throws(() => engine.score(proxy), (e) => e === boom)
  assert.throws(() => engine.session().push(proxy), (e) => e === boom)
  // and the engine still works
  assert.equal(engine.score({ turns: [{ speaker: 'agent', text: '爱买不买' }] }).score, 90)
})

test('huge and odd rubrics are refused as RubricErrors', () => {
  const huge = 'rubric: t\nrules: []\n#' + 'x'.repeat(5 << 20)
  assert.throws(() => qa.Engine.fromString(huge), (e) => e.code === 'QA_RUBRIC_ERROR' && e.kind === 'rubric_too_large')
  const nested = 'rubric: t\nrules:\n  - {id: a, kind: forbid, match: ' + '{any: ['.repeat(200) + 'x' + ']}'.repeat(200) + '}\n'
  assert.throws(() => qa.Engine.fromString(nested), (e) => e.code === 'QA_RUBRIC_ERROR')
  const regex = "rubric: t\nrules:\n  - {id: a, kind: forbid, match: [{regex: '(a{100}){100}{100}'}]}\n"
  assert.throws(() => qa.Engine.fromString(regex), (e) => e.code === 'QA_RUBRIC_ERROR' && e.rule === 'a')
  for (const text of ['', '\0\0\0', '[[[[', 'rubric: [1, 2]', '- - - -']) {
    assert.throws(() => qa.Engine.fromString(text), (e) => e.code === 'QA_RUBRIC_ERROR', JSON.stringify(text))
  }
})

test('fromFile reads a special file with a cap (a symlink to /dev/zero)', { skip: !fs.existsSync('/dev/zero') }, () => {
  // issue 16.6: the size check was a stat, so /dev/zero was read without end
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-zero-'))
  const link = path.join(dir, 'zero.yaml')
  fs.symlinkSync('/dev/zero', link)
  const started = Date.now()
  assert.throws(() => qa.Engine.fromFile(link), (e) => e.name === 'RubricError' && e.kind === 'rubric_too_large')
  assert.ok(Date.now() - started < 5000)
  fs.rmSync(dir, { recursive: true })
})
