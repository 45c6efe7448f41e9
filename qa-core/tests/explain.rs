//! `Engine::explain`: the findings it lists are the report's (on every golden case), and each
//! reason a match can be dropped for is named, with its place.

use std::path::Path;

use qa_core::{
    DropReason, Engine, Event, Explanation, Format, Limits, Match, Measure, Part, Rubric,
    RuleExplanation, Transcript, TriggerOutcome, Turn,
};
use serde_json::Value;

fn engine(yaml: &str) -> Engine {
    Engine::new(Rubric::from_yaml(yaml).unwrap()).unwrap()
}

fn transcript(turns: &[(&str, &str)]) -> Transcript {
    Transcript {
        turns: turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect(),
        ..Default::default()
    }
}

fn one<'a>(e: &'a Explanation, id: &str) -> &'a RuleExplanation {
    e.rules.iter().find(|r| r.rule == id).unwrap()
}

fn hits(r: &RuleExplanation) -> Vec<&Match> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Hit { hit } => Some(hit),
            _ => None,
        })
        .collect()
}

fn drops(r: &RuleExplanation) -> Vec<(&Match, &DropReason)> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Dropped { hit, reason } => Some((hit, reason)),
            _ => None,
        })
        .collect()
}

fn slice(t: &Transcript, m: &Match) -> String {
    t.turns[m.turn]
        .text
        .chars()
        .skip(m.start)
        .take(m.end - m.start)
        .collect()
}

#[test]
fn explain_lists_the_reports_findings_on_every_golden_case() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases");
    let mut checked = 0;
    let mut with_findings = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let Some(t) = case.get("transcript") else {
            continue;
        };
        let rubric = match (case.get("rubric"), case.get("rubric_text")) {
            (Some(obj), _) => Rubric::from_json(&obj.to_string()),
            (None, Some(text)) => {
                let format =
                    Format::from_name(case["rubric_format"].as_str().unwrap_or("yaml")).unwrap();
                Rubric::parse(text.as_str().unwrap(), format, None, &Limits::default())
            }
            _ => unreachable!("{path:?}"),
        };
        let engine = Engine::new(rubric.unwrap()).unwrap();
        let t = Transcript::from_value(t.clone()).unwrap();
        let report = engine.score(&t);
        let e = engine.explain(&t, None).unwrap();
        let name = path.display();
        assert_eq!(e.score, report.score, "{name}");
        assert_eq!(e.passed, report.passed, "{name}");
        assert_eq!(e.rules.len(), engine.rubric().rules().len(), "{name}");
        let mut listed = 0;
        for r in &e.rules {
            let want: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.rule == r.rule)
                .collect();
            let got: Vec<_> = r.findings.iter().collect();
            assert_eq!(got, want, "{name}: rule {}", r.rule);
            assert_eq!(r.fired, !want.is_empty(), "{name}: rule {}", r.rule);
            listed += got.len();
            // every match shown slices its turn's text
            for ev in &r.events {
                if let Event::Hit { hit }
                | Event::Dropped { hit, .. }
                | Event::Trigger { hit, .. } = ev
                {
                    assert_eq!(slice(&t, hit), hit.text, "{name}: rule {}", r.rule);
                }
            }
            // every `forbid` finding's evidence is made of matches shown as counting
            if r.kind == qa_core::RuleKind::Forbid && !r.not_applicable {
                for f in &r.findings {
                    let (turn, s, end) = (f.turn.unwrap(), f.start.unwrap(), f.end.unwrap());
                    let inside = hits(r).into_iter().any(|h| {
                        h.part == Part::Match && h.turn == turn && s <= h.start && h.end <= end
                    });
                    assert!(
                        inside,
                        "{name}: no hit inside finding {f:?}\n{:#?}",
                        r.events
                    );
                }
            }
        }
        assert_eq!(listed, report.findings.len(), "{name}");
        // one rule at a time says the same about it
        for r in &e.rules {
            let alone = engine.explain(&t, Some(&r.rule)).unwrap();
            assert_eq!(alone.rules.len(), 1);
            assert_eq!(&alone.rules[0], r, "{name}");
        }
        checked += 1;
        with_findings += usize::from(!report.findings.is_empty());
    }
    assert!(checked >= 60, "only {checked} scoring cases");
    assert!(
        with_findings >= 40,
        "only {with_findings} cases with findings"
    );
}

