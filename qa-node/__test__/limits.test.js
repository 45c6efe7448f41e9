// The engine's limits are checked while a transcript is converted, before the costly part:
// before, a 1,000,000-turn body cost 5.7 s and 1.3 GB before `too_many_turns`. The limits are
// on the engine (`engine.limits`), and `meta` and `id` / `agent` / `channel` are bounded too.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa } = require('./helpers')

const engine = qa.Engine.fromString('rubric: t\nrules:\n  - {id: rude, kind: forbid, match: [爱买不买], deduct: 10}\n')
const limits = engine.limits

/** Runs f, which must throw a TranscriptError; returns [error, milliseconds]. */
function refused(f) {
  const t0 = performance.now()
  try {
    f()
  } catch (e) {
    const ms = performance.now() - t0
    assert.equal(e.code, 'QA_TRANSCRIPT_ERROR', e.message)
    return [e, ms]
  }
  assert.fail('did not throw')
}

async function rejected(p) {
  const t0 = performance.now()
  try {
    await p
  } catch (e) {
    return [e, performance.now() - t0]
  }
  assert.fail('did not reject')
}

test('the limits are on the engine', () => {
  assert.deepEqual(
    [limits.maxTurns, limits.maxTurnBytes, limits.maxTranscriptBytes, limits.maxMetaBytes, limits.maxLabelBytes],
    [100_000, 1 << 20, 16 << 20, 64 << 10, 64 << 10],
  )
  assert.equal(typeof limits.maxRules, 'number')
  assert.ok(Object.keys(limits).every((k) => /^max[A-Z]/.test(k)), Object.keys(limits).join())
})

test('a million turns are refused at once, not after converting them', async () => {
  const turn = { speaker: 'agent', text: 'hello' }
  const many = new Array(1_000_000).fill(turn)
  let [e, ms] = refused(() => engine.score({ id: 'big', turns: many }))
  assert.deepEqual([e.kind, e.field, e.turn], ['too_many_turns', 'turns', null])
  assert.equal(e.message, 'the transcript has 1000000 turns, over the limit of 100000')
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`)
  ;[e, ms] = await rejected(engine.scoreMany([{ turns: [turn] }, { turns: many }]))
  assert.deepEqual([e.kind, e.index], ['too_many_turns', 1])
  assert.ok(ms < 500, `${ms.toFixed(0)} ms`)
  const settled = await engine.scoreManySettled([{ turns: many }, { turns: [turn] }])
  assert.equal(settled[0].kind, 'too_many_turns')
  assert.equal(typeof settled[1].score, 'number')
  // one over the limit is refused, the limit itself is fine
  assert.equal(refused(() => engine.score({ turns: many.slice(0, limits.maxTurns + 1) }))[0].kind, 'too_many_turns')
  assert.equal(engine.score({ turns: many.slice(0, limits.maxTurns) }).findings.length, 0)
})

test('a turn over the size limit is refused before anything is written', () => {
  const huge = 'x'.repeat(64 << 20)
  const meta = { big: Array.from({ length: 1000 }, () => 'y'.repeat(1000)) } // converted only after the turns
  let [e, ms] = refused(() => engine.score({ meta, turns: [{ speaker: 'agent', text: 'a' }, { speaker: 'agent', text: huge }] }))
  assert.deepEqual([e.kind, e.turn, e.field], ['turn_too_long', 1, 'text'])
  assert.equal(e.message, `turn 1: the text is at least ${64 << 20} bytes, over the limit of ${1 << 20}`)
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`)
  ;[e] = refused(() => engine.score({ turns: [{ speaker: huge, text: '' }] }))
  assert.deepEqual([e.kind, e.turn, e.field], ['turn_too_long', 0, 'speaker'])
  ;[e, ms] = refused(() => engine.session().push({ speaker: 'agent', text: huge }))
  assert.deepEqual([e.kind, e.turn, e.field], ['turn_too_long', 0, 'text'])
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`)
  // the sum of the turns: 17 turns of 1 MiB are over 16 MiB
  const mib = 'z'.repeat(limits.maxTurnBytes)
  ;[e] = refused(() => engine.score({ turns: Array.from({ length: 17 }, () => ({ speaker: 'a', text: mib })) }))
  assert.deepEqual([e.kind, e.field], ['transcript_too_large', null])
  // UTF-8 bytes count, not UTF-16 units: 400,000 CJK characters are 1.2 MB
  ;[e] = refused(() => engine.score({ turns: [{ speaker: 'a', text: '爱'.repeat(400_000) }] }))
  assert.deepEqual([e.kind, e.field], ['turn_too_long', 'text'])
  assert.equal(engine.score({ turns: [{ speaker: 'a', text: '爱'.repeat(300_000) }] }).findings.length, 0)
})

test('meta over the limit (64 KiB of JSON) is refused while it is written', () => {
  const item = 'm'.repeat(1000)
  const big = { list: new Array(100_000).fill(item) } // 100 MB of JSON
  let [e, ms] = refused(() => engine.score({ meta: big, turns: [] }))
  assert.deepEqual([e.kind, e.field], ['meta_too_large', 'meta'])
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`)
  ;[e] = refused(() => engine.session({ meta: big }))
  assert.deepEqual([e.kind, e.field], ['meta_too_large', 'meta'])
  // just under the limit is fine; one byte more is not (counted in UTF-8 bytes of its JSON)
  const under = { s: 'a'.repeat(limits.maxMetaBytes - 8) } // {"s":"…"} is 8 bytes more
  assert.equal(engine.score({ meta: under, turns: [] }).meta.s.length, limits.maxMetaBytes - 8)
  ;[e] = refused(() => engine.score({ meta: { s: 'a'.repeat(limits.maxMetaBytes - 7) }, turns: [] }))
  assert.equal(e.field, 'meta')
  ;[e] = refused(() => engine.score({ meta: { s: '爱'.repeat(limits.maxMetaBytes / 3) }, turns: [] }))
  assert.equal(e.field, 'meta')
})

test('id, agent and channel are bounded', () => {
  for (const field of ['id', 'agent', 'channel']) {
    const [e] = refused(() => engine.score({ [field]: 'i'.repeat(limits.maxLabelBytes + 1), turns: [] }))
    assert.deepEqual([e.kind, e.field], ['meta_too_large', field])
    assert.equal(engine.score({ [field]: 'i'.repeat(limits.maxLabelBytes), turns: [] })[field].length, limits.maxLabelBytes)
    const [s] = refused(() => engine.session({ [field]: '爱'.repeat(limits.maxLabelBytes) }))
    assert.equal(s.field, field)
  }
})

test('a batch refuses each transcript over a limit in its place', async () => {
  const ok = { turns: [{ speaker: 'agent', text: '爱买不买' }] }
  const out = await engine.scoreManySettled([ok, { id: 'x'.repeat(limits.maxLabelBytes + 1), turns: [] }, { turns: new Array(100_001).fill(ok.turns[0]) }, ok])
  assert.deepEqual(out.map((r) => (r instanceof Error ? [r.kind, r.index] : r.score)), [90, ['meta_too_large', 1], ['too_many_turns', 2], 90])
})
