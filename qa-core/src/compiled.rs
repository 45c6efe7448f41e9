//! A rubric compiled for scoring: what an [`Engine`](crate::Engine) shares with its sessions.
//!
//! Building one checks the rubric once more against the engine's own [`Limits`] (a rubric read
//! with larger limits is held to the engine's), with every error at its place in the source;
//! then every rule's expressions go into the one matcher and every rule into its kind's
//! compiled vector.

use crate::error::{Diagnostic, RubricError, RubricErrorKind as K, TranscriptError};
use crate::limits::Limits;
use crate::matcher::{AutomatonChoice, ExprId, MatchCompiler, Matcher};
use crate::model::{MatchExpr, RegexItem};
use crate::options::{Negation, Role};
use crate::pattern;
use crate::redact::Redactor;
use crate::rubric::Rubric;
use crate::rules::CompiledRules;
use crate::transcript::{Transcript, Turn};

/// The immutable data of an engine.
#[derive(Debug)]
pub(crate) struct CompiledRubric {
    pub rubric: Rubric,
    pub matcher: Matcher,
    pub rules: CompiledRules,
    pub limits: Limits,
    /// Every category named by a rule, in rubric order.
    pub categories: Vec<String>,
    /// Per rule: its `only_if` condition (the role, the compiled match), if it has one.
    pub conditions: Vec<Option<(Role, ExprId)>>,
    /// The rules that have an `only_if` condition, ascending.
    pub conditional: Vec<usize>,
    /// The rubric's `redact`, compiled, if it has one.
    pub redactor: Option<Redactor>,
}

impl CompiledRubric {
    pub fn build(
        rubric: Rubric,
        limits: Limits,
        automaton: AutomatonChoice,
    ) -> Result<CompiledRubric, RubricError> {
        let file = rubric.file.0.clone();
        let fail = |d: Diagnostic| RubricError::single(file.clone(), d);
        if rubric.rules.len() > limits.max_rules {
            return Err(fail(
                Diagnostic::new(
                    K::TooManyRules,
                    format!(
                        "the rubric has {} rules, over the limit of {}",
                        rubric.rules.len(),
                        limits.max_rules
                    ),
                )
                .at(rubric.pos.0),
            ));
        }
        check_limits(&rubric, &limits).map_err(fail)?;
        let mut mc = MatchCompiler::new(&rubric.lists, &rubric.normalize);
        let (rules, gates) = CompiledRules::compile(&rubric.rules, &mut mc);
        // conditions are evaluated on every turn by the session, whatever the gates
        let conditions: Vec<Option<(Role, ExprId)>> = rubric
            .rules
            .iter()
            .map(|r| {
                let c = &r.common;
                c.only_if.as_ref().map(|side| {
                    let neg = c.negation == Negation::Skip;
                    (side.role, mc.expr(&side.matcher, neg, c.word))
                })
            })
            .collect();
        let conditional = (0..conditions.len())
            .filter(|&r| conditions[r].is_some())
            .collect();
        let matcher = mc
            .finish(&gates, rubric.locale, &limits, automaton)
            .map_err(|d| fail(d.at(rubric.pos.0)))?;
        let redactor = Redactor::build(&rubric, &limits, automaton).map_err(fail)?;
        let mut categories: Vec<String> = Vec::new();
        for r in &rubric.rules {
            if let Some(c) = r.category() {
                if !categories.iter().any(|x| x == c) {
                    categories.push(c.to_string());
                }
            }
        }
        Ok(CompiledRubric {
            rubric,
            matcher,
            rules,
            limits,
            categories,
            conditions,
            conditional,
            redactor,
        })
    }

