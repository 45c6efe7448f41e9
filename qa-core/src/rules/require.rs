//! `require`: one whole-conversation finding (`turn: null`) when nothing in scope matches; a
//! `bonus` when something does. A rule with a bonus and no deduction is a pure bonus item:
//! nothing is reported when it is missed.

use std::collections::VecDeque;

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, InWindow, Kind, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::trace::OutOf;
use crate::explain::Part;
use crate::matcher::{ExprId, MatchCompiler};
use crate::model::{Common, MatchExpr};
use crate::options::{Negation, Window};

/// A `require` rule: one whole-conversation finding when nothing in scope matches; its `bonus` when
/// something does (with a bonus and no deduct, a pure bonus item: nothing is reported when it is
/// missed).
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Require {
    /// What must be said.
    #[schemars(rename = "match")]
    pub(crate) matcher: MatchExpr,
    /// Points added when the rule is met.
    #[schemars(default, range(min = 0.0))]
    pub(crate) bonus: f64,
}

impl Require {
    /// What must be said.
    pub fn matcher(&self) -> &MatchExpr {
        &self.matcher
    }

    /// Points added when the rule is met.
    pub fn bonus(&self) -> f64 {
        self.bonus
    }
}

/// What a `require` rule knows so far in one conversation.
#[derive(Debug, Default)]
pub(crate) struct State {
    met: bool,
    /// Decided before the end (a `first: N` or `turns` window that is past).
    decided: bool,
    /// `last: N`: whether each of the role's last N turns matched.
    last: VecDeque<bool>,
}

impl State {
    fn met(&self) -> bool {
        self.met || self.last.iter().any(|&h| h)
    }
}

/// Whether a missed rule is reported: always, but for a pure bonus item (a bonus, no deduct).
fn reports_miss(rule: &Compiled<Require>) -> bool {
    !(rule.spec.bonus > 0.0 && rule.common.deduct == 0.0)
}

impl Kind for Require {
    const NAME: &'static str = "require";
    const FIELDS: &'static [&'static str] = &["match"];
    const TAKES_WINDOW: bool = true;
    const MATCHES_TEXT: bool = true;
    const TIMED: bool = false;
    type Compiled = ExprId;
    type State = State;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let bonus = match rule.get("bonus") {
            Some(n) => c.non_negative(n, "bonus"),
            None => Some(0.0),
        };
        if !c.need(rule, "match") {
            return None;
        }
        let matcher = c.match_expr(rule.get("match")?, "match", 0)?;
        Some(Require {
            matcher,
            bonus: bonus?,
        })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("match", &self.matcher)?;
        m.serialize_entry("bonus", &self.bonus)
    }

    fn exprs(&self) -> Vec<&MatchExpr> {
        vec![&self.matcher]
    }

    fn bonus(&self) -> f64 {
        self.bonus
    }

    fn compile(&self, common: &Common, m: &mut MatchCompiler<'_>) -> ExprId {
        m.expr(
            &self.matcher,
            common.negation == Negation::Skip,
            common.word,
        )
    }

    fn roots(rule: &Compiled<Self>) -> Vec<(Part, ExprId)> {
        vec![(Part::Match, rule.exprs)]
    }

    fn gate(rule: &Compiled<Self>) -> Option<ExprId> {
        // these windows record or decide at given turns, hit or not
        let every_turn = matches!(
            rule.common.window,
            Some(Window::Last(_) | Window::First(_) | Window::Turns(..))
        );
        (!every_turn).then_some(rule.exprs)
    }

    fn on_turn(rule: &Compiled<Self>, state: &mut State, cx: &mut TurnCx<'_>) {
        let common = &rule.common;
        if !common.role.covers(cx.role) {
            cx.note_out_of_scope(rule, Part::Match, OutOf::Role);
            return;
        }
        let decided_now = match common.window {
            Some(Window::First(n)) => cx.role_turn(common) + 1 == n,
            Some(Window::Turns(_, b)) => cx.index == b,
            _ => false,
        };
        let window = cx.window_state(common);
        if window.is_none() {
            cx.note_out_of_scope(rule, Part::Match, OutOf::Window);
        }
        if let Some(w) = window {
            let hit = cx.eval(rule.exprs, rule.except);
            match (w, common.window) {
                (InWindow::Last, Some(Window::Last(n))) => {
                    state.last.push_back(hit);
                    if state.last.len() > n {
                        state.last.pop_front();
                    }
                }
                _ => state.met |= hit,
            }
        }
        if decided_now && !state.decided {
            state.decided = true;
            if !state.met() && reports_miss(rule) {
                cx.push(rule, rule.finding());
            }
        }
    }

    fn on_end(rule: &Compiled<Self>, state: &mut State, cx: &mut EndCx<'_>) {
        if !state.decided && !state.met() && reports_miss(rule) {
            cx.push(rule, rule.finding());
        }
    }

    fn met(_rule: &Compiled<Self>, state: &State) -> bool {
        state.met()
    }
}
