//! Matching: every phrase of every rule in one Aho-Corasick automaton, run once per turn, and
//! the evaluation of match expressions (`near`, `any`, `all`, `not`, regexes, `negation`,
//! `word`, `except`) over what that one scan found.
//!
//! Compilation turns each rule expression into a small tree over *leaves*. A leaf is a set of
//! phrases (one phrase, or one `@list`) or one regex, plus the rule's `negation` and `word`
//! flags. Each automaton pattern (a distinct normalized phrase) knows the leaves that use it, so
//! a turn's hits are resolved to leaves by pattern id, filtered (negation, word boundaries) and
//! sorted once; expressions then read their leaves' hits. Regexes run only when an expression
//! that holds them is evaluated on a turn in its rule's scope.

mod near;
mod negation;
mod sample;
mod scratch;
mod trace;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use indexmap::IndexMap;

use crate::error::{Diagnostic, RubricErrorKind};
use crate::limits::Limits;
use crate::model::{List, MatchExpr, Phrase, RegexItem};
use crate::normalize::Normalizer;
use crate::options::Normalize;
use crate::pattern::{self, Pattern};

use crate::explain::trace::{At, Raw, Trace};
use crate::explain::DropReason;
use negation::Negators;
pub(crate) use sample::PhraseScan;
pub(crate) use scratch::TurnScratch;
use trace::{leaves_of, note_drop};

/// A match in the normalized text of a turn: byte offsets. `WHOLE` stands for the whole turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub start: u32,
    pub end: u32,
}

impl Hit {
    pub const WHOLE: Hit = Hit {
        start: 0,
        end: u32::MAX,
    };

    /// Whether two matches share a character (`WHOLE` overlaps everything).
    pub fn overlaps(self, other: Hit) -> bool {
        self == Hit::WHOLE
            || other == Hit::WHOLE
            || (self.start < other.end && other.start < self.end)
    }
}

/// Which automaton the engine builds (see [`AutomatonChoice`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutomatonChoice {
    /// A DFA up to [`DFA_MAX_PATTERNS`] distinct phrases, a contiguous NFA past it.
    #[default]
    Auto,
    /// Always the DFA.
    Dfa,
    /// Always the contiguous NFA.
    ContiguousNfa,
}

/// Up to this many distinct phrases the automaton is a DFA (one table look-up per byte, about
/// twice as fast as the contiguous NFA on this workload, and a few hundred KiB); past it, the
/// contiguous NFA keeps a 10,000-phrase engine small.
pub(crate) const DFA_MAX_PATTERNS: usize = 2_000;

#[derive(Debug, Clone)]
enum LeafKind {
    Phrases,
    /// A regex; `gated` when every match starts with one of a few literals that are in the
    /// automaton, so the regex runs only on turns where one of them was found.
    Regex {
        re: Pattern,
        gated: bool,
    },
}

#[derive(Debug, Clone)]
struct Leaf {
    kind: LeafKind,
    negation: bool,
    word: bool,
}

/// Where a leaf comes from in the rubric, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LeafSource {
    /// One phrase, as written.
    Phrase(String),
    /// The phrases of `@name`.
    List(String),
    /// A regex, as written (with its list, when it is one of a list's items).
    Regex(String, Option<String>),
}

/// The composite expression nearest above a leaf, which decides whether its matches count (for
/// `explain`; `any` lets every match through and is not one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LeafContext {
    /// Its matches are the expression's matches.
    Plain,
    /// An item of a `near`: the leaves of each item, and `within`.
    Near { items: Vec<Vec<u32>>, within: usize },
    /// An item of an `all`.
    All,
    /// Inside a `not`.
    Not,
}

/// Index of a compiled expression in the arena.
pub(crate) type ExprId = u32;

#[derive(Debug, Clone)]
enum Expr {
    Leaf(u32),
    Near { items: Vec<ExprId>, within: usize },
    Any(Vec<ExprId>),
    All(Vec<ExprId>),
    Not(ExprId),
}

