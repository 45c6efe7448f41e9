//! The rubric model (spec §2): what a checked rubric holds, read through methods.
//!
//! A [`Rubric`] is made only by the checker (`crate::check`), from text
//! ([`Rubric::from_yaml`], [`Rubric::from_json`], [`Rubric::from_toml`], [`Rubric::from_path`]),
//! from a JSON value ([`Rubric::from_value`]) or through [`RubricBuilder`](crate::RubricBuilder),
//! which runs the same checks. Its fields are private and its enums `#[non_exhaustive]`, so a
//! rubric that exists is valid: regexes are compiled, lists resolve, every rule has what its kind
//! needs. Every item keeps its place in the source, so errors found later (while compiling an
//! engine with smaller limits) still point at the line and column.
//!
//! ```
//! let rubric = qa_core::Rubric::from_yaml(r#"
//! rubric: demo
//! rules:
//!   - id: rude
//!     kind: forbid
//!     match: [这是规定, "@extra"]
//! lists:
//!   extra: [爱买不买]
//! "#).unwrap();
//! assert_eq!(rubric.rules()[0].id(), "rude");
//! assert_eq!(rubric.rules()[0].kind(), qa_core::RuleKind::Forbid);
//! assert_eq!(rubric.phrase_count(), 2);
//! ```

use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::error::RubricError;
use crate::limits::Limits;
use crate::options::{Locale, Negation, Normalize, Role, Severity, Window};
use crate::pattern::Pattern;
use crate::rules::{RuleKind, RuleSpec};
use crate::source::{Format, Place as Pos};

/// A checked rubric: how conversations are scored. Two rubrics are equal when they score alike:
/// where they were read from (file, lines and columns) does not count.
///
/// Its [`JsonSchema`] is the schema of a rubric file (see [`crate::rubric_schema`]): the field
/// attributes and doc comments below are the file format's.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, transform = crate::schema::rubric_description)]
pub struct Rubric {
    /// The rubric's name, echoed in every report (a number is taken as its text).
    #[schemars(rename = "rubric", with = "crate::schema::Label")]
    pub(crate) name: String,
    /// Echoed in reports (a number is taken as its text: quote `"2026.10"` to keep the 0).
    #[schemars(with = "Option<crate::schema::Label>")]
    pub(crate) version: Option<String>,
    /// Which languages' negation words and word segmentation apply.
    #[schemars(default)]
    pub(crate) locale: Locale,
    /// Normalization applied to transcript text and to every phrase alike, character by
    /// character; a finding's evidence is always the original text.
    #[schemars(default)]
    pub(crate) normalize: Normalize,
    /// Speaker label → role, matched case-insensitively and trimmed. A role listed here replaces
    /// that role's default labels; any label not listed is role `other`.
    #[schemars(default)]
    pub(crate) speakers: Speakers,
    /// `score = max(0, base − Σ_rules min(deduct × findings, max_deduct) + Σ bonus)`, at most
    /// `max`; any fatal finding makes it 0; passed = no fatal finding and score ≥ pass.
    #[schemars(default)]
    pub(crate) scoring: Scoring,
    /// Named phrase lists, used in match expressions as `"@name"`.
    #[schemars(with = "Option<IndexMap<String, List>>")]
    pub(crate) lists: IndexMap<String, List>,
    /// The rules, in order (may be empty).
    pub(crate) rules: Vec<Rule>,
    /// The file it was read from, named in errors found later.
    #[schemars(skip)]
    pub(crate) file: crate::source::FileName,
    #[schemars(skip)]
    pub(crate) pos: Pos,
}

/// Speaker labels of each role (matched case-insensitively).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(default, deny_unknown_fields)]
pub struct Speakers {
    /// Labels of the agent role (one label or a list).
    #[schemars(with = "crate::schema::Labels")]
    pub(crate) agent: Vec<String>,
    /// Labels of the customer role (one label or a list).
    #[schemars(with = "crate::schema::Labels")]
    pub(crate) customer: Vec<String>,
    /// Labels of the `other` role (one label or a list); any label not listed is `other` too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "crate::schema::Labels")]
    pub(crate) other: Vec<String>,
}

impl Default for Speakers {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        Speakers {
            agent: v(&["agent", "helpdesk", "staff", "客服", "坐席", "b2c"]),
            customer: v(&["customer", "user", "client", "客户", "用户", "c2b"]),
            other: Vec::new(),
        }
    }
}

impl Speakers {
    /// Labels of the agent role.
    pub fn agent(&self) -> &[String] {
        &self.agent
    }