#[test]
fn a_negated_match_names_the_word_and_where_it_is() {
    let e = engine(
        "rubric: r\nrules:\n  - {id: promise, kind: forbid, match: [保本, guaranteed], negation: skip, deduct: 10}\n",
    );
    let t = transcript(&[
        ("agent", "这款产品不保本，但是那款保本"),
        ("agent", "this is NOT guaranteed"),
        ("agent", "這款產品絕不保本"),
    ]);
    let x = e.explain(&t, None).unwrap();
    let r = one(&x, "promise");
    assert!(r.fired);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].start, Some(12));
    let d = drops(r);
    assert_eq!(d.len(), 3, "{:#?}", r.events);
    let (hit, reason) = d[0];
    assert_eq!(
        (hit.turn, hit.start, hit.end, hit.text.as_str()),
        (0, 5, 7, "保本")
    );
    assert_eq!(hit.phrase.as_deref(), Some("保本"));
    assert_eq!(
        reason,
        &DropReason::Negated {
            word: "不".into(),
            start: 4,
            end: 5
        }
    );
    // English: the original case; 繁體: the original characters
    assert_eq!(
        d[1].1,
        &DropReason::Negated {
            word: "NOT".into(),
            start: 8,
            end: 11
        }
    );
    assert_eq!(d[1].0.text, "guaranteed");
    assert_eq!(d[2].0.text, "保本");
    assert_eq!(
        d[2].1,
        &DropReason::Negated {
            word: "絕不".into(),
            start: 4,
            end: 6
        }
    );
    let h = hits(r);
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].turn, h[0].start), (0, 12));
}

#[test]
fn an_except_overlap_names_the_except_match() {
    let e = engine(
        "rubric: r\nrules:\n  - {id: spam, kind: forbid, role: any, match: [垃圾], except: [垃圾短信], deduct: 5}\n",
    );
    let t = transcript(&[("customer", "又收到垃圾短信了，真是垃圾")]);
    let x = e.explain(&t, Some("spam")).unwrap();
    let r = &x.rules[0];
    assert_eq!(r.findings.len(), 1);
    let d = drops(r);
    assert_eq!(d.len(), 1, "{:#?}", r.events);
    assert_eq!((d[0].0.start, d[0].0.end), (3, 5));
    assert_eq!(
        d[0].1,
        &DropReason::Except {
            text: "垃圾短信".into(),
            start: 3,
            end: 7
        }
    );
    // the except match itself and the match that counted
    let h = hits(r);
    assert!(h
        .iter()
        .any(|m| m.part == Part::Except && m.text == "垃圾短信"));
    assert!(h.iter().any(|m| m.part == Part::Match && m.start == 11));
}

#[test]
fn word_boundary_role_and_window_drops() {
    let e = engine(
        r#"
rubric: r
rules:
  - {id: hi, kind: forbid, match: [hi], word: true, deduct: 1}
  - {id: greet, kind: require, window: {first: 1}, match: [您好], deduct: 5}
"#,
    );
    let t = transcript(&[
        ("customer", "hi 您好"),
        ("agent", "this is it"),
        ("agent", "您好, hi there"),
    ]);
    let x = e.explain(&t, None).unwrap();
    let hi = one(&x, "hi");
    let d = drops(hi);
    assert_eq!(d.len(), 2, "{:#?}", hi.events);
    assert_eq!(
        d[0].1,
        &DropReason::Role {
            speaker: "customer".into()
        }
    );
    assert_eq!(
        (d[1].0.turn, d[1].0.start, d[1].1),
        (1, 1, &DropReason::WordBoundary)
    );
    assert_eq!(hi.findings.len(), 1);
    assert_eq!(hits(hi)[0].turn, 2);

    let greet = one(&x, "greet");
    assert!(greet.fired);
    assert_eq!(greet.met, Some(false));
    let d = drops(greet);
    assert_eq!(d.len(), 2, "{:#?}", greet.events);
    assert!(matches!(d[0].1, DropReason::Role { speaker } if speaker == "customer"));
    assert_eq!((d[1].0.turn, d[1].1), (2, &DropReason::Window));
}

