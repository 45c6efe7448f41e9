//! The Rust half of `benches/compare`: measures qa-core on the seeded corpus (and the real
//! dialogues when present) next to a bare Aho-Corasick scan, writes the corpus and the rubrics
//! for the other languages, and prints one JSON object of results.
//!
//! `compare --out DIR [--count N] [--seed S] [--rounds R] [--shared DIR]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicIsize, Ordering};

use qa_benches::corpus;
use qa_benches::measure::{
    best_of, compile, per_transcript, percentile, phrases, push_latencies, BareScan,
};
use qa_benches::rubrics::{self, Variant};
use qa_core::{Engine, Rubric, Transcript};
use serde_json::{json, Map, Value};
use std::hint::black_box;

/// The system allocator, counting live bytes, to measure what an engine holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers every call to `System`; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: `p` was allocated by `System` with `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `System::realloc`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

struct Args {
    out: PathBuf,
    count: usize,
    seed: u64,
    rounds: usize,
    shared: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        out: PathBuf::from("target/compare"),
        count: 2000,
        seed: 42,
        rounds: 5,
        shared: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--out" => a.out = v().into(),
            "--count" => a.count = v().parse().expect("--count N"),
            "--seed" => a.seed = v().parse().expect("--seed S"),
            "--rounds" => a.rounds = v().parse().expect("--rounds R"),
            "--shared" => a.shared = Some(v().into()),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn write_jsonl(path: &PathBuf, docs: &[Transcript]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for t in docs {
        serde_json::to_writer(&mut f, t).expect("write");
        f.write_all(b"\n").expect("write");
    }
}

fn main() {
    let a = args();
    std::fs::create_dir_all(&a.out).expect("out dir");
    let docs = corpus::generate(a.seed, a.count);
    write_jsonl(&a.out.join("corpus.jsonl"), &docs);
    let rubric_files = [
        ("rubric-100.yaml", rubrics::hundred(Variant::Plain)),
        ("rubric-phrases.yaml", rubrics::phrases_only()),
    ];
    for (name, yaml) in &rubric_files {
        std::fs::write(a.out.join(name), yaml).expect("write rubric");
    }
    let rubric100 = Rubric::from_yaml(&rubric_files[0].1).expect("rubric");
    std::fs::write(a.out.join("rubric-100.json"), rubric100.to_json()).expect("write rubric");
    let mut r = Map::new();
    let mut put = |k: &str, v: Value| {
        eprintln!("  {k:<32} {v}");
        r.insert(k.to_string(), v);
    };
    let turns: usize = docs.iter().map(|t| t.turns.len()).sum();
    put("corpus_transcripts", json!(docs.len()));
    put(
        "corpus_mean_bytes",
        json!(corpus::text_bytes(&docs) / docs.len()),
    );
    put("corpus_mean_turns", json!(turns as f64 / docs.len() as f64));

    // compile, from YAML text: parse, check, compile
    let y100 = rubrics::hundred(Variant::Plain);
    let y10k = rubrics::ten_thousand(Variant::Plain);
    put(
        "compile_100_rules_ms",
        json!(best_of(a.rounds * 4, || drop(compile(&y100))) * 1e3),
    );
    put(
        "compile_10k_phrases_ms",
        json!(best_of(a.rounds, || drop(compile(&y10k))) * 1e3),
    );

    // memory: live heap held by the engine, and by the segmentation dictionary
    let before = live();
    let big = compile(&y10k);
    let engine_bytes = live() - before;
    put("engine_10k_phrases_bytes", json!(engine_bytes));
    put("engine_10k_phrases_phrases", json!(big.phrase_count()));
    let word = compile(&rubrics::hundred(Variant::Word));
    let before = live();
    for t in docs.iter().take(5) {
        black_box(word.score(t));
    }
    put("segmentation_dictionary_bytes", json!(live() - before));

    // per transcript, one thread
    let cases: [(&str, String); 7] = [
        ("100_rules", y100.clone()),
        ("100_rules_word", rubrics::hundred(Variant::Word)),
        ("100_rules_regex", rubrics::hundred(Variant::Regex)),
        ("10k_phrases", y10k.clone()),
        ("10_keyword_rules", rubrics::keywords_only()),
        ("10_regex_rules", rubrics::regexes_only()),
        ("phrases_only", rubrics::phrases_only()),
    ];
    let mut engines: Vec<(&str, Engine)> = Vec::new();
    for (name, yaml) in &cases {
        let e = compile(yaml);
        let s = per_transcript(&docs, a.rounds, |t| e.score(t));
        put(&format!("score_{name}_per_s"), json!(1.0 / s));
        engines.push((name, e));
    }
    let e100 = engines[0].1.clone();
    for (name, yaml) in [("100_rules", &y100), ("10k_phrases", &y10k)] {
        let rubric = Rubric::from_yaml(yaml).expect("rubric");
        let bare = BareScan::new(&phrases(&rubric));
        let s = per_transcript(&docs, a.rounds, |t| bare.scan(t));
        put(&format!("bare_scan_{name}_per_s"), json!(1.0 / s));
    }

    // the CLI's work done in Rust: parse a JSON line, score, write the report as JSON
    let lines: Vec<String> = docs
        .iter()
        .map(|t| serde_json::to_string(t).expect("json"))
        .collect();
    let mut sink = Vec::with_capacity(1 << 16);
    let s = best_of(a.rounds, || {
        for l in &lines {
            sink.clear();
            let rep = e100.score_json(l).expect("valid");
            serde_json::to_writer(&mut sink, &rep).expect("json");
        }
    });
    put("json_in_out_100_rules_per_s", json!(docs.len() as f64 / s));

    // Session::push latency, 100 rules
    let lat = push_latencies(&e100, &docs);
    for (k, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9)] {
        put(&format!("push_{k}_ns"), json!(percentile(&lat, p)));
    }
    put("push_max_ns", json!(lat.last().copied().unwrap_or(0)));

    // score_many on 1 and 2 threads
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let s = best_of(a.rounds, || {
            pool.install(|| black_box(e100.score_many(&docs)));
        });
        put(
            &format!("score_many_{threads}_threads_per_s"),
            json!(docs.len() as f64 / s),
        );
    }

    // the real dialogues, when present
    if let Some(dir) = &a.shared {
        let real = corpus::load_dir(dir);
        if !real.is_empty() {
            let s = per_transcript(&real, a.rounds, |t| e100.score(t));
            put("shared_transcripts", json!(real.len()));
            put(
                "shared_mean_bytes",
                json!(corpus::text_bytes(&real) / real.len()),
            );
            put("shared_score_100_rules_per_s", json!(1.0 / s));
            put(
                "shared_score_100_rules_mb_per_s",
                json!(corpus::text_bytes(&real) as f64 / s / real.len() as f64 / 1e6),
            );
        }
    }
    println!("{}", Value::Object(r));
}
