//! `qa diff`: scores the same conversations with an old and a new rubric in one pass and writes
//! what changed, conversation by conversation as they are compared (so memory stays bounded
//! whatever the input size), then the totals: conversations compared, scores changed, pass/fail
//! flips each way, and findings added and removed per rule. The comparison itself is
//! [`qa_core::Report::diff`]; this module counts and formats.

use std::io;

use indexmap::IndexMap;
use qa_core::{Engine, Finding, Flip, ReportDiff};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::pipeline::{self, Options};
use crate::sink;
use crate::table::{Align, Table};
use crate::{DiffFormat, Status};

/// Evidence longer than this (display columns) is cut with `…` in the text format.
const EVIDENCE_WIDTH: usize = 40;

/// One changed conversation in the JSON output (names from the spec, v1.1 additions §7).
#[derive(Debug, Serialize)]
struct ChangedJson<'a> {
    id: &'a str,
    old_score: f64,
    new_score: f64,
    old_passed: bool,
    new_passed: bool,
    added: &'a [Finding],
    removed: &'a [Finding],
}

/// The counts after the `changed` list in the JSON output.
#[derive(Debug, Serialize)]
struct TotalsJson<'a> {
    conversations: usize,
    flips: usize,
    pass_to_fail: usize,
    fail_to_pass: usize,
    scores_changed: usize,
    findings_added: usize,
    findings_removed: usize,
    rules: Vec<RuleJson<'a>>,
}

#[derive(Debug, Serialize)]
struct RuleJson<'a> {
    rule: &'a str,
    added: usize,
    removed: usize,
    /// `old` or `new` when the rule is in one rubric only, else `both`.
    #[serde(rename = "in")]
    only_in: &'static str,
}

/// Findings added and removed of one rule, over every conversation.
#[derive(Debug, Default, Clone, Copy)]
struct RuleCounts {
    added: usize,
    removed: usize,
    in_old: bool,
    in_new: bool,
}

impl RuleCounts {
    fn rubrics(&self) -> &'static str {
        match (self.in_old, self.in_new) {
            (true, false) => "old",
            (false, true) => "new",
            _ => "both",
        }
    }
}

/// The counts of a run.
#[derive(Debug)]
struct Summary {
    conversations: usize,
    changed: usize,
    scores_changed: usize,
    pass_to_fail: usize,
    fail_to_pass: usize,
    added: usize,
    removed: usize,
    /// Every rule of the new rubric, then those of the old one only.
    rules: IndexMap<String, RuleCounts>,
}

impl Summary {
    fn new(old: &Engine, new: &Engine) -> Summary {
        let mut rules: IndexMap<String, RuleCounts> = IndexMap::new();
        for r in new.rubric().rules() {
            rules.entry(r.id().to_string()).or_default().in_new = true;
        }
        for r in old.rubric().rules() {
            rules.entry(r.id().to_string()).or_default().in_old = true;
        }
        Summary {
            conversations: 0,
            changed: 0,
            scores_changed: 0,
            pass_to_fail: 0,
            fail_to_pass: 0,
            added: 0,
            removed: 0,
            rules,
        }
    }

    fn add(&mut self, d: &ReportDiff) {
        self.conversations += 1;
        if !d.is_changed() {
            return;
        }
        self.changed += 1;
        self.scores_changed += usize::from(d.score_changed());
        match d.flip() {
            Some(Flip::PassToFail) => self.pass_to_fail += 1,
            Some(Flip::FailToPass) => self.fail_to_pass += 1,
            None => {}
        }
        self.added += d.added.len();
        self.removed += d.removed.len();
        for f in &d.added {
            self.rules.entry(f.rule.clone()).or_default().added += 1;
        }
        for f in &d.removed {
            self.rules.entry(f.rule.clone()).or_default().removed += 1;
        }
    }

    fn flips(&self) -> usize {
        self.pass_to_fail + self.fail_to_pass
    }

    /// Rules with findings added or removed, most changes first, then new-rubric order.
    fn changed_rules(&self) -> Vec<(&str, &RuleCounts)> {
        let mut rules: Vec<(&str, &RuleCounts)> = self
            .rules
            .iter()
            .filter(|(_, c)| c.added + c.removed > 0)
            .map(|(id, c)| (id.as_str(), c))
            .collect();
        rules.sort_by_key(|(_, c)| std::cmp::Reverse(c.added + c.removed));
        rules
    }

    fn to_json(&self) -> TotalsJson<'_> {
        TotalsJson {
            conversations: self.conversations,
            flips: self.flips(),
            pass_to_fail: self.pass_to_fail,
            fail_to_pass: self.fail_to_pass,
            scores_changed: self.scores_changed,
            findings_added: self.added,
            findings_removed: self.removed,
            rules: self
                .changed_rules()
                .into_iter()
                .map(|(rule, c)| RuleJson {
                    rule,
                    added: c.added,
                    removed: c.removed,
                    only_in: c.rubrics(),
                })
                .collect(),
        }
    }

    /// The per-rule table and the summary line of the text format.
    fn to_text(&self) -> String {
        let mut out = String::new();
        let rules = self.changed_rules();
        if !rules.is_empty() {
            out.push_str("\nfindings by rule\n");
            let mut t = Table::new(&[
                ("rule", Align::Left),
                ("added", Align::Right),
                ("removed", Align::Right),
                ("", Align::Left),
            ]);
            for (rule, c) in rules {
                let note = match c.rubrics() {
                    "old" => "(old rubric only)",
                    "new" => "(new rubric only)",
                    _ => "",
                };
                t.row(vec![
                    rule.to_string(),
                    format!("+{}", c.added),
                    format!("-{}", c.removed),
                    note.to_string(),
                ]);
            }
            for line in t.render().lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        let n = self.conversations;
        out.push_str(&format!(
            "{n} conversation{} compared",
            if n == 1 { "" } else { "s" }
        ));
        if self.changed == 0 {
            out.push_str(": no changes\n");
        } else {
            let flips = match self.flips() {
                0 => "0 pass/fail flips".to_string(),
                n => format!(
                    "{n} pass/fail flip{} ({} pass→fail, {} fail→pass)",
                    if n == 1 { "" } else { "s" },
                    self.pass_to_fail,
                    self.fail_to_pass
                ),
            };
            out.push_str(&format!(
                ": {} changed, {} score{} changed, {flips}, findings +{} -{}\n",
                self.changed,
                self.scores_changed,
                if self.scores_changed == 1 { "" } else { "s" },
                self.added,
                self.removed
            ));
        }
        out
    }
}

