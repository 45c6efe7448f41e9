// The Node binding's side of benches/compare: Engine.score per transcript on the main thread
// (objects already parsed), best of R rounds. Uses the addon qa-node/test.sh builds.
//
//     node bench.js RUBRIC.yaml CORPUS.jsonl [--rounds R]
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { Engine } = require(path.join(__dirname, '..', '..', 'qa-node'))

const args = process.argv.slice(2)
const at = args.indexOf('--rounds')
const rounds = at >= 0 ? Number(args[at + 1]) : 3
const engine = Engine.fromFile(args[0])
const docs = fs
  .readFileSync(args[1], 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
for (const d of docs.slice(0, 50)) engine.score(d)
let best = Infinity
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint()
  for (const d of docs) engine.score(d)
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
}
console.log(JSON.stringify({ node_binding_per_s: docs.length / best }))