/// Every phrase and regex of a rubric, compiled for one scan per turn.
#[derive(Debug)]
pub(crate) struct Matcher {
    normalizer: Normalizer,
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern: the leaves it belongs to.
    pattern_leaves: Vec<Vec<u32>>,
    leaves: Vec<Leaf>,
    /// Per leaf: where it comes from (read by `explain` only).
    sources: Vec<LeafSource>,
    exprs: Vec<Expr>,
    /// Per expression: whether it can match a turn where none of its phrases hit (regex, `not`).
    needs_eval: Vec<bool>,
    /// Per expression made of leaves and `any` only: its leaves (it touches a turn where one
    /// of them hit), for a flat [`Matcher::touches`].
    any_leaves: Vec<Option<Box<[u32]>>>,
    negators: Negators,
    /// Per leaf: the rules (indices, ascending) that a hit of it may wake (see `rules_to_visit`).
    leaf_rules: Vec<Vec<u32>>,
    /// The rules that must see every turn of their role, hit or not (ascending).
    always: Vec<u32>,
    max_near_steps: usize,
}

/// Builds a [`Matcher`]: rule kinds add their expressions, then [`MatchCompiler::finish`]
/// builds the automaton.
pub(crate) struct MatchCompiler<'r> {
    lists: &'r IndexMap<String, List>,
    normalizer: Normalizer,
    case: bool,
    patterns: Vec<Vec<u8>>,
    pattern_ids: HashMap<Vec<u8>, u32>,
    pattern_leaves: Vec<Vec<u32>>,
    leaves: Vec<Leaf>,
    sources: Vec<LeafSource>,
    exprs: Vec<Expr>,
}

