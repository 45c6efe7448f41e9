//! `qa schema` prints the rubric's JSON Schema: `qa_core::rubric_schema()`, pretty, as committed
//! in `docs/rubric.schema.json`.

use std::path::Path;
use std::process::Command;

#[test]
fn schema_prints_the_rubric_schema() {
    let out = Command::new(env!("CARGO_BIN_EXE_qa"))
        .arg("schema")
        .output()
        .expect("qa runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let printed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(printed, qa_core::rubric_schema());
    assert!(text.starts_with("{\n  \""), "pretty-printed");
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rubric.schema.json"),
    )
    .expect("docs/rubric.schema.json");
    assert_eq!(
        text, committed,
        "docs/rubric.schema.json differs from `qa schema`: regenerate it with \
         `cargo run -p qa-cli -- schema > docs/rubric.schema.json`"
    );
}

#[test]
fn schema_takes_no_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_qa"))
        .args(["schema", "rubric.yaml"])
        .output()
        .expect("qa runs");
    assert_eq!(out.status.code(), Some(2));
}
