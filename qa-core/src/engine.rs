//! The engine: a rubric compiled once into an immutable, shareable scorer.

use std::sync::Arc;

use rayon::prelude::*;

use crate::compiled::CompiledRubric;
use crate::error::{RubricError, TranscriptError};
use crate::limits::Limits;
use crate::matcher::AutomatonChoice;
use crate::report::Report;
use crate::rubric::Rubric;
use crate::session::Session;
use crate::transcript::{SessionMeta, Transcript};

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
    pub(crate) inner: Arc<CompiledRubric>,
    /// Whether the rubric's `redact` masks the text this engine hands out.
    redact: bool,
}

/// Builds an [`Engine`] with non-default [`Limits`], or with the rubric's `redact` turned off.
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    limits: Limits,
    automaton: AutomatonChoice,
    redact: bool,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            limits: Limits::default(),
            automaton: AutomatonChoice::default(),
            redact: true,
        }
    }
}

impl EngineBuilder {
    /// Sets the limits (also applied to transcripts by `try_score` and `try_push`).
    pub fn limits(mut self, limits: Limits) -> EngineBuilder {
        self.limits = limits;
        self
    }

    /// Whether the rubric's `redact` masks the text the engine hands out (default true; false
    /// is for auditors who must see the original: `qa score --no-redact`). Rules match the
    /// original text either way. See [`Engine::with_redact`].
    pub fn redact(mut self, on: bool) -> EngineBuilder {
        self.redact = on;
        self
    }

    /// Which Aho-Corasick automaton to build (for tests that run every case under each kind).
    #[doc(hidden)]
    pub fn automaton(mut self, choice: AutomatonChoice) -> EngineBuilder {
        self.automaton = choice;
        self
    }

    /// Compiles the rubric, checking it against the limits: rule count, phrase count and
    /// length, regex sizes one by one and in total, match-expression nesting. A rubric read from
    /// text was checked against the limits it was read with; this checks again with the engine's
    /// own, so a rubric read with larger limits is held to them too. Errors name the rubric's
    /// file, line and column.
    pub fn build(self, rubric: Rubric) -> Result<Engine, RubricError> {
        Ok(Engine {
            inner: Arc::new(CompiledRubric::build(rubric, self.limits, self.automaton)?),
            redact: self.redact,
        })
    }
}

/// The most worker threads a front end starts for one batch: 4 × the cores this process may
/// use (`std::thread::available_parallelism`, which follows CPU affinity and cgroup quotas).
/// More threads than that only add memory and scheduling: scoring is CPU-bound. The CLI's
/// `--jobs`, Python's `jobs=` and Node's batch calls are capped at it.
///
/// ```
/// assert!(qa_core::max_jobs() >= 4);
/// ```
pub fn max_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 4
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

    pub(crate) fn compiled(&self) -> &CompiledRubric {
        &self.inner
    }

    /// The same engine (sharing its compiled rubric) with the rubric's `redact` on or off.
    ///
    /// ```
    /// use qa_core::{Engine, Rubric, Transcript, Turn};
    ///
    /// let engine = Engine::new(Rubric::from_yaml(r#"
    /// rubric: r
    /// redact: {builtin: [phone_cn]}
    /// rules:
    ///   - {id: phone, kind: forbid, match: [{regex: '1[3-9]\d{9}'}]}
    /// "#).unwrap()).unwrap();
    /// let t = Transcript { turns: vec![Turn::new("agent", "电话13800138000")], ..Default::default() };
    /// let masked = engine.score(&t);
    /// assert_eq!(masked.findings[0].text.as_deref(), Some("***********"));
    /// assert!(masked.redacted);
    /// let plain = engine.with_redact(false).score(&t);
    /// assert_eq!(plain.findings[0].text.as_deref(), Some("13800138000"));
    /// assert!(!plain.redacted);
    /// ```
    pub fn with_redact(&self, on: bool) -> Engine {
        Engine {
            inner: Arc::clone(&self.inner),
            redact: on,
        }
    }

    /// Whether the text this engine hands out is masked: the rubric has `redact` and it is on.
    pub fn redacts(&self) -> bool {
        self.redact && self.inner.redactor.is_some()
    }

    /// `text` as the engine hands transcript text out: with the rubric's `redact` applied, each
    /// masked code point replaced by the mask, one for one, so code point offsets into the
    /// original (a finding's `start`/`end`) are offsets into the result too. Borrowed when
    /// nothing is masked (no `redact`, redaction off, or nothing found). For front ends that
    /// show a turn's text (tables, the HTML report); findings' `text` is already masked.
    ///
    /// ```
    /// let engine = qa_core::Engine::new(qa_core::Rubric::from_yaml(
    ///     "rubric: r\nredact: {builtin: [phone_cn, email], mask: '#'}\nrules: []",
    /// ).unwrap()).unwrap();
    /// assert_eq!(engine.redact_text("打138-0013-8000或写信a@b.cn"), "打#############或写信######");
    /// assert!(matches!(engine.redact_text("没有个人信息"), std::borrow::Cow::Borrowed(_)));
    /// assert_eq!(engine.with_redact(false).redact_text("13800138000"), "13800138000");
    /// ```
    pub fn redact_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match &self.inner.redactor {
            Some(r) if self.redact => r.mask_text(text),
            _ => std::borrow::Cow::Borrowed(text),
        }
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

    /// Approximate heap memory of the compiled matcher (automaton and regexes), in bytes (the
    /// shared segmentation dictionary not included).
    pub fn memory_usage(&self) -> usize {
        self.inner.matcher.memory_usage()
    }

    /// The automaton kind in use (for tests).
    #[doc(hidden)]
    pub fn automaton_kind(&self) -> Option<aho_corasick::AhoCorasickKind> {
        self.inner.matcher.automaton_kind()
    }

    /// Scores one transcript. Never fails: size limits are not applied (see [`Engine::try_score`]).
    pub fn score(&self, transcript: &Transcript) -> Report {
        let mut session = self.session(SessionMeta::of(transcript));
        for turn in &transcript.turns {
            session.push_turn(turn);
        }
        session.finish()
    }

    /// Scores one transcript after checking it against the engine's [`Limits`].
    pub fn try_score(&self, transcript: &Transcript) -> Result<Report, TranscriptError> {
        self.check(transcript)?;
        Ok(self.score(transcript))
    }

    /// Checks a transcript against the engine's [`Limits`] (turns, text sizes, metadata), as
    /// [`Engine::try_score`] does before scoring: for a front end that scores one transcript
    /// with several engines.
    pub fn check(&self, transcript: &Transcript) -> Result<(), TranscriptError> {
        self.inner.check_transcript(transcript)
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

    /// Parses one transcript from JSON, checking it against the engine's [`Limits`] while it is
    /// read (a body of a million turns is refused after `max_turns + 1` of them), and scores it.
    pub fn score_json(&self, json: &str) -> Result<Report, TranscriptError> {
        if json.len() > self.inner.limits.max_transcript_bytes.saturating_mul(2) {
            return Err(TranscriptError::new(
                crate::TranscriptErrorKind::TranscriptTooLarge,
                format!(
                    "the transcript is {} bytes of JSON, over the limit",
                    json.len()
                ),
            ));
        }
        let t = Transcript::from_json_with_limits(json, &self.inner.limits)?;
        Ok(self.score(&t))
    }

    /// Starts a live session for one conversation.
    pub fn session(&self, meta: SessionMeta) -> Session {
        Session::new(Arc::clone(&self.inner), meta, self.redact)
    }
}
