//! What the matcher notes for an explained run (`Engine::explain`): the matches each leaf kept
//! or dropped, and where each leaf sits in its expression. Cold code: a scoring run never calls
//! it (its turn scratch has no trace).

use super::*;

impl Matcher {
    /// Notes, for an explained run, the phrase matches the scan kept and every match of every
    /// regex (with those `negation: skip` drops), as `eval` finds them.
    #[cold]
    #[inline(never)]
    pub(super) fn trace_leaves(&self, text: &str, scratch: &mut TurnScratch) {
        let Some(mut trace) = scratch.trace.take() else {
            return;
        };
        let norm = &scratch.norm;
        for &(leaf, s, e) in &scratch.hits {
            if matches!(self.leaves[leaf as usize].kind, LeafKind::Phrases) {
                let span = Hit { start: s, end: e };
                note_leaf(&mut trace, leaf, text, norm, span, None);
            }
        }
        for (leaf, l) in self.leaves.iter().enumerate() {
            let LeafKind::Regex { re, .. } = &l.kind else {
                continue;
            };
            for span in self.regex_matches(re, norm) {
                let dropped = if l.negation {
                    self.negators.negation(norm, span).map(|(at, word)| {
                        let neg = Hit {
                            start: at as u32,
                            end: (at + word.len()) as u32,
                        };
                        let n = At::of(trace.turn, text, norm, neg);
                        DropReason::Negated {
                            word: n.text,
                            start: n.start,
                            end: n.end,
                        }
                    })
                } else {
                    None
                };
                note_leaf(&mut trace, leaf as u32, text, norm, span, dropped);
            }
        }
        scratch.trace = Some(trace);
    }

    /// Every leaf of an expression with the composite expression nearest above it (for
    /// `explain`).
    pub fn leaf_contexts(&self, root: ExprId) -> Vec<(u32, LeafContext)> {
        let mut out = Vec::new();
        self.contexts_into(root, &LeafContext::Plain, &mut out);
        out
    }

    fn contexts_into(&self, e: ExprId, cx: &LeafContext, out: &mut Vec<(u32, LeafContext)>) {
        match &self.exprs[e as usize] {
            Expr::Leaf(l) => out.push((*l, cx.clone())),
            Expr::Any(items) => items.iter().for_each(|&i| self.contexts_into(i, cx, out)),
            Expr::All(items) => items
                .iter()
                .for_each(|&i| self.contexts_into(i, &LeafContext::All, out)),
            Expr::Not(inner) => self.contexts_into(*inner, &LeafContext::Not, out),
            Expr::Near { items, within } => {
                let sets = items
                    .iter()
                    .map(|&i| {
                        let mut v = Vec::new();
                        leaves_of(&self.exprs, i, &mut v);
                        v
                    })
                    .collect();
                let near = LeafContext::Near {
                    items: sets,
                    within: *within,
                };
                items
                    .iter()
                    .for_each(|&i| self.contexts_into(i, &near, out));
            }
        }
    }
}

/// Notes a leaf's match (dropped, with its reason, or kept) in an explained run's trace.
#[cold]
#[inline(never)]
pub(super) fn note_leaf(
    trace: &mut Trace,
    leaf: u32,
    text: &str,
    norm: &crate::normalize::Normalized,
    span: Hit,
    dropped: Option<DropReason>,
) {
    let at = At::of(trace.turn, text, norm, span);
    let n = norm.text[span.start as usize..span.end as usize].to_string();
    trace.note(Raw::Leaf {
        leaf,
        at,
        norm: n,
        dropped,
    });
}

#[cold]
#[inline(never)]
pub(super) fn note_drop(
    trace: &mut Trace,
    leaf: u32,
    text: &str,
    norm: &crate::normalize::Normalized,
    span: Hit,
    reason: DropReason,
) {
    note_leaf(trace, leaf, text, norm, span, Some(reason));
}

/// Every leaf of an expression.
pub(super) fn leaves_of(exprs: &[Expr], e: ExprId, out: &mut Vec<u32>) {
    match &exprs[e as usize] {
        Expr::Leaf(l) => out.push(*l),
        Expr::Near { items, .. } | Expr::Any(items) | Expr::All(items) => {
            items.iter().for_each(|&i| leaves_of(exprs, i, out))
        }
        Expr::Not(inner) => leaves_of(exprs, *inner, out),
    }
}
