//! The engine: a rubric compiled once into an immutable, shareable scorer.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Diagnostic, RubricError, TranscriptError};
use crate::limits::Limits;
use crate::matcher::{Matcher, RuleExprs};
use crate::report::Report;
use crate::rubric::{MatchExpr, Rubric};
use crate::session::{Session, SessionMeta};
use crate::transcript::Transcript;

/// A compiled rubric. Cheap to clone (an `Arc`), `Send + Sync`, never mutated while scoring.
///
/// ```
/// use qa_core::{Engine, Rubric, Transcript, Turn};
///
/// let rubric = Rubric::from_yaml(r#"
/// rubric: 售后质检
/// rules:
///   - id: greeting
///     kind: require
///     window: {first: 1}
///     match: [您好, 你好]
///     deduct: 5
///   - id: rude
///     kind: forbid
///     match: [这是规定, 爱买不买]
///     deduct: 10
/// "#).unwrap();
/// let engine = Engine::new(rubric).unwrap();
/// let t = Transcript {
///     turns: vec![
///         Turn::new("customer", "我的订单还没发货"),
///         Turn::new("agent", "這是規定，请耐心等待"),
///     ],
///     ..Default::default()
/// };
/// let report = engine.score(&t);
/// assert_eq!(report.score, 85.0);
/// let rude = &report.findings[1];
/// assert_eq!(rude.rule, "rude");
/// assert_eq!(rude.text.as_deref(), Some("這是規定")); // the original 繁體 text
/// assert_eq!((rude.start, rude.end), (Some(0), Some(4)));
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub rubric: Rubric,
    pub matcher: Matcher,
    pub exprs: Vec<RuleExprs>,
    pub limits: Limits,
    /// Every category named by a rule, in rubric order.
    pub categories: Vec<String>,
}

/// Builds an [`Engine`] with non-default [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    limits: Limits,
}

impl EngineBuilder {
    /// Sets the limits (also applied to transcripts by `try_score` and `try_push`).
    pub fn limits(mut self, limits: Limits) -> EngineBuilder {
        self.limits = limits;
        self
    }

    /// Compiles the rubric, checking it against the limits: rule count, phrase count and
    /// length, regex size and nesting, match-expression nesting. A rubric read from text was
    /// checked against the limits it was read with; this checks again with the engine's own, so
    /// a rubric built in Rust is held to them too.
    pub fn build(self, rubric: Rubric) -> Result<Engine, RubricError> {
        let limits = self.limits;
        if rubric.rules.len() > limits.max_rules {
            return Err(RubricError::single(
                None,
                Diagnostic::new(
                    crate::RubricErrorKind::TooManyRules,
                    format!(
                        "the rubric has {} rules, over the limit of {}",
                        rubric.rules.len(),
                        limits.max_rules
                    ),
                ),
            ));
        }
        check_exprs(&rubric, &limits)?;
        let (matcher, exprs) =
            Matcher::compile(&rubric, &limits).map_err(|(rule, kind, msg)| {
                let rule = (!rule.is_empty()).then_some(rule);
                RubricError::single(None, Diagnostic::new(kind, msg).in_rule(rule.as_deref()))
            })?;
        let mut categories: Vec<String> = Vec::new();
        for r in &rubric.rules {
            if let Some(c) = &r.category {
                if !categories.contains(c) {
                    categories.push(c.clone());
                }
            }
        }
        Ok(Engine {
            inner: Arc::new(Inner {
                rubric,
                matcher,
                exprs,
                limits,
                categories,
            }),
        })
    }
}

/// Checks the limits that the rubric checker applies to rubric text but that a rubric built in
/// Rust (or read with larger limits) could exceed: phrase length and match-expression nesting.
/// A deep expression would otherwise overflow the stack while compiling.
fn check_exprs(rubric: &Rubric, limits: &Limits) -> Result<(), RubricError> {
    use crate::RubricErrorKind as K;
    fn phrase(p: &str, limits: &Limits) -> Result<(), Diagnostic> {
        let chars = p.chars().count();
        if chars > limits.max_phrase_chars {
            return Err(Diagnostic::new(
                K::PhraseTooLong,
                format!(
                    "a phrase of {chars} characters, over the limit of {}",
                    limits.max_phrase_chars
                ),
            ));
        }
        Ok(())
    }
    fn walk(e: &MatchExpr, depth: usize, limits: &Limits) -> Result<(), Diagnostic> {
        if depth > limits.max_nesting {
            return Err(Diagnostic::new(
                K::TooDeep,
                format!(
                    "a match expression is nested more than {} levels deep",
                    limits.max_nesting
                ),
            ));
        }
        match e {
            MatchExpr::Phrase(p) => phrase(p, limits),
            MatchExpr::List(_) | MatchExpr::Regex(_) => Ok(()),
            MatchExpr::Near { items, .. } | MatchExpr::Any(items) | MatchExpr::All(items) => {
                items.iter().try_for_each(|i| walk(i, depth + 1, limits))
            }
            MatchExpr::Not(inner) => walk(inner, depth + 1, limits),
        }
    }
    for (name, phrases) in &rubric.lists {
        for p in phrases {
            phrase(p, limits)
                .map_err(|d| RubricError::single(None, d.help(format!("in list `@{name}`"))))?;
        }
    }
    for rule in &rubric.rules {
        let sides = [&rule.when, &rule.expect];
        let top = rule
            .matcher
            .iter()
            .chain(sides.into_iter().flatten().map(|s| &s.matcher));
        let result = top
            .map(|e| walk(e, 0, limits))
            .chain(rule.except.iter().map(|e| walk(e, 1, limits)))
            .collect::<Result<(), _>>();
        result.map_err(|d| RubricError::single(None, d.in_rule(Some(&rule.id))))?;
    }
    Ok(())
}

