//! A loop to profile: scores the seeded corpus with one generated rubric, over and over.
//! `cargo build --release -p qa-benches --example profile`, then e.g.
//! `valgrind --tool=callgrind target/release/examples/profile 100 1` or `perf record`.
//!
//! `profile [CONVERSATIONS] [ROUNDS] [100|word|regex|10k|phrases] [score|bare|ratio]`
//!
//! `score` (the default) runs the engine; `bare` runs the bare Aho-Corasick scan of
//! `benches/compare` over the same phrases and corpus (so that instruction counts of the two
//! give the engine's ratio to it); `ratio` times both in this process, interleaved, best of
//! `ROUNDS` each, and prints engine ÷ bare throughput.

use qa_benches::corpus;
use qa_benches::measure::{compile, per_transcript, phrases, BareScan};
use qa_benches::rubrics::{self, Variant};

fn dump(dir: &str, count: usize) {
    use std::io::Write;
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir).expect("dir");
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(dir.join("corpus.jsonl")).expect("create"));
    for t in corpus::generate(42, count) {
        serde_json::to_writer(&mut f, &t).expect("write");
        f.write_all(b"\n").expect("write");
    }
    let rubrics = [
        ("100", rubrics::hundred(Variant::Plain)),
        ("word", rubrics::hundred(Variant::Word)),
        ("regex", rubrics::hundred(Variant::Regex)),
        ("10k", rubrics::ten_thousand(Variant::Plain)),
        ("phrases", rubrics::phrases_only()),
        ("keywords", rubrics::keywords_only()),
        ("regexes", rubrics::regexes_only()),
    ];
    for (name, yaml) in rubrics {
        std::fs::write(dir.join(format!("rubric-{name}.yaml")), yaml).expect("write");
    }
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("dump") {
        args.next();
        let dir = args.next().expect("dump DIR");
        dump(&dir, args.next().map_or(500, |a| a.parse().expect("count")));
        return;
    }
    let count: usize = args.next().map_or(500, |a| a.parse().expect("count"));
    let rounds: usize = args.next().map_or(20, |a| a.parse().expect("rounds"));
    let yaml = match args.next().as_deref().unwrap_or("100") {
        "word" => rubrics::hundred(Variant::Word),
        "regex" => rubrics::hundred(Variant::Regex),
        "10k" => rubrics::ten_thousand(Variant::Plain),
        "phrases" => rubrics::phrases_only(),
        _ => rubrics::hundred(Variant::Plain),
    };
    let mode = args.next().unwrap_or_else(|| "score".to_string());
    let engine = compile(&yaml);
    let docs = corpus::generate(42, count);
    match mode.as_str() {
        "bare" => {
            let bare = BareScan::new(&phrases(engine.rubric()));
            let t0 = std::time::Instant::now();
            let mut found = 0;
            for _ in 0..rounds {
                for t in &docs {
                    found += bare.scan(t);
                }
            }
            let per = t0.elapsed().as_secs_f64() / (count * rounds) as f64;
            eprintln!(
                "bare scan: {:.0} transcripts/s ({found} matches)",
                1.0 / per
            );
        }
        "ratio" => {
            let bare = BareScan::new(&phrases(engine.rubric()));
            let (mut ours, mut theirs) = (f64::INFINITY, f64::INFINITY);
            for _ in 0..rounds.max(1) {
                ours = ours.min(per_transcript(&docs, 1, |t| engine.score(t)));
                theirs = theirs.min(per_transcript(&docs, 1, |t| bare.scan(t)));
            }
            eprintln!(
                "score {:.0}/s, bare scan {:.0}/s: ratio {:.3}",
                1.0 / ours,
                1.0 / theirs,
                theirs / ours
            );
        }
        _ => {
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
    }
}
