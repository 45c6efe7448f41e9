// scoreMany / scoreManySettled on big batches keep the event loop free (conversion in slices,
// scoring on the thread pool, reports taken back in chunks), never throw synchronously, and take
// Proxy-wrapped state (Vue's `reactive`, MobX's `observable`) as plain data.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa, SPEC_RUBRIC } = require('./helpers')
const { conversation } = require('./conversations')

const engine = qa.Engine.fromFile(SPEC_RUBRIC)
// one cheap rule: converting dominates, as it does for most rubrics on the main thread
const cheap = qa.Engine.fromString('rubric: t\nrules:\n  - {id: rude, kind: forbid, match: [这是规定], deduct: 10}\n')

/**
 * Runs `start()` (which returns a promise) and measures how late timers run meanwhile: a
 * timeout scheduled right after the call, and the longest gap between the ticks of a 5 ms
 * interval.
 */
async function timerLateness(start) {
  let last = performance.now()
  let maxGap = 0
  const interval = setInterval(() => {
    const now = performance.now()
    maxGap = Math.max(maxGap, now - last)
    last = now
  }, 5)
  const called = performance.now()
  const pending = start()
  const returned = performance.now() - called
  let firstTimer
  const timeout = new Promise((resolve) => setTimeout(() => resolve((firstTimer = performance.now() - called)), 0))
  const result = await pending
  await timeout
  clearInterval(interval)
  return { result, returned, firstTimer, maxGap, total: performance.now() - called }
}

test('a timer scheduled during a big scoreMany fires within 100 ms', async () => {
  // 6,000 conversations of 40 turns: before, the call itself blocked for about a second and
  // taking the reports back as long again
  const batch = Array.from({ length: 6000 }, (_, i) => conversation(i, 40))
  for (const method of ['scoreMany', 'scoreManySettled']) {
    const m = await timerLateness(() => cheap[method](batch))
    const what = `${method}: call ${m.returned.toFixed(0)} ms, first timer ${m.firstTimer.toFixed(0)} ms, ` +
      `longest gap ${m.maxGap.toFixed(0)} ms, all ${m.total.toFixed(0)} ms`
    assert.equal(m.result.length, batch.length)
    assert.ok(m.returned < 100, what)
    assert.ok(m.firstTimer < 100, what)
    assert.ok(m.maxGap < 100, what)
    assert.deepEqual(m.result[batch.length - 1], cheap.score(batch[batch.length - 1]))
  }
  // JSON text items too
  const texts = batch.map((t) => JSON.stringify(t))
  const m = await timerLateness(() => cheap.scoreMany(texts))
  assert.ok(m.maxGap < 100 && m.firstTimer < 100, `JSON text: longest gap ${m.maxGap.toFixed(0)} ms`)
})

test('a throwing getter or Proxy trap rejects the promise, never throws', async () => {
  const boom = new Error('boom')
  const good = conversation(1, 3)
  const getter = { turns: [] }
  Object.defineProperty(getter, 'id', { get: () => { throw boom }, enumerable: true })
  const trap = new Proxy({}, { ownKeys() { throw boom } })
  const arrayTrap = new Proxy([good, good], { get(t, k) { if (k === '1') throw boom; return Reflect.get(t, k) } })
  const lengthTrap = new Proxy([good], { get(t, k) { if (k === 'length') throw boom; return Reflect.get(t, k) } })
  const turnsTrap = { turns: new Proxy([], { get() { throw boom } }) }
  for (const method of ['scoreMany', 'scoreManySettled']) {
    for (const batch of [[good, getter], [trap], arrayTrap, lengthTrap, [good, turnsTrap]]) {
      let p
      assert.doesNotThrow(() => (p = engine[method](batch)), method)
      assert.ok(p instanceof Promise)
      await assert.rejects(p, (e) => e === boom, method)
    }
    // a wrong argument rejects too
    for (const bad of ['nope', 5, null, undefined, { length: 1, 0: good }]) {
      let p
      assert.doesNotThrow(() => (p = engine[method](bad)))
      await assert.rejects(p, (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
    }
  }
})

/** A deep reactive proxy, as Vue 3's `reactive` and MobX's `observable` make. */
function reactive(target, log) {
  if (target === null || typeof target !== 'object') return target
  return new Proxy(target, {
    get(t, key, receiver) {
      log.push(key)
      return reactive(Reflect.get(t, key, receiver), log)
    },
    has(t, key) {
      log.push(key)
      return Reflect.has(t, key)
    },
    ownKeys(t) {
      log.push('ownKeys')
      return Reflect.ownKeys(t)
    },
  })
}

test('Proxy-wrapped state (arrays, transcripts, turns) is read as plain data', async () => {
  const plain = Array.from({ length: 50 }, (_, i) => conversation(i, 12))
  const log = []
  const state = reactive(structuredClone(plain), log)
  assert.ok(Array.isArray(state) && Array.isArray(state[0].turns))
  const want = plain.map((t) => engine.score(t))
  assert.deepEqual(state.map((t) => engine.score(t)), want)
  assert.deepEqual(await engine.scoreMany(state), want)
  assert.deepEqual(await engine.scoreManySettled(state), want)
  const s = engine.session(reactive({ id: plain[0].id, agent: plain[0].agent, channel: plain[0].channel }, log))
  for (const turn of state[0].turns) s.push(turn)
  assert.deepEqual(s.finish(), want[0])
  assert.ok(log.length > 0) // the traps were used
})
