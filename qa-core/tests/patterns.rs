//! Lists holding `{regex}` items and named `patterns` used as `"$name"` (v1.1 §6): checking,
//! errors with their places, limits, and the round trip through `to_json`.

use std::time::{Duration, Instant};

use qa_core::{
    Engine, Format, Limits, MatchExpr, Rubric, RubricBuilder, RubricErrorKind as K, Transcript,
    Turn,
};

fn yaml(text: &str) -> Rubric {
    Rubric::from_yaml(text).unwrap_or_else(|e| panic!("{e}"))
}

fn agent(texts: &[&str]) -> Transcript {
    Transcript {
        turns: texts.iter().map(|t| Turn::new("agent", *t)).collect(),
        ..Transcript::default()
    }
}

const RUBRIC: &str = r#"
rubric: p
lists:
  phones: [客服电话, {regex: '1[3-9]\d{9}'}]
  only-regex: [{regex: 'AB\d+'}]
patterns:
  promise: {near: [保证, [退款, 到账]], within: 6}
  leak: ["@phones", "$promise", {phrase: "$5"}, "$ off"]
rules:
  - id: a
    kind: forbid
    match: ["$leak", "@only-regex", "$5"]
    except: ["$promise"]
    deduct: 1
    max_deduct: 10
  - id: b
    kind: respond
    when: "$promise"
    expect: {match: {all: ["$leak", {not: 不}]}}
"#;

