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
//!     not_applicable: [refund-timeline]          # rules whose `only_if` never matched
//!   xfail: true                                  # a known failure, not counted as one
//! ```
//!
//! The file is strict: every case is checked before any runs, and an unknown key at any level
//! (case, transcript, turn, expect, expected finding), a value of the wrong type, a duplicate
//! key or a rule id the rubric does not have is an error at its `file:line:col` (exit 2) — a
//! YAML flow mapping cut at an ASCII comma (`{text: 你好,在吗}`) shows up as an unknown key,
//! never as a silent pass.

use crate::sink::{out, outln};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use qa_core::{Engine, Finding, Report, Transcript};
use serde_json::{Map, Value};

use crate::input::{self, Item};
use crate::table::shorten;
use crate::yaml::{self, Document, Marks};
use crate::Status;

const CASE_KEYS: &[&str] = &[
    "name",
    "description",
    "xfail",
    "transcript",
    "turns",
    "id",
    "agent",
    "channel",
    "meta",
    "expect",
];
const TRANSCRIPT_KEYS: &[&str] = &["id", "agent", "channel", "meta", "turns"];
const TURN_KEYS: &[&str] = &["speaker", "text", "start", "end"];
const EXPECT_KEYS: &[&str] = &[
    "score",
    "passed",
    "fatal",
    "findings",
    "no_findings",
    "only_listed",
    "not_applicable",
];
const FINDING_KEYS: &[&str] = &["rule", "turn", "text", "count"];
/// A turn's text in a failure message is cut after this many characters (with `…`).
const SHOWN_CHARS: usize = 60;
/// Turns shown in a failure message; the rest are counted.
const SHOWN_TURNS: usize = 30;

/// Runs `qa test`.
pub fn run(engine: &Engine, path: &Path, quiet: bool) -> anyhow::Result<Status> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {file}"))?;
    let items = match load(&text, &file) {
        Ok(items) => items,
        Err(message) => {
            eprintln!("{file}:{message}");
            return Ok(Status::Invalid);
        }
    };
    if items.is_empty() {
        eprintln!("{file}: no test cases");
        return Ok(Status::Invalid);
    }
    let mut errors = Vec::new();
    let mut cases = Vec::with_capacity(items.len());
    for (i, (place, value)) in items.iter().enumerate() {
        let mut checker = Checker {
            engine,
            place,
            value,
            errors: Vec::new(),
        };
        if let Some(case) = checker.case(i) {
            cases.push(case);
        }
        checker.errors.sort();
        errors.extend(checker.errors);
    }
    if !errors.is_empty() {
        for (line, column, message) in &errors {
            eprintln!("{file}:{line}:{column}: {message}");
        }
        let n = errors.len();
        eprintln!(
            "{file}: invalid cases file: {n} error{}; no case was run",
            if n == 1 { "" } else { "s" }
        );
        return Ok(Status::Invalid);
    }
    let mut counts = Counts::default();
    for case in &cases {
        let problems = compare(&case.expect, &case.report);
        let at = format!("({file}:{})", case.line);
        match (problems.is_empty(), case.xfail) {
            (true, false) => {
                counts.passed += 1;
                if !quiet {
                    outln!("ok    {}", case.name);
                }
            }
            (false, false) => {
                counts.failed += 1;
                outln!("FAIL  {}  {at}", case.name);
                out!("{}", show_turns(&case.transcript));
                for p in problems {
                    outln!("        {p}");
                }
            }
            (false, true) => {
                counts.xfail += 1;
                if !quiet {
                    outln!("xfail {}  {at}", case.name);
                    for p in problems {
                        outln!("        {p}");
                    }
                }
            }
            (true, true) => {
                counts.xpass += 1;
                outln!("XPASS {}  {at}", case.name);
                outln!(
                    "        unexpectedly passed: the case is marked `xfail: true` but passes; \
                     remove the mark"
                );
            }
        }
    }
    outln!(
        "\n{} passed, {} failed, {} xfail, {} xpass (unexpectedly passed)",
        counts.passed,
        counts.failed,
        counts.xfail,
        counts.xpass
    );
    Ok(if counts.failed + counts.xpass > 0 {
        Status::Failed
    } else {
        Status::Ok
    })
}

