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

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder};

use crate::error::RubricErrorKind;
use crate::limits::Limits;
use crate::normalize::{Normalized, Normalizer};
use crate::rubric::{Locale, MatchExpr, Negation, Rubric, RuleKind, Window};
use crate::segment;

/// A match in the normalized text: byte offsets. `WHOLE` stands for the whole turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const WHOLE: Span = Span {
        start: 0,
        end: u32::MAX,
    };
}

/// Up to this many distinct phrases the automaton is a DFA (one table look-up per byte, about
/// twice as fast as the contiguous NFA on this workload, and a few hundred KiB); past it, the
/// contiguous NFA keeps a 10,000-phrase engine small.
const DFA_MAX_PATTERNS: usize = 2_000;

/// Compiles a regex with the engine's settings; errors carry a kind and a message.
pub(crate) fn compile_regex(
    pattern: &str,
    case_insensitive: bool,
    limits: &Limits,
) -> Result<Regex, (RubricErrorKind, String)> {
    // parse first, for a precise position and nesting depth
    let mut parser = regex_syntax::ast::parse::ParserBuilder::new()
        .nest_limit(limits.max_nesting as u32)
        .build();
    if let Err(e) = parser.parse(pattern) {
        let kind = if matches!(e.kind(), regex_syntax::ast::ErrorKind::NestLimitExceeded(_)) {
            RubricErrorKind::TooDeep
        } else {
            RubricErrorKind::BadRegex
        };
        let at = pattern[..e.span().start.offset.min(pattern.len())]
            .chars()
            .count();
        return Err((
            kind,
            format!(
                "bad regex `{pattern}` at character {}: {}",
                at + 1,
                e.kind()
            ),
        ));
    }
    let re = RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(limits.max_regex_bytes)
        .dfa_size_limit(limits.max_regex_bytes)
        .nest_limit(limits.max_nesting as u32)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(n) => (
                RubricErrorKind::RegexTooLarge,
                format!(
                    "regex `{pattern}` compiles to more than {n} bytes; simplify it or raise `Limits::max_regex_bytes`"
                ),
            ),
            other => (
                RubricErrorKind::BadRegex,
                format!(
                    "bad regex `{pattern}`: {}",
                    other.to_string().lines().last().unwrap_or_default()
                ),
            ),
        })?;
    if re.is_match("") {
        return Err((
            RubricErrorKind::BadRegex,
            format!("regex `{pattern}` matches empty text, so it would match every turn"),
        ));
    }
    Ok(re)
}

#[derive(Debug, Clone)]
enum LeafKind {
    Phrases,
    /// A regex; `gated` when every match starts with one of a few literals that are in the
    /// automaton, so the regex runs only on turns where one of them was found.
    Regex {
        re: Regex,
        gated: bool,
    },
}

/// The literals every match of `pattern` starts with, when there are few of them: a turn
/// without any of them cannot match, so the regex need not run there.
fn regex_prefix_literals(pattern: &str, case_insensitive: bool) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .ok()?;
    let seq = regex_syntax::hir::literal::Extractor::new().extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[derive(Debug, Clone)]
struct Leaf {
    kind: LeafKind,
    negation: bool,
    word: bool,
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
    exprs: Vec<Expr>,
    /// Per expression: whether it can match a turn where none of its phrases hit (regex, `not`).
    needs_eval: Vec<bool>,
    /// Per leaf: the rule expressions (roots) that read it.
    negators: Negators,
    /// Per leaf: the rules (indices, ascending) that a hit of it may wake (see `rules_to_visit`).
    leaf_rules: Vec<Vec<u32>>,
    /// The rules that must see every turn of their role, hit or not (ascending).
    always: Vec<u32>,
}

/// What one rule's expressions compiled to.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleExprs {
    pub matcher: Option<ExprId>,
    pub when: Option<ExprId>,
    pub expect: Option<ExprId>,
    pub except: Option<ExprId>,
}