impl<'r> MatchCompiler<'r> {
    pub fn new(lists: &'r IndexMap<String, List>, normalize: &Normalize) -> MatchCompiler<'r> {
        MatchCompiler {
            lists,
            normalizer: Normalizer::new(normalize),
            case: normalize.case,
            patterns: Vec::new(),
            pattern_ids: HashMap::new(),
            pattern_leaves: Vec::new(),
            leaves: Vec::new(),
            sources: Vec::new(),
            exprs: Vec::new(),
        }
    }

    fn phrase_leaf(
        &mut self,
        phrases: &[Phrase],
        source: LeafSource,
        negation: bool,
        word: bool,
    ) -> u32 {
        let leaf = self.leaves.len() as u32;
        self.leaves.push(Leaf {
            kind: LeafKind::Phrases,
            negation,
            word,
        });
        self.sources.push(source);
        for p in phrases {
            let norm = self.normalizer.normalize_phrase(p.as_str()).into_bytes();
            self.add_pattern(norm, leaf);
        }
        leaf
    }

    /// Adds a pattern to the automaton (once), used by `leaf`.
    fn add_pattern(&mut self, norm: Vec<u8>, leaf: u32) {
        if norm.is_empty() {
            return;
        }
        let id = match self.pattern_ids.get(&norm) {
            Some(&id) => id,
            None => {
                let id = self.patterns.len() as u32;
                self.patterns.push(norm.clone());
                self.pattern_ids.insert(norm, id);
                self.pattern_leaves.push(Vec::new());
                id
            }
        };
        let users = &mut self.pattern_leaves[id as usize];
        if users.last() != Some(&leaf) {
            users.push(leaf);
        }
    }

    fn push(&mut self, e: Expr) -> ExprId {
        self.exprs.push(e);
        (self.exprs.len() - 1) as ExprId
    }

    /// A regex leaf (gated by its literal prefixes when it has a few).
    fn regex_leaf(&mut self, r: &RegexItem, list: Option<&str>, negation: bool) -> ExprId {
        let leaf = self.leaves.len() as u32;
        let gate = pattern::prefix_literals(r.as_str(), self.case);
        self.leaves.push(Leaf {
            kind: LeafKind::Regex {
                re: r.pattern().clone(),
                gated: gate.is_some(),
            },
            negation,
            word: false,
        });
        self.sources.push(LeafSource::Regex(
            r.as_str().to_string(),
            list.map(str::to_string),
        ));
        for lit in gate.into_iter().flatten() {
            self.add_pattern(lit, leaf);
        }
        self.push(Expr::Leaf(leaf))
    }

    /// Compiles one expression of a rule with the rule's `negation: skip` and `word` flags.
    pub fn expr(&mut self, e: &MatchExpr, negation: bool, word: bool) -> ExprId {
        match e {
            MatchExpr::Phrase(p) => {
                let source = LeafSource::Phrase(p.as_str().to_string());
                let leaf = self.phrase_leaf(std::slice::from_ref(p), source, negation, word);
                self.push(Expr::Leaf(leaf))
            }
            MatchExpr::List(l) => {
                // a checked rubric's references resolve
                let lists = self.lists;
                let source = LeafSource::List(l.name().to_string());
                let Some(list) = lists.get(l.name()) else {
                    let leaf = self.phrase_leaf(&[], source, negation, word);
                    return self.push(Expr::Leaf(leaf));
                };
                // its phrases are one leaf; with regexes, an `any` of that leaf and theirs
                let mut items = Vec::with_capacity(1 + list.regexes().len());
                if !list.phrases().is_empty() || list.regexes().is_empty() {
                    let leaf = self.phrase_leaf(list.phrases(), source, negation, word);
                    items.push(self.push(Expr::Leaf(leaf)));
                }
                for r in list.regexes() {
                    items.push(self.regex_leaf(r, Some(l.name()), negation));
                }
                match items.as_slice() {
                    [one] => *one,
                    _ => self.push(Expr::Any(items)),
                }
            }
            MatchExpr::Regex(r) => self.regex_leaf(r, None, negation),
            MatchExpr::Near(n) => {
                let items = n
                    .items()
                    .iter()
                    .map(|i| self.expr(i, negation, word))
                    .collect();
                self.push(Expr::Near {
                    items,
                    within: n.within(),
                })
            }
            MatchExpr::Any(items) => {
                let items = items.iter().map(|i| self.expr(i, negation, word)).collect();
                self.push(Expr::Any(items))
            }
            MatchExpr::All(items) => {
                let items = items.iter().map(|i| self.expr(i, negation, word)).collect();
                self.push(Expr::All(items))
            }
            MatchExpr::Not(inner) => {
                let inner = self.expr(inner, negation, word);
                self.push(Expr::Not(inner))
            }
        }
    }

    /// An expression that matches where any of `items` does.
    pub fn any(&mut self, items: Vec<ExprId>) -> ExprId {
        self.push(Expr::Any(items))
    }

    /// Compiles a rule's `except` items (no negation, no word boundaries), if it has any.
    pub fn except(&mut self, items: &[MatchExpr]) -> Option<ExprId> {
        if items.is_empty() {
            return None;
        }
        let ids = items.iter().map(|i| self.expr(i, false, false)).collect();
        Some(self.push(Expr::Any(ids)))
    }

    /// Builds the automaton. `gates` has, per rule, the expression whose hits wake it, or
    /// `None` when the rule sees every turn.
    pub fn finish(
        self,
        gates: &[Option<ExprId>],
        locale: crate::options::Locale,
        limits: &Limits,
        choice: AutomatonChoice,
    ) -> Result<Matcher, Diagnostic> {
        if self.patterns.len() > limits.max_phrases {
            return Err(Diagnostic::new(
                RubricErrorKind::TooManyPhrases,
                format!(
                    "{} distinct phrases, over the limit of {}",
                    self.patterns.len(),
                    limits.max_phrases
                ),
            ));
        }
        let automaton = if self.patterns.is_empty() {
            None
        } else {
            let dfa = match choice {
                AutomatonChoice::Auto => self.patterns.len() <= DFA_MAX_PATTERNS,
                AutomatonChoice::Dfa => true,
                AutomatonChoice::ContiguousNfa => false,
            };
            Some(
                AhoCorasickBuilder::new()
                    .kind(Some(if dfa {
                        AhoCorasickKind::DFA
                    } else {
                        AhoCorasickKind::ContiguousNFA
                    }))
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(&self.patterns)
                    .map_err(|e| {
                        Diagnostic::new(
                            RubricErrorKind::TooManyPhrases,
                            format!("the phrases do not fit one automaton: {e}"),
                        )
                    })?,
            )
        };
        // whether each expression can match without a phrase hit; exprs are pushed
        // children-first, so one pass upwards settles it
        let mut needs: Vec<bool> = Vec::with_capacity(self.exprs.len());
        for e in &self.exprs {
            let n = match e {
                Expr::Leaf(l) => matches!(
                    self.leaves[*l as usize].kind,
                    LeafKind::Regex { gated: false, .. }
                ),
                Expr::Not(_) => true,
                Expr::Near { items, .. } | Expr::Any(items) | Expr::All(items) => {
                    items.iter().any(|&k| needs[k as usize])
                }
            };
            needs.push(n);
        }
        // the leaves of each expression that is an `any` of leaves (children come first)
        let mut any_leaves: Vec<Option<Box<[u32]>>> = Vec::with_capacity(self.exprs.len());
        for e in &self.exprs {
            let flat = match e {
                Expr::Leaf(l) => Some(vec![*l]),
                Expr::Any(items) => items.iter().try_fold(Vec::new(), |mut acc, &k| {
                    acc.extend_from_slice(any_leaves[k as usize].as_deref()?);
                    Some(acc)
                }),
                _ => None,
            };
            any_leaves.push(flat.map(Vec::into_boxed_slice));
        }
        // Which rules a turn must visit: a rule whose gate needs a phrase hit does nothing on a
        // turn where none of the gate's leaves hit; all others see every turn.
        let mut leaf_rules: Vec<Vec<u32>> = vec![Vec::new(); self.leaves.len()];
        let mut always = Vec::new();
        for (r, gate) in gates.iter().enumerate() {
            let r = r as u32;
            match gate {
                Some(m) if !needs[*m as usize] => {
                    let mut leaves = Vec::new();
                    leaves_of(&self.exprs, *m, &mut leaves);
                    for l in leaves {
                        let users = &mut leaf_rules[l as usize];
                        if users.last() != Some(&r) {
                            users.push(r);
                        }
                    }
                }
                _ => always.push(r),
            }
        }
        Ok(Matcher {
            normalizer: self.normalizer,
            automaton,
            pattern_leaves: self.pattern_leaves,
            leaves: self.leaves,
            sources: self.sources,
            exprs: self.exprs,
            needs_eval: needs,
            any_leaves,
            negators: Negators::new(locale),
            leaf_rules,
            always,
            max_near_steps: limits.max_near_steps,
        })
    }
}

impl Matcher {
    /// The rules (indices, ascending) that the scanned turn must visit: those some hit of the
    /// turn may concern, and those that see every turn. A rule left out would do nothing.
    pub fn rules_to_visit(&self, scratch: &TurnScratch, out: &mut Vec<u32>) {
        out.clear();
        let mut last = u32::MAX;
        for h in &scratch.hits {
            if h.0 != last {
                last = h.0;
                out.extend_from_slice(&self.leaf_rules[h.0 as usize]);
            }
        }
        if out.is_empty() {
            out.extend_from_slice(&self.always);
            return;
        }
        out.extend_from_slice(&self.always);
        out.sort_unstable();
        out.dedup();
    }

