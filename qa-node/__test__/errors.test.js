// Errors are JavaScript Errors with a code, a kind and their place.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { qa } = require('./helpers')
const { Engine } = qa

const RUBRIC = 'rubric: t\nrules:\n  - {id: rude, kind: forbid, match: [爱买不买], deduct: 10}\n'

function caught(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  assert.fail('did not throw')
}

test('a rubric error has code, kind, line, column, rule, help and the full message', () => {
  const e = caught(() => Engine.fromString('rubric: x\nrules:\n  - id: a\n    kind: forbidd\n'))
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'RubricError')
  assert.equal(e.code, 'QA_RUBRIC_ERROR')
  assert.equal(e.kind, 'unknown_kind')
  assert.equal(e.line, 4)
  assert.equal(e.column, 11)
  assert.equal(e.rule, 'a')
  assert.equal(e.help, 'did you mean `forbid`?')
  assert.equal(e.file, null)
  assert.equal(e.message, '<rubric>:4:11: rule `a`: unknown kind `forbidd`; did you mean `forbid`?')
  assert.ok(e.stack.includes('RubricError'))
})

test('every problem of a rubric is reported at once', () => {
  const text = 'rubric: x\nrules:\n  - {id: a, kind: forbidd}\n  - {id: a, kind: forbid, match: ["@nope"]}\n'
  const e = caught(() => Engine.fromString(text))
  assert.ok(e.diagnostics.length >= 2, e.message)
  assert.equal(e.message.split('\n').length, e.diagnostics.length)
  for (const d of e.diagnostics) {
    assert.deepEqual(Object.keys(d).sort(), ['column', 'help', 'kind', 'line', 'message', 'rule', 'text'])
  }
})

test('fromFile names the file; a missing file is an io RubricError', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-node-'))
  const file = path.join(dir, 'bad.yaml')
  fs.writeFileSync(file, 'rubric: x\nrules:\n  - id: a\n    kind: forbid\n    mtach: [x]\n')
  const e = caught(() => Engine.fromFile(file))
  assert.equal(e.file, file)
  const typo = e.diagnostics.find((d) => d.kind === 'unknown_field')
  assert.equal(typo.text, `${file}:5:5: rule \`a\`: ${typo.message}; ${typo.help}`)
  assert.ok(e.message.split('\n').includes(typo.text), e.message)
  const missing = caught(() => Engine.fromFile(path.join(dir, 'none.yaml')))
  assert.equal(missing.code, 'QA_RUBRIC_ERROR')
  assert.equal(missing.kind, 'io')
  fs.writeFileSync(path.join(dir, 'good.toml'), 'rubric = "t"\n[[rules]]\nid = "a"\nkind = "forbid"\nmatch = ["x"]\n')
  assert.equal(Engine.fromFile(path.join(dir, 'good.toml')).ruleCount, 1)
  fs.rmSync(dir, { recursive: true })
})

test('fromString reads json and toml, and yaml by default', () => {
  assert.equal(Engine.fromString(RUBRIC).rubricName, 't')
  assert.equal(Engine.fromString('{"rubric": "j", "rules": []}', 'json').rubricName, 'j')
  assert.equal(Engine.fromString('rubric = "k"\nrules = []\n', 'toml').rubricName, 'k')
  const e = caught(() => Engine.fromString('{"rubric": "j", "rules": [}', 'json'))
  assert.equal(e.kind, 'syntax')
  assert.equal(e.line, 1)
})

test('a transcript error names the turn and the field', () => {
  const engine = Engine.fromString(RUBRIC)
  const cases = [
    [{ turns: [{ speaker: 'agent', text: 'a' }, { speaker: 'agent' }] }, 'missing_field', 1, 'text'],
    [{ turns: [{ speaker: 3, text: '' }] }, 'wrong_type', 0, 'speaker'],
    [{ turns: [{ speaker: 'a', text: '', start: -1 }] }, 'invalid_value', 0, 'start'],
    [{ turns: [{ speaker: 'a', text: '', end: 'soon' }] }, 'wrong_type', 0, 'end'],
    [{ turns: 'none' }, 'wrong_type', null, 'turns'],
    [{}, 'missing_field', null, 'turns'],
    [{ turns: [], meta: 5 }, 'wrong_type', null, 'meta'],
    [{ turns: [], agent: true }, 'wrong_type', null, 'agent'],
    [{ turns: ['hello'] }, 'wrong_type', 0, null],
  ]
  for (const [transcript, kind, turn, field] of cases) {
    const e = caught(() => engine.score(transcript))
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'TranscriptError')
    assert.equal(e.code, 'QA_TRANSCRIPT_ERROR')
    assert.deepEqual([e.kind, e.turn, e.field], [kind, turn, field], e.message)
    assert.equal(e.rule, null)
    assert.equal(e.index, null)
    if (turn !== null) assert.ok(e.message.startsWith(`turn ${turn}: `), e.message)
  }
  const e = caught(() => engine.score({ turns: [{ speaker: 3, text: '' }] }))
  assert.equal(e.message, 'turn 0: `speaker` must be a string, found a number')
})

