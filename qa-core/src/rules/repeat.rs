//! `repeat`: a turn of the rule's role whose word set has Jaccard similarity ≥ `similarity` with
//! an earlier turn of the same role is a finding; punctuation is not a word, and turns of fewer
//! than 3 words are not compared.

use std::collections::{HashSet, VecDeque};

use serde::ser::SerializeMap;

use super::{Compiled, EndCx, InWindow, Kind, LastWindow, TurnCx};
use crate::check::{Checker, RuleNode};
use crate::error::RubricErrorKind;
use crate::explain::{Measure, Measurement};
use crate::matcher::{Hit, MatchCompiler};
use crate::model::Common;

/// Most earlier turns a `repeat` rule compares a turn with (the most recent ones), so a long
/// conversation costs linear time.
pub const REPEAT_LOOKBACK: usize = 1000;

/// A `repeat` rule: a turn of the rule's role whose word set has Jaccard similarity ≥ `similarity`
/// with an earlier turn of the same role is a finding.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
pub struct Repeat {
    /// The Jaccard threshold, in (0, 1].
    #[schemars(
        default = "default_similarity",
        range(max = 1.0),
        extend("exclusiveMinimum" = 0)
    )]
    pub(crate) similarity: f64,
}

impl Repeat {
    /// The Jaccard threshold (default 0.8).
    pub fn similarity(&self) -> f64 {
        self.similarity
    }
}

/// Word sets of the role's earlier turns; findings of a `last: N` window, held until the end.
#[derive(Debug, Default)]
pub(crate) struct State {
    earlier: VecDeque<HashSet<String>>,
    last: LastWindow,
}

/// The default `similarity`.
fn default_similarity() -> f64 {
    0.8
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

impl Kind for Repeat {
    const NAME: &'static str = "repeat";
    const FIELDS: &'static [&'static str] = &["similarity"];
    const TAKES_WINDOW: bool = true;
    const MATCHES_TEXT: bool = false;
    const TIMED: bool = false;
    type Compiled = ();
    type State = State;

    fn check(c: &mut Checker<'_>, rule: &RuleNode<'_>) -> Option<Self> {
        let Some(n) = rule.get("similarity") else {
            return Some(Repeat {
                similarity: default_similarity(),
            });
        };
        let x = c.number(n, "similarity")?;
        if !(x > 0.0 && x <= 1.0) {
            c.err(
                RubricErrorKind::InvalidValue,
                n.pos,
                format!("`similarity` must be in (0, 1], found {x}"),
            );
            return None;
        }
        Some(Repeat { similarity: x })
    }

    fn serialize_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        m.serialize_entry("similarity", &self.similarity)
    }

    fn compile(&self, _: &Common, _: &mut MatchCompiler<'_>) {}

    fn on_turn(rule: &Compiled<Self>, state: &mut State, cx: &mut TurnCx<'_>) {
        let Some(window) = cx.scope(rule) else {
            return;
        };
        let words = cx.words();
        if words.len() < 3 {
            // not compared, but still one of the role's turns for `last: N`
            if window == InWindow::Last {
                state.last.record(&rule.common, Vec::new());
            }
            return;
        }
        let threshold = rule.spec.similarity - 1e-12;
        let repeated = state
            .earlier
            .iter()
            .any(|e| jaccard(e, &words) >= threshold);
        if cx.trace().is_some() && !state.earlier.is_empty() {
            let best = state
                .earlier
                .iter()
                .map(|e| jaccard(e, &words))
                .fold(0.0, f64::max);
            let (turn, min) = (cx.index, rule.spec.similarity);
            cx.note_measured(rule, || Measurement {
                min: Some(min),
                exceeded: repeated,
                ..Measurement::new(Measure::Similarity, Some(turn), best)
            });
        }
        let found = if repeated {
            vec![cx.evidence(rule, Hit::WHOLE)]
        } else {
            Vec::new()
        };
        if state.earlier.len() == REPEAT_LOOKBACK {
            state.earlier.pop_front();
        }
        state.earlier.push_back(words);
        match window {
            InWindow::Yes => found.into_iter().for_each(|f| cx.push(rule, f)),
            InWindow::Last => state.last.record(&rule.common, found),
        }
    }

    fn on_end(rule: &Compiled<Self>, state: &mut State, cx: &mut EndCx<'_>) {
        for f in state.last.take() {
            cx.push(rule, f);
        }
    }
}
