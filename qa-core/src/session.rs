//! Live sessions (spec §4) — and batch scoring, which is a session fed every turn at once.
//!
//! Each rule keeps a small state that is updated once per pushed turn (see `crate::rules`): a
//! `forbid` match is certain at once, a `respond` trigger is certain when its window closes, a
//! `require` with a `first`/`turns` window is decided when its window is past, and so on. What
//! can only be known at the end (`require` over the whole conversation, `window: {last: N}`,
//! `duration`) is decided by [`Session::finish`]. Because [`Engine::score`](crate::Engine::score)
//! is implemented as push-every-turn-then-finish, `finish()` equals `score()` on the same turns
//! by construction.

use std::sync::Arc;

use crate::compiled::CompiledRubric;
use crate::error::{TranscriptError, TranscriptErrorKind};
use crate::explain::trace::{At, OutOf, Raw, Trace};
use crate::explain::Part;
use crate::matcher::{Hit, TurnScratch};
use crate::options::Role;
use crate::redact::TurnRedaction;
use crate::report::{Finding, NotApplicable, Report, Skipped};
use crate::rules::{EndCx, PrevTurn, States, TurnCx};
use crate::score;
use crate::transcript::{SessionMeta, Turn};

/// One conversation being scored turn by turn.
///
/// ```
/// use qa_core::{Engine, Rubric, SessionMeta, Turn};
///
/// let engine = Engine::new(Rubric::from_yaml(r#"
/// rubric: live
/// rules:
///   - {id: rude, kind: forbid, match: [爱买不买], deduct: 10, alert: true}
///   - {id: greet, kind: require, match: [您好], deduct: 5}
/// "#).unwrap()).unwrap();
/// let mut s = engine.session(SessionMeta::with_id("c1"));
/// assert!(s.push(Turn::new("customer", "在吗")).is_empty());
/// let now = s.push(Turn::new("agent", "爱买不买"));
/// assert_eq!(now[0].rule, "rude"); // certain at once
/// let report = s.finish();           // the missed greeting is only certain at the end
/// assert_eq!(report.score, 85.0);
/// ```
#[derive(Debug)]
pub struct Session {
    compiled: Arc<CompiledRubric>,
    meta: SessionMeta,
    states: States,
    scratch: TurnScratch,
    spans: Vec<Hit>,
    /// The rules the current turn visits (reused buffer).
    visit: Vec<u32>,
    /// Speaker labels seen so far and their roles.
    roles: Vec<(String, Role)>,
    /// Findings so far, each with its rule index.
    findings: Vec<(usize, Finding)>,
    /// Per rule: what its findings have deducted so far (for pushed findings' `deduct`).
    taken: Vec<f64>,
    /// Per rule: whether its `only_if` condition has matched (true for a rule without one).
    applies: Vec<bool>,
    /// Indices into `findings` of findings held until their rule's condition matches.
    held: Vec<usize>,
    /// Per capped category (`scoring.category_caps`, same order): what its findings took so far.
    cat_taken: Vec<f64>,
    /// Per rule: the first turn on which a `near` search ran out of steps.
    near_overflow: Vec<Option<usize>>,
    turn_count: usize,
    total_bytes: usize,
    /// Turns of each role seen so far: agent, customer, other.
    role_counts: [usize; 3],
    has_timestamps: bool,
    prev: Option<PrevTurn>,
    first_start: Option<f64>,
    last_time: Option<f64>,
    /// Whether the text this session hands out is masked (the rubric has `redact` and the
    /// engine did not turn it off).
    redacted: bool,
    redaction: TurnRedaction,
}

impl Session {
    pub(crate) fn new(compiled: Arc<CompiledRubric>, meta: SessionMeta, redact: bool) -> Session {
        let n = compiled.rubric.rules.len();
        let applies = compiled.conditions.iter().map(Option::is_none).collect();
        let caps = compiled.rubric.scoring.category_caps.len();
        let redacted = redact && compiled.redactor.is_some();
        Session {
            states: compiled.rules.states(),
            compiled,
            meta,
            scratch: TurnScratch::default(),
            spans: Vec::new(),
            visit: Vec::new(),
            roles: Vec::new(),
            findings: Vec::new(),
            taken: vec![0.0; n],
            applies,
            held: Vec::new(),
            cat_taken: vec![0.0; caps],
            near_overflow: vec![None; n],
            turn_count: 0,
            total_bytes: 0,
            role_counts: [0; 3],
            has_timestamps: false,
            prev: None,
            first_start: None,
            last_time: None,
            redacted,
            redaction: TurnRedaction::default(),
        }
    }

    /// Number of turns pushed so far.
    pub fn turn_count(&self) -> usize {
        self.turn_count
    }