test('a bad turn pushed to a session names its index', () => {
  const session = Engine.fromString(RUBRIC).session({ id: 'c1' })
  session.push({ speaker: 'agent', text: 'hi' })
  const e = caught(() => session.push({ speaker: 'agent', text: 7 }))
  assert.deepEqual([e.code, e.kind, e.turn, e.field], ['QA_TRANSCRIPT_ERROR', 'wrong_type', 1, 'text'])
  // the session goes on
  assert.equal(session.push({ speaker: 'agent', text: '爱买不买' }).length, 1)
  assert.equal(session.finish().score, 90)
})

test('wrong arguments are TypeErrors and RangeErrors with Node codes', () => {
  const engine = Engine.fromString(RUBRIC)
  let e = caught(() => Engine.fromString(42))
  assert.ok(e instanceof TypeError)
  assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
  e = caught(() => Engine.fromFile(undefined))
  assert.ok(e instanceof TypeError)
  e = caught(() => Engine.fromString(RUBRIC, 'xml'))
  assert.ok(e instanceof RangeError)
  assert.equal(e.code, 'ERR_INVALID_ARG_VALUE')
  e = caught(() => engine.session('c1'))
  assert.ok(e instanceof TypeError)
  e = caught(() => engine.session({ turns: [] }))
  assert.ok(e instanceof RangeError)
  e = caught(() => engine.session({ meta: [] }))
  assert.deepEqual([e.code, e.field], ['QA_TRANSCRIPT_ERROR', 'meta'])
})

test('a finished session refuses more turns', () => {
  const session = Engine.fromString(RUBRIC).session()
  assert.equal(session.finished, false)
  session.finish()
  assert.equal(session.finished, true)
  for (const f of [() => session.push({ speaker: 'a', text: '' }), () => session.finish()]) {
    const e = caught(f)
    assert.equal(e.code, 'QA_SESSION_FINISHED')
  }
})

test('scoreMany rejects with the first bad transcript, its index named', async () => {
  const engine = Engine.fromString(RUBRIC)
  const good = { turns: [{ speaker: 'agent', text: '爱买不买' }] }
  await assert.rejects(engine.scoreMany([good, good, { turns: [{ speaker: 'agent' }] }, { turns: 1 }]), (e) => {
    assert.deepEqual([e.code, e.kind, e.index, e.turn, e.field], ['QA_TRANSCRIPT_ERROR', 'missing_field', 2, 0, 'text'])
    assert.equal(e.message, 'transcript 2: turn 0: missing field `text`')
    return true
  })
  // a lone surrogate is found while reading, still with its index
  await assert.rejects(engine.scoreMany([good, { turns: [{ speaker: 'agent', text: '\ud800' }] }]), (e) => {
    assert.deepEqual([e.kind, e.index, e.turn, e.field], ['invalid_value', 1, 0, 'text'])
    return true
  })
  await assert.rejects(engine.scoreMany('nope'), TypeError)
})

test('scoreManySettled scores the good ones and returns each error in place', async () => {
  const engine = Engine.fromString(RUBRIC)
  const good = { turns: [{ speaker: 'agent', text: '爱买不买' }] }
  const out = await engine.scoreManySettled([good, { turns: [{ speaker: 1, text: '' }] }, good])
  assert.equal(out.length, 3)
  assert.deepEqual(out[0], engine.score(good))
  assert.deepEqual(out[2], engine.score(good))
  assert.ok(out[1] instanceof Error)
  assert.deepEqual([out[1].code, out[1].index, out[1].turn, out[1].field], ['QA_TRANSCRIPT_ERROR', 1, 0, 'speaker'])
})
