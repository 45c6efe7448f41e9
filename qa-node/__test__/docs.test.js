// docs/node.md's first example runs and prints what the page says it prints.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT } = require('./helpers')

test("docs/node.md's first example prints its documented output", () => {
  const page = fs.readFileSync(path.join(ROOT, 'docs', 'node.md'), 'utf8')
  const m = page.match(/```js\n([\s\S]*?)```\s*\nprints\s*\n\s*```text\n([\s\S]*?)```/)
  assert.ok(m, 'the page opens with a ```js example followed by "prints" and a ```text block')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-node-docs-'))
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'))
    fs.symlinkSync(path.resolve(__dirname, '..'), path.join(dir, 'node_modules', 'qa-engine'), 'dir')
    fs.writeFileSync(path.join(dir, 'example.js'), m[1])
    const out = execFileSync(process.execPath, [path.join(dir, 'example.js')], { encoding: 'utf8' })
    assert.equal(out, m[2])
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})
