//! Arbitrary bytes as YAML, JSON and TOML rubric text; every rubric that is accepted must
//! compile (or be refused with an error), score a small transcript, and round-trip through JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qa_core::{Engine, Format, Limits, Rubric, Turn};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Yaml, Format::Json, Format::Toml] {
        let Ok(rubric) = Rubric::parse(text, format, Some("fuzz"), &Limits::default()) else {
            continue;
        };
        // what a valid rubric serializes to reads back as the same rubric
        let back = Rubric::from_json(&rubric.to_json())
            .unwrap_or_else(|e| panic!("round trip failed: {e}\n{}", rubric.to_json()));
        assert_eq!(back, rubric, "round trip changed the rubric");
        let Ok(engine) = Engine::new(rubric) else {
            continue;
        };
        let turns = vec![
            Turn::new("customer", "你好，投诉！报警 故障 12315").at(0.0),
            Turn::new("agent", "您好，这是规定 13800138000 不保本 hello no")
                .at(5.0)
                .until(9.0),
            Turn::new("agent", text.get(..text.len().min(64)).unwrap_or("")).at(8.0),
            Turn::new("customer", "").at(70.0),
        ];
        let t = qa_fuzz::transcript(turns);
        let report = engine.score(&t);
        qa_fuzz::check_report(&engine, &t.turns, &report);
    }
});
