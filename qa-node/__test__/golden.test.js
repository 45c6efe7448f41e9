// The shared golden cases of testdata/cases (see testdata/README.md), run through the Node API:
// score() and a streamed session must both give the expected report, with UTF-16 offsets.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { loadCases, engineOf, expectedUtf16, stream } = require('./helpers')

const cases = loadCases()

test('the golden cases are there', () => {
  assert.ok(cases.length > 0, 'no case in testdata/cases')
})

/** Checks one reported problem against the fields an expected error gives. */
function checkDiagnostic(d, want, where) {
  for (const key of ['kind', 'line', 'column', 'rule']) {
    if (key in want) assert.equal(d[key], want[key], `${where}: ${key}`)
  }
  // as every runner does (testdata/README.md): in `message; help`
  const text = `${d.message}; ${d.help ?? ''}`
  for (const part of want.message_contains ?? []) {
    assert.ok(text.includes(part), `${where}: ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`)
  }
}

for (const c of cases) {
  const name = c.name ?? c.file.replace(/\.json$/, '')
  if (c.expected_error || c.expected_errors) {
    test(`golden ${name}: the rubric is rejected`, () => {
      let err
      assert.throws(
        () => engineOf(c),
        (e) => ((err = e), true),
      )
      assert.ok(err instanceof Error)
      assert.equal(err.name, 'RubricError')
      assert.equal(err.code, 'QA_RUBRIC_ERROR')
      const diags = err.diagnostics
      // the error's own fields are those of its first problem
      assert.deepEqual(
        [err.kind, err.line, err.column, err.rule],
        [diags[0].kind, diags[0].line, diags[0].column, diags[0].rule],
      )
      if (c.expected_error) {
        checkDiagnostic(diags[0], c.expected_error, 'error')
      } else {
        assert.equal(
          diags.length,
          c.expected_errors.length,
          `errors: ${diags.map((d) => d.text).join(' | ')}`,
        )
        c.expected_errors.forEach((want, i) => checkDiagnostic(diags[i], want, `error ${i}`))
      }
    })
    continue
  }
  test(`golden ${name}: score`, () => {
    const report = engineOf(c).score(c.transcript)
    assert.deepEqual(report, expectedUtf16(c))
    for (const f of report.findings) {
      if (f.turn !== null && f.start !== null) {
        const slice = c.transcript.turns[f.turn].text.slice(f.start, f.end)
        if (report.redacted) {
          // masked one code point for one: each is the original's or the (one) mask
          const [o, t] = [[...slice], [...f.text]]
          assert.equal(t.length, o.length, `${f.rule}: ${f.text} vs ${slice}`)
          const masks = new Set(t.filter((ch, i) => ch !== o[i]))
          assert.ok(masks.size <= 1, `${f.rule}: ${f.text} vs ${slice}`)
        } else {
          assert.equal(slice, f.text)
        }
      }
    }
  })
  if (c.stream !== false) {
    test(`golden ${name}: streamed through a session`, () => {
      const [pushed, report] = stream(engineOf(c), c.transcript)
      assert.deepEqual(report, expectedUtf16(c))
      // what a push reports is certain: it is in the final report
      const key = (f) => JSON.stringify([f.rule, f.turn, f.start, f.end, f.text])
      const final = new Set(report.findings.map(key))
      for (const f of pushed) assert.ok(final.has(key(f)), `pushed ${key(f)} is not in the report`)
    })
  }
}
