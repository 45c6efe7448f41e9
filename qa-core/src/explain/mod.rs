//! `explain`: why each rule of a rubric fired or not on one conversation.
//!
//! [`Engine::explain`](crate::Engine::explain) scores the conversation with the real session
//! and matcher, with a [`trace::Trace`] in the turn scratch: the scan notes every match of
//! every phrase and regex and each one its filters drop (a stripped region, a negation word,
//! a word boundary), [`TurnCx::eval`](crate::rules) what each expression matched and what
//! `except` removed, the kinds the turns their scope left out, `respond` its triggers and
//! their outcome, the timing kinds what they measured. This module then sorts those notes by
//! rule and part into an [`Explanation`]. Scoring without a trace takes none of these paths
//! but a check of `Option::is_some` where a match is dropped or an expression evaluated.

mod build;
pub(crate) mod trace;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::TranscriptError;
use crate::report::Finding;
use crate::rules::RuleKind;
use crate::transcript::{SessionMeta, Transcript};

/// Why one rule fired or not, for each rule of a rubric (or one), on one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The transcript's `id`.
    pub id: Option<String>,
    /// The rubric's name.
    pub rubric: String,
    /// The conversation's score (as in its report).
    pub score: f64,
    /// Whether it passed (as in its report).
    pub passed: bool,
    /// Number of turns.
    pub turns: usize,
    /// One entry per rule explained, in rubric order.
    pub rules: Vec<RuleExplanation>,
}

/// Why one rule fired or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleExplanation {
    /// The rule's id.
    pub rule: String,
    /// The rule's display name (its id when it has none).
    pub name: String,
    /// The rule's kind.
    pub kind: RuleKind,
    /// Whether it has findings in the report.
    pub fired: bool,
    /// Its findings, exactly as in the report (report order).
    pub findings: Vec<Finding>,
    /// Its `only_if` condition never matched: it was not judged (`not_applicable` in the report).
    pub not_applicable: bool,
    /// Why it did not run, when it was skipped (`"no timestamps"`).
    pub skipped: Option<String>,
    /// `require`: whether something in scope matched (the rule was met).
    pub met: Option<bool>,
    /// What happened, by turn: matches, dropped matches, triggers, measurements.
    pub events: Vec<Event>,
}

/// Which part of a rule a match belongs to.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// `match` (`forbid`, `require`).
    Match,
    /// `respond`'s `when`.
    When,
    /// `respond`'s `expect`.
    Expect,
    /// `except`.
    Except,
    /// `only_if`.
    OnlyIf,
}

/// A match of a phrase or a regex of a rule in a turn's original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// Which part of the rule.
    pub part: Part,
    /// 0-based turn index.
    pub turn: usize,
    /// Start in the turn's original text, in Unicode code points (like a finding's `start`).
    pub start: usize,
    /// End (exclusive), in code points.
    pub end: usize,
    /// The original text matched: `turn_text[start..end]`.
    pub text: String,
    /// The phrase as written in the rubric (for a regex: none).
    pub phrase: Option<String>,
    /// The regex as written (for a phrase: none).
    pub regex: Option<String>,
    /// The `@list` it comes from, if any.
    pub list: Option<String>,
}

/// Why a match did not count.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// `negation: skip`: the negation word `word` (at `start..end` in the turn, code points)
    /// ends at most 4 characters before it in the same clause.
    Negated {
        /// The negation word, as in the original text.
        word: String,
        /// Its start in the turn's original text (code points).
        start: usize,
        /// Its end (code points).
        end: usize,
    },
    /// It overlaps `text` (at `start..end`), a match of the rule's `except`.
    Except {
        /// The `except` match, as in the original text.
        text: String,
        /// Its start (code points).
        start: usize,
        /// Its end (code points).
        end: usize,
    },
    /// `word: true`: it does not start and end on word boundaries.
    WordBoundary,
    /// It is inside or across a `normalize.strip` region (a mention, hashtag, URL …).
    Stripped,
    /// The turn's speaker is not of the role the rule (or this side of it) looks at.
    Role {
        /// The turn's speaker label.
        speaker: String,
    },
    /// The turn is outside the rule's `window`.
    Window,
    /// The rule's `only_if` condition never matched: the rule was not judged.
    OnlyIfUnmet,
    /// An item of a `near`: every item matched, but not within `within` characters of the
    /// others around this match.
    NearTooFar {
        /// The `near`'s `within`.
        within: usize,
    },
    /// An item of a `near` or `all` whose other items did not all match in this turn (or whose
    /// `not` item did).
    Incomplete,
    /// A match inside a `not`: it is what made the `not` fail.
    InsideNot,
    /// `respond`'s `expect` on a turn where no trigger was waiting for an answer.
    NoTriggerPending,
}

/// What one thing seen in the conversation did to a rule.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A match that counted: evidence of a finding (`forbid`), meeting a `require`, a `respond`
    /// trigger or answer, an `except` match, the `only_if` condition.
    Hit {
        /// The match.
        hit: Match,
    },
    /// A match that did not count, and why.
    Dropped {
        /// The match.
        hit: Match,
        /// Why it did not count.
        #[serde(flatten)]
        reason: DropReason,
    },
    /// A `respond` trigger and what became of it.
    Trigger {
        /// The trigger's first `when` match (the finding's evidence when unanswered).
        hit: Match,
        /// `within: {seconds}`: the latest start of an answer.
        deadline: Option<f64>,
        /// What became of it.
        outcome: TriggerOutcome,
    },
    /// A measured value against the rule's limits.
    Measured(Measurement),
}

