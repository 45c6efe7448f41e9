//! What the integration tests of `qa` share: running the built binary, the repository's
//! examples, temporary files, and reading its output. Each test file uses what it needs.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The built `qa` binary.
pub fn qa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qa"))
}

/// The repository's `examples/`.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// `examples/rubrics/NAME.yaml`.
pub fn rubric(name: &str) -> String {
    examples()
        .join(format!("rubrics/{name}.yaml"))
        .display()
        .to_string()
}

/// `examples/data/NAME.jsonl`.
pub fn data(name: &str) -> String {
    examples()
        .join(format!("data/{name}.jsonl"))
        .display()
        .to_string()
}

/// A fresh folder in the temporary folder, of this test process.
pub fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qa-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file `name` holding `contents` in a fresh temporary folder; its path.
pub fn temp_file(name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = temp_dir().join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Runs `qa ARGS` to the end.
pub fn run(args: &[&str]) -> Output {
    qa().args(args).output().expect("qa runs")
}

/// Runs `qa ARGS` with `input` on stdin (written from another thread, so a full pipe never
/// blocks both sides).
pub fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = qa()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qa runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The exit status.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// stdout as JSON Lines.
pub fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Two rules: a greeting in the first turn, and a forbidden phrase that alerts.
pub const SMALL_RUBRIC: &str = r#"
rubric: small
scoring: {base: 100, pass: 80}
rules:
  - {id: greeting, kind: require, window: {first: 1}, match: [您好], deduct: 5}
  - {id: rude, kind: forbid, match: [这是规定], deduct: 30, alert: true}
"#;
