//! `qa test`: a rubric's own regression cases, so a QA team can change a rubric safely in CI.
//!
//! A cases file is YAML (a list of cases, or `cases:` holding one; JSON is read as YAML too) or
//! JSON Lines (one case per line). A case is a transcript (under `transcript`, or its `turns`
//! and `id`/`agent`/`channel`/`meta` directly in the case) and an `expect` block:
//!
//! ```yaml
//! - name: rude reply costs 10 points
//!   turns:
//!     - {speaker: customer, text: 怎么还没发货}
//!     - {speaker: agent, text: 这是规定}
//!   expect:
//!     score: 90
//!     passed: true
//!     fatal: false
//!     findings:
//!       - {rule: rude, turn: 1, text: 这是规定}   # turn: null = a whole-conversation finding
//!       - {rule: greeting}                       # any turn; `count: N` = exactly N of them
//!     no_findings: [promise]                     # "no finding of rule X"
//!     only_listed: false                         # true: no findings beyond those listed
//! ```
//!
//! Keys are checked: a misspelled key or an unknown rule id is an error, never a silent pass.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use qa_core::{Engine, Finding, Report, Transcript};
use serde_json::{Map, Value};

use crate::input::{self, Item};
use crate::yaml::Document;
use crate::Status;

const CASE_KEYS: &[&str] = &[
    "name",
    "description",
    "transcript",
    "turns",
    "id",
    "agent",
    "channel",
    "meta",
    "expect",
];
const EXPECT_KEYS: &[&str] = &[
    "score",
    "passed",
    "fatal",
    "findings",
    "no_findings",
    "only_listed",
];
const FINDING_KEYS: &[&str] = &["rule", "turn", "text", "count"];

