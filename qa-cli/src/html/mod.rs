//! `qa report --html FILE`: one self-contained page (spec v1.1 §3) — the summary, charts as
//! inline SVG, per-agent and per-channel tables, the Pareto of rules, threshold breaches,
//! alerts, skipped rules, and every conversation with its turns and each finding's evidence
//! marked in the text, with filters by agent, rule and failed.
//!
//! Memory stays bounded whatever the input size: each conversation is written, as it is
//! scored, as compact JSON to a temporary file beside FILE (only the first page is also kept as
//! HTML, and at most [`MAX_ALERTS`] alert rows); when the run ends the page is assembled — the
//! sections from the aggregates, the first page of conversations rendered here, the
//! conversations' JSON copied into a `<script type="application/json">`, and a small script
//! that renders other pages and filtered views from it — and renamed to FILE.
//!
//! The page's markup is produced twice, here for the first page and by `page.js` for the
//! others; both write the same elements with the same attributes in the same order.

mod evidence;
mod page;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indexmap::IndexMap;
use qa_core::{Engine, Report, Role, Speakers, Transcript, Turn};
use serde_json::{json, Value};

use crate::aggregate::Aggregate;
use crate::GroupBy;
use evidence::{escape, Placement};

/// Conversations per page; the first page is in the HTML, the others are rendered on demand.
pub const PAGE: usize = 100;
/// Alert rows listed on the page (the count says how many there were).
pub const MAX_ALERTS: usize = 500;

pub use qa_core::Breach;

/// The text of a turn as the page shows it. Every piece of transcript text on the page comes
/// from here (evidence is cut from it), so masking personal data is applied in this one place.
/// The rubric's `redact` masks it through the engine (one code point for one, so finding offsets
/// still fit), unless `--no-redact` turned masking off.
fn display_text<'t>(engine: &Engine, turn: &'t Turn) -> Cow<'t, str> {
    engine.redact_text(&turn.text)
}

/// What the page says about one rule.
#[derive(Debug, Default)]
struct RuleInfo {
    name: String,
    message: Option<String>,
    /// Conversations in which the rule was skipped, and the reasons given.
    skipped: u64,
    reasons: Vec<String>,
    /// Conversations in which its `only_if` condition never matched.
    not_applicable: u64,
}

/// An alert row: a finding of an `alert: true` rule.
#[derive(Debug)]
struct Alert {
    conversation: usize,
    id: Option<String>,
    agent: Option<String>,
    rule: usize,
    turn: Option<usize>,
    text: Option<String>,
}

/// The page being written.
pub struct Writer {
    path: PathBuf,
    /// The conversations' JSON, comma-separated, while the run goes on.
    data: BufWriter<File>,
    data_path: PathBuf,
    first_page: String,
    count: usize,
    rules: IndexMap<String, RuleInfo>,
    speakers: Speakers,
    /// The engine, for the text shown (masked as its findings are).
    engine: Engine,
    by_agent: Aggregate,
    by_channel: Aggregate,
    alerts: Vec<Alert>,
    alert_count: u64,
}

/// A path beside `path` for a temporary file of this process.
fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

impl Writer {
    /// Starts a page to be written to `path`; fails at once if the folder is not writable.
    pub fn create(path: &Path, engine: &Engine, max_groups: usize) -> anyhow::Result<Writer> {
        if path.is_dir() {
            anyhow::bail!("--html {}: is a folder, not a file", path.display());
        }
        let data_path = beside(path, "conversations");
        let data = File::create(&data_path)
            .with_context(|| format!("--html {}: cannot write there", path.display()))?;
        let rubric = engine.rubric();
        let rules = rubric
            .rules()
            .iter()
            .map(|r| {
                let info = RuleInfo {
                    name: r.display_name().to_string(),
                    message: r.message().map(str::to_string),
                    ..RuleInfo::default()
                };
                (r.id().to_string(), info)
            })
            .collect();
        Ok(Writer {
            path: path.to_path_buf(),
            data: BufWriter::with_capacity(1 << 16, data),
            data_path,
            first_page: String::new(),
            count: 0,
            rules,
            speakers: rubric.speakers().clone(),
            engine: engine.clone(),
            by_agent: Aggregate::new(engine, Some(GroupBy::field("agent")), max_groups),
            by_channel: Aggregate::new(engine, Some(GroupBy::field("channel")), max_groups),
            alerts: Vec::new(),
            alert_count: 0,
        })
    }

