//! The rubrics the benchmarks run, generated as YAML text so that compiling them is measured
//! from the text a user would write.
//!
//! - [`hundred`]: 100 rules of every kind, as a helpdesk writes them: ~15 hand-written rules
//!   (greeting, closing, rude words, promises with `negation: skip`, respond rules, reply times,
//!   silence, overlap, duration, an angry customer) and 85 keyword rules of 5 phrases each.
//! - [`ten_thousand`]: the same hand-written rules plus keyword rules over lists of 100 phrases,
//!   10,000 distinct phrases in all.
//! - [`Variant::Word`]: every rule with `word: true`; [`Variant::Regex`]: five keyword rules
//!   replaced by regex rules (phone, card, e-mail, order number, link).
//! - [`keywords_only`] and [`regexes_only`]: 10 `forbid` rules each, the A/B pair for what a
//!   regex rule costs next to a keyword rule.
//! - [`phrases_only`]: 100 `forbid` rules of plain phrases over every role, the rubric both
//!   qa-core and `matcher_rs` run in the comparison.

use std::fmt::Write;

use crate::corpus::Rng;

/// Which flavour of a generated rubric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Keyword rules, substring matching.
    Plain,
    /// `word: true` on every rule (segmentation on).
    Word,
    /// Five of the keyword rules are regex rules.
    Regex,
}

const ZH_WORDS: &[&str] = &[
    "退款",
    "退货",
    "换货",
    "发票",
    "运费",
    "补偿",
    "优惠券",
    "积分",
    "会员",
    "订单",
    "物流",
    "快递",
    "配送",
    "签收",
    "安装",
    "维修",
    "保修",
    "质量",
    "价格",
    "降价",
    "赔偿",
    "投诉",
    "账单",
    "话费",
    "流量",
    "套餐",
    "宽带",
    "信号",
    "停机",
    "欠费",
    "密码",
    "验证码",
    "银行卡",
    "信用卡",
    "利息",
    "额度",
    "分期",
    "理财",
    "收益",
    "风险",
    "保险",
    "合同",
    "违约",
    "押金",
    "审核",
    "失败",
    "成功",
    "超时",
    "延迟",
    "取消",
    "加急",
    "催促",
    "处理",
    "核实",
    "登记",
    "反馈",
    "升级",
    "回访",
    "评价",
    "满意",
    "不满",
    "问题",
    "故障",
    "报错",
    "无法",
    "马上",
    "立即",
    "稍后",
    "今天",
    "明天",
    "三天",
    "一周",
    "客服",
    "专员",
    "主管",
    "经理",
    "工号",
    "手机",
    "电脑",
    "空调",
    "洗衣机",
    "冰箱",
    "电视",
    "耳机",
    "尺码",
    "颜色",
    "型号",
    "包装",
];

const EN_WORDS: &[&str] = &[
    "refund",
    "return",
    "exchange",
    "invoice",
    "shipping",
    "coupon",
    "points",
    "member",
    "order",
    "delivery",
    "courier",
    "install",
    "repair",
    "warranty",
    "quality",
    "price",
    "discount",
    "complaint",
    "bill",
    "charge",
    "plan",
    "signal",
    "password",
    "code",
    "card",
    "credit",
    "interest",
    "limit",
    "fund",
    "returns",
    "risk",
    "contract",
    "deposit",
    "review",
    "failed",
    "delayed",
    "cancel",
    "urgent",
    "escalate",
    "callback",
    "feedback",
    "supervisor",
    "manager",
    "ticket",
    "today",
    "tomorrow",
    "week",
    "phone",
    "laptop",
    "screen",
    "size",
];

