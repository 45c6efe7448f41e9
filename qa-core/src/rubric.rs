//! The rubric model (spec §2) and its checker.
//!
//! [`Rubric::from_yaml`], [`Rubric::from_json`], [`Rubric::from_toml`] and
//! [`Rubric::from_path`] read the text into a format-neutral tree ([`crate::source`]) and check
//! it whole: every problem becomes a [`Diagnostic`] with its place, rule id and fix, and all of
//! them are returned together in one [`RubricError`]. A [`Rubric`] that exists is valid.
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
//! assert_eq!(rubric.rules[0].id, "rude");
//! assert_eq!(rubric.phrase_count(), 2);
//! ```

use std::collections::HashSet;
use std::path::Path;

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Diagnostic, RubricError, RubricErrorKind as K};
use crate::limits::Limits;
use crate::source::{self, Format, Node, Pos, Value};

/// A checked rubric: how conversations are scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rubric {
    /// The rubric's name (`rubric:` in the file).
    #[serde(rename = "rubric")]
    pub name: String,
    /// Optional version, echoed in reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Which languages' negation words and segmentation apply.
    pub locale: Locale,
    /// How text and phrases are normalized before matching.
    pub normalize: Normalize,
    /// Speaker label → role.
    pub speakers: Speakers,
    /// Base, pass mark and maximum.
    pub scoring: Scoring,
    /// Named phrase lists, referenced as `"@name"`.
    pub lists: IndexMap<String, Vec<String>>,
    /// The rules, in rubric order.
    pub rules: Vec<Rule>,
}

/// Which languages' negation words and word segmentation apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Chinese.
    Zh,
    /// English.
    En,
    /// Both (the default).
    #[default]
    Auto,
}

/// Whether 繁體 is converted to 简体 before matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChineseForm {
    /// Convert traditional characters to simplified (the default).
    #[default]
    Simplified,
    /// Leave characters as they are.
    None,
}

/// Normalization applied to transcript text and to every phrase alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Normalize {
    /// Full-width ASCII forms (`ＡＢＣ１２３，`) → half-width. Default true.
    pub fullwidth: bool,
    /// Case-insensitive matching. Default true.
    pub case: bool,
    /// 繁體 → 简体. Default simplified.
    pub chinese: ChineseForm,
    /// Noise characters removed before matching. Default none.
    pub skip: String,
}

impl Default for Normalize {
    fn default() -> Self {
        Normalize {
            fullwidth: true,
            case: true,
            chinese: ChineseForm::Simplified,
            skip: String::new(),
        }
    }
}

/// Speaker labels of each role (matched case-insensitively).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speakers {
    /// Labels of the agent role.
    pub agent: Vec<String>,
    /// Labels of the customer role.
    pub customer: Vec<String>,
    /// Labels of the `other` role (any unlisted label is `other` too).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
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
    /// The role of a speaker label.
    ///
    /// ```
    /// let s = qa_core::Speakers::default();
    /// assert_eq!(s.role_of("Agent"), qa_core::Role::Agent);
    /// assert_eq!(s.role_of("客户"), qa_core::Role::Customer);
    /// assert_eq!(s.role_of("bot"), qa_core::Role::Other);
    /// ```
    pub fn role_of(&self, label: &str) -> Role {
        let label = label.trim();
        let eq = |l: &String| l.trim().to_lowercase() == label.to_lowercase();
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scoring {
    /// Score before deductions. Default 100.
    pub base: f64,
    /// Pass mark: passed = no fatal finding and score ≥ pass. Default 60.
    pub pass: f64,
    /// Highest possible score (bonuses cannot go past it). Default: `base`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
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

/// What a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A finding for every match in scope.
    Forbid,
    /// One finding when nothing in scope matches.
    Require,
    /// Every trigger (`when`) must be answered (`expect`) within a window.
    Respond,
    /// The agent's reply time after customer turns.
    ResponseTime,
    /// Gaps between turns.
    Silence,
    /// A turn that starts before the previous (other speaker's) turn ends.
    Overlap,
    /// The conversation's length.
    Duration,
    /// A turn nearly the same as an earlier one of the same role.
    Repeat,
}

impl RuleKind {
    /// Every kind, in spec order.
    pub const ALL: [RuleKind; 8] = [
        RuleKind::Forbid,
        RuleKind::Require,
        RuleKind::Respond,
        RuleKind::ResponseTime,
        RuleKind::Silence,
        RuleKind::Overlap,
        RuleKind::Duration,
        RuleKind::Repeat,
    ];

    /// The kind's name as written in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Forbid => "forbid",
            RuleKind::Require => "require",
            RuleKind::Respond => "respond",
            RuleKind::ResponseTime => "response_time",
            RuleKind::Silence => "silence",
            RuleKind::Overlap => "overlap",
            RuleKind::Duration => "duration",
            RuleKind::Repeat => "repeat",
        }
    }

    /// Whether the kind needs turn timestamps.
    pub fn needs_timestamps(self) -> bool {
        matches!(
            self,
            RuleKind::ResponseTime | RuleKind::Silence | RuleKind::Overlap | RuleKind::Duration
        )
    }
}

/// A role a speaker label maps to (plus `any` for rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The helpdesk side.
    Agent,
    /// The customer.
    Customer,
    /// Anyone else (a bot, the system).
    Other,
    /// Every role (rules only).
    Any,
}

impl Role {
    /// Whether a turn of role `turn_role` is in this rule role.
    pub fn covers(self, turn_role: Role) -> bool {
        self == Role::Any || self == turn_role
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information.
    Info,
    /// The default.
    Minor,
    /// Major.
    Major,
    /// Critical.
    Critical,
}

/// Whether a match right after a negation word counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Negation {
    /// Matches count whatever precedes them (the default).
    #[default]
    Keep,
    /// A match is dropped when a negation word ends at most 4 characters before it, in the same
    /// clause.
    Skip,
}

