//! The parts of a rubric (spec §2) that are not rules: match expressions, lists, speakers,
//! scoring, and the fields every rule has. Read-only: made by the checker (`crate::check`),
//! each item with its place in the source. See [`crate::Rubric`] for the whole.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::options::{Builtin, GroupBy, Negation, Role, Severity, Window};
use crate::pattern::Pattern;
use crate::source::Place as Pos;

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
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
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
    /// Per category (named by some rule): the most that the category's rules together deduct.
    /// Per-rule caps apply first; the cap is then allocated to findings in report order.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(schema_with = "crate::schema::category_caps")]
    pub(crate) category_caps: IndexMap<String, f64>,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            base: 100.0,
            pass: 60.0,
            max: None,
            category_caps: IndexMap::new(),
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

    /// `category_caps`: per category, the most its rules together deduct.
    pub fn category_caps(&self) -> &IndexMap<String, f64> {
        &self.category_caps
    }

    /// The cap of a category, if it has one.
    pub fn category_cap(&self, category: &str) -> Option<f64> {
        self.category_caps.get(category).copied()
    }
}

/// A named list (`lists:`), used as `"@name"`: phrases, and `{regex: …}` items. A reference
/// matches where any of them matches. Written back (see [`crate::Rubric::to_json`]) as its
/// phrases, then its regexes.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub(crate) phrases: Vec<Phrase>,
    pub(crate) regexes: Vec<RegexItem>,
    pub(crate) pos: Pos,
}

impl List {
    /// The list's phrases (its `{regex}` items are in [`List::regexes`]).
    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    /// The list's `{regex: …}` items, compiled, in list order.
    pub fn regexes(&self) -> &[RegexItem] {
        &self.regexes
    }

    /// 1-based (line, column) of the list's name in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

impl Serialize for List {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.phrases.len() + self.regexes.len()))?;
        for p in &self.phrases {
            seq.serialize_element(&p.text)?;
        }
        for r in &self.regexes {
            seq.serialize_element(&OneEntry("regex", r.as_str()))?;
        }
        seq.end()
    }
}

/// A named match expression (`patterns:`), used as `"$name"`. Stored with its own references
/// expanded; every use of it in a rule holds a copy of [`NamedPattern::expr`].
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPattern {
    pub(crate) expr: MatchExpr,
    pub(crate) pos: Pos,
}

impl NamedPattern {
    /// The expression, with any `"$name"` in it replaced by that pattern's expression.
    pub fn expr(&self) -> &MatchExpr {
        &self.expr
    }

    /// 1-based (line, column) of the pattern's name in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

impl Serialize for NamedPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.expr.serialize(s)
    }
}

/// `{key: value}`, as a value to serialize inside a sequence.
struct OneEntry<'a>(&'static str, &'a str);

impl Serialize for OneEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        one(s, self.0, self.1)
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
            // a phrase that starts with `@` or `$` is written so it is not read back as a list or
            // a pattern
            MatchExpr::Phrase(p) if p.text.starts_with(['@', '$']) => one(s, "phrase", &p.text),
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
    /// Whose turns count (default customer for `when`, agent for `expect`, any for `only_if`).
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
    /// The rule applies only to a conversation where this side matched in some turn of its
    /// role: `{role, match}` (role default `any`), or just the match. Matched with the rule's
    /// `negation` and `word`, not its `except`. Elsewhere the rule is not applicable.
    #[schemars(with = "Option<crate::schema::SideForm>")]
    pub only_if: Option<Side>,
    #[schemars(skip)]
    pub pos: Pos,
}

/// `redact`: the personal data masked in every piece of transcript text the engine hands out
/// (a finding's `text`, tables, the HTML report, `qa watch`), one code point for one, so offsets
/// stay valid. Rules still match the original text. See `Engine::redact_text`.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Redact {
    /// Built-in kinds of personal data to mask: `phone_cn`, `id_cn`, `bank_card`, `email`.
    #[schemars(with = "Option<Vec<Builtin>>")]
    pub(crate) builtin: Vec<Builtin>,
    /// More to mask: phrases, `"@list"`, `{regex}`, `"$pattern"` (any match expression), matched
    /// as rules match (the rubric's `normalize`, but never hidden by `normalize.strip`).
    #[schemars(rename = "match", with = "Option<MatchExpr>")]
    pub(crate) matcher: Vec<MatchExpr>,
    /// The one character each masked character becomes (default `*`).
    #[schemars(with = "Option<char>")]
    pub(crate) mask: char,
    #[schemars(skip)]
    pub(crate) pos: Pos,
}

