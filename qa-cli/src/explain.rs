//! `qa explain RUBRIC TRANSCRIPT [--rule ID] [--format text|json]`: why each rule fired or not
//! on one conversation. The core's [`Engine::explain`] decides everything; this module reads the
//! one transcript and writes the explanation, as JSON or as text for a QA lead.

use std::fmt::Write as _;
use std::io::{self, Read, Write};

use qa_core::{
    DropReason, Engine, Event, ExplainError, Explanation, Match, Measure, Measurement, Part,
    RuleExplanation, Transcript, TriggerOutcome,
};
use serde_json::Value;

use crate::Status;

/// Characters of context shown on each side of a match.
const CONTEXT: usize = 12;

/// How `qa explain` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// For people: per rule, FIRED or not, each match in its turn's text, each drop's reason.
    Text,
    /// The core's explanation as one JSON object.
    Json,
}

/// Runs `qa explain`.
pub fn run(
    engine: &Engine,
    input: &str,
    rule: Option<&str>,
    format: ExplainFormat,
) -> anyhow::Result<Status> {
    let transcript = match read_transcript(input, engine.limits().max_transcript_bytes) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("qa: {msg}");
            return Ok(Status::BadInput);
        }
    };
    let explanation = match engine.explain(&transcript, rule) {
        Ok(e) => e,
        Err(e @ ExplainError::UnknownRule { .. }) => {
            eprintln!("qa: {e}");
            return Ok(Status::Invalid);
        }
        Err(e) => {
            eprintln!("qa: {}: {e}", name(input));
            return Ok(Status::BadInput);
        }
    };
    let out = match format {
        ExplainFormat::Json => serde_json::to_string_pretty(&explanation)? + "\n",
        ExplainFormat::Text => text(&explanation, &transcript),
    };
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(Status::Ok)
}

fn name(input: &str) -> &str {
    if input == "-" {
        "<stdin>"
    } else {
        input
    }
}

/// Reads the one conversation of a `.json` file (an object, or an array of one), a `.jsonl`
/// file of one line, or stdin (`-`, either form); the error names the place.
fn read_transcript(input: &str, max_bytes: usize) -> Result<Transcript, String> {
    let cap = max_bytes.saturating_mul(2) as u64;
    let mut bytes = Vec::new();
    let read = if input == "-" {
        io::stdin().lock().take(cap + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(input).and_then(|f| f.take(cap + 1).read_to_end(&mut bytes))
    };
    let file = name(input);
    read.map_err(|e| format!("{file}: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "{file}: over {cap} bytes, the most one conversation may be"
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{file}: not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    let mut values = Vec::new();
    for v in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        match v {
            Ok(Value::Array(items)) => values.extend(items),
            Ok(v) => values.push(v),
            Err(e) => {
                return Err(format!(
                    "{file}:{}:{}: invalid JSON: {e}",
                    e.line(),
                    e.column()
                ))
            }
        }
    }
    match values.len() {
        1 => Transcript::from_value(values.remove(0)).map_err(|e| format!("{file}: {e}")),
        0 => Err(format!("{file}: no conversation in it")),
        n => Err(format!(
            "{file}: {n} conversations; `qa explain` takes one (pick it out, e.g. `sed -n 5p FILE | qa explain RUBRIC -`)"
        )),
    }
}

/// The explanation as text.
fn text(e: &Explanation, t: &Transcript) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "conversation {} · rubric {} · {} turns · score {} · {}",
        e.id.as_deref().unwrap_or("(no id)"),
        e.rubric,
        e.turns,
        e.score,
        if e.passed { "passed" } else { "failed" }
    );
    for r in &e.rules {
        out.push('\n');
        rule_text(&mut out, r, t);
    }
    out
}

fn rule_text(out: &mut String, r: &RuleExplanation, t: &Transcript) {
    let title = if r.name != r.rule {
        format!("{} {} ({})", r.rule, r.name, r.kind)
    } else {
        format!("{} ({})", r.rule, r.kind)
    };
    let status = if let Some(reason) = &r.skipped {
        format!("SKIPPED: {reason}")
    } else if r.not_applicable {
        "NOT APPLICABLE: its only_if never matched".to_string()
    } else if r.fired {
        let deducted: f64 = r.findings.iter().map(|f| f.deduct).sum();
        let n = r.findings.len();
        format!(
            "FIRED: {n} finding{}, -{deducted}",
            if n == 1 { "" } else { "s" }
        )
    } else {
        match r.met {
            Some(true) => "not fired: met".to_string(),
            _ => "not fired".to_string(),
        }
    };
    let _ = writeln!(out, "{title}: {status}");
    for f in &r.findings {
        let place = match (f.turn, f.start, f.end) {
            (Some(turn), Some(s), Some(e)) => format!("turn {turn} {}", excerpt(t, turn, s, e)),
            (Some(turn), _, _) => format!("turn {turn} ({})", speaker(t, turn)),
            _ => "whole conversation".to_string(),
        };
        let _ = writeln!(out, "  finding   {place}  -{}", f.deduct);
    }
    if r.events.is_empty() && r.skipped.is_none() {
        let _ = writeln!(out, "  (nothing of this rule matched)");
    }
    for ev in &r.events {
        let line = match ev {
            Event::Hit { hit } => format!("hit       {}", match_text(t, hit)),
            Event::Dropped { hit, reason } => {
                format!(
                    "dropped   {}  <- {}",
                    match_text(t, hit),
                    reason_text(reason)
                )
            }
            Event::Trigger {
                hit,
                deadline,
                outcome,
            } => {
                let deadline = deadline
                    .map(|d| format!(" (answer due by {d}s)"))
                    .unwrap_or_default();
                let what = match outcome {
                    TriggerOutcome::Answered { answer } => {
                        format!("answered: {}", match_text(t, answer))
                    }
                    TriggerOutcome::Missed { closed_at } => {
                        format!("MISSED: no answer when its window closed at turn {closed_at}")
                    }
                    TriggerOutcome::UnansweredAtEnd => "MISSED: unanswered at the end".into(),
                    TriggerOutcome::SkippedAtEnd => {
                        "not judged: the conversation ended before anyone could answer (at_end: skip)"
                            .into()
                    }
                    TriggerOutcome::NotJudged => "not judged".into(),
                    _ => "?".into(),
                };
                format!("trigger   {}{deadline} -> {what}", match_text(t, hit))
            }
            Event::Measured(m) => format!("measured  {}", measure_text(m)),
            _ => continue,
        };
        let _ = writeln!(out, "  {line}");
    }
}