    /// Number of distinct phrases in the automaton.
    pub fn pattern_count(&self) -> usize {
        self.pattern_leaves.len()
    }

    /// Approximate heap size of the automaton and the regexes, in bytes.
    pub fn memory_usage(&self) -> usize {
        let regexes: usize = self
            .leaves
            .iter()
            .map(|l| match &l.kind {
                LeafKind::Regex { re, .. } => re.memory_usage(),
                LeafKind::Phrases => 0,
            })
            .sum();
        self.automaton.as_ref().map_or(0, |a| a.memory_usage()) + regexes
    }

    /// The automaton kind in use (for tests).
    pub fn automaton_kind(&self) -> Option<AhoCorasickKind> {
        self.automaton.as_ref().map(|a| a.kind())
    }

    /// Normalizes and scans one turn: afterwards `scratch` holds its leaf hits. With a trace,
    /// every match of every leaf is noted, with the reason of each one dropped.
    pub fn scan(&self, text: &str, scratch: &mut TurnScratch) {
        self.scan_phrases(text, scratch);
        if scratch.trace.is_some() {
            self.trace_leaves(text, scratch);
        }
    }

    #[inline]
    fn scan_phrases(&self, text: &str, scratch: &mut TurnScratch) {
        scratch.reset();
        self.normalizer.normalize_into(text, &mut scratch.norm);
        scratch.orig_len = text.len();
        let Some(ac) = &self.automaton else { return };
        if scratch.norm.text.is_empty() {
            return;
        }
        for m in ac.find_overlapping_iter(&scratch.norm.text) {
            let (s, e) = (m.start() as u32, m.end() as u32);
            for &leaf in &self.pattern_leaves[m.pattern().as_usize()] {
                scratch.hits.push((leaf, s, e));
            }
        }
        if scratch.hits.is_empty() {
            return;
        }
        scratch.hits.sort_unstable();
        scratch.hits.dedup();
        // filter in place (no allocation per turn)
        let mut hits = std::mem::take(&mut scratch.hits);
        let mut kept = 0;
        for r in 0..hits.len() {
            let (leaf, s, e) = hits[r];
            let l = &self.leaves[leaf as usize];
            let span = Hit { start: s, end: e };
            // no match inside or across a stripped region
            if scratch.norm.has_separators()
                && scratch.norm.crosses_separator(s as usize, e as usize)
            {
                if let (Some(trace), LeafKind::Phrases) = (scratch.trace.as_deref_mut(), &l.kind) {
                    note_drop(trace, leaf, text, &scratch.norm, span, DropReason::Stripped);
                }
                continue;
            }
            // a regex gate says only that the regex may match here: always kept
            if !matches!(l.kind, LeafKind::Regex { .. }) {
                if l.negation {
                    if let Some((at, word)) = self.negators.negation(&scratch.norm, span) {
                        if let Some(trace) = scratch.trace.as_deref_mut() {
                            let neg = Hit {
                                start: at as u32,
                                end: (at + word.len()) as u32,
                            };
                            let n = At::of(trace.turn, text, &scratch.norm, neg);
                            let reason = DropReason::Negated {
                                word: n.text,
                                start: n.start,
                                end: n.end,
                            };
                            note_drop(trace, leaf, text, &scratch.norm, span, reason);
                        }
                        continue;
                    }
                }
                if l.word && !scratch.on_word_boundaries(span) {
                    if let Some(trace) = scratch.trace.as_deref_mut() {
                        let reason = DropReason::WordBoundary;
                        note_drop(trace, leaf, text, &scratch.norm, span, reason);
                    }
                    continue;
                }
            }
            hits[kept] = hits[r];
            kept += 1;
        }
        hits.truncate(kept);
        scratch.hits = hits;
        scratch.index_hits(self.leaves.len());
    }