#[derive(Debug, Default)]
struct Counts {
    passed: usize,
    failed: usize,
    xfail: usize,
    xpass: usize,
}

/// Where the nodes of one case are written.
#[derive(Debug)]
enum Place {
    /// A YAML (or JSON) file: every node's place.
    Yaml(Marks),
    /// A line of a JSON Lines file and its text: a key is found in it.
    Line(usize, String),
}

impl Place {
    /// 1-based (line, column) of the node at `pointer` in `value` (a key's place for an entry
    /// of a mapping).
    fn of(&self, value: &Value, pointer: &str) -> (usize, usize) {
        match self {
            Place::Yaml(marks) => marks.place(pointer),
            Place::Line(line, text) => {
                // walk the pointer, finding each key in the line after its parent's key
                let mut at = 0;
                let mut node = Some(value);
                for seg in pointer.split('/').skip(1) {
                    let key = seg.replace("~1", "/").replace("~0", "~");
                    node = match node {
                        Some(Value::Object(obj)) => {
                            let quoted = serde_json::to_string(&key).unwrap_or_default();
                            if let Some(i) = find_key(text, at, &quoted) {
                                at = i;
                            }
                            obj.get(&key)
                        }
                        Some(Value::Array(items)) => {
                            key.parse::<usize>().ok().and_then(|n| items.get(n))
                        }
                        _ => None,
                    };
                }
                (*line, text[..at].chars().count() + 1)
            }
        }
    }

    /// The case's own line.
    fn line(&self, value: &Value) -> usize {
        self.of(value, "").0
    }
}

/// The byte offset of the JSON key `quoted` (followed by `:`) in `text` at or after `from`.
fn find_key(text: &str, from: usize, quoted: &str) -> Option<usize> {
    let mut start = from;
    while let Some(i) = text.get(start..)?.find(quoted) {
        let at = start + i;
        let rest = text[at + quoted.len()..].trim_start();
        if rest.starts_with(':') {
            return Some(at);
        }
        start = at + quoted.len();
    }
    None
}

