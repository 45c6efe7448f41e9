// Shared by the tests: the package under test and the shared golden cases, resolved from this
// file (not from the working directory).
'use strict'

const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..', '..')
const CASES = path.join(ROOT, 'testdata', 'cases')
const qa = require('..')

/** Every golden case in testdata/cases, by file name. */
function loadCases() {
  if (!fs.existsSync(CASES)) return []
  return fs
    .readdirSync(CASES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(path.join(CASES, f), 'utf8')) }))
}

/** The case's engine (throws the RubricError of an error case). */
function engineOf(c) {
  if (c.rubric !== undefined) return qa.Engine.fromString(JSON.stringify(c.rubric), 'json')
  return qa.Engine.fromString(c.rubric_text, c.rubric_format)
}

/** Code-point offset `cp` in `text` as UTF-16 code units. */
function utf16Offset(text, cp) {
  return [...text].slice(0, cp).join('').length
}

/** The expected report of a case, with its code-point offsets turned into UTF-16 ones. */
function expectedUtf16(c) {
  const expected = structuredClone(c.expected)
  for (const f of expected.findings) {
    if (f.turn === null || f.start === null) continue
    const text = c.transcript.turns[f.turn].text
    f.start = utf16Offset(text, f.start)
    f.end = utf16Offset(text, f.end)
  }
  return expected
}

/** The session meta of a transcript: every field but the turns. */
function metaOf(transcript) {
  const { turns, ...meta } = transcript
  return meta
}

/** Streams a transcript through a session: [every pushed finding, the final report]. */
function stream(engine, transcript) {
  const session = engine.session(metaOf(transcript))
  const pushed = []
  for (const turn of transcript.turns) pushed.push(...session.push(turn))
  return [pushed, session.finish()]
}

/** A rubric with every kind of rule (the spec's example). */
const SPEC_RUBRIC = path.join(ROOT, 'testdata', 'rubrics', 'spec-example.yaml')

module.exports = { ROOT, qa, loadCases, engineOf, utf16Offset, expectedUtf16, metaOf, stream, SPEC_RUBRIC }
