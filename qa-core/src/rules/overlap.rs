//! `overlap`: a turn of the rule's role that starts before the previous turn (another
//! speaker's) ends is an overlap; every overlap after the first `max_count` is a finding.

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, InWindow, Kind, LastWindow, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::explain::{Measure, Measurement};
use crate::matcher::MatchCompiler;
use crate::model::Common;

/// An `overlap` rule: a turn of the rule's role that starts before the previous turn (another
/// speaker's) ends is an overlap; each after the first `max_count` is a finding; needs timestamps.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Overlap {
    /// Overlaps tolerated before findings.
    #[schemars(default)]
    pub(crate) max_count: usize,
}

impl Overlap {
    /// Overlaps tolerated before findings (default 0).
    pub fn max_count(&self) -> usize {
        self.max_count
    }
}

/// Overlaps so far; those of a `last: N` window, held until the end.
#[derive(Debug, Default)]
pub(crate) struct State {
    count: usize,
    last: LastWindow,
}

impl Kind for Overlap {
    const NAME: &'static str = "overlap";
    const FIELDS: &'static [&'static str] = &["max_count"];
    const TAKES_WINDOW: bool = true;
    const MATCHES_TEXT: bool = false;
    const TIMED: bool = true;
    type Compiled = ();
    type State = State;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let max_count = match rule.get("max_count") {
            Some(n) => c.count(n, "max_count", 0)?,
            None => 0,
        };
        Some(Overlap { max_count })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("max_count", &self.max_count)
    }

    fn compile(&self, _: &Common, _: &mut MatchCompiler<'_>) {}

    fn on_turn(rule: &Compiled<Self>, state: &mut State, cx: &mut TurnCx<'_>) {
        let Some(window) = cx.scope(rule) else {
            return;
        };
        let overlaps = match (cx.prev, cx.start) {
            (Some(p), Some(s)) => {
                p.end.is_some_and(|e| s < e) && !p.speaker.eq_ignore_ascii_case(cx.speaker)
            }
            _ => false,
        };
        match window {
            InWindow::Last => {
                if overlaps {
                    let (turn, by) = (cx.index, overlapped_by(cx));
                    cx.note_measured(rule, || Measurement {
                        since_turn: turn.checked_sub(1),
                        ..Measurement::new(Measure::Overlap, Some(turn), by)
                    });
                }
                let found = if overlaps {
                    vec![rule.finding_at(cx.index)]
                } else {
                    Vec::new()
                };
                state.last.record(&rule.common, found);
            }
            InWindow::Yes if overlaps => {
                state.count += 1;
                let (count, max) = (state.count, rule.spec.max_count);
                let (turn, by) = (cx.index, overlapped_by(cx));
                cx.note_measured(rule, || Measurement {
                    since_turn: turn.checked_sub(1),
                    count: Some(count),
                    max: Some(max as f64),
                    exceeded: count > max,
                    ..Measurement::new(Measure::Overlap, Some(turn), by)
                });
                if state.count > rule.spec.max_count {
                    let f = rule.finding_at(cx.index);
                    cx.push(rule, f);
                }
            }
            InWindow::Yes => {}
        }
    }

    fn on_end(rule: &Compiled<Self>, state: &mut State, cx: &mut EndCx<'_>) {
        // `last: N`: only the overlaps past the first `max_count` in the window count
        let held: Vec<_> = state.last.take().collect();
        for f in held.into_iter().skip(rule.spec.max_count) {
            cx.push(rule, f);
        }
    }
}

/// How many seconds this turn started before the previous one ended.
fn overlapped_by(cx: &TurnCx<'_>) -> f64 {
    match (cx.prev.and_then(|p| p.end), cx.start) {
        (Some(e), Some(s)) => e - s,
        _ => 0.0,
    }
}
