//! The checker's primitives: the [`Checker`] that walks a source tree ([`crate::source::Node`])
//! once, collecting **every** [`Diagnostic`] (kind, line, column, rule, fix) before giving up, so
//! a rubric is checked whole; typed reads of values with their errors; suggestions by
//! Damerau–Levenshtein distance (`strsim`); match expressions ([`expr`], where regexes are
//! compiled, once, with the rubric's flags); and what the rule kinds read a rule through
//! ([`rule`]). The rubric's own structure is checked in `crate::rubric`, each kind's fields in
//! its module under `crate::rules`; this module depends on neither.

mod expr;
mod rule;

pub(crate) use expr::pattern_name;
pub use expr::NEAR_MAX_ITEMS;
pub(crate) use rule::RuleNode;

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::error::{Diagnostic, RubricErrorKind as K};
use crate::limits::Limits;
use crate::normalize::Normalizer;
use crate::source::{Node, Pos, Value};

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

/// The checker's state: what it found so far, and what rules need from the top level.
pub(crate) struct Checker<'l> {
    pub(crate) diags: Vec<Diagnostic>,
    /// The id of the rule being checked, named in its diagnostics.
    pub(crate) rule: Option<String>,
    /// The kind of the rule being checked, named in "missing field" messages.
    pub(crate) kind: &'static str,
    pub(crate) limits: &'l Limits,
    /// List names and places; `None` when `lists` itself is broken (references not checked).
    pub(crate) lists: Option<IndexMap<String, Pos>>,
    /// The rubric's normalization, to tell phrases that normalize to nothing.
    pub(crate) normalizer: Option<Normalizer>,
    /// Regexes are case-insensitive when `normalize.case` is.
    pub(crate) case: bool,
    /// Compiled size of the regexes so far, for `Limits::max_regex_total_bytes`.
    pub(crate) regex_bytes: usize,
    /// The named patterns (`patterns:`) and how far each is checked; `None` when `patterns`
    /// itself is broken (references not checked).
    pub(crate) patterns: Option<IndexMap<String, PatternSlot>>,
    /// The patterns being checked, outermost first (to name a cycle).
    pub(crate) pattern_stack: Vec<String>,
    /// Leaves copied so far by expanding `"$name"` references, held to `Limits::max_phrases`
    /// so that patterns of patterns cannot blow up.
    pub(crate) expanded_leaves: usize,
    /// The categories under `scoring.category_caps` and their places, checked against the rules'
    /// categories once the rules are read.
    pub(crate) cap_places: Vec<(String, Pos)>,
}

/// One named pattern while the rubric is checked.
#[derive(Debug, Clone)]
pub(crate) struct PatternSlot {
    pub(crate) node: Node,
    pub(crate) pos: Pos,
    pub(crate) state: PatternState,
}

/// How far a named pattern is checked.
#[derive(Debug, Clone)]
pub(crate) enum PatternState {
    Pending,
    Checking,
    /// Checked: the expression (`None` if it had errors, already reported), its height (how
    /// many levels its deepest leaf is below its top) and its number of leaves.
    Done(Option<(crate::model::MatchExpr, usize, usize)>),
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
}
