//! `silence`: a finding at a turn whose `start` is more than `max_seconds` after the end of the
//! turn before (its `start` where it has no `end`).

use serde::ser::SerializeMap;

use super::{Compiled, Kind, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::{Measure, Measurement};
use crate::matcher::MatchCompiler;
use crate::model::Common;

/// A `silence` rule: a finding at a turn of the rule's role that starts more than `max_seconds`
/// after the turn before ends; needs timestamps.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Silence {
    /// The longest gap allowed, in seconds.
    #[schemars(range(min = 0.0))]
    pub(crate) max_seconds: f64,
}

impl Silence {
    /// The longest gap allowed, in seconds.
    pub fn max_seconds(&self) -> f64 {
        self.max_seconds
    }
}

impl Kind for Silence {
    const NAME: &'static str = "silence";
    const FIELDS: &'static [&'static str] = &["max_seconds"];
    const TAKES_WINDOW: bool = false;
    const MATCHES_TEXT: bool = false;
    const TIMED: bool = true;
    type Compiled = ();
    type State = ();

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        if !c.need(rule, "max_seconds") {
            return None;
        }
        let max_seconds = c.non_negative(rule.get("max_seconds")?, "max_seconds")?;
        Some(Silence { max_seconds })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("max_seconds", &self.max_seconds)
    }

    fn compile(&self, _: &Common, _: &mut MatchCompiler<'_>) {}

    fn on_turn(rule: &Compiled<Self>, _: &mut (), cx: &mut TurnCx<'_>) {
        if !rule.common.role.covers(cx.role) {
            return;
        }
        let prev = cx.prev.and_then(|p| p.end_or_start);
        if let (Some(s), Some(prev)) = (cx.start, prev) {
            let (turn, max) = (cx.index, rule.spec.max_seconds);
            cx.note_measured(rule, || Measurement {
                since_turn: turn.checked_sub(1),
                max: Some(max),
                exceeded: s - prev > max,
                ..Measurement::new(Measure::Gap, Some(turn), s - prev)
            });
            if s - prev > rule.spec.max_seconds {
                let f = rule.finding_at(cx.index);
                cx.push(rule, f);
            }
        }
    }
}