    /// Labels of the customer role.
    pub fn customer(&self) -> &[String] {
        &self.customer
    }

    /// Labels listed for the `other` role (any unlisted label is `other` too).
    pub fn other(&self) -> &[String] {
        &self.other
    }

    /// The role of a speaker label.
    ///
    /// ```
    /// let s = qa_core::Speakers::default();
    /// assert_eq!(s.role_of("Agent"), qa_core::Role::Agent);
    /// assert_eq!(s.role_of("客户"), qa_core::Role::Customer);
    /// assert_eq!(s.role_of("bot"), qa_core::Role::Other);
    /// ```
    pub fn role_of(&self, label: &str) -> Role {
        let label = label.trim().to_lowercase();
        let eq = |l: &String| l.trim().to_lowercase() == label;
        if self.agent.iter().any(eq) {
            Role::Agent
        } else if self.customer.iter().any(eq) {
            Role::Customer
        } else {
            Role::Other
        }
    }
}

/// Scoring parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[schemars(default, deny_unknown_fields)]
pub struct Scoring {
    /// Score before deductions.
    #[schemars(range(min = 0.0))]
    pub(crate) base: f64,
    /// Pass mark: passed = no fatal finding and score ≥ pass.
    #[schemars(range(min = 0.0))]
    pub(crate) pass: f64,
    /// Highest possible score (bonuses cannot go past it); default `base`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub(crate) max: Option<f64>,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            base: 100.0,
            pass: 60.0,
            max: None,
        }
    }
}

impl Scoring {
    /// Score before deductions. Default 100.
    pub fn base(&self) -> f64 {
        self.base
    }

    /// Pass mark: passed = no fatal finding and score ≥ pass. Default 60.
    pub fn pass(&self) -> f64 {
        self.pass
    }

    /// Highest possible score (bonuses cannot go past it): `max`, or `base`.
    pub fn max(&self) -> f64 {
        self.max.unwrap_or(self.base)
    }
}

/// A named phrase list (`lists:`), used as `"@name"`.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct List {
    pub(crate) phrases: Vec<Phrase>,
    #[schemars(skip)]
    pub(crate) pos: Pos,
}

impl List {
    /// The list's phrases.
    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    /// 1-based (line, column) of the list's name in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

/// A literal phrase of a match expression or a list.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct Phrase {
    #[schemars(length(min = 1))]
    pub(crate) text: String,
    #[schemars(skip)]
    pub(crate) pos: Pos,
}

impl Phrase {
    /// The phrase as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// 1-based (line, column) in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

/// A `{regex: …}` item: the compiled regex and its place.
#[derive(Debug, Clone, PartialEq)]
pub struct RegexItem {
    pub(crate) pattern: Pattern,
    pub(crate) pos: Pos,
}

impl RegexItem {
    /// The regex as written.
    pub fn as_str(&self) -> &str {
        self.pattern.as_str()
    }

    /// The compiled regex.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// 1-based (line, column) in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

/// An `"@name"` reference to a list; the list exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRef {
    pub(crate) name: String,
    pub(crate) pos: Pos,
}

impl ListRef {
    /// The list's name (without `@`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 1-based (line, column) in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

/// A `{near: [...], within: N}` item.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub(crate) items: Vec<MatchExpr>,
    pub(crate) within: usize,
    pub(crate) pos: Pos,
}

impl Near {
    /// The items (2 to [`NEAR_MAX_ITEMS`](crate::NEAR_MAX_ITEMS)).
    pub fn items(&self) -> &[MatchExpr] {
        &self.items
    }

    /// Most characters between one item and the next.
    pub fn within(&self) -> usize {
        self.within
    }