    /// Adds the next turn; returns the findings that became certain with it (all of them,
    /// `alert` rules included — filter on [`Finding::alert`] for alerts). Size limits are not
    /// applied (see [`Session::try_push`]).
    pub fn push(&mut self, turn: Turn) -> Vec<Finding> {
        self.push_ref(&turn)
    }

    /// [`Session::push`] after checking the turn against the engine's [`Limits`](crate::Limits):
    /// turn length, turn count and conversation size.
    pub fn try_push(&mut self, turn: Turn) -> Result<Vec<Finding>, TranscriptError> {
        let compiled = &self.compiled;
        compiled.check_turn(&turn, self.turn_count)?;
        let limits = &compiled.limits;
        if self.turn_count >= limits.max_turns {
            return Err(TranscriptError::new(
                TranscriptErrorKind::TooManyTurns,
                format!("the conversation has more than {} turns", limits.max_turns),
            )
            .at_turn(self.turn_count));
        }
        if self.total_bytes + turn.text.len() + turn.speaker.len() > limits.max_transcript_bytes {
            return Err(TranscriptError::new(
                TranscriptErrorKind::TranscriptTooLarge,
                format!(
                    "the conversation is over {} bytes of text",
                    limits.max_transcript_bytes
                ),
            )
            .at_turn(self.turn_count));
        }
        Ok(self.push_ref(&turn))
    }

    pub(crate) fn push_ref(&mut self, turn: &Turn) -> Vec<Finding> {
        let first_new = self.push_turn(turn);
        self.take_new(first_new)
    }

    /// Runs every rule on the next turn; returns the index in `findings` of the first finding
    /// it added. For [`Engine::score`](crate::Engine::score), which hands out no finding before
    /// the report: what [`Session::take_new`] keeps (provisional deductions, held findings) is
    /// only for the findings [`Session::push`] returns, and the report is built without it.
    pub(crate) fn push_turn(&mut self, turn: &Turn) -> usize {
        let compiled = Arc::clone(&self.compiled);
        let index = self.turn_count;
        self.turn_count += 1;
        self.total_bytes += turn.text.len() + turn.speaker.len();
        let start = turn.start.filter(|x| x.is_finite());
        let end = turn.end.filter(|x| x.is_finite());
        if start.is_some() || end.is_some() {
            self.has_timestamps = true;
        }
        if self.first_start.is_none() {
            self.first_start = start;
        }
        if let Some(t) = end.or(start) {
            self.last_time = Some(t);
        }
        let role = self.role_of(&turn.speaker);
        if let Some(trace) = self.scratch.trace.as_deref_mut() {
            trace.turn = index;
        }
        compiled.matcher.scan(&turn.text, &mut self.scratch);
        let first_new = self.findings.len();
        // `only_if` conditions, on every turn (before the rules, so a rule whose condition
        // matches in this turn has its findings of this turn pushed at once)
        for &r in &compiled.conditional {
            let Some((cond_role, expr)) = compiled.conditions[r] else {
                continue;
            };
            if self.applies[r] {
                continue;
            }
            if !cond_role.covers(role) {
                if let Some(trace) = self.scratch.trace.as_deref_mut() {
                    trace.note(Raw::OutOfScope {
                        rule: r,
                        part: Part::OnlyIf,
                        turn: index,
                        why: OutOf::Role,
                        speaker: turn.speaker.trim().to_string(),
                    });
                }
                continue;
            }
            if compiled.matcher.may_match(expr, &self.scratch) {
                compiled
                    .matcher
                    .eval(expr, &mut self.scratch, &mut self.spans);
                self.applies[r] = !self.spans.is_empty();
                if let Some(trace) = self.scratch.trace.as_deref_mut() {
                    let norm = &self.scratch.norm;
                    let kept = self
                        .spans
                        .iter()
                        .map(|s| At::of(index, &turn.text, norm, *s));
                    trace.note(Raw::Eval {
                        expr,
                        turn: index,
                        kept: kept.collect(),
                    });
                }
            }
            if self.scratch.take_near_overflow() {
                self.near_overflow[r].get_or_insert(index);
            }
        }
        // only the rules this turn concerns (in rubric order): the others would do nothing
        let mut visit = std::mem::take(&mut self.visit);
        compiled.matcher.rules_to_visit(&self.scratch, &mut visit);
        let speaker = turn.speaker.trim();
        self.redaction.next_turn();
        let redaction = match &compiled.redactor {
            Some(r) if self.redacted => Some((r, &mut self.redaction)),
            _ => None,
        };
        let mut cx = TurnCx::new(
            index,
            role,
            (start, end),
            &turn.text,
            speaker,
            self.role_counts,
            self.prev.as_ref(),
            &compiled.matcher,
            &mut self.scratch,
            &mut self.spans,
            &mut self.findings,
            redaction,
        );
        for &r in &visit {
            let r = r as usize;
            compiled.rules.on_turn(r, &mut self.states, &mut cx);
            if cx.scratch.take_near_overflow() {
                self.near_overflow[r].get_or_insert(index);
            }
        }
        self.visit = visit;
        self.role_counts[role.slot()] += 1;
        // reuse the previous turn's speaker buffer: no allocation per turn
        let mut label = self.prev.take().map(|p| p.speaker).unwrap_or_default();
        label.clear();
        label.push_str(speaker);
        self.prev = Some(PrevTurn {
            speaker: label,
            end,
            end_or_start: end.or(start),
        });
        first_new
    }

