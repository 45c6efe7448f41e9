//! Shared pieces of the fuzz targets: the fixed rubrics, structured turn generation from
//! fuzzer bytes, and the invariants every report must hold.

use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use qa_core::{Engine, Finding, Limits, Report, Rubric, Transcript, Turn};

/// A rubric that uses every rule kind and every match form: phrases, lists, regexes, `near`,
/// `all`/`any`/`not`, `word`, `negation`, `except`, windows, timed rules.
pub const RICH: &str = include_str!("../../testdata/rubrics/rich.yaml");

/// The spec's example rubric (testdata/rubrics/spec-example.yaml).
pub const SPEC_EXAMPLE: &str = include_str!("../../testdata/rubrics/spec-example.yaml");

/// The fixed engines: 0 = [`RICH`], 1 = [`SPEC_EXAMPLE`], 2 = [`RICH`] with small limits.
pub fn engines() -> &'static [Engine; 3] {
    static ENGINES: OnceLock<[Engine; 3]> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let rich = Rubric::from_yaml(RICH).expect("rich rubric");
        let spec = Rubric::from_yaml(SPEC_EXAMPLE).expect("spec example");
        let small = Limits {
            max_turns: 40,
            max_turn_bytes: 300,
            max_transcript_bytes: 3000,
            ..Limits::default()
        };
        [
            Engine::new(rich.clone()).expect("rich compiles"),
            Engine::new(spec).expect("spec compiles"),
            Engine::builder()
                .limits(small)
                .build(rich)
                .expect("rich compiles"),
        ]
    })
}

/// Text fragments that exercise normalization, negation, word boundaries, regexes and offsets.
const PIECES: &[&str] = &[
    "您好",
    "你好",
    "Hello",
    "ＨＥＬＬＯ",
    "這是規定",
    "这是规定",
    "爱@买*不-买",
    "不",
    "没有",
    "不能",
    "非常",
    "保本",
    "保本基金说明书",
    "稳赚",
    "保证收益",
    "NOT",
    "no",
    "know",
    "大麻",
    "大麻烦",
    "13800138000",
    "１３８００１３８０００",
    "138-0013-8000",
    "6222021234567890123",
    "卡号",
    "1234",
    "退款",
    "退",
    "款",
    "钱",
    "抱歉",
    "非常抱歉",
    "谢谢",
    "投诉",
    "12315",
    "报警",
    "故障",
    "代码",
    "故障代码",
    "再见",
    "理解您的心情",
    "投资有风险",
    "好的",
    "气死了",
    "退货",
    "testing",
    "，",
    "。",
    "!",
    " ",
    "\n",
    "😀",
    "👨‍👩‍👧",
    "é",
    "\u{301}",
    "İ",
    "ß",
    "ǅ",
    "ﬃ",
    "\u{200d}",
    "\u{feff}",
    "\u{0}",
    "a",
    "1",
    "我想退货",
    "Don't Care",
    "don’t",
    "guaranteed return",
];

const SPEAKERS: &[&str] = &[
    "agent", "customer", "客服", "客户", "User", "bot", "AGENT", " agent ", "",
];

/// Text made of known pieces and arbitrary strings.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=12)?;
    let mut out = String::new();
    for _ in 0..n {
        if u.ratio(1, 4)? {
            out.push_str(u.arbitrary::<&str>()?);
        } else {
            out.push_str(u.choose(PIECES)?);
        }
    }
    Ok(out)
}

/// A time: mostly plausible seconds, sometimes any `f64` (NaN, infinities, negatives).
fn time(u: &mut Unstructured<'_>) -> Result<Option<f64>> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 | 1 => None,
        2 => Some(u.arbitrary::<f64>()?),
        _ => Some(f64::from(u.arbitrary::<u16>()?) / 10.0),
    })
}

/// One turn: a speaker label, text, optional times.
pub fn turn(u: &mut Unstructured<'_>) -> Result<Turn> {
    let speaker = if u.ratio(1, 16)? {
        u.arbitrary::<String>()?
    } else {
        u.choose(SPEAKERS)?.to_string()
    };
    let text = text(u)?;
    let start = time(u)?;
    let end = match (start, u.int_in_range(0u8..=3)?) {
        (Some(s), 0 | 1) => Some(s + f64::from(u.arbitrary::<u8>()?) / 4.0),
        (_, 2) => time(u)?,
        _ => None,
    };
    Ok(Turn {
        speaker,
        text,
        start,
        end,
    })
}

/// Whether a finding's spans agree with its turn's text: the byte range slices the text at
/// character boundaries to `text`, and so do the code-point and UTF-16 ranges.
pub fn check_finding(turns: &[Turn], f: &Finding) {
    let Some(turn) = f.turn else {
        assert!(f.span.is_none() && f.start.is_none(), "{f:?}");
        return;
    };
    assert!(
        turn < turns.len(),
        "finding at turn {turn} of {}",
        turns.len()
    );
    let (Some(s), Some(e)) = (f.start, f.end) else {
        assert!(f.text.is_none() && f.span.is_none(), "{f:?}");
        return;
    };
    let original = &turns[turn].text;
    let span = f.span.clone().expect("a finding with offsets has a span");
    assert_eq!(span.chars, s..e, "{f:?}");
    let bytes = span.bytes.clone();
    let by_bytes = original
        .get(bytes.clone())
        .unwrap_or_else(|| panic!("byte range {bytes:?} does not slice turn {turn}: {f:?}"));
    assert_eq!(Some(by_bytes), f.text.as_deref(), "rule {}", f.rule);
    assert!(s <= e, "{f:?}");
    let by_chars: String = original.chars().skip(s).take(e - s).collect();
    assert_eq!(by_chars, by_bytes, "rule {}: code points", f.rule);
    let u = span.utf16;
    let units: Vec<u16> = original.encode_utf16().collect();
    let by_units = String::from_utf16(units.get(u.clone()).expect("UTF-16 range in the text"))
        .expect("UTF-16 range on character boundaries");
    assert_eq!(by_units, by_bytes, "rule {}: UTF-16", f.rule);
}