#[test]
fn only_if_unmet_drops_every_match_and_met_keeps_them() {
    let e = engine(
        r#"
rubric: r
rules:
  - id: refund-script
    kind: forbid
    match: [不退]
    only_if: {role: customer, match: [退款]}
    deduct: 10
"#,
    );
    let no = transcript(&[("customer", "我想问个事"), ("agent", "我们不退")]);
    let x = e.explain(&no, None).unwrap();
    let r = &x.rules[0];
    assert!(r.not_applicable);
    assert!(!r.fired);
    let d = drops(r);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].0.turn, d[0].1), (1, &DropReason::OnlyIfUnmet));

    let yes = transcript(&[("agent", "我们不退"), ("customer", "那我要退款")]);
    let x = e.explain(&yes, None).unwrap();
    let r = &x.rules[0];
    assert!(!r.not_applicable && r.fired);
    let h = hits(r);
    assert!(h.iter().any(|m| m.part == Part::Match && m.turn == 0));
    assert!(h.iter().any(|m| m.part == Part::OnlyIf && m.text == "退款"));
    // the condition's phrase in an agent turn is not of its role
    let t = transcript(&[("agent", "退款的话我们不退")]);
    let r = e.explain(&t, None).unwrap().rules.remove(0);
    assert!(r.not_applicable);
    assert!(drops(&r)
        .iter()
        .any(|(m, why)| m.part == Part::OnlyIf && matches!(why, DropReason::Role { .. })));
}