/// Which turns of the rule's role count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// The role's first N turns.
    First(usize),
    /// The role's last N turns.
    Last(usize),
    /// Turns with index in `[from, to]` (0-based over all turns, inclusive).
    Turns(usize, usize),
    /// Turns starting within `[from, to]` seconds (inclusive).
    Seconds(f64, f64),
}

/// How long a `respond` trigger waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Within {
    /// In the next N turns of the `expect` role.
    Turns(usize),
    /// In a turn of the `expect` role starting at most S seconds after the trigger ends.
    Seconds(f64),
}

/// Which agent turns `response_time` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The first agent reply only.
    First,
    /// Every agent reply (the default).
    #[default]
    Each,
}

/// One side of a `respond` rule: a role and what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// Whose turns count.
    pub role: Role,
    /// What must match.
    #[serde(rename = "match")]
    pub matcher: MatchExpr,
}

/// A match expression (spec §2 "Match expressions").
#[derive(Debug, Clone, PartialEq)]
pub enum MatchExpr {
    /// A literal phrase.
    Phrase(String),
    /// `"@name"`: every phrase of a list.
    List(String),
    /// A regular expression (the `regex` crate's syntax).
    Regex(String),
    /// All items within `within` characters of one another, in any order.
    Near {
        /// The items.
        items: Vec<MatchExpr>,
        /// Most characters between one item and the next.
        within: usize,
    },
    /// Any item.
    Any(Vec<MatchExpr>),
    /// Every item, in the same turn.
    All(Vec<MatchExpr>),
    /// The turn has no match of the item (inside `all`/`any`).
    Not(Box<MatchExpr>),
}

impl Serialize for MatchExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MatchExpr::Phrase(p) if p.starts_with('@') => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("phrase", p)?;
                m.end()
            }
            MatchExpr::Phrase(p) => s.serialize_str(p),
            MatchExpr::List(name) => s.serialize_str(&format!("@{name}")),
            MatchExpr::Regex(r) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("regex", r)?;
                m.end()
            }
            MatchExpr::Near { items, within } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("near", items)?;
                m.serialize_entry("within", within)?;
                m.end()
            }
            MatchExpr::Any(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            MatchExpr::All(items) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("all", items)?;
                m.end()
            }
            MatchExpr::Not(inner) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("not", inner)?;
                m.end()
            }
        }
    }
}

impl MatchExpr {
    /// Calls `f` on every leaf (phrase, list, regex) of the expression.
    pub fn for_each_leaf<'a>(&'a self, f: &mut impl FnMut(&'a MatchExpr)) {
        match self {
            MatchExpr::Phrase(_) | MatchExpr::List(_) | MatchExpr::Regex(_) => f(self),
            MatchExpr::Near { items, .. } | MatchExpr::Any(items) | MatchExpr::All(items) => {
                items.iter().for_each(|i| i.for_each_leaf(f))
            }
            MatchExpr::Not(inner) => inner.for_each_leaf(f),
        }
    }
}

/// One rule of a rubric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Unique id, `[A-Za-z0-9_.-]+`.
    pub id: String,
    /// Display name (defaults to the id in findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Category, for per-category subtotals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Message echoed in findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the rule checks.
    pub kind: RuleKind,
    /// Whose turns the rule looks at (default agent).
    pub role: Role,
    /// Which of those turns count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Severity of findings.
    pub severity: Severity,
    /// Points per finding.
    pub deduct: f64,
    /// Cap on what the rule takes in all (default: `deduct`, once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_deduct: Option<f64>,
    /// Points added when a `require` rule is met.
    pub bonus: f64,
    /// Any finding makes the score 0.
    pub fatal: bool,
    /// Findings are pushed at once in live sessions.
    pub alert: bool,
    /// Negation handling.
    pub negation: Negation,
    /// Match phrases on word boundaries only.
    pub word: bool,
    /// A match overlapping one of these in the same turn is not a match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<MatchExpr>,
    /// What to match (`forbid`, `require`).
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matcher: Option<MatchExpr>,
    /// Trigger side (`respond`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<Side>,
    /// Answer side (`respond`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Side>,
    /// Answer window (`respond`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
    /// First reply or each reply (`response_time`).
    pub scope: Scope,
    /// Upper bound in seconds (`response_time`, `silence`, `duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_seconds: Option<f64>,
    /// Lower bound in seconds (`duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_seconds: Option<f64>,
    /// Overlaps tolerated before findings (`overlap`).
    pub max_count: usize,
    /// Jaccard threshold (`repeat`).
    pub similarity: f64,
}

impl Rule {
    /// The most this rule can deduct in all: `max_deduct`, or `deduct` once.
    pub fn cap(&self) -> f64 {
        self.max_deduct.unwrap_or(self.deduct)
    }

    /// Whether this rule needs timestamps to run.
    pub fn needs_timestamps(&self) -> bool {
        self.kind.needs_timestamps()
            || matches!(self.window, Some(Window::Seconds(..)))
            || matches!(self.within, Some(Within::Seconds(_)))
    }

    /// The display name: `name`, or the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
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

