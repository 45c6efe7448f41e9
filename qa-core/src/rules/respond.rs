//! `respond`: every turn that matches `when` is a trigger; `expect` must match in one of the
//! next N turns of the `expect` role (`within: {turns: N}`), or in a turn of that role starting
//! at most S seconds after the trigger ends (`within: {seconds: S}`). A finding at the trigger
//! turn for each unanswered trigger, also when the conversation ends first — unless
//! `at_end: skip` and no turn of the `expect` role came after the trigger (nobody could answer).
//!
//! Pending triggers are kept by turn, deadlines in a heap and `turns` windows as an expiry count,
//! so each turn costs O(log n) in the triggers it closes, not O(n) in those pending.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, Kind, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::trace::{OutOf, Raw};
use crate::explain::Part;
use crate::matcher::{ExprId, MatchCompiler};
use crate::model::{Common, MatchExpr, Side};
use crate::options::{Negation, Role, Within};
use crate::report::Finding;

/// A `respond` rule: every turn matching `when` is a trigger; `expect` must match within the next
/// turns or seconds, or the trigger is a finding.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Respond {
    /// The trigger: `{role, match}` (role default customer), or just the match.
    #[schemars(schema_with = "crate::schema::side")]
    pub(crate) when: Side,
    /// The answer: `{role, match}` (role default agent), or just the match.
    #[schemars(schema_with = "crate::schema::side")]
    pub(crate) expect: Side,
    /// How long a trigger waits for its answer: exactly one of `turns` or `seconds`.
    #[schemars(default = "one_turn")]
    pub(crate) within: Within,
    /// A trigger still pending when the conversation ends: `judge` (the default) makes it a
    /// finding; `skip` drops it when no turn of the `expect` role followed it.
    #[schemars(default)]
    pub(crate) at_end: AtEnd,
}

/// What `respond` does with a trigger still pending when the conversation ends.
#[non_exhaustive]
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AtEnd {
    /// It is a finding, as in v1 (the default).
    #[default]
    Judge,
    /// It is not judged when no turn of the `expect` role followed it; one that was followed
    /// by such a turn (which did not answer) is still a finding.
    Skip,
}

impl Respond {
    /// The trigger side (role default customer).
    pub fn when(&self) -> &Side {
        &self.when
    }

    /// The answer side (role default agent).
    pub fn expect(&self) -> &Side {
        &self.expect
    }

    /// How long a trigger waits (default one turn).
    pub fn within(&self) -> Within {
        self.within
    }

    /// What a trigger still pending at the end comes to (default `judge`).
    pub fn at_end(&self) -> AtEnd {
        self.at_end
    }
}

/// The default `within`: the next turn of the `expect` role.
fn one_turn() -> Within {
    Within::Turns(1)
}

/// The compiled sides.
#[derive(Debug)]
pub(crate) struct Exprs {
    when: ExprId,
    expect: ExprId,
}