/// The invariants of a report on `turns`: spans slice their turns, findings ordered, the score
/// in range and consistent with `passed` and `fatal`.
pub fn check_report(engine: &Engine, turns: &[Turn], r: &Report) {
    let scoring = engine.rubric().scoring();
    let max = scoring.max();
    assert!(r.score.is_finite() && r.score >= 0.0, "score {}", r.score);
    assert!(r.score <= max, "score {} over max {max}", r.score);
    let fatal = r.findings.iter().any(|f| f.fatal);
    assert_eq!(r.fatal, fatal);
    if fatal {
        assert_eq!(r.score, 0.0);
    }
    assert_eq!(r.passed, !r.fatal && r.score >= scoring.pass());
    let mut prev = None;
    for f in &r.findings {
        check_finding(turns, f);
        assert!(f.deduct.is_finite() && f.deduct >= 0.0, "{f:?}");
        let key = (f.turn, f.start);
        if let Some(p) = prev {
            assert!(p <= key, "findings out of order: {p:?} then {key:?}");
        }
        prev = Some(key);
    }
    // a report is always serializable, and its JSON parses back
    let json = serde_json::to_string(r).expect("report serializes");
    serde_json::from_str::<serde_json::Value>(&json).expect("report JSON parses");
}

/// A transcript of the given turns.
pub fn transcript(turns: Vec<Turn>) -> Transcript {
    Transcript {
        id: Some("fuzz".into()),
        turns,
        ..Transcript::default()
    }
}

/// A rubric built through the public Rust API from fuzzer bytes: rules of any kind with any
/// setters and values, valid for their kind or not (the checker must answer with errors).
pub fn built_rubric(u: &mut Unstructured<'_>) -> Result<qa_core::RubricBuilder> {
    use qa_core::{Negation, Role, RuleBuilder, Scope, Severity, Window, Within};
    fn number(u: &mut Unstructured<'_>) -> Result<f64> {
        Ok(match u.int_in_range(0..=5)? {
            0 => -1.0,
            1 => f64::NAN,
            2 => f64::INFINITY,
            _ => f64::from(u.int_in_range(0u8..=60)?),
        })
    }
    fn phrases(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
        let n = u.int_in_range(0..=3)?;
        (0..n).map(|_| Ok(u.choose(PIECES)?.to_string())).collect()
    }
    let roles = [Role::Agent, Role::Customer, Role::Other, Role::Any];
    let mut b = qa_core::RubricBuilder::new("fuzz").list("l", phrases(u)?);
    let rules = u.int_in_range(0..=4)?;
    for i in 0..rules {
        let kind = *u.choose(qa_core::RuleKind::ALL)?;
        let mut r = RuleBuilder::new(format!("r{i}"), kind);
        let setters = u.int_in_range(0..=8)?;
        for _ in 0..setters {
            r = match u.int_in_range(0..=20)? {
                0 => r.matching(phrases(u)?),
                1 => r.except(phrases(u)?),
                2 => r.when(*u.choose(&roles)?, phrases(u)?),
                3 => r.expect(*u.choose(&roles)?, phrases(u)?),
                4 => r.role(*u.choose(&roles)?),
                5 => r.window(match u.int_in_range(0..=3)? {
                    0 => Window::First(u.int_in_range(0..=3)?),
                    1 => Window::Last(u.int_in_range(0..=3)?),
                    2 => Window::Turns(u.int_in_range(0..=4)?, u.int_in_range(0..=4)?),
                    _ => Window::Seconds(number(u)?, number(u)?),
                }),
                6 => r.severity(*u.choose(&[Severity::Info, Severity::Major])?),
                7 => r.deduct(number(u)?),
                8 => r.max_deduct(number(u)?),
                9 => r.bonus(number(u)?),
                10 => r.fatal(u.arbitrary()?),
                11 => r.alert(u.arbitrary()?),
                12 => r.negation(*u.choose(&[Negation::Keep, Negation::Skip])?),
                13 => r.word(u.arbitrary()?),
                14 => r.within(if u.arbitrary()? {
                    Within::Turns(u.int_in_range(0..=3)?)
                } else {
                    Within::Seconds(number(u)?)
                }),
                15 => r.scope(*u.choose(&[Scope::First, Scope::Each])?),
                16 => r.max_seconds(number(u)?),
                17 => r.min_seconds(number(u)?),
                18 => r.max_count(u.int_in_range(0..=3)?),
                19 => r.similarity(number(u)? / 50.0),
                _ => {
                    let key = *u.choose(&["match", "except", "window", "when", "bogus", "kind"])?;
                    let value = match u.int_in_range(0..=4)? {
                        0 => serde_json::json!([{"regex": "\\d{3}"}]),
                        1 => serde_json::json!({"near": ["a", "b"], "within": 2}),
                        2 => serde_json::json!({"all": ["a", {"not": "b"}]}),
                        3 => serde_json::json!([{"regex": "("}]),
                        _ => serde_json::json!(null),
                    };
                    r.field(key, value)
                }
            };
        }
        b = b.rule(r);
    }
    Ok(b)
}