    /// 1-based (line, column) in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

/// A match expression (spec §2 "Match expressions").
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum MatchExpr {
    /// A literal phrase.
    Phrase(Phrase),
    /// `"@name"`: every phrase of a list.
    List(ListRef),
    /// A regular expression (the `regex` crate's syntax), compiled.
    Regex(RegexItem),
    /// All items within `within` characters of one another, in any order.
    Near(Near),
    /// Any item.
    Any(Vec<MatchExpr>),
    /// Every item, in the same turn.
    All(Vec<MatchExpr>),
    /// The turn has no match of the item (inside `all`/`any`).
    Not(Box<MatchExpr>),
}

impl MatchExpr {
    /// Calls `f` on every leaf (phrase, list, regex) of the expression.
    pub fn for_each_leaf<'a>(&'a self, f: &mut impl FnMut(&'a MatchExpr)) {
        match self {
            MatchExpr::Phrase(_) | MatchExpr::List(_) | MatchExpr::Regex(_) => f(self),
            MatchExpr::Near(Near { items, .. }) | MatchExpr::Any(items) | MatchExpr::All(items) => {
                items.iter().for_each(|i| i.for_each_leaf(f))
            }
            MatchExpr::Not(inner) => inner.for_each_leaf(f),
        }
    }
}

/// Writes `{key: value}`.
fn one<S: Serializer, T: Serialize + ?Sized>(
    s: S,
    key: &str,
    value: &T,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(key, value)?;
    m.end()
}

impl Serialize for MatchExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // a phrase that starts with `@` is written so it is not read back as a list
            MatchExpr::Phrase(p) if p.text.starts_with('@') => one(s, "phrase", &p.text),
            MatchExpr::Phrase(p) => s.serialize_str(&p.text),
            MatchExpr::List(l) => s.serialize_str(&format!("@{}", l.name)),
            MatchExpr::Regex(r) => one(s, "regex", r.as_str()),
            MatchExpr::Near(n) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("near", &n.items)?;
                m.serialize_entry("within", &n.within)?;
                m.end()
            }
            MatchExpr::Any(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            MatchExpr::All(items) => one(s, "all", items),
            MatchExpr::Not(inner) => one(s, "not", inner.as_ref()),
        }
    }
}

/// One side of a `respond` rule: a role and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Side {
    /// Whose turns count (default customer for `when`, agent for `expect`).
    #[schemars(with = "Option<Role>")]
    pub(crate) role: Role,
    /// What must match.
    #[serde(rename = "match")]
    pub(crate) matcher: MatchExpr,
}

impl Side {
    /// Whose turns count.
    pub fn role(&self) -> Role {
        self.role
    }

    /// What must match.
    pub fn matcher(&self) -> &MatchExpr {
        &self.matcher
    }
}

/// The fields every rule has, whatever its kind. Its [`JsonSchema`] gives them to every kind's
/// branch of the rule schema (`window` only where the kind takes it, `negation`, `word` and
/// `except` only where it matches text; see [`crate::schema`]).
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(transform = crate::schema::common_bonus)]
pub(crate) struct Common {
    /// Unique id of the rule: letters, digits, `_`, `.` and `-`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub id: String,
    /// Display name, echoed in findings (default the id; a number is taken as its text).
    #[schemars(with = "Option<crate::schema::Label>")]
    pub name: Option<String>,
    /// Category, for per-category subtotals (a number is taken as its text).
    #[schemars(with = "Option<crate::schema::Label>")]
    pub category: Option<String>,
    /// Message echoed in findings.
    pub message: Option<String>,
    /// Whose turns the rule looks at.
    #[schemars(default = "crate::schema::default_role")]
    pub role: Role,
    /// Which turns of the rule's role count (default all): exactly one of `first`, `last`,
    /// `turns`, `seconds`.
    pub window: Option<Window>,
    /// How serious a finding is.
    #[schemars(default = "crate::schema::default_severity")]
    pub severity: Severity,
    /// Points taken per finding.
    #[schemars(default, range(min = 0.0))]
    pub deduct: f64,
    /// Cap on what the rule takes in all (default `deduct`, once).
    #[schemars(range(min = 0.0))]
    pub max_deduct: Option<f64>,
    /// Any finding makes the score 0 and `passed` false.
    #[schemars(default)]
    pub fatal: bool,
    /// Findings are flagged for live alerting.
    #[schemars(default)]
    pub alert: bool,
    /// `skip`: a match right after a negation word (in the same clause) is not a match.
    #[schemars(default)]
    pub negation: Negation,
    /// `true`: phrases match only on word boundaries.
    #[schemars(default)]
    pub word: bool,
    /// A match overlapping one of these in the same turn is not a match.
    #[schemars(with = "Option<MatchExpr>")]
    pub except: Vec<MatchExpr>,
    #[schemars(skip)]
    pub pos: Pos,
}

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

    /// Every match expression of the rule: its kind's (`match`, `when`, `expect`), then `except`.
    pub fn exprs(&self) -> Vec<&MatchExpr> {
        let mut out = self.spec.exprs();
        out.extend(&self.common.except);
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
        self.spec.serialize_fields(&mut m)?;
        m.end()
    }
}

