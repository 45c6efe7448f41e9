// `redact`: findings' text masked by the core (score, scoreMany, sessions), `{redact: false}`
// on fromFile and fromString, `redactText`, and bad options.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Engine } = require('..')

const RUBRIC = `
rubric: pii
redact: {builtin: [phone_cn, id_cn, bank_card, email], match: ["@vip"], mask: "#"}
lists:
  vip: [张三丰]
rules:
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\\d{9}'}], deduct: 20}
  - {id: vip, kind: forbid, role: any, match: [张三丰先生]}
`

const TRANSCRIPT = {
  id: 'c1',
  turns: [
    { speaker: 'customer', text: '😀我是張三豐先生' },
    { speaker: 'agent', text: '好的，已记录１３８００１３８０００。' },
  ],
}

function rubricFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-redact-'))
  const file = path.join(dir, 'pii.yaml')
  fs.writeFileSync(file, RUBRIC)
  return file
}

test('findings are masked one code point for one; offsets index the original (UTF-16)', () => {
  const engine = Engine.fromString(RUBRIC)
  assert.equal(engine.redacts, true)
  const report = engine.score(TRANSCRIPT)
  assert.equal(report.redacted, true)
  const [vip, phone] = report.findings
  // 😀 is 2 UTF-16 units: 張 starts at 4
  assert.deepEqual([vip.start, vip.end, vip.text], [4, 9, '###先生'])
  assert.deepEqual([phone.start, phone.end, phone.text], [6, 17, '#'.repeat(11)])
  assert.equal(report.score, 80)
})

test('sessions push masked findings; scoreMany masks too', async () => {
  const engine = Engine.fromString(RUBRIC)
  const s = engine.session({ id: 'c1' })
  assert.equal(s.push(TRANSCRIPT.turns[0])[0].text, '###先生')
  assert.equal(s.push(TRANSCRIPT.turns[1])[0].text, '#'.repeat(11))
  assert.deepEqual(s.finish(), engine.score(TRANSCRIPT))
  const many = await engine.scoreMany([TRANSCRIPT, TRANSCRIPT])
  assert.deepEqual(many, [engine.score(TRANSCRIPT), engine.score(TRANSCRIPT)])
})

test('{redact: false} on fromFile and fromString gives the original text', () => {
  const file = rubricFile()
  const engines = [
    Engine.fromFile(file, { redact: false }),
    Engine.fromString(RUBRIC, { redact: false }),
    Engine.fromString(RUBRIC, 'yaml', { redact: false }),
    Engine.fromString(RUBRIC, undefined, { redact: false }),
  ]
  for (const engine of engines) {
    assert.equal(engine.redacts, false)
    const report = engine.score(TRANSCRIPT)
    assert.equal('redacted' in report, false)
    assert.deepEqual(report.findings.map((f) => f.text), ['張三豐先生', '１３８００１３８０００'])
    const s = engine.session()
    assert.equal(s.push(TRANSCRIPT.turns[1])[0].text, '１３８００１３８０００')
    assert.equal(engine.redactText('电话13800138000'), '电话13800138000')
  }
  // the defaults mask
  for (const engine of [
    Engine.fromFile(file),
    Engine.fromFile(file, {}),
    Engine.fromFile(file, { redact: true }),
    Engine.fromString(RUBRIC, 'yaml'),
  ]) {
    assert.equal(engine.score(TRANSCRIPT).redacted, true)
  }
})

test('redactText masks any text; nothing without a redact section', () => {
  const engine = Engine.fromString(RUBRIC)
  assert.equal(engine.redactText('写信a@b.cn或打138 0013 8000'), '写信######或打#############')
  assert.equal(engine.redactText(''), '')
  const plain = Engine.fromString('rubric: r\nrules: []')
  assert.equal(plain.redacts, false)
  assert.equal(plain.redactText('13800138000'), '13800138000')
  assert.throws(() => engine.redactText(42), { name: 'TypeError' })
})

test('bad options are TypeErrors that name the problem', () => {
  assert.throws(() => Engine.fromString(RUBRIC, 'yaml', { redacted: false }), (e) => {
    assert.equal(e.name, 'TypeError')
    assert.match(e.message, /redacted/)
    return true
  })
  assert.throws(() => Engine.fromString(RUBRIC, 'yaml', { redact: 'no' }), { name: 'TypeError' })
  assert.throws(() => Engine.fromFile(rubricFile(), 'no-redact'), { name: 'TypeError' })
})
