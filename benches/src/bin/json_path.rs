//! The "Rust JSON path" that `qa score` is measured against (docs/PERFORMANCE.md): the least a
//! Rust program does to score JSON Lines, on one thread, with the system allocator as the CLI
//! has it. Each line is deserialized by serde's derive into a `Transcript` (no checks, no
//! limits), scored, and its report serialized by serde_json to buffered stdout.
//!
//! `json_path RUBRIC [INPUT.jsonl]` (stdin when no input is named).

use std::io::{BufRead, BufReader, BufWriter, Write};

use qa_core::{Engine, Rubric, Transcript};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(rubric) = args.first() else {
        eprintln!("usage: json_path RUBRIC [INPUT.jsonl]");
        std::process::exit(2);
    };
    let yaml = std::fs::read_to_string(rubric).expect("read the rubric");
    let engine = Engine::new(Rubric::from_yaml(&yaml).expect("a rubric")).expect("an engine");
    let input: Box<dyn BufRead> = match args.get(1) {
        Some(path) => Box::new(BufReader::with_capacity(
            1 << 16,
            std::fs::File::open(path).expect("open the input"),
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for line in input.lines() {
        let line = line.expect("read a line");
        if line.trim().is_empty() {
            continue;
        }
        let t: Transcript = serde_json::from_str(&line).expect("a transcript");
        serde_json::to_writer(&mut out, &engine.score(&t)).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("write");
}
