//! `thresholds`: each metric, `by`, `min_count`, `above` and `below` (strict), conversations
//! without an agent, computed by hand over six conversations; and the rubric errors.

use qa_core::{
    Breach, Engine, GroupBy, Metric, Rubric, RubricErrorKind, ThresholdMonitor, Transcript, Turn,
};

const RULES: &str = "rubric: r
scoring: {pass: 80}
rules:
  - {id: rude, kind: forbid, match: [爱买不买], deduct: 30}
  - {id: threat, kind: forbid, role: customer, match: [投诉], severity: info}
  - {id: abuse, kind: forbid, match: [滚], fatal: true}
";

/// Six conversations: (agent, channel, score, passed, fatal, findings, has `threat`)
///   1 a1  web    100 pass  -      0
///   2 a1  web     70 fail  -      2 (rude, threat)
///   3 a1  phone   70 fail  -      2 (rude twice)
///   4 a2  phone    0 fail  fatal  1 (abuse)
///   5 -   -      100 pass  -      1 (threat)
///   6 a2  web    100 pass  -      0
fn conversations() -> Vec<Transcript> {
    let t = |agent: Option<&str>, channel: Option<&str>, turns: &[(&str, &str)]| Transcript {
        agent: agent.map(str::to_string),
        channel: channel.map(str::to_string),
        turns: turns.iter().map(|(s, x)| Turn::new(*s, *x)).collect(),
        ..Default::default()
    };
    vec![
        t(Some("a1"), Some("web"), &[("agent", "您好")]),
        t(
            Some("a1"),
            Some("web"),
            &[("agent", "爱买不买"), ("customer", "我要投诉")],
        ),
        t(
            Some("a1"),
            Some("phone"),
            &[("agent", "爱买不买，爱买不买")],
        ),
        t(Some("a2"), Some("phone"), &[("agent", "滚")]),
        t(None, None, &[("customer", "投诉")]),
        t(Some("a2"), Some("web"), &[("agent", "您好")]),
    ]
}

/// The breaches of one threshold line over the six conversations.
fn breaches(threshold: &str) -> Vec<Breach> {
    let text = format!("{RULES}thresholds:\n  - {threshold}\n");
    let engine = Engine::new(Rubric::from_yaml(&text).unwrap()).unwrap();
    let mut m = ThresholdMonitor::new(engine.rubric());
    let reports: Vec<_> = conversations().iter().map(|t| engine.score(t)).collect();
    // the six conversations are what the comment says
    let scores: Vec<f64> = reports.iter().map(|r| r.score).collect();
    assert_eq!(scores, [100.0, 70.0, 70.0, 0.0, 100.0, 100.0]);
    let findings: Vec<usize> = reports.iter().map(|r| r.findings.len()).collect();
    assert_eq!(findings, [0, 2, 2, 1, 1, 0]);
    for r in &reports {
        m.add(r);
    }
    m.breaches()
}

/// (group, value, limit, count) of each breach.
fn summary(bs: &[Breach]) -> Vec<(Option<&str>, f64, f64, usize)> {
    bs.iter()
        .map(|b| (b.group.as_deref(), b.value, b.limit, b.count))
        .collect()
}

#[test]
fn mean_score_by_agent_below_is_strict() {
    // a1: (100+70+70)/3 = 80, a2: (0+100)/2 = 50, no agent: 100
    let b = breaches("{id: low, metric: mean_score, by: agent, below: 80}");
    assert_eq!(summary(&b), [(Some("a2"), 50.0, 80.0, 2)]);
    assert_eq!(b[0].threshold, "low");
    let b = breaches("{id: low, metric: mean_score, by: agent, below: 80.5}");
    assert_eq!(
        summary(&b),
        [(Some("a1"), 80.0, 80.5, 3), (Some("a2"), 50.0, 80.5, 2)]
    );
}

