//! `qa eval` and `qa mine` end to end, on small labeled sets whose figures are worked out by
//! hand in the comments.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

fn qa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qa"))
        .args(args)
        .output()
        .expect("qa runs")
}

fn temp(name: &str, contents: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "qa-eval-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

fn conversation(id: &str, meta: Option<Value>, texts: &[&str]) -> String {
    let turns: Vec<Value> = texts
        .iter()
        .map(|t| json!({"speaker": "customer", "text": t}))
        .collect();
    let mut c = json!({"id": id, "turns": turns});
    if let Some(meta) = meta {
        c["meta"] = meta;
    }
    c.to_string() + "\n"
}

const RUBRIC: &str = r#"
rubric: eval-test
scoring: {base: 100, pass: 95}
rules:
  - {id: complaint, kind: forbid, role: customer, match: [投诉, complaint], word: false, deduct: 10}
  - {id: never, kind: forbid, role: customer, match: [从来不会出现的话], deduct: 5}
  - {id: thanks, kind: require, role: customer, category: thanks, match: [谢谢, thanks], bonus: 5}
"#;

fn rubric() -> String {
    temp("r.yaml", RUBRIC)
}

/// Positives (s = −1): c1 (score 90, 1 finding), c2 (100, 0), c7 (90, 2 findings).
/// Negatives (s = 1): c3 (90, 1; 繁體 投訴), c4 (100, 0), c6 (100, 0). c5 has no label.
fn labeled() -> String {
    let neg = |h: f64| Some(json!({"s": 1, "h": h}));
    let mut text = String::new();
    text += &conversation("c1", Some(json!({"s": -1, "h": 80})), &["我要投诉"]);
    text += &conversation("c2", Some(json!({"s": -1, "h": 100})), &["请问订单"]);
    text += &conversation("c3", neg(90.0), &["我要投訴😡"]);
    text += &conversation("c4", neg(100.0), &[""]);
    text += &conversation("c5", None, &["投诉"]);
    text += &conversation("c6", neg(100.0), &["fine"]);
    text += &conversation(
        "c7",
        Some(json!({"s": "-1", "h": 70})),
        &["投诉", "还要投诉"],
    );
    temp("data.jsonl", &text)
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn eval_figures_by_hand() {
    let out = qa(&[
        "eval",
        &rubric(),
        &labeled(),
        "--label",
        "meta.s<0",
        "--human-score",
        "meta.h",
        "--format",
        "json",
    ]);
    let v = json_of(&out);
    assert_eq!(v["conversations"], 7);
    assert_eq!(v["labeled"], 6);
    assert_eq!(v["unlabeled"], 1);
    assert_eq!(v["positives"], 3);
    // pairs won by the positive (riskier), ties ½:
    // c1 (90,1) vs c3 (90,1) ½, c4 1, c6 1 → 2.5; c2 (100,0) vs c3 0, c4 ½, c6 ½ → 1;
    // c7 (90,2) beats all three on findings → 3. AUC = 6.5 / 9
    assert_eq!(v["auc"], json!(0.7222));
    assert!(v.get("note").is_none());
    let rules = v["rules"].as_array().unwrap();
    // complaint fires on c1, c3, c7 (labeled): 2 positive; base rate 3/6
    assert_eq!(
        rules[0],
        json!({"rule": "complaint", "bonus": false, "support": 3, "positives": 2,
               "precision": 0.6667, "recall": 0.6667, "lift": 1.3333})
    );
    // a rule that never fires: no precision, recall 0, no lift
    assert_eq!(
        rules[1],
        json!({"rule": "never", "bonus": false, "support": 0, "positives": 0,
               "precision": null, "recall": 0.0, "lift": null})
    );
    // a pure bonus rule never met here
    assert_eq!(rules[2]["bonus"], true);
    assert_eq!(rules[2]["support"], 0);
    // scores 90 100 90 100 100 90 vs human 80 100 90 100 100 70 (c5 has none):
    // MAE (10+0+0+0+0+20)/6 = 5; r = 300/√(150·800) = √3/2; passed (≥95) agrees with
    // human ≥ 95 on all six → κ = 1
    let h = &v["human"];
    assert_eq!(h["count"], 6);
    assert_eq!(h["missing"], 1);
    assert_eq!(h["mae"], json!(5.0));
    assert_eq!(h["pearson"], json!(0.866));
    assert_eq!(h["pass"], json!(95.0));
    assert_eq!(h["kappa"], json!(1.0));
}

#[test]
fn eval_table_and_no_human_score() {
    let out = qa(&["eval", &rubric(), &labeled(), "--label", "meta.s<0"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("conversations  7  (6 labeled, 1 unlabeled)"),
        "{text}"
    );
    assert!(text.contains("AUC            0.722"), "{text}");
    assert!(text.contains("never"), "{text}");
    assert!(text.contains("thanks (bonus)"), "{text}");
    assert!(!text.contains("human score"), "{text}");
    let v = json_of(&qa(&[
        "eval",
        &rubric(),
        &labeled(),
        "--label",
        "meta.s<0",
        "--format",
        "json",
    ]));
    assert_eq!(v["human"], Value::Null);
}

#[test]
fn eval_with_one_class_has_no_auc_and_says_why() {
    let data = temp(
        "pos.jsonl",
        &(conversation("a", Some(json!({"s": -1})), &["投诉"])
            + &conversation("b", Some(json!({"s": -2})), &["thanks 谢谢"])),
    );
    let v = json_of(&qa(&[
        "eval",
        &rubric(),
        &data,
        "--label",
        "meta.s<0",
        "--format",
        "json",
    ]));
    assert_eq!(v["positives"], 2);
    assert_eq!(v["auc"], Value::Null);
    assert!(v["note"]
        .as_str()
        .unwrap()
        .contains("every labeled conversation is positive"));
    // the bonus rule is met in b: support 1, a positive
    assert_eq!(v["rules"][2]["support"], 1);
    assert_eq!(v["rules"][2]["precision"], json!(1.0));
    let v = json_of(&qa(&[
        "eval",
        &rubric(),
        &data,
        "--label",
        "meta.missing",
        "--format",
        "json",
    ]));
    assert_eq!(
        (v["labeled"].clone(), v["unlabeled"].clone()),
        (json!(0), json!(2))
    );
    assert!(v["note"]
        .as_str()
        .unwrap()
        .contains("no conversation has a label"));
}

#[test]
fn eval_bad_arguments_are_named() {
    let out = qa(&["eval", &rubric(), &labeled(), "--label", "meta.s<abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--label"));
    let out = qa(&[
        "eval",
        &rubric(),
        &labeled(),
        "--label",
        "meta.s<0",
        "--human-score",
        "turns.0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--human-score"));
    let out = qa(&["eval", &rubric(), &labeled()]);
    assert_eq!(out.status.code(), Some(2), "--label is required");
    // a bad line is reported with its place, the rest is evaluated (exit 3)
    let data = temp(
        "bad.jsonl",
        &(conversation("a", Some(json!({"s": -1})), &["投诉"]) + "{oops\n"),
    );
    let out = qa(&[
        "eval",
        &rubric(),
        &data,
        "--label",
        "meta.s<0",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:2"));
}

/// 12 unhappy conversations that mention 投诉 or 退款, 12 happy ones that say 谢谢, and one
/// unlabeled.
fn minable() -> String {
    let mut text = String::new();
    for i in 0..12 {
        let unhappy = if i % 2 == 0 {
            "我要投诉，太慢了"
        } else {
            "退款到底什么时候到 complaint"
        };
        text += &conversation(&format!("u{i}"), Some(json!({"s": -1})), &[unhappy, ""]);
        text += &conversation(
            &format!("h{i}"),
            Some(json!({"s": 1})),
            &["好的，谢谢 thanks 👍"],
        );
    }
    text += &conversation("x", None, &["投诉"]);
    temp("mine.jsonl", &text)
}

#[test]
fn mine_writes_a_rubric_that_check_accepts_and_is_deterministic() {
    let data = minable();
    let out = qa(&["mine", &data, "--label", "meta.s<0", "--min-support", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(yaml.contains("12 positive, 12 negative"), "{yaml}");
    assert!(yaml.contains("1 unlabeled"), "{yaml}");
    assert!(
        yaml.contains("kind: forbid") && yaml.contains("kind: require"),
        "{yaml}"
    );
    assert!(
        yaml.contains("\"谢谢\"") && yaml.contains("bonus:"),
        "{yaml}"
    );
    assert!(yaml.contains("# support 12, precision 1.000"), "{yaml}");
    let path = temp("mined.yaml", &yaml);
    let check = qa(&["check", &path, "--no-warnings"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // same input, same output
    assert_eq!(
        qa(&["mine", &data, "--label", "meta.s<0", "--min-support", "3"]).stdout,
        out.stdout
    );
    // the draft ranks its own data perfectly
    let v = json_of(&qa(&[
        "eval", &path, &data, "--label", "meta.s<0", "--format", "json",
    ]));
    assert_eq!(v["auc"], json!(1.0));
    // --top 1: one rule per side
    let one = String::from_utf8(qa(&["mine", &data, "--label", "meta.s<0", "--top", "1"]).stdout)
        .unwrap();
    assert_eq!(one.matches("- {id:").count(), 2, "{one}");
    // --role agent: there are no agent turns, so no phrase
    let agent =
        String::from_utf8(qa(&["mine", &data, "--label", "meta.s<0", "--role", "agent"]).stdout)
            .unwrap();
    assert!(agent.contains("rules: []"), "{agent}");
    // --min-support above every phrase's support
    let none = String::from_utf8(
        qa(&["mine", &data, "--label", "meta.s<0", "--min-support", "100"]).stdout,
    )
    .unwrap();
    assert!(none.contains("rules: []"), "{none}");
}

#[test]
fn mine_errors_are_clear() {
    let data = minable();
    let out = qa(&["mine", &data, "--label", "meta.s<"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--label"));
    let out = qa(&["mine", &data, "--label", "meta.s<5"]);
    assert_eq!(out.status.code(), Some(2), "every conversation is positive");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to compare"));
    let out = qa(&["mine", &data, "--label", "meta.nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no conversation has a label"));
    let out = qa(&["mine", &data, "--label", "meta.s<0", "--top", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = qa(&["mine", "/no/such/file.jsonl", "--label", "meta.s<0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.jsonl"));
}
