//! The `matcher_rs` half of `benches/compare`: qa-core and `matcher_rs` on the same
//! phrase-only rubric and corpus, in one binary (matcher_rs makes mimalloc the global allocator,
//! so both run on it). Prints one JSON object.
//!
//! `peer --count N [--seed S] [--rounds R]`

use qa_benches::corpus;
use qa_benches::measure::{compile, per_transcript, Peer};
use qa_benches::rubrics;
use serde_json::json;
use std::hint::black_box;

fn main() {
    let mut count = 2000;
    let mut seed = 42;
    let mut rounds = 5;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--count" => count = v.parse().expect("--count N"),
            "--seed" => seed = v.parse().expect("--seed S"),
            "--rounds" => rounds = v.parse().expect("--rounds R"),
            other => panic!("unknown argument {other}"),
        }
    }
    let docs = corpus::generate(seed, count);
    let engine = compile(&rubrics::phrases_only());
    let peer = Peer::new(&rubrics::phrases_only_rules());
    // interleave the two, best of `rounds` each, so that both see the same machine
    let mut ours = f64::INFINITY;
    let mut theirs = f64::INFINITY;
    for _ in 0..rounds {
        ours = ours.min(per_transcript(&docs, 1, |t| engine.score(t)));
        theirs = theirs.min(per_transcript(&docs, 1, |t| peer.scan(t)));
    }
    let r = json!({
        "peer_qa_core_phrases_only_per_s": 1.0 / ours,
        "peer_matcher_rs_phrases_only_per_s": 1.0 / theirs,
    });
    eprintln!("  {r}");
    println!("{r}");
}