    /// Every non-empty match of a regex in the normalized text, none inside or across a
    /// stripped region.
    fn regex_matches(&self, re: &Pattern, norm: &crate::normalize::Normalized) -> Vec<Hit> {
        let text = norm.text.as_str();
        let hit = |m: regex_automata::Match| Hit {
            start: m.start() as u32,
            end: m.end() as u32,
        };
        if norm.has_separators() {
            // each stretch between stripped regions on its own (look-around still sees the
            // text around it), so no match is inside or across a region
            norm.segments()
                .flat_map(|seg| {
                    re.regex()
                        .find_iter(regex_automata::Input::new(text).range(seg))
                        .filter(|m| !m.is_empty())
                        .map(hit)
                })
                .collect()
        } else {
            re.regex()
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(hit)
                .collect()
        }
    }

    /// Where a leaf comes from (for `explain`).
    pub fn leaf_source(&self, leaf: u32) -> &LeafSource {
        &self.sources[leaf as usize]
    }

    /// A phrase as the automaton holds it (for `explain`).
    pub fn normalize_phrase(&self, phrase: &str) -> String {
        self.normalizer.normalize_phrase(phrase)
    }

    /// Whether an expression could match the scanned turn at all (cheap pre-check).
    pub fn may_match(&self, expr: ExprId, scratch: &TurnScratch) -> bool {
        self.needs_eval[expr as usize] || self.touches(expr, scratch)
    }

    fn touches(&self, expr: ExprId, scratch: &TurnScratch) -> bool {
        if let Some(leaves) = &self.any_leaves[expr as usize] {
            return !scratch.hits.is_empty() && leaves.iter().any(|&l| scratch.has_hits(l));
        }
        match &self.exprs[expr as usize] {
            Expr::Leaf(l) => scratch.has_hits(*l),
            Expr::Near { items, .. } | Expr::All(items) => {
                items.iter().all(|&i| self.touches(i, scratch))
            }
            Expr::Any(items) => items.iter().any(|&i| self.touches(i, scratch)),
            Expr::Not(_) => true,
        }
    }

    /// The matches of `expr` in the scanned turn, merged (overlapping matches are one), sorted.
    pub fn eval(&self, expr: ExprId, scratch: &mut TurnScratch, out: &mut Vec<Hit>) {
        self.eval_unmerged(expr, scratch, out);
        merge(out);
    }

    /// The matches of `expr` in the scanned turn, each on its own (not merged, not sorted): for
    /// `except`, which drops the matches it overlaps before the rest are merged.
    pub fn eval_unmerged(&self, expr: ExprId, scratch: &mut TurnScratch, out: &mut Vec<Hit>) {
        out.clear();
        if self.may_match(expr, scratch) {
            self.eval_into(expr, scratch, out);
        }
    }