    /// [`Rubric::from_path`] with explicit limits.
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let io_err =
            |msg: String| RubricError::single(Some(file.clone()), Diagnostic::new(K::Io, msg));
        let format = Format::from_path(path).ok_or_else(|| {
            io_err(
                "unknown rubric format: the file name must end in .yaml, .yml, .json or .toml"
                    .into(),
            )
        })?;
        let meta = std::fs::metadata(path).map_err(|e| io_err(format!("cannot read: {e}")))?;
        if meta.len() > limits.max_rubric_bytes as u64 {
            return Err(RubricError::single(
                Some(file),
                too_large(meta.len() as usize, limits),
            ));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| io_err(format!("cannot read: {e}")))?;
        Rubric::parse(&text, format, Some(&file), limits)
    }

    /// Reads a rubric in any format; `file` names it in errors.
    pub fn parse(
        text: &str,
        format: Format,
        file: Option<&str>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let file = file.map(str::to_string);
        if text.len() > limits.max_rubric_bytes {
            return Err(RubricError::single(file, too_large(text.len(), limits)));
        }
        let node = source::parse(text, format).map_err(|d| RubricError::single(file.clone(), d))?;
        let mut checker = Checker {
            diags: Vec::new(),
            rule: None,
            limits,
        };
        let rubric = checker.rubric(&node);
        match rubric {
            Some(r) if checker.diags.is_empty() => Ok(r),
            _ => {
                let mut diags = checker.diags;
                if diags.is_empty() {
                    diags.push(Diagnostic::new(K::InvalidValue, "invalid rubric"));
                }
                diags.sort_by_key(|d| (d.line.unwrap_or(usize::MAX), d.column.unwrap_or(0)));
                Err(RubricError::new(file, diags))
            }
        }
    }

    /// The rubric as JSON text that [`Rubric::from_json`] reads back into an equal rubric.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("a rubric always serializes");
        // each rule keeps only the fields of its kind, as the checker requires
        if let Some(rules) = value.get_mut("rules").and_then(|r| r.as_array_mut()) {
            for (rule, model) in rules.iter_mut().zip(&self.rules) {
                if let Some(obj) = rule.as_object_mut() {
                    let kind = kind_fields(model.kind);
                    obj.retain(|k, _| {
                        COMMON_FIELDS.contains(&k.as_str()) || kind.contains(&k.as_str())
                    });
                    if model.kind != RuleKind::Require {
                        obj.remove("bonus");
                    }
                }
            }
        }
        value.to_string()
    }

    /// Number of phrases in all rules and lists (after expanding `@name` references).
    pub fn phrase_count(&self) -> usize {
        let mut n = 0;
        for rule in &self.rules {
            for expr in rule_exprs(rule) {
                expr.for_each_leaf(&mut |leaf| match leaf {
                    MatchExpr::Phrase(_) => n += 1,
                    MatchExpr::List(name) => n += self.lists.get(name).map_or(0, Vec::len),
                    _ => {}
                });
            }
        }
        n
    }
}

/// Every match expression of a rule: `match`, `when`, `expect`, `except`.
pub(crate) fn rule_exprs(rule: &Rule) -> impl Iterator<Item = &MatchExpr> {
    rule.matcher
        .iter()
        .chain(rule.when.iter().map(|s| &s.matcher))
        .chain(rule.expect.iter().map(|s| &s.matcher))
        .chain(rule.except.iter())
}

fn too_large(len: usize, limits: &Limits) -> Diagnostic {
    Diagnostic::new(
        K::RubricTooLarge,
        format!(
            "the rubric is {len} bytes, over the limit of {} bytes",
            limits.max_rubric_bytes
        ),
    )
    .help("split it, or raise `Limits::max_rubric_bytes`")
}

/// The nearest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&word_l, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

const TOP_FIELDS: &[&str] = &[
    "rubric",
    "version",
    "locale",
    "normalize",
    "speakers",
    "scoring",
    "lists",
    "rules",
];
const COMMON_FIELDS: &[&str] = &[
    "id",
    "name",
    "category",
    "message",
    "kind",
    "severity",
    "deduct",
    "max_deduct",
    "bonus",
    "fatal",
    "alert",
];
const ALL_RULE_FIELDS: &[&str] = &[
    "id",
    "name",
    "category",
    "message",
    "kind",
    "role",
    "window",
    "severity",
    "deduct",
    "max_deduct",
    "bonus",
    "fatal",
    "alert",
    "negation",
    "word",
    "except",
    "match",
    "when",
    "expect",
    "within",
    "scope",
    "max_seconds",
    "min_seconds",
    "max_count",
    "similarity",
];
const KIND_NAMES: &[&str] = &[
    "forbid",
    "require",
    "respond",
    "response_time",
    "silence",
    "overlap",
    "duration",
    "repeat",
];

fn kind_fields(kind: RuleKind) -> &'static [&'static str] {
    match kind {
        RuleKind::Forbid | RuleKind::Require => {
            &["role", "window", "negation", "word", "except", "match"]
        }
        RuleKind::Respond => &[
            "role", "negation", "word", "except", "when", "expect", "within",
        ],
        RuleKind::ResponseTime => &["role", "scope", "max_seconds"],
        RuleKind::Silence => &["role", "max_seconds"],
        RuleKind::Overlap => &["role", "window", "max_count"],
        RuleKind::Duration => &["role", "max_seconds", "min_seconds"],
        RuleKind::Repeat => &["role", "window", "similarity"],
    }
}

struct Checker<'l> {
    diags: Vec<Diagnostic>,
    rule: Option<String>,
    limits: &'l Limits,
}

type Entries<'n> = &'n [(String, Pos, Node)];

fn get<'n>(entries: Entries<'n>, key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _, _)| k == key).map(|(_, _, n)| n)
}