fn speaker(t: &Transcript, turn: usize) -> &str {
    t.turns.get(turn).map_or("?", |x| x.speaker.trim())
}

/// `turn N (speaker) part "…context[match]context…" phrase/regex`.
fn match_text(t: &Transcript, m: &Match) -> String {
    let part = match m.part {
        Part::Match => "match",
        Part::When => "when",
        Part::Expect => "expect",
        Part::Except => "except",
        Part::OnlyIf => "only_if",
        _ => "?",
    };
    let mut s = format!(
        "turn {} {part} {}",
        m.turn,
        excerpt(t, m.turn, m.start, m.end)
    );
    match (&m.phrase, &m.regex, &m.list) {
        (Some(p), _, Some(l)) => {
            let _ = write!(s, "  phrase {p:?} of @{l}");
        }
        (Some(p), _, None) => {
            let _ = write!(s, "  phrase {p:?}");
        }
        (None, Some(re), l) => {
            let _ = write!(s, "  regex /{re}/");
            if let Some(l) = l {
                let _ = write!(s, " of @{l}");
            }
        }
        _ => {}
    }
    s
}

/// `(speaker) "…before[match]after…"`, with at most `CONTEXT` characters each side and line
/// breaks shown as spaces.
fn excerpt(t: &Transcript, turn: usize, start: usize, end: usize) -> String {
    let text: Vec<char> = t
        .turns
        .get(turn)
        .map_or_else(Vec::new, |x| x.text.chars().collect());
    let (start, end) = (start.min(text.len()), end.min(text.len()));
    let from = start.saturating_sub(CONTEXT);
    let to = (end + CONTEXT).min(text.len());
    let flat = |cs: &[char]| -> String {
        cs.iter()
            .map(|&c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    format!(
        "({}) \"{}{}[{}]{}{}\"",
        speaker(t, turn),
        if from > 0 { "…" } else { "" },
        flat(&text[from..start]),
        flat(&text[start..end]),
        flat(&text[end..to]),
        if to < text.len() { "…" } else { "" },
    )
}

fn reason_text(r: &DropReason) -> String {
    match r {
        DropReason::Negated { word, start, end } => {
            format!("negated by {word:?} at {start}..{end} (negation: skip)")
        }
        DropReason::Except { text, start, end } => {
            format!("overlaps except {text:?} at {start}..{end}")
        }
        DropReason::WordBoundary => "not on word boundaries (word: true)".into(),
        DropReason::Stripped => "across a stripped region (normalize.strip)".into(),
        DropReason::Role { speaker } => {
            format!("speaker {speaker:?} is not of the role this rule looks at")
        }
        DropReason::Window => "outside the rule's window".into(),
        DropReason::OnlyIfUnmet => "the rule's only_if never matched".into(),
        DropReason::NearTooFar { within } => {
            format!("the near items are more than {within} characters apart")
        }
        DropReason::Incomplete => "the other items of its near/all did not all match here".into(),
        DropReason::InsideNot => "inside a not: this match made the not fail".into(),
        DropReason::NoTriggerPending => "no trigger was waiting for an answer".into(),
        _ => "?".into(),
    }
}

fn measure_text(m: &Measurement) -> String {
    let at = match (m.turn, m.since_turn) {
        (Some(t), Some(s)) => format!("turn {t} (from turn {s})"),
        (Some(t), None) => format!("turn {t}"),
        _ => "whole conversation".to_string(),
    };
    let what = match m.what {
        Measure::Wait => "wait",
        Measure::Gap => "gap",
        Measure::Overlap => "overlap",
        Measure::Duration => "duration",
        Measure::Similarity => "similarity",
        _ => "?",
    };
    let unit = if m.what == Measure::Similarity {
        ""
    } else {
        "s"
    };
    let mut limits = Vec::new();
    if let Some(c) = m.count {
        limits.push(format!("overlap #{c}"));
    }
    match m.what {
        Measure::Overlap => {
            if let Some(max) = m.max {
                limits.push(format!("max_count {max}"));
            }
        }
        Measure::Similarity => {
            if let Some(min) = m.min {
                limits.push(format!("similarity >= {min} repeats"));
            }
        }
        _ => {
            if let Some(min) = m.min {
                limits.push(format!("min {min}{unit}"));
            }
            if let Some(max) = m.max {
                limits.push(format!("max {max}{unit}"));
            }
        }
    }
    let value = if m.what == Measure::Similarity {
        format!("{:.2}", m.value)
    } else {
        format!("{}{unit}", (m.value * 1000.0).round() / 1000.0)
    };
    format!(
        "{at}: {what} {value} vs {} -> {}",
        limits.join(", "),
        if m.exceeded { "OVER" } else { "ok" }
    )
}
