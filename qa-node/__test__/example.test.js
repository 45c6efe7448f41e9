// examples/node/server.js runs as a user would run it (`require('qa-engine')`) and answers.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT } = require('./helpers')

/** A NODE_PATH folder in which `require('qa-engine')` finds this package. */
function nodePath() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-node-path-'))
  fs.symlinkSync(path.resolve(__dirname, '..'), path.join(dir, 'qa-engine'), 'dir')
  return dir
}

/** Starts the example server on a free port; resolves with [base url, child, NODE_PATH dir]. */
function start() {
  const dir = nodePath()
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'node', 'server.js')], {
    env: { ...process.env, NODE_PATH: dir, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const m = out.match(/listening on (http:\/\/\S+)/)
      if (m) resolve([m[1], child, dir])
    })
    child.on('exit', (code) => reject(new Error(`the example exited with ${code}: ${out}`)))
  })
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) })
  return [res.status, await res.json()]
}

test('the example HTTP service scores, batches and reports bad input', async (t) => {
  const [base, child, dir] = await start()
  t.after(() => {
    child.kill()
    fs.rmSync(dir, { recursive: true })
  })
  const convo = {
    id: 'c1',
    turns: [
      { speaker: 'customer', text: '我要投诉' },
      { speaker: 'agent', text: '😀 这是规定' },
    ],
  }
  let [status, report] = await post(`${base}/score`, convo)
  assert.equal(status, 200)
  assert.equal(report.id, 'c1')
  assert.deepEqual(
    report.findings.map((f) => f.rule),
    ['greeting', 'complaint-ignored', 'rude'],
  )
  const rude = report.findings[2]
  assert.equal(convo.turns[1].text.slice(rude.start, rude.end), '这是规定')
  assert.equal(report.score, 75)

  const [batchStatus, reports] = await post(`${base}/batch`, [convo, { id: 'c2', turns: [] }])
  assert.equal(batchStatus, 200)
  assert.deepEqual(reports[0], report)
  assert.equal(reports[1].id, 'c2')

  ;[status, report] = await post(`${base}/score`, { turns: [{ speaker: 'agent' }] })
  assert.equal(status, 400)
  assert.deepEqual(report.error.turn, 0)
  assert.deepEqual(report.error.field, 'text')
  assert.equal(report.error.kind, 'missing_field')
})