impl Engine {
    /// Compiles a rubric with the default limits.
    pub fn new(rubric: Rubric) -> Result<Engine, RubricError> {
        EngineBuilder::default().build(rubric)
    }

    /// A builder, for non-default limits.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The rubric this engine was compiled from.
    pub fn rubric(&self) -> &Rubric {
        &self.inner.rubric
    }

    /// The limits this engine applies.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Number of distinct phrases in the one automaton.
    pub fn phrase_count(&self) -> usize {
        self.inner.matcher.pattern_count()
    }

    /// Approximate heap memory of the compiled matcher, in bytes (the shared segmentation
    /// dictionary not included).
    pub fn memory_usage(&self) -> usize {
        self.inner.matcher.memory_usage()
    }

    /// Scores one transcript. Never fails: size limits are not applied (see [`Engine::try_score`]).
    pub fn score(&self, transcript: &Transcript) -> Report {
        let mut session = self.session(SessionMeta::of(transcript));
        for turn in &transcript.turns {
            session.push_ref(turn);
        }
        session.finish()
    }

    /// Scores one transcript after checking it against the engine's [`Limits`].
    pub fn try_score(&self, transcript: &Transcript) -> Result<Report, TranscriptError> {
        self.inner.check_transcript(transcript)?;
        Ok(self.score(transcript))
    }

    /// Scores many transcripts in parallel (rayon); the reports keep the input order.
    pub fn score_many(&self, transcripts: &[Transcript]) -> Vec<Report> {
        transcripts.par_iter().map(|t| self.score(t)).collect()
    }

    /// [`Engine::try_score`] on many transcripts in parallel; one bad transcript does not stop
    /// the others. Results keep the input order.
    pub fn try_score_many(
        &self,
        transcripts: &[Transcript],
    ) -> Vec<Result<Report, TranscriptError>> {
        transcripts.par_iter().map(|t| self.try_score(t)).collect()
    }

    /// Parses one transcript from JSON, checks it and scores it.
    pub fn score_json(&self, json: &str) -> Result<Report, TranscriptError> {
        if json.len() > self.inner.limits.max_transcript_bytes.saturating_mul(2) {
            return Err(crate::error::TranscriptError::new(
                crate::TranscriptErrorKind::TranscriptTooLarge,
                format!(
                    "the transcript is {} bytes of JSON, over the limit",
                    json.len()
                ),
            ));
        }
        let t = Transcript::from_json(json)?;
        self.try_score(&t)
    }

    /// Starts a live session for one conversation.
    pub fn session(&self, meta: SessionMeta) -> Session {
        Session::new(self.clone(), meta)
    }
}

impl Inner {
    pub(crate) fn check_transcript(&self, t: &Transcript) -> Result<(), TranscriptError> {
        use crate::TranscriptErrorKind as K;
        let l = &self.limits;
        if t.turns.len() > l.max_turns {
            return Err(TranscriptError::new(
                K::TooManyTurns,
                format!(
                    "the transcript has {} turns, over the limit of {}",
                    t.turns.len(),
                    l.max_turns
                ),
            )
            .with_field("turns"));
        }
        let mut total = 0usize;
        for (i, turn) in t.turns.iter().enumerate() {
            self.check_turn(turn, i)?;
            total += turn.text.len() + turn.speaker.len();
        }
        if total > l.max_transcript_bytes {
            return Err(TranscriptError::new(
                K::TranscriptTooLarge,
                format!(
                    "the transcript holds {total} bytes of text, over the limit of {}",
                    l.max_transcript_bytes
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn check_turn(
        &self,
        turn: &crate::Turn,
        index: usize,
    ) -> Result<(), TranscriptError> {
        use crate::TranscriptErrorKind as K;
        let l = &self.limits;
        if turn.text.len() > l.max_turn_bytes {
            return Err(TranscriptError::new(
                K::TurnTooLong,
                format!(
                    "the text is {} bytes, over the limit of {}",
                    turn.text.len(),
                    l.max_turn_bytes
                ),
            )
            .at_turn(index)
            .with_field("text"));
        }
        if turn.speaker.len() > l.max_turn_bytes {
            return Err(TranscriptError::new(
                K::TurnTooLong,
                "the speaker label is over the turn size limit".to_string(),
            )
            .at_turn(index)
            .with_field("speaker"));
        }
        Ok(())
    }
}
