//! Measurements shared by the criterion benches and the `compare` program: the bare
//! Aho-Corasick scan (the practical ceiling), the `matcher_rs` peer, push latency percentiles,
//! and a simple best-of-N timer for the one-run comparison.

use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use qa_core::{Engine, MatchExpr, Rubric, SessionMeta, Transcript};

/// Every distinct phrase of a rubric (rules, `when`/`expect`, `except`, lists expanded).
pub fn phrases(rubric: &Rubric) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rubric.rules() {
        for e in r.exprs() {
            e.for_each_leaf(&mut |leaf| match leaf {
                MatchExpr::Phrase(p) => out.push(p.as_str().to_string()),
                MatchExpr::List(l) => out.extend(
                    rubric
                        .list(l.name())
                        .into_iter()
                        .flat_map(|l| l.phrases())
                        .map(|p| p.as_str().to_string()),
                ),
                _ => {}
            })
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The practical ceiling: one Aho-Corasick automaton over the same phrases, an overlapping
/// scan of every turn's raw text, counting matches. No normalization, no rules, no report.
#[derive(Debug)]
pub struct BareScan {
    ac: AhoCorasick,
}

impl BareScan {
    /// The automaton over `phrases` (lower-cased, as qa-core's normalization leaves them).
    pub fn new(phrases: &[String]) -> BareScan {
        let lower: Vec<String> = phrases.iter().map(|p| p.to_lowercase()).collect();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&lower)
            .expect("automaton");
        BareScan { ac }
    }

    /// Matches in one transcript.
    pub fn scan(&self, t: &Transcript) -> usize {
        t.turns
            .iter()
            .map(|turn| self.ac.find_overlapping_iter(&turn.text).count())
            .sum()
    }
}

/// The closest Rust peer: `matcher_rs` with one rule per qa-core rule (its phrases as `a|b|c`
/// alternatives), each turn processed with CJK variant normalization (繁→简) plus NFKC
/// case-folding (full-width → half-width, lower case): qa-core's default normalization.
#[cfg(feature = "peer")]
#[derive(Debug)]
pub struct Peer {
    matcher: matcher_rs::SimpleMatcher,
}

#[cfg(feature = "peer")]
impl Peer {
    /// One matcher rule per phrase list.
    pub fn new(rules: &[Vec<String>]) -> Peer {
        use matcher_rs::ProcessType;
        let mut b = matcher_rs::SimpleMatcherBuilder::new();
        let pt = ProcessType::VariantNorm | ProcessType::Normalize;
        for (i, phrases) in rules.iter().enumerate() {
            b = b.add_word(pt, i as u32 + 1, phrases.join("|"));
        }
        Peer {
            matcher: b.build().expect("matcher_rs"),
        }
    }

    /// Matched rules summed over the turns of one transcript.
    pub fn scan(&self, t: &Transcript) -> usize {
        t.turns
            .iter()
            .map(|turn| self.matcher.process(&turn.text).len())
            .sum()
    }
}

/// Compiles a rubric from YAML text (parse, check, compile).
pub fn compile(yaml: &str) -> Engine {
    Engine::new(Rubric::from_yaml(yaml).expect("rubric")).expect("engine")
}

/// Best of `rounds` runs of `f` over the corpus (after one warm-up run): seconds per transcript.
/// The best run is the least disturbed one on a shared machine.
pub fn per_transcript<R>(
    corpus: &[Transcript],
    rounds: usize,
    mut f: impl FnMut(&Transcript) -> R,
) -> f64 {
    let run = |f: &mut dyn FnMut(&Transcript) -> R| {
        let t0 = Instant::now();
        for t in corpus {
            std::hint::black_box(f(t));
        }
        t0.elapsed()
    };
    run(&mut f);
    let best = (0..rounds.max(1))
        .map(|_| run(&mut f))
        .min()
        .unwrap_or(Duration::ZERO);
    best.as_secs_f64() / corpus.len().max(1) as f64
}

/// Best of `rounds` timings of `f` (after one warm-up call), in seconds.
pub fn best_of(rounds: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..rounds.max(1))
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Latency of every `Session::push` over the corpus (each conversation a new session), sorted,
/// in nanoseconds.
pub fn push_latencies(engine: &Engine, corpus: &[Transcript]) -> Vec<u64> {
    let mut lat = Vec::with_capacity(corpus.iter().map(|t| t.turns.len()).sum());
    for t in corpus {
        let mut s = engine.session(SessionMeta::of(t));
        for turn in &t.turns {
            let turn = turn.clone();
            let t0 = Instant::now();
            let found = s.push(turn);
            lat.push(t0.elapsed().as_nanos() as u64);
            std::hint::black_box(found);
        }
        std::hint::black_box(s.finish());
    }
    lat.sort_unstable();
    lat
}

/// The `p`-th percentile (0–100) of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{corpus, rubrics};

    #[test]
    fn the_ceiling_finds_what_qa_core_finds() {
        let corpus = corpus::generate(3, 20);
        let engine = compile(&rubrics::phrases_only());
        let ours: usize = corpus.iter().map(|t| engine.score(t).findings.len()).sum();
        let bare: usize = corpus
            .iter()
            .map(|t| BareScan::new(&phrases(engine.rubric())).scan(t))
            .sum();
        assert!(ours > 0 && bare > 0, "{ours} {bare}");
    }

    #[test]
    fn percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 51);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[], 99.0), 0);
    }
}