/// Runs `qa diff`: exit 0, or 3 when some input records were bad (the others are compared).
pub fn run(
    old: &Engine,
    new: &Engine,
    options: &Options,
    format: DiffFormat,
) -> anyhow::Result<Status> {
    sink::exit_on_interrupt()?;
    let mut summary = Summary::new(old, new);
    let mut buf: Vec<u8> = Vec::new();
    let json = format == DiffFormat::Json;
    if json {
        sink::write(b"{\n  \"changed\": [")?;
        sink::set_trailer(b"]\n}\n");
    }
    let mut first = true;
    let work = |t: qa_core::Transcript| {
        let t = &t;
        let (o, n) = (old.score(t), new.score(t));
        (o.id.clone(), o.diff(&n))
    };
    let totals = pipeline::each(old, options, &work, &mut |(id, d)| {
        summary.add(&d);
        if !d.is_changed() {
            return Ok(());
        }
        // conversations without an id are named by their position, as `qa score --format table`
        let id = id.unwrap_or_else(|| format!("#{}", summary.conversations));
        buf.clear();
        if json {
            buf.extend_from_slice(if first { b"\n" } else { b",\n" });
            let item = ChangedJson {
                id: &id,
                old_score: d.old_score,
                new_score: d.new_score,
                old_passed: d.old_passed,
                new_passed: d.new_passed,
                added: &d.added,
                removed: &d.removed,
            };
            let text = serde_json::to_string_pretty(&item).map_err(io::Error::other)?;
            for (i, line) in text.lines().enumerate() {
                if i > 0 {
                    buf.push(b'\n');
                }
                buf.extend_from_slice(b"    ");
                buf.extend_from_slice(line.as_bytes());
            }
            if first {
                sink::set_trailer(b"\n  ]\n}\n");
            }
        } else {
            buf.extend_from_slice(conversation_text(&id, &d).as_bytes());
        }
        first = false;
        sink::write(&buf)
    })?;
    buf.clear();
    if json {
        buf.extend_from_slice(if first { b"],\n" } else { b"\n  ],\n" });
        let counts = serde_json::to_string_pretty(&summary.to_json())?;
        // the counts' fields, after `changed`, in the same object
        let fields = counts
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim_matches('\n');
        buf.extend_from_slice(fields.as_bytes());
        buf.extend_from_slice(b"\n}\n");
    } else {
        buf.extend_from_slice(summary.to_text().as_bytes());
    }
    sink::write(&buf)?;
    sink::set_trailer(b"");
    match sink::flush() {
        // the reader of our output is gone (`qa diff | head`)
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        result => result?,
    }
    Ok(if totals.bad > 0 {
        Status::BadInput
    } else {
        Status::Ok
    })
}

/// A changed conversation in the text format:
///
/// ```text
/// c17  score 85 → 90  FAIL → pass
///   + rude@3 "这是规定" (-10)
///   - greeting (conversation) (-5)
/// ```
fn conversation_text(id: &str, d: &ReportDiff) -> String {
    let score = if d.score_changed() {
        format!("score {} → {}", d.old_score, d.new_score)
    } else {
        format!("score {}", d.new_score)
    };
    let verdict = match d.flip() {
        Some(Flip::PassToFail) => "pass → FAIL",
        Some(Flip::FailToPass) => "FAIL → pass",
        None if d.new_passed => "(pass)",
        None => "(FAIL)",
    };
    let mut out = format!("{id}  {score}  {verdict}\n");
    for (sign, findings) in [('+', &d.added), ('-', &d.removed)] {
        for f in findings.iter() {
            out.push_str(&format!("  {sign} {}\n", finding_text(f)));
        }
    }
    out
}

/// `rude@3 "这是规定" (-10)`, `greeting (conversation) (-5)`, `vow@0 "保本" (fatal)`.
fn finding_text(f: &Finding) -> String {
    let mut out = f.rule.clone();
    match f.turn {
        Some(turn) => out.push_str(&format!("@{turn}")),
        None => out.push_str(" (conversation)"),
    }
    if let Some(text) = &f.text {
        out.push_str(&format!(" \"{}\"", evidence(text)));
    }
    if f.fatal {
        out.push_str(" (fatal)");
    } else if f.deduct > 0.0 {
        out.push_str(&format!(" (-{})", f.deduct));
    }
    out
}

/// Evidence on one line: control characters escaped, cut at [`EVIDENCE_WIDTH`] columns.
fn evidence(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let piece: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        if out.width() + piece.width() > EVIDENCE_WIDTH {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_stays_on_one_line_and_is_cut() {
        assert_eq!(evidence("爱买不买\n😀"), "爱买不买\\n😀");
        let long = "这是规定".repeat(20);
        let cut = evidence(&long);
        assert!(
            cut.ends_with('…') && cut.width() <= EVIDENCE_WIDTH + 1,
            "{cut}"
        );
        assert_eq!(evidence(""), "");
    }
}
