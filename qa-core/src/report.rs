//! Reports: what scoring a transcript produces (spec §3), serializable to the spec's JSON.
//!
//! A finding's evidence has one [`Span`] with its range in every unit a host may index text
//! by; which unit goes into the JSON `start`/`end` is chosen when the report is serialized
//! ([`Report::in_units`]): code points for JSON, the CLI and Python, UTF-16 code units for
//! JavaScript. A finished report is never rewritten.

use std::ops::Range;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::options::Severity;
use crate::rules::RuleKind;

/// The unit of the `start`/`end` offsets in a serialized report.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Unicode code points (JSON, the CLI, Python). The default.
    #[default]
    Chars,
    /// UTF-16 code units (JavaScript strings).
    Utf16,
    /// UTF-8 bytes (Rust string slices).
    Bytes,
}

/// Where a finding's evidence is in its turn's original text, in every unit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    /// UTF-8 byte range (`&text[bytes]` is the evidence).
    pub bytes: Range<usize>,
    /// Unicode code point range.
    pub chars: Range<usize>,
    /// UTF-16 code unit range.
    pub utf16: Range<usize>,
}

impl Span {
    /// The range in `units`.
    pub fn range(&self, units: Units) -> Range<usize> {
        match units {
            Units::Chars => self.chars.clone(),
            Units::Utf16 => self.utf16.clone(),
            Units::Bytes => self.bytes.clone(),
        }
    }
}

/// The result of scoring one transcript.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// Rules whose `only_if` condition never matched in this conversation (serialized only
    /// when there is one).
    #[serde(default)]
    pub not_applicable: Vec<NotApplicable>,
    /// Whether the transcript text in this report (findings' `text`) was masked by the rubric's
    /// `redact`: false when the rubric has none or the engine was built with redaction off.
    /// Serialized as `"redacted": true` only when true (absent means false).
    #[serde(default)]
    pub redacted: bool,
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// Where the evidence is, in every unit (`start`/`end` are its code points).
    #[serde(skip)]
    pub span: Option<Span>,
}

/// A rule that did not run on a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The rule's id.
    pub rule: String,
    /// Why it did not run (`"no timestamps"`).
    pub reason: String,
}

/// A rule whose `only_if` condition never matched: it was not judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplicable {
    /// The rule's id.
    pub rule: String,
}

impl Report {
    /// The report, serializable with `start`/`end` in `units`.
    ///
    /// ```
    /// let engine = qa_core::Engine::new(qa_core::Rubric::from_yaml(
    ///     "rubric: r\nrules: [{id: x, kind: forbid, match: [您好]}]",
    /// ).unwrap()).unwrap();
    /// let t = qa_core::Transcript {
    ///     turns: vec![qa_core::Turn::new("agent", "😀您好")],
    ///     ..Default::default()
    /// };
    /// let report = engine.score(&t);
    /// assert_eq!(report.findings[0].start, Some(1)); // code points
    /// let js = serde_json::to_value(report.in_units(qa_core::Units::Utf16)).unwrap();
    /// assert_eq!((&js["findings"][0]["start"], &js["findings"][0]["end"]), (&2.into(), &4.into()));
    /// ```
    pub fn in_units(&self, units: Units) -> InUnits<'_, Report> {
        InUnits { value: self, units }
    }

    /// The report as a JSON value, exactly as the CLI writes it (code points).
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).expect("a report always serializes")
    }
}

impl Finding {
    /// The finding, serializable with `start`/`end` in `units`.
    pub fn in_units(&self, units: Units) -> InUnits<'_, Finding> {
        InUnits { value: self, units }
    }
}

/// A report or finding to serialize with offsets in chosen [`Units`].
#[derive(Debug, Clone, Copy)]
pub struct InUnits<'a, T> {
    value: &'a T,
    units: Units,
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.in_units(Units::Chars).serialize(s)
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.in_units(Units::Chars).serialize(s)
    }
}

impl Serialize for InUnits<'_, Report> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.value;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &r.id)?;
        m.serialize_entry("agent", &r.agent)?;
        m.serialize_entry("channel", &r.channel)?;
        if let Some(meta) = &r.meta {
            m.serialize_entry("meta", meta)?;
        }
        m.serialize_entry("rubric", &r.rubric)?;
        m.serialize_entry("version", &r.version)?;
        m.serialize_entry("score", &r.score)?;
        m.serialize_entry("base", &r.base)?;
        m.serialize_entry("passed", &r.passed)?;
        m.serialize_entry("fatal", &r.fatal)?;
        m.serialize_entry("categories", &r.categories)?;
        let findings: Vec<_> = r.findings.iter().map(|f| f.in_units(self.units)).collect();
        m.serialize_entry("findings", &findings)?;
        m.serialize_entry("skipped", &r.skipped)?;
        if !r.not_applicable.is_empty() {
            m.serialize_entry("not_applicable", &r.not_applicable)?;
        }
        if r.redacted {
            m.serialize_entry("redacted", &true)?;
        }
        m.end()
    }
}

impl Serialize for InUnits<'_, Finding> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.value;
        let (start, end) = match (&f.span, self.units) {
            (Some(span), units) if units != Units::Chars => {
                let r = span.range(units);
                (Some(r.start), Some(r.end))
            }
            _ => (f.start, f.end),
        };
        let mut m = s.serialize_map(Some(13))?;
        m.serialize_entry("rule", &f.rule)?;
        m.serialize_entry("name", &f.name)?;
        m.serialize_entry("kind", &f.kind)?;
        m.serialize_entry("category", &f.category)?;
        m.serialize_entry("severity", &f.severity)?;
        m.serialize_entry("deduct", &f.deduct)?;
        m.serialize_entry("fatal", &f.fatal)?;
        m.serialize_entry("alert", &f.alert)?;
        m.serialize_entry("turn", &f.turn)?;
        m.serialize_entry("start", &start)?;
        m.serialize_entry("end", &end)?;
        m.serialize_entry("text", &f.text)?;
        m.serialize_entry("message", &f.message)?;
        m.end()
    }
}