#[test]
fn respond_triggers_answered_missed_and_at_end() {
    let rubric = |at_end: &str| {
        engine(&format!(
            "rubric: r\nrules:\n  - {{id: complaint, kind: respond, when: [投诉], expect: [抱歉], within: {{turns: 1}}, at_end: {at_end}, deduct: 10}}\n"
        ))
    };
    let t = transcript(&[
        ("customer", "我要投诉"),
        ("agent", "非常抱歉"),
        ("customer", "再投诉一次"),
        ("agent", "好的"),
        ("agent", "抱歉"),
        ("customer", "还要投诉"),
    ]);
    let triggers = |x: &Explanation| -> Vec<(usize, TriggerOutcome)> {
        x.rules[0]
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Trigger { hit, outcome, .. } => Some((hit.turn, outcome.clone())),
                _ => None,
            })
            .collect()
    };
    let x = rubric("skip").explain(&t, None).unwrap();
    let got = triggers(&x);
    assert_eq!(got.len(), 3);
    match &got[0].1 {
        TriggerOutcome::Answered { answer } => {
            assert_eq!((answer.turn, answer.text.as_str()), (1, "抱歉"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(got[1].1, TriggerOutcome::Missed { closed_at: 3 });
    assert_eq!(got[2].1, TriggerOutcome::SkippedAtEnd);
    assert_eq!(x.rules[0].findings.len(), 1);
    // the late apology answered nothing
    let d = drops(&x.rules[0]);
    assert!(d
        .iter()
        .any(|(m, why)| m.turn == 4 && **why == DropReason::NoTriggerPending));

    let x = rubric("judge").explain(&t, None).unwrap();
    assert_eq!(triggers(&x)[2].1, TriggerOutcome::UnansweredAtEnd);
    assert_eq!(x.rules[0].findings.len(), 2);
}

#[test]
fn respond_within_seconds_gives_the_deadline() {
    let e = engine(
        "rubric: r\nrules:\n  - {id: q, kind: respond, when: [故障], expect: [报警代码], within: {seconds: 30}, deduct: 5}\n",
    );
    let t = Transcript {
        turns: vec![
            Turn::new("customer", "设备故障了").at(0.0).until(4.0),
            Turn::new("agent", "请稍等").at(10.0),
            Turn::new("agent", "请告诉我报警代码").at(40.0),
        ],
        ..Default::default()
    };
    let x = e.explain(&t, None).unwrap();
    match &x.rules[0].events[0] {
        Event::Trigger {
            deadline, outcome, ..
        } => {
            assert_eq!(*deadline, Some(34.0));
            assert_eq!(*outcome, TriggerOutcome::Missed { closed_at: 2 });
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn timing_rules_show_the_measured_values_against_the_limits() {
    let e = engine(
        r#"
rubric: r
rules:
  - {id: first-response, kind: response_time, max_seconds: 30, deduct: 5}
  - {id: silence, kind: silence, max_seconds: 20}
  - {id: long, kind: duration, max_seconds: 60}
"#,
    );
    let t = Transcript {
        turns: vec![
            Turn::new("customer", "在吗").at(0.0).until(2.0),
            Turn::new("customer", "人呢").at(5.0),
            Turn::new("agent", "您好").at(45.0).until(47.0),
            Turn::new("customer", "好").at(50.0),
            Turn::new("agent", "嗯").at(55.0).until(70.0),
        ],
        ..Default::default()
    };
    let x = e.explain(&t, None).unwrap();
    let measures = |id: &str| -> Vec<qa_core::Measurement> {
        one(&x, id)
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Measured(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    };
    let waits = measures("first-response");
    assert_eq!(waits.len(), 2);
    assert_eq!(waits[0].what, Measure::Wait);
    assert_eq!((waits[0].turn, waits[0].since_turn), (Some(2), Some(0)));
    assert_eq!(
        (waits[0].value, waits[0].max, waits[0].exceeded),
        (45.0, Some(30.0), true)
    );
    assert_eq!((waits[1].value, waits[1].exceeded), (5.0, false));
    assert_eq!(one(&x, "first-response").findings.len(), 1);

    // silence looks at the agent's turns (the default role)
    let gaps = measures("silence");
    assert_eq!(gaps.len(), 2);
    assert_eq!((gaps[0].turn, gaps[0].since_turn), (Some(2), Some(1)));
    assert_eq!((gaps[0].value, gaps[0].exceeded), (40.0, true));
    assert_eq!((gaps[1].value, gaps[1].exceeded), (5.0, false));
    let d = measures("long");
    assert_eq!(
        (d[0].turn, d[0].value, d[0].max, d[0].exceeded),
        (None, 70.0, Some(60.0), true)
    );

    // no timestamps: skipped, nothing measured
    let x = e
        .explain(&transcript(&[("customer", "在吗")]), None)
        .unwrap();
    assert_eq!(one(&x, "silence").skipped.as_deref(), Some("no timestamps"));
    assert!(one(&x, "silence").events.is_empty());
}

#[test]
fn near_too_far_incomplete_and_stripped() {
    let e = engine(
        r#"
rubric: r
normalize: {strip: [mentions]}
rules:
  - {id: card, kind: forbid, role: any, match: [{near: [卡号, {regex: '\d{6}'}], within: 3}], deduct: 5}
  - {id: angry, kind: forbid, role: any, match: [投诉], deduct: 1}
"#,
    );
    let t = transcript(&[
        ("agent", "卡号是多少呢请您告诉我123456"),
        ("agent", "卡号123456"),
        ("agent", "卡号是什么"),
        ("customer", "@中国消费者投诉网 你好"),
    ]);
    let x = e.explain(&t, None).unwrap();
    let card = one(&x, "card");
    assert_eq!(card.findings.len(), 1);
    let d = drops(card);
    assert!(d.iter().any(|(m, why)| m.turn == 0
        && m.text == "卡号"
        && **why == DropReason::NearTooFar { within: 3 }));
    assert!(d.iter().any(|(m, why)| m.turn == 0
        && m.regex.as_deref() == Some(r"\d{6}")
        && **why == DropReason::NearTooFar { within: 3 }));
    assert!(d
        .iter()
        .any(|(m, why)| m.turn == 2 && **why == DropReason::Incomplete));
    // a stripped region is invisible to every rule: nothing matched in it
    let angry = one(&x, "angry");
    assert!(!angry.fired);
    assert!(angry.events.is_empty(), "{:#?}", angry.events);
}

#[test]
fn a_not_match_is_shown_as_the_whole_turn() {
    let e = engine(
        "rubric: r
rules:
  - {id: cold, kind: forbid, match: [{all: [{not: 您好}]}], deduct: 5}
",
    );
    let t = transcript(&[("agent", "您好"), ("agent", "什么事？")]);
    let x = e.explain(&t, None).unwrap();
    let r = &x.rules[0];
    assert_eq!(r.findings.len(), 1);
    let h = hits(r);
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].turn, h[0].text.as_str(), h[0].phrase.as_ref()),
        (1, "什么事？", None)
    );
    let d = drops(r);
    assert_eq!((d[0].0.turn, d[0].1), (0, &DropReason::InsideNot));
}

#[test]
fn lists_name_the_phrase_and_the_list() {
    let e = engine(
        "rubric: r\nlists:\n  rude: [这是规定, 爱买不买]\nrules:\n  - {id: rude, kind: forbid, match: ['@rude'], deduct: 5}\n",
    );
    let t = transcript(&[("agent", "😀这是规定，愛買不買")]);
    let x = e.explain(&t, None).unwrap();
    let h = hits(&x.rules[0]);
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0].start, h[0].phrase.as_deref(), h[0].list.as_deref()),
        (1, Some("这是规定"), Some("rude"))
    );
    assert_eq!(
        (h[1].text.as_str(), h[1].phrase.as_deref()),
        ("愛買不買", Some("爱买不买"))
    );
}

#[test]
fn empty_transcripts_and_unknown_rules() {
    let e = engine(
        "rubric: r\nrules:\n  - {id: greeting, kind: require, match: [您好], deduct: 5}\n  - {id: greet-en, kind: require, match: [hello]}\n",
    );
    let x = e.explain(&Transcript::default(), None).unwrap();
    assert_eq!(x.turns, 0);
    assert!(x.rules[0].fired && x.rules[0].events.is_empty());
    assert_eq!(x.rules[0].met, Some(false));
    let x = e
        .explain(&transcript(&[("agent", "")]), Some("greeting"))
        .unwrap();
    assert_eq!(x.rules.len(), 1);
    let err = e
        .explain(&Transcript::default(), Some("greting"))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no rule `greting`"), "{msg}");
    assert!(
        msg.contains("`greeting`") && msg.contains("`greet-en`"),
        "{msg}"
    );
}

#[test]
fn an_explanation_round_trips_through_json() {
    let e = engine(
        r#"
rubric: r
rules:
  - {id: promise, kind: forbid, match: [保本], negation: skip, except: [保本基金], deduct: 10}
  - {id: q, kind: respond, when: [投诉], expect: [抱歉]}
  - {id: s, kind: silence, max_seconds: 1}
"#,
    );
    let t = Transcript {
        turns: vec![
            Turn::new("customer", "投诉，不保本").at(0.0),
            Turn::new("agent", "保本基金，保本").at(3.0),
        ],
        ..Default::default()
    };
    let x = e.explain(&t, None).unwrap();
    let json = serde_json::to_value(&x).unwrap();
    assert_eq!(json["rules"][0]["events"][0]["event"], "dropped");
    assert_eq!(json["rules"][0]["events"][0]["reason"], "negated");
    assert_eq!(json["rules"][0]["events"][0]["word"], "不");
    let back: Explanation = serde_json::from_value(json).unwrap();
    // spans are not part of a serialized finding
    let strip = |x: &Explanation| {
        let mut x = x.clone();
        x.rules
            .iter_mut()
            .flat_map(|r| r.findings.iter_mut())
            .for_each(|f| f.span = None);
        x
    };
    assert_eq!(strip(&back), strip(&x));
}
