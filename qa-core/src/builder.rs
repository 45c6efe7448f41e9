//! Building a rubric in Rust. The builders only collect fields; [`RubricBuilder::build`] hands
//! them to the same checker as rubric text, so a rubric built here is held to every check (and
//! gets the same errors) as one read from a file. Any field can be set on any rule, even one
//! its kind does not take: the checker then says so.
//!
//! ```
//! use qa_core::{Engine, RubricBuilder, RuleBuilder, RuleKind, Severity, Transcript, Turn};
//!
//! let rubric = RubricBuilder::new("售后")
//!     .list("rude", ["这是规定", "爱买不买"])
//!     .rule(RuleBuilder::new("rude", RuleKind::Forbid).matching(["@rude"]).deduct(10.0))
//!     .rule(
//!         RuleBuilder::new("greet", RuleKind::Require)
//!             .matching(["您好"])
//!             .severity(Severity::Major)
//!             .deduct(5.0),
//!     )
//!     .build()?;
//! let engine = Engine::new(rubric)?;
//! let t = Transcript { turns: vec![Turn::new("agent", "这是规定")], ..Default::default() };
//! assert_eq!(engine.score(&t).score, 85.0);
//!
//! // the same checks as text: a `bonus` on a `forbid` rule is refused
//! let err = RubricBuilder::new("r")
//!     .rule(RuleBuilder::new("x", RuleKind::Forbid).matching(["a"]).bonus(2.0))
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.kind(), qa_core::RubricErrorKind::InvalidValue);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::RubricError;
use crate::limits::Limits;
use crate::options::{Locale, Negation, Role, Scope, Severity, Window, Within};
use crate::rubric::Rubric;
use crate::rules::RuleKind;

fn to_value(v: impl Serialize) -> Value {
    // a value serde cannot write (a non-string map key) becomes null: the checker then reports
    // the field as having the wrong type
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn phrases<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::Array(items.into_iter().map(|s| Value::String(s.into())).collect())
}

/// Builds a [`Rubric`]; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct RubricBuilder {
    fields: Map<String, Value>,
    lists: Map<String, Value>,
    rules: Vec<Value>,
    limits: Limits,
}

impl RubricBuilder {
    /// A rubric with this name and no rules.
    pub fn new(name: impl Into<String>) -> RubricBuilder {
        let mut fields = Map::new();
        fields.insert("rubric".into(), Value::String(name.into()));
        RubricBuilder {
            fields,
            lists: Map::new(),
            rules: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// Starts from an existing rubric (its fields, lists and rules), to change it.
    pub fn from_rubric(rubric: &Rubric) -> RubricBuilder {
        let mut fields = match to_value(rubric) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let lists = match fields.remove("lists") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let rules = match fields.remove("rules") {
            Some(Value::Array(r)) => r,
            _ => Vec::new(),
        };
        RubricBuilder {
            fields,
            lists,
            rules,
            limits: Limits::default(),
        }
    }

    /// Sets any top-level field (`version`, `normalize`, `speakers`, `scoring`, …) to a value
    /// written as serde writes it; checked by [`RubricBuilder::build`].
    pub fn field(mut self, key: &str, value: impl Serialize) -> RubricBuilder {
        self.fields.insert(key.to_string(), to_value(value));
        self
    }

    /// Sets `version`.
    pub fn version(self, version: impl Into<String>) -> RubricBuilder {
        self.field("version", version.into())
    }

    /// Sets `locale`.
    pub fn locale(self, locale: Locale) -> RubricBuilder {
        self.field("locale", locale)
    }

    /// Sets `scoring.base` and `scoring.pass`.
    pub fn scoring(self, base: f64, pass: f64) -> RubricBuilder {
        self.field("scoring", serde_json::json!({"base": base, "pass": pass}))
    }

    /// Adds (or replaces) a named phrase list.
    pub fn list<I, S>(mut self, name: &str, items: I) -> RubricBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.lists.insert(name.to_string(), phrases(items));
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: RuleBuilder) -> RubricBuilder {
        self.rules.push(Value::Object(rule.fields));
        self
    }

    /// Removes every rule (to rebuild them after [`RubricBuilder::from_rubric`]).
    pub fn clear_rules(mut self) -> RubricBuilder {
        self.rules.clear();
        self
    }

    /// The limits the rubric is checked against (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> RubricBuilder {
        self.limits = limits;
        self
    }

    /// The rubric as the JSON value the checker reads.
    pub fn to_value(&self) -> Value {
        let mut v = self.fields.clone();
        v.insert("lists".into(), Value::Object(self.lists.clone()));
        v.insert("rules".into(), Value::Array(self.rules.clone()));
        Value::Object(v)
    }