    fn rule_index(&mut self, id: &str) -> usize {
        match self.rules.get_index_of(id) {
            Some(i) => i,
            None => {
                let info = RuleInfo {
                    name: id.to_string(),
                    ..RuleInfo::default()
                };
                self.rules.insert_full(id.to_string(), info).0
            }
        }
    }

    /// Adds one scored conversation.
    pub fn add(&mut self, report: &Report, transcript: &Transcript) -> io::Result<()> {
        self.by_agent.add(report);
        self.by_channel.add(report);
        let index = self.count;
        self.count += 1;
        let rule_of: Vec<usize> = report
            .findings
            .iter()
            .map(|f| self.rule_index(&f.rule))
            .collect();
        let view = View::new(report, transcript, &self.speakers, &self.engine);
        if index < PAGE {
            let html = view.html(index, &|i| {
                let (id, info) = self.rules.get_index(rule_of[i]).expect("a known rule");
                (id.clone(), info.name.clone(), info.message.clone())
            });
            self.first_page.push_str(&html);
        }
        if index > 0 {
            self.data.write_all(b",")?;
        }
        let skipped: Vec<usize> = report
            .skipped
            .iter()
            .map(|s| self.rule_index(&s.rule))
            .collect();
        let messages: Vec<Option<&str>> = rule_of
            .iter()
            .map(|&r| self.rules[r].message.as_deref())
            .collect();
        let json = view.json(&rule_of, &messages, &skipped);
        self.data.write_all(script_json(&json).as_bytes())?;
        for s in &report.skipped {
            let i = self.rule_index(&s.rule);
            let info = &mut self.rules[i];
            info.skipped += 1;
            if !info.reasons.contains(&s.reason) {
                info.reasons.push(s.reason.clone());
            }
        }
        for n in &report.not_applicable {
            let i = self.rule_index(&n.rule);
            self.rules[i].not_applicable += 1;
        }
        for (f, &rule) in report.findings.iter().zip(&rule_of) {
            if !f.alert {
                continue;
            }
            self.alert_count += 1;
            if self.alerts.len() < MAX_ALERTS {
                let text = f
                    .turn
                    .and_then(|t| view.evidence(t, f.start?..f.end?))
                    .or_else(|| f.text.clone());
                self.alerts.push(Alert {
                    conversation: index,
                    id: report.id.clone(),
                    agent: report.agent.clone(),
                    rule,
                    turn: f.turn,
                    text,
                });
            }
        }
        Ok(())
    }

    /// Writes the page: `overall` is the run's aggregate (`qa report --format json`);
    /// `thresholds` the breaches of the rubric's thresholds, `None` when it has none.
    pub fn finish(
        mut self,
        engine: &Engine,
        overall: &Value,
        thresholds: Option<&[Breach]>,
    ) -> anyhow::Result<()> {
        self.data.flush()?;
        let page_path = beside(&self.path, "page");
        let result = self.assemble(engine, overall, thresholds, &page_path);
        let _ = std::fs::remove_file(&self.data_path);
        match result {
            Ok(()) => {
                std::fs::rename(&page_path, &self.path)
                    .with_context(|| format!("--html {}: cannot write it", self.path.display()))?;
                eprintln!(
                    "qa: wrote {} ({} conversations)",
                    self.path.display(),
                    self.count
                );
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&page_path);
                Err(e).with_context(|| format!("--html {}: cannot write it", self.path.display()))
            }
        }
    }

    fn assemble(
        &self,
        engine: &Engine,
        overall: &Value,
        thresholds: Option<&[Breach]>,
        page_path: &Path,
    ) -> anyhow::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, File::create(page_path)?);
        let sections = page::Sections {
            engine,
            overall,
            by_agent: &self.by_agent.to_value(engine, &[]),
            by_channel: &self.by_channel.to_value(engine, &[]),
            rules: &self.rules,
            alerts: &self.alerts,
            alert_count: self.alert_count,
            thresholds,
            count: self.count,
        };
        out.write_all(sections.head().as_bytes())?;
        out.write_all(self.first_page.as_bytes())?;
        out.write_all(sections.tail().as_bytes())?;
        let meta = json!({
            "page": PAGE,
            "count": self.count,
            "rules": self.rules.iter().map(|(id, r)| json!([id, r.name, r.message])).collect::<Vec<_>>(),
        });
        out.write_all(b"<script type=\"application/json\" id=\"qa-meta\">")?;
        out.write_all(script_json(&meta).as_bytes())?;
        out.write_all(b"</script>\n<script type=\"application/json\" id=\"qa-data\">[")?;
        io::copy(&mut File::open(&self.data_path)?, &mut out)?;
        out.write_all(b"]</script>\n<script>")?;
        out.write_all(page::SCRIPT.as_bytes())?;
        out.write_all(b"</script>\n</body>\n</html>\n")?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // gone already after `finish`; left by an error in the run otherwise
        let _ = std::fs::remove_file(&self.data_path);
    }
}

