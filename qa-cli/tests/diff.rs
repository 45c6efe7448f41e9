//! `qa diff` (two rubrics on the same conversations) and `qa report --by meta.PATH`, run through
//! the built binary on files written to a temporary folder.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::{json, Value};

fn json_out(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

// ── qa diff ───────────────────────────────────────────────────────────────────────────

const OLD: &str = r#"
rubric: 售后质检
version: "1"
scoring: {base: 100, pass: 80}
rules:
  - {id: greeting, kind: require, role: agent, window: {first: 1}, match: [您好, hello], deduct: 5}
  - {id: rude, kind: forbid, role: agent, match: [这是规定, 爱买不买], deduct: 30}
  - {id: legacy, kind: forbid, role: agent, match: [亲], deduct: 1}
"#;

/// greeting: deduct 5 → 10; rude: 爱买不买 out, 不知道 in; legacy gone; emoji new.
const NEW: &str = r#"
rubric: 售后质检
version: "2"
scoring: {base: 100, pass: 80}
rules:
  - {id: greeting, kind: require, role: agent, window: {first: 1}, match: [您好, hello], deduct: 10}
  - {id: rude, kind: forbid, role: agent, match: [这是规定, 不知道], deduct: 30}
  - {id: emoji, kind: forbid, role: agent, match: ["😡"], deduct: 5}
"#;

fn line(id: Option<&str>, agent_text: &str) -> String {
    let mut t = json!({"turns": [
        {"speaker": "customer", "text": "我的订单呢"},
        {"speaker": "agent", "text": agent_text}
    ]});
    if let Some(id) = id {
        t["id"] = id.into();
    }
    format!("{t}\n")
}

/// Seven conversations: unchanged, deduct only, pass→fail, fail→pass, no id, 繁體, empty text.
fn conversations() -> String {
    [
        line(Some("same"), "您好，请问有什么可以帮您"),
        line(Some("deduct-only"), "请问有什么事"),
        line(Some("to-fail"), "您好，不知道"),
        line(Some("to-pass"), "您好，爱买不买"),
        line(None, "您好 亲 😡"),
        line(Some("繁體"), "您好，這是規定"),
        line(Some("empty"), ""),
    ]
    .concat()
}

fn diff_json(old: &str, new: &str, input: &str, extra: &[&str]) -> (Output, Value) {
    let (old, new) = (temp_file("old.yaml", old), temp_file("new.yaml", new));
    let input = temp_file("in.jsonl", input);
    let mut args = vec!["diff", &old, &new, &input, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v = json_out(&out);
    (out, v)
}

fn changed<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {v:#}"))
}

fn places(findings: &Value) -> Vec<(String, Value, Value, Value)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rule = f["rule"].as_str().unwrap().to_string();
            (
                rule,
                f["turn"].clone(),
                f["start"].clone(),
                f["end"].clone(),
            )
        })
        .collect()
}

