//! Per-turn working memory: the normalized text, the leaf hits of the one scan, word boundaries.

use super::Hit;
use crate::explain::trace::Trace;
use crate::normalize::Normalized;
use crate::segment;

/// Per-turn working memory, reused from turn to turn.
#[derive(Debug, Default)]
pub(crate) struct TurnScratch {
    pub norm: Normalized,
    /// (leaf, start, end), sorted.
    pub(super) hits: Vec<(u32, u32, u32)>,
    /// Per leaf: 1 + the index of its first entry in `hits`, or 0 when it has none; only the
    /// entries of the leaves in `hits` are ever non-zero, so a reset clears just those.
    first_hit: Vec<u32>,
    boundaries: Option<Vec<usize>>,
    pub(super) orig_len: usize,
    /// Set when a `near` expression ran out of `Limits::max_near_steps` on this turn.
    pub(super) near_overflow: bool,
    /// What an explained run notes (`None` when scoring).
    pub(crate) trace: Option<Box<Trace>>,
}

impl TurnScratch {
    pub(super) fn reset(&mut self) {
        for h in &self.hits {
            if let Some(f) = self.first_hit.get_mut(h.0 as usize) {
                *f = 0;
            }
        }
        self.hits.clear();
        self.near_overflow = false;
        if let Some(b) = &mut self.boundaries {
            b.clear();
        }
        self.boundaries = self.boundaries.take().filter(|_| false);
    }

    /// Fills `first_hit` from the sorted `hits`.
    pub(super) fn index_hits(&mut self, leaves: usize) {
        if self.first_hit.len() < leaves {
            self.first_hit.resize(leaves, 0);
        }
        for (i, h) in self.hits.iter().enumerate().rev() {
            self.first_hit[h.0 as usize] = i as u32 + 1;
        }
    }

    /// Whether a leaf has any hit in this turn: O(1).
    pub(super) fn has_hits(&self, leaf: u32) -> bool {
        self.first_hit.get(leaf as usize).is_some_and(|&f| f != 0)
    }

    pub(super) fn leaf_hits(&self, leaf: u32) -> impl Iterator<Item = Hit> + '_ {
        let from = match self.first_hit.get(leaf as usize) {
            Some(&f) if f != 0 => f as usize - 1,
            _ => self.hits.len(),
        };
        self.hits[from..]
            .iter()
            .take_while(move |h| h.0 == leaf)
            .map(|h| Hit {
                start: h.1,
                end: h.2,
            })
    }

    /// Original byte range of a span of the normalized text.
    pub fn original_range(&self, span: Hit) -> std::ops::Range<usize> {
        if span == Hit::WHOLE {
            return 0..self.orig_len;
        }
        self.norm
            .original_range(span.start as usize, span.end as usize)
    }

    pub(super) fn on_word_boundaries(&mut self, span: Hit) -> bool {
        self.is_boundary(span.start as usize) && self.is_boundary(span.end as usize)
    }

    fn is_boundary(&mut self, byte: usize) -> bool {
        let text = &self.norm.text;
        let before = text[..byte].chars().next_back();
        let after = text[byte..].chars().next();
        let (Some(a), Some(b)) = (before, after) else {
            return true;
        };
        if segment::is_cjk(a) && segment::is_cjk(b) {
            let bounds = self.boundaries.get_or_insert_with(|| {
                let mut v = Vec::new();
                segment::cjk_boundaries(&self.norm.text, &mut v);
                v
            });
            return bounds.binary_search(&byte).is_ok();
        }
        !(segment::is_word_char(a) && segment::is_word_char(b))
    }
}
