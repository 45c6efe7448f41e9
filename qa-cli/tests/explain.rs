//! `qa explain`: text and JSON output, every input form (.json, one-line .jsonl, stdin), and
//! every exit status (0, 2 for a bad rubric or an unknown rule, 3 for a bad transcript).

mod common;
use common::*;

use std::path::Path;

use serde_json::Value;

const RUBRIC: &str = r#"
rubric: 解释
rules:
  - {id: promise, name: 违规承诺, kind: forbid, match: [保本, guaranteed], negation: skip, deduct: 10}
  - {id: spam, kind: forbid, role: any, match: [垃圾], except: [垃圾短信], deduct: 5}
  - {id: greet, kind: require, window: {first: 1}, match: [您好, hello], deduct: 5}
  - {id: complaint, kind: respond, when: [投诉, complaint], expect: [抱歉, sorry], at_end: skip, deduct: 10}
  - {id: wait, kind: response_time, max_seconds: 30}
"#;

const TRANSCRIPT: &str = r#"{"id": "c1", "turns": [
  {"speaker": "customer", "text": "我要投诉，又收到垃圾短信了😡", "start": 0},
  {"speaker": "agent", "text": "這款產品不保本，但是那款保本", "start": 45},
  {"speaker": "agent", "text": "您好，this is NOT guaranteed", "start": 50},
  {"speaker": "customer", "text": "还要投诉", "start": 60}
]}"#;

fn rubric() -> String {
    temp_file("r.yaml", RUBRIC)
}

