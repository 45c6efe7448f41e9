//! `qa schema`: prints the JSON Schema (draft-07) of a rubric file (`qa_core::rubric_schema`),
//! pretty, for editors and other tools.

use std::io::Write;

use crate::Status;

pub fn run() -> anyhow::Result<Status> {
    let text = serde_json::to_string_pretty(&qa_core::rubric_schema())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(Status::Ok)
}
