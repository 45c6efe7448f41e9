//! The rubric checker: a source tree ([`crate::source::Node`]) in, a [`Rubric`] or every problem
//! out.
//!
//! The checker walks the tree once, collecting **every** [`Diagnostic`] (kind, line, column,
//! rule, fix) before giving up, so a rubric is checked whole. Suggestions use Damerau–Levenshtein
//! distance (`strsim`). The top level, `normalize`, `speakers`, `scoring` and `lists` are checked
//! here; rules in [`rule`] (the fields every rule has, then its kind's own, each kind checking
//! its fields in its module under `crate::rules`); match expressions in [`expr`], where regexes
//! are compiled, once, with the rubric's flags.

mod expr;
mod rule;

pub use expr::NEAR_MAX_ITEMS;
pub(crate) use rule::RuleNode;

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::error::{Diagnostic, RubricError, RubricErrorKind as K};
use crate::limits::Limits;
use crate::model::{List, Phrase, Rubric, Scoring, Speakers};
use crate::normalize::Normalizer;
use crate::options::{ChineseForm, Locale, Normalize};
use crate::source::{FileName, Node, Place, Pos, Value};

/// The entries of a mapping node: key, key position, value.
pub(crate) type Entries<'n> = &'n [(String, Pos, Node)];

/// The value of `key` in a mapping's entries.
pub(crate) fn get<'n>(entries: Entries<'n>, key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _, _)| k == key).map(|(_, _, n)| n)
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

/// Checks a whole rubric.
pub(crate) fn rubric(
    node: &Node,
    limits: &Limits,
    file: Option<String>,
) -> Result<Rubric, RubricError> {
    let mut checker = Checker {
        diags: Vec::new(),
        rule: None,
        kind: "",
        limits,
        lists: None,
        normalizer: None,
        case: true,
        regex_bytes: 0,
    };
    let rubric = checker.rubric(node, file.clone());
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

/// The checker's state: what it found so far, and what rules need from the top level.
pub(crate) struct Checker<'l> {
    diags: Vec<Diagnostic>,
    /// The id of the rule being checked, named in its diagnostics.
    rule: Option<String>,
    /// The kind of the rule being checked, named in "missing field" messages.
    kind: &'static str,
    limits: &'l Limits,
    /// List names and places; `None` when `lists` itself is broken (references not checked).
    lists: Option<IndexMap<String, Pos>>,
    /// The rubric's normalization, to tell phrases that normalize to nothing.
    normalizer: Option<Normalizer>,
    /// Regexes are case-insensitive when `normalize.case` is.
    case: bool,
    /// Compiled size of the regexes so far, for `Limits::max_regex_total_bytes`.
    regex_bytes: usize,
}

impl Checker<'_> {
    pub(crate) fn err(&mut self, kind: K, pos: Pos, msg: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::new(kind, msg)
            .at(pos)
            .in_rule(self.rule.as_deref());
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    pub(crate) fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.err(
            K::WrongType,
            node.pos,
            format!("`{what}` must be {expected}, found {}", node.type_name()),
        );
    }

    /// The entries of a mapping; reports keys given twice, keys outside `allowed` (with a
    /// suggestion) and keys in `known_elsewhere` as not applying here.
    pub(crate) fn mapping<'n>(
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

    pub(crate) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    /// A string; numbers are taken as their text (`version: 2026.11`).
    pub(crate) fn label(&mut self, node: &Node, what: &str) -> Option<String> {
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

    pub(crate) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, what, "true or false");
                None
            }
        }
    }

    pub(crate) fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
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

    pub(crate) fn non_negative(&mut self, node: &Node, what: &str) -> Option<f64> {
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

    pub(crate) fn count(&mut self, node: &Node, what: &str, min: usize) -> Option<usize> {
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

    pub(crate) fn choice<T: Copy>(
        &mut self,
        node: &Node,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
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

    fn rubric(&mut self, node: &Node, file: Option<String>) -> Option<Rubric> {
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
        if let Some(n) = &normalize {
            self.normalizer = Some(Normalizer::new(n));
            self.case = n.case;
        }
        let speakers = match get(entries, "speakers") {
            Some(n) => self.speakers(n),
            None => Some(Speakers::default()),
        };
        let scoring = match get(entries, "scoring") {
            Some(n) => self.scoring(n),
            None => Some(Scoring::default()),
        };
        let lists = match get(entries, "lists") {
            Some(n) => self.lists(n),
            None => Some(IndexMap::new()),
        };
        self.lists = lists.as_ref().map(|l| {
            l.iter()
                .map(|(name, list): (&String, &List)| (name.clone(), list.pos.0))
                .collect()
        });
        let rules = match get(entries, "rules") {
            Some(n) => self.rules(n),
            None => {
                self.err(K::MissingField, node.pos, "missing field `rules`")
                    .help = Some("add `rules:` with a list of rules".into());
                None
            }
        };
        let rubric = Rubric {
            name: name?,
            version,
            locale: locale?,
            normalize: normalize?,
            speakers: speakers?,
            scoring: scoring?,
            lists: lists?,
            rules: rules?,
            file: FileName(file),
            pos: Place(node.pos),
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
            ok &= match key.as_str() {
                "fullwidth" => self
                    .boolean(v, "normalize.fullwidth")
                    .map(|b| n.fullwidth = b)
                    .is_some(),
                "case" => self
                    .boolean(v, "normalize.case")
                    .map(|b| n.case = b)
                    .is_some(),
                "chinese" => self
                    .choice(
                        v,
                        "normalize.chinese",
                        &[
                            ("simplified", ChineseForm::Simplified),
                            ("none", ChineseForm::None),
                        ],
                    )
                    .map(|c| n.chinese = c)
                    .is_some(),
                "skip" => self
                    .string(v, "normalize.skip")
                    .map(|s| n.skip = s)
                    .is_some(),
                _ => false,
            };
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

    fn lists(&mut self, node: &Node) -> Option<IndexMap<String, List>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "lists", "a mapping of name → phrases");
            return None;
        };
        let mut lists = IndexMap::new();
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
                    Some(p) if self.phrase_ok(&p, item.pos) => phrases.push(Phrase {
                        text: p,
                        pos: Place(item.pos),
                    }),
                    _ => ok = false,
                }
            }
            lists.insert(
                name.clone(),
                List {
                    phrases,
                    pos: Place(*kpos),
                },
            );
        }
        ok.then_some(lists)
    }
}