/// Runs `qa test`.
pub fn run(engine: &Engine, path: &Path, quiet: bool) -> anyhow::Result<Status> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {file}"))?;
    let cases = match load(&text, &file) {
        Ok(cases) => cases,
        Err(message) => {
            eprintln!("{file}:{message}");
            return Ok(Status::Invalid);
        }
    };
    if cases.is_empty() {
        eprintln!("{file}: no test cases");
        return Ok(Status::Invalid);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for (i, (line, case)) in cases.iter().enumerate() {
        let name = case
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| case_id(case).map(|id| format!("case {id}")))
            .unwrap_or_else(|| format!("case {}", i + 1));
        let problems = match run_case(engine, case) {
            Ok(problems) => problems,
            Err(error) => vec![format!("error: {error}")],
        };
        if problems.is_empty() {
            passed += 1;
            if !quiet {
                println!("ok    {name}");
            }
        } else {
            failed += 1;
            println!("FAIL  {name}  ({file}:{line})");
            for p in problems {
                println!("        {p}");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed > 0 {
        Status::Failed
    } else {
        Status::Ok
    })
}

/// The cases with their lines; an error message starts with the line where there is one.
fn load(text: &str, file: &str) -> Result<Vec<(usize, Value)>, String> {
    let jsonl = file.to_ascii_lowercase().ends_with(".jsonl");
    if !jsonl {
        let doc = Document::parse(text)?;
        return doc.items("cases").map_err(|e| {
            if e.starts_with(|c: char| c.is_ascii_digit()) {
                e
            } else {
                format!(" {e}")
            }
        });
    }
    let name: Arc<str> = Arc::from(file);
    let mut cases = Vec::new();
    let mut error = None;
    let _ = input::read_lines(
        text.as_bytes(),
        &name,
        input::DEFAULT_MAX_LINE_BYTES,
        &mut |record| {
            let line = record.location.line;
            let parsed = match record.item {
                Item::Line(l) => serde_json::from_str::<Value>(&l)
                    .map_err(|e| format!("{line}: invalid JSON: {e}")),
                Item::Bad(m) => Err(format!("{line}: {m}")),
                Item::Value(v, _) => Ok(v),
            };
            match parsed {
                Ok(v) => cases.push((line, v)),
                Err(e) if error.is_none() => error = Some(e),
                Err(_) => {}
            }
            std::ops::ControlFlow::Continue(())
        },
        &mut |_| {},
    );
    match error {
        Some(e) => Err(e),
        None => Ok(cases),
    }
}

fn case_id(case: &Value) -> Option<String> {
    let id = case
        .get("id")
        .or_else(|| case.get("transcript").and_then(|t| t.get("id")))?;
    Some(match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Scores one case; returns what did not match (empty: the case passed), or an error when the
/// case itself is malformed.
fn run_case(engine: &Engine, case: &Value) -> Result<Vec<String>, String> {
    let obj = case.as_object().ok_or("a case must be a mapping")?;
    check_keys(obj, CASE_KEYS, "case")?;
    let transcript = match obj.get("transcript") {
        Some(t) => {
            if obj.contains_key("turns") {
                return Err("give `transcript` or `turns`, not both".into());
            }
            t.clone()
        }
        None => {
            let mut t = Map::new();
            for key in ["id", "agent", "channel", "meta", "turns"] {
                if let Some(v) = obj.get(key) {
                    t.insert(key.to_string(), v.clone());
                }
            }
            Value::Object(t)
        }
    };
    let transcript = Transcript::from_value(transcript).map_err(|e| format!("transcript: {e}"))?;
    let expect = match obj.get("expect") {
        Some(Value::Object(e)) => e,
        Some(_) => return Err("`expect` must be a mapping".into()),
        None => return Err("missing `expect`: what the report should say".into()),
    };
    check_keys(expect, EXPECT_KEYS, "expect")?;
    let report = engine
        .try_score(&transcript)
        .map_err(|e| format!("transcript: {e}"))?;
    compare(engine, expect, &report)
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(format!(
                "unknown key `{key}` in {what}; expected one of: {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

fn compare(
    engine: &Engine,
    expect: &Map<String, Value>,
    report: &Report,
) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let known = |rule: &str| -> Result<(), String> {
        if engine.rubric().rules().iter().any(|r| r.id() == rule) {
            Ok(())
        } else {
            Err(format!("the rubric has no rule `{rule}`"))
        }
    };
    if let Some(v) = expect.get("score") {
        let want = v.as_f64().ok_or("`expect.score` must be a number")?;
        if (want - report.score).abs() > 1e-6 {
            problems.push(format!(
                "score: expected {want}, got {}{}",
                report.score,
                explain(&report.findings)
            ));
        }
    }
    for key in ["passed", "fatal"] {
        if let Some(v) = expect.get(key) {
            let want = v
                .as_bool()
                .ok_or_else(|| format!("`expect.{key}` must be true or false"))?;
            let got = if key == "passed" {
                report.passed
            } else {
                report.fatal
            };
            if want != got {
                problems.push(format!(
                    "{key}: expected {want}, got {got} (score {}){}",
                    report.score,
                    explain(&report.findings)
                ));
            }
        }
    }
    let mut listed = vec![false; report.findings.len()];
    if let Some(v) = expect.get("findings") {
        let items = v.as_array().ok_or("`expect.findings` must be a list")?;
        for item in items {
            let want = Expected::parse(item)?;
            known(&want.rule)?;
            let matching: Vec<usize> = report
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| want.matches(f))
                .map(|(i, _)| i)
                .collect();
            for &i in &matching {
                listed[i] = true;
            }
            let ok = match want.count {
                Some(n) => matching.len() == n,
                None => !matching.is_empty(),
            };
            if !ok {
                let count = want
                    .count
                    .map(|n| format!("{n} findings"))
                    .unwrap_or_else(|| "a finding".to_string());
                problems.push(format!(
                    "findings: expected {count} of `{}`{}, found {}{}",
                    want.rule,
                    want.describe(),
                    matching.len(),
                    explain(&report.findings)
                ));
            }
        }
    }
    if let Some(v) = expect.get("no_findings") {
        let rules: Vec<&str> = match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().ok_or("`expect.no_findings` lists rule ids"))
                .collect::<Result<_, _>>()?,
            _ => return Err("`expect.no_findings` must be a rule id or a list of them".into()),
        };
        for rule in rules {
            known(rule)?;
            let found: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.rule == rule)
                .map(short)
                .collect();
            if !found.is_empty() {
                problems.push(format!(
                    "no_findings: expected no `{rule}`, found {}",
                    found.join(", ")
                ));
            }
        }
    }
    if let Some(v) = expect.get("only_listed") {
        if v.as_bool()
            .ok_or("`expect.only_listed` must be true or false")?
        {
            let extra: Vec<String> = report
                .findings
                .iter()
                .zip(&listed)
                .filter(|(_, l)| !**l)
                .map(|(f, _)| short(f))
                .collect();
            if !extra.is_empty() {
                problems.push(format!(
                    "only_listed: unexpected findings {}",
                    extra.join(", ")
                ));
            }
        }
    }
    Ok(problems)
}

/// One expected finding.
#[derive(Debug)]
struct Expected {
    rule: String,
    /// `None`: any turn; `Some(None)`: a whole-conversation finding.
    turn: Option<Option<usize>>,
    text: Option<String>,
    count: Option<usize>,
}

impl Expected {
    fn parse(item: &Value) -> Result<Expected, String> {
        if let Value::String(rule) = item {
            return Ok(Expected {
                rule: rule.clone(),
                turn: None,
                text: None,
                count: None,
            });
        }
        let obj = item
            .as_object()
            .ok_or("each of `expect.findings` is a rule id or {rule, turn, text, count}")?;
        check_keys(obj, FINDING_KEYS, "a finding")?;
        let rule = obj
            .get("rule")
            .and_then(Value::as_str)
            .ok_or("an expected finding needs `rule`")?
            .to_string();
        let turn = match obj.get("turn") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(
                v.as_u64().ok_or("`turn` must be a turn index or null")? as usize,
            )),
        };
        let text = match obj.get("text") {
            None => None,
            Some(v) => Some(v.as_str().ok_or("`text` must be a string")?.to_string()),
        };
        let count = match obj.get("count") {
            None => None,
            Some(v) => Some(v.as_u64().ok_or("`count` must be a whole number")? as usize),
        };
        Ok(Expected {
            rule,
            turn,
            text,
            count,
        })
    }

    fn matches(&self, f: &Finding) -> bool {
        f.rule == self.rule
            && self.turn.is_none_or(|t| t == f.turn)
            && self
                .text
                .as_deref()
                .is_none_or(|t| f.text.as_deref() == Some(t))
    }

    fn describe(&self) -> String {
        let mut s = String::new();
        match self.turn {
            Some(Some(t)) => {
                let _ = write!(s, " at turn {t}");
            }
            Some(None) => s.push_str(" for the whole conversation"),
            None => {}
        }
        if let Some(t) = &self.text {
            let _ = write!(s, " on \"{t}\"");
        }
        s
    }
}

/// `rude@3 "这是规定"`.
fn short(f: &Finding) -> String {
    let mut s = f.rule.clone();
    if let Some(t) = f.turn {
        let _ = write!(s, "@{t}");
    }
    if let Some(text) = &f.text {
        let _ = write!(s, " \"{text}\"");
    }
    s
}

fn explain(findings: &[Finding]) -> String {
    if findings.is_empty() {
        "; the report has no findings".to_string()
    } else {
        let all: Vec<String> = findings.iter().map(short).collect();
        format!("; the report has {}", all.join(", "))
    }
}