impl Redact {
    /// The built-in kinds masked, each once, in rubric order.
    pub fn builtin(&self) -> &[Builtin] {
        &self.builtin
    }

    /// The `match` items (empty when none).
    pub fn matcher(&self) -> &[MatchExpr] {
        &self.matcher
    }

    /// The mask character.
    pub fn mask(&self) -> char {
        self.mask
    }

    /// 1-based (line, column) of `redact` in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

impl Serialize for Redact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.builtin.is_empty() {
            m.serialize_entry("builtin", &self.builtin)?;
        }
        if !self.matcher.is_empty() {
            m.serialize_entry("match", &self.matcher)?;
        }
        m.serialize_entry("mask", &self.mask)?;
        m.end()
    }
}

/// What a threshold measures over a group of conversations.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Metric {
    /// The mean score.
    MeanScore,
    /// The share of conversations that passed.
    PassRate,
    /// The share of conversations with a fatal finding.
    FatalRate,
    /// Findings (of any rule) per conversation.
    FindingsPerConversation,
    /// `rule_rate:<rule id>`: the share of conversations with at least one finding of the rule.
    RuleRate(String),
}

impl Metric {
    /// The plain metric names (`rule_rate:<rule id>` aside).
    pub const NAMES: [&'static str; 4] = [
        "mean_score",
        "pass_rate",
        "fatal_rate",
        "findings_per_conversation",
    ];

    /// The metric as written in a rubric (`mean_score`, `rule_rate:complaint`).
    pub fn name(&self) -> String {
        match self {
            Metric::MeanScore => "mean_score".into(),
            Metric::PassRate => "pass_rate".into(),
            Metric::FatalRate => "fatal_rate".into(),
            Metric::FindingsPerConversation => "findings_per_conversation".into(),
            Metric::RuleRate(rule) => format!("rule_rate:{rule}"),
        }
    }

    /// Reads a metric name; `None` for an unknown one (a `rule_rate:` rule id is not checked
    /// here).
    pub(crate) fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "mean_score" => Metric::MeanScore,
            "pass_rate" => Metric::PassRate,
            "fatal_rate" => Metric::FatalRate,
            "findings_per_conversation" => Metric::FindingsPerConversation,
            _ => Metric::RuleRate(name.strip_prefix("rule_rate:")?.to_string()),
        })
    }
}

/// Which side of its limit a threshold is breached on.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Breached when the value is strictly above the limit.
    Above(f64),
    /// Breached when the value is strictly below the limit.
    Below(f64),
}

impl Bound {
    /// The limit.
    pub fn limit(self) -> f64 {
        match self {
            Bound::Above(x) | Bound::Below(x) => x,
        }
    }

    /// Whether `value` breaches it: `value > limit` for `above`, `value < limit` for `below`
    /// (a value equal to the limit is no breach).
    pub fn breached_by(self, value: f64) -> bool {
        match self {
            Bound::Above(x) => value > x,
            Bound::Below(x) => value < x,
        }
    }
}

/// One entry of `thresholds`: an alert over many conversations (异常预警), judged per group by
/// [`ThresholdMonitor`](crate::ThresholdMonitor).
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub(crate) id: String,
    pub(crate) metric: Metric,
    pub(crate) by: GroupBy,
    pub(crate) bound: Bound,
    pub(crate) min_count: usize,
    pub(crate) pos: Pos,
}

impl Threshold {
    /// Its id, named in breaches.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What it measures.
    pub fn metric(&self) -> &Metric {
        &self.metric
    }

    /// What it groups conversations by.
    pub fn by(&self) -> GroupBy {
        self.by
    }

    /// `above` or `below`, with the limit.
    pub fn bound(&self) -> Bound {
        self.bound
    }

    /// Groups with fewer conversations are not judged (at least 1).
    pub fn min_count(&self) -> usize {
        self.min_count
    }

    /// 1-based (line, column) of the entry in the source.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.pos.0
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("metric", &self.metric.name())?;
        m.serialize_entry("by", &self.by)?;
        match self.bound {
            Bound::Above(x) => m.serialize_entry("above", &x)?,
            Bound::Below(x) => m.serialize_entry("below", &x)?,
        }
        m.serialize_entry("min_count", &self.min_count)?;
        m.end()
    }
}
