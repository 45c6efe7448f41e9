//! A deliberately naive reference implementation of the rubric contract
//! (`shared/spec/rubric-v1.md` §1–§3, plus the engine choices documented in `docs/rubric.md`),
//! written straight from the words of the spec and sharing no code with qa-core: text is
//! normalized one character at a time, every occurrence of every phrase is found by brute
//! force, `near` tries every combination of item occurrences, and rules are evaluated over the
//! whole transcript at once (no streaming state).
//!
//! It also holds the model of a generated rubric and transcript and renders both to the text
//! formats the engine reads (YAML and JSON), so the engine is driven only through its public
//! API.
//!
//! Scope of the model (what the differential test generates):
//! - phrases over a small alphabet; regexes limited to `o+` and `\d`, whose matches are easy to
//!   enumerate exactly (leftmost, non-overlapping, as the `regex` crate's `find_iter`);
//! - `word: true` only on rules whose every phrase normalizes to ASCII letters/digits, so that a
//!   boundary never lies between two Chinese characters (that case needs jieba);
//! - no `repeat` rules (jieba segmentation);
//! - transcripts either fully timestamped (every turn has `start`, non-decreasing; `end`
//!   optional) or without any time at all.

#![allow(dead_code)]

use std::fmt::Write as _;

// ------------------------------------------------------------------------------------------
// The model
// ------------------------------------------------------------------------------------------

/// A role, as the rubric names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Customer,
    Other,
    Any,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
            Role::Other => "other",
            Role::Any => "any",
        }
    }

    /// Whether a turn of role `r` (never `Any`) is one of this role's turns.
    fn covers(self, r: Role) -> bool {
        self == Role::Any || self == r
    }
}