    pub(crate) fn check_transcript(&self, t: &Transcript) -> Result<(), TranscriptError> {
        use crate::TranscriptErrorKind as TK;
        let l = &self.limits;
        if t.turns.len() > l.max_turns {
            return Err(TranscriptError::new(
                TK::TooManyTurns,
                format!(
                    "the transcript has {} turns, over the limit of {}",
                    t.turns.len(),
                    l.max_turns
                ),
            )
            .with_field("turns"));
        }
        crate::transcript::check_meta([&t.id, &t.agent, &t.channel], t.meta.as_ref(), l)?;
        let mut total = 0usize;
        for (i, turn) in t.turns.iter().enumerate() {
            self.check_turn(turn, i)?;
            total += turn.text.len() + turn.speaker.len();
        }
        if total > l.max_transcript_bytes {
            return Err(TranscriptError::new(
                TK::TranscriptTooLarge,
                format!(
                    "the transcript holds {total} bytes of text, over the limit of {}",
                    l.max_transcript_bytes
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn check_turn(&self, turn: &Turn, index: usize) -> Result<(), TranscriptError> {
        crate::transcript::check_turn(&self.limits, turn, index)
    }
}

/// The limits the checker applied when the rubric was read, applied again with the engine's:
/// phrase length, match-expression nesting, regex sizes one by one and in total. Errors point
/// at the item in the source.
fn check_limits(rubric: &Rubric, limits: &Limits) -> Result<(), Diagnostic> {
    fn phrase(p: &crate::model::Phrase, limits: &Limits) -> Result<(), Diagnostic> {
        let chars = p.as_str().chars().count();
        if chars > limits.max_phrase_chars {
            return Err(Diagnostic::new(
                K::PhraseTooLong,
                format!(
                    "a phrase of {chars} characters, over the limit of {}",
                    limits.max_phrase_chars
                ),
            )
            .at(p.position()));
        }
        Ok(())
    }
    struct Walk<'l> {
        limits: &'l Limits,
        regex_bytes: usize,
    }
    impl Walk<'_> {
        fn expr(&mut self, e: &MatchExpr, depth: usize) -> Result<(), Diagnostic> {
            let limits = self.limits;
            if depth > limits.nesting() {
                return Err(Diagnostic::new(
                    K::TooDeep,
                    format!(
                        "a match expression is nested more than {} levels deep",
                        limits.nesting()
                    ),
                ));
            }
            match e {
                MatchExpr::Phrase(p) => phrase(p, limits),
                MatchExpr::List(_) => Ok(()),
                MatchExpr::Regex(r) => self.regex(r),
                MatchExpr::Near(n) => n.items().iter().try_for_each(|i| self.expr(i, depth + 1)),
                MatchExpr::Any(items) | MatchExpr::All(items) => {
                    items.iter().try_for_each(|i| self.expr(i, depth + 1))
                }
                MatchExpr::Not(inner) => self.expr(inner, depth + 1),
            }
        }

        fn regex(&mut self, r: &RegexItem) -> Result<(), Diagnostic> {
            let limits = self.limits;
            if let Err(msg) = pattern::fits(r.pattern(), limits.max_regex_bytes) {
                return Err(Diagnostic::new(K::RegexTooLarge, msg).at(r.position()));
            }
            self.regex_bytes += pattern::budget_cost(r.pattern());
            if self.regex_bytes > limits.max_regex_total_bytes {
                return Err(Diagnostic::new(
                    K::RegexBudgetExceeded,
                    format!(
                        "the rubric's regexes take more than {} bytes together once compiled",
                        limits.max_regex_total_bytes
                    ),
                )
                .at(r.position()));
            }
            Ok(())
        }
    }
    let mut walk = Walk {
        limits,
        regex_bytes: 0,
    };
    for (name, list) in rubric.lists() {
        let in_list = |d: Diagnostic| d.help(format!("in list `@{name}`"));
        for p in list.phrases() {
            phrase(p, limits).map_err(in_list)?;
        }
        for r in list.regexes() {
            walk.regex(r).map_err(in_list)?;
        }
    }
    for rule in rubric.rules() {
        let in_rule = |d: Diagnostic| {
            let d = if d.line.is_none() {
                d.at(rule.position())
            } else {
                d
            };
            d.in_rule(Some(rule.id()))
        };
        for e in rule.spec().exprs() {
            walk.expr(e, 0).map_err(in_rule)?;
        }
        for e in rule.except() {
            walk.expr(e, 1).map_err(in_rule)?;
        }
        if let Some(side) = &rule.common.only_if {
            walk.expr(&side.matcher, 0).map_err(in_rule)?;
        }
    }
    if let Some(redact) = rubric.redact() {
        for e in redact.matcher() {
            walk.expr(e, 1).map_err(|d| {
                let d = if d.line.is_none() {
                    d.at(redact.position())
                } else {
                    d
                };
                d.help("in `redact.match`")
            })?;
        }
    }
    Ok(())
}
