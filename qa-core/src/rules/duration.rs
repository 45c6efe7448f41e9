//! `duration`: one finding when the last turn's end (or start) minus the first turn's start is
//! over `max_seconds` or under `min_seconds`.

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, Kind, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::error::RubricErrorKind;
use crate::explain::trace::Raw;
use crate::explain::{Measure, Measurement};
use crate::matcher::MatchCompiler;
use crate::model::Common;

/// A `duration` rule (give one bound or both): one finding when the conversation is longer than
/// `max_seconds` or shorter than `min_seconds`; needs timestamps.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[schemars(extend("anyOf" = [{"required": ["max_seconds"]}, {"required": ["min_seconds"]}]))]
pub struct Duration {
    /// The longest conversation allowed, in seconds.
    #[schemars(range(min = 0.0))]
    pub(crate) max_seconds: Option<f64>,
    /// The shortest conversation allowed, in seconds.
    #[schemars(range(min = 0.0))]
    pub(crate) min_seconds: Option<f64>,
}

impl Duration {
    /// The longest conversation allowed, in seconds.
    pub fn max_seconds(&self) -> Option<f64> {
        self.max_seconds
    }

    /// The shortest conversation allowed, in seconds.
    pub fn min_seconds(&self) -> Option<f64> {
        self.min_seconds
    }
}

impl Kind for Duration {
    const NAME: &'static str = "duration";
    const FIELDS: &'static [&'static str] = &["max_seconds", "min_seconds"];
    const TAKES_WINDOW: bool = false;
    const MATCHES_TEXT: bool = false;
    const TIMED: bool = true;
    type Compiled = ();
    type State = ();

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let (max, min) = (rule.get("max_seconds"), rule.get("min_seconds"));
        if max.is_none() && min.is_none() {
            c.err(
                RubricErrorKind::MissingField,
                rule.pos,
                "missing field `max_seconds` or `min_seconds` (rules of kind `duration` need one)",
            );
            return None;
        }
        let max_seconds = max.map(|n| c.non_negative(n, "max_seconds"));
        let min_seconds = min.map(|n| c.non_negative(n, "min_seconds"));
        Some(Duration {
            max_seconds: max_seconds.map_or(Some(None), |x| x.map(Some))?,
            min_seconds: min_seconds.map_or(Some(None), |x| x.map(Some))?,
        })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        if let Some(x) = self.max_seconds {
            m.serialize_entry("max_seconds", &x)?;
        }
        if let Some(x) = self.min_seconds {
            m.serialize_entry("min_seconds", &x)?;
        }
        Ok(())
    }

    fn compile(&self, _: &Common, _: &mut MatchCompiler<'_>) {}

    fn on_turn(_: &Compiled<Self>, _: &mut (), _: &mut TurnCx<'_>) {}

    fn on_end(rule: &Compiled<Self>, _: &mut (), cx: &mut EndCx<'_>) {
        if let (Some(a), Some(b)) = (cx.first_start, cx.last_time) {
            let d = b - a;
            let over = rule.spec.max_seconds.is_some_and(|m| d > m);
            let under = rule.spec.min_seconds.is_some_and(|m| d < m);
            let (min, max) = (rule.spec.min_seconds, rule.spec.max_seconds);
            let index = rule.index;
            cx.note(|| Raw::Measured {
                rule: index,
                m: Measurement {
                    min,
                    max,
                    exceeded: over || under,
                    ..Measurement::new(Measure::Duration, None, d)
                },
            });
            if over || under {
                cx.push(rule, rule.finding());
            }
        }
    }
}