/// The two regexes the model knows how to enumerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Re {
    /// `o+`
    OPlus,
    /// `\d`
    Digit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    Phrase(String),
    /// `@l{index}`
    List(usize),
    Regex(Re),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Leaf(Leaf),
    Any(Vec<Leaf>),
    /// `(is_not, item)`
    All(Vec<(bool, Leaf)>),
    Near(Vec<Leaf>, usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    First(usize),
    Last(usize),
    Turns(usize, usize),
    Seconds(f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Within {
    Turns(usize),
    Seconds(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Forbid(Vec<Expr>),
    Require(Vec<Expr>),
    Respond {
        when_role: Option<Role>,
        when: Vec<Expr>,
        expect_role: Option<Role>,
        expect: Vec<Expr>,
        /// `None`: the default, `{turns: 1}`.
        within: Option<Within>,
    },
    ResponseTime {
        /// `None`: the default (`each`); `Some(true)`: `first`.
        first: Option<bool>,
        max: f64,
    },
    Silence(f64),
    Overlap(Option<usize>),
    Duration {
        max: Option<f64>,
        min: Option<f64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: Kind,
    pub role: Option<Role>,
    pub window: Option<Window>,
    pub severity: Option<&'static str>,
    pub category: Option<&'static str>,
    pub deduct: Option<f64>,
    pub max_deduct: Option<f64>,
    pub bonus: Option<f64>,
    pub fatal: bool,
    pub alert: bool,
    pub negation_skip: bool,
    pub word: bool,
    pub except: Vec<Leaf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Normalize {
    /// `None`: not written (default true).
    pub fullwidth: Option<bool>,
    pub case: Option<bool>,
    /// `Some(false)`: `chinese: none`; `Some(true)`: `chinese: simplified`.
    pub simplified: Option<bool>,
    pub skip: String,
}

impl Normalize {
    fn fullwidth(&self) -> bool {
        self.fullwidth.unwrap_or(true)
    }
    fn case(&self) -> bool {
        self.case.unwrap_or(true)
    }
    fn simplified(&self) -> bool {
        self.simplified.unwrap_or(true)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rubric {
    /// `None` (auto), `zh`, `en`, `auto`.
    pub locale: Option<&'static str>,
    pub normalize: Option<Normalize>,
    /// `speakers: {agent: [...]}`, replacing the agent's default labels.
    pub agent_labels: Option<Vec<&'static str>>,
    pub base: Option<f64>,
    pub pass: Option<f64>,
    pub max: Option<f64>,
    pub lists: Vec<Vec<String>>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub speaker: &'static str,
    pub text: String,
    pub start: Option<f64>,
    pub end: Option<f64>,
}

// ------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------

/// A YAML (and JSON) double-quoted string.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn leaf_yaml(l: &Leaf) -> String {
    match l {
        Leaf::Phrase(p) => q(p),
        Leaf::List(i) => q(&format!("@l{i}")),
        Leaf::Regex(Re::OPlus) => "{regex: \"o+\"}".to_string(),
        Leaf::Regex(Re::Digit) => "{regex: \"\\\\d\"}".to_string(),
    }
}

fn leaves_yaml(ls: &[Leaf]) -> String {
    ls.iter().map(leaf_yaml).collect::<Vec<_>>().join(", ")
}

fn expr_yaml(e: &Expr) -> String {
    match e {
        Expr::Leaf(l) => leaf_yaml(l),
        Expr::Any(ls) => format!("{{any: [{}]}}", leaves_yaml(ls)),
        Expr::All(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|(not, l)| {
                    if *not {
                        format!("{{not: {}}}", leaf_yaml(l))
                    } else {
                        leaf_yaml(l)
                    }
                })
                .collect();
            format!("{{all: [{}]}}", items.join(", "))
        }
        Expr::Near(ls, within) => format!("{{near: [{}], within: {within}}}", leaves_yaml(ls)),
    }
}

fn match_yaml(m: &[Expr]) -> String {
    format!(
        "[{}]",
        m.iter().map(expr_yaml).collect::<Vec<_>>().join(", ")
    )
}

fn window_yaml(w: &Window) -> String {
    match w {
        Window::First(n) => format!("{{first: {n}}}"),
        Window::Last(n) => format!("{{last: {n}}}"),
        Window::Turns(a, b) => format!("{{turns: [{a}, {b}]}}"),
        Window::Seconds(a, b) => format!("{{seconds: [{a}, {b}]}}"),
    }
}

impl Rubric {
    /// The rubric as YAML text.
    pub fn to_yaml(&self) -> String {
        let mut y = String::from("rubric: generated\n");
        if let Some(l) = self.locale {
            writeln!(y, "locale: {l}").unwrap();
        }
        if let Some(n) = &self.normalize {
            let mut parts = Vec::new();
            if let Some(b) = n.fullwidth {
                parts.push(format!("fullwidth: {b}"));
            }
            if let Some(b) = n.case {
                parts.push(format!("case: {b}"));
            }
            if let Some(b) = n.simplified {
                parts.push(format!(
                    "chinese: {}",
                    if b { "simplified" } else { "none" }
                ));
            }
            if !n.skip.is_empty() {
                parts.push(format!("skip: {}", q(&n.skip)));
            }
            writeln!(y, "normalize: {{{}}}", parts.join(", ")).unwrap();
        }
        if let Some(labels) = &self.agent_labels {
            let labels: Vec<String> = labels.iter().map(|l| q(l)).collect();
            writeln!(y, "speakers: {{agent: [{}]}}", labels.join(", ")).unwrap();
        }
        let mut scoring = Vec::new();
        if let Some(b) = self.base {
            scoring.push(format!("base: {b}"));
        }
        if let Some(p) = self.pass {
            scoring.push(format!("pass: {p}"));
        }
        if let Some(m) = self.max {
            scoring.push(format!("max: {m}"));
        }
        if !scoring.is_empty() {
            writeln!(y, "scoring: {{{}}}", scoring.join(", ")).unwrap();
        }
        if !self.lists.is_empty() {
            y.push_str("lists:\n");
            for (i, l) in self.lists.iter().enumerate() {
                let items: Vec<String> = l.iter().map(|p| q(p)).collect();
                writeln!(y, "  l{i}: [{}]", items.join(", ")).unwrap();
            }
        }
        y.push_str("rules:\n");
        if self.rules.is_empty() {
            y = y.replace("rules:\n", "rules: []\n");
        }
        for (i, r) in self.rules.iter().enumerate() {
            writeln!(y, "  - id: r{i}").unwrap();
            let mut f = |k: &str, v: String| writeln!(y, "    {k}: {v}").unwrap();
            match &r.kind {
                Kind::Forbid(m) => {
                    f("kind", "forbid".into());
                    f("match", match_yaml(m));
                }
                Kind::Require(m) => {
                    f("kind", "require".into());
                    f("match", match_yaml(m));
                }
                Kind::Respond {
                    when_role,
                    when,
                    expect_role,
                    expect,
                    within,
                } => {
                    f("kind", "respond".into());
                    let side = |role: &Option<Role>, m: &[Expr]| match role {
                        Some(r) => format!("{{role: {}, match: {}}}", r.name(), match_yaml(m)),
                        None => format!("{{match: {}}}", match_yaml(m)),
                    };
                    f("when", side(when_role, when));
                    f("expect", side(expect_role, expect));
                    match within {
                        Some(Within::Turns(n)) => f("within", format!("{{turns: {n}}}")),
                        Some(Within::Seconds(s)) => f("within", format!("{{seconds: {s}}}")),
                        None => {}
                    }
                }
                Kind::ResponseTime { first, max } => {
                    f("kind", "response_time".into());
                    match first {
                        Some(true) => f("scope", "first".into()),
                        Some(false) => f("scope", "each".into()),
                        None => {}
                    }
                    f("max_seconds", format!("{max}"));
                }
                Kind::Silence(max) => {
                    f("kind", "silence".into());
                    f("max_seconds", format!("{max}"));
                }
                Kind::Overlap(max_count) => {
                    f("kind", "overlap".into());
                    if let Some(n) = max_count {
                        f("max_count", format!("{n}"));
                    }
                }
                Kind::Duration { max, min } => {
                    f("kind", "duration".into());
                    if let Some(m) = max {
                        f("max_seconds", format!("{m}"));
                    }
                    if let Some(m) = min {
                        f("min_seconds", format!("{m}"));
                    }
                }
            }
            if let Some(role) = r.role {
                f("role", role.name().into());
            }
            if let Some(w) = &r.window {
                f("window", window_yaml(w));
            }
            if let Some(s) = r.severity {
                f("severity", s.into());
            }
            if let Some(c) = r.category {
                f("category", q(c));
            }
            if let Some(d) = r.deduct {
                f("deduct", format!("{d}"));
            }
            if let Some(d) = r.max_deduct {
                f("max_deduct", format!("{d}"));
            }
            if let Some(b) = r.bonus {
                f("bonus", format!("{b}"));
            }
            if r.fatal {
                f("fatal", "true".into());
            }
            if r.alert {
                f("alert", "true".into());
            }
            if r.negation_skip {
                f("negation", "skip".into());
            }
            if r.word {
                f("word", "true".into());
            }
            if !r.except.is_empty() {
                f("except", format!("[{}]", leaves_yaml(&r.except)));
            }
        }
        y
    }
}

/// The transcript as JSON text.
pub fn transcript_json(turns: &[Turn]) -> String {
    let turns: Vec<serde_json::Value> = turns
        .iter()
        .map(|t| {
            let mut o = serde_json::json!({"speaker": t.speaker, "text": t.text});
            if let Some(s) = t.start {
                o["start"] = s.into();
            }
            if let Some(e) = t.end {
                o["end"] = e.into();
            }
            o
        })
        .collect();
    serde_json::json!({"id": "generated", "turns": turns}).to_string()
}

// ------------------------------------------------------------------------------------------
// Normalization (spec §2 `normalize`, character by character)
// ------------------------------------------------------------------------------------------

/// The traditional characters the generator uses, with their simplified forms.
pub const TRADITIONAL: &[(char, char)] = &[('這', '这'), ('沒', '没')];

fn norm_char(n: &Normalize, c: char) -> Vec<char> {
    let mut c = c;
    if n.simplified() {
        if let Some(&(_, s)) = TRADITIONAL.iter().find(|(t, _)| *t == c) {
            c = s;
        }
    }
    if n.fullwidth() {
        if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
            c = char::from_u32(c as u32 - 0xFEE0).expect("ASCII");
        } else if c == '\u{3000}' {
            c = ' ';
        }
    }
    if n.case() {
        c.to_lowercase().collect()
    } else {
        vec![c]
    }
}

/// A normalized text: its characters and, for each, the code-point index of the original
/// character it came from.
#[derive(Debug, Clone)]
pub struct NormText {
    pub chars: Vec<char>,
    pub orig: Vec<usize>,
}

pub fn normalize(n: &Normalize, text: &str) -> NormText {
    let skip: Vec<char> = n.skip.chars().flat_map(|c| norm_char(n, c)).collect();
    let mut out = NormText {
        chars: Vec::new(),
        orig: Vec::new(),
    };
    for (i, c) in text.chars().enumerate() {
        for m in norm_char(n, c) {
            if !skip.contains(&m) {
                out.chars.push(m);
                out.orig.push(i);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Matching
// ------------------------------------------------------------------------------------------

/// A match: normalized character indices `start..end`; `WHOLE` is the whole turn (a match made
/// only of `not` items).
type Span = (usize, usize);
const WHOLE: Span = (0, usize::MAX);

const ZH_NEGATORS: &[&str] = &[
    "不", "没", "未", "无", "别", "非", "莫", "勿", "不是", "不能", "不会", "绝不", "不要", "没有",
    "从不", "并非",
];
const ZH_NOT_NEGATIONS: &[&str] = &[
    "非常",
    "无论",
    "不错",
    "不过",
    "不久",
    "不少",
    "不断",
    "不仅",
    "不但",
    "无比",
    "别人",
    "别的",
    "不管",
    "未来",
    "无限",
    "非凡",
    "不然",
    "不如",
    "毫无疑问",
];
const EN_NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "can't",
    "cant",
    "cannot",
    "won't",
    "isn't",
    "aren't",
    "doesn't",
    "didn't",
    "wasn't",
    "weren't",
    "shouldn't",
    "wouldn't",
    "couldn't",
    "without",
    "nor",
    "neither",
];
const CLAUSE_BREAKS: &[char] = &[
    '，', '。', '！', '？', '；', ',', '.', '!', '?', ';', '\n', '\r',
];

/// "letters or digits" (spec: `word`, and English negations are whole words).
fn letter_or_digit(c: char) -> bool {
    c.is_alphanumeric()
}

fn occurrences(text: &[char], pat: &[char]) -> Vec<Span> {
    if pat.is_empty() || pat.len() > text.len() {
        return Vec::new();
    }
    (0..=text.len() - pat.len())
        .filter(|&i| text[i..i + pat.len()] == *pat)
        .map(|i| (i, i + pat.len()))
        .collect()
}

fn ends_at(text: &[char], e: usize, w: &[char]) -> bool {
    e >= w.len() && text[e - w.len()..e] == *w
}

struct Ctx<'a> {
    rubric: &'a Rubric,
    norm: Normalize,
    rule: &'a Rule,
    text: &'a [char],
}

impl Ctx<'_> {
    fn chars(&self, s: &str) -> Vec<char> {
        normalize(&self.norm, s).chars
    }

    /// Whether a negation word ends at most 4 characters before `start`, in the same clause.
    fn negated(&self, start: usize) -> bool {
        let t = self.text;
        let (zh, en) = match self.rubric.locale {
            Some("zh") => (true, false),
            Some("en") => (false, true),
            _ => (true, true),
        };
        for e in start.saturating_sub(4)..=start {
            if t[e..start].iter().any(|c| CLAUSE_BREAKS.contains(c)) {
                continue;
            }
            if zh {
                for w in ZH_NEGATORS {
                    let w: Vec<char> = w.chars().collect();
                    if !ends_at(t, e, &w) {
                        continue;
                    }
                    let a = e - w.len();
                    // a word that merely starts with (or holds) this negation character
                    let excluded = ZH_NOT_NEGATIONS.iter().any(|x| {
                        occurrences(t, &x.chars().collect::<Vec<_>>())
                            .iter()
                            .any(|&(s, e)| s <= a && a < e)
                    });
                    if !excluded {
                        return true;
                    }
                }
            }
            if en {
                for w in EN_NEGATORS {
                    let w: Vec<char> = w.chars().collect();
                    if !ends_at(t, e, &w) {
                        continue;
                    }
                    let a = e - w.len();
                    let before = a == 0 || !self.word_char(t[a - 1]);
                    let after = e == t.len() || !letter_or_digit(t[e]);
                    if before && after {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn boundary(&self, p: usize) -> bool {
        let t = self.text;
        p == 0 || p == t.len() || !(self.word_char(t[p - 1]) && self.word_char(t[p]))
    }

    fn word_char(&self, c: char) -> bool {
        letter_or_digit(c)
    }

    fn phrases(&self, l: &Leaf) -> Vec<String> {
        match l {
            Leaf::Phrase(p) => vec![p.clone()],
            Leaf::List(i) => self.rubric.lists[*i].clone(),
            Leaf::Regex(_) => Vec::new(),
        }
    }

    /// Occurrences of a leaf, with the rule's `negation` and `word` filters when `filter`.
    fn leaf(&self, l: &Leaf, filter: bool) -> Vec<Span> {
        let t = self.text;
        let mut out: Vec<Span> = match l {
            Leaf::Regex(re) => {
                let mut out = Vec::new();
                let mut i = 0;
                while i < t.len() {
                    match re {
                        Re::Digit => {
                            if t[i].is_ascii_digit() || t[i] == '１' {
                                out.push((i, i + 1));
                            }
                            i += 1;
                        }
                        Re::OPlus => {
                            let is_o = |c: char| c == 'o' || (self.norm.case() && c == 'O');
                            if is_o(t[i]) {
                                let s = i;
                                while i < t.len() && is_o(t[i]) {
                                    i += 1;
                                }
                                out.push((s, i));
                            } else {
                                i += 1;
                            }
                        }
                    }
                }
                if filter && self.rule.negation_skip {
                    out.retain(|s| !self.negated(s.0));
                }
                return out;
            }
            _ => self
                .phrases(l)
                .iter()
                .flat_map(|p| occurrences(t, &self.chars(p)))
                .collect(),
        };
        if filter && self.rule.negation_skip {
            out.retain(|s| !self.negated(s.0));
        }
        if filter && self.rule.word {
            out.retain(|s| self.boundary(s.0) && self.boundary(s.1));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every match of one expression (not merged).
    fn expr(&self, e: &Expr) -> Vec<Span> {
        match e {
            Expr::Leaf(l) => self.leaf(l, true),
            Expr::Any(ls) => ls.iter().flat_map(|l| self.leaf(l, true)).collect(),
            Expr::All(items) => {
                let mut spans = Vec::new();
                for (not, l) in items {
                    let occ = self.leaf(l, true);
                    if *not {
                        if !occ.is_empty() {
                            return Vec::new();
                        }
                    } else {
                        if occ.is_empty() {
                            return Vec::new();
                        }
                        spans.extend(occ);
                    }
                }
                if spans.is_empty() {
                    vec![WHOLE]
                } else {
                    let lo = spans.iter().map(|s| s.0).min().expect("non-empty");
                    let hi = spans.iter().map(|s| s.1).max().expect("non-empty");
                    vec![(lo, hi)]
                }
            }
            Expr::Near(ls, within) => {
                let occ: Vec<Vec<Span>> = ls.iter().map(|l| self.leaf(l, true)).collect();
                // (first item occurrence, end) of every match
                let mut out: Vec<((usize, usize, usize), usize)> = Vec::new();
                // every combination of one occurrence per item
                let mut idx = vec![0usize; occ.len()];
                if occ.iter().any(Vec::is_empty) {
                    return Vec::new();
                }
                loop {
                    // (start, end, item), in text order
                    let mut chosen: Vec<(usize, usize, usize)> = idx
                        .iter()
                        .enumerate()
                        .map(|(k, &i)| (occ[k][i].0, occ[k][i].1, k))
                        .collect();
                    chosen.sort_unstable();
                    let mut end = chosen[0].1;
                    let mut ok = true;
                    for s in &chosen[1..] {
                        // characters between the items so far and the next one
                        if s.0 > end + within {
                            ok = false;
                            break;
                        }
                        end = end.max(s.1);
                    }
                    if ok {
                        out.push((chosen[0], end));
                    }
                    // next combination
                    let mut k = 0;
                    loop {
                        if k == idx.len() {
                            let mut out: Vec<Span> = out.iter().map(|&(f, e)| (f.0, e)).collect();
                            out.sort_unstable();
                            out.dedup();
                            return out;
                        }
                        idx[k] += 1;
                        if idx[k] < occ[k].len() {
                            break;
                        }
                        idx[k] = 0;
                        k += 1;
                    }
                }
            }
        }
    }

    /// The matches of a rule's match list in this turn, after `except`, merged where they
    /// overlap, in order.
    fn matches(&self, m: &[Expr]) -> Vec<Span> {
        let mut all: Vec<Span> = m.iter().flat_map(|e| self.expr(e)).collect();
        let excepts: Vec<Span> = self
            .rule
            .except
            .iter()
            .flat_map(|l| self.leaf(l, false))
            .collect();
        let overlaps_except = |&(s, e): &Span| excepts.iter().any(|&(a, b)| a < e && s < b);
        all.retain(|s| !overlaps_except(s));
        all.sort_unstable();
        all.dedup();
        let mut merged: Vec<Span> = Vec::new();
        for s in all {
            match merged.last_mut() {
                Some(last) if s.0 < last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        merged
    }
}

// ------------------------------------------------------------------------------------------
// Scoring
// ------------------------------------------------------------------------------------------

/// What the test compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub score: f64,
    pub passed: bool,
    pub fatal: bool,
    pub findings: Vec<Finding>,
    pub skipped: Vec<(String, String)>,
    pub categories: Vec<(String, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub turn: Option<usize>,
    pub start: Option<usize>,
    pub end: Option<usize>,
    pub text: Option<String>,
    pub deduct: f64,
}

const DEFAULT_AGENT: &[&str] = &["agent", "helpdesk", "staff", "客服", "坐席", "b2c"];
const DEFAULT_CUSTOMER: &[&str] = &["customer", "user", "client", "客户", "用户", "c2b"];

fn role_of(rubric: &Rubric, label: &str) -> Role {
    let l = label.trim().to_lowercase();
    let agent: Vec<&str> = rubric
        .agent_labels
        .clone()
        .unwrap_or_else(|| DEFAULT_AGENT.to_vec());
    if agent.iter().any(|a| a.to_lowercase() == l) {
        Role::Agent
    } else if DEFAULT_CUSTOMER.iter().any(|a| a.to_lowercase() == l) {
        Role::Customer
    } else {
        Role::Other
    }
}

fn needs_timestamps(r: &Rule) -> bool {
    matches!(
        r.kind,
        Kind::ResponseTime { .. } | Kind::Silence(_) | Kind::Overlap(_) | Kind::Duration { .. }
    ) || matches!(r.window, Some(Window::Seconds(..)))
        || matches!(
            r.kind,
            Kind::Respond {
                within: Some(Within::Seconds(_)),
                ..
            }
        )
}

/// Scores `turns` with `rubric`, from the spec's words.
pub fn score(rubric: &Rubric, turns: &[Turn]) -> Outcome {
    let norm = rubric.normalize.clone().unwrap_or(Normalize {
        fullwidth: None,
        case: None,
        simplified: None,
        skip: String::new(),
    });
    let texts: Vec<NormText> = turns.iter().map(|t| normalize(&norm, &t.text)).collect();
    let roles: Vec<Role> = turns.iter().map(|t| role_of(rubric, t.speaker)).collect();
    let timed = turns.iter().any(|t| t.start.is_some() || t.end.is_some());
    let evidence = |i: usize, s: Span| -> (usize, usize, String) {
        let orig: Vec<char> = turns[i].text.chars().collect();
        let (a, b) = if s == WHOLE {
            (0, orig.len())
        } else {
            (texts[i].orig[s.0], texts[i].orig[s.1 - 1] + 1)
        };
        (a, b, orig[a..b].iter().collect())
    };

    // (rule index, finding) before caps
    let mut found: Vec<(usize, Finding)> = Vec::new();
    let mut met = vec![false; rubric.rules.len()];
    let mut skipped = Vec::new();
    for (r, rule) in rubric.rules.iter().enumerate() {
        if needs_timestamps(rule) && !timed {
            skipped.push((format!("r{r}"), "no timestamps".to_string()));
            continue;
        }
        let ctx = |i: usize| Ctx {
            rubric,
            norm: norm.clone(),
            rule,
            text: &texts[i].chars,
        };
        let finding = |turn: Option<usize>, ev: Option<(usize, usize, String)>| {
            let (start, end, text) = match ev {
                Some((a, b, t)) => (Some(a), Some(b), Some(t)),
                None => (None, None, None),
            };
            Finding {
                rule: format!("r{r}"),
                turn,
                start,
                end,
                text,
                deduct: rule.deduct.unwrap_or(0.0),
            }
        };
        let role = rule.role.unwrap_or(Role::Agent);
        // the turns in the rule's scope: of its role, in its window
        let in_scope: Vec<usize> = {
            let of_role: Vec<usize> = (0..turns.len())
                .filter(|&i| role.covers(roles[i]))
                .collect();
            let n = of_role.len();
            of_role
                .iter()
                .enumerate()
                .filter(|&(k, &i)| match rule.window {
                    None => true,
                    Some(Window::First(f)) => k < f,
                    Some(Window::Last(l)) => k + l >= n,
                    Some(Window::Turns(a, b)) => a <= i && i <= b,
                    Some(Window::Seconds(a, b)) => turns[i].start.is_some_and(|s| a <= s && s <= b),
                })
                .map(|(_, &i)| i)
                .collect()
        };
        match &rule.kind {
            Kind::Forbid(m) => {
                for &i in &in_scope {
                    for s in ctx(i).matches(m) {
                        found.push((r, finding(Some(i), Some(evidence(i, s)))));
                    }
                }
            }
            Kind::Require(m) => {
                met[r] = in_scope.iter().any(|&i| !ctx(i).matches(m).is_empty());
                let deduct = rule.deduct.unwrap_or(0.0);
                let bonus = rule.bonus.unwrap_or(0.0);
                let pure_bonus = bonus > 0.0 && deduct == 0.0;
                if !met[r] && !pure_bonus {
                    found.push((r, finding(None, None)));
                }
            }
            Kind::Respond {
                when_role,
                when,
                expect_role,
                expect,
                within,
            } => {
                let when_role = when_role.unwrap_or(Role::Customer);
                let expect_role = expect_role.unwrap_or(Role::Agent);
                let within = within.unwrap_or(Within::Turns(1));
                for i in 0..turns.len() {
                    if !when_role.covers(roles[i]) {
                        continue;
                    }
                    let Some(&first) = ctx(i).matches(when).first() else {
                        continue;
                    };
                    let answers = (i + 1..turns.len()).filter(|&j| expect_role.covers(roles[j]));
                    let candidates: Vec<usize> = match within {
                        Within::Turns(n) => answers.take(n).collect(),
                        Within::Seconds(s) => {
                            let t = &turns[i];
                            match t.end.or(t.start) {
                                Some(at) => answers
                                    .filter(|&j| turns[j].start.is_some_and(|x| x <= at + s))
                                    .collect(),
                                None => answers.collect(),
                            }
                        }
                    };
                    let answered = candidates
                        .iter()
                        .any(|&j| !ctx(j).matches(expect).is_empty());
                    if !answered {
                        found.push((r, finding(Some(i), Some(evidence(i, first)))));
                    }
                }
            }
            Kind::ResponseTime { first, max } => {
                let mut since: Option<Option<f64>> = None; // Some(start of the earliest waiting)
                for i in 0..turns.len() {
                    match roles[i] {
                        Role::Customer if since.is_none() => since = Some(turns[i].start),
                        Role::Agent => {
                            if let Some(c) = since.take() {
                                if let (Some(a), Some(c)) = (turns[i].start, c) {
                                    if a - c > *max {
                                        found.push((r, finding(Some(i), None)));
                                    }
                                }
                                if *first == Some(true) {
                                    break;
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Kind::Silence(max) => {
                for i in 1..turns.len() {
                    if !role.covers(roles[i]) {
                        continue;
                    }
                    let p = &turns[i - 1];
                    if let (Some(s), Some(prev)) = (turns[i].start, p.end.or(p.start)) {
                        if s - prev > *max {
                            found.push((r, finding(Some(i), None)));
                        }
                    }
                }
            }
            Kind::Overlap(max_count) => {
                let overlaps = in_scope.iter().filter(|&&i| {
                    i > 0 && {
                        let p = &turns[i - 1];
                        let other_speaker = p.speaker.trim().to_lowercase()
                            != turns[i].speaker.trim().to_lowercase();
                        other_speaker
                            && matches!((turns[i].start, p.end), (Some(s), Some(e)) if s < e)
                    }
                });
                for &i in overlaps.skip(max_count.unwrap_or(0)) {
                    found.push((r, finding(Some(i), None)));
                }
            }
            Kind::Duration { max, min } => {
                if let (Some(first), Some(last)) = (turns.first(), turns.last()) {
                    if let (Some(a), Some(b)) = (first.start, last.end.or(last.start)) {
                        let d = b - a;
                        if max.is_some_and(|m| d > m) || min.is_some_and(|m| d < m) {
                            found.push((r, finding(None, None)));
                        }
                    }
                }
            }
        }
    }

    // report order: turn (whole-conversation first), start, rule order
    found.sort_by(|(ra, a), (rb, b)| {
        (a.turn, a.start, ra, a.end).cmp(&(b.turn, b.start, rb, b.end))
    });
    let mut taken = vec![0.0f64; rubric.rules.len()];
    let mut categories: Vec<(String, f64, f64)> = Vec::new();
    for rule in &rubric.rules {
        if let Some(c) = rule.category {
            if !categories.iter().any(|x| x.0 == c) {
                categories.push((c.to_string(), 0.0, 0.0));
            }
        }
    }
    let mut deducted = 0.0;
    let mut fatal = false;
    for (r, f) in &mut found {
        let rule = &rubric.rules[*r];
        let deduct = rule.deduct.unwrap_or(0.0);
        let cap = rule.max_deduct.unwrap_or(deduct);
        let d = deduct.min((cap - taken[*r]).max(0.0));
        taken[*r] += d;
        f.deduct = d;
        deducted += d;
        fatal |= rule.fatal;
        if let Some(c) = rule.category {
            categories.iter_mut().find(|x| x.0 == c).expect("listed").1 += d;
        }
    }
    let mut bonus = 0.0;
    for (rule, &m) in rubric.rules.iter().zip(&met) {
        let b = rule.bonus.unwrap_or(0.0);
        if m && b > 0.0 {
            bonus += b;
            if let Some(c) = rule.category {
                categories.iter_mut().find(|x| x.0 == c).expect("listed").2 += b;
            }
        }
    }
    let base = rubric.base.unwrap_or(100.0);
    let max = rubric.max.unwrap_or(base);
    let score = if fatal {
        0.0
    } else {
        (base - deducted + bonus).max(0.0).min(max)
    };
    Outcome {
        score,
        passed: !fatal && score >= rubric.pass.unwrap_or(60.0),
        fatal,
        findings: found.into_iter().map(|(_, f)| f).collect(),
        skipped,
        categories,
    }
}

/// The same outcome read from an engine report (public fields only).
pub fn outcome_of(report: &qa_core::Report) -> Outcome {
    Outcome {
        score: report.score,
        passed: report.passed,
        fatal: report.fatal,
        findings: report
            .findings
            .iter()
            .map(|f| Finding {
                rule: f.rule.clone(),
                turn: f.turn,
                start: f.start,
                end: f.end,
                text: f.text.clone(),
                deduct: f.deduct,
            })
            .collect(),
        skipped: report
            .skipped
            .iter()
            .map(|s| (s.rule.clone(), s.reason.clone()))
            .collect(),
        categories: report
            .categories
            .iter()
            .map(|(k, v)| (k.clone(), v.deducted, v.bonus))
            .collect(),
    }
}

/// Every phrase a rubric mentions (lists, matches, excepts), for seeding transcripts.
pub fn phrases_of(rubric: &Rubric) -> Vec<String> {
    let mut out: Vec<String> = rubric.lists.iter().flatten().cloned().collect();
    let mut leaf = |l: &Leaf| {
        if let Leaf::Phrase(p) = l {
            out.push(p.clone());
        }
    };
    for rule in &rubric.rules {
        let mut exprs: Vec<&Expr> = Vec::new();
        match &rule.kind {
            Kind::Forbid(m) | Kind::Require(m) => exprs.extend(m),
            Kind::Respond { when, expect, .. } => exprs.extend(when.iter().chain(expect)),
            _ => {}
        }
        for e in exprs {
            match e {
                Expr::Leaf(l) => leaf(l),
                Expr::Any(ls) | Expr::Near(ls, _) => ls.iter().for_each(&mut leaf),
                Expr::All(items) => items.iter().for_each(|(_, l)| leaf(l)),
            }
        }
        rule.except.iter().for_each(&mut leaf);
    }
    out.sort();
    out.dedup();
    out
}

/// Whether every phrase the rule's expressions use normalizes to ASCII letters and digits (the
/// rules `word: true` is generated for).
pub fn ascii_words_only(rubric: &Rubric, rule: &Rule) -> bool {
    let norm = rubric.normalize.clone().unwrap_or(Normalize {
        fullwidth: None,
        case: None,
        simplified: None,
        skip: String::new(),
    });
    let ok = |p: &str| {
        let n = normalize(&norm, p).chars;
        !n.is_empty() && n.iter().all(|c| c.is_ascii_alphanumeric())
    };
    let leaf_ok = |l: &Leaf| match l {
        Leaf::Phrase(p) => ok(p),
        Leaf::List(i) => rubric.lists[*i].iter().all(|p| ok(p)),
        Leaf::Regex(_) => true,
    };
    let expr_ok = |e: &Expr| match e {
        Expr::Leaf(l) => leaf_ok(l),
        Expr::Any(ls) | Expr::Near(ls, _) => ls.iter().all(leaf_ok),
        Expr::All(items) => items.iter().all(|(_, l)| leaf_ok(l)),
    };
    match &rule.kind {
        Kind::Forbid(m) | Kind::Require(m) => m.iter().all(expr_ok),
        Kind::Respond { when, expect, .. } => when.iter().chain(expect).all(expr_ok),
        _ => true,
    }
}
