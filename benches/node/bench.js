// The Node binding's side of benches/compare (issue 11): each way of scoring the same JSON lines
// through the addon qa-node/test.sh builds, on the main thread, to compare with
// `qa score --jobs 1` on those lines.
//
//     node bench.js RUBRIC LINES.jsonl [--rounds R]
//
// The file is read into memory first; the timed loops are:
// - node_score_json_str_per_s: engine.scoreJson(line) for each line as a string;
// - node_score_json_buffer_per_s: engine.scoreJson(buf) for each line as a Buffer (views of the
//   file's Buffer, no copy);
// - node_score_object_per_s: engine.score(obj) for each object (parsed before timing).
// Each is conversations per second, best of R rounds; reports come back as objects. Prints one
// JSON object.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { Engine } = require(path.join(__dirname, '..', '..', 'qa-node'))

const args = process.argv.slice(2)
const at = args.indexOf('--rounds')
const rounds = at >= 0 ? Number(args[at + 1]) : 3
const engine = Engine.fromFile(args[0])

const file = fs.readFileSync(args[1])
const buffers = []
for (let start = 0; start < file.length; ) {
  let end = file.indexOf(0x0a, start)
  if (end < 0) end = file.length
  const line = file.subarray(start, end)
  if (line.toString('utf8').trim()) buffers.push(line)
  start = end + 1
}
const lines = buffers.map((b) => b.toString('utf8'))
const objects = lines.map((l) => JSON.parse(l))
for (const l of lines.slice(0, 50)) engine.scoreJson(l) // warm up

function bestOf(run) {
  let best = Infinity
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint()
    run()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  return lines.length / best
}

const out = {
  node_score_json_str_per_s: bestOf(() => {
    for (const l of lines) engine.scoreJson(l)
  }),
  node_score_json_buffer_per_s: bestOf(() => {
    for (const b of buffers) engine.scoreJson(b)
  }),
  node_score_object_per_s: bestOf(() => {
    for (const o of objects) engine.score(o)
  }),
}
console.log(JSON.stringify(out))
