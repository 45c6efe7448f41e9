//! Live sessions (spec §4) — and batch scoring, which is a session fed every turn at once.
//!
//! Each rule keeps a small state that is updated once per pushed turn: a `forbid` match is
//! certain at once, a `respond` trigger is certain when its window closes, a `require` with a
//! `first`/`turns` window is decided when its window is past, and so on. What can only be known
//! at the end (`require` over the whole conversation, `window: {last: N}`, `duration`) is decided
//! by [`Session::finish`]. Because [`Engine::score`](crate::Engine::score) is implemented as
//! push-every-turn-then-finish, `finish()` equals `score()` on the same turns by construction.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashSet, VecDeque};

use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::error::{TranscriptError, TranscriptErrorKind};
use crate::matcher::{ExprId, Span, TurnScratch};
use crate::report::{Finding, Report};
use crate::rubric::{Role, Rule, RuleKind, Scope, Window, Within};
use crate::score;
use crate::segment;
use crate::transcript::{Transcript, Turn};

/// What a session echoes into its report (a transcript's `id`, `agent`, `channel`, `meta`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionMeta {
    /// Conversation id.
    pub id: Option<String>,
    /// Agent id.
    pub agent: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Free-form metadata.
    pub meta: Option<Map<String, Value>>,
}

impl SessionMeta {
    /// The meta fields of a transcript.
    pub fn of(t: &Transcript) -> SessionMeta {
        SessionMeta {
            id: t.id.clone(),
            agent: t.agent.clone(),
            channel: t.channel.clone(),
            meta: t.meta.clone(),
        }
    }

    /// Meta with just an id.
    pub fn with_id(id: impl Into<String>) -> SessionMeta {
        SessionMeta {
            id: Some(id.into()),
            ..SessionMeta::default()
        }
    }
}

/// Most earlier turns a `repeat` rule compares a turn with (the most recent ones).
pub const REPEAT_LOOKBACK: usize = 1000;

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
    engine: Engine,
    meta: SessionMeta,
    states: Vec<RuleState>,
    scratch: TurnScratch,
    spans: Vec<Span>,
    /// The rules the current turn visits (reused buffer).
    visit: Vec<u32>,
    /// Speaker labels seen so far and their roles.
    roles: Vec<(String, Role)>,
    /// Findings so far, each with its rule index.
    findings: Vec<(usize, Finding)>,
    /// Per rule: what its findings have deducted so far (for pushed findings' `deduct`).
    taken: Vec<f64>,
    turn_count: usize,
    total_bytes: usize,
    /// Turns of each role seen so far: agent, customer, other.
    role_counts: [usize; 3],
    has_timestamps: bool,
    prev: Option<PrevTurn>,
    first_start: Option<f64>,
    last_time: Option<f64>,
}

#[derive(Debug, Clone)]
struct PrevTurn {
    speaker: String,
    end: Option<f64>,
    end_or_start: Option<f64>,
}

/// A finding waiting for the end of the conversation because its rule's window is `last: N`.
#[derive(Debug, Default)]
struct LastWindow {
    /// (role-turn number, findings of that turn), at most N entries.
    turns: VecDeque<(usize, Vec<Finding>)>,
}

#[derive(Debug)]
struct Trigger {
    turn: usize,
    finding: Finding,
    /// `within: turns`: the count of unanswered expect-role turns at which it expires.
    expires: usize,
}

/// `within: seconds`: a pending trigger's deadline (the latest start of an answer); the
/// ordering puts the earliest deadline at the top of a (max-)heap.
#[derive(Debug, PartialEq)]
struct Deadline {
    at: f64,
    turn: usize,
}

impl Eq for Deadline {}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .at
            .total_cmp(&self.at)
            .then(other.turn.cmp(&self.turn))
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug)]
enum RuleState {
    /// `forbid`: findings of `last: N` windows wait here.
    Forbid(LastWindow),
    Require {
        met: bool,
        decided: bool,
        /// `last: N`: whether each of the last N role turns matched.
        last: VecDeque<bool>,
    },
    /// Unanswered triggers by turn; each turn costs O(log n) in the triggers it closes, not
    /// O(n) in those pending (100,000 pending triggers made scoring quadratic).
    Respond {
        pending: BTreeMap<usize, Trigger>,
        /// `within: seconds`: the pending triggers' deadlines, earliest first.
        deadlines: BinaryHeap<Deadline>,
        /// `within: turns`: expect-role turns so far that answered no trigger.
        unanswered: usize,
    },
    ResponseTime {
        waiting_since: Option<f64>,
        customer_waiting: bool,
        done: bool,
    },
    Stateless,
    Overlap {
        count: usize,
        last: LastWindow,
    },
    Repeat {
        earlier: VecDeque<HashSet<String>>,
        last: LastWindow,
    },
}

