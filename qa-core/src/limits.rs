//! Limits on what the engine accepts, so untrusted rubrics and transcripts cannot exhaust memory
//! or time. Each limit has a documented default and its own error kind.

use serde::{Deserialize, Serialize};

/// Size limits, checked when a rubric is read, when an engine is built, and when a transcript
/// is scored with [`Engine::try_score`](crate::Engine::try_score) or pushed with
/// [`Session::try_push`](crate::Session::try_push).
///
/// ```
/// let limits = qa_core::Limits { max_turns: 2, ..Default::default() };
/// let rubric = qa_core::Rubric::from_yaml("rubric: r\nrules: []\n").unwrap();
/// let engine = qa_core::Engine::builder().limits(limits).build(rubric).unwrap();
/// let t = qa_core::Transcript {
///     turns: vec![qa_core::Turn::new("agent", "a"); 3],
///     ..Default::default()
/// };
/// let err = engine.try_score(&t).unwrap_err();
/// assert_eq!(err.kind(), qa_core::TranscriptErrorKind::TooManyTurns);
/// ```
///
/// Limits (de)serialize with serde, so they can come from a configuration file; a missing
/// field keeps its default and an unknown field is an error:
///
/// ```
/// let limits: qa_core::Limits = serde_json::from_str(r#"{"max_turns": 500}"#).unwrap();
/// assert_eq!(limits.max_turns, 500);
/// assert_eq!(limits.max_rules, qa_core::Limits::default().max_rules);
/// assert!(serde_json::from_str::<qa_core::Limits>(r#"{"max_turn": 500}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest rubric text, in bytes. Default 4 MiB. Error: `RubricTooLarge`.
    pub max_rubric_bytes: usize,
    /// Most rules. Default 10,000. Error: `TooManyRules`.
    pub max_rules: usize,
    /// Most phrases over all rules (lists expanded). Default 200,000. Error: `TooManyPhrases`.
    pub max_phrases: usize,
    /// Longest phrase, in characters. Default 1,000. Error: `PhraseTooLong`.
    pub max_phrase_chars: usize,
    /// Largest compiled regex, in bytes. Default 2 MiB. Error: `RegexTooLarge`.
    pub max_regex_bytes: usize,
    /// Most bytes all of a rubric's regexes may hold together once compiled (each counted with
    /// its search cache). Default 64 MiB. Error: `RegexBudgetExceeded`.
    pub max_regex_total_bytes: usize,
    /// Deepest nesting of a regex or a match expression. Default 32; at most
    /// [`Limits::NESTING_CEILING`] whatever is set (checking and compiling recurse that deep).
    /// Error: `TooDeep`.
    pub max_nesting: usize,
    /// Deepest nesting of the rubric text itself (mappings and lists, whatever they hold).
    /// Default 64; at most [`Limits::SOURCE_DEPTH_CEILING`] whatever is set. Error: `TooDeep`.
    pub max_source_depth: usize,
    /// Largest transcript (sum of turn texts and speakers), in bytes. Default 16 MiB.
    /// Error: `TranscriptTooLarge`.
    pub max_transcript_bytes: usize,
    /// Most turns in one transcript or session. Default 100,000. Error: `TooManyTurns`.
    pub max_turns: usize,
    /// Longest turn text, in bytes. Default 1 MiB. Error: `TurnTooLong`.
    pub max_turn_bytes: usize,
    /// Largest `meta` object of a transcript, in bytes of JSON, and longest `id`, `agent` or
    /// `channel`, in bytes. Default 64 KiB. Error: `MetaTooLarge`.
    pub max_meta_bytes: usize,
    /// Most steps a `near` expression may take to find its matches in one turn (one step is
    /// one occurrence looked at from one chain). Default 1,000,000. A turn that needs more is
    /// not judged by that rule: the report lists the rule under `skipped` with the reason,
    /// never a silently partial result.
    pub max_near_steps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rubric_bytes: 4 << 20,
            max_rules: 10_000,
            max_phrases: 200_000,
            max_phrase_chars: 1_000,
            max_regex_bytes: 2 << 20,
            max_regex_total_bytes: 64 << 20,
            max_nesting: 32,
            max_source_depth: 64,
            max_transcript_bytes: 16 << 20,
            max_turns: 100_000,
            max_turn_bytes: 1 << 20,
            max_meta_bytes: 64 << 10,
            max_near_steps: 1_000_000,
        }
    }
}

impl Limits {
    /// The most `max_nesting` can be: checking and compiling a match expression recurse once per
    /// level, so a larger setting could overflow the stack instead of giving `TooDeep`.
    pub const NESTING_CEILING: usize = 128;
    /// The most `max_source_depth` can be, for the same reason (reading rubric text recurses once
    /// per level).
    pub const SOURCE_DEPTH_CEILING: usize = 256;

    /// `max_nesting`, within [`Limits::NESTING_CEILING`].
    pub fn nesting(&self) -> usize {
        self.max_nesting.min(Limits::NESTING_CEILING)
    }

    /// `max_source_depth`, within [`Limits::SOURCE_DEPTH_CEILING`].
    pub fn source_depth(&self) -> usize {
        self.max_source_depth.min(Limits::SOURCE_DEPTH_CEILING)
    }
}