#[test]
fn diff_json_lists_what_changed_with_the_spec_names() {
    let (out, v) = diff_json(OLD, NEW, &conversations(), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(v["conversations"], 7);
    let ids: BTreeSet<&str> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["deduct-only", "to-fail", "to-pass", "#5", "empty"]),
        "unchanged conversations (`same`, 繁體 at the same place) are not listed"
    );
    for c in v["changed"].as_array().unwrap() {
        let keys: BTreeSet<&str> = c.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "id",
                "old_score",
                "new_score",
                "old_passed",
                "new_passed",
                "added",
                "removed"
            ])
        );
    }
    // a deduct changing alone is neither an addition nor a removal
    let d = changed(&v, "deduct-only");
    assert_eq!(
        (d["old_score"].as_f64(), d["new_score"].as_f64()),
        (Some(95.0), Some(90.0))
    );
    assert_eq!(
        (d["old_passed"].as_bool(), d["new_passed"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!((&d["added"], &d["removed"]), (&json!([]), &json!([])));
    let e = changed(&v, "empty");
    assert_eq!(
        (e["old_score"].as_f64(), e["new_score"].as_f64()),
        (Some(95.0), Some(90.0))
    );
    // pass → fail: a new phrase
    let f = changed(&v, "to-fail");
    assert_eq!(
        (f["old_passed"].as_bool(), f["new_passed"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        places(&f["added"]),
        [("rude".into(), json!(1), json!(3), json!(6))]
    );
    assert_eq!(f["added"][0]["text"], "不知道");
    assert_eq!(f["added"][0]["deduct"], 30.0);
    assert_eq!(f["removed"], json!([]));
    // fail → pass: a phrase dropped; the removed finding is the old report's
    let p = changed(&v, "to-pass");
    assert_eq!(
        (p["old_score"].as_f64(), p["new_score"].as_f64()),
        (Some(70.0), Some(100.0))
    );
    assert_eq!(
        (p["old_passed"].as_bool(), p["new_passed"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(
        places(&p["removed"]),
        [("rude".into(), json!(1), json!(3), json!(7))]
    );
    assert_eq!(p["removed"][0]["text"], "爱买不买");
    // no id: named by its position; a rule of one rubric only is all added or all removed
    let n = changed(&v, "#5");
    assert_eq!(
        places(&n["removed"]),
        [("legacy".into(), json!(1), json!(3), json!(4))]
    );
    assert_eq!(
        places(&n["added"]),
        [("emoji".into(), json!(1), json!(5), json!(6))]
    );
    assert_eq!(n["added"][0]["text"], "😡");
    // flips: a count; the directions and per-rule counts come as extra fields
    assert_eq!(v["flips"], 2);
    assert_eq!(
        (&v["pass_to_fail"], &v["fail_to_pass"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(v["scores_changed"], 5);
    assert_eq!(
        (&v["findings_added"], &v["findings_removed"]),
        (&json!(2), &json!(2))
    );
    let rules: Vec<(&str, u64, u64, &str)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                r["rule"].as_str().unwrap(),
                n("added"),
                n("removed"),
                r["in"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("rude", 1, 1, "both"),
            ("emoji", 1, 0, "new"),
            ("legacy", 0, 1, "old")
        ]
    );
}

#[test]
fn diff_of_identical_rubrics_changes_nothing() {
    let (out, v) = diff_json(OLD, OLD, &conversations(), &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(v["conversations"], 7);
    assert_eq!(v["changed"], json!([]));
    assert_eq!(v["flips"], 0);
    let (old, input) = (
        temp_file("r.yaml", OLD),
        temp_file("in.jsonl", conversations()),
    );
    let out = run(&["diff", &old, &old, &input]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "7 conversations compared: no changes\n");
}

#[test]
fn diff_text_shows_each_changed_conversation_and_a_summary() {
    let (old, new) = (temp_file("old.yaml", OLD), temp_file("new.yaml", NEW));
    let input = temp_file("in.jsonl", conversations());
    let out = run(&["diff", &old, &new, &input]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "deduct-only  score 95 → 90  (pass)\n",
        "to-fail  score 100 → 70  pass → FAIL\n  + rude@1 \"不知道\" (-30)\n",
        "to-pass  score 70 → 100  FAIL → pass\n  - rude@1 \"爱买不买\" (-30)\n",
        "#5  score 99 → 95  (pass)\n  + emoji@1 \"😡\" (-5)\n  - legacy@1 \"亲\" (-1)\n",
        "findings by rule\n",
        "  rude       +1       -1\n",
        "  emoji      +1       -0  (new rubric only)\n",
        "  legacy     +0       -1  (old rubric only)\n",
        "7 conversations compared: 5 changed, 5 scores changed, 2 pass/fail flips (1 pass→fail, \
         1 fail→pass), findings +2 -2\n",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    assert!(!text.contains("same"), "{text}");
    assert!(!text.contains("繁體"), "{text}");
}

#[test]
fn diff_names_whole_conversation_findings_and_reads_stdin() {
    let old = temp_file("old.yaml", OLD);
    let strict = temp_file(
        "new.yaml",
        OLD.replace("match: [您好, hello]", "match: [您好呀]"),
    );
    let out = run_stdin(&["diff", &old, &strict], &line(Some("c1"), "ＨＥＬＬＯ 😀"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "c1  score 100 → 95  (pass)\n  + greeting (conversation) (-5)\n\nfindings by rule\n  \
         rule      added  removed\n  greeting     +1       -0\n\n1 conversation compared: 1 \
         changed, 1 score changed, 0 pass/fail flips, findings +1 -0\n"
    );
}

#[test]
fn diff_reports_bad_lines_exits_3_and_compares_the_rest() {
    let input = format!(
        "{}not json\n{}",
        line(Some("a"), "爱买不买"),
        line(None, "不知道")
    );
    let (out, v) = diff_json(OLD, NEW, &input, &[]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("in.jsonl:2:"), "{}", stderr(&out));
    assert_eq!(v["conversations"], 2);
    // the position counts compared conversations, as `qa score --format table` does
    let ids: Vec<&Value> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&json!("a"), &json!("#2")]);
}

#[test]
fn diff_with_a_bad_rubric_exits_2_naming_the_place() {
    let bad = temp_file(
        "bad.yaml",
        "rubric: x\nrules:\n  - {id: a, kind: forbidd, match: [x]}\n",
    );
    let good = temp_file("good.yaml", OLD);
    let input = temp_file("in.jsonl", conversations());
    for args in [[&bad, &good], [&good, &bad]] {
        let out = run(&["diff", args[0], args[1], &input]);
        assert_eq!(code(&out), 2);
        assert!(
            stderr(&out).contains(&format!("{bad}:3:")),
            "{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "");
    }
    // both bad: both named
    let bad2 = temp_file("bad2.yaml", "rubric: y\nrules: 3\n");
    let out = run(&["diff", &bad, &bad2, &input]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&bad) && stderr(&out).contains(&bad2),
        "{}",
        stderr(&out)
    );
    // a missing rubric or input, a bad option
    let out = run(&["diff", &good, "/nonexistent/new.yaml", &input]);
    assert_eq!(code(&out), 2);
    let out = run(&["diff", &good, &good, "/nonexistent/in.jsonl"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("/nonexistent/in.jsonl"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        code(&run(&["diff", &good, &good, &input, "--format", "table"])),
        2
    );
    assert_eq!(code(&run(&["diff", &good])), 2);
}

#[test]
fn diff_output_is_the_same_with_one_or_four_jobs() {
    let many: String = (0..600)
        .map(|i| {
            line(
                Some(&format!("c{i}")),
                ["您好，不知道", "爱买不买", "您好"][i % 3],
            )
        })
        .collect();
    let (_, one) = diff_json(OLD, NEW, &many, &["--jobs", "1"]);
    let (_, four) = diff_json(OLD, NEW, &many, &["--jobs", "4"]);
    assert_eq!(one, four);
    assert_eq!(one["conversations"], 600);
    assert_eq!(one["changed"].as_array().unwrap().len(), 400);
    assert_eq!(one["changed"][0]["id"], "c0");
}

// ── qa report --by meta.PATH ──────────────────────────────────────────────────────────

const RUBRIC: &str = r#"
rubric: small
scoring: {base: 100, pass: 80}
rules:
  - {id: rude, kind: forbid, role: agent, match: [这是规定], deduct: 30}
"#;

fn with_meta(id: &str, meta: Option<Value>, agent_text: &str) -> String {
    let mut t = json!({"id": id, "turns": [{"speaker": "agent", "text": agent_text}]});
    if let Some(meta) = meta {
        t["meta"] = meta;
    }
    format!("{t}\n")
}

fn meta_input() -> String {
    [
        with_meta(
            "a",
            Some(json!({"quality": {"S": -0.5}, "tags": ["vip", "新客"], "flag": true, "n": 3, "region": "北京"})),
            "这是规定",
        ),
        with_meta(
            "b",
            Some(json!({"quality": {"S": -0.5}, "tags": ["新客"], "flag": false, "n": 3.5, "region": "臺北"})),
            "您好",
        ),
        with_meta(
            "c",
            Some(json!({"quality": {"S": 1}, "tags": [], "flag": true, "n": null})),
            "😀",
        ),
        with_meta("d", None, ""),
    ]
    .concat()
}

fn groups_by(path: &str, extra: &[&str]) -> (Output, Value) {
    let rubric = temp_file("r.yaml", RUBRIC);
    let input = temp_file("in.jsonl", meta_input());
    let mut args = vec!["report", &rubric, &input, "--by", path, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    let v = json_out(&out);
    (out, v)
}

/// (key, conversations) of each group, in output order.
fn keys(v: &Value, field: &str) -> Vec<(Value, u64)> {
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g[field].clone(), g["conversations"].as_u64().unwrap()))
        .collect()
}

#[test]
fn report_by_a_meta_path_groups_by_the_value_as_text() {
    let (out, v) = groups_by("meta.quality.S", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(v["by"], "meta.quality.S");
    assert_eq!(
        keys(&v, "meta.quality.S"),
        [(json!("-0.5"), 2), (json!("1"), 1), (Value::Null, 1)],
        "numbers by value, the conversations without the path last, as null"
    );
    let first = &v["groups"][0];
    assert_eq!(
        (&first["passed"], &first["top_rule"]),
        (&json!(1), &json!("rude"))
    );
    let (_, v) = groups_by("meta.tags.0", &[]);
    assert_eq!(
        keys(&v, "meta.tags.0"),
        [(json!("vip"), 1), (json!("新客"), 1), (Value::Null, 2)],
        "an empty array has no element 0"
    );
    let (_, v) = groups_by("meta.flag", &[]);
    assert_eq!(
        keys(&v, "meta.flag"),
        [(json!("false"), 1), (json!("true"), 2), (Value::Null, 1)]
    );
    let (_, v) = groups_by("meta.n", &[]);
    assert_eq!(
        keys(&v, "meta.n"),
        [(json!("3"), 1), (json!("3.5"), 1), (Value::Null, 2)],
        "a JSON null is the null group too"
    );
    let (_, v) = groups_by("meta.region", &[]);
    assert_eq!(
        keys(&v, "meta.region"),
        [(json!("北京"), 1), (json!("臺北"), 1), (Value::Null, 2)]
    );
    let (_, v) = groups_by("meta.tags", &[]);
    assert_eq!(
        keys(&v, "meta.tags"),
        [
            (json!(r#"["vip","新客"]"#), 1),
            (json!(r#"["新客"]"#), 1),
            (json!("[]"), 1),
            (Value::Null, 1)
        ],
        "an array or object is keyed by its JSON text"
    );
    let (_, v) = groups_by("id", &[]);
    assert_eq!(v["groups"].as_array().unwrap().len(), 4);
}

#[test]
fn report_by_a_meta_path_in_the_table_shows_the_null_group_last() {
    let rubric = temp_file("r.yaml", RUBRIC);
    let input = temp_file("in.jsonl", meta_input());
    let out = run(&["report", &rubric, &input, "--by", "meta.region"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "by meta.region")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    assert!(table[0].trim_start().starts_with("meta.region"), "{text}");
    assert!(
        table[1].trim_start().starts_with("北京") && table[1].ends_with("rude"),
        "{text}"
    );
    assert!(table[2].trim_start().starts_with("臺北"), "{text}");
    assert!(table[3].trim_start().starts_with("null "), "{text}");
    // agent groups show the conversations without an agent the same way
    let out = run(&["report", &rubric, &input, "--by", "agent"]);
    assert!(stdout(&out).contains("\n  null "), "{}", stdout(&out));
}

#[test]
fn report_by_a_meta_path_keeps_max_groups() {
    let (out, v) = groups_by("meta.n", &["--max-groups", "1"]);
    assert_eq!(code(&out), 0);
    assert_eq!(keys(&v, "meta.n"), [(json!("3"), 1)]);
    assert_eq!(v["other_groups"]["conversations"], 3);
    assert!(
        stderr(&out).contains("over 1 distinct values of meta.n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn report_by_a_bad_path_is_a_usage_error() {
    let rubric = temp_file("r.yaml", RUBRIC);
    let input = temp_file("in.jsonl", meta_input());
    for bad in [
        "foo",
        "meta.",
        "meta..a",
        "agent.name",
        "turns.0",
        "",
        "quality.S",
    ] {
        let out = run(&["report", &rubric, &input, "--by", bad]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(
            stderr(&out).contains("meta.PATH"),
            "{bad}: {}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), "", "{bad}");
    }
}
