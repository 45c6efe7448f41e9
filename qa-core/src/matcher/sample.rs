//! Phrase by phrase matching for [`crate::PhraseSampler`]: the rubric's phrases in an automaton
//! of their own (one pattern per distinct normalized phrase, as the engine's), run over the text
//! the engine's scan normalized, with the engine's own tests for what it drops.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Hit, Matcher, TurnScratch};

/// An automaton over phrases, each found on its own.
#[derive(Debug)]
pub(crate) struct PhraseScan {
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern: the phrases (indices given to [`PhraseScan::new`]) it stands for.
    pattern_phrases: Vec<Vec<u32>>,
}

impl PhraseScan {
    /// Normalizes `phrases` as the engine does; a phrase that normalizes to nothing never
    /// matches (as in the engine).
    pub fn new<'p>(matcher: &Matcher, phrases: impl Iterator<Item = &'p str>) -> PhraseScan {
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_phrases: Vec<Vec<u32>> = Vec::new();
        let mut ids = std::collections::HashMap::new();
        for (i, p) in phrases.enumerate() {
            let norm = matcher.normalizer.normalize_phrase(p);
            if norm.is_empty() {
                continue;
            }
            let id = *ids.entry(norm.clone()).or_insert_with(|| {
                patterns.push(norm);
                pattern_phrases.push(Vec::new());
                patterns.len() - 1
            });
            pattern_phrases[id].push(i as u32);
        }
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("phrases the engine compiled fit an automaton")
        });
        PhraseScan {
            automaton,
            pattern_phrases,
        }
    }

    /// Every match of every phrase in the turn `scratch` holds (after [`Matcher::scan`]), in the
    /// normalized text: `(phrase, hit)`. As in the engine, no match is inside or across a
    /// stripped region.
    pub fn find(&self, scratch: &TurnScratch, out: &mut Vec<(u32, Hit)>) {
        out.clear();
        let Some(ac) = &self.automaton else { return };
        let norm = &scratch.norm;
        for m in ac.find_overlapping_iter(&norm.text) {
            if norm.has_separators() && norm.crosses_separator(m.start(), m.end()) {
                continue;
            }
            let hit = Hit {
                start: m.start() as u32,
                end: m.end() as u32,
            };
            for &p in &self.pattern_phrases[m.pattern().as_usize()] {
                out.push((p, hit));
            }
        }
    }
}

impl Matcher {
    /// Whether `negation: skip` drops a match: it follows a negation word in its clause.
    pub(crate) fn negated(&self, scratch: &TurnScratch, hit: Hit) -> bool {
        self.negators.negated(&scratch.norm, hit)
    }
}

impl TurnScratch {
    /// Whether `word: true` keeps a match: it starts and ends on word boundaries.
    pub(crate) fn word_bounded(&mut self, hit: Hit) -> bool {
        self.on_word_boundaries(hit)
    }
}
