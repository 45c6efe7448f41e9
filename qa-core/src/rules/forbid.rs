//! `forbid`: a finding for every match in scope; overlapping matches of one rule count once.

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, InWindow, Kind, LastWindow, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::Part;
use crate::matcher::{ExprId, MatchCompiler};
use crate::model::{Common, MatchExpr};
use crate::options::{Negation, Window};

/// A `forbid` rule: a finding for every match in scope; overlapping matches of one rule count once.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Forbid {
    /// What must not be said.
    #[schemars(rename = "match")]
    pub(crate) matcher: MatchExpr,
}

impl Forbid {
    /// What must not be said.
    pub fn matcher(&self) -> &MatchExpr {
        &self.matcher
    }
}

impl Kind for Forbid {
    const NAME: &'static str = "forbid";
    const FIELDS: &'static [&'static str] = &["match"];
    const TAKES_WINDOW: bool = true;
    const MATCHES_TEXT: bool = true;
    const TIMED: bool = false;
    type Compiled = ExprId;
    /// Findings of a `last: N` window, held until the end.
    type State = LastWindow;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        if !c.need(rule, "match") {
            return None;
        }
        let matcher = c.match_expr(rule.get("match")?, "match", 0)?;
        Some(Forbid { matcher })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("match", &self.matcher)
    }

    fn exprs(&self) -> Vec<&MatchExpr> {
        vec![&self.matcher]
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
        // `last: N` records every turn of the role, hit or not
        (!matches!(rule.common.window, Some(Window::Last(_)))).then_some(rule.exprs)
    }

    fn on_turn(rule: &Compiled<Self>, state: &mut LastWindow, cx: &mut TurnCx<'_>) {
        let Some(window) = cx.scope(rule) else {
            return;
        };
        let mut found = Vec::new();
        if cx.may_match(rule.exprs) && cx.eval(rule.exprs, rule.except) {
            for i in 0..cx.spans.len() {
                let hit = cx.spans[i];
                found.push(cx.evidence(rule, hit));
            }
        }
        match window {
            InWindow::Yes => found.into_iter().for_each(|f| cx.push(rule, f)),
            InWindow::Last => state.record(&rule.common, found),
        }
    }

    fn on_end(rule: &Compiled<Self>, state: &mut LastWindow, cx: &mut EndCx<'_>) {
        for f in state.take() {
            cx.push(rule, f);
        }
    }
}
