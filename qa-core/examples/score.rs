//! Scores transcripts (JSON Lines on stdin) with a rubric file: `cargo run --example score -- RUBRIC`.
use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: score RUBRIC < transcripts.jsonl")?;
    let engine = qa_core::Engine::new(qa_core::Rubric::from_path(&path)?)?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match engine.score_json(&line) {
            Ok(report) => println!("{}", serde_json::to_string(&report)?),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    Ok(())
}