impl Checker<'_> {
    fn err(&mut self, kind: K, pos: Pos, msg: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::new(kind, msg)
            .at(pos)
            .in_rule(self.rule.as_deref());
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.err(
            K::WrongType,
            node.pos,
            format!("`{what}` must be {expected}, found {}", node.type_name()),
        );
    }

    /// The entries of a mapping; reports keys outside `allowed` (with a suggestion) and keys in
    /// `known_elsewhere` as not applying here.
    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        known_elsewhere: &[&str],
        context: &str,
    ) -> Option<Entries<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut seen = HashSet::new();
        for (key, kpos, _) in entries {
            if !seen.insert(key.as_str()) {
                self.err(
                    K::InvalidValue,
                    *kpos,
                    format!("`{key}` is given twice in {what}"),
                );
                continue;
            }
            if allowed.contains(&key.as_str()) {
                continue;
            }
            if known_elsewhere.contains(&key.as_str()) {
                self.err(
                    K::UnknownField,
                    *kpos,
                    format!("field `{key}` does not apply {context}"),
                );
                continue;
            }
            let suggestion = suggest(key, allowed);
            let d = self.err(
                K::UnknownField,
                *kpos,
                format!("unknown field `{key}` in {what}"),
            );
            match suggestion {
                Some(s) => d.help = Some(format!("did you mean `{s}`?")),
                None => d.help = Some(format!("expected one of: {}", allowed.join(", "))),
            }
        }
        Some(entries)
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    /// A string; numbers are taken as their text (`version: 2026.11`).
    fn label(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, what, "true or false");
                None
            }
        }
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        let x = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => {
                self.wrong_type(node, what, "a number");
                return None;
            }
        };
        if !x.is_finite() {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}` must be a finite number"),
            );
            return None;
        }
        Some(x)
    }

    fn non_negative(&mut self, node: &Node, what: &str) -> Option<f64> {
        let x = self.number(node, what)?;
        if x < 0.0 {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}` must be 0 or more, found {x}"),
            );
            return None;
        }
        Some(x)
    }

    fn count(&mut self, node: &Node, what: &str, min: usize) -> Option<usize> {
        match node.value {
            Value::Int(i) if i >= min as i64 => Some(i as usize),
            Value::Int(i) => {
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!("`{what}` must be at least {min}, found {i}"),
                );
                None
            }
            _ => {
                self.wrong_type(node, what, "a whole number");
                None
            }
        }
    }

    fn choice<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let s = self.string(node, what)?;
        if let Some((_, v)) = options.iter().find(|(n, _)| *n == s) {
            return Some(*v);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let help = match suggest(&s, &names) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("expected one of: {}", names.join(", ")),
        };
        self.err(K::InvalidValue, node.pos, format!("invalid {what} `{s}`"))
            .help = Some(help);
        None
    }

    fn rubric(&mut self, node: &Node) -> Option<Rubric> {
        let entries = self.mapping(node, "the rubric", TOP_FIELDS, &[], "")?;
        let name = match get(entries, "rubric") {
            Some(n) => self.label(n, "rubric"),
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "missing field `rubric` (the rubric's name)",
                )
                .help = Some("add `rubric: <name>` at the top".into());
                None
            }
        };
        let version = get(entries, "version").and_then(|n| self.label(n, "version"));
        let locale = get(entries, "locale")
            .map(|n| {
                self.choice(
                    n,
                    "locale",
                    &[
                        ("zh", Locale::Zh),
                        ("en", Locale::En),
                        ("auto", Locale::Auto),
                    ],
                )
            })
            .unwrap_or(Some(Locale::Auto));
        let normalize = match get(entries, "normalize") {
            Some(n) => self.normalize(n),
            None => Some(Normalize::default()),
        };
        let speakers = match get(entries, "speakers") {
            Some(n) => self.speakers(n),
            None => Some(Speakers::default()),
        };
        let scoring = match get(entries, "scoring") {
            Some(n) => self.scoring(n),
            None => Some(Scoring::default()),
        };
        let lists = match get(entries, "lists") {
            Some(n) => self.lists(n, normalize.as_ref()),
            None => Some((IndexMap::new(), IndexMap::new())),
        };
        let rules = match get(entries, "rules") {
            Some(n) => self.rules(n, lists.as_ref().map(|l| &l.1), normalize.as_ref()),
            None => {
                self.err(K::MissingField, node.pos, "missing field `rules`")
                    .help = Some("add `rules:` with a list of rules".into());
                None
            }
        };
        let (lists, _) = lists?;
        let rubric = Rubric {
            name: name?,
            version,
            locale: locale?,
            normalize: normalize?,
            speakers: speakers?,
            scoring: scoring?,
            lists,
            rules: rules?,
        };
        let phrases = rubric.phrase_count();
        if phrases > self.limits.max_phrases {
            self.err(
                K::TooManyPhrases,
                node.pos,
                format!(
                    "the rubric has {phrases} phrases, over the limit of {}",
                    self.limits.max_phrases
                ),
            );
        }
        Some(rubric)
    }

    fn normalize(&mut self, node: &Node) -> Option<Normalize> {
        let entries = self.mapping(
            node,
            "normalize",
            &["fullwidth", "case", "chinese", "skip"],
            &[],
            "",
        )?;
        let mut n = Normalize::default();
        let mut ok = true;
        for (key, _, v) in entries {
            match key.as_str() {
                "fullwidth" => match self.boolean(v, "normalize.fullwidth") {
                    Some(b) => n.fullwidth = b,
                    None => ok = false,
                },
                "case" => match self.boolean(v, "normalize.case") {
                    Some(b) => n.case = b,
                    None => ok = false,
                },
                "chinese" => match self.choice(
                    v,
                    "normalize.chinese",
                    &[
                        ("simplified", ChineseForm::Simplified),
                        ("none", ChineseForm::None),
                    ],
                ) {
                    Some(c) => n.chinese = c,
                    None => ok = false,
                },
                "skip" => match self.string(v, "normalize.skip") {
                    Some(s) => n.skip = s,
                    None => ok = false,
                },
                _ => ok = false,
            }
        }
        ok.then_some(n)
    }

    fn speakers(&mut self, node: &Node) -> Option<Speakers> {
        let entries = self.mapping(node, "speakers", &["agent", "customer", "other"], &[], "")?;
        let mut s = Speakers::default();
        let mut ok = true;
        for (key, _, v) in entries {
            let labels = match &v.value {
                Value::Str(l) => Some(vec![l.clone()]),
                Value::Seq(items) => items
                    .iter()
                    .map(|i| self.label(i, &format!("speakers.{key}")))
                    .collect::<Option<Vec<_>>>(),
                _ => {
                    self.wrong_type(v, &format!("speakers.{key}"), "a list of labels");
                    None
                }
            };
            let Some(labels) = labels else {
                ok = false;
                continue;
            };
            match key.as_str() {
                "agent" => s.agent = labels,
                "customer" => s.customer = labels,
                "other" => s.other = labels,
                _ => ok = false,
            }
        }
        ok.then_some(s)
    }

    fn scoring(&mut self, node: &Node) -> Option<Scoring> {
        let entries = self.mapping(node, "scoring", &["base", "pass", "max"], &[], "")?;
        let mut s = Scoring::default();
        let mut ok = true;
        for (key, _, v) in entries {
            let x = self.non_negative(v, &format!("scoring.{key}"));
            match (key.as_str(), x) {
                ("base", Some(x)) => s.base = x,
                ("pass", Some(x)) => s.pass = x,
                ("max", Some(x)) => s.max = Some(x),
                _ => ok = false,
            }
        }
        ok.then_some(s)
    }

    /// Lists by name, and the position of each list's first item (for messages).
    #[allow(clippy::type_complexity)]
    fn lists(
        &mut self,
        node: &Node,
        normalize: Option<&Normalize>,
    ) -> Option<(IndexMap<String, Vec<String>>, IndexMap<String, Pos>)> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "lists", "a mapping of name → phrases");
            return None;
        };
        let mut lists = IndexMap::new();
        let mut places = IndexMap::new();
        let mut ok = true;
        for (name, kpos, v) in entries {
            let Value::Seq(items) = &v.value else {
                self.wrong_type(v, &format!("lists.{name}"), "a list of phrases");
                ok = false;
                continue;
            };
            let mut phrases = Vec::with_capacity(items.len());
            for item in items {
                match self.string(item, &format!("item of lists.{name}")) {
                    Some(p) if self.phrase_ok(&p, item.pos, normalize) => phrases.push(p),
                    _ => ok = false,
                }
            }
            lists.insert(name.clone(), phrases);
            places.insert(name.clone(), *kpos);
        }
        ok.then_some((lists, places))
    }

    /// Checks a literal phrase: not empty (after normalization), within the length limit.
    fn phrase_ok(&mut self, phrase: &str, pos: Pos, normalize: Option<&Normalize>) -> bool {
        let chars = phrase.chars().count();
        if chars > self.limits.max_phrase_chars {
            self.err(
                K::PhraseTooLong,
                pos,
                format!(
                    "a phrase of {chars} characters, over the limit of {}",
                    self.limits.max_phrase_chars
                ),
            );
            return false;
        }
        let empty = match normalize {
            Some(n) => crate::normalize::Normalizer::new(n)
                .normalize_phrase(phrase)
                .is_empty(),
            None => phrase.is_empty(),
        };
        if empty {
            self.err(
                K::InvalidValue,
                pos,
                "an empty phrase (or one made only of `normalize.skip` characters) would match everywhere",
            );
            return false;
        }
        true
    }

    fn rules(
        &mut self,
        node: &Node,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
    ) -> Option<Vec<Rule>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "rules", "a list of rules");
            return None;
        };
        if items.len() > self.limits.max_rules {
            self.err(
                K::TooManyRules,
                node.pos,
                format!(
                    "the rubric has {} rules, over the limit of {}",
                    items.len(),
                    self.limits.max_rules
                ),
            );
            return None;
        }
        let mut rules = Vec::with_capacity(items.len());
        let mut ids: std::collections::HashMap<String, Pos> = Default::default();
        let mut ok = true;
        for item in items {
            // the id first, so every message about this rule names it
            self.rule = None;
            let id_node = match &item.value {
                Value::Map(e) => get(e, "id"),
                _ => None,
            };
            if let Some(Value::Str(id)) = id_node.map(|n| &n.value) {
                self.rule = Some(id.clone());
            }
            let rule = self.rule_item(item, lists, normalize);
            if let Some(Node {
                pos,
                value: Value::Str(id),
            }) = id_node
            {
                if let Some(first) = ids.get(id) {
                    let first = first.map(|(l, c)| format!(" (first at line {l}, column {c})"));
                    self.err(
                        K::DuplicateId,
                        *pos,
                        format!("duplicate rule id `{id}`{}", first.unwrap_or_default()),
                    )
                    .help = Some("give every rule its own id".into());
                    ok = false;
                } else {
                    ids.insert(id.clone(), *pos);
                }
            }
            match rule {
                Some(r) => rules.push(r),
                None => ok = false,
            }
        }
        self.rule = None;
        ok.then_some(rules)
    }

    fn rule_item(
        &mut self,
        node: &Node,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
    ) -> Option<Rule> {
        let Value::Map(raw) = &node.value else {
            self.wrong_type(node, "a rule", "a mapping");
            return None;
        };
        let kind = match get(raw, "kind") {
            Some(n) => match &n.value {
                Value::Str(s) => match KIND_NAMES.iter().position(|k| k == s) {
                    Some(i) => Some(RuleKind::ALL[i]),
                    None => {
                        let help = match suggest(s, KIND_NAMES) {
                            Some(k) => format!("did you mean `{k}`?"),
                            None => format!("expected one of: {}", KIND_NAMES.join(", ")),
                        };
                        self.err(K::UnknownKind, n.pos, format!("unknown kind `{s}`"))
                            .help = Some(help);
                        None
                    }
                },
                _ => {
                    self.wrong_type(n, "kind", "a string");
                    None
                }
            },
            None => {
                self.err(K::MissingField, node.pos, "missing field `kind`")
                    .help = Some(format!("one of: {}", KIND_NAMES.join(", ")));
                None
            }
        };
        let allowed: Vec<&str> = match kind {
            Some(k) => COMMON_FIELDS
                .iter()
                .chain(kind_fields(k))
                .copied()
                .collect(),
            None => ALL_RULE_FIELDS.to_vec(),
        };
        let context = kind.map_or(String::new(), |k| {
            format!("to rules of kind `{}`", k.as_str())
        });
        let entries = self.mapping(node, "a rule", &allowed, ALL_RULE_FIELDS, &context)?;
        let mut ok = kind.is_some();

        let id = match get(entries, "id") {
            Some(n) => match self.string(n, "id") {
                Some(id) if valid_id(&id) => Some(id),
                Some(id) => {
                    self.err(
                        K::InvalidValue,
                        n.pos,
                        format!("invalid rule id `{id}`: use letters, digits, `_`, `.` and `-`"),
                    );
                    None
                }
                None => None,
            },
            None => {
                self.err(K::MissingField, node.pos, "missing field `id`")
                    .help = Some("every rule needs a unique `id`".into());
                None
            }
        };
        let kind_known = kind.is_some();
        let kind = kind.unwrap_or(RuleKind::Forbid);
        let mut rule = Rule {
            id: id.clone().unwrap_or_default(),
            name: None,
            category: None,
            message: None,
            kind,
            role: Role::Agent,
            window: None,
            severity: Severity::Minor,
            deduct: 0.0,
            max_deduct: None,
            bonus: 0.0,
            fatal: false,
            alert: false,
            negation: Negation::Keep,
            word: false,
            except: Vec::new(),
            matcher: None,
            when: None,
            expect: None,
            within: None,
            scope: Scope::Each,
            max_seconds: None,
            min_seconds: None,
            max_count: 0,
            similarity: 0.8,
        };
        ok &= id.is_some();
        let roles = [
            ("agent", Role::Agent),
            ("customer", Role::Customer),
            ("other", Role::Other),
            ("any", Role::Any),
        ];
        for (key, _, v) in entries {
            let good = match key.as_str() {
                "id" | "kind" => true,
                "name" => self.label(v, "name").map(|s| rule.name = Some(s)).is_some(),
                "category" => self
                    .label(v, "category")
                    .map(|s| rule.category = Some(s))
                    .is_some(),
                "message" => self
                    .string(v, "message")
                    .map(|s| rule.message = Some(s))
                    .is_some(),
                "role" => self
                    .choice(v, "role", &roles)
                    .map(|r| rule.role = r)
                    .is_some(),
                "window" => self.window(v).map(|w| rule.window = Some(w)).is_some(),
                "severity" => self
                    .choice(
                        v,
                        "severity",
                        &[
                            ("info", Severity::Info),
                            ("minor", Severity::Minor),
                            ("major", Severity::Major),
                            ("critical", Severity::Critical),
                        ],
                    )
                    .map(|s| rule.severity = s)
                    .is_some(),
                "deduct" => self
                    .non_negative(v, "deduct")
                    .map(|x| rule.deduct = x)
                    .is_some(),
                "max_deduct" => self
                    .non_negative(v, "max_deduct")
                    .map(|x| rule.max_deduct = Some(x))
                    .is_some(),
                "bonus" => match self.non_negative(v, "bonus") {
                    Some(x) if kind != RuleKind::Require && x > 0.0 => {
                        self.err(
                            K::InvalidValue,
                            v.pos,
                            format!(
                                "`bonus` applies to `require` rules only, not `{}`",
                                kind.as_str()
                            ),
                        );
                        false
                    }
                    Some(x) => {
                        rule.bonus = x;
                        true
                    }
                    None => false,
                },
                "fatal" => self.boolean(v, "fatal").map(|b| rule.fatal = b).is_some(),
                "alert" => self.boolean(v, "alert").map(|b| rule.alert = b).is_some(),
                "negation" => self
                    .choice(
                        v,
                        "negation",
                        &[("keep", Negation::Keep), ("skip", Negation::Skip)],
                    )
                    .map(|n| rule.negation = n)
                    .is_some(),
                "word" => self.boolean(v, "word").map(|b| rule.word = b).is_some(),
                "except" => self
                    .match_list(v, "except", lists, normalize)
                    .map(|items| rule.except = items)
                    .is_some(),
                "match" => self
                    .match_expr(v, "match", lists, normalize, 0)
                    .map(|m| rule.matcher = Some(m))
                    .is_some(),
                "when" => self
                    .side(v, "when", Role::Customer, lists, normalize)
                    .map(|s| rule.when = Some(s))
                    .is_some(),
                "expect" => self
                    .side(v, "expect", Role::Agent, lists, normalize)
                    .map(|s| rule.expect = Some(s))
                    .is_some(),
                "within" => self.within(v).map(|w| rule.within = Some(w)).is_some(),
                "scope" => self
                    .choice(
                        v,
                        "scope",
                        &[("first", Scope::First), ("each", Scope::Each)],
                    )
                    .map(|s| rule.scope = s)
                    .is_some(),
                "max_seconds" => self
                    .non_negative(v, "max_seconds")
                    .map(|x| rule.max_seconds = Some(x))
                    .is_some(),
                "min_seconds" => self
                    .non_negative(v, "min_seconds")
                    .map(|x| rule.min_seconds = Some(x))
                    .is_some(),
                "max_count" => self
                    .count(v, "max_count", 0)
                    .map(|c| rule.max_count = c)
                    .is_some(),
                "similarity" => match self.number(v, "similarity") {
                    Some(x) if x > 0.0 && x <= 1.0 => {
                        rule.similarity = x;
                        true
                    }
                    Some(x) => {
                        self.err(
                            K::InvalidValue,
                            v.pos,
                            format!("`similarity` must be in (0, 1], found {x}"),
                        );
                        false
                    }
                    None => false,
                },
                _ => false,
            };
            ok &= good;
        }
        // what each kind needs
        let mut need = |checker: &mut Self, field: &str, present: bool| {
            if !present {
                checker.err(
                    K::MissingField,
                    node.pos,
                    format!(
                        "missing field `{field}` (rules of kind `{}` need it)",
                        kind.as_str()
                    ),
                );
                ok = false;
            }
        };
        match kind {
            _ if !kind_known => {}
            RuleKind::Forbid | RuleKind::Require => {
                need(self, "match", get(entries, "match").is_some())
            }
            RuleKind::Respond => {
                need(self, "when", get(entries, "when").is_some());
                need(self, "expect", get(entries, "expect").is_some());
                if rule.within.is_none() {
                    rule.within = Some(Within::Turns(1));
                }
            }
            RuleKind::ResponseTime | RuleKind::Silence => {
                need(self, "max_seconds", get(entries, "max_seconds").is_some())
            }
            RuleKind::Duration => need(
                self,
                "max_seconds` or `min_seconds",
                get(entries, "max_seconds").is_some() || get(entries, "min_seconds").is_some(),
            ),
            RuleKind::Overlap | RuleKind::Repeat => {}
        }
        ok.then_some(rule)
    }

    fn window(&mut self, node: &Node) -> Option<Window> {
        let entries = self.mapping(
            node,
            "window",
            &["first", "last", "turns", "seconds"],
            &[],
            "",
        )?;
        if entries.len() != 1 {
            self.err(
                K::InvalidValue,
                node.pos,
                "`window` takes exactly one of `first`, `last`, `turns`, `seconds`",
            );
            return None;
        }
        let (key, _, v) = &entries[0];
        match key.as_str() {
            "first" => self.count(v, "window.first", 1).map(Window::First),
            "last" => self.count(v, "window.last", 1).map(Window::Last),
            "turns" => {
                let (a, b) = self.pair(v, "window.turns")?;
                let whole = |x: f64| x >= 0.0 && x.fract() == 0.0;
                if !whole(a) || !whole(b) {
                    self.err(
                        K::InvalidValue,
                        v.pos,
                        "`window.turns` takes two turn indexes: [from, to]",
                    );
                    return None;
                }
                Some(Window::Turns(a as usize, b as usize))
            }
            "seconds" => self
                .pair(v, "window.seconds")
                .map(|(a, b)| Window::Seconds(a, b)),
            _ => None,
        }
    }

    /// `[from, to]`, both non-negative, from ≤ to.
    fn pair(&mut self, node: &Node, what: &str) -> Option<(f64, f64)> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, what, "a list [from, to]");
            return None;
        };
        if items.len() != 2 {
            self.err(
                K::InvalidValue,
                node.pos,
                format!(
                    "`{what}` takes two values [from, to], found {}",
                    items.len()
                ),
            );
            return None;
        }
        let a = self.non_negative(&items[0], what)?;
        let b = self.non_negative(&items[1], what)?;
        if a > b {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}`: from ({a}) is after to ({b})"),
            );
            return None;
        }
        Some((a, b))
    }

    fn within(&mut self, node: &Node) -> Option<Within> {
        let entries = self.mapping(node, "within", &["turns", "seconds"], &[], "")?;
        if entries.len() != 1 {
            self.err(
                K::InvalidValue,
                node.pos,
                "`within` takes exactly one of `turns` or `seconds`",
            );
            return None;
        }
        let (key, _, v) = &entries[0];
        match key.as_str() {
            "turns" => self.count(v, "within.turns", 1).map(Within::Turns),
            "seconds" => self.non_negative(v, "within.seconds").map(Within::Seconds),
            _ => None,
        }
    }

    fn side(
        &mut self,
        node: &Node,
        what: &str,
        default_role: Role,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
    ) -> Option<Side> {
        let Value::Map(_) = &node.value else {
            // shorthand: `when: [a, b]`
            let matcher = self.match_expr(node, what, lists, normalize, 0)?;
            return Some(Side {
                role: default_role,
                matcher,
            });
        };
        let entries = self.mapping(node, what, &["role", "match"], &[], "")?;
        let role = match get(entries, "role") {
            Some(r) => self.choice(
                r,
                &format!("{what}.role"),
                &[
                    ("agent", Role::Agent),
                    ("customer", Role::Customer),
                    ("other", Role::Other),
                    ("any", Role::Any),
                ],
            ),
            None => Some(default_role),
        };
        let matcher = match get(entries, "match") {
            Some(m) => self.match_expr(m, &format!("{what}.match"), lists, normalize, 0),
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    format!("missing field `{what}.match`"),
                );
                None
            }
        };
        Some(Side {
            role: role?,
            matcher: matcher?,
        })
    }

    fn match_list(
        &mut self,
        node: &Node,
        what: &str,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
    ) -> Option<Vec<MatchExpr>> {
        match self.match_expr(node, what, lists, normalize, 0)? {
            MatchExpr::Any(items) => Some(items),
            one => Some(vec![one]),
        }
    }

    fn match_expr(
        &mut self,
        node: &Node,
        what: &str,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
        depth: usize,
    ) -> Option<MatchExpr> {
        if depth > self.limits.max_nesting {
            self.err(
                K::TooDeep,
                node.pos,
                format!(
                    "`{what}` is nested more than {} levels deep",
                    self.limits.max_nesting
                ),
            );
            return None;
        }
        match &node.value {
            // `12315` in a YAML list is a number; as a phrase it means its digits
            Value::Int(i) => {
                let p = i.to_string();
                self.phrase_ok(&p, node.pos, normalize)
                    .then_some(MatchExpr::Phrase(p))
            }
            Value::Str(s) => {
                if let Some(name) = s.strip_prefix('@') {
                    match lists {
                        Some(l) if l.contains_key(name) => Some(MatchExpr::List(name.to_string())),
                        Some(l) => {
                            let names: Vec<&str> = l.keys().map(String::as_str).collect();
                            let help = match suggest(name, &names) {
                                Some(n) => format!("did you mean `@{n}`?"),
                                None if names.is_empty() => "define it under `lists:`".to_string(),
                                None => format!("defined lists: {}", names.join(", ")),
                            };
                            self.err(
                                K::UndefinedList,
                                node.pos,
                                format!("undefined list `@{name}`"),
                            )
                            .help = Some(help);
                            None
                        }
                        None => None, // the lists themselves are broken, already reported
                    }
                } else if self.phrase_ok(s, node.pos, normalize) {
                    Some(MatchExpr::Phrase(s.clone()))
                } else {
                    None
                }
            }
            Value::Seq(items) => {
                if items.is_empty() {
                    self.err(
                        K::InvalidValue,
                        node.pos,
                        format!("`{what}` is an empty list"),
                    );
                    return None;
                }
                let parts: Vec<Option<MatchExpr>> = items
                    .iter()
                    .map(|i| self.match_expr(i, what, lists, normalize, depth + 1))
                    .collect();
                parts
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(MatchExpr::Any)
            }
            Value::Map(_) => {
                let entries = self.mapping(
                    node,
                    &format!("a match item of `{what}`"),
                    &["regex", "near", "within", "any", "all", "not", "phrase"],
                    &[],
                    "",
                )?;
                let keys: Vec<&str> = entries.iter().map(|(k, _, _)| k.as_str()).collect();
                match keys.as_slice() {
                    ["regex"] => self.regex(&entries[0].2),
                    ["phrase"] => {
                        let p = self.string(&entries[0].2, "phrase")?;
                        self.phrase_ok(&p, entries[0].2.pos, normalize)
                            .then_some(MatchExpr::Phrase(p))
                    }
                    ["near", "within"] | ["within", "near"] => {
                        let near = get(entries, "near")?;
                        let within = self.count(get(entries, "within")?, "within", 0);
                        let items = self.sub_items(near, "near", lists, normalize, depth)?;
                        if items.len() < 2 || items.len() > 8 {
                            self.err(
                                K::InvalidValue,
                                near.pos,
                                format!("`near` takes 2 to 8 items, found {}", items.len()),
                            );
                            return None;
                        }
                        if items.iter().any(|i| matches!(i, MatchExpr::Not(_))) {
                            self.err(K::InvalidValue, near.pos, "`not` cannot be a `near` item");
                            return None;
                        }
                        Some(MatchExpr::Near {
                            items,
                            within: within?,
                        })
                    }
                    ["near"] => {
                        self.err(
                            K::MissingField,
                            node.pos,
                            "`near` needs `within` (characters)",
                        );
                        None
                    }
                    ["any"] => self
                        .sub_items(&entries[0].2, "any", lists, normalize, depth)
                        .map(MatchExpr::Any),
                    ["all"] => self
                        .sub_items(&entries[0].2, "all", lists, normalize, depth)
                        .map(MatchExpr::All),
                    ["not"] => self
                        .match_expr(&entries[0].2, "not", lists, normalize, depth + 1)
                        .map(|m| MatchExpr::Not(Box::new(m))),
                    _ => {
                        self.err(
                            K::InvalidValue,
                            node.pos,
                            format!(
                                "a match item is one of {{regex}}, {{near, within}}, {{any}}, {{all}}, {{not}}; found keys {}",
                                keys.join(", ")
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(node, what, "a phrase, a list or a match item");
                None
            }
        }
    }

    fn sub_items(
        &mut self,
        node: &Node,
        what: &str,
        lists: Option<&IndexMap<String, Pos>>,
        normalize: Option<&Normalize>,
        depth: usize,
    ) -> Option<Vec<MatchExpr>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, what, "a list");
            return None;
        };
        if items.is_empty() {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}` is an empty list"),
            );
            return None;
        }
        items
            .iter()
            .map(|i| self.match_expr(i, what, lists, normalize, depth + 1))
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }

    fn regex(&mut self, node: &Node) -> Option<MatchExpr> {
        let pattern = self.string(node, "regex")?;
        match crate::matcher::compile_regex(&pattern, true, self.limits) {
            Ok(_) => Some(MatchExpr::Regex(pattern)),
            Err((kind, msg)) => {
                self.err(kind, node.pos, msg);
                None
            }
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
