// The same input gives the same output: run after run, scoreMany or score, and from Node as from
// the `qa` command line (reports compared as parsed values, offsets turned into UTF-16 units).
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { ROOT, qa, utf16Offset, SPEC_RUBRIC } = require('./helpers')

const SAMPLE = path.join(ROOT, 'testdata', 'corpus', 'stc3-sample.jsonl')
const transcripts = fs
  .readFileSync(SAMPLE, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))

test('the same bytes run after run, from score and scoreMany', async () => {
  const engine = qa.Engine.fromFile(SPEC_RUBRIC)
  const ts = [...transcripts, ...transcripts, ...transcripts]
  const first = JSON.stringify(ts.map((t) => engine.score(t)))
  assert.equal(JSON.stringify(ts.map((t) => engine.score(t))), first)
  assert.equal(JSON.stringify(await engine.scoreMany(ts)), first)
  assert.equal(JSON.stringify(ts.map((t) => qa.Engine.fromFile(SPEC_RUBRIC).score(t))), first)
})

/** The most recently built `qa` binary of this workspace, if any. */
function qaBinary() {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target')
  const found = ['debug', 'release']
    .map((p) => path.join(target, p, 'qa'))
    .filter((p) => fs.existsSync(p))
  found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  return found[0]
}

test('Node and the CLI give the same reports', (t) => {
  const bin = qaBinary()
  if (!bin) return t.skip('no qa binary built (cargo build -p qa-cli)')
  const engine = qa.Engine.fromFile(SPEC_RUBRIC)
  for (const jobs of ['1', '2']) {
    const out = execFileSync(bin, ['score', SPEC_RUBRIC, SAMPLE, '--jobs', jobs, '--no-progress'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    })
    const cli = out.split('\n').filter((l) => l).map((l) => JSON.parse(l))
    assert.equal(cli.length, transcripts.length)
    cli.forEach((report, i) => {
      // the CLI counts code points, Node UTF-16 units
      for (const f of report.findings) {
        if (f.turn === null || f.start === null) continue
        const text = transcripts[i].turns[f.turn].text
        f.start = utf16Offset(text, f.start)
        f.end = utf16Offset(text, f.end)
      }
      assert.deepEqual(engine.score(transcripts[i]), report, transcripts[i].id)
    })
  }
})
