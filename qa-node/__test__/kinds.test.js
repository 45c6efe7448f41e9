// Error kinds are the core's strings (`TranscriptErrorKind::as_str`, `RubricErrorKind::as_str`),
// the same in Rust, the CLI, Python and Node; each is reached through the Node API, and the
// TypeScript types list the same.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { qa } = require('./helpers')

const TRANSCRIPT_KINDS = [
  'syntax', 'missing_field', 'wrong_type', 'invalid_value', 'transcript_too_large', 'too_many_turns',
  'turn_too_long', 'too_deep', 'meta_too_large',
]
const RUBRIC_KINDS = [
  'io', 'syntax', 'unknown_field', 'unknown_kind', 'missing_field', 'wrong_type', 'invalid_value',
  'duplicate_id', 'undefined_list', 'bad_regex', 'rubric_too_large', 'too_many_rules', 'too_many_phrases',
  'phrase_too_long', 'regex_too_large', 'too_deep', 'regex_budget_exceeded', 'undefined_pattern',
]

test('errorKinds() lists the core kinds', () => {
  assert.deepEqual(qa.errorKinds(), { transcript: TRANSCRIPT_KINDS, rubric: RUBRIC_KINDS })
})

test('index.d.ts types the kinds with the same strings', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const union = (name) => {
    const m = dts.match(new RegExp(`export type ${name} =([^]*?)\\n\\n`))
    assert.ok(m, name)
    return [...m[1].matchAll(/'([a-z_]+)'/g)].map((x) => x[1])
  }
  assert.deepEqual(union('TranscriptErrorKind'), TRANSCRIPT_KINDS)
  assert.deepEqual(union('RubricErrorKind'), RUBRIC_KINDS)
})

const deep = (n) => {
  let v = 1
  for (let i = 0; i < n; i++) v = [v]
  return v
}

test('every transcript kind is reached through the Node API', () => {
  const engine = qa.Engine.fromString('rubric: t\nrules: []\n')
  const turn = { speaker: 'a', text: 'x' }
  const reach = {
    syntax: () => engine.scoreJson('{"turns": ['),
    missing_field: () => engine.score({}),
    wrong_type: () => engine.score({ turns: 1 }),
    invalid_value: () => engine.score({ turns: [{ ...turn, start: -1 }] }),
    transcript_too_large: () => engine.score({ turns: new Array(17).fill({ speaker: 'a', text: 'x'.repeat(1 << 20) }) }),
    too_many_turns: () => engine.score({ turns: new Array(100_001).fill(turn) }),
    turn_too_long: () => engine.score({ turns: [{ speaker: 'a', text: 'x'.repeat(2 << 20) }] }),
    too_deep: () => engine.score({ turns: [], meta: { d: deep(200) } }),
    meta_too_large: () => engine.score({ turns: [], meta: { s: 'x'.repeat(2 << 20) } }),
  }
  assert.deepEqual(Object.keys(reach), TRANSCRIPT_KINDS)
  for (const [kind, f] of Object.entries(reach)) {
    assert.throws(f, (e) => e.name === 'TranscriptError' && e.kind === kind, kind)
  }
  // too deep is `too_deep` however it is given: object, JSON text, pushed turn, session meta
  for (const f of [
    () => engine.scoreJson(JSON.stringify({ turns: [], meta: { d: deep(200) } })),
    () => engine.session().push({ ...turn, d: deep(200) }),
    () => engine.session({ meta: { d: deep(200) } }),
  ]) {
    assert.throws(f, (e) => e.kind === 'too_deep')
  }
})

test('every rubric kind is reached through the Node API', () => {
  const r = (rules) => JSON.stringify({ rubric: 't', rules })
  const json = (rules) => () => qa.Engine.fromString(r(rules), 'json')
  const forbid = (extra) => ({ id: 'a', kind: 'forbid', match: ['x'], ...extra })
  const reach = {
    io: () => qa.Engine.fromFile(path.join(__dirname, 'no-such-rubric.yaml')),
    syntax: () => qa.Engine.fromString('{', 'json'),
    unknown_field: json([forbid({ mtach: 1 })]),
    unknown_kind: json([forbid({ kind: 'forbidd' })]),
    missing_field: json([{ kind: 'forbid', match: ['x'] }]),
    wrong_type: json([forbid({ deduct: 'ten' })]),
    invalid_value: json([forbid({ deduct: -1 })]),
    duplicate_id: json([forbid(), forbid()]),
    undefined_list: json([forbid({ match: ['@nope'] })]),
    bad_regex: json([forbid({ match: [{ regex: '(' }] })]),
    rubric_too_large: () => qa.Engine.fromString('rubric: t\nrules: []\n#' + 'x'.repeat(5 << 20)),
    too_many_rules: json(Array.from({ length: 10_001 }, (_, i) => forbid({ id: `r${i}` }))),
    too_many_phrases: json([forbid({ match: Array.from({ length: 200_001 }, (_, i) => `p${i}`) })]),
    phrase_too_long: json([forbid({ match: ['x'.repeat(1001)] })]),
    regex_too_large: json([forbid({ match: [{ regex: '(a{100}){100}{100}' }] })]),
    too_deep: () => qa.Engine.fromString('rubric: t\nrules:\n  - {id: a, kind: forbid, match: ' + '{any: ['.repeat(40) + 'x' + ']}'.repeat(40) + '}\n'),
    regex_budget_exceeded: json(Array.from({ length: 300 }, (_, i) => forbid({ id: `r${i}`, match: [{ regex: `\\w{40}|z${i}` }] }))),
    undefined_pattern: json([forbid({ match: ['$nosuch'] })]),
  }
  assert.deepEqual(Object.keys(reach), RUBRIC_KINDS)
  for (const [kind, f] of Object.entries(reach)) {
    assert.throws(f, (e) => e.name === 'RubricError' && e.kind === kind && e.diagnostics[0].kind === kind, kind)
  }
})