#[test]
fn lists_and_patterns_read_and_round_trip() {
    let r = yaml(RUBRIC);
    let phones = r.list("phones").unwrap();
    assert_eq!(phones.phrases().len(), 1);
    assert_eq!(phones.regexes().len(), 1);
    assert_eq!(phones.regexes()[0].as_str(), r"1[3-9]\d{9}");
    assert_eq!(phones.regexes()[0].position(), Some((4, 26)));
    assert_eq!(r.patterns().len(), 2);
    assert_eq!(r.pattern("promise").unwrap().position(), Some((7, 3)));
    // `$leak` holds `$promise` expanded; `"$5"` and `"$ off"` are phrases
    let MatchExpr::Any(items) = r.pattern("leak").unwrap().expr() else {
        panic!("leak is a list of items")
    };
    assert!(matches!(&items[1], MatchExpr::Near(_)));
    assert!(matches!(&items[2], MatchExpr::Phrase(p) if p.as_str() == "$5"));
    assert!(matches!(&items[3], MatchExpr::Phrase(p) if p.as_str() == "$ off"));
    let json = r.to_json();
    assert!(json.contains(r#""patterns":{"promise""#), "{json}");
    assert!(json.contains(r#"{"regex":"1[3-9]\\d{9}"}"#), "{json}");
    let back = Rubric::from_json(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(back, r);
    assert_eq!(back.to_json(), json);
    let rebuilt = RubricBuilder::from_rubric(&r).build().unwrap();
    assert_eq!(rebuilt, r);
}

#[test]
fn list_regexes_and_patterns_match() {
    let engine = Engine::new(yaml(RUBRIC)).unwrap();
    let report = engine.score(&agent(&[
        "请拨打客服电话",
        "手机13812345678",
        "编号ab12",
        "只要$5",
        "我保证马上退款",
    ]));
    let got: Vec<(Option<usize>, &str)> = report
        .findings
        .iter()
        .filter(|f| f.rule == "a")
        .map(|f| (f.turn, f.text.as_deref().unwrap_or("")))
        .collect();
    // the promise in the last turn is an `except` of rule `a`
    assert_eq!(
        got,
        vec![
            (Some(0), "客服电话"),
            (Some(1), "13812345678"),
            (Some(2), "ab12"),
            (Some(3), "$5"),
        ]
    );
}

#[test]
fn errors_inside_a_pattern_are_reported_once_outside_any_rule() {
    let text = "rubric: t\npatterns:\n  p: [{regex: '('}]\nrules:\n  - {id: a, kind: forbid, match: \"$p\"}\n  - {id: b, kind: forbid, match: \"$p\"}\n";
    let err = Rubric::from_yaml(text).unwrap_err();
    let diags = err.diagnostics();
    assert_eq!(diags.len(), 1, "{err}");
    assert_eq!(diags[0].kind, K::BadRegex);
    assert_eq!((diags[0].line, diags[0].column), (Some(3), Some(15)));
    assert_eq!(diags[0].rule, None);
}

#[test]
fn a_pattern_that_uses_itself_is_a_cycle() {
    let err = Rubric::from_yaml(
        "rubric: t\npatterns:\n  p: [a, {not: \"$p\"}]\nrules:\n  - {id: a, kind: forbid, match: \"$p\"}\n",
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    assert_eq!(d.kind, K::InvalidValue);
    assert_eq!((d.line, d.column), (Some(3), Some(16)));
    assert!(d.message.contains("$p → $p"), "{}", d.message);
}

#[test]
fn pattern_names_and_types() {
    let err = Rubric::from_yaml(
        "rubric: t\npatterns:\n  5x: [a]\nrules:\n  - {id: a, kind: forbid, match: [b]}\n",
    )
    .unwrap_err();
    assert_eq!(err.kind(), K::InvalidValue);
    assert_eq!(err.diagnostics()[0].line, Some(3));
    let err = Rubric::from_yaml("rubric: t\npatterns: [a]\nrules: []\n").unwrap_err();
    assert_eq!(err.kind(), K::WrongType);
    let err =
        Rubric::from_yaml("rubric: t\nrules:\n  - {id: a, kind: forbid, match: [\"$nothing\"]}\n")
            .unwrap_err();
    assert_eq!(err.kind(), K::UndefinedPattern);
    assert!(err.to_string().contains("patterns:"), "{err}");
    let err = Rubric::from_yaml("rubric: t\nlists:\n  l: [a, {regex: b, phrase: c}]\nrules: []\n")
        .unwrap_err();
    assert_eq!(err.kind(), K::UnknownField);
}

#[test]
fn a_pattern_counts_its_depth_where_it_is_used() {
    let limits = Limits {
        max_nesting: 3,
        ..Limits::default()
    };
    // the pattern alone is 2 deep; used 2 deep, its phrases are 4 deep
    let text = "rubric: t\npatterns:\n  p: {any: [{not: x}]}\nrules:\n  - {id: a, kind: forbid, match: [y, {all: [\"$p\"]}]}\n";
    let err = Rubric::parse(text, Format::Yaml, None, &limits).unwrap_err();
    assert_eq!(err.kind(), K::TooDeep);
    assert_eq!(err.diagnostics()[0].line, Some(5));
    assert_eq!(err.diagnostics()[0].rule.as_deref(), Some("a"));
    let ok = "rubric: t\npatterns:\n  p: {any: [{not: x}]}\nrules:\n  - {id: a, kind: forbid, match: [\"$p\"]}\n";
    Rubric::parse(ok, Format::Yaml, None, &limits).unwrap();
}

#[test]
fn patterns_of_patterns_cannot_blow_up() {
    // each pattern doubles the one before: 2^60 leaves if expanded in full
    let mut text = String::from("rubric: t\npatterns:\n  p0: [a]\n");
    for i in 1..=60 {
        text.push_str(&format!("  p{i}: [\"$p{}\", \"$p{}\"]\n", i - 1, i - 1));
    }
    text.push_str("rules:\n  - {id: a, kind: forbid, match: \"$p60\"}\n");
    let limits = Limits {
        max_nesting: 10_000,
        ..Limits::default()
    };
    let t = Instant::now();
    let err = Rubric::parse(&text, Format::Yaml, None, &limits).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(err.kind(), K::TooManyPhrases);
    // with the default limits too, quickly
    let t = Instant::now();
    let err = Rubric::from_yaml(&text).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(err.kind(), K::TooDeep | K::TooManyPhrases),
        "{err}"
    );
}

#[test]
fn list_regexes_count_in_the_regex_budget() {
    let text = "rubric: t\nlists:\n  l: [{regex: 'a{1,50}b'}, {regex: 'c{1,50}d'}]\nrules: []\n";
    let one =
        Rubric::from_yaml("rubric: t\nlists:\n  l: [{regex: 'a{1,50}b'}]\nrules: []\n").unwrap();
    let cost = one.list("l").unwrap().regexes()[0].pattern().memory_usage();
    let limits = Limits {
        max_regex_total_bytes: cost + cost / 2,
        ..Limits::default()
    };
    let err = Rubric::parse(text, Format::Yaml, None, &limits).unwrap_err();
    assert_eq!(err.kind(), K::RegexBudgetExceeded);
    assert_eq!(err.diagnostics()[0].line, Some(3));
    // and an engine with a smaller budget than the rubric was read with refuses it too
    let rubric = Rubric::from_yaml(text).unwrap();
    let err = Engine::builder().limits(limits).build(rubric).unwrap_err();
    assert_eq!(err.kind(), K::RegexBudgetExceeded);
}
