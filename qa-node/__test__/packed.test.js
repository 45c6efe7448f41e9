// The layout of a packed package (scripts/dist.sh): no qa-engine.node, no Rust sources, the
// prebuilt addon under its napi-rs name. Built here in a temporary folder from the checkout's
// files and its built addon; scripts/dist-test.sh checks the real .tgz with no Rust on the PATH.
'use strict'

const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const test = require('node:test')

const PKG = path.resolve(__dirname, '..')
const { triples, prebuiltName, prebuilt } = require('../platform.js')
const { files } = require('../package.json')

/** A folder with the files `package.json` packs, less the addon; removed after `f`. */
function packedDir(f) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-node-packed-'))
  try {
    for (const name of files.filter((n) => !n.includes('*'))) {
      fs.copyFileSync(path.join(PKG, name), path.join(dir, name))
    }
    fs.copyFileSync(path.join(PKG, 'package.json'), path.join(dir, 'package.json'))
    return f(dir)
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
}

test('the napi-rs names of platforms', () => {
  assert.deepEqual(triples('win32', 'x64'), ['win32-x64-msvc'])
  assert.deepEqual(triples('darwin', 'arm64'), ['darwin-arm64', 'darwin-universal'])
  assert.match(triples('linux', 'x64')[0], /^linux-x64-(gnu|musl)$/)
  assert.equal(prebuiltName('linux-x64-gnu'), 'qa-engine.linux-x64-gnu.node')
})

test('package.json packs the loader, the types and the prebuilt addons, no sources', () => {
  for (const f of ['index.js', 'index.d.ts', 'install.js', 'platform.js']) assert.ok(files.includes(f), f)
  assert.ok(files.includes('qa-engine.*.node'))
  assert.ok(!files.some((f) => /Cargo|src|\.rs$|^qa-engine\.node$/.test(f)))
})

test('a packed package loads its prebuilt addon and scores', () => {
  packedDir((dir) => {
    fs.copyFileSync(path.join(PKG, 'qa-engine.node'), path.join(dir, prebuiltName(triples()[0])))
    assert.equal(prebuilt(dir), path.join(dir, prebuiltName(triples()[0])))
    const script =
      `const { Engine } = require(${JSON.stringify(dir)});` +
      `const e = Engine.fromString('rubric: t\\nrules:\\n  - {id: rude, kind: forbid, match: [這是規定], deduct: 10}\\n');` +
      `const r = e.score({turns: [{speaker: 'agent', text: '😀 這是規定'}]});` +
      `console.log(r.score, r.findings.length)`
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    assert.equal(out, '90 1\n')
    // the install script builds nothing and says which prebuilt it uses
    const inst = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8' })
    assert.equal(inst.status, 0, inst.stderr)
    assert.match(inst.stdout, new RegExp(`using the prebuilt addon qa-engine\\.${triples()[0]}\\.node`))
  })
})

test('a packed package without an addon for this platform says so', () => {
  packedDir((dir) => {
    const inst = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8' })
    assert.equal(inst.status, 1)
    assert.match(inst.stderr, new RegExp(`no prebuilt addon for ${triples()[0]}`))
    const load = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dir)})`], { encoding: 'utf8' })
    assert.notEqual(load.status, 0)
    assert.match(load.stderr, new RegExp(`neither qa-engine\\.node nor a prebuilt qa-engine\\.${triples()[0]}\\.node`))
  })
})
