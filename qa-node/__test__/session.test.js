// Live sessions: finish() equals score() on the same turns, always.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa, SPEC_RUBRIC, stream } = require('./helpers')
const { conversation } = require('./conversations')

const engine = qa.Engine.fromFile(SPEC_RUBRIC)

test('streaming equals batch on many conversations', () => {
  let pushedCount = 0
  for (let i = 0; i < 300; i++) {
    const t = conversation(i, 1 + (i % 30))
    const [pushed, report] = stream(engine, t)
    assert.deepEqual(report, engine.score(t), `conversation ${i}`)
    pushedCount += pushed.length
    const key = (f) => JSON.stringify([f.rule, f.turn, f.start, f.end])
    const final = new Set(report.findings.map(key))
    for (const f of pushed) {
      assert.ok(final.has(key(f)), `conversation ${i}: pushed ${key(f)} is not in the report`)
      if (f.start !== null) assert.equal(t.turns[f.turn].text.slice(f.start, f.end), f.text)
    }
  }
  assert.ok(pushedCount > 0)
})

test('alerts are pushed at once, at the turn that makes them certain', () => {
  const session = engine.session({ id: 'live-1', agent: 'A007', channel: 'chat', meta: { order: 123 } })
  assert.deepEqual(session.push({ speaker: 'customer', text: '我的订单还没发货', start: 0 }), [])
  const now = session.push({ speaker: 'agent', text: '这是规定，你自己看', start: 5 })
  const rude = now.filter((f) => f.rule === 'rude')
  assert.equal(rude.length, 2)
  assert.ok(rude.every((f) => f.alert && f.turn === 1))
  assert.equal(session.turnCount, 2)
  const report = session.finish()
  assert.deepEqual([report.id, report.agent, report.channel, report.meta], ['live-1', 'A007', 'chat', { order: 123 }])
  assert.equal(session.turnCount, 0)
})

test('sessions are independent and a session without meta reports nulls', () => {
  const a = engine.session()
  const b = engine.session({ id: 'b' })
  a.push({ speaker: 'agent', text: '这是规定' })
  b.push({ speaker: 'agent', text: '您好' })
  const ra = a.finish()
  const rb = b.finish()
  assert.equal(ra.id, null)
  assert.equal(rb.id, 'b')
  assert.ok(ra.findings.some((f) => f.rule === 'rude'))
  assert.ok(!rb.findings.some((f) => f.rule === 'rude'))
})