#[test]
fn min_count_leaves_small_groups_unjudged() {
    let b = breaches("{id: low, metric: mean_score, by: agent, below: 80.5, min_count: 3}");
    assert_eq!(summary(&b), [(Some("a1"), 80.0, 80.5, 3)]);
    let b = breaches("{id: low, metric: mean_score, by: agent, below: 80.5, min_count: 4}");
    assert!(b.is_empty());
}

#[test]
fn pass_rate_over_all() {
    // 3 of 6 passed; `by` defaults to all, the group is "all"
    let b = breaches("{id: pass, metric: pass_rate, below: 0.6}");
    assert_eq!(summary(&b), [(Some("all"), 0.5, 0.6, 6)]);
    assert!(breaches("{id: pass, metric: pass_rate, by: all, below: 0.5}").is_empty());
}

#[test]
fn fatal_rate_by_channel_above() {
    // phone: 1 of 2 fatal; web: 0 of 3; no channel: 0 of 1
    let b = breaches("{id: fatal, metric: fatal_rate, by: channel, above: 0.4}");
    assert_eq!(summary(&b), [(Some("phone"), 0.5, 0.4, 2)]);
    assert!(breaches("{id: fatal, metric: fatal_rate, by: channel, above: 0.5}").is_empty());
}

#[test]
fn findings_per_conversation_and_the_group_without_an_agent() {
    // a1: 4/3, a2: 1/2, no agent: 1
    let b = breaches("{id: many, metric: findings_per_conversation, by: agent, above: 1}");
    assert_eq!(summary(&b), [(Some("a1"), 4.0 / 3.0, 1.0, 3)]);
    let b = breaches("{id: many, metric: findings_per_conversation, by: agent, above: 0.9}");
    assert_eq!(
        summary(&b),
        [(Some("a1"), 4.0 / 3.0, 0.9, 3), (None, 1.0, 0.9, 1)]
    );
    // over all: 6 findings in 6 conversations
    let b = breaches("{id: many, metric: findings_per_conversation, above: 0.99}");
    assert_eq!(summary(&b), [(Some("all"), 1.0, 0.99, 6)]);
}

#[test]
fn rule_rate_counts_conversations_not_findings() {
    // `threat` in conversations 2 and 5 of 6; `rude` in 2 and 3 (three findings)
    let b = breaches("{id: complaints, metric: \"rule_rate:threat\", by: all, above: 0.3}");
    assert_eq!(summary(&b), [(Some("all"), 2.0 / 6.0, 0.3, 6)]);
    let b = breaches("{id: rude, metric: \"rule_rate:rude\", by: agent, above: 0.5}");
    assert_eq!(summary(&b), [(Some("a1"), 2.0 / 3.0, 0.5, 3)]);
    let b = breaches("{id: c, metric: \"rule_rate:threat\", by: agent, above: 0.5}");
    assert_eq!(summary(&b), [(None, 1.0, 0.5, 1)]);
}

#[test]
fn no_reports_no_breaches_and_breaches_serialize_as_the_spec_says() {
    let text = format!("{RULES}thresholds:\n  - {{id: low, metric: mean_score, below: 80}}\n");
    let rubric = Rubric::from_yaml(&text).unwrap();
    let m = ThresholdMonitor::new(&rubric);
    assert!(m.breaches().is_empty());
    let b = breaches("{id: low, metric: mean_score, by: agent, below: 80}");
    let v = serde_json::to_value(&b).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"threshold": "low", "group": "a2", "value": 50.0, "limit": 80.0, "count": 2}])
    );
}