    /// The role of a speaker label, remembered per label: a conversation has few labels, and
    /// `Speakers::role_of` lower-cases (allocates) on every call.
    fn role_of(&mut self, label: &str) -> Role {
        if let Some((_, role)) = self.roles.iter().find(|(l, _)| l == label) {
            return *role;
        }
        let role = self.compiled.rubric.speakers.role_of(label);
        if self.roles.len() < 16 {
            self.roles.push((label.to_string(), role));
        }
        role
    }

    /// Sets the provisional `deduct` (what it takes given the rule's cap and its category's cap
    /// so far) of each new finding and of each held one whose rule's condition has now matched,
    /// and returns copies of them: the held ones first. Findings of a rule whose condition has
    /// not matched yet are held.
    fn take_new(&mut self, from: usize) -> Vec<Finding> {
        let rules = &self.compiled.rubric.rules;
        let caps = &self.compiled.rubric.scoring.category_caps;
        let applies = &self.applies;
        let mut ready: Vec<usize> = Vec::new();
        self.held.retain(|&i| {
            let now = applies[self.findings[i].0];
            if now {
                ready.push(i);
            }
            !now
        });
        for i in from..self.findings.len() {
            if applies[self.findings[i].0] {
                ready.push(i);
            } else {
                self.held.push(i);
            }
        }
        let mut out = Vec::with_capacity(ready.len());
        for i in ready {
            let (r, f) = &mut self.findings[i];
            let rule = &rules[*r];
            let d = score::allot(rule, self.taken[*r], caps, &self.cat_taken);
            self.taken[*r] += d;
            score::take_category(rule, d, caps, &mut self.cat_taken);
            f.deduct = d;
            out.push(f.clone());
        }
        out
    }

    /// Ends the conversation and returns its report (equal to `Engine::score` on the same turns).
    pub fn finish(self) -> Report {
        self.finish_traced().0
    }

    /// Makes this an explained run: from now on the matcher, the rules and the session note
    /// what they decide (see `crate::explain`).
    pub(crate) fn trace(&mut self) {
        self.scratch.trace = Some(Box::default());
    }

    /// [`Session::finish`], and what an explained run noted (`None` unless [`Session::trace`]).
    pub(crate) fn finish_traced(mut self) -> (Report, Option<Box<Trace>>) {
        let compiled = Arc::clone(&self.compiled);
        let rules = &compiled.rubric.rules;
        let mut skipped = Vec::new();
        let mut not_applicable = Vec::new();
        let mut judged = vec![true; rules.len()];
        for (r, rule) in rules.iter().enumerate() {
            let reason = if rule.needs_timestamps() && !self.has_timestamps {
                Some("no timestamps".to_string())
            } else {
                self.near_overflow[r].map(|turn| {
                    format!(
                        "a `near` match in turn {turn} needs more than {} steps (Limits::max_near_steps)",
                        compiled.limits.max_near_steps
                    )
                })
            };
            if let Some(reason) = reason {
                skipped.push(Skipped {
                    rule: rule.id().to_string(),
                    reason,
                });
                // nothing it held can stand
                self.findings.retain(|(fr, _)| *fr != r);
                judged[r] = false;
                continue;
            }
            if !self.applies[r] {
                // its condition never matched: its held findings are dropped
                not_applicable.push(NotApplicable {
                    rule: rule.id().to_string(),
                });
                self.findings.retain(|(fr, _)| *fr != r);
                judged[r] = false;
                continue;
            }
            let mut cx = EndCx {
                first_start: self.first_start,
                last_time: self.last_time,
                findings: &mut self.findings,
                trace: self.scratch.trace.as_deref_mut(),
            };
            compiled.rules.on_end(r, &mut self.states, &mut cx);
        }
        let met: Vec<bool> = (0..rules.len())
            .map(|r| judged[r] && compiled.rules.met(r, &self.states))
            .collect();
        if let Some(trace) = self.scratch.trace.as_deref_mut() {
            trace.met = met.clone();
        }
        let report = score::assemble(
            &compiled,
            self.meta,
            self.findings,
            &met,
            skipped,
            not_applicable,
            self.redacted,
        );
        (report, self.scratch.trace.take())
    }
}
