//! Scoring: findings in, report out (spec §2 "Scoring", §3).
//!
//! Findings are put in report order (turn, with whole-conversation findings first; start; rule
//! order), each rule's deductions are allocated to its findings in that order up to the rule's
//! cap and then, in the same order, to its category's cap (`scoring.category_caps`) (so a
//! finding's `deduct` is what it actually took), bonuses of met `require` rules are
//! added, and the score is clamped to `[0, scoring.max]`, or 0 when any finding is fatal.

use indexmap::IndexMap;

use crate::compiled::CompiledRubric;
use crate::report::{CategoryScore, Finding, NotApplicable, Report, Skipped};
use crate::transcript::SessionMeta;

/// Rounds away binary floating-point noise (0.1 + 0.2) without hiding real fractions.
fn tidy(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// What a new finding of `rule` takes: its deduction, within what is left of the rule's cap
/// (`taken` so far) and then of its category's cap (`cat_taken`, indexed as `caps`).
pub(crate) fn allot(
    rule: &crate::rules::Rule,
    taken: f64,
    caps: &IndexMap<String, f64>,
    cat_taken: &[f64],
) -> f64 {
    let mut d = rule.deduct().min((rule.cap() - taken).max(0.0));
    if let Some((i, _, cap)) = rule.category().and_then(|c| caps.get_full(c)) {
        d = d.min((cap - cat_taken[i]).max(0.0));
    }
    d
}

/// Counts `d` against the rule's category cap, if it has one.
pub(crate) fn take_category(
    rule: &crate::rules::Rule,
    d: f64,
    caps: &IndexMap<String, f64>,
    cat_taken: &mut [f64],
) {
    if let Some(i) = rule.category().and_then(|c| caps.get_index_of(c)) {
        cat_taken[i] += d;
    }
}

pub(crate) fn assemble(
    inner: &CompiledRubric,
    meta: SessionMeta,
    mut findings: Vec<(usize, Finding)>,
    met: &[bool],
    skipped: Vec<Skipped>,
    not_applicable: Vec<NotApplicable>,
    redacted: bool,
) -> Report {
    let rules = &inner.rubric.rules;
    findings.sort_by(|(ra, a), (rb, b)| {
        (a.turn, a.start, *ra, a.end).cmp(&(b.turn, b.start, *rb, b.end))
    });
    let mut taken = vec![0.0f64; rules.len()];
    let caps = &inner.rubric.scoring.category_caps;
    let mut cat_taken = vec![0.0f64; caps.len()];
    let mut categories: IndexMap<String, CategoryScore> = inner
        .categories
        .iter()
        .map(|c| (c.clone(), CategoryScore::default()))
        .collect();
    let mut fatal = false;
    let mut deducted = 0.0;
    for (r, f) in &mut findings {
        let rule = &rules[*r];
        let d = allot(rule, taken[*r], caps, &cat_taken);
        taken[*r] += d;
        take_category(rule, d, caps, &mut cat_taken);
        f.deduct = tidy(d);
        deducted += d;
        fatal |= rule.fatal();
        if let Some(c) = rule.category() {
            if let Some(cs) = categories.get_mut(c) {
                cs.deducted += d;
            }
        }
    }
    let mut bonus = 0.0;
    for (rule, &is_met) in rules.iter().zip(met) {
        if is_met && rule.bonus() > 0.0 {
            bonus += rule.bonus();
            if let Some(c) = rule.category() {
                if let Some(cs) = categories.get_mut(c) {
                    cs.bonus += rule.bonus();
                }
            }
        }
    }
    for cs in categories.values_mut() {
        cs.deducted = tidy(cs.deducted);
        cs.bonus = tidy(cs.bonus);
    }
    let scoring = &inner.rubric.scoring;
    let max = scoring.max();
    let score = if fatal {
        0.0
    } else {
        tidy((scoring.base - deducted + bonus).max(0.0).min(max))
    };
    Report {
        id: meta.id,
        agent: meta.agent,
        channel: meta.channel,
        meta: meta.meta,
        rubric: inner.rubric.name.clone(),
        version: inner.rubric.version.clone(),
        score,
        base: scoring.base,
        passed: !fatal && score >= scoring.pass,
        fatal,
        categories,
        findings: findings.into_iter().map(|(_, f)| f).collect(),
        skipped,
        not_applicable,
        redacted,
    }
}