/// The cases with their places; an error message starts with `line:col` where there is one.
fn load(text: &str, file: &str) -> Result<Vec<(Place, Value)>, String> {
    let jsonl = file.to_ascii_lowercase().ends_with(".jsonl");
    if !jsonl {
        let doc = Document::parse(text)?;
        let items = doc.items("cases").map_err(|e| {
            if e.starts_with(|c: char| c.is_ascii_digit()) {
                e
            } else {
                format!(" {e}")
            }
        })?;
        return Ok(items
            .into_iter()
            .map(|(marks, value)| (Place::Yaml(marks), value))
            .collect());
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
                    .map(|v| (Place::Line(line, l), v))
                    .map_err(|e| format!("{line}:{}: invalid JSON: {e}", e.column())),
                Item::Bad(m) => Err(format!("{line}: {m}")),
                Item::Value(v, _) => Ok((Place::Line(line, String::new()), v)),
            };
            match parsed {
                Ok(case) => cases.push(case),
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

/// A checked case, scored.
#[derive(Debug)]
struct Case {
    name: String,
    line: usize,
    xfail: bool,
    transcript: Transcript,
    expect: Expect,
    report: Report,
}

/// What a case expects of its report.
#[derive(Debug, Default)]
struct Expect {
    score: Option<f64>,
    passed: Option<bool>,
    fatal: Option<bool>,
    findings: Vec<Expected>,
    no_findings: Vec<String>,
    only_listed: bool,
    /// Rules the report must list under `not_applicable` (their `only_if` never matched).
    not_applicable: Vec<String>,
}

/// Checks one case, collecting every error with its place.
struct Checker<'a> {
    engine: &'a Engine,
    place: &'a Place,
    value: &'a Value,
    errors: Vec<(usize, usize, String)>,
}

impl Checker<'_> {
    fn error(&mut self, pointer: &str, message: String) {
        let (line, column) = self.place.of(self.value, pointer);
        self.errors.push((line, column, message));
    }

    /// Reports every key of `obj` (at `pointer`) not in `allowed`; `what` names the mapping.
    fn keys(&mut self, obj: &Map<String, Value>, pointer: &str, allowed: &[&str], what: &str) {
        for (key, value) in obj {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let mut message = format!(
                "unknown key `{key}` in {what}; expected one of: {}",
                allowed.join(", ")
            );
            if value.is_null() && matches!(self.place, Place::Yaml(_)) {
                message.push_str(
                    " (in a YAML flow mapping `{…}` an ASCII `,` ends a value: quote a text \
                     that holds one, `text: \"…,…\"`)",
                );
            }
            self.error(&format!("{pointer}/{}", yaml::segment(key)), message);
        }
    }

    fn string(&mut self, obj: &Map<String, Value>, pointer: &str, key: &str) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(
                    &format!("{pointer}/{key}"),
                    format!("`{key}` must be a text"),
                );
                None
            }
        }
    }

    fn bool(&mut self, obj: &Map<String, Value>, pointer: &str, key: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(
                    &format!("{pointer}/{key}"),
                    format!("`{key}` must be true or false"),
                );
                None
            }
        }
    }

    /// A whole number ≥ 0 (`None` also for a missing key).
    fn count(&mut self, obj: &Map<String, Value>, pointer: &str, key: &str) -> Option<usize> {
        let v = obj.get(key)?;
        match v.as_u64() {
            Some(n) => Some(n as usize),
            None => {
                self.error(
                    &format!("{pointer}/{key}"),
                    format!("`{key}` must be a whole number ≥ 0, not {v}"),
                );
                None
            }
        }
    }

    fn rule(&mut self, pointer: &str, rule: &str) -> bool {
        if self.engine.rubric().rule(rule).is_some() {
            return true;
        }
        self.error(pointer, format!("the rubric has no rule `{rule}`"));
        false
    }

    /// Checks and scores case `index`; `None` when it has errors.
    fn case(&mut self, index: usize) -> Option<Case> {
        let value = self.value;
        let Some(obj) = value.as_object() else {
            self.error("", "a case must be a mapping".into());
            return None;
        };
        let before = self.errors.len();
        self.keys(obj, "", CASE_KEYS, "a case");
        let name = self.string(obj, "", "name");
        self.string(obj, "", "description");
        let xfail = self.bool(obj, "", "xfail").unwrap_or(false);
        let transcript = match obj.get("transcript") {
            Some(t) => {
                for key in ["turns", "id", "agent", "channel", "meta"] {
                    if obj.contains_key(key) {
                        self.error(
                            &format!("/{key}"),
                            format!("`{key}` goes inside `transcript` when the case has one"),
                        );
                    }
                }
                match t {
                    Value::Object(t) => {
                        self.keys(t, "/transcript", TRANSCRIPT_KEYS, "`transcript`");
                        self.turns(t, "/transcript");
                        t.clone()
                    }
                    _ => {
                        self.error("/transcript", "`transcript` must be a mapping".into());
                        Map::new()
                    }
                }
            }
            None => {
                self.turns(obj, "");
                let mut t = Map::new();
                for key in TRANSCRIPT_KEYS {
                    if let Some(v) = obj.get(*key) {
                        t.insert(key.to_string(), v.clone());
                    }
                }
                t
            }
        };
        let expect = match obj.get("expect") {
            Some(Value::Object(e)) => self.expect(e),
            Some(_) => {
                self.error("/expect", "`expect` must be a mapping".into());
                Expect::default()
            }
            None => {
                self.error("", "missing `expect`: what the report should say".into());
                Expect::default()
            }
        };
        if self.errors.len() > before {
            return None;
        }
        let at = if obj.contains_key("transcript") {
            "/transcript"
        } else {
            ""
        };
        let transcript = match Transcript::from_value(Value::Object(transcript)) {
            Ok(t) => t,
            Err(e) => {
                self.error(at, format!("transcript: {e}"));
                return None;
            }
        };
        let report = match self.engine.try_score(&transcript) {
            Ok(r) => r,
            Err(e) => {
                self.error(at, format!("transcript: {e}"));
                return None;
            }
        };
        let name = name
            .or_else(|| transcript.id.as_ref().map(|id| format!("case {id}")))
            .unwrap_or_else(|| format!("case {}", index + 1));
        Some(Case {
            name,
            line: self.place.line(value),
            xfail,
            transcript,
            expect,
            report,
        })
    }

    /// Checks `turns` in `obj` (at `pointer`): a list of turns, each with `speaker` and `text`.
    fn turns(&mut self, obj: &Map<String, Value>, pointer: &str) {
        let at = format!("{pointer}/turns");
        let turns = match obj.get("turns") {
            Some(Value::Array(turns)) => turns,
            Some(_) => {
                self.error(&at, "`turns` must be a list of turns".into());
                return;
            }
            None => {
                self.error(pointer, "missing `turns`: the conversation".into());
                return;
            }
        };
        for (i, turn) in turns.iter().enumerate() {
            let here = format!("{at}/{i}");
            let Some(t) = turn.as_object() else {
                self.error(
                    &here,
                    format!("turn {i} must be a mapping {{speaker, text}}"),
                );
                continue;
            };
            self.keys(t, &here, TURN_KEYS, &format!("turn {i}"));
            for key in ["speaker", "text"] {
                if !t.contains_key(key) {
                    self.error(&here, format!("turn {i}: missing `{key}`"));
                }
                self.string(t, &here, key);
            }
            for key in ["start", "end"] {
                if let Some(v) = t.get(key) {
                    if !(v.is_number() || v.is_null()) {
                        self.error(
                            &format!("{here}/{key}"),
                            format!("turn {i}: `{key}` must be a number of seconds"),
                        );
                    }
                }
            }
        }
    }

    fn expect(&mut self, e: &Map<String, Value>) -> Expect {
        self.keys(e, "/expect", EXPECT_KEYS, "`expect`");
        let mut out = Expect::default();
        if let Some(v) = e.get("score") {
            match v.as_f64() {
                Some(x) => out.score = Some(x),
                None => self.error("/expect/score", "`score` must be a number".into()),
            }
        }
        out.passed = self.bool(e, "/expect", "passed");
        out.fatal = self.bool(e, "/expect", "fatal");
        out.only_listed = self.bool(e, "/expect", "only_listed").unwrap_or(false);
        match e.get("findings") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(f) = self.finding(item, &format!("/expect/findings/{i}")) {
                        out.findings.push(f);
                    }
                }
            }
            Some(_) => self.error(
                "/expect/findings",
                "`findings` must be a list of rule ids or {rule, turn, text, count}".into(),
            ),
        }
        out.no_findings = self.rule_ids(e, "no_findings");
        out.not_applicable = self.rule_ids(e, "not_applicable");
        out
    }

    /// `expect.KEY`: a rule id or a list of them, each one the rubric has.
    fn rule_ids(&mut self, e: &serde_json::Map<String, Value>, key: &str) -> Vec<String> {
        let ids: Vec<(String, &Value)> = match e.get(key) {
            None => Vec::new(),
            Some(one @ Value::String(_)) => vec![(format!("/expect/{key}"), one)],
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("/expect/{key}/{i}"), item))
                .collect(),
            Some(_) => {
                self.error(
                    &format!("/expect/{key}"),
                    format!("`{key}` must be a rule id or a list of them"),
                );
                Vec::new()
            }
        };
        let mut out = Vec::new();
        for (at, id) in ids {
            match id {
                Value::String(rule) if self.rule(&at, rule) => out.push(rule.clone()),
                Value::String(_) => {}
                _ => self.error(&at, format!("`{key}` lists rule ids")),
            }
        }
        out
    }

    fn finding(&mut self, item: &Value, at: &str) -> Option<Expected> {
        if let Value::String(rule) = item {
            return self.rule(at, rule).then(|| Expected {
                rule: rule.clone(),
                turn: None,
                text: None,
                count: None,
            });
        }
        let Some(obj) = item.as_object() else {
            self.error(
                at,
                "an expected finding is a rule id or {rule, turn, text, count}".into(),
            );
            return None;
        };
        let before = self.errors.len();
        self.keys(obj, at, FINDING_KEYS, "an expected finding");
        let rule = match obj.get("rule") {
            Some(Value::String(rule)) => {
                self.rule(&format!("{at}/rule"), rule);
                rule.clone()
            }
            Some(_) => {
                self.error(&format!("{at}/rule"), "`rule` must be a rule id".into());
                String::new()
            }
            None => {
                self.error(at, "an expected finding needs `rule`".into());
                String::new()
            }
        };
        let turn = match obj.get("turn") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => self.count(obj, at, "turn").map(Some),
        };
        let text = self.string(obj, at, "text");
        let count = self.count(obj, at, "count");
        (self.errors.len() == before).then_some(Expected {
            rule,
            turn,
            text,
            count,
        })
    }
}