impl Serialize for Rubric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rubric", &self.name)?;
        if let Some(v) = &self.version {
            m.serialize_entry("version", v)?;
        }
        m.serialize_entry("locale", &self.locale)?;
        m.serialize_entry("normalize", &self.normalize)?;
        m.serialize_entry("speakers", &self.speakers)?;
        m.serialize_entry("scoring", &self.scoring)?;
        let lists: IndexMap<&str, Vec<&str>> = self
            .lists
            .iter()
            .map(|(k, l)| (k.as_str(), l.phrases.iter().map(|p| p.as_str()).collect()))
            .collect();
        m.serialize_entry("lists", &lists)?;
        m.serialize_entry("rules", &self.rules)?;
        m.end()
    }
}

impl Rubric {
    /// Reads a YAML rubric with the default [`Limits`].
    pub fn from_yaml(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Yaml, None, &Limits::default())
    }

    /// Reads a JSON rubric with the default [`Limits`].
    pub fn from_json(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Json, None, &Limits::default())
    }

    /// Reads a TOML rubric with the default [`Limits`].
    pub fn from_toml(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Toml, None, &Limits::default())
    }

    /// Reads a rubric file; the extension (`.yaml`, `.yml`, `.json`, `.toml`) gives the format.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Rubric, RubricError> {
        Rubric::from_path_with_limits(path, &Limits::default())
    }

    /// [`Rubric::from_path`] with explicit limits. The file is opened once and read up to the
    /// size limit (never trusting its reported size: a FIFO or `/dev/zero` is read only that
    /// far).
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let path = path.as_ref();
        let (text, format) = Rubric::read_file(path, limits)?;
        Rubric::parse(&text, format, Some(&path.display().to_string()), limits)
    }

    /// Reads a rubric file's text and format once, at most `limits.max_rubric_bytes` (see
    /// [`Rubric::from_path_with_limits`]): for front ends that keep the text, to show errors
    /// with their source lines.
    pub fn read_file(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<(String, Format), RubricError> {
        let path = path.as_ref();
        crate::source::read_file(path, limits)
            .map_err(|d| RubricError::single(Some(path.display().to_string()), d))
    }

    /// Reads a rubric in any format; `file` names it in errors.
    pub fn parse(
        text: &str,
        format: Format,
        file: Option<&str>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let file = file.map(str::to_string);
        let node = crate::source::parse(text, format, limits)
            .map_err(|d| RubricError::single(file.clone(), d))?;
        crate::check::rubric(&node, limits, file)
    }

    /// Reads a rubric from a JSON value (as `serde_json` or a binding produced it), with the
    /// same checks as text; errors have no line and column.
    ///
    /// ```
    /// let v = serde_json::json!({"rubric": "r", "rules": [{"id": "x", "kind": "forbid", "match": ["a"]}]});
    /// let rubric = qa_core::Rubric::from_value(&v, &qa_core::Limits::default()).unwrap();
    /// assert_eq!(rubric.rules().len(), 1);
    /// ```
    pub fn from_value(value: &serde_json::Value, limits: &Limits) -> Result<Rubric, RubricError> {
        let node = crate::source::from_json_value(value, limits)
            .map_err(|d| RubricError::single(None, d))?;
        crate::check::rubric(&node, limits, None)
    }

    /// The rubric's name (`rubric:` in the file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Optional version, echoed in reports.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Which languages' negation words and segmentation apply.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// How text and phrases are normalized before matching.
    pub fn normalize(&self) -> &Normalize {
        &self.normalize
    }

    /// Speaker label → role.
    pub fn speakers(&self) -> &Speakers {
        &self.speakers
    }

    /// Base, pass mark and maximum.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// The named phrase lists, in rubric order.
    pub fn lists(&self) -> impl ExactSizeIterator<Item = (&str, &List)> {
        self.lists.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// One named list.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.lists.get(name)
    }

    /// The rules, in rubric order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// The file the rubric was read from, if any.
    pub fn file(&self) -> Option<&str> {
        self.file.0.as_deref()
    }

    /// The rubric as JSON text that [`Rubric::from_json`] reads back into an equal rubric
    /// (positions aside).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a rubric always serializes")
    }

    /// Number of phrases in all rules (after expanding `@name` references).
    pub fn phrase_count(&self) -> usize {
        let mut n = 0;
        for rule in &self.rules {
            for expr in rule.exprs() {
                expr.for_each_leaf(&mut |leaf| match leaf {
                    MatchExpr::Phrase(_) => n += 1,
                    MatchExpr::List(l) => {
                        n += self.lists.get(&l.name).map_or(0, |l| l.phrases.len())
                    }
                    _ => {}
                });
            }
        }
        n
    }
}