#[test]
fn thresholds_read_back_and_round_trip() {
    let text = format!(
        "{RULES}thresholds:\n  - {{id: low-score, metric: mean_score, by: agent, below: 80, min_count: 5}}\n  - {{id: complaints, metric: \"rule_rate:threat\", above: 0.03}}\n"
    );
    let rubric = Rubric::from_yaml(&text).unwrap();
    let ts = rubric.thresholds();
    assert_eq!(ts.len(), 2);
    assert_eq!(ts[0].id(), "low-score");
    assert_eq!(ts[0].metric(), &Metric::MeanScore);
    assert_eq!(ts[0].by(), GroupBy::Agent);
    assert_eq!(ts[0].min_count(), 5);
    assert_eq!(ts[0].bound().limit(), 80.0);
    assert_eq!(ts[1].metric().name(), "rule_rate:threat");
    assert_eq!(ts[1].by(), GroupBy::All);
    assert_eq!(ts[1].min_count(), 1);
    assert_eq!(ts[0].position(), Some((8, 5)));
    assert_eq!(Rubric::from_json(&rubric.to_json()).unwrap(), rubric);
}

#[test]
fn bad_thresholds_are_errors_at_their_place() {
    // (threshold, kind, where the error points, message)
    for (t, kind, at, needle) in [
        (
            "{id: x, metric: median_score, below: 1}",
            RubricErrorKind::InvalidValue,
            "median",
            "unknown metric `median_score`",
        ),
        (
            "{id: x, metric: \"rule_rate:rudee\", below: 1}",
            RubricErrorKind::InvalidValue,
            "\"rule",
            "did you mean `rule_rate:rude`",
        ),
        (
            "{id: x, metric: \"rule_rate:\", below: 1}",
            RubricErrorKind::InvalidValue,
            "\"rule",
            "names rule ``",
        ),
        (
            "{id: x, metric: 3, below: 1}",
            RubricErrorKind::WrongType,
            "3",
            "a string",
        ),
        (
            "{id: x, below: 1}",
            RubricErrorKind::MissingField,
            "{",
            "missing field `metric`",
        ),
        (
            "{metric: pass_rate, below: 1}",
            RubricErrorKind::MissingField,
            "{",
            "missing field `id`",
        ),
        (
            "{id: 'x y', metric: pass_rate, below: 1}",
            RubricErrorKind::InvalidValue,
            "'x",
            "invalid threshold id",
        ),
        (
            "{id: x, metric: pass_rate, by: team, below: 1}",
            RubricErrorKind::InvalidValue,
            "team",
            "expected one of: all, agent, channel",
        ),
        (
            "{id: x, metric: pass_rate, below: high}",
            RubricErrorKind::WrongType,
            "high",
            "a number",
        ),
        (
            "{id: x, metric: pass_rate, above: .nan}",
            RubricErrorKind::InvalidValue,
            ".nan",
            "finite",
        ),
        (
            "{id: x, metric: pass_rate, below: 1, min_count: 1.5}",
            RubricErrorKind::WrongType,
            "1.5",
            "whole number",
        ),
        (
            "{id: x, metric: pass_rate, below: 1, mincount: 2}",
            RubricErrorKind::UnknownField,
            "mincount",
            "did you mean `min_count`",
        ),
        (
            "{id: x, metric: pass_rate}",
            RubricErrorKind::MissingField,
            "{",
            "`above` or `below`",
        ),
        (
            "{id: x, metric: pass_rate, below: 1, above: 2}",
            RubricErrorKind::InvalidValue,
            "above",
            "not both",
        ),
        ("[x]", RubricErrorKind::WrongType, "[", "mapping"),
    ] {
        let text = format!("{RULES}thresholds:\n  - {t}\n");
        let err = Rubric::from_yaml(&text).unwrap_err();
        let d = &err.diagnostics()[0];
        let col = 5 + t[..t.find(at).unwrap()].chars().count();
        assert_eq!(d.kind, kind, "{t}: {err}");
        assert_eq!((d.line, d.column), (Some(8), Some(col)), "{t}: {err}");
        assert!(err.to_string().contains(needle), "{t}: {err}");
    }
    let err = Rubric::from_yaml(&format!("{RULES}thresholds: {{a: 1}}\n")).unwrap_err();
    assert_eq!(err.diagnostics()[0].kind, RubricErrorKind::WrongType);
    assert!(err.to_string().contains("a list of thresholds"), "{err}");
}
