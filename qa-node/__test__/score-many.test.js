// scoreMany runs off the main thread: same reports as score(), in order, while the event
// loop keeps ticking.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa, SPEC_RUBRIC } = require('./helpers')
const { conversation } = require('./conversations')

const engine = qa.Engine.fromFile(SPEC_RUBRIC)

test('scoreMany gives the reports of score(), in input order', async () => {
  const batch = Array.from({ length: 300 }, (_, i) => conversation(i, 20))
  const reports = await engine.scoreMany(batch)
  assert.equal(reports.length, batch.length)
  reports.forEach((r, i) => {
    assert.equal(r.id, batch[i].id)
    assert.deepEqual(r, engine.score(batch[i]))
  })
  assert.ok(reports.some((r) => r.findings.length > 0))
  assert.deepEqual(await engine.scoreMany([]), [])
})

test('the event loop keeps ticking during a large scoreMany', async () => {
  // grow the batch until scoring it takes a while, so that ticks have time to happen
  for (let size = 2000; ; size *= 2) {
    const batch = Array.from({ length: size }, (_, i) => conversation(i, 40))
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const started = process.hrtime.bigint()
    const pending = engine.scoreMany(batch)
    // scoreMany returned at once, before any scoring: the promise settles later
    assert.ok(pending instanceof Promise)
    const reports = await pending
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    clearInterval(timer)
    assert.equal(reports.length, size)
    if (ms < 200 && size < 64000) continue
    // a blocked loop would tick at most once; a free one about once a millisecond
    assert.ok(ticks >= 20, `only ${ticks} ticks in ${ms.toFixed(0)} ms for ${size} conversations`)
    assert.deepEqual(reports[size - 1], engine.score(batch[size - 1]))
    break
  }
})

test('many scoreMany calls at once settle independently and in order', async () => {
  const batches = Array.from({ length: 8 }, (_, b) =>
    Array.from({ length: 50 }, (_, i) => conversation(b * 1000 + i, 10)),
  )
  const results = await Promise.all(batches.map((batch) => engine.scoreMany(batch)))
  results.forEach((reports, b) => {
    assert.deepEqual(
      reports.map((r) => r.id),
      batches[b].map((t) => t.id),
    )
  })
})
