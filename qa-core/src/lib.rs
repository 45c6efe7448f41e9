//! # qa-core
//!
//! A quality-inspection (QA, 客服质检) rule engine for customer-service conversations: it reads
//! a declarative scoring rubric — greetings, forbidden phrases, compliance terms, questions that
//! must be asked, reply times — and scores chat and call transcripts, Chinese first, English too.
//!
//! ```
//! use qa_core::{Engine, Rubric, Transcript};
//!
//! let rubric = Rubric::from_yaml(r#"
//! rubric: 电商售后服务质检
//! scoring: {base: 100, pass: 80}
//! rules:
//!   - id: promise
//!     kind: forbid
//!     match: [保本, 稳赚, 零风险]
//!     negation: skip      # "不保本" is not a finding
//!     fatal: true
//!   - id: rude
//!     kind: forbid
//!     match: [爱买不买, "don't care"]
//!     deduct: 10
//! "#)?;
//! let engine = Engine::new(rubric)?;
//! let transcript = Transcript::from_json(r#"{"id": "c1", "turns": [
//!     {"speaker": "customer", "text": "这个产品保本吗？"},
//!     {"speaker": "agent", "text": "这款产品不保本，I DON'T CARE 😀"}
//! ]}"#)?;
//! let report = engine.score(&transcript);
//! assert_eq!(report.score, 90.0);
//! assert!(report.passed);
//! let f = &report.findings[0];
//! assert_eq!((f.turn, f.start, f.end), (Some(1), Some(10), Some(20)));
//! assert_eq!(f.text.as_deref(), Some("DON'T CARE")); // the original text, original case
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The [`Engine`] is compiled once and shared (`Send + Sync`, cheap to clone); [`Engine::score`]
//! scores one transcript, [`Engine::score_many`] many in parallel, and [`Engine::session`]
//! scores a live conversation turn by turn. See `docs/rubric.md` for the rubric reference and
//! `docs/DESIGN.md` for how a rubric becomes a report.

#![deny(missing_docs)]

#[cfg(feature = "arrow")]
pub mod arrow;
mod builder;
mod check;
mod compiled;
mod diff;
mod engine;
mod error;
mod explain;
mod limits;
mod matcher;
mod model;
mod normalize;
mod options;
mod pattern;
mod redact;
mod report;
mod rubric;
pub mod rules;
mod sample;
mod schema;
mod score;
mod segment;
mod session;
mod source;
mod thresholds;
mod transcript;

pub use builder::{RubricBuilder, RuleBuilder};
pub use check::NEAR_MAX_ITEMS;
pub use diff::{Flip, ReportDiff};
pub use engine::{max_jobs, Engine, EngineBuilder};
pub use error::{Diagnostic, RubricError, RubricErrorKind, TranscriptError, TranscriptErrorKind};
pub use explain::{
    DropReason, Event, ExplainError, Explanation, Match, Measure, Measurement, Part,
    RuleExplanation, TriggerOutcome,
};
pub use limits::Limits;
#[doc(hidden)]
pub use matcher::AutomatonChoice;
pub use model::{
    Bound, List, ListRef, MatchExpr, Metric, NamedPattern, Near, Phrase, Redact, RegexItem,
    Scoring, Side, Speakers, Threshold,
};
pub use options::{
    Builtin, ChineseForm, GroupBy, Locale, Negation, Normalize, Role, Scope, Severity, Strip,
    Window, Within,
};
pub use pattern::Pattern;
pub use report::{CategoryScore, Finding, InUnits, NotApplicable, Report, Skipped, Span, Units};
pub use rubric::{PhraseUse, Rubric};
pub use rules::{Rule, RuleKind, RuleSpec, REPEAT_LOOKBACK};
pub use sample::{Dropped, PhraseHit, PhrasePart, PhraseSampler, SampledPhrase};
pub use schema::rubric_schema;
pub use session::Session;
pub use source::Format;
pub use thresholds::{Breach, ThresholdMonitor};
pub use transcript::{SessionMeta, Transcript, Turn};

/// The README's Rust example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod oibits {
    use super::*;
    use std::panic::{RefUnwindSafe, UnwindSafe};

    fn assert_all<T: Send + Sync + UnwindSafe + RefUnwindSafe>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn public_types_are_thread_safe() {
        assert_all::<Engine>();
        assert_all::<Rubric>();
        assert_all::<Report>();
        assert_all::<Finding>();
        assert_all::<ReportDiff>();
        assert_all::<Transcript>();
        assert_all::<RubricError>();
        assert_all::<TranscriptError>();
        assert_all::<Limits>();
        assert_all::<PhraseSampler>();
        assert_all::<PhraseHit>();
        assert_all::<Explanation>();
        assert_all::<ExplainError>();
        assert_all::<ThresholdMonitor>();
        assert_all::<Breach>();
        assert_send::<Session>();
    }
}