#[test]
fn text_output_says_what_fired_and_why_each_drop() {
    let out = run(&["explain", &rubric(), &temp_file("c.json", TRANSCRIPT)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("conversation c1 · rubric 解释 · 4 turns · score 75 · passed"),
        "{text}"
    );
    // the negated match, in its 繁體 text, with the negation word and where
    assert!(
        text.contains("promise 违规承诺 (forbid): FIRED: 1 finding, -10"),
        "{text}"
    );
    assert!(
        text.contains(r#"dropped   turn 1 match (agent) "這款產品不[保本]，但是那款保本"  phrase "保本"  <- negated by "不" at 4..5 (negation: skip)"#),
        "{text}"
    );
    assert!(
        text.contains(r#"hit       turn 1 match (agent) "這款產品不保本，但是那款[保本]""#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"this is NOT [guaranteed]"  phrase "guaranteed"  <- negated by "NOT" at 11..14"#
        ),
        "{text}"
    );
    // except, with the emoji after it
    assert!(
        text.contains(r#"dropped   turn 0 match (customer) "我要投诉，又收到[垃圾]短信了😡"  phrase "垃圾"  <- overlaps except "垃圾短信" at 8..12"#),
        "{text}"
    );
    assert!(text.contains("spam (forbid): not fired"), "{text}");
    // window: the greeting came in the agent's second turn
    assert!(
        text.contains("greet (require): FIRED: 1 finding, -5"),
        "{text}"
    );
    assert!(text.contains("finding   whole conversation  -5"), "{text}");
    assert!(text.contains(r#"dropped   turn 2 match (agent) "[您好]，this is NOT…"  phrase "您好"  <- outside the rule's window"#), "{text}");
    // respond: a missed trigger and one the conversation ended on
    assert!(text.contains(r#"trigger   turn 0 when (customer) "我要[投诉]，又收到垃圾短信了😡" -> MISSED: no answer when its window closed at turn 1"#), "{text}");
    assert!(
        text.contains(
            "-> not judged: the conversation ended before anyone could answer (at_end: skip)"
        ),
        "{text}"
    );
    // timing: the measured wait against the limit
    assert!(
        text.contains("measured  turn 1 (from turn 0): wait 45s vs max 30s -> OVER"),
        "{text}"
    );
}

#[test]
fn json_output_is_the_cores_explanation_with_the_reports_findings() {
    let path = temp_file("c.json", TRANSCRIPT);
    let out = run(&["explain", &rubric(), &path, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let e: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(e["id"], "c1");
    assert_eq!(e["rules"].as_array().unwrap().len(), 5);
    let promise = &e["rules"][0];
    assert_eq!(promise["rule"], "promise");
    assert_eq!(promise["fired"], true);
    let drop = &promise["events"][0];
    assert_eq!(
        (&drop["event"], &drop["reason"], &drop["word"]),
        (&"dropped".into(), &"negated".into(), &"不".into())
    );
    assert_eq!(
        (&drop["hit"]["start"], &drop["hit"]["end"]),
        (&5.into(), &7.into())
    );
    // the findings are those of `qa score`, in the same form
    let scored = run(&["score", &rubric(), &path]);
    let report: Value = serde_json::from_str(stdout(&scored).trim()).unwrap();
    let listed: Vec<&Value> = e["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .collect();
    let want = report["findings"].as_array().unwrap();
    assert_eq!(listed.len(), want.len());
    for f in want {
        assert!(listed.contains(&f), "{f} not in explain");
    }
    assert_eq!(e["score"], report["score"]);
}

#[test]
fn one_rule_from_stdin_or_a_one_line_jsonl_file() {
    let line = TRANSCRIPT.replace('\n', " ");
    let from_stdin = run_stdin(&["explain", &rubric(), "-", "--rule", "spam"], &line);
    assert_eq!(code(&from_stdin), 0, "{}", stderr(&from_stdin));
    let text = stdout(&from_stdin);
    assert!(text.contains("spam (forbid): not fired"), "{text}");
    assert!(!text.contains("promise"), "{text}");
    let jsonl = temp_file("one.jsonl", format!("{line}\n"));
    let from_file = run(&["explain", &rubric(), &jsonl, "--rule", "spam"]);
    assert_eq!(stdout(&from_file), text);
    // an array of one conversation is one conversation
    let array = temp_file("one.json", format!("[{TRANSCRIPT}]"));
    assert_eq!(
        stdout(&run(&["explain", &rubric(), &array, "--rule", "spam"])),
        text
    );
}

#[test]
fn an_empty_conversation_is_explained() {
    let out = run_stdin(&["explain", &rubric(), "-"], r#"{"turns": []}"#);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("conversation (no id) · rubric 解释 · 0 turns · score 95"),
        "{text}"
    );
    assert!(
        text.contains("wait (response_time): SKIPPED: no timestamps"),
        "{text}"
    );
    assert!(text.contains("(nothing of this rule matched)"), "{text}");
}

#[test]
fn unknown_rules_and_bad_rubrics_exit_2() {
    let t = temp_file("c.json", TRANSCRIPT);
    let out = run(&["explain", &rubric(), &t, "--rule", "promse"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("no rule `promse` in the rubric; nearest ids: `promise`"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let bad = temp_file(
        "bad.yaml",
        "rubric: r\nrules:\n  - {id: a, kind: forbidd}\n",
    );
    let out = run(&["explain", &bad, &t]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("bad.yaml:3:"), "{}", stderr(&out));
    let out = run(&["explain", &rubric()]);
    assert_eq!(
        code(&out),
        2,
        "a missing transcript argument is a usage error"
    );
}

#[test]
fn malformed_transcripts_exit_3_naming_the_place() {
    let r = rubric();
    let cases: &[(&str, &str, &str)] = &[
        (
            "broken.json",
            "{\"turns\": [\n  {\"speaker\": \"agent\", \"text\": }]}",
            ":2:",
        ),
        (
            "no-speaker.json",
            r#"{"turns": [{"text": "您好"}]}"#,
            "speaker",
        ),
        (
            "two.jsonl",
            &format!("{}\n{}\n", r#"{"turns": []}"#, r#"{"turns": []}"#),
            "2 conversations; `qa explain` takes one",
        ),
        ("empty.json", "", "no conversation in it"),
        ("not-an-object.json", "42", "object"),
    ];
    for (name, contents, needle) in cases {
        let path = temp_file(name, contents);
        let out = run(&["explain", &r, &path]);
        assert_eq!(code(&out), 3, "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&path) && err.contains(needle), "{name}: {err}");
    }
    let out = run(&["explain", &r, "/nonexistent/c.json"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("/nonexistent/c.json"));
    let out = run_stdin(
        &["explain", &r, "-"],
        "{\"turns\": [{\"speaker\": \"agent\", \"text\": \"\\ud800\"}]}",
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("<stdin>"), "{}", stderr(&out));
}

#[test]
fn the_example_rubrics_explain_their_data() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for name in ["ecommerce", "finance", "telecom", "customer-risk"] {
        let data = std::fs::read_to_string(examples.join(format!("data/{name}.jsonl"))).unwrap();
        let first = data.lines().next().unwrap();
        let rubric = examples
            .join(format!("rubrics/{name}.yaml"))
            .display()
            .to_string();
        let out = run_stdin(&["explain", &rubric, "-", "--format", "json"], first);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let e: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let scored = run_stdin(&["score", &rubric, "-"], first);
        let report: Value = serde_json::from_str(stdout(&scored).trim()).unwrap();
        assert_eq!(e["score"], report["score"], "{name}");
        let n: usize = e["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["findings"].as_array().unwrap().len())
            .sum();
        assert_eq!(n, report["findings"].as_array().unwrap().len(), "{name}");
    }
}