    /// Checks the rubric, exactly as [`Rubric::from_value`] does.
    pub fn build(self) -> Result<Rubric, RubricError> {
        Rubric::from_value(&self.to_value(), &self.limits)
    }
}

/// Builds one rule for a [`RubricBuilder`]. Every setter may be used on every kind; the
/// checker refuses the fields a kind does not take.
#[derive(Debug, Clone)]
pub struct RuleBuilder {
    fields: Map<String, Value>,
}

impl RuleBuilder {
    /// A rule with an id and a kind.
    pub fn new(id: impl Into<String>, kind: RuleKind) -> RuleBuilder {
        let mut fields = Map::new();
        fields.insert("id".into(), Value::String(id.into()));
        fields.insert("kind".into(), Value::String(kind.as_str().into()));
        RuleBuilder { fields }
    }

    /// Sets any field to a value written as serde writes it (a match expression as JSON:
    /// `json!([{"regex": "\\d+"}])`, `json!({"near": ["a", "b"], "within": 3})`).
    pub fn field(mut self, key: &str, value: impl Serialize) -> RuleBuilder {
        self.fields.insert(key.to_string(), to_value(value));
        self
    }

    /// `match`: any of these phrases (`"@name"` for a list).
    pub fn matching<I, S>(self, items: I) -> RuleBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.field("match", phrases(items))
    }

    /// `except`: these phrases.
    pub fn except<I, S>(self, items: I) -> RuleBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.field("except", phrases(items))
    }

    /// `when` of a `respond` rule: a role and phrases.
    pub fn when<I, S>(self, role: Role, items: I) -> RuleBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.field(
            "when",
            serde_json::json!({"role": role, "match": phrases(items)}),
        )
    }

    /// `expect` of a `respond` rule: a role and phrases.
    pub fn expect<I, S>(self, role: Role, items: I) -> RuleBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.field(
            "expect",
            serde_json::json!({"role": role, "match": phrases(items)}),
        )
    }

    /// `name`.
    pub fn name(self, name: impl Into<String>) -> RuleBuilder {
        self.field("name", name.into())
    }

    /// `category`.
    pub fn category(self, category: impl Into<String>) -> RuleBuilder {
        self.field("category", category.into())
    }

    /// `message`.
    pub fn message(self, message: impl Into<String>) -> RuleBuilder {
        self.field("message", message.into())
    }

    /// `role`.
    pub fn role(self, role: Role) -> RuleBuilder {
        self.field("role", role)
    }

    /// `window`.
    pub fn window(self, window: Window) -> RuleBuilder {
        self.field("window", window)
    }

    /// `severity`.
    pub fn severity(self, severity: Severity) -> RuleBuilder {
        self.field("severity", severity)
    }

    /// `deduct`.
    pub fn deduct(self, points: f64) -> RuleBuilder {
        self.field("deduct", points)
    }

    /// `max_deduct`.
    pub fn max_deduct(self, points: f64) -> RuleBuilder {
        self.field("max_deduct", points)
    }

    /// `bonus` (`require` rules).
    pub fn bonus(self, points: f64) -> RuleBuilder {
        self.field("bonus", points)
    }

    /// `fatal`.
    pub fn fatal(self, fatal: bool) -> RuleBuilder {
        self.field("fatal", fatal)
    }

    /// `alert`.
    pub fn alert(self, alert: bool) -> RuleBuilder {
        self.field("alert", alert)
    }

    /// `negation`.
    pub fn negation(self, negation: Negation) -> RuleBuilder {
        self.field("negation", negation)
    }

    /// `word`.
    pub fn word(self, word: bool) -> RuleBuilder {
        self.field("word", word)
    }

    /// `within` (`respond` rules).
    pub fn within(self, within: Within) -> RuleBuilder {
        self.field("within", within)
    }

    /// `scope` (`response_time` rules).
    pub fn scope(self, scope: Scope) -> RuleBuilder {
        self.field("scope", scope)
    }

    /// `max_seconds`.
    pub fn max_seconds(self, seconds: f64) -> RuleBuilder {
        self.field("max_seconds", seconds)
    }

    /// `min_seconds` (`duration` rules).
    pub fn min_seconds(self, seconds: f64) -> RuleBuilder {
        self.field("min_seconds", seconds)
    }

    /// `max_count` (`overlap` rules).
    pub fn max_count(self, count: usize) -> RuleBuilder {
        self.field("max_count", count)
    }

    /// `similarity` (`repeat` rules).
    pub fn similarity(self, similarity: f64) -> RuleBuilder {
        self.field("similarity", similarity)
    }
}
