//! Scoring arbitrary transcripts with fixed rich rubrics: JSON text (input starting with `{`)
//! or structured turns. No panic; every finding's byte range slices its turn to its text; the
//! score is in range and agrees with `passed` and `fatal`. (Streaming ≡ batch is the `session`
//! target's.)
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use qa_core::Transcript;

fuzz_target!(|data: &[u8]| {
    let engines = qa_fuzz::engines();
    let engine = &engines[data.len() % engines.len()];
    if data.first() == Some(&b'{') {
        let Ok(json) = std::str::from_utf8(data) else {
            return;
        };
        match engine.score_json(json) {
            Ok(report) => {
                let t = Transcript::from_json(json).expect("scored, so it parses");
                qa_fuzz::check_report(engine, &t.turns, &report);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        return;
    }
    let mut u = Unstructured::new(data);
    let mut turns = Vec::new();
    while !u.is_empty() && turns.len() < 24 {
        match qa_fuzz::turn(&mut u) {
            Ok(turn) => turns.push(turn),
            Err(_) => break,
        }
    }
    let t = qa_fuzz::transcript(turns);
    let report = engine.score(&t);
    qa_fuzz::check_report(engine, &t.turns, &report);
});
