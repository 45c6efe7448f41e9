//! A loop to profile: scores the seeded corpus with one generated rubric, over and over.
//! `cargo build --release -p qa-benches --example profile`, then e.g.
//! `valgrind --tool=callgrind target/release/examples/profile 100 1` or `perf record`.
//!
//! `profile [CONVERSATIONS] [ROUNDS] [100|word|regex|10k|phrases]`

use qa_benches::corpus;
use qa_benches::measure::compile;
use qa_benches::rubrics::{self, Variant};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(500, |a| a.parse().expect("count"));
    let rounds: usize = args.next().map_or(20, |a| a.parse().expect("rounds"));
    let yaml = match args.next().as_deref().unwrap_or("100") {
        "word" => rubrics::hundred(Variant::Word),
        "regex" => rubrics::hundred(Variant::Regex),
        "10k" => rubrics::ten_thousand(Variant::Plain),
        "phrases" => rubrics::phrases_only(),
        _ => rubrics::hundred(Variant::Plain),
    };
    let engine = compile(&yaml);
    let docs = corpus::generate(42, count);
    let t0 = std::time::Instant::now();
    let mut findings = 0;
    for _ in 0..rounds {
        for t in &docs {
            findings += engine.score(t).findings.len();
        }
    }
    let per = t0.elapsed().as_secs_f64() / (count * rounds) as f64;
    eprintln!("{:.0} transcripts/s ({findings} findings)", 1.0 / per);
}
