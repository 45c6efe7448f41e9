//! `only_if` (spec v1.1 §6 "When a rule applies"): checking, writing back, live sessions.

use qa_core::{Engine, Rubric, RubricErrorKind, SessionMeta, Turn};

const RUBRIC: &str = r#"
rubric: live only_if
rules:
  - id: rude
    kind: forbid
    match: [爱买不买]
    deduct: 10
    only_if: {role: customer, match: [投诉]}
  - id: never
    kind: forbid
    match: [爱买不买]
    deduct: 5
    only_if: [退款]
"#;

#[test]
fn live_findings_are_held_until_the_condition_matches_and_dropped_if_never() {
    let engine = Engine::new(Rubric::from_yaml(RUBRIC).unwrap()).unwrap();
    let mut s = engine.session(SessionMeta::with_id("c1"));
    assert!(s.push(Turn::new("customer", "在吗")).is_empty());
    // both rules found something, neither condition has matched: held
    assert!(s.push(Turn::new("agent", "爱买不买")).is_empty());
    // the condition of `rude` matches: its held finding is pushed now
    let now = s.push(Turn::new("customer", "我要投诉"));
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].rule.as_str(), now[0].turn, now[0].deduct),
        ("rude", Some(1), 10.0)
    );
    // condition met: a later finding is pushed at once (its cap is already taken)
    let now = s.push(Turn::new("agent", "爱买不买"));
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].deduct, 0.0);
    let report = s.finish();
    assert_eq!(report.score, 90.0);
    let na: Vec<&str> = report
        .not_applicable
        .iter()
        .map(|n| n.rule.as_str())
        .collect();
    assert_eq!(na, ["never"]);
    assert!(report.findings.iter().all(|f| f.rule == "rude"));
}

#[test]
fn condition_role_defaults_to_any_and_negation_applies() {
    let engine = Engine::new(
        Rubric::from_yaml(
            r#"
rubric: r
rules:
  - {id: a, kind: forbid, match: [爱买不买], deduct: 10, only_if: {match: [投诉]}}
  - {id: b, kind: forbid, match: [爱买不买], deduct: 5, negation: skip, only_if: [投诉]}
"#,
        )
        .unwrap(),
    )
    .unwrap();
    let t = qa_core::Transcript {
        turns: vec![Turn::new("agent", "爱买不买，不要投诉")],
        ..Default::default()
    };
    let report = engine.score(&t);
    // `a` applies (an agent turn counts for role any); `b` reads 投诉 as negated
    assert_eq!(report.score, 90.0);
    let na: Vec<&str> = report
        .not_applicable
        .iter()
        .map(|n| n.rule.as_str())
        .collect();
    assert_eq!(na, ["b"]);
    let json = report.to_json_value();
    assert_eq!(json["not_applicable"], serde_json::json!([{"rule": "b"}]));
}

#[test]
fn not_applicable_is_left_out_of_the_json_when_empty() {
    let engine = Engine::new(Rubric::from_yaml(RUBRIC).unwrap()).unwrap();
    let t = qa_core::Transcript {
        turns: vec![Turn::new("customer", "退款，投诉")],
        ..Default::default()
    };
    let json = engine.score(&t).to_json_value();
    assert!(json.get("not_applicable").is_none());
}

#[test]
fn skipped_rules_are_not_also_not_applicable() {
    let engine = Engine::new(
        Rubric::from_yaml(
            r#"
rubric: r
rules:
  - {id: slow, kind: response_time, max_seconds: 5, deduct: 1, only_if: [退款]}
"#,
        )
        .unwrap(),
    )
    .unwrap();
    let t = qa_core::Transcript {
        turns: vec![Turn::new("customer", "在吗")],
        ..Default::default()
    };
    let report = engine.score(&t);
    assert_eq!(report.skipped.len(), 1);
    assert!(report.not_applicable.is_empty());
}

#[test]
fn only_if_is_written_back() {
    let rubric = Rubric::from_yaml(RUBRIC).unwrap();
    let json = rubric.to_json();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["rules"][0]["only_if"],
        serde_json::json!({"role": "customer", "match": ["投诉"]})
    );
    assert_eq!(
        v["rules"][1]["only_if"],
        serde_json::json!({"role": "any", "match": ["退款"]})
    );
    let again = Rubric::from_json(&json).unwrap();
    assert_eq!(again.to_json(), json);
}

#[test]
fn only_if_errors_have_places() {
    let err = Rubric::from_yaml(
        "rubric: r\nrules:\n  - id: a\n    kind: forbid\n    match: [x]\n    only_if: {role: customer, mach: [退款]}\n",
    )
    .unwrap_err();
    let d = err
        .diagnostics()
        .iter()
        .find(|d| d.kind == RubricErrorKind::UnknownField)
        .expect("an unknown field");
    assert_eq!((d.line, d.rule.as_deref()), (Some(6), Some("a")));
    let err = Rubric::from_yaml(
        "rubric: r\nrules:\n  - id: a\n    kind: silence\n    max_seconds: 5\n    only_if: {role: boss, match: [退款]}\n",
    )
    .unwrap_err();
    assert_eq!(err.diagnostics()[0].kind, RubricErrorKind::InvalidValue);
    assert_eq!(err.diagnostics()[0].line, Some(6));
    let err = Rubric::from_yaml(
        "rubric: r\nrules:\n  - id: a\n    kind: duration\n    max_seconds: 5\n    only_if: {role: customer}\n",
    )
    .unwrap_err();
    assert_eq!(err.diagnostics()[0].kind, RubricErrorKind::MissingField);
}