/// What became of a `respond` trigger.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TriggerOutcome {
    /// Answered by a match of `expect`.
    Answered {
        /// The answer.
        answer: Match,
    },
    /// Its window closed unanswered at turn `closed_at` (the `within: {turns: N}`-th turn of
    /// the expect role, or the first turn starting after the deadline): a finding.
    Missed {
        /// The turn at which it was known.
        closed_at: usize,
    },
    /// Still pending when the conversation ended: a finding (`at_end: judge`, or a turn of
    /// the expect role followed it).
    UnansweredAtEnd,
    /// Still pending at the end with no turn of the expect role after it: not judged
    /// (`at_end: skip`).
    SkippedAtEnd,
    /// The rule was not judged (skipped, or its `only_if` never matched).
    NotJudged,
}

/// What a measured value is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// `response_time`: an agent turn's wait, in seconds.
    Wait,
    /// `silence`: the gap before a turn, in seconds.
    Gap,
    /// `overlap`: how many seconds a turn started before the previous one ended.
    Overlap,
    /// `duration`: the conversation's length, in seconds.
    Duration,
    /// `repeat`: the highest word-set similarity with an earlier turn of the role.
    Similarity,
}

/// A measured value against the rule's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured.
    pub what: Measure,
    /// The turn it was measured at (none for `duration`).
    pub turn: Option<usize>,
    /// The turn it was measured from: the customer turn waited since, the turn before a gap
    /// or an overlap.
    pub since_turn: Option<usize>,
    /// The value (seconds, or a similarity in [0, 1]).
    pub value: f64,
    /// A finding when the value is under this (`duration`'s `min_seconds`) or at least this
    /// (`repeat`'s `similarity`).
    pub min: Option<f64>,
    /// A finding when the value is over this (`max_seconds`).
    pub max: Option<f64>,
    /// `overlap`: this overlap's number, counted against `max_count`.
    pub count: Option<usize>,
    /// Whether the value broke the limits (a finding, unless a cap or a window held it back).
    pub exceeded: bool,
}

impl Measurement {
    /// A measurement with the given value and no limits yet.
    pub(crate) fn new(what: Measure, turn: Option<usize>, value: f64) -> Measurement {
        Measurement {
            what,
            turn,
            since_turn: None,
            value,
            min: None,
            max: None,
            count: None,
            exceeded: false,
        }
    }
}

/// Why [`Engine::explain`] could not explain.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum ExplainError {
    /// No rule has this id.
    UnknownRule {
        /// The id asked for.
        rule: String,
        /// The rubric's ids nearest to it (at most 3, nearest first).
        nearest: Vec<String>,
    },
    /// The transcript is over the engine's limits.
    Transcript(TranscriptError),
}

impl fmt::Display for ExplainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplainError::UnknownRule { rule, nearest } => {
                write!(f, "no rule `{rule}` in the rubric")?;
                if !nearest.is_empty() {
                    let list: Vec<String> = nearest.iter().map(|n| format!("`{n}`")).collect();
                    write!(f, "; nearest ids: {}", list.join(", "))?;
                }
                Ok(())
            }
            ExplainError::Transcript(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ExplainError {}

impl Engine {
    /// Explains why each rule (or only rule `rule`) fired or not on one conversation: the
    /// matches of its phrases and regexes, each match that did not count with its reason
    /// (negation word, `except`, word boundary, stripped region, role, window, `near`, `only_if`),
    /// `respond` triggers and what became of them, and what timing rules measured. The
    /// conversation is scored by the same session and matcher as [`Engine::score`]; the findings
    /// in the explanation are the report's.
    ///
    /// ```
    /// use qa_core::{DropReason, Engine, Event, Rubric, Transcript, Turn};
    ///
    /// let engine = Engine::new(Rubric::from_yaml(r#"
    /// rubric: r
    /// rules:
    ///   - {id: promise, kind: forbid, match: [保本], negation: skip, deduct: 10}
    /// "#).unwrap()).unwrap();
    /// let t = Transcript {
    ///     turns: vec![Turn::new("agent", "这款产品不保本")],
    ///     ..Default::default()
    /// };
    /// let e = engine.explain(&t, Some("promise")).unwrap();
    /// let rule = &e.rules[0];
    /// assert!(!rule.fired);
    /// match &rule.events[0] {
    ///     Event::Dropped { hit, reason: DropReason::Negated { word, start, .. } } => {
    ///         assert_eq!((hit.text.as_str(), hit.start), ("保本", 5));
    ///         assert_eq!((word.as_str(), *start), ("不", 4));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(engine.explain(&t, Some("promis")).unwrap_err().to_string().contains("`promise`"));
    /// ```
    pub fn explain(
        &self,
        transcript: &Transcript,
        rule: Option<&str>,
    ) -> Result<Explanation, ExplainError> {
        let compiled = self.compiled();
        let only = match rule {
            None => None,
            Some(id) => Some(
                compiled
                    .rubric
                    .rules
                    .iter()
                    .position(|r| r.id() == id)
                    .ok_or_else(|| ExplainError::UnknownRule {
                        rule: id.to_string(),
                        nearest: nearest_ids(id, compiled.rubric.rules.iter().map(|r| r.id())),
                    })?,
            ),
        };
        compiled
            .check_transcript(transcript)
            .map_err(ExplainError::Transcript)?;
        let mut session = self.session(SessionMeta::of(transcript));
        session.trace();
        for turn in &transcript.turns {
            session.push_ref(turn);
        }
        let (report, trace) = session.finish_traced();
        let trace = trace.unwrap_or_default();
        Ok(build::assemble(
            compiled,
            &report,
            &trace,
            transcript.turns.len(),
            only,
        ))
    }
}

/// The (at most 3) ids nearest to `id` by edit distance, nearest first.
fn nearest_ids<'a>(id: &str, ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = ids
        .map(|c| {
            (
                strsim::damerau_levenshtein(&id.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}
