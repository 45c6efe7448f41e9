//! The recorder of an explained run: what the matcher, the rules and the session note while
//! they score one conversation with a [`Trace`] in the turn scratch. Nothing here decides
//! anything; every entry is made at the place where the real engine decided it, and only when a
//! trace is present (`Option::None` on every scoring run).

use super::{DropReason, Measurement, Part};
use crate::matcher::{ExprId, Hit};
use crate::normalize::Normalized;

/// A piece of a turn's original text: code points, and the text itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At {
    pub turn: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl At {
    /// The original text under a span of the normalized text (`Hit::WHOLE`: the whole turn).
    pub fn of(turn: usize, text: &str, norm: &Normalized, span: Hit) -> At {
        let bytes = if span == Hit::WHOLE {
            0..text.len()
        } else {
            norm.original_range(span.start as usize, span.end as usize)
        };
        At::bytes(turn, text, bytes)
    }

    /// The original text in a byte range.
    pub fn bytes(turn: usize, text: &str, bytes: std::ops::Range<usize>) -> At {
        let start = text[..bytes.start].chars().count();
        let body = &text[bytes];
        At {
            turn,
            start,
            end: start + body.chars().count(),
            text: body.to_string(),
        }
    }
}

/// Why a rule's scope left a turn out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OutOf {
    Role,
    Window,
}

/// One thing noted during an explained run.
#[derive(Debug, Clone)]
pub(crate) enum Raw {
    /// A match of a leaf (a phrase from the one scan, or a regex), kept or dropped by the scan's
    /// filters (stripped regions, negation, word boundaries); `norm` is its normalized text.
    Leaf {
        leaf: u32,
        at: At,
        norm: String,
        dropped: Option<DropReason>,
    },
    /// What an expression matched on a turn after `except`, overlapping matches merged.
    Eval {
        expr: ExprId,
        turn: usize,
        kept: Vec<At>,
    },
    /// A match of `expr` dropped because it overlaps `by`, a match of the rule's `except`.
    Except { expr: ExprId, at: At, by: At },
    /// Rule `rule` did not look at turn `turn`: not of its role, or outside its window.
    OutOfScope {
        rule: usize,
        part: Part,
        turn: usize,
        why: OutOf,
        speaker: String,
    },
    /// A `respond` trigger.
    Trigger {
        rule: usize,
        at: At,
        deadline: Option<f64>,
    },
    /// `respond`: the pending triggers (by turn) that turn `by` answered (`at`: the answer).
    Answered {
        rule: usize,
        triggers: Vec<usize>,
        at: At,
    },
    /// `respond`: a trigger whose window closed unanswered at turn `closed_at`.
    Expired {
        rule: usize,
        trigger: usize,
        closed_at: usize,
    },
    /// `respond`: a trigger still pending at the end, judged (a finding) or skipped.
    AtEnd {
        rule: usize,
        trigger: usize,
        judged: bool,
    },
    /// A timing rule's (or `repeat`'s) measurement.
    Measured { rule: usize, m: Measurement },
}

/// What an explained run noted, in order.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// The turn being scored.
    pub turn: usize,
    pub events: Vec<Raw>,
    /// Per rule, at the end: whether it was met (a `require` that matched in scope).
    pub met: Vec<bool>,
}

impl Trace {
    pub fn note(&mut self, e: Raw) {
        self.events.push(e);
    }
}