/// JSON to embed in a `<script>`: `<`, `>` and `&` (which JSON has only inside strings) are
/// written as `\u003c` and so on, so no text can close the element.
fn script_json(value: &Value) -> String {
    let text = serde_json::to_string(value).expect("JSON values serialize");
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// One conversation prepared for the page: the text shown for each turn and where each
/// finding's evidence goes.
struct View<'a> {
    report: &'a Report,
    transcript: &'a Transcript,
    roles: Vec<Role>,
    texts: Vec<Cow<'a, str>>,
    /// Per finding: its turn's span in code points, when it has one that fits.
    spans: Vec<Option<Range<usize>>>,
    placement: Vec<Placement>,
    /// Per turn: the findings marked in its text, in the order their marks open.
    inline: Vec<Vec<usize>>,
}

impl<'a> View<'a> {
    fn new(
        report: &'a Report,
        transcript: &'a Transcript,
        speakers: &Speakers,
        engine: &Engine,
    ) -> View<'a> {
        let texts: Vec<Cow<str>> = transcript
            .turns
            .iter()
            .map(|t| display_text(engine, t))
            .collect();
        let mut per_turn: Vec<Vec<(usize, Range<usize>)>> = vec![Vec::new(); texts.len()];
        let mut spans = vec![None; report.findings.len()];
        for (i, f) in report.findings.iter().enumerate() {
            if let (Some(t), Some(start), Some(end)) = (f.turn, f.start, f.end) {
                if t < texts.len() {
                    per_turn[t].push((i, start..end));
                    spans[i] = Some(start..end);
                }
            }
        }
        let mut placement = vec![Placement::None; report.findings.len()];
        let mut inline = Vec::with_capacity(texts.len());
        for (t, turn_spans) in per_turn.iter().enumerate() {
            let (order, placed) = evidence::layout(turn_spans, texts[t].chars().count());
            for ((i, _), p) in turn_spans.iter().zip(placed) {
                placement[*i] = p;
                if p == Placement::None {
                    spans[*i] = None;
                }
            }
            inline.push(order.into_iter().map(|k| turn_spans[k].0).collect());
        }
        View {
            report,
            transcript,
            roles: transcript
                .turns
                .iter()
                .map(|t| speakers.role_of(&t.speaker))
                .collect(),
            texts,
            spans,
            placement,
            inline,
        }
    }

    /// The evidence at `range` of turn `turn` as shown.
    fn evidence(&self, turn: usize, range: Range<usize>) -> Option<String> {
        let text = self.texts.get(turn)?;
        (range.start <= range.end && range.end <= text.chars().count())
            .then(|| evidence::slice(text, &range))
    }

    /// The conversation's element; `rule(i)` gives finding `i`'s rule id, name and message.
    fn html(
        &self,
        index: usize,
        rule: &dyn Fn(usize) -> (String, String, Option<String>),
    ) -> String {
        let r = self.report;
        let mut h = String::new();
        let class = if r.fatal {
            "conv failed fatal"
        } else if r.passed {
            "conv"
        } else {
            "conv failed"
        };
        h.push_str(&format!(
            "<article class=\"{class}\" id=\"c{index}\" data-conversation=\"{}\" data-score=\"{}\" data-passed=\"{}\">",
            escape(r.id.as_deref().unwrap_or("")),
            r.score,
            r.passed
        ));
        h.push_str(&format!(
            "<header><b class=\"cid\">{}</b><span class=\"who\">{} · {}</span><span class=\"score\">{}</span><span class=\"verdict\">{}</span></header>",
            escape(&conversation_name(r.id.as_deref(), index)),
            escape(r.agent.as_deref().unwrap_or("—")),
            escape(r.channel.as_deref().unwrap_or("—")),
            r.score,
            verdict(r.passed, r.fatal),
        ));
        h.push_str("<ol class=\"turns\">");
        for (t, turn) in self.transcript.turns.iter().enumerate() {
            let spans: Vec<(usize, Range<usize>)> = self.inline[t]
                .iter()
                .map(|&i| (i, self.spans[i].clone().expect("an inline span")))
                .collect();
            let order: Vec<usize> = (0..spans.len()).collect();
            let text = evidence::marked_html(&self.texts[t], &spans, &order, &|i| rule(i).0);
            h.push_str(&format!(
                "<li class=\"turn {}\" data-turn=\"{t}\"><span class=\"speaker\">{}</span><span class=\"text\">{text}</span></li>",
                role_class(self.roles[t]),
                escape(&turn.speaker),
            ));
        }
        h.push_str("</ol>");
        if !r.findings.is_empty() {
            h.push_str("<ul class=\"findings\">");
            for (i, f) in r.findings.iter().enumerate() {
                let (id, name, message) = rule(i);
                h.push_str(&format!(
                    "<li><span class=\"rule\">{}</span><code>{}</code><span class=\"deduct\">{}</span><span class=\"where\">{}</span>",
                    escape(&name),
                    escape(&id),
                    deduct(f.deduct),
                    place(f.turn),
                ));
                if let Some(m) = f.message.as_ref().or(message.as_ref()) {
                    h.push_str(&format!("<span class=\"msg\">{}</span>", escape(m)));
                }
                let text = match (f.turn, &self.spans[i]) {
                    (Some(t), Some(range)) => self.evidence(t, range.clone()),
                    _ => None,
                };
                match (self.placement[i], text) {
                    (Placement::Listed, Some(text)) => h.push_str(&format!(
                        "<mark data-rule=\"{}\">{}</mark>",
                        escape(&id),
                        escape(&text)
                    )),
                    (Placement::Inline, Some(text)) => {
                        h.push_str(&format!("<q>{}</q>", escape(&text)))
                    }
                    _ => {}
                }
                h.push_str("</li>");
            }
            h.push_str("</ul>");
        }
        h.push_str("</article>");
        h
    }

    /// The conversation's compact JSON for `page.js`: offsets in UTF-16 units of the shown text.
    fn json(&self, rule_of: &[usize], messages: &[Option<&str>], skipped: &[usize]) -> Value {
        let r = self.report;
        let turns: Vec<Value> = self
            .transcript
            .turns
            .iter()
            .enumerate()
            .map(|(t, turn)| {
                let mut v = vec![
                    json!(turn.speaker),
                    json!(self.texts[t]),
                    json!(role_class(self.roles[t])),
                ];
                if !self.inline[t].is_empty() {
                    v.push(json!(self.inline[t]));
                }
                Value::Array(v)
            })
            .collect();
        let findings: Vec<Value> = r
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let (start, end) = match (f.turn, &self.spans[i]) {
                    (Some(t), Some(range)) => {
                        let u = evidence::utf16_offsets(&self.texts[t], &[range.start, range.end]);
                        (json!(u[0]), json!(u[1]))
                    }
                    _ => (Value::Null, Value::Null),
                };
                let placement = match self.placement[i] {
                    Placement::Inline => 0,
                    Placement::Listed => 1,
                    Placement::None => 2,
                };
                let mut v = vec![
                    json!(rule_of[i]),
                    json!(f.turn),
                    start,
                    end,
                    json!(f.deduct),
                    json!(placement),
                ];
                if f.message.is_some() && f.message.as_deref() != messages[i] {
                    v.push(json!(f.message));
                }
                Value::Array(v)
            })
            .collect();
        let mut v = json!({
            "id": r.id, "agent": r.agent, "channel": r.channel, "score": r.score,
            "passed": r.passed, "fatal": r.fatal, "turns": turns, "findings": findings,
        });
        if !skipped.is_empty() {
            v["skipped"] = json!(skipped);
        }
        v
    }
}

/// How the page names a conversation: its id, or its place in the input.
fn conversation_name(id: Option<&str>, index: usize) -> String {
    id.map_or_else(|| format!("#{}", index + 1), str::to_string)
}

fn verdict(passed: bool, fatal: bool) -> &'static str {
    if fatal {
        "fatal"
    } else if passed {
        "passed"
    } else {
        "failed"
    }
}

fn role_class(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        Role::Customer => "customer",
        _ => "other",
    }
}

/// A finding's deduction as shown: `-5`, `0` (same digits as JavaScript's `String(x)`).
fn deduct(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        format!("-{x}")
    }
}

fn place(turn: Option<usize>) -> String {
    turn.map_or_else(
        || "whole conversation".to_string(),
        |t| format!("turn {}", t + 1),
    )
}
