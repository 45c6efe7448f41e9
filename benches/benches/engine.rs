//! Criterion benches of qa-core: compile, score per transcript, `Session::push` per turn and
//! `score_many` on 1 and 2 threads, over the seeded corpus (`qa_benches::corpus`), with the
//! bare Aho-Corasick scan alongside. Run: `cargo bench -p qa-benches`. The push p99 latency,
//! `matcher_rs` (its own binary: it replaces the global allocator) and the one-run ratios are
//! printed by `benches/compare`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qa_benches::corpus;
use qa_benches::measure::{compile, phrases, BareScan};
use qa_benches::rubrics::{self, Variant};
use qa_core::{Rubric, SessionMeta, Transcript};

const SEED: u64 = 42;
const CORPUS: usize = 200;

fn corpus() -> Vec<Transcript> {
    corpus::generate(SEED, CORPUS)
}

fn compile_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    for (name, yaml) in [
        ("100_rules", rubrics::hundred(Variant::Plain)),
        ("10k_phrases", rubrics::ten_thousand(Variant::Plain)),
    ] {
        g.bench_function(name, |b| b.iter(|| compile(black_box(&yaml))));
    }
    g.finish();
}

fn score_benches(c: &mut Criterion) {
    let docs = corpus();
    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(docs.len() as u64));
    let cases = [
        ("100_rules", rubrics::hundred(Variant::Plain)),
        ("100_rules_word", rubrics::hundred(Variant::Word)),
        ("100_rules_regex", rubrics::hundred(Variant::Regex)),
        ("10k_phrases", rubrics::ten_thousand(Variant::Plain)),
        ("10k_phrases_word", rubrics::ten_thousand(Variant::Word)),
        ("10_keyword_rules", rubrics::keywords_only()),
        ("10_regex_rules", rubrics::regexes_only()),
    ];
    for (name, yaml) in &cases {
        let engine = compile(yaml);
        g.bench_function(*name, |b| {
            b.iter(|| {
                for t in &docs {
                    black_box(engine.score(t));
                }
            })
        });
    }
    let rubric = Rubric::from_yaml(&rubrics::hundred(Variant::Plain)).expect("rubric");
    let bare = BareScan::new(&phrases(&rubric));
    g.bench_function("bare_aho_corasick_100_rules", |b| {
        b.iter(|| docs.iter().map(|t| bare.scan(t)).sum::<usize>())
    });
    let engine = compile(&rubrics::phrases_only());
    g.bench_function("phrases_only_qa_core", |b| {
        b.iter(|| {
            for t in &docs {
                black_box(engine.score(t));
            }
        })
    });
    g.finish();
}

fn push_benches(c: &mut Criterion) {
    let docs = corpus();
    let engine = compile(&rubrics::hundred(Variant::Plain));
    let turns: usize = docs.iter().map(|t| t.turns.len()).sum();
    let mut g = c.benchmark_group("push");
    g.throughput(Throughput::Elements(turns as u64));
    g.bench_function("100_rules_per_turn", |b| {
        b.iter(|| {
            for t in &docs {
                let mut s = engine.session(SessionMeta::default());
                for turn in &t.turns {
                    black_box(s.push(turn.clone()));
                }
                black_box(s.finish());
            }
        })
    });
    g.finish();
}

fn score_many_benches(c: &mut Criterion) {
    let docs = corpus::generate(SEED, 1000);
    let engine = compile(&rubrics::hundred(Variant::Plain));
    let mut g = c.benchmark_group("score_many");
    g.throughput(Throughput::Elements(docs.len() as u64));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| pool.install(|| black_box(engine.score_many(&docs))))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = compile_benches, score_benches, push_benches, score_many_benches
}
criterion_main!(benches);
