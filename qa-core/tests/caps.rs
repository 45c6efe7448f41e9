//! `respond` `at_end` and `scoring.category_caps`: written back, and live sessions' provisional
//! deducts (the golden cases cover the reports).

use qa_core::{Engine, Rubric, SessionMeta, Turn};

const RUBRIC: &str = r#"
rubric: caps
scoring:
  category_caps: {服务规范: 5}
rules:
  - {id: rude, category: 服务规范, kind: forbid, match: [这是规定], deduct: 3, max_deduct: 9}
  - {id: ask, category: 其他, kind: respond, when: [退款], expect: [好的], at_end: skip}
"#;

#[test]
fn written_back_and_read_again() {
    let r = Rubric::from_yaml(RUBRIC).unwrap();
    let json = r.to_json();
    assert!(
        json.contains(r#""category_caps":{"服务规范":5.0}"#),
        "{json}"
    );
    assert!(json.contains(r#""at_end":"skip""#), "{json}");
    let again = Rubric::from_json(&json).unwrap();
    assert_eq!(again.to_json(), json);
    assert_eq!(again.scoring().category_cap("服务规范"), Some(5.0));
}

#[test]
fn pushed_findings_respect_the_category_cap() {
    let engine = Engine::new(Rubric::from_yaml(RUBRIC).unwrap()).unwrap();
    let mut s = engine.session(SessionMeta::with_id("c"));
    let mut pushed = Vec::new();
    for _ in 0..3 {
        pushed.extend(s.push(Turn::new("agent", "这是规定")));
    }
    let deducts: Vec<f64> = pushed.iter().map(|f| f.deduct).collect();
    assert_eq!(deducts, [3.0, 2.0, 0.0]);
    // the customer's last word is not judged with `at_end: skip`
    s.push(Turn::new("customer", "我要退款"));
    let report = s.finish();
    assert_eq!(report.score, 95.0);
    assert_eq!(report.categories["服务规范"].deducted, 5.0);
    assert_eq!(report.findings.len(), 3);
}
