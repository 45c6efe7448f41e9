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
    /// The evidence range in UTF-16 code units of `turn_text` (what JavaScript strings index by).
    ///
    /// ```
    /// let text = "😀您好";
    /// let f = qa_core::Finding {
    ///     rule: "g".into(), name: "g".into(), kind: qa_core::RuleKind::Forbid, category: None,
    ///     severity: qa_core::Severity::Minor, deduct: 0.0, fatal: false, alert: false,
    ///     turn: Some(0), start: Some(1), end: Some(3), text: Some("您好".into()), message: None,
    ///     bytes: Some(4..10),
    /// };
    /// assert_eq!(f.utf16_range(text), Some(2..4));
    /// ```
    pub fn utf16_range(&self, turn_text: &str) -> Option<std::ops::Range<usize>> {
        let bytes = self.bytes.clone().or_else(|| {
            let (s, e) = (self.start?, self.end?);
            let mut idx = turn_text.char_indices().map(|(b, _)| b);
            let bs = idx.clone().nth(s).unwrap_or(turn_text.len());
            let be = idx.nth(e).unwrap_or(turn_text.len());
            Some(bs..be)
        })?;
        let head = turn_text.get(..bytes.start)?;
        let body = turn_text.get(bytes.clone())?;
        let start = head.encode_utf16().count();
        Some(start..start + body.encode_utf16().count())
    }
}

impl Report {
    /// Rewrites every finding's `start`/`end` from code points to UTF-16 code units of the
    /// transcript's turn texts (what the Node binding reports).
    pub fn to_utf16_offsets(&mut self, transcript_turns: &[crate::Turn]) {
        for f in &mut self.findings {
            if let Some(turn) = f.turn.and_then(|t| transcript_turns.get(t)) {
                if let Some(r) = f.utf16_range(&turn.text) {
                    f.start = Some(r.start);
                    f.end = Some(r.end);
                }
            }
        }
    }

    /// The report as a JSON value, exactly as the CLI writes it.
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).expect("a report always serializes")
    }
}