    fn eval_into(&self, expr: ExprId, scratch: &mut TurnScratch, out: &mut Vec<Hit>) {
        match &self.exprs[expr as usize] {
            Expr::Leaf(l) => {
                let leaf = &self.leaves[*l as usize];
                match &leaf.kind {
                    LeafKind::Phrases => out.extend(scratch.leaf_hits(*l)),
                    LeafKind::Regex { re, gated } => {
                        if *gated && scratch.leaf_hits(*l).next().is_none() {
                            return;
                        }
                        let mut found = self.regex_matches(re, &scratch.norm);
                        if leaf.negation {
                            found.retain(|&s| !self.negators.negated(&scratch.norm, s));
                        }
                        out.extend(found);
                    }
                }
            }
            Expr::Any(items) => {
                for &i in items {
                    if self.may_match(i, scratch) {
                        self.eval_into(i, scratch, out);
                    }
                }
            }
            Expr::Not(inner) => {
                let mut tmp = Vec::new();
                self.eval(*inner, scratch, &mut tmp);
                if tmp.is_empty() {
                    out.push(Hit::WHOLE);
                }
            }
            Expr::All(items) => {
                let mut lo = u32::MAX;
                let mut hi = 0;
                let mut positive = false;
                let mut tmp = Vec::new();
                for &i in items {
                    if let Expr::Not(inner) = &self.exprs[i as usize] {
                        self.eval(*inner, scratch, &mut tmp);
                        if !tmp.is_empty() {
                            return;
                        }
                        continue;
                    }
                    self.eval(i, scratch, &mut tmp);
                    if tmp.is_empty() {
                        return;
                    }
                    positive = true;
                    for s in &tmp {
                        if *s == Hit::WHOLE {
                            continue;
                        }
                        lo = lo.min(s.start);
                        hi = hi.max(s.end);
                    }
                }
                if positive && lo < hi {
                    out.push(Hit { start: lo, end: hi });
                } else {
                    out.push(Hit::WHOLE);
                }
            }
            Expr::Near { items, within } => {
                let mut occ: Vec<(Hit, usize)> = Vec::new();
                let mut tmp = Vec::new();
                for (k, &i) in items.iter().enumerate() {
                    self.eval(i, scratch, &mut tmp);
                    if tmp.is_empty() {
                        return;
                    }
                    occ.extend(tmp.iter().filter(|s| **s != Hit::WHOLE).map(|s| (*s, k)));
                }
                let found = near::chains(
                    &occ,
                    items.len(),
                    *within,
                    &scratch.norm,
                    self.max_near_steps,
                    out,
                );
                if found.is_err() {
                    scratch.near_overflow = true;
                }
            }
        }
    }
}

impl TurnScratch {
    /// Whether a `near` search ran out of steps on this turn since the last call (and clears it).
    pub(crate) fn take_near_overflow(&mut self) -> bool {
        std::mem::take(&mut self.near_overflow)
    }
}

/// Sorts matches and merges overlapping ones into their union.
pub(crate) fn merge(spans: &mut Vec<Hit>) {
    if spans.len() < 2 {
        return;
    }
    spans.sort_unstable();
    let mut w = 0;
    for r in 1..spans.len() {
        let cur = spans[r];
        let last = &mut spans[w];
        if cur.start < last.end || (*last == cur) {
            last.end = last.end.max(cur.end);
        } else {
            w += 1;
            spans[w] = cur;
        }
    }
    spans.truncate(w + 1);
}

#[cfg(test)]
mod tests {
    use crate::pattern::prefix_literals;

    #[test]
    fn prefix_literals_gate_regexes() {
        let lits = prefix_literals(r"1[3-9]\d{9}", true).unwrap();
        assert_eq!(lits.len(), 7);
        assert!(lits.iter().all(|l| l.starts_with(b"1")));
        assert!(prefix_literals(r"\d{3}", true).is_none());
        assert!(prefix_literals(r"\w+", true).is_none());
        let ci = prefix_literals("Order", true).unwrap();
        assert!(ci.iter().any(|l| l.as_slice() == b"order"));
    }

    #[test]
    fn gated_regexes_still_match_everywhere_they_can() {
        let rubric = crate::Rubric::from_yaml(
            "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [{regex: 'ABC\\d+'}]}\n  - {id: b, kind: forbid, match: [{regex: '\\d{3}'}]}\n",
        )
        .unwrap();
        let engine = crate::Engine::new(rubric).unwrap();
        let t = crate::Transcript {
            turns: vec![
                crate::Turn::new("agent", "x abc123 ＡＢＣ１２３"),
                crate::Turn::new("agent", "nothing here"),
            ],
            ..Default::default()
        };
        let r = engine.score(&t);
        let a: Vec<_> = r.findings.iter().filter(|f| f.rule == "a").collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].text.as_deref(), Some("ＡＢＣ１２３"));
        assert_eq!(r.findings.iter().filter(|f| f.rule == "b").count(), 2);
    }
}