/// Distinct phrases of two pool words each (Chinese `退款失败`, English `refund failed`), in a
/// seeded order.
pub fn phrase_pool(seed: u64, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for a in ZH_WORDS {
        for b in ZH_WORDS {
            if a != b {
                all.push(format!("{a}{b}"));
            }
        }
    }
    for a in EN_WORDS {
        for b in EN_WORDS {
            if a != b {
                all.push(format!("{a} {b}"));
            }
        }
    }
    let mut rng = Rng::new(seed);
    // Fisher–Yates, then keep the first `count`
    for i in (1..all.len()).rev() {
        let j = rng.below(i + 1);
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

fn list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", q.join(", "))
}

/// The hand-written rules every generated rubric starts with (15 rules).
fn core_rules(word: bool) -> String {
    let w = if word { ", word: true" } else { "" };
    format!(
        r#"  - {{id: greeting, kind: require, role: agent, window: {{first: 1}}, match: ["@greeting"], deduct: 5{w}}}
  - {{id: closing, kind: require, role: agent, window: {{last: 2}}, match: ["@closing"], deduct: 5{w}}}
  - {{id: rude, kind: forbid, role: agent, match: ["@rude"], deduct: 10, max_deduct: 30, severity: major, alert: true{w}}}
  - {{id: promise, kind: forbid, role: agent, match: ["@promise"], negation: skip, except: [保本基金说明书], fatal: true{w}}}
  - {{id: risk-disclosure, kind: require, role: agent, match: {{any: [投资有风险, 理财产品有风险, 投资需谨慎]}}, severity: critical, deduct: 20{w}}}
  - id: ask-alarm-code
    kind: respond
    when: {{role: customer, match: [报警, 故障, 报错, 亮红灯, blinking red, error]}}
    expect: {{role: agent, match: [报警代码, 故障代码, 错误码, error code]}}
    within: {{turns: 3}}
    deduct: 10
  - id: complaint-ignored
    kind: respond
    when: {{role: customer, match: [投诉, 12315, 曝光, 找你们领导, complaint]}}
    expect: {{role: agent, match: [非常抱歉, 为您升级, 主管, 专员, sorry, supervisor]}}
    within: {{turns: 2}}
    fatal: true
    alert: true
  - {{id: empathy, kind: require, role: agent, match: [理解您的心情, 给您带来不便, understand how, inconvenience], bonus: 2{w}}}
  - {{id: first-response, kind: response_time, scope: first, max_seconds: 30, deduct: 5}}
  - {{id: slow-reply, kind: response_time, scope: each, max_seconds: 60, deduct: 2, max_deduct: 10}}
  - {{id: long-silence, kind: silence, max_seconds: 60, deduct: 5}}
  - {{id: interrupt, kind: overlap, role: agent, max_count: 2, deduct: 5}}
  - {{id: too-long, kind: duration, max_seconds: 900, severity: info}}
  - {{id: customer-angry, kind: forbid, role: customer, match: ["@angry"], severity: major, alert: true{w}}}
  - {{id: ask-order, kind: require, role: agent, window: {{first: 3}}, match: [订单号, 手机号, order number, phone number], deduct: 2{w}}}
"#
    )
}

const CORE_LISTS: &str = r#"  greeting: [您好, 你好, 很高兴为您服务, hello, hi]
  closing: [还有什么可以帮您, 祝您生活愉快, 感谢您的耐心, anything else, have a nice day]
  rude: [这是规定, 你自己看, 爱买不买, 听不懂吗, 不归我管, "don't care", not my problem, read it yourself]
  promise: [保本, 稳赚, 零风险, 保证收益, 绝对不亏, guaranteed returns, zero risk]
  angry: [气死了, 垃圾, 什么破, 投诉你们, 到底还要多久, ridiculous, worst service]
"#;

const CORE_RULES: usize = 15;

const REGEXES: &[(&str, &str)] = &[
    ("pii-phone", r"1[3-9]\d{9}"),
    ("pii-card", r"62\d{14,17}"),
    ("pii-email", r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"),
    ("order-number", r"订单号是?\d{6,}"),
    ("external-link", r"https?://[^\s]+"),
];

fn header(name: &str, extra_lists: &str) -> String {
    format!("rubric: {name}\nversion: bench\nlists:\n{CORE_LISTS}{extra_lists}rules:\n")
}

/// 100 rules: 15 hand-written plus 85 keyword rules of 5 phrases each (about 500 phrases).
pub fn hundred(variant: Variant) -> String {
    let phrases = phrase_pool(1, 85 * 5);
    let mut y = header("bench-100", "");
    y.push_str(&core_rules(variant == Variant::Word));
    let w = if variant == Variant::Word {
        ", word: true"
    } else {
        ""
    };
    for i in 0..(100 - CORE_RULES) {
        if variant == Variant::Regex && i < REGEXES.len() {
            let (id, re) = REGEXES[i];
            writeln!(
                y,
                "  - {{id: {id}, kind: forbid, role: agent, match: [{{regex: {}}}], deduct: 5}}",
                quote(re)
            )
            .unwrap();
            continue;
        }
        let kind = if i % 5 == 4 { "require" } else { "forbid" };
        let role = ["agent", "agent", "customer", "any"][i % 4];
        writeln!(
            y,
            "  - {{id: kw-{i}, kind: {kind}, role: {role}, match: {}, deduct: 1{w}}}",
            list(&phrases[i * 5..i * 5 + 5])
        )
        .unwrap();
    }
    y
}

/// 100 rules, 10,000 distinct phrases: the 15 hand-written rules plus 85 keyword rules over
/// lists of about 118 phrases.
pub fn ten_thousand(variant: Variant) -> String {
    let phrases = phrase_pool(2, 10_000);
    let per = phrases.len().div_ceil(100 - CORE_RULES);
    let mut lists = String::new();
    for (i, chunk) in phrases.chunks(per).enumerate() {
        writeln!(lists, "  l{i}: {}", list(chunk)).unwrap();
    }
    let w = if variant == Variant::Word {
        ", word: true"
    } else {
        ""
    };
    let mut y = header("bench-10k", &lists);
    y.push_str(&core_rules(variant == Variant::Word));
    for (i, _) in phrases.chunks(per).enumerate() {
        let kind = if i % 5 == 4 { "require" } else { "forbid" };
        let role = ["agent", "agent", "customer", "any"][i % 4];
        writeln!(
            y,
            "  - {{id: kw-{i}, kind: {kind}, role: {role}, match: [\"@l{i}\"], deduct: 1{w}}}"
        )
        .unwrap();
    }
    y
}

/// 10 `forbid` rules for agent turns, 5 phrases each: the keyword half of the regex A/B pair.
pub fn keywords_only() -> String {
    let phrases = phrase_pool(3, 50);
    let mut y = "rubric: bench-keywords\nrules:\n".to_string();
    for i in 0..10 {
        writeln!(
            y,
            "  - {{id: kw-{i}, kind: forbid, role: agent, match: {}, deduct: 1}}",
            list(&phrases[i * 5..i * 5 + 5])
        )
        .unwrap();
    }
    y
}

/// 10 `forbid` rules for agent turns, one regex each: the regex half of the A/B pair.
pub fn regexes_only() -> String {
    let more: &[(&str, &str)] = &[
        ("id-card", r"\d{17}[\dx]"),
        ("amount", r"\d+(\.\d+)?元"),
        ("verification-code", r"验证码是?\d{4,6}"),
        ("work-number", r"工号\d{3,6}"),
        ("time-promise", r"\d+(小时|天)内"),
    ];
    let mut y = "rubric: bench-regexes\nrules:\n".to_string();
    for (id, re) in REGEXES.iter().chain(more) {
        writeln!(
            y,
            "  - {{id: {id}, kind: forbid, role: agent, match: [{{regex: {}}}], deduct: 1}}",
            quote(re)
        )
        .unwrap();
    }
    y
}

/// 100 `forbid` rules of 5 plain phrases each, over every role: the rubric that qa-core and
/// `matcher_rs` both run. The hand-written lists come first so that real conversations hit.
pub fn phrases_only_rules() -> Vec<Vec<String>> {
    let core: Vec<Vec<String>> = [
        "您好 你好 很高兴为您服务 hello hi",
        "这是规定 你自己看 爱买不买 听不懂吗 不归我管",
        "保本 稳赚 零风险 保证收益 绝对不亏",
        "气死了 垃圾 什么破 投诉你们 到底还要多久",
        "非常抱歉 为您升级 主管 专员 sorry",
        "报警代码 故障代码 错误码 订单号 手机号",
        "还有什么可以帮您 祝您生活愉快 感谢您的耐心 再见 goodbye",
        "退款 退货 运费 补偿 refund",
    ]
    .iter()
    .map(|l| l.split(' ').map(str::to_string).collect())
    .collect();
    let pool = phrase_pool(4, (100 - core.len()) * 5);
    let mut rules = core;
    rules.extend(pool.chunks(5).map(|c| c.to_vec()));
    rules
}

/// [`phrases_only_rules`] as a rubric.
pub fn phrases_only() -> String {
    let mut y = "rubric: bench-phrases\nrules:\n".to_string();
    for (i, phrases) in phrases_only_rules().iter().enumerate() {
        writeln!(
            y,
            "  - {{id: p-{i}, kind: forbid, role: any, match: {}, deduct: 1}}",
            list(phrases)
        )
        .unwrap();
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use qa_core::{Engine, Rubric};

    fn compile(y: &str) -> Engine {
        Engine::new(Rubric::from_yaml(y).unwrap_or_else(|e| panic!("{e}\n{y}"))).unwrap()
    }

    #[test]
    fn every_rubric_compiles_with_its_size() {
        for v in [Variant::Plain, Variant::Word, Variant::Regex] {
            assert_eq!(compile(&hundred(v)).rubric().rules().len(), 100);
            let big = compile(&ten_thousand(v));
            assert_eq!(big.rubric().rules().len(), 100);
            assert!(big.phrase_count() >= 10_000);
        }
        assert_eq!(compile(&keywords_only()).rubric().rules().len(), 10);
        assert_eq!(compile(&regexes_only()).rubric().rules().len(), 10);
        assert_eq!(compile(&phrases_only()).rubric().rules().len(), 100);
    }

    #[test]
    fn the_corpus_hits_the_rubric() {
        let e = compile(&hundred(Variant::Plain));
        let corpus = crate::corpus::generate(1, 50);
        let findings: usize = corpus.iter().map(|t| e.score(t).findings.len()).sum();
        assert!(findings > 50, "{findings} findings");
    }
}