/// Every way the report differs from what the case expects (empty: the case passed).
fn compare(expect: &Expect, report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(want) = expect.score {
        if (want - report.score).abs() > 1e-6 {
            problems.push(format!(
                "score: expected {want}, got {}{}",
                report.score,
                explain(&report.findings)
            ));
        }
    }
    for (key, want, got) in [
        ("passed", expect.passed, report.passed),
        ("fatal", expect.fatal, report.fatal),
    ] {
        if let Some(want) = want {
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
    for want in &expect.findings {
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
    for rule in &expect.no_findings {
        let found: Vec<String> = report
            .findings
            .iter()
            .filter(|f| &f.rule == rule)
            .map(short)
            .collect();
        if !found.is_empty() {
            problems.push(format!(
                "no_findings: expected no `{rule}`, found {}",
                found.join(", ")
            ));
        }
    }
    for rule in &expect.not_applicable {
        if !report.not_applicable.iter().any(|n| &n.rule == rule) {
            problems.push(format!(
                "not_applicable: expected `{rule}` not applicable, but its only_if matched{}",
                if report.findings.iter().any(|f| &f.rule == rule) {
                    " (it has findings)"
                } else {
                    ""
                }
            ));
        }
    }
    if expect.only_listed {
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
    problems
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

/// The conversation of a failed case, a turn a line: `turn 1  agent: 这是规定…`.
fn show_turns(t: &Transcript) -> String {
    let mut out = String::new();
    for (i, turn) in t.turns.iter().enumerate().take(SHOWN_TURNS) {
        let _ = writeln!(
            out,
            "        turn {i}  {}: {}",
            turn.speaker,
            shorten(&turn.text, SHOWN_CHARS)
        );
    }
    if t.turns.len() > SHOWN_TURNS {
        let _ = writeln!(out, "        … {} more turns", t.turns.len() - SHOWN_TURNS);
    }
    if t.turns.is_empty() {
        out.push_str("        (no turns)\n");
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_a_json_line() {
        let text = r#"{"turns": [{"speaker": "a", "text": "x"}], "expect": {"scor": 1}}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let place = Place::Line(7, text.to_string());
        let col = |s: &str| text.find(s).unwrap() + 1;
        assert_eq!(place.of(&value, "/expect/scor"), (7, col("\"scor")));
        assert_eq!(place.of(&value, "/turns/0/text"), (7, col("\"text")));
        assert_eq!(place.of(&value, "/turns/0"), (7, col("\"turns")));
        assert_eq!(place.of(&value, ""), (7, 1));
    }
}
