//! Reports: what scoring a transcript produces (spec §3), serializable to the spec's JSON.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rubric::{RuleKind, Severity};

/// The result of scoring one transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The transcript's `id`.
    pub id: Option<String>,
    /// The transcript's `agent`.
    pub agent: Option<String>,
    /// The transcript's `channel`.
    pub channel: Option<String>,
    /// The transcript's `meta`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
    /// The rubric's name.
    pub rubric: String,
    /// The rubric's version.
    pub version: Option<String>,
    /// Final score: `base` minus deductions plus bonuses, within `[0, scoring.max]`; 0 when fatal.
    pub score: f64,
    /// The rubric's base score.
    pub base: f64,
    /// `!fatal && score >= scoring.pass`.
    pub passed: bool,
    /// Whether any finding came from a `fatal` rule.
    pub fatal: bool,
    /// Deductions and bonuses per rule category, in the rubric's order of categories.
    pub categories: IndexMap<String, CategoryScore>,
    /// Every finding, ordered by turn (whole-conversation findings first), start, rule order.
    pub findings: Vec<Finding>,
    /// Rules that could not run on this transcript, with the reason.
    pub skipped: Vec<Skipped>,
}

/// What one category took and gave.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CategoryScore {
    /// Points deducted by the category's rules (after caps).
    pub deducted: f64,
    /// Bonus points its rules added.
    pub bonus: f64,
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The rule's display name (its id when it has none).
    pub name: String,
    /// The rule's kind.
    pub kind: RuleKind,
    /// The rule's category.
    pub category: Option<String>,
    /// The rule's severity.
    pub severity: Severity,
    /// Points this finding actually took, after the rule's `max_deduct`.
    pub deduct: f64,
    /// Whether the rule is fatal.
    pub fatal: bool,
    /// Whether the rule alerts in live sessions.
    pub alert: bool,
    /// 0-based turn index; `None` for a whole-conversation finding.
    pub turn: Option<usize>,
    /// Start of the evidence in the turn's original text, in Unicode code points.
    pub start: Option<usize>,
    /// End (exclusive) of the evidence, in Unicode code points.
    pub end: Option<usize>,
    /// The evidence: exactly `turn_text[start..end]`.
    pub text: Option<String>,
    /// The rule's message.
    pub message: Option<String>,
    /// Byte range of the evidence in the turn's original UTF-8 text (Rust only; not serialized).
    #[serde(skip)]
    pub bytes: Option<std::ops::Range<usize>>,
    /// The evidence range in UTF-16 code units (what JavaScript strings index by; not
    /// serialized). [`Report::to_utf16_offsets`] puts it in `start`/`end`.
    #[serde(skip)]
    pub utf16: Option<std::ops::Range<usize>>,
}

/// A rule that did not run on a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The rule's id.
    pub rule: String,
    /// Why it did not run (`"no timestamps"`).
    pub reason: String,
}

impl Finding {
    /// Rewrites `start`/`end` from code points to UTF-16 code units (for JavaScript hosts).
    pub fn to_utf16_offsets(&mut self) {
        if let Some(r) = &self.utf16 {
            self.start = Some(r.start);
            self.end = Some(r.end);
        }
    }
}

impl Report {
    /// Rewrites every finding's `start`/`end` from code points to UTF-16 code units of the turn
    /// texts (what the Node binding reports).
    ///
    /// ```
    /// let engine = qa_core::Engine::new(qa_core::Rubric::from_yaml(
    ///     "rubric: r\nrules: [{id: x, kind: forbid, match: [您好]}]",
    /// ).unwrap()).unwrap();
    /// let t = qa_core::Transcript {
    ///     turns: vec![qa_core::Turn::new("agent", "😀您好")],
    ///     ..Default::default()
    /// };
    /// let mut report = engine.score(&t);
    /// assert_eq!(report.findings[0].start, Some(1)); // code points
    /// report.to_utf16_offsets();
    /// assert_eq!((report.findings[0].start, report.findings[0].end), (Some(2), Some(4)));
    /// ```
    pub fn to_utf16_offsets(&mut self) {
        self.findings.iter_mut().for_each(Finding::to_utf16_offsets);
    }

    /// The report as a JSON value, exactly as the CLI writes it.
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).expect("a report always serializes")
    }
}
