//! A rule: the fields every rule has ([`Common`]) and its kind's own ([`RuleSpec`]).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{RuleKind, RuleSpec};
use crate::model::{Common, MatchExpr, Side};
use crate::options::{Negation, Role, Severity, Window};

/// One rule of a rubric: the fields every rule has, and its kind's own ([`RuleSpec`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub(crate) common: Common,
    pub(crate) spec: RuleSpec,
}

impl Rule {
    /// Unique id, `[A-Za-z0-9_.-]+`.
    pub fn id(&self) -> &str {
        &self.common.id
    }

    /// Display name, if the rubric gives one.
    pub fn name(&self) -> Option<&str> {
        self.common.name.as_deref()
    }

    /// The display name: `name`, or the id.
    pub fn display_name(&self) -> &str {
        self.common.name.as_deref().unwrap_or(&self.common.id)
    }

    /// Category, for per-category subtotals.
    pub fn category(&self) -> Option<&str> {
        self.common.category.as_deref()
    }

    /// Message echoed in findings.
    pub fn message(&self) -> Option<&str> {
        self.common.message.as_deref()
    }

    /// What the rule checks.
    pub fn kind(&self) -> RuleKind {
        self.spec.kind()
    }

    /// The kind's own fields.
    pub fn spec(&self) -> &RuleSpec {
        &self.spec
    }

    /// Whose turns the rule looks at (default agent).
    pub fn role(&self) -> Role {
        self.common.role
    }

    /// Which of those turns count.
    pub fn window(&self) -> Option<Window> {
        self.common.window
    }

    /// Severity of findings.
    pub fn severity(&self) -> Severity {
        self.common.severity
    }

    /// Points per finding.
    pub fn deduct(&self) -> f64 {
        self.common.deduct
    }

    /// Cap on what the rule takes in all, when the rubric gives one.
    pub fn max_deduct(&self) -> Option<f64> {
        self.common.max_deduct
    }

    /// The most this rule can deduct in all: `max_deduct`, or `deduct` once.
    pub fn cap(&self) -> f64 {
        self.common.max_deduct.unwrap_or(self.common.deduct)
    }

    /// Points added when the rule is met (`require` rules only; 0 for the others).
    pub fn bonus(&self) -> f64 {
        self.spec.bonus()
    }

    /// Any finding makes the score 0.
    pub fn fatal(&self) -> bool {
        self.common.fatal
    }

    /// Findings are pushed at once in live sessions.
    pub fn alert(&self) -> bool {
        self.common.alert
    }

    /// Negation handling.
    pub fn negation(&self) -> Negation {
        self.common.negation
    }

    /// Match phrases on word boundaries only.
    pub fn word(&self) -> bool {
        self.common.word
    }

    /// A match overlapping one of these in the same turn is not a match.
    pub fn except(&self) -> &[MatchExpr] {
        &self.common.except
    }

    /// The condition under which the rule applies (`only_if`), if it has one.
    pub fn only_if(&self) -> Option<&Side> {
        self.common.only_if.as_ref()
    }

    /// Every match expression of the rule: its kind's (`match`, `when`, `expect`), then
    /// `except`, then the `only_if` condition's.
    pub fn exprs(&self) -> Vec<&MatchExpr> {
        let mut out = self.spec.exprs();
        out.extend(&self.common.except);
        out.extend(self.common.only_if.as_ref().map(|s| &s.matcher));
        out
    }

    /// Whether this rule needs timestamps to run.
    pub fn needs_timestamps(&self) -> bool {
        self.spec.needs_timestamps() || matches!(self.common.window, Some(Window::Seconds(..)))
    }

    /// 1-based (line, column) of the rule in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.common.pos.0
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = &self.common;
        let kind = self.kind();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &c.id)?;
        if let Some(n) = &c.name {
            m.serialize_entry("name", n)?;
        }
        if let Some(n) = &c.category {
            m.serialize_entry("category", n)?;
        }
        if let Some(n) = &c.message {
            m.serialize_entry("message", n)?;
        }
        m.serialize_entry("kind", kind.as_str())?;
        m.serialize_entry("role", &c.role)?;
        if let Some(w) = &c.window {
            m.serialize_entry("window", w)?;
        }
        m.serialize_entry("severity", &c.severity)?;
        m.serialize_entry("deduct", &c.deduct)?;
        if let Some(x) = c.max_deduct {
            m.serialize_entry("max_deduct", &x)?;
        }
        m.serialize_entry("fatal", &c.fatal)?;
        m.serialize_entry("alert", &c.alert)?;
        if kind.matches_text() {
            m.serialize_entry("negation", &c.negation)?;
            m.serialize_entry("word", &c.word)?;
            if !c.except.is_empty() {
                m.serialize_entry("except", &c.except)?;
            }
        }
        if let Some(side) = &c.only_if {
            m.serialize_entry("only_if", side)?;
        }
        self.spec.serialize_fields(&mut m)?;
        m.end()
    }
}
