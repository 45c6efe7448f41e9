// A minimal HTTP service that scores conversations with qa-engine (plain `http`, no framework;
// the handlers have the (req, res) shape Express uses too).
//
//   node server.js [rubric.yaml]          # listens on $PORT (default 3000)
//   curl -s localhost:3000/score -d '{"turns": [{"speaker": "agent", "text": "这是规定"}]}'
//
// POST /score  one transcript → its report (scored inline: one conversation takes microseconds)
// POST /batch  an array of transcripts → their reports (scored off the event loop)
// A bad transcript is a 400 with the error's code, kind, turn and field.
'use strict'

const http = require('node:http')
const path = require('node:path')
const { Engine } = require('qa-engine')

/** Reads a JSON request body (at most `limit` bytes). */
function readJson(req, limit = 16 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (chunk) => {
      size += chunk.length
      if (size > limit) reject(Object.assign(new Error('body too large'), { status: 413 }))
      else chunks.push(chunk)
    })
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch (e) {
        reject(Object.assign(e, { status: 400 }))
      }
    })
    req.on('error', reject)
  })
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

/** Turns an error into a response: qa-engine's errors carry code, kind, turn and field. */
function sendError(res, e) {
  if (e.code === 'QA_TRANSCRIPT_ERROR') {
    const { code, kind, turn, field, index, message } = e
    return send(res, 400, { error: { code, kind, turn, field, index, message } })
  }
  send(res, e.status ?? 500, { error: { message: e.message } })
}

/** The request handler of a service scoring with `engine`. */
function handler(engine) {
  return async (req, res) => {
    try {
      if (req.method === 'POST' && req.url === '/score') {
        send(res, 200, engine.score(await readJson(req)))
      } else if (req.method === 'POST' && req.url === '/batch') {
        send(res, 200, await engine.scoreMany(await readJson(req)))
      } else {
        send(res, 404, { error: { message: 'POST /score or /batch' } })
      }
    } catch (e) {
      sendError(res, e)
    }
  }
}

if (require.main === module) {
  const rubric = process.argv[2] ?? path.join(__dirname, 'rubric.yaml')
  const engine = Engine.fromFile(rubric) // compiled once, shared by every request
  const server = http.createServer(handler(engine))
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
    const { address, port } = server.address()
    console.log(`qa-engine listening on http://${address}:${port}`)
  })
}

module.exports = { handler }
