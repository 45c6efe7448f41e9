//! Runs the built `qa` binary: every command, every exit code, bad input, stdin and files,
//! `--jobs`, live `watch`, and `qa test` on every example. Fixtures are the repository's
//! `examples/` (found from this crate's directory) and files written to a temporary folder.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use serde_json::Value;

/// The example rubrics, by name (`examples/rubrics/NAME.yaml`), found on disk so a new example
/// is picked up by every test that iterates over them.
fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples().join("rubrics"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.len() >= 5 && names.iter().any(|n| n == "social-media"),
        "{names:?}"
    );
    names
}

// ── qa check ──────────────────────────────────────────────────────────────────────────

#[test]
fn check_valid_rubric_prints_counts() {
    let out = run(&["check", &rubric("ecommerce")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ok: 电商售后服务质检"), "{text}");
    assert!(text.contains("13 rules: 6 forbid, 3 require"), "{text}");
}

#[test]
fn check_every_example_is_valid_and_quiet() {
    for name in example_names() {
        let out = run(&["check", &rubric(&name)]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("warning"),
            "{name}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn check_invalid_rubric_reports_every_error_with_its_place() {
    let path = temp_file(
        "bad.yaml",
        "rubric: x\nrules:\n  - id: a\n    kind: forbidd\n  - {id: b, kind: forbid, match: [\"@nope\"]}\n"
            .as_bytes(),
    );
    let out = run(&["check", &path]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{path}:4:11: rule `a`: unknown kind `forbidd`; did you mean `forbid`?"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("{path}:5:")), "{err}");
    assert!(err.contains("undefined list `@nope`"), "{err}");
    // each error also shows its source line with a caret under the column
    assert!(err.contains("4 |     kind: forbidd\n"), "{err}");
    assert!(
        err.contains("  |           ^^^^^^^ did you mean `forbid`?"),
        "{err}"
    );
    assert!(
        err.contains("5 |   - {id: b, kind: forbid, match: [\"@nope\"]}"),
        "{err}"
    );
}

#[test]
fn check_json_lists_errors_and_warnings() {
    let bad = temp_file("bad.yaml", b"rubric: x\nrules: [{id: a, kind: nope}]\n");
    let out = run(&["check", "--format", "json", &bad]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["kind"], "unknown_kind");
    assert_eq!(v["errors"][0]["line"], 2);

    let good = temp_file(
        "drugs.yaml",
        "rubric: x\nrules:\n  - {id: drugs, kind: forbid, match: [大麻]}\n".as_bytes(),
    );
    let out = run(&["check", "--format", "json", &good]);
    assert_eq!(code(&out), 0);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["warnings"][0]["rule"], "drugs");
    assert_eq!(v["warnings"][0]["line"], 3);
}

#[test]
fn check_warns_about_phrases_likely_to_raise_false_alarms() {
    let path = temp_file(
        "warn.yaml",
        "rubric: x\nrules:\n  - {id: drugs, kind: forbid, match: [大麻, 滚]}\n  - {id: legal, kind: forbid, match: [sue]}\n  - {id: ok, kind: forbid, match: [sue, 滚], word: true}\n"
            .as_bytes(),
    );
    let out = run(&["check", &path]);
    assert_eq!(code(&out), 0, "warnings do not make a rubric invalid");
    let err = stderr(&out);
    assert!(err.contains("rule `drugs`: phrase \"大麻\""), "{err}");
    assert!(err.contains("大麻烦"), "names example words: {err}");
    assert!(err.contains("phrase \"滚\" is one character"), "{err}");
    assert!(
        err.contains("rule `legal`") && err.contains("issue"),
        "{err}"
    );
    assert!(
        !err.contains("rule `ok`"),
        "word: true silences them: {err}"
    );
    let quiet = run(&["check", "--no-warnings", &path]);
    assert!(!stderr(&quiet).contains("warning"));
}

#[test]
fn check_missing_file_and_bad_usage_exit_2() {
    let out = run(&["check", "/nonexistent/rubric.yaml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("/nonexistent/rubric.yaml"));
    assert_eq!(code(&run(&["check"])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
    assert_eq!(
        code(&run(&["score", "--format", "xml", &rubric("ecommerce")])),
        2
    );
    assert_eq!(code(&run(&["--help"])), 0);
}

// ── qa check --sample ─────────────────────────────────────────────────────────────────

const SAMPLE_RUBRIC: &str = r#"
rubric: sample
rules:
  - id: rude
    kind: forbid
    negation: skip
    match: [这是规定, 垃圾, "don't care"]
    except: [垃圾短信]
  - {id: sue, kind: forbid, role: customer, word: true, match: [sue]}
  - {id: greet, kind: require, match: [您好, hello]}
  - {id: never, kind: forbid, match: [气死亡]}
"#;

const SAMPLE_DATA: &str = concat!(
    r#"{"id": "c1", "turns": [{"speaker": "customer", "text": "怎麼還沒發貨😡"}, {"speaker": "agent", "text": "您好，這是規定"}]}"#,
    "\n",
    r#"{"id": "c2", "turns": [{"speaker": "customer", "text": "垃圾短信太多了"}, {"speaker": "agent", "text": "您好，垃圾短信已拦截"}]}"#,
    "\n",
    r#"{"id": "c3", "turns": [{"speaker": "customer", "text": "I'll sue you! no issue 😀"}, {"speaker": "agent", "text": "Hello, we don't care"}]}"#,
    "\n",
    r#"{"turns": [{"speaker": "agent", "text": "您好"}]}"#,
    "\n",
    r#"{"id": "c5", "turns": [{"speaker": "agent", "text": "您好！我已经等了三天了，每天都打电话，不能说这是规定吧？这是规定吗？你们到底管不管，太过分了"}]}"#,
    "\n",
);

/// The phrase `phrase` of rule `rule` (its `part`) in `qa check --format json --sample`.
fn sampled<'a>(json: &'a Value, rule: &str, part: &str, phrase: &str) -> &'a Value {
    json["sample"]["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["rule"] == rule && p["part"] == part && p["phrase"] == phrase)
        .unwrap_or_else(|| panic!("{rule} {part} {phrase}"))
}

#[test]
fn check_sample_counts_flags_and_contexts() {
    let r = temp_file("r.yaml", SAMPLE_RUBRIC.as_bytes());
    let data = temp_file("data.jsonl", SAMPLE_DATA.as_bytes());
    let out = run(&["check", &r, "--format", "json", "--sample", &data]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["sample"]["conversations"], 5);
    assert_eq!(json["sample"]["common_share"], 0.5);
    // 繁體 這是規定 matches 这是规定; a negated one (不能说这是规定) is counted apart
    let rule = sampled(&json, "rude", "match", "这是规定");
    assert_eq!(rule["matches"], 2, "{rule}");
    assert_eq!(rule["conversations"], 2);
    assert_eq!(rule["dropped"]["negation"], 1);
    assert_eq!(rule["flag"], Value::Null);
    assert_eq!(
        (&rule["line"], &rule["column"]),
        (&Value::from(7), &Value::from(13))
    );
    let contexts = rule["contexts"].as_array().unwrap();
    assert_eq!(contexts.len(), 2);
    assert_eq!(contexts[0]["conversation"], "c1");
    assert_eq!(contexts[0]["turn"], 1);
    assert_eq!(
        (
            &contexts[0]["before"],
            &contexts[0]["match"],
            &contexts[0]["after"]
        ),
        (
            &Value::from("您好，"),
            &Value::from("這是規定"),
            &Value::from("")
        )
    );
    // 12 characters on each side, from the original text
    assert_eq!(contexts[1]["before"], "电话，不能说这是规定吧？");
    assert_eq!(contexts[1]["match"], "这是规定");
    assert_eq!(contexts[1]["after"], "吗？你们到底管不管，太过");
    // 垃圾: once in a customer turn (not the rule's role), once inside `except` 垃圾短信
    let spam = sampled(&json, "rude", "match", "垃圾");
    assert_eq!(spam["matches"], 0);
    assert_eq!(spam["dropped"]["role"], 1);
    assert_eq!(spam["dropped"]["except"], 1);
    assert_eq!(spam["flag"], "never_matched");
    assert_eq!(sampled(&json, "rude", "except", "垃圾短信")["matches"], 1);
    // word: true: `sue` in `issue` is not a match; an emoji next to it changes nothing
    let sue = sampled(&json, "sue", "match", "sue");
    assert_eq!(
        (&sue["matches"], &sue["dropped"]["word_boundary"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(sampled(&json, "rude", "match", "don't care")["matches"], 1);
    // 您好 in 4 of 5 conversations: too common; at most 3 contexts, the first ones
    let hello = sampled(&json, "greet", "match", "您好");
    assert_eq!(hello["conversations"], 4);
    assert_eq!(hello["share"], 0.8);
    assert_eq!(hello["flag"], "too_common");
    let ids: Vec<&str> = hello["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["c1", "c2", "#4"],
        "a conversation without id: its place"
    );
    assert_eq!(
        sampled(&json, "never", "match", "气死亡")["flag"],
        "never_matched"
    );

    // the text form
    let out = run(&["check", &r, "--sample", &data]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for line in [
        "sample: 5 conversations; a phrase is flagged when it never matched, or matched in ≥ 50% of them",
        "rule `rude` match (agent turns)",
        "  这是规定: 2 matches in 2 conversations (40.0%); 1 dropped (negation 1)",
        "      您好，«這是規定»  (c1 turn 1)",
        "      …电话，不能说这是规定吧？«这是规定»吗？你们到底管不管，太过…  (c5 turn 0)",
        "      I'll «sue» you! no iss…  (c3 turn 0)",
        "  垃圾: never matched; 2 dropped (other role 1, except 1)  [never matched]",
        "  您好: 4 matches in 4 conversations (80.0%)  [too common?]",
        "2 phrases never matched:",
        "1 phrase too common? (matched in most conversations):",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(
        text.contains(&format!("{r}:11:39: rule `never` match: 气死亡")),
        "{text}"
    );
}

#[test]
fn check_sample_reads_stdin_and_reports_bad_lines() {
    let r = temp_file("r.yaml", SAMPLE_RUBRIC.as_bytes());
    let input = format!("{SAMPLE_DATA}not json\n");
    let out = run_stdin(&["check", &r, "--format", "json", "--sample", "-"], &input);
    assert_eq!(code(&out), 3, "bad lines: status 3");
    assert!(stderr(&out).contains("<stdin>:6:"), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["sample"]["conversations"], 5);
    assert_eq!(json["sample"]["bad_records"], 1);
    // a missing input is a usage error
    let out = run(&["check", &r, "--sample", "/nonexistent/data.jsonl"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn check_sample_of_empty_input_flags_nothing() {
    let r = temp_file("r.yaml", SAMPLE_RUBRIC.as_bytes());
    let empty = temp_file("empty.jsonl", b"");
    let out = run(&["check", &r, "--sample", &empty]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("sample: 0 conversations"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("nothing to count"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("the input holds no conversations"));
    let out = run(&["check", &r, "--format", "json", "--sample", &empty]);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["sample"]["conversations"], 0);
    assert!(json["sample"]["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["flag"].is_null() && p["matches"] == 0));
    // without --sample, no `sample` key
    let out = run(&["check", &r, "--format", "json"]);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(json.get("sample").is_none());
}

// ── qa score ──────────────────────────────────────────────────────────────────────────

#[test]
fn score_a_file_writes_one_report_per_line_in_input_order() {
    let out = run(&["score", &rubric("ecommerce"), &data("ecommerce")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reports = json_lines(&out);
    let input = std::fs::read_to_string(data("ecommerce")).unwrap();
    let ids: Vec<Value> = input
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone())
        .collect();
    let got: Vec<Value> = reports.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(got, ids);
    let rude = &reports[1];
    assert_eq!(rude["rubric"], "电商售后服务质检");
    assert!(rude["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "rude"));
}

#[test]
fn score_every_example_data_file_without_error() {
    for name in example_names() {
        let out = run(&["score", &rubric(&name), &data(&name)]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let lines = std::fs::read_to_string(data(&name))
            .unwrap()
            .lines()
            .count();
        assert!(lines >= 5, "{name}: {lines} conversations");
        assert_eq!(json_lines(&out).len(), lines, "{name}");
    }
}

#[test]
fn score_social_media_example_strips_weibo_noise_and_lists_not_applicable_rules() {
    let out = run(&["score", &rubric("social-media"), &data("social-media")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reports = json_lines(&out);
    let by_id = |id: &str| reports.iter().find(|r| r["id"] == id).unwrap().clone();
    let rules = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    // @中国消费者投诉网官网 and [发怒] are stripped: no complaint, no anger, rules N/A
    let handle = by_id("wb-102");
    assert_eq!(handle["score"], 100.0);
    assert!(rules(&handle).is_empty(), "{handle}");
    let na: Vec<&str> = handle["not_applicable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(na, ["escalation-followup", "refund-timeline"]);
    // 投\u200b诉 is a complaint; the evidence keeps the zero-width space and slices the text
    let zw = by_id("wb-103");
    let f = zw["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "complaint-answered")
        .unwrap();
    assert_eq!(f["text"], "投\u{200b}诉");
    assert_eq!(
        (f["turn"].as_u64(), f["start"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(
        zw["not_applicable"],
        serde_json::json!([{"rule": "refund-timeline"}]),
        "the threat makes escalation-followup apply"
    );
    // the final posts (a 12315 threat, an angry [怒]) are not judged: at_end: skip
    assert!(rules(&by_id("wb-104")).is_empty());
    assert_eq!(rules(&by_id("wb-116")), ["complaint-answered"]);
}

#[test]
fn score_reads_stdin_by_default_and_with_dash() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let input = "{\"id\": \"a\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}]}\n\n{\"id\": \"b\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"这是规定\"}]}\n";
    for args in [vec!["score", &rubric], vec!["score", &rubric, "-"]] {
        let out = run_stdin(&args, input);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let reports = json_lines(&out);
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0]["score"], 100.0);
        assert_eq!(reports[1]["score"], 65.0);
        assert_eq!(reports[1]["passed"], false);
    }
}

#[test]
fn score_json_files_hold_one_transcript_or_an_array() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let one = temp_file(
        "one.json",
        "{\n  \"id\": \"x\",\n  \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}]\n}\n"
            .as_bytes(),
    );
    let many = temp_file(
        "many.json",
        "[\n {\"id\": \"y\", \"turns\": []},\n {\"id\": \"z\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"这是规定\"}]}\n]\n"
            .as_bytes(),
    );
    let out = run(&["score", &rubric, &one, &many]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ids: Vec<Value> = json_lines(&out).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec!["x", "y", "z"]);
}

#[test]
fn score_reports_bad_lines_with_file_and_line_and_scores_the_rest() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let input = temp_file(
        "mixed.jsonl",
        concat!(
            "{\"id\": \"ok1\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}]}\n",
            "this is not json\n",
            "{\"id\": \"no-turns\"}\n",
            "{\"id\": \"no-text\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}, {\"speaker\": \"agent\"}]}\n",
            "{\"id\": \"bad-type\", \"turns\": [{\"speaker\": 3, \"text\": \"\"}]}\n",
            "[1, 2]\n",
            "{\"id\": \"ok2\", \"turns\": []}\n",
        )
        .as_bytes(),
    );
    let out = run(&["score", &rubric, &input]);
    assert_eq!(code(&out), 3);
    let ids: Vec<Value> = json_lines(&out).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, vec!["ok1", "ok2"]);
    let err = stderr(&out);
    assert!(err.contains(&format!("{input}:2: invalid JSON")), "{err}");
    assert!(
        err.contains(&format!("{input}:3: missing field `turns`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{input}:4: turn 1: missing field `text`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{input}:5: turn 0: `speaker` must be a string")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{input}:6: a transcript must be a JSON object")),
        "{err}"
    );
}

#[test]
fn score_reports_bad_items_of_a_json_array_by_line() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let input = temp_file(
        "arr.json",
        b"[\n  {\"id\": \"a\", \"turns\": []},\n  {\"id\": \"b\"},\n  {\"id\": \"c\", \"turns\": []}\n]\n",
    );
    let out = run(&["score", &rubric, &input]);
    assert_eq!(code(&out), 3);
    assert_eq!(json_lines(&out).len(), 2);
    assert!(stderr(&out).contains(&format!("{input}:3: missing field `turns`")));
}

#[test]
fn score_an_empty_file_writes_nothing_and_succeeds() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let empty = temp_file("empty.jsonl", b"");
    let out = run(&["score", &rubric, &empty]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("no conversations"));
    let out = run(&["score", &rubric, &empty, "--format", "json"]);
    assert_eq!(stdout(&out), "[]\n");
}

#[test]
fn score_skips_huge_lines_without_stopping() {
    let rubric = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    // a line over --max-line-bytes is skipped without being held in memory
    let long_line = format!(
        "{{\"id\": \"big\", \"turns\": [{{\"speaker\": \"agent\", \"text\": \"{}\"}}]}}",
        "好".repeat(200_000)
    );
    let input = temp_file(
        "huge.jsonl",
        format!("{long_line}\n{{\"id\": \"small\", \"turns\": []}}\n").as_bytes(),
    );
    let out = run(&["score", &rubric, &input, "--max-line-bytes", "100000"]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains(&format!("{input}:1: the line is")),
        "{}",
        stderr(&out)
    );
    assert_eq!(json_lines(&out).len(), 1);
    // a turn over the engine's 1 MiB limit is a bad line too
    let input = temp_file(
        "turn.jsonl",
        format!(
            "{{\"turns\": [{{\"speaker\": \"agent\", \"text\": \"{}\"}}]}}\n",
            "a".repeat(1_100_000)
        )
        .as_bytes(),
    );
    let out = run(&["score", &rubric, &input]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("turn 0: the text is"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn score_gives_identical_output_with_one_or_two_jobs() {
    // more conversations than one batch, so batches and threads really interleave
    let one = std::fs::read_to_string(data("ecommerce")).unwrap();
    let input = temp_file("many.jsonl", one.repeat(40).as_bytes());
    let r = rubric("ecommerce");
    let a = run(&["score", &r, &input, "--jobs", "1"]);
    let b = run(&["score", &r, &input, "--jobs", "2"]);
    assert_eq!(code(&a), 0);
    assert_eq!(json_lines(&a).len(), 14 * 40);
    assert_eq!(a.stdout, b.stdout);
    let a = run(&["report", &r, &input, "--jobs", "1", "--format", "json"]);
    let b = run(&["report", &r, &input, "--jobs", "2", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn score_fail_on_failed_exits_1() {
    let r = rubric("ecommerce");
    let d = data("ecommerce");
    assert_eq!(code(&run(&["score", &r, &d])), 0);
    assert_eq!(code(&run(&["score", &r, &d, "--fail-on-failed"])), 1);
    let good = temp_file(
        "good.jsonl",
        b"{\"turns\": [{\"speaker\": \"agent\", \"text\": \"hello, bye\"}]}\n",
    );
    let small = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    assert_eq!(code(&run(&["score", &small, &good, "--fail-on-failed"])), 0);
}

#[test]
fn score_formats_json_array_and_table() {
    let r = rubric("ecommerce");
    let d = data("ecommerce");
    let out = run(&["score", &r, &d, "--format", "json"]);
    let all: Value = serde_json::from_str(&stdout(&out)).expect("one JSON array");
    assert_eq!(all.as_array().unwrap().len(), 14);
    let out = run(&["score", &r, &d, "--format", "table"]);
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("id") && first.contains("score") && first.contains("findings"));
    assert!(
        text.contains("ec-1002") && text.contains("rude@1 -10"),
        "{text}"
    );
    assert!(
        text.contains("14 conversations · mean score 82.5 · passed 10/14"),
        "{text}"
    );
}

#[test]
fn score_with_an_invalid_rubric_or_missing_input_exits_2() {
    let bad = temp_file("bad.yaml", b"rubric: x\nrules: [{id: a, kind: forbidd}]\n");
    let out = run(&["score", &bad, &data("ecommerce")]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(&format!("{bad}:2:")));
    assert_eq!(stdout(&out), "");
    let out = run(&["score", &rubric("ecommerce"), "/nonexistent.jsonl"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read /nonexistent.jsonl"));
    assert_eq!(
        code(&run(&["score", &rubric("ecommerce"), "--jobs", "0"])),
        2
    );
}

// ── qa report ─────────────────────────────────────────────────────────────────────────

#[test]
fn report_aggregates_with_a_pareto_of_rules() {
    let out = run(&[
        "report",
        &rubric("ecommerce"),
        &data("ecommerce"),
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["overall"]["conversations"], 14);
    assert_eq!(v["overall"]["passed"], 10);
    let dist: u64 = v["distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(dist, 14);
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules[0]["rule"], "rude", "most deducted first");
    let shares: Vec<f64> = rules
        .iter()
        .map(|r| r["cumulative_share"].as_f64().unwrap())
        .collect();
    assert!(shares.windows(2).all(|w| w[0] <= w[1]));
    assert!((shares.last().unwrap() - 1.0).abs() < 1e-6);
    assert_eq!(rules.len(), 13, "JSON lists every rule");
}

#[test]
fn report_groups_by_agent_channel_and_rule() {
    let r = rubric("ecommerce");
    let d = data("ecommerce");
    let out = run(&["report", &r, &d, "--by", "agent", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["by"], "agent");
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    let a012 = groups.iter().find(|g| g["agent"] == "A012").unwrap();
    assert_eq!(a012["conversations"], 4);
    assert_eq!(a012["top_rule"], "rude");
    let out = run(&["report", &r, &d, "--by", "channel"]);
    let text = stdout(&out);
    assert!(
        text.contains("by channel") && text.contains("phone"),
        "{text}"
    );
    let out = run(&["report", &r, &d, "--by", "rule"]);
    let text = stdout(&out);
    assert!(text.contains("rules (Pareto"), "{text}");
    assert!(text.contains("empathy"), "every rule listed: {text}");
    assert!(text.contains("pass rate      71.4%"), "{text}");
}

#[test]
fn report_with_bad_lines_exits_3() {
    let input = temp_file("bad.jsonl", b"{\"turns\": []}\nnope\n");
    let out = run(&["report", &rubric("ecommerce"), &input]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains(&format!("{input}:2:")));
    assert!(stdout(&out).contains("conversations  1"));
}

// ── qa watch ──────────────────────────────────────────────────────────────────────────

#[test]
fn watch_writes_findings_before_the_conversation_closes() {
    let mut child = qa()
        .args(["watch", &rubric("ecommerce")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let send = |stdin: &mut std::process::ChildStdin, line: &str| {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    };
    send(
        &mut stdin,
        r#"{"conversation": "c1", "agent": "A1", "speaker": "customer", "text": "在吗", "start": 0}"#,
    );
    send(
        &mut stdin,
        r#"{"conversation": "c2", "speaker": "customer", "text": "你好", "start": 0}"#,
    );
    send(
        &mut stdin,
        r#"{"conversation": "c1", "speaker": "agent", "text": "您好，这是规定", "start": 5}"#,
    );
    // the rude phrase is certain at once: its finding arrives while c1 is still open
    let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(line["conversation"], "c1");
    assert_eq!(line["finding"]["rule"], "rude");
    assert_eq!(line["finding"]["turn"], 1);
    assert_eq!(line["finding"]["text"], "这是规定");
    send(&mut stdin, r#"{"conversation": "c1", "end": true}"#);
    let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(line["conversation"], "c1");
    assert_eq!(line["report"]["id"], "c1");
    assert_eq!(line["report"]["agent"], "A1");
    let rules: Vec<&Value> = line["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["rule"])
        .collect();
    assert!(rules.contains(&&Value::from("closing")), "{rules:?}");
    drop(stdin); // end of input closes c2
    let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(line["conversation"], "c2");
    assert!(line["report"].is_object());
    assert!(lines.next().is_none());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn watch_report_equals_score_on_the_same_turns() {
    let transcript = std::fs::read_to_string(data("ecommerce"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let t: Value = serde_json::from_str(&transcript).unwrap();
    let mut input = String::new();
    for turn in t["turns"].as_array().unwrap() {
        let mut line = turn.clone();
        line["conversation"] = t["id"].clone();
        input.push_str(&format!("{line}\n"));
    }
    input.push_str(&format!(
        "{{\"conversation\": {}, \"end\": true}}\n",
        t["id"]
    ));
    let watched = run_stdin(&["watch", &rubric("ecommerce")], &input);
    assert_eq!(code(&watched), 0, "{}", stderr(&watched));
    let lines = json_lines(&watched);
    let report = &lines.last().unwrap()["report"];
    let scored = run_stdin(&["score", &rubric("ecommerce")], &transcript);
    let expected = &json_lines(&scored)[0];
    assert_eq!(report["findings"], expected["findings"]);
    assert_eq!(report["score"], expected["score"]);
    assert!(lines.len() > 1, "findings were pushed before the report");
}

#[test]
fn watch_reports_bad_lines_and_exits_3() {
    let input = concat!(
        "{\"conversation\": \"c1\", \"speaker\": \"agent\", \"text\": \"您好\"}\n",
        "not json\n",
        "{\"speaker\": \"agent\", \"text\": \"no conversation\"}\n",
        "{\"conversation\": \"c1\", \"speaker\": \"agent\"}\n",
        "{\"conversation\": \"zz\", \"end\": true}\n",
    );
    let out = run_stdin(&["watch", &rubric("ecommerce")], input);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains("<stdin>:2: invalid JSON"), "{err}");
    assert!(
        err.contains("<stdin>:3: missing field `conversation`"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:4: `c1`: turn 1: missing field `text`"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:5: conversation `zz` is not open"),
        "{err}"
    );
    let lines = json_lines(&out);
    assert_eq!(
        lines.last().unwrap()["conversation"],
        "c1",
        "closed at end of input"
    );
}

// ── qa test ───────────────────────────────────────────────────────────────────────────

#[test]
fn test_passes_on_every_example() {
    for name in example_names() {
        let cases = examples().join(format!("tests/{name}.cases.yaml"));
        let out = run(&["test", &rubric(&name), cases.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{name}: {}", stdout(&out));
        assert!(
            stdout(&out).contains(" passed, 0 failed"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn test_fails_on_a_broken_case_and_says_why() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let cases = temp_file(
        "cases.yaml",
        r#"
- name: passes
  turns: [{speaker: agent, text: 您好}]
  expect: {score: 100, passed: true, no_findings: [rude]}
- name: wrong score
  turns:
    - {speaker: customer, text: 怎麼還沒發貨？😡}
    - {speaker: agent, text: "您好，这是规定。Please wait patiently, we will ship it as soon as the warehouse opens again tomorrow"}
  expect:
    score: 100
    findings: [{rule: rude, turn: 0}]
"#
        .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("ok    passes"), "{text}");
    assert!(text.contains("FAIL  wrong score"), "{text}");
    // the conversation, each turn with its index, speaker and text; a long one shortened
    assert!(
        text.contains("turn 0  customer: 怎麼還沒發貨？😡\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "turn 1  agent: 您好，这是规定。Please wait patiently, we will ship it as soon as th…\n"
        ),
        "{text}"
    );
    // what was expected and what happened
    assert!(text.contains("score: expected 100, got 70"), "{text}");
    assert!(
        text.contains("findings: expected a finding of `rude` at turn 0, found 0; the report has rude@1 \"这是规定\""),
        "{text}"
    );
    assert!(
        text.contains("1 passed, 1 failed, 0 xfail, 0 xpass"),
        "{text}"
    );
}

/// The user story of issue 15: a flow mapping cut at an ASCII comma used to pass silently.
#[test]
fn test_names_the_key_a_comma_split_off() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let cases = temp_file(
        "cases.yaml",
        "cases:\n  - name: 宽带\n    turns:\n      - {speaker: customer, text: 宽带又断了,你们太坑人了}\n      - {speaker: agent, text: 您好}\n    expect: {no_findings: [rude]}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{cases}:4:41: unknown key `你们太坑人了` in turn 0; expected one of: speaker, text, start, end"
        )),
        "{err}"
    );
    assert!(err.contains("quote a text"), "{err}");
    assert!(stdout(&out).is_empty(), "no case runs: {}", stdout(&out));
    // quoted, the same case passes
    let fixed = temp_file(
        "cases.yaml",
        "- turns: [{speaker: customer, text: \"宽带又断了,你们太坑人了\"}, {speaker: agent, text: 您好}]\n  expect: {no_findings: [rude], score: 100}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &fixed]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn test_unknown_keys_at_every_level_are_errors_with_their_place() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let cases = temp_file(
        "cases.yaml",
        r#"- name: ok
  turns: [{speaker: agent, text: 您好}]
  expect: {score: 100}
- name: every level
  naem: typo
  transcript:
    agnet: 小王
    turns:
      - speaker: 客服
        txt: 您好
  expect:
    scroe: 100
    findings:
      - {rule: rude, turns: 1}
      - rudee
    no_findings: [greting]
    passed: "yes"
"#
        .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    for (place, message) in [
        ("5:3", "unknown key `naem` in a case"),
        ("7:5", "unknown key `agnet` in `transcript`"),
        ("9:9", "turn 0: missing `text`"),
        ("10:9", "unknown key `txt` in turn 0"),
        ("12:5", "unknown key `scroe` in `expect`"),
        ("14:22", "unknown key `turns` in an expected finding"),
        ("15:9", "the rubric has no rule `rudee`"),
        ("16:19", "the rubric has no rule `greting`"),
        ("17:5", "`passed` must be true or false"),
    ] {
        assert!(
            err.contains(&format!("{cases}:{place}: {message}")),
            "{place} {message}:\n{err}"
        );
    }
    assert!(
        err.contains("invalid cases file: 9 errors; no case was run"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn test_xfail_marks_a_known_failure() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let known = "- name: 已知问题\n  turns: [{speaker: agent, text: 这是规定}]\n  expect: {score: 100}\n  xfail: true\n";
    let passing =
        "- name: passes\n  turns: [{speaker: agent, text: 您好}]\n  expect: {score: 100}\n";
    // a known failure: reported as xfail, the run passes
    let cases = temp_file("cases.yaml", format!("{known}{passing}").as_bytes());
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("xfail 已知问题"), "{text}");
    assert!(text.contains("score: expected 100, got 65"), "{text}");
    assert!(
        text.contains("1 passed, 0 failed, 1 xfail, 0 xpass"),
        "{text}"
    );
    assert!(!text.contains("FAIL"), "{text}");
    // --quiet hides it
    let out = run(&["test", "-q", &r, &cases]);
    assert!(!stdout(&out).contains("已知问题"), "{}", stdout(&out));
    // a marked case that passes fails the run, so its mark gets removed
    let fixed = "- name: fixed\n  turns: [{speaker: agent, text: 您好}]\n  expect: {score: 100}\n  xfail: true\n";
    let cases = temp_file("cases.yaml", format!("{fixed}{passing}").as_bytes());
    let out = run(&["test", "-q", &r, &cases]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("XPASS fixed"), "{text}");
    assert!(text.contains("unexpectedly passed"), "{text}");
    assert!(
        text.contains("1 passed, 0 failed, 0 xfail, 1 xpass"),
        "{text}"
    );
    // `xfail` takes true or false
    let cases = temp_file(
        "cases.yaml",
        "- turns: [{speaker: agent, text: 您好}]\n  expect: {score: 100}\n  xfail: yes please\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(":3:3: `xfail` must be true or false"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn test_reads_jsonl_cases() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let cases = temp_file(
        "cases.jsonl",
        "{\"name\": \"rude\", \"transcript\": {\"turns\": [{\"speaker\": \"agent\", \"text\": \"这是规定\"}]}, \"expect\": {\"score\": 65, \"findings\": [{\"rule\": \"greeting\", \"turn\": null}, \"rude\"]}}\n\n{\"id\": \"c2\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"Hello 您好 😀\"}], \"expect\": {\"passed\": false}, \"xfail\": true}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("xfail case c2"), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 passed, 0 failed, 1 xfail, 0 xpass"));
    // strict too: the key's line and column
    let cases = temp_file(
        "cases.jsonl",
        "{\"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}], \"expect\": {}}\n{\"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\", \"txet\": 1}], \"expect\": {\"passed\": true, \"scor\": 100}}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{cases}:2:47: unknown key `txet` in turn 0")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{cases}:2:87: unknown key `scor` in `expect`")),
        "{err}"
    );
}

#[test]
fn test_reads_json_cases_strictly() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let good = r#"{"cases": [
  {"name": "json", "turns": [{"speaker": "agent", "text": "您好，這是規\u200b定 ✅"}],
   "expect": {"score": 70, "findings": [{"rule": "rude", "turn": 0, "text": "這是規\u200b定"}]}}
]}"#;
    let cases = temp_file("cases.json", good.as_bytes());
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let bad = good.replace("\"turn\": 0", "\"turn\": 0, \"start\": 2");
    let cases = temp_file("cases.json", bad.as_bytes());
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!(
            "{cases}:3:69: unknown key `start` in an expected finding"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn test_with_an_unreadable_cases_file_exits_2() {
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let cases = temp_file("cases.yaml", b"cases: [\n");
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("invalid YAML"), "{}", stderr(&out));
    let empty = temp_file("none.yaml", b"cases: []\n");
    assert_eq!(code(&run(&["test", &r, &empty])), 2);
}

// ── redact and thresholds ─────────────────────────────────────────────────────────────

const PII_RUBRIC: &str = r##"
rubric: pii
scoring: {pass: 80}
redact: {builtin: [phone_cn, email], mask: "#"}
rules:
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\d{9}'}], deduct: 30, alert: true}
  - {id: mail, kind: forbid, role: customer, match: [{regex: '\S+@\S+'}]}
thresholds:
  - {id: low, metric: mean_score, by: agent, below: 80}
  - {id: leaks, metric: "rule_rate:phone", above: 0.4}
  - {id: unjudged, metric: pass_rate, by: channel, below: 1, min_count: 3}
"##;

/// Three conversations: a1 leaks a phone number (score 70), a1 does not (100), one without an
/// agent leaks one (70).
const PII_INPUT: &str = concat!(
    r#"{"id": "c1", "agent": "a1", "channel": "web", "turns": [{"speaker": "agent", "text": "您的电话13800138000"}, {"speaker": "customer", "text": "邮箱 me@x.cn"}]}"#,
    "\n",
    r#"{"id": "c2", "agent": "a1", "channel": "web", "turns": [{"speaker": "agent", "text": "您好"}]}"#,
    "\n",
    r#"{"id": "c3", "turns": [{"speaker": "agent", "text": "电话：１３９１２３４５６７８"}]}"#,
    "\n",
);

#[test]
fn score_masks_findings_text_and_no_redact_shows_the_original() {
    let rubric = temp_file("pii.yaml", PII_RUBRIC.as_bytes());
    let out = run_stdin(&["score", &rubric], PII_INPUT);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reports = json_lines(&out);
    assert_eq!(reports[0]["redacted"], true);
    assert_eq!(reports[0]["findings"][0]["text"], "###########");
    assert_eq!(reports[0]["findings"][0]["start"], 4);
    assert_eq!(reports[0]["findings"][1]["text"], "#######");
    assert_eq!(reports[2]["findings"][0]["text"], "###########");
    let out = run_stdin(&["score", &rubric, "--no-redact"], PII_INPUT);
    let reports = json_lines(&out);
    assert!(reports[0].get("redacted").is_none());
    assert_eq!(reports[0]["findings"][0]["text"], "13800138000");
    assert_eq!(reports[0]["findings"][1]["text"], "me@x.cn");
    assert_eq!(reports[2]["findings"][0]["text"], "１３９１２３４５６７８");
    // a rubric without `redact`: nothing changes, with or without the flag
    let small = temp_file("small.yaml", SMALL_RUBRIC.as_bytes());
    let line = r#"{"turns": [{"speaker": "agent", "text": "这是规定13800138000"}]}"#;
    let a = stdout(&run_stdin(&["score", &small], line));
    let b = stdout(&run_stdin(&["score", &small, "--no-redact"], line));
    assert_eq!(a, b);
    assert!(a.contains("这是规定") && !a.contains("redacted"));
}

#[test]
fn watch_masks_pushed_findings_unless_no_redact() {
    let rubric = temp_file("pii.yaml", PII_RUBRIC.as_bytes());
    let input = concat!(
        r#"{"conversation": "c1", "speaker": "agent", "text": "拨打138-0013-8000或13800138000"}"#,
        "\n",
        r#"{"conversation": "c1", "end": true}"#,
        "\n"
    );
    let out = run_stdin(&["watch", &rubric], input);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["finding"]["text"], "###########");
    assert_eq!(lines[1]["report"]["redacted"], true);
    assert!(!stdout(&out).contains("13800138000"));
    let out = run_stdin(&["watch", &rubric, "--no-redact"], input);
    let lines = json_lines(&out);
    assert_eq!(lines[0]["finding"]["text"], "13800138000");
    assert!(lines[1]["report"].get("redacted").is_none());
}

#[test]
fn report_lists_breaches_in_json_and_text_and_fails_on_threshold() {
    let rubric = temp_file("pii.yaml", PII_RUBRIC.as_bytes());
    let out = run_stdin(&["report", &rubric, "--format", "json"], PII_INPUT);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    // a1: (70 + 100) / 2 = 85, not below 80; no agent: 70 < 80. phone in 2 of 3 > 0.4.
    // pass_rate by channel: web has 2 conversations, under min_count 3: not judged
    assert_eq!(
        v["breaches"],
        serde_json::json!([
            {"threshold": "low", "group": null, "value": 70.0, "limit": 80.0, "count": 1},
            {"threshold": "leaks", "group": "all", "value": 2.0 / 3.0, "limit": 0.4, "count": 3},
        ])
    );
    let out = run_stdin(&["report", &rubric, "--fail-on-threshold"], PII_INPUT);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("threshold breaches"), "{text}");
    let low = text
        .lines()
        .find(|l| l.trim_start().starts_with("low "))
        .unwrap();
    assert!(
        low.contains("mean_score")
            && low.contains(" - ")
            && low.contains("70.0")
            && low.contains("below 80.0"),
        "{low}"
    );
    let leaks = text
        .lines()
        .find(|l| l.trim_start().starts_with("leaks"))
        .unwrap();
    assert!(
        leaks.contains("66.7%") && leaks.contains("above 40.0%"),
        "{leaks}"
    );
    // no breach: exit 0 with the flag, and an empty list in JSON
    let fine = r#"{"agent": "a1", "turns": [{"speaker": "agent", "text": "您好"}]}"#;
    let out = run_stdin(
        &["report", &rubric, "--format", "json", "--fail-on-threshold"],
        fine,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["breaches"], serde_json::json!([]));
    let out = run_stdin(&["report", &rubric], fine);
    assert!(
        stdout(&out).contains("none (3 thresholds judged)"),
        "{}",
        stdout(&out)
    );
    // a rubric without thresholds: `breaches` is still there, and the text has no section
    let small = temp_file("small.yaml", SMALL_RUBRIC.as_bytes());
    let out = run_stdin(
        &["report", &small, "--format", "json", "--fail-on-threshold"],
        fine,
    );
    assert_eq!(code(&out), 0);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["breaches"], serde_json::json!([]));
    assert!(!stdout(&run_stdin(&["report", &small], fine)).contains("threshold"));
    // bad input still exits 3, breaches or not
    let bad = format!("{PII_INPUT}not json\n");
    let out = run_stdin(&["report", &rubric, "--fail-on-threshold"], &bad);
    assert_eq!(code(&out), 3);
}

#[test]
fn report_with_an_unknown_threshold_metric_is_a_rubric_error() {
    let text = "rubric: r\nrules: [{id: a, kind: forbid, match: [x]}]\nthresholds:\n  - {id: t, metric: \"rule_rate:b\", above: 0}\n";
    let rubric = temp_file("bad.yaml", text.as_bytes());
    let out = run_stdin(&["report", &rubric], "");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains(":4:21:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("rule_rate:b"), "{}", stderr(&out));
}

#[test]
fn check_and_test_exit_quietly_when_their_reader_is_gone() {
    // `qa test R cases | head -1`: more output than a pipe holds, the reader closes after one
    // line; qa exits 0 without a panic message (println! would panic on the broken pipe)
    let r = temp_file("r.yaml", SMALL_RUBRIC.as_bytes());
    let case = "{\"name\": \"a case with a fairly long name so that the output is large\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}], \"expect\": {}}\n";
    let cases = temp_file("many.jsonl", case.repeat(4_000).as_bytes());
    let args = ["test", &r, &cases];
    let mut child = qa()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn check_sample_contexts_are_masked_by_the_rubrics_redact() {
    let r = temp_file(
        "redact.yaml",
        "rubric: r\nredact: {builtin: [phone_cn]}\nrules:\n  - {id: phone, kind: forbid, role: agent, match: [电话]}\n"
            .as_bytes(),
    );
    let data = temp_file(
        "phones.jsonl",
        "{\"id\": \"p1\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"电话13800138000找我\"}]}\n"
            .as_bytes(),
    );
    let out = run(&["check", &r, "--format", "json", "--sample", &data]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let context = &sampled(&json, "phone", "match", "电话")["contexts"][0];
    assert_eq!(context["match"], "电话");
    assert_eq!(context["after"], "***********找"); // 12 characters
}

#[test]
fn test_expects_not_applicable_rules() {
    let r = temp_file(
        "onlyif.yaml",
        "rubric: r\nrules:\n  - {id: refund, kind: require, role: agent, only_if: {role: customer, match: [退款]}, match: [工作日], deduct: 10}\n"
            .as_bytes(),
    );
    let cases = temp_file(
        "na.yaml",
        "- name: no refund asked\n  turns:\n    - {speaker: customer, text: 您好}\n  expect: {score: 100, not_applicable: [refund]}\n- name: refund asked\n  turns:\n    - {speaker: customer, text: 我要退款}\n  expect: {not_applicable: refund}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &cases]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("ok    no refund asked"), "{text}");
    assert!(
        text.contains("not_applicable: expected `refund` not applicable, but its only_if matched (it has findings)"),
        "{text}"
    );
    // a rule id the rubric does not have is an error at its place
    let bad = temp_file(
        "na-bad.yaml",
        "- turns:\n    - {speaker: customer, text: 您好}\n  expect: {not_applicable: [refnud]}\n"
            .as_bytes(),
    );
    let out = run(&["test", &r, &bad]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("refnud"), "{}", stderr(&out));
}