#[derive(Debug)]
struct Trigger {
    turn: usize,
    finding: Finding,
    /// `within: turns`: the count of unanswered expect-role turns at which it expires.
    expires: usize,
    /// `State::expect_turns` when it came: a later count means a turn of the `expect` role
    /// followed it.
    seen: usize,
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

/// Unanswered triggers of one conversation.
#[derive(Debug, Default)]
pub(crate) struct State {
    pending: BTreeMap<usize, Trigger>,
    /// `within: seconds`: the pending triggers' deadlines, earliest first.
    deadlines: BinaryHeap<Deadline>,
    /// `within: turns`: expect-role turns so far that answered no trigger.
    unanswered: usize,
    /// Turns of the `expect` role so far (for `at_end: skip`).
    expect_turns: usize,
}

impl Kind for Respond {
    const NAME: &'static str = "respond";
    const FIELDS: &'static [&'static str] = &["when", "expect", "within", "at_end"];
    const TAKES_WINDOW: bool = false;
    const MATCHES_TEXT: bool = true;
    const TIMED: bool = false;
    type Compiled = Exprs;
    type State = State;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let has_when = c.need(rule, "when");
        let has_expect = c.need(rule, "expect");
        let when = rule
            .get("when")
            .and_then(|n| c.side(n, "when", Role::Customer));
        let expect = rule
            .get("expect")
            .and_then(|n| c.side(n, "expect", Role::Agent));
        let within = match rule.get("within") {
            Some(n) => c.within(n),
            None => Some(one_turn()),
        };
        let at_end = match rule.get("at_end") {
            Some(n) => c.choice(
                n,
                "at_end",
                &[("judge", AtEnd::Judge), ("skip", AtEnd::Skip)],
            ),
            None => Some(AtEnd::Judge),
        };
        if !(has_when && has_expect) {
            return None;
        }
        Some(Respond {
            when: when?,
            expect: expect?,
            within: within?,
            at_end: at_end?,
        })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("when", &self.when)?;
        m.serialize_entry("expect", &self.expect)?;
        m.serialize_entry("within", &self.within)?;
        m.serialize_entry("at_end", &self.at_end)
    }

    fn exprs(&self) -> Vec<&MatchExpr> {
        vec![&self.when.matcher, &self.expect.matcher]
    }

    fn needs_timestamps(&self) -> bool {
        matches!(self.within, Within::Seconds(_))
    }

    fn compile(&self, common: &Common, m: &mut MatchCompiler<'_>) -> Exprs {
        let neg = common.negation == Negation::Skip;
        Exprs {
            when: m.expr(&self.when.matcher, neg, common.word),
            expect: m.expr(&self.expect.matcher, neg, common.word),
        }
    }

    fn roots(rule: &Compiled<Self>) -> Vec<(Part, ExprId)> {
        vec![
            (Part::When, rule.exprs.when),
            (Part::Expect, rule.exprs.expect),
        ]
    }

    fn on_turn(rule: &Compiled<Self>, state: &mut State, cx: &mut TurnCx<'_>) {
        let spec = &rule.spec;
        let mut closed = Vec::new();
        // 1. expire triggers whose time is up (any turn starting after the deadline)
        if let (Within::Seconds(_), Some(s)) = (spec.within, cx.start) {
            while state.deadlines.peek().is_some_and(|d| s > d.at) {
                if let Some(d) = state.deadlines.pop() {
                    closed.extend(state.pending.remove(&d.turn));
                }
            }
        }
        // 2. this turn as an answer
        let expect_role = spec.expect.role.covers(cx.role);
        if expect_role {
            state.expect_turns += 1;
        } else {
            cx.note_out_of_scope(rule, Part::Expect, OutOf::Role);
        }
        if !state.pending.is_empty() && expect_role {
            if cx.eval(rule.exprs.expect, rule.except) {
                if cx.trace().is_some() {
                    let at = cx.at(cx.spans[0]);
                    let triggers = state.pending.keys().copied().collect();
                    if let Some(t) = cx.trace() {
                        t.note(Raw::Answered {
                            rule: rule.index,
                            triggers,
                            at,
                        });
                    }
                }
                state.pending.clear();
                state.deadlines.clear();
            } else if let Within::Turns(_) = spec.within {
                // triggers expire in turn order: each was given `unanswered + N` when it came
                state.unanswered += 1;
                while let Some(first) = state.pending.first_entry() {
                    if first.get().expires > state.unanswered {
                        break;
                    }
                    closed.push(first.remove());
                }
            }
        }
        // 3. this turn as a trigger
        let when_role = spec.when.role.covers(cx.role);
        if !when_role {
            cx.note_out_of_scope(rule, Part::When, OutOf::Role);
        }
        if when_role && cx.eval(rule.exprs.when, rule.except) {
            let first = cx.spans[0];
            let finding = cx.evidence(rule, first);
            let mut deadline = None;
            let expires = match spec.within {
                Within::Turns(n) => state.unanswered.saturating_add(n),
                Within::Seconds(s) => {
                    // a trigger without times (or NaN ones) waits for an answer or the end
                    let at = cx.end.or(cx.start).map(|t| t + s);
                    if let Some(at) = at.filter(|at| !at.is_nan()) {
                        state.deadlines.push(Deadline { at, turn: cx.index });
                        deadline = Some(at);
                    }
                    usize::MAX
                }
            };
            if cx.trace().is_some() {
                let at = cx.at(first);
                if let Some(t) = cx.trace() {
                    t.note(Raw::Trigger {
                        rule: rule.index,
                        at,
                        deadline,
                    });
                }
            }
            state.pending.insert(
                cx.index,
                Trigger {
                    turn: cx.index,
                    finding,
                    expires,
                    seen: state.expect_turns,
                },
            );
        }
        closed.sort_by_key(|t| t.turn);
        let index = cx.index;
        for t in closed {
            if let Some(trace) = cx.trace() {
                trace.note(Raw::Expired {
                    rule: rule.index,
                    trigger: t.turn,
                    closed_at: index,
                });
            }
            cx.push(rule, t.finding);
        }
    }

    fn on_end(rule: &Compiled<Self>, state: &mut State, cx: &mut EndCx<'_>) {
        let skip = rule.spec.at_end == AtEnd::Skip;
        for t in std::mem::take(&mut state.pending).into_values() {
            let judged = !(skip && t.seen == state.expect_turns);
            cx.note(|| Raw::AtEnd {
                rule: rule.index,
                trigger: t.turn,
                judged,
            });
            if judged {
                cx.push(rule, t.finding);
            }
        }
    }
}
