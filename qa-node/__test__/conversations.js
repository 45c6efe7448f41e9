// Deterministic made-up conversations for the tests: every kind of rule of the spec's example
// rubric finds something in some of them.
'use strict'

const AGENT = [
  '您好，很高兴为您服务',
  '这是规定，你自己看',
  '这款产品保本，稳赚不赔 😀',
  '这款产品不保本',
  '请提供一下报警代码',
  '非常抱歉，为您升级处理',
  '您的手机号 13800138000 已登记',
  '卡号是 6222020200112233445',
  '理解您的心情，给您带来不便了',
  '投资有风险',
  '还有什么可以帮您？祝您生活愉快',
  'Hello, 👨‍👩‍👧 how can I help?',
]
const CUSTOMER = [
  '我的订单三天了还没发货',
  '机器报警了，亮红灯',
  '我要投诉，找你们领导',
  '气死了，什么破服务',
  '到底还要多久',
  '好的谢谢',
  '我的订单三天了还没发货啊',
  '𠮷 这个字显示不出来',
]

/** A small PRNG, so that runs are reproducible. */
function rng(seed) {
  let x = (seed * 2654435761) >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 4294967296
  }
}

/** Conversation `i` with `n` turns; every third one has no timestamps. */
function conversation(i, n) {
  const r = rng(i + 1)
  const timed = i % 3 !== 0
  let t = 0
  const turns = []
  for (let k = 0; k < n; k++) {
    const agent = r() < 0.5
    const pool = agent ? AGENT : CUSTOMER
    const turn = { speaker: agent ? 'agent' : 'customer', text: pool[Math.floor(r() * pool.length)] }
    if (timed) {
      t += Math.floor(r() * 90)
      turn.start = t
      if (r() < 0.7) turn.end = t + Math.floor(r() * 20)
    }
    turns.push(turn)
  }
  return { id: `c${i}`, agent: `A${i % 7}`, channel: i % 2 ? 'chat' : 'call', turns }
}

module.exports = { conversation }
