//! `response_time`: for each agent turn that follows one or more customer turns, the wait is
//! its `start` minus the `start` of the earliest customer turn since the previous agent turn;
//! `scope: first` looks at the first such agent turn only. A finding at the agent turn for each
//! wait over `max_seconds`.

use serde::ser::SerializeMap;

use super::{Compiled, Kind, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::{Measure, Measurement};
use crate::matcher::MatchCompiler;
use crate::model::Common;
use crate::options::{Role, Scope};

/// A `response_time` rule: a finding at each agent turn that answers a waiting customer more than
/// `max_seconds` after the customer's first turn since the previous agent turn; needs timestamps.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct ResponseTime {
    /// Which agent replies count: the first only, or each.
    #[schemars(default)]
    pub(crate) scope: Scope,
    /// The longest wait allowed, in seconds.
    #[schemars(range(min = 0.0))]
    pub(crate) max_seconds: f64,
}

impl ResponseTime {
    /// The first reply only, or each.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The longest wait allowed, in seconds.
    pub fn max_seconds(&self) -> f64 {
        self.max_seconds
    }
}

/// Whether the customer is waiting, since when.
#[derive(Debug, Default)]
pub(crate) struct State {
    waiting_since: Option<f64>,
    /// The turn whose start `waiting_since` is.
    waiting_turn: usize,
    customer_waiting: bool,
    /// `scope: first`: the first reply has been judged.
    done: bool,
}

impl Kind for ResponseTime {
    const NAME: &'static str = "response_time";
    const FIELDS: &'static [&'static str] = &["scope", "max_seconds"];
    const TAKES_WINDOW: bool = false;
    const MATCHES_TEXT: bool = false;
    const TIMED: bool = true;
    type Compiled = ();
    type State = State;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let scope = match rule.get("scope") {
            Some(n) => c.choice(
                n,
                "scope",
                &[("first", Scope::First), ("each", Scope::Each)],
            ),
            None => Some(Scope::Each),
        };
        if !c.need(rule, "max_seconds") {
            return None;
        }
        let max_seconds = c.non_negative(rule.get("max_seconds")?, "max_seconds")?;
        Some(ResponseTime {
            scope: scope?,
            max_seconds,
        })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("scope", &self.scope)?;
        m.serialize_entry("max_seconds", &self.max_seconds)
    }

    fn compile(&self, _: &Common, _: &mut MatchCompiler<'_>) {}

    fn on_turn(rule: &Compiled<Self>, state: &mut State, cx: &mut TurnCx<'_>) {
        match cx.role {
            // the first customer turn since the agent's, or the first with a time
            Role::Customer if !state.customer_waiting || state.waiting_since.is_none() => {
                state.customer_waiting = true;
                state.waiting_since = cx.start;
                state.waiting_turn = cx.index;
            }
            Role::Customer => {}
            Role::Agent if state.customer_waiting && !state.done => {
                let since = state.waiting_since.take();
                state.customer_waiting = false;
                if rule.spec.scope == Scope::First {
                    state.done = true;
                }
                if let (Some(a), Some(c)) = (cx.start, since) {
                    let (turn, from, max) = (cx.index, state.waiting_turn, rule.spec.max_seconds);
                    cx.note_measured(rule, || Measurement {
                        since_turn: Some(from),
                        max: Some(max),
                        exceeded: a - c > max,
                        ..Measurement::new(Measure::Wait, Some(turn), a - c)
                    });
                    if a - c > rule.spec.max_seconds {
                        let f = rule.finding_at(cx.index);
                        cx.push(rule, f);
                    }
                }
            }
            Role::Agent => state.customer_waiting = false,
            _ => {}
        }
    }
}