struct Compiler<'r> {
    rubric: &'r Rubric,
    limits: &'r Limits,
    normalizer: Normalizer,
    patterns: Vec<Vec<u8>>,
    pattern_ids: HashMap<Vec<u8>, u32>,
    pattern_leaves: Vec<Vec<u32>>,
    leaves: Vec<Leaf>,
    exprs: Vec<Expr>,
}

impl Compiler<'_> {
    fn phrase_leaf(&mut self, phrases: &[String], negation: bool, word: bool) -> u32 {
        let leaf = self.leaves.len() as u32;
        self.leaves.push(Leaf {
            kind: LeafKind::Phrases,
            negation,
            word,
        });
        for p in phrases {
            let norm = self.normalizer.normalize_phrase(p).into_bytes();
            self.add_pattern(norm, leaf);
        }
        leaf
    }

    /// Adds a pattern to the automaton (once), used by `leaf`.
    fn add_pattern(&mut self, norm: Vec<u8>, leaf: u32) {
        {
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
    }

    fn push(&mut self, e: Expr) -> ExprId {
        self.exprs.push(e);
        (self.exprs.len() - 1) as ExprId
    }

    fn expr(
        &mut self,
        e: &MatchExpr,
        negation: bool,
        word: bool,
    ) -> Result<ExprId, (RubricErrorKind, String)> {
        Ok(match e {
            MatchExpr::Phrase(p) => {
                let leaf = self.phrase_leaf(std::slice::from_ref(p), negation, word);
                self.push(Expr::Leaf(leaf))
            }
            MatchExpr::List(name) => {
                let phrases = self.rubric.lists.get(name).ok_or_else(|| {
                    (
                        RubricErrorKind::UndefinedList,
                        format!("undefined list `@{name}`"),
                    )
                })?;
                let leaf = self.phrase_leaf(&phrases.clone(), negation, word);
                self.push(Expr::Leaf(leaf))
            }
            MatchExpr::Regex(r) => {
                let case = self.rubric.normalize.case;
                let re = compile_regex(r, case, self.limits)?;
                let leaf = self.leaves.len() as u32;
                let gate = regex_prefix_literals(r, case);
                self.leaves.push(Leaf {
                    kind: LeafKind::Regex {
                        re,
                        gated: gate.is_some(),
                    },
                    negation,
                    word: false,
                });
                for lit in gate.into_iter().flatten() {
                    self.add_pattern(lit, leaf);
                }
                self.push(Expr::Leaf(leaf))
            }
            MatchExpr::Near { items, within } => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i, negation, word))
                    .collect::<Result<_, _>>()?;
                self.push(Expr::Near {
                    items,
                    within: *within,
                })
            }
            MatchExpr::Any(items) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i, negation, word))
                    .collect::<Result<_, _>>()?;
                self.push(Expr::Any(items))
            }
            MatchExpr::All(items) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i, negation, word))
                    .collect::<Result<_, _>>()?;
                self.push(Expr::All(items))
            }
            MatchExpr::Not(inner) => {
                let inner = self.expr(inner, negation, word)?;
                self.push(Expr::Not(inner))
            }
        })
    }
}