fn role_slot(role: Role) -> usize {
    match role {
        Role::Agent => 0,
        Role::Customer => 1,
        _ => 2,
    }
}

impl Session {
    pub(crate) fn new(engine: Engine, meta: SessionMeta) -> Session {
        let states = engine
            .inner
            .rubric
            .rules
            .iter()
            .map(|r| match r.kind {
                RuleKind::Forbid => RuleState::Forbid(LastWindow::default()),
                RuleKind::Require => RuleState::Require {
                    met: false,
                    decided: false,
                    last: VecDeque::new(),
                },
                RuleKind::Respond => RuleState::Respond {
                    pending: BTreeMap::new(),
                    deadlines: BinaryHeap::new(),
                    unanswered: 0,
                },
                RuleKind::ResponseTime => RuleState::ResponseTime {
                    waiting_since: None,
                    customer_waiting: false,
                    done: false,
                },
                RuleKind::Silence | RuleKind::Duration => RuleState::Stateless,
                RuleKind::Overlap => RuleState::Overlap {
                    count: 0,
                    last: LastWindow::default(),
                },
                RuleKind::Repeat => RuleState::Repeat {
                    earlier: VecDeque::new(),
                    last: LastWindow::default(),
                },
            })
            .collect();
        let n = engine.inner.rubric.rules.len();
        Session {
            engine,
            meta,
            states,
            scratch: TurnScratch::default(),
            spans: Vec::new(),
            visit: Vec::new(),
            roles: Vec::new(),
            findings: Vec::new(),
            taken: vec![0.0; n],
            turn_count: 0,
            total_bytes: 0,
            role_counts: [0; 3],
            has_timestamps: false,
            prev: None,
            first_start: None,
            last_time: None,
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
        let inner = &self.engine.inner;
        inner.check_turn(&turn, self.turn_count)?;
        if self.turn_count >= inner.limits.max_turns {
            return Err(TranscriptError::new(
                TranscriptErrorKind::TooManyTurns,
                format!(
                    "the conversation has more than {} turns",
                    inner.limits.max_turns
                ),
            )
            .at_turn(self.turn_count));
        }
        if self.total_bytes + turn.text.len() + turn.speaker.len()
            > inner.limits.max_transcript_bytes
        {
            return Err(TranscriptError::new(
                TranscriptErrorKind::TranscriptTooLarge,
                format!(
                    "the conversation is over {} bytes of text",
                    inner.limits.max_transcript_bytes
                ),
            )
            .at_turn(self.turn_count));
        }
        Ok(self.push_ref(&turn))
    }

    pub(crate) fn push_ref(&mut self, turn: &Turn) -> Vec<Finding> {
        let engine = self.engine.clone();
        let inner = &engine.inner;
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
        inner.matcher.scan(&turn.text, &mut self.scratch);
        let first_new = self.findings.len();
        let mut tc = TurnCtx {
            index,
            role,
            start,
            end,
            text: &turn.text,
            role_counts: self.role_counts,
        };

        // only the rules this turn concerns (in rubric order): the others would do nothing
        let mut visit = std::mem::take(&mut self.visit);
        inner.matcher.rules_to_visit(&self.scratch, &mut visit);
        for &r in &visit {
            let r = r as usize;
            let rule = &inner.rubric.rules[r];
            let exprs = &inner.exprs[r];
            match rule.kind {
                RuleKind::Forbid => {
                    if !rule.role.covers(role) {
                        continue;
                    }
                    let Some(window) = tc.window_state(rule) else {
                        continue;
                    };
                    let m = exprs.matcher.expect("forbid has match");
                    if !inner.matcher.may_match(m, &self.scratch) {
                        if window == InWindow::Last {
                            let RuleState::Forbid(lw) = &mut self.states[r] else {
                                unreachable!()
                            };
                            lw.record(tc.role_turn(rule), Vec::new(), rule);
                        }
                        continue;
                    }
                    self.eval_rule_expr(r, m);
                    let mut cursor = OffsetCursor::default();
                    let found: Vec<Finding> = self
                        .spans
                        .iter()
                        .map(|&s| {
                            let ev = (turn.text.as_str(), &self.scratch, s, &mut cursor);
                            make_finding(rule, Some(index), Some(ev))
                        })
                        .collect();
                    match window {
                        InWindow::Yes => {
                            for f in found {
                                self.findings.push((r, f));
                            }
                        }
                        InWindow::Last => {
                            let RuleState::Forbid(lw) = &mut self.states[r] else {
                                unreachable!()
                            };
                            lw.record(tc.role_turn(rule), found, rule);
                        }
                    }
                }
                RuleKind::Require => {
                    if !rule.role.covers(role) {
                        continue;
                    }
                    let window = tc.window_state(rule);
                    let decided_now = matches!(rule.window, Some(Window::First(n)) if tc.role_turn(rule) + 1 == n)
                        || matches!(rule.window, Some(Window::Turns(_, b)) if index == b);
                    if let Some(w) = window {
                        let m = exprs.matcher.expect("require has match");
                        let hit = self.eval_rule_expr(r, m);
                        let RuleState::Require { met, last, .. } = &mut self.states[r] else {
                            unreachable!()
                        };
                        match (w, rule.window) {
                            (InWindow::Last, Some(Window::Last(n))) => {
                                last.push_back(hit);
                                if last.len() > n {
                                    last.pop_front();
                                }
                            }
                            _ => *met |= hit,
                        }
                    }
                    if decided_now {
                        let RuleState::Require { met, decided, .. } = &mut self.states[r] else {
                            unreachable!()
                        };
                        if !*decided {
                            *decided = true;
                            if !*met && rule.deduct > 0.0 {
                                self.findings.push((r, make_finding(rule, None, None)));
                            }
                        }
                    }
                }
                RuleKind::Respond => self.respond(r, rule, &mut tc),
                RuleKind::ResponseTime => {
                    let RuleState::ResponseTime {
                        waiting_since,
                        customer_waiting,
                        done,
                    } = &mut self.states[r]
                    else {
                        unreachable!()
                    };
                    match role {
                        Role::Customer => {
                            if !*customer_waiting {
                                *customer_waiting = true;
                                *waiting_since = start;
                            } else if waiting_since.is_none() {
                                *waiting_since = start;
                            }
                        }
                        Role::Agent if *customer_waiting && !*done => {
                            let since = waiting_since.take();
                            *customer_waiting = false;
                            if rule.scope == Scope::First {
                                *done = true;
                            }
                            if let (Some(a), Some(c), Some(max)) = (start, since, rule.max_seconds)
                            {
                                if a - c > max {
                                    self.findings
                                        .push((r, make_finding(rule, Some(index), None)));
                                }
                            }
                        }
                        Role::Agent => *customer_waiting = false,
                        _ => {}
                    }
                }
                RuleKind::Silence => {
                    if !rule.role.covers(role) {
                        continue;
                    }
                    if let (Some(s), Some(prev), Some(max)) = (
                        start,
                        self.prev.as_ref().and_then(|p| p.end_or_start),
                        rule.max_seconds,
                    ) {
                        if s - prev > max {
                            self.findings
                                .push((r, make_finding(rule, Some(index), None)));
                        }
                    }
                }
                RuleKind::Overlap => {
                    if !rule.role.covers(role) {
                        continue;
                    }
                    let Some(window) = tc.window_state(rule) else {
                        continue;
                    };
                    let overlaps = match (&self.prev, start) {
                        (Some(p), Some(s)) => {
                            p.end.is_some_and(|e| s < e)
                                && !p.speaker.eq_ignore_ascii_case(turn.speaker.trim())
                        }
                        _ => false,
                    };
                    let RuleState::Overlap { count, last } = &mut self.states[r] else {
                        unreachable!()
                    };
                    match window {
                        InWindow::Last => {
                            let found = if overlaps {
                                vec![make_finding(rule, Some(index), None)]
                            } else {
                                Vec::new()
                            };
                            last.record(tc.role_turn(rule), found, rule);
                        }
                        InWindow::Yes if overlaps => {
                            *count += 1;
                            if *count > rule.max_count {
                                self.findings
                                    .push((r, make_finding(rule, Some(index), None)));
                            }
                        }
                        InWindow::Yes => {}
                    }
                }
                RuleKind::Repeat => {
                    if !rule.role.covers(role) {
                        continue;
                    }
                    let Some(window) = tc.window_state(rule) else {
                        continue;
                    };
                    let words: HashSet<String> = segment::words(&self.scratch.norm.text)
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                    let RuleState::Repeat { earlier, last } = &mut self.states[r] else {
                        unreachable!()
                    };
                    if words.len() < 3 {
                        // not compared, but still one of the role's turns for `last: N`
                        if window == InWindow::Last {
                            last.record(tc.role_turn(rule), Vec::new(), rule);
                        }
                        continue;
                    }
                    let repeated = earlier
                        .iter()
                        .any(|e| jaccard(e, &words) >= rule.similarity - 1e-12);
                    let whole = Span::WHOLE;
                    let found = if repeated {
                        vec![make_finding(
                            rule,
                            Some(index),
                            Some((
                                &turn.text,
                                &self.scratch,
                                whole,
                                &mut OffsetCursor::default(),
                            )),
                        )]
                    } else {
                        Vec::new()
                    };
                    if earlier.len() == REPEAT_LOOKBACK {
                        earlier.pop_front();
                    }
                    earlier.push_back(words);
                    match window {
                        InWindow::Yes => {
                            for f in found {
                                self.findings.push((r, f));
                            }
                        }
                        InWindow::Last => last.record(tc.role_turn(rule), found, rule),
                    }
                }
                RuleKind::Duration => {}
            }
        }

        self.visit = visit;
        self.role_counts[role_slot(role)] += 1;
        // reuse the previous turn's speaker buffer: no allocation per turn
        let mut speaker = self.prev.take().map(|p| p.speaker).unwrap_or_default();
        speaker.clear();
        speaker.push_str(turn.speaker.trim());
        self.prev = Some(PrevTurn {
            speaker,
            end,
            end_or_start: end.or(start),
        });
        self.take_new(first_new)
    }

    /// The role of a speaker label, remembered per label: a conversation has few labels, and
    /// `Speakers::role_of` lower-cases (allocates) on every call.
    fn role_of(&mut self, label: &str) -> Role {
        if let Some((_, role)) = self.roles.iter().find(|(l, _)| l == label) {
            return *role;
        }
        let role = self.engine.inner.rubric.speakers.role_of(label);
        if self.roles.len() < 16 {
            self.roles.push((label.to_string(), role));
        }
        role
    }

    /// Sets each new finding's provisional `deduct` (what it takes given the rule's cap so far)
    /// and returns copies of them.
    fn take_new(&mut self, from: usize) -> Vec<Finding> {
        let rules = &self.engine.inner.rubric.rules;
        let mut out = Vec::with_capacity(self.findings.len() - from);
        for (r, f) in &mut self.findings[from..] {
            let rule = &rules[*r];
            let d = rule.deduct.min((rule.cap() - self.taken[*r]).max(0.0));
            self.taken[*r] += d;
            f.deduct = d;
            out.push(f.clone());
        }
        out
    }

    /// Evaluates one of rule `r`'s expressions on the scanned turn into `self.spans`, with the
    /// rule's `except` applied; whether anything matched.
    fn eval_rule_expr(&mut self, r: usize, expr: ExprId) -> bool {
        let engine = self.engine.clone();
        engine
            .inner
            .matcher
            .eval(expr, &mut self.scratch, &mut self.spans);
        self.apply_except(r);
        !self.spans.is_empty()
    }

    fn apply_except(&mut self, r: usize) {
        let inner = &self.engine.inner;
        let Some(ex) = inner.exprs[r].except else {
            return;
        };
        if self.spans.is_empty() || !inner.matcher.may_match(ex, &self.scratch) {
            return;
        }
        let mut excepted = Vec::new();
        inner.matcher.eval(ex, &mut self.scratch, &mut excepted);
        self.spans.retain(|s| {
            !excepted
                .iter()
                .any(|e| *e == Span::WHOLE || (e.start < s.end && s.start < e.end))
        });
    }

    fn respond(&mut self, r: usize, rule: &Rule, tc: &mut TurnCtx<'_>) {
        let engine = self.engine.clone();
        let inner = &engine.inner;
        let exprs = &inner.exprs[r];
        let when = rule.when.as_ref().expect("respond has when");
        let expect = rule.expect.as_ref().expect("respond has expect");
        let within = rule.within.unwrap_or(Within::Turns(1));
        let mut newly_closed = Vec::new();
        {
            let RuleState::Respond {
                pending, deadlines, ..
            } = &mut self.states[r]
            else {
                unreachable!()
            };
            // 1. expire triggers whose time is up (any turn starting after the deadline)
            if let (Within::Seconds(_), Some(s)) = (within, tc.start) {
                while deadlines.peek().is_some_and(|d| s > d.at) {
                    let d = deadlines.pop().expect("peeked");
                    newly_closed.extend(pending.remove(&d.turn));
                }
            }
        }
        // 2. this turn as an answer
        let has_pending =
            matches!(&self.states[r], RuleState::Respond { pending, .. } if !pending.is_empty());
        if has_pending && expect.role.covers(tc.role) {
            let m = exprs.expect.expect("respond has expect");
            let answered = self.eval_rule_expr(r, m);
            let RuleState::Respond {
                pending,
                deadlines,
                unanswered,
            } = &mut self.states[r]
            else {
                unreachable!()
            };
            if answered {
                pending.clear();
                deadlines.clear();
            } else if let Within::Turns(_) = within {
                // triggers expire in turn order: each was given `unanswered + N` when it came
                *unanswered += 1;
                while let Some(first) = pending.first_entry() {
                    if first.get().expires > *unanswered {
                        break;
                    }
                    newly_closed.push(first.remove());
                }
            }
        }
        // 3. this turn as a trigger
        if when.role.covers(tc.role) {
            let m = exprs.when.expect("respond has when");
            if self.eval_rule_expr(r, m) {
                if let Some(&first) = self.spans.first() {
                    let finding = make_finding(
                        rule,
                        Some(tc.index),
                        Some((tc.text, &self.scratch, first, &mut OffsetCursor::default())),
                    );
                    let RuleState::Respond {
                        pending,
                        deadlines,
                        unanswered,
                    } = &mut self.states[r]
                    else {
                        unreachable!()
                    };
                    let expires = match within {
                        Within::Turns(n) => unanswered.saturating_add(n),
                        Within::Seconds(s) => {
                            // a trigger without times (or NaN ones) waits for an answer or the end
                            let at = tc.end.or(tc.start).map(|t| t + s);
                            if let Some(at) = at.filter(|at| !at.is_nan()) {
                                deadlines.push(Deadline { at, turn: tc.index });
                            }
                            usize::MAX
                        }
                    };
                    pending.insert(
                        tc.index,
                        Trigger {
                            turn: tc.index,
                            finding,
                            expires,
                        },
                    );
                }
            }
        }
        newly_closed.sort_by_key(|t| t.turn);
        for t in newly_closed {
            self.findings.push((r, t.finding));
        }
    }

    /// Ends the conversation and returns its report (equal to `Engine::score` on the same turns).
    pub fn finish(mut self) -> Report {
        let engine = self.engine.clone();
        let inner = &engine.inner;
        let mut skipped = Vec::new();
        for (r, rule) in inner.rubric.rules.iter().enumerate() {
            if rule.needs_timestamps() && !self.has_timestamps {
                skipped.push(crate::report::Skipped {
                    rule: rule.id.clone(),
                    reason: "no timestamps".to_string(),
                });
                // nothing it held can stand
                self.findings.retain(|(fr, _)| *fr != r);
                continue;
            }
            match (&mut self.states[r], rule.kind) {
                (RuleState::Forbid(lw), _) => {
                    for (_, fs) in lw.turns.drain(..) {
                        for f in fs {
                            self.findings.push((r, f));
                        }
                    }
                }
                (RuleState::Require { met, decided, last }, _) => {
                    if *decided {
                        continue;
                    }
                    let met = *met || last.iter().any(|&h| h);
                    if !met && (rule.deduct > 0.0 || rule.bonus == 0.0) {
                        self.findings.push((r, make_finding(rule, None, None)));
                    }
                }
                (RuleState::Respond { pending, .. }, _) => {
                    for t in std::mem::take(pending).into_values() {
                        self.findings.push((r, t.finding));
                    }
                }
                (RuleState::Overlap { last, .. }, _) => {
                    let all: Vec<Finding> = last.turns.drain(..).flat_map(|(_, fs)| fs).collect();
                    for f in all.into_iter().skip(rule.max_count) {
                        self.findings.push((r, f));
                    }
                }
                (RuleState::Repeat { last, .. }, _) => {
                    for (_, fs) in last.turns.drain(..) {
                        for f in fs {
                            self.findings.push((r, f));
                        }
                    }
                }
                (RuleState::Stateless, RuleKind::Duration) => {
                    if let (Some(a), Some(b)) = (self.first_start, self.last_time) {
                        let d = b - a;
                        let over = rule.max_seconds.is_some_and(|m| d > m);
                        let under = rule.min_seconds.is_some_and(|m| d < m);
                        if over || under {
                            self.findings.push((r, make_finding(rule, None, None)));
                        }
                    }
                }
                _ => {}
            }
        }
        let met: Vec<bool> = self
            .states
            .iter()
            .zip(&inner.rubric.rules)
            .map(|(s, rule)| match s {
                RuleState::Require { met, last, .. } => {
                    rule.kind == RuleKind::Require && (*met || last.iter().any(|&h| h))
                }
                _ => false,
            })
            .collect();
        score::assemble(inner, self.meta, self.findings, &met, skipped)
    }
}

impl LastWindow {
    fn record(&mut self, role_turn: usize, found: Vec<Finding>, rule: &Rule) {
        let Some(Window::Last(n)) = rule.window else {
            return;
        };
        self.turns.push_back((role_turn, found));
        if self.turns.len() > n {
            self.turns.pop_front();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InWindow {
    /// In the window now.
    Yes,
    /// Maybe: `last: N`, known at the end.
    Last,
}

struct TurnCtx<'t> {
    index: usize,
    role: Role,
    start: Option<f64>,
    end: Option<f64>,
    text: &'t str,
    role_counts: [usize; 3],
}

impl TurnCtx<'_> {
    /// This turn's 0-based number among turns of the rule's role.
    fn role_turn(&self, rule: &Rule) -> usize {
        match rule.role {
            Role::Any => self.index,
            r => self.role_counts[role_slot(r)],
        }
    }

    /// Whether this turn (already known to be of the rule's role) is in the rule's window.
    fn window_state(&self, rule: &Rule) -> Option<InWindow> {
        match rule.window {
            None => Some(InWindow::Yes),
            Some(Window::First(n)) => (self.role_turn(rule) < n).then_some(InWindow::Yes),
            Some(Window::Last(_)) => Some(InWindow::Last),
            Some(Window::Turns(a, b)) => {
                (a <= self.index && self.index <= b).then_some(InWindow::Yes)
            }
            Some(Window::Seconds(a, b)) => self
                .start
                .is_some_and(|s| a <= s && s <= b)
                .then_some(InWindow::Yes),
        }
    }
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Where a turn's last finding was, so that the offsets of many findings in one long turn are
/// computed in one pass rather than each from the start.
#[derive(Debug, Default, Clone, Copy)]
struct OffsetCursor {
    byte: usize,
    chars: usize,
    utf16: usize,
}

impl OffsetCursor {
    /// Code points and UTF-16 units of `text[..byte]`.
    fn advance(&mut self, text: &str, byte: usize) -> (usize, usize) {
        if byte < self.byte {
            *self = OffsetCursor::default();
        }
        let step = &text[self.byte..byte];
        self.chars += step.chars().count();
        self.utf16 += step.encode_utf16().count();
        self.byte = byte;
        (self.chars, self.utf16)
    }
}

/// Evidence for a finding: the original turn text, the scanned turn, the span, and the turn's
/// offset cursor.
type Evidence<'a> = (&'a str, &'a TurnScratch, Span, &'a mut OffsetCursor);

/// A finding of `rule`, at `turn`, with evidence from a span of the scanned turn.
fn make_finding(rule: &Rule, turn: Option<usize>, evidence: Option<Evidence<'_>>) -> Finding {
    let (start, end, text, bytes, utf16) = match evidence {
        Some((orig, scratch, span, cursor)) => {
            let r = scratch.original_range(span);
            let body = &orig[r.clone()];
            let (start, start16) = cursor.advance(orig, r.start);
            (
                Some(start),
                Some(start + body.chars().count()),
                Some(body.to_string()),
                Some(r),
                Some(start16..start16 + body.encode_utf16().count()),
            )
        }
        None => (None, None, None, None, None),
    };
    Finding {
        rule: rule.id.clone(),
        name: rule.display_name().to_string(),
        kind: rule.kind,
        category: rule.category.clone(),
        severity: rule.severity,
        deduct: rule.deduct,
        fatal: rule.fatal,
        alert: rule.alert,
        turn,
        start,
        end,
        text,
        message: rule.message.clone(),
        bytes,
        utf16,
    }
}
