//! Rubrics built through the public Rust API (`RubricBuilder`, `RuleBuilder`) with arbitrary
//! field combinations: the checker answers with a rubric or errors, never a panic; a rubric that
//! exists compiles, round-trips through JSON, and scores turns from the rest of the input with
//! every report invariant.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use qa_core::{Engine, Rubric};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(builder) = qa_fuzz::built_rubric(&mut u) else {
        return;
    };
    let rubric = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.diagnostics().is_empty());
            return;
        }
    };
    assert_eq!(
        Rubric::from_json(&rubric.to_json()).ok().as_ref(),
        Some(&rubric)
    );
    let engine = Engine::new(rubric).expect("a checked rubric compiles");
    let mut turns = Vec::new();
    while !u.is_empty() && turns.len() < 16 {
        match qa_fuzz::turn(&mut u) {
            Ok(turn) => turns.push(turn),
            Err(_) => break,
        }
    }
    let t = qa_fuzz::transcript(turns);
    let report = engine.score(&t);
    qa_fuzz::check_report(&engine, &t.turns, &report);
});
