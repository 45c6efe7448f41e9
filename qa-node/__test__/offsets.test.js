// Offsets are UTF-16 code units: turnText.slice(f.start, f.end) === f.text, emoji included.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { qa } = require('./helpers')

const engine = qa.Engine.fromString(`
rubric: offsets
normalize: {skip: " *-"}
rules:
  - {id: rude, kind: forbid, match: [这是规定, 爱买不买, "don't care"], deduct: 1, max_deduct: 100}
  - {id: smile, kind: forbid, role: any, match: ["😀"], deduct: 0}
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\\d{9}'}]}
`)

const texts = [
  '😀👨‍👩‍👧这是规定',
  '好的👍这是规定😀 I DON\'T CARE',
  '𠮷野家 爱*买-不买 🇨🇳 这是规定',
  '电话 138-0013-8000 👨‍👩‍👧‍👦',
  '這是規定', // 繁體: the original text is reported
  'ＤＯＮ\'Ｔ ＣＡＲＥ',
]

test('every finding slices out of its turn exactly, with emoji before and inside', () => {
  const transcript = { turns: texts.map((text) => ({ speaker: 'agent', text })) }
  const report = engine.score(transcript)
  const spans = report.findings.filter((f) => f.turn !== null)
  assert.equal(spans.length, 10, JSON.stringify(spans.map((f) => f.text)))
  for (const f of spans) {
    assert.equal(texts[f.turn].slice(f.start, f.end), f.text, JSON.stringify(f))
  }
  const first = spans.find((f) => f.turn === 0 && f.rule === 'rude')
  // 😀 is 2 UTF-16 units and 👨‍👩‍👧 is 8: 10 units before the match (6 code points)
  assert.deepEqual([first.start, first.end], [10, 14])
  assert.ok(spans.some((f) => f.turn === 2 && f.text === '爱*买-不买'))
  assert.ok(spans.some((f) => f.turn === 3 && f.text === '138-0013-8000'))
  assert.ok(spans.some((f) => f.turn === 4 && f.text === '這是規定'))
  assert.ok(spans.some((f) => f.turn === 5 && f.text === 'ＤＯＮ\'Ｔ ＣＡＲＥ'))
})

test('pushed findings have UTF-16 offsets too', () => {
  const session = engine.session()
  for (const [i, text] of texts.entries()) {
    for (const f of session.push({ speaker: 'agent', text })) {
      assert.equal(f.turn, i)
      assert.equal(text.slice(f.start, f.end), f.text)
    }
  }
})