impl Matcher {
    /// Compiles every expression of every rule. Errors name the rule.
    pub fn compile(
        rubric: &Rubric,
        limits: &Limits,
    ) -> Result<(Matcher, Vec<RuleExprs>), (String, RubricErrorKind, String)> {
        let normalizer = Normalizer::new(&rubric.normalize);
        let mut c = Compiler {
            rubric,
            limits,
            normalizer: normalizer.clone(),
            patterns: Vec::new(),
            pattern_ids: HashMap::new(),
            pattern_leaves: Vec::new(),
            leaves: Vec::new(),
            exprs: Vec::new(),
        };
        let mut per_rule = Vec::with_capacity(rubric.rules.len());
        for rule in &rubric.rules {
            let wrap = |(k, m)| (rule.id.clone(), k, m);
            let neg = rule.negation == Negation::Skip;
            let compiled = RuleExprs {
                matcher: rule
                    .matcher
                    .as_ref()
                    .map(|m| c.expr(m, neg, rule.word))
                    .transpose()
                    .map_err(wrap)?,
                when: rule
                    .when
                    .as_ref()
                    .map(|s| c.expr(&s.matcher, neg, rule.word))
                    .transpose()
                    .map_err(wrap)?,
                expect: rule
                    .expect
                    .as_ref()
                    .map(|s| c.expr(&s.matcher, neg, rule.word))
                    .transpose()
                    .map_err(wrap)?,
                except: if rule.except.is_empty() {
                    None
                } else {
                    Some(
                        c.expr(&MatchExpr::Any(rule.except.clone()), false, false)
                            .map_err(wrap)?,
                    )
                },
            };
            per_rule.push(compiled);
        }
        if c.patterns.len() > limits.max_phrases {
            return Err((
                String::new(),
                RubricErrorKind::TooManyPhrases,
                format!(
                    "{} distinct phrases, over the limit of {}",
                    c.patterns.len(),
                    limits.max_phrases
                ),
            ));
        }
        let automaton = if c.patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .kind(Some(if c.patterns.len() <= DFA_MAX_PATTERNS {
                        AhoCorasickKind::DFA
                    } else {
                        AhoCorasickKind::ContiguousNFA
                    }))
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(&c.patterns)
                    .map_err(|e| {
                        (
                            String::new(),
                            RubricErrorKind::TooManyPhrases,
                            format!("the phrases do not fit one automaton: {e}"),
                        )
                    })?,
            )
        };
        let needs_eval = c
            .exprs
            .iter()
            .map(|e| match e {
                Expr::Leaf(l) => matches!(
                    c.leaves[*l as usize].kind,
                    LeafKind::Regex { gated: false, .. }
                ),
                Expr::Not(_) => true,
                _ => false,
            })
            .collect::<Vec<_>>();
        // propagate upwards: exprs are pushed children-first
        let mut needs = needs_eval;
        for i in 0..c.exprs.len() {
            let any_child = match &c.exprs[i] {
                Expr::Near { items, .. } | Expr::Any(items) | Expr::All(items) => {
                    items.iter().any(|&k| needs[k as usize])
                }
                _ => false,
            };
            needs[i] |= any_child;
        }
        // Which rules a turn must visit. A `forbid` or `require` rule whose expression needs a
        // phrase hit (no regex without a gate, no `not`) does nothing on a turn where none of its
        // leaves hit, unless its window needs every turn: `last: N` records the turn, and a
        // `require` with `first: N` or `turns` is decided at a given turn. All else: every turn.
        let mut leaf_rules: Vec<Vec<u32>> = vec![Vec::new(); c.leaves.len()];
        let mut always = Vec::new();
        for (r, (rule, ex)) in rubric.rules.iter().zip(&per_rule).enumerate() {
            let r = r as u32;
            let window_needs_all = match rule.kind {
                RuleKind::Forbid => matches!(rule.window, Some(Window::Last(_))),
                RuleKind::Require => matches!(
                    rule.window,
                    Some(Window::Last(_) | Window::First(_) | Window::Turns(..))
                ),
                _ => true,
            };
            match ex.matcher {
                Some(m) if !window_needs_all && !needs[m as usize] => {
                    let mut leaves = Vec::new();
                    leaves_of(&c.exprs, m, &mut leaves);
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
        Ok((
            Matcher {
                normalizer,
                automaton,
                pattern_leaves: c.pattern_leaves,
                leaves: c.leaves,
                exprs: c.exprs,
                needs_eval: needs,
                negators: Negators::new(rubric.locale),
                leaf_rules,
                always,
            },
            per_rule,
        ))
    }

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

    /// Approximate heap size of the automaton, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.automaton.as_ref().map_or(0, |a| a.memory_usage())
    }

    /// Normalizes and scans one turn: afterwards `scratch` holds its leaf hits.
    pub fn scan(&self, text: &str, scratch: &mut TurnScratch) {
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
            let span = Span { start: s, end: e };
            // a regex gate says only that the regex may match here: always kept
            if !matches!(l.kind, LeafKind::Regex { .. }) {
                if l.negation && self.negators.negated(&scratch.norm, span) {
                    continue;
                }
                if l.word && !scratch.on_word_boundaries(span) {
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

    /// Whether an expression could match the scanned turn at all (cheap pre-check).
    pub fn may_match(&self, expr: ExprId, scratch: &TurnScratch) -> bool {
        self.needs_eval[expr as usize] || self.touches(expr, scratch)
    }

    fn touches(&self, expr: ExprId, scratch: &TurnScratch) -> bool {
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
    pub fn eval(&self, expr: ExprId, scratch: &mut TurnScratch, out: &mut Vec<Span>) {
        out.clear();
        if !self.may_match(expr, scratch) {
            return;
        }
        self.eval_into(expr, scratch, out);
        merge(out);
    }

    fn eval_into(&self, expr: ExprId, scratch: &mut TurnScratch, out: &mut Vec<Span>) {
        match &self.exprs[expr as usize] {
            Expr::Leaf(l) => {
                let leaf = &self.leaves[*l as usize];
                match &leaf.kind {
                    LeafKind::Phrases => out.extend(scratch.leaf_hits(*l)),
                    LeafKind::Regex { re, gated } => {
                        if *gated && scratch.leaf_hits(*l).next().is_none() {
                            return;
                        }
                        let text = &scratch.norm.text;
                        let mut found: Vec<Span> = re
                            .find_iter(text)
                            .filter(|m| !m.is_empty())
                            .map(|m| Span {
                                start: m.start() as u32,
                                end: m.end() as u32,
                            })
                            .collect();
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
                    out.push(Span::WHOLE);
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
                        if *s == Span::WHOLE {
                            continue;
                        }
                        lo = lo.min(s.start);
                        hi = hi.max(s.end);
                    }
                }
                if positive && lo < hi {
                    out.push(Span { start: lo, end: hi });
                } else {
                    out.push(Span::WHOLE);
                }
            }
            Expr::Near { items, within } => {
                let mut occ: Vec<(Span, usize)> = Vec::new();
                let mut tmp = Vec::new();
                for (k, &i) in items.iter().enumerate() {
                    self.eval(i, scratch, &mut tmp);
                    if tmp.is_empty() {
                        return;
                    }
                    occ.extend(tmp.iter().filter(|s| **s != Span::WHOLE).map(|s| (*s, k)));
                }
                near_chains(&occ, items.len(), *within, &scratch.norm, out);
            }
        }
    }
}

/// Every leaf of an expression.
fn leaves_of(exprs: &[Expr], e: ExprId, out: &mut Vec<u32>) {
    match &exprs[e as usize] {
        Expr::Leaf(l) => out.push(*l),
        Expr::Near { items, .. } | Expr::Any(items) | Expr::All(items) => {
            items.iter().for_each(|&i| leaves_of(exprs, i, out))
        }
        Expr::Not(inner) => leaves_of(exprs, *inner, out),
    }
}

/// Sorts spans and merges overlapping ones into their union.
pub(crate) fn merge(spans: &mut Vec<Span>) {
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

/// Finds chains using one occurrence of each of `k` items, in position order, with at most
/// `within` normalized characters between one item's end and the next one's start.
fn near_chains(
    occ: &[(Span, usize)],
    k: usize,
    within: usize,
    norm: &Normalized,
    out: &mut Vec<Span>,
) {
    let mut occ: Vec<(usize, usize, Span, usize)> = occ
        .iter()
        .map(|&(s, item)| {
            (
                norm.char_index(s.start as usize),
                norm.char_index(s.end as usize),
                s,
                item,
            )
        })
        .collect();
    occ.sort_unstable_by_key(|o| (o.0, o.1, o.3));
    occ.dedup();
    let full: u32 = (1u32 << k) - 1;
    let mut budget: usize = 200_000;
    // depth-first search from every start occurrence; (index, mask, end) states
    let mut stack: Vec<(usize, u32, usize, u32)> = Vec::new();
    for i in 0..occ.len() {
        stack.clear();
        stack.push((i, 1 << occ[i].3, occ[i].1, occ[i].2.end));
        let mut best: Option<u32> = None;
        while let Some((j, mask, end_char, end_byte)) = stack.pop() {
            if mask == full {
                best = Some(best.map_or(end_byte, |b| b.min(end_byte)));
                continue;
            }
            for (l, o) in occ.iter().enumerate().skip(j + 1) {
                if o.0 > end_char + within {
                    break;
                }
                if budget == 0 {
                    break;
                }
                budget -= 1;
                if mask & (1 << o.3) != 0 {
                    continue;
                }
                stack.push((
                    l,
                    mask | (1 << o.3),
                    end_char.max(o.1),
                    end_byte.max(o.2.end),
                ));
            }
        }
        if let Some(end) = best {
            out.push(Span {
                start: occ[i].2.start,
                end,
            });
        }
        if budget == 0 {
            break;
        }
    }
}

/// Per-turn working memory, reused from turn to turn.
#[derive(Debug, Default)]
pub(crate) struct TurnScratch {
    pub norm: Normalized,
    /// (leaf, start, end), sorted.
    hits: Vec<(u32, u32, u32)>,
    /// Per leaf: 1 + the index of its first entry in `hits`, or 0 when it has none; only the
    /// entries of the leaves in `hits` are ever non-zero, so a reset clears just those.
    first_hit: Vec<u32>,
    boundaries: Option<Vec<usize>>,
    orig_len: usize,
}

impl TurnScratch {
    fn reset(&mut self) {
        for h in &self.hits {
            if let Some(f) = self.first_hit.get_mut(h.0 as usize) {
                *f = 0;
            }
        }
        self.hits.clear();
        if let Some(b) = &mut self.boundaries {
            b.clear();
        }
        self.boundaries = self.boundaries.take().filter(|_| false);
    }

    /// Fills `first_hit` from the sorted `hits`.
    fn index_hits(&mut self, leaves: usize) {
        if self.first_hit.len() < leaves {
            self.first_hit.resize(leaves, 0);
        }
        for (i, h) in self.hits.iter().enumerate().rev() {
            self.first_hit[h.0 as usize] = i as u32 + 1;
        }
    }

    /// Whether a leaf has any hit in this turn: O(1).
    fn has_hits(&self, leaf: u32) -> bool {
        self.first_hit.get(leaf as usize).is_some_and(|&f| f != 0)
    }

    fn leaf_hits(&self, leaf: u32) -> impl Iterator<Item = Span> + '_ {
        let from = match self.first_hit.get(leaf as usize) {
            Some(&f) if f != 0 => f as usize - 1,
            _ => self.hits.len(),
        };
        self.hits[from..]
            .iter()
            .take_while(move |h| h.0 == leaf)
            .map(|h| Span {
                start: h.1,
                end: h.2,
            })
    }

    /// Original byte range of a span of the normalized text.
    pub fn original_range(&self, span: Span) -> std::ops::Range<usize> {
        if span == Span::WHOLE {
            return 0..self.orig_len;
        }
        self.norm
            .original_range(span.start as usize, span.end as usize)
    }

    fn on_word_boundaries(&mut self, span: Span) -> bool {
        self.is_boundary(span.start as usize) && self.is_boundary(span.end as usize)
    }

    fn is_boundary(&mut self, byte: usize) -> bool {
        let text = &self.norm.text;
        let before = text[..byte].chars().next_back();
        let after = text[byte..].chars().next();
        let (Some(a), Some(b)) = (before, after) else {
            return true;
        };
        if segment::is_cjk(a) && segment::is_cjk(b) {
            let bounds = self.boundaries.get_or_insert_with(|| {
                let mut v = Vec::new();
                segment::cjk_boundaries(&self.norm.text, &mut v);
                v
            });
            return bounds.binary_search(&byte).is_ok();
        }
        !(segment::is_word_char(a) && segment::is_word_char(b))
    }
}

/// Negation words of the rubric's locale.
#[derive(Debug)]
struct Negators {
    zh: bool,
    en: bool,
}

const ZH_NEGATORS: &[&str] = &[
    "不是", "不能", "不会", "绝不", "不要", "没有", "从不", "并非", "不", "没", "未", "无", "别",
    "非", "莫", "勿",
];
/// Words that start like a negation but are not one.
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
    "don’t",
    "can't",
    "cant",
    "can’t",
    "cannot",
    "won't",
    "won’t",
    "isn't",
    "isn’t",
    "aren't",
    "aren’t",
    "doesn't",
    "doesn’t",
    "didn't",
    "didn’t",
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
const NEGATION_GAP: usize = 4;

impl Negators {
    fn new(locale: Locale) -> Negators {
        Negators {
            zh: locale != Locale::En,
            en: locale != Locale::Zh,
        }
    }

    /// Whether a negation word ends at most 4 characters before `span`, in the same clause.
    fn negated(&self, norm: &Normalized, span: Span) -> bool {
        if span == Span::WHOLE {
            return false;
        }
        let text = &norm.text;
        let start = span.start as usize;
        // the gap: up to NEGATION_GAP characters, no clause break
        let mut gap_end = start; // byte where the negator must end
        for gap in 0..=NEGATION_GAP {
            let head = &text[..gap_end];
            if self.ends_with_negator(head, &text[gap_end..]) {
                return true;
            }
            if gap == NEGATION_GAP {
                break;
            }
            match head.chars().next_back() {
                Some(c) if !CLAUSE_BREAKS.contains(&c) => gap_end -= c.len_utf8(),
                _ => break,
            }
        }
        false
    }

    fn ends_with_negator(&self, head: &str, rest: &str) -> bool {
        if self.zh {
            for neg in ZH_NEGATORS {
                if let Some(at) = head.strip_suffix(neg).map(str::len) {
                    if !ZH_NOT_NEGATIONS.iter().any(|w| covers(head, at, rest, w)) {
                        return true;
                    }
                }
            }
        }
        if self.en {
            for neg in EN_NEGATORS {
                if let Some(at) = head.strip_suffix(neg).map(str::len) {
                    let before_ok = head[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !segment::is_word_char(c));
                    let after_ok = rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
                    if before_ok && after_ok {
                        return true;
                    }
                }
            }
        }
        false
    }
}

fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Whether an occurrence of the word `w` in `head + rest` covers byte `at` of `head` (where a
/// negation character was found): then that character is part of `w`, not a negation.
fn covers(head: &str, at: usize, rest: &str, w: &str) -> bool {
    let n = w.chars().count();
    let lo = head[..at]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i);
    let window = format!("{}{}", &head[lo..], first_chars(rest, n));
    window
        .match_indices(w)
        .any(|(pos, _)| lo + pos <= at && lo + pos + w.len() > at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_literals_gate_regexes() {
        let lits = regex_prefix_literals(r"1[3-9]\d{9}", true).unwrap();
        assert_eq!(lits.len(), 7);
        assert!(lits.iter().all(|l| l.starts_with(b"1")));
        assert!(regex_prefix_literals(r"\d{3}", true).is_none());
        assert!(regex_prefix_literals(r"\w+", true).is_none());
        let ci = regex_prefix_literals("Order", true).unwrap();
        assert!(ci.iter().any(|l| l.as_slice() == b"order"));
    }

    #[test]
    fn gated_regexes_still_match_everywhere_they_can() {
        let rubric = Rubric::from_yaml(
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
