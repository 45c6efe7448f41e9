//! Runs the shared golden cases of `testdata/cases/` (also run by the Python and Node tests):
//! the report of `score()` and of a live session's `finish()` must equal `expected`, and a
//! broken rubric must give exactly the expected errors.

use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasickKind;
use qa_core::{AutomatonChoice, Engine, Format, Limits, Rubric, SessionMeta, Transcript};
use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases")
}

fn load_rubric(case: &Value) -> Result<Rubric, qa_core::RubricError> {
    if let Some(obj) = case.get("rubric") {
        return Rubric::from_json(&obj.to_string());
    }
    let text = case["rubric_text"].as_str().expect("rubric_text");
    let format = Format::from_name(case["rubric_format"].as_str().unwrap_or("yaml"))
        .expect("known rubric_format");
    Rubric::parse(text, format, None, &Limits::default())
}

/// Compares two JSON values (numbers numerically); returns the first difference.
fn diff(path: &str, got: &Value, want: &Value) -> Option<String> {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64() != b.as_f64()).then(|| format!("{path}: got {a}, want {b}"))
        }
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().chain(b.keys()) {
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => {
                        if let Some(d) = diff(&format!("{path}.{k}"), x, y) {
                            return Some(d);
                        }
                    }
                    (x, y) => return Some(format!("{path}.{k}: got {x:?}, want {y:?}")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if let Some(d) = diff(&format!("{path}[{i}]"), x, y) {
                    return Some(d);
                }
            }
            (a.len() != b.len()).then(|| {
                format!(
                    "{path}: got {} items, want {}\n got: {}\nwant: {}",
                    a.len(),
                    b.len(),
                    serde_json::to_string_pretty(a).unwrap(),
                    serde_json::to_string_pretty(b).unwrap()
                )
            })
        }
        (a, b) => (a != b).then(|| format!("{path}: got {a}, want {b}")),
    }
}

/// Checks a rejected rubric's errors as every runner does (testdata/README.md): for
/// `expected_errors` (`exact`), the same number of errors, each matching in order; for
/// `expected_error`, the first error. `message_contains` is looked for in `message; help`.
fn check_error(err: &qa_core::RubricError, want: &[Value], exact: bool) -> Option<String> {
    let mut got = err.diagnostics();
    if exact && got.len() != want.len() {
        return Some(format!(
            "got {} errors, want {}:\n{err}",
            got.len(),
            want.len()
        ));
    }
    if !exact {
        got = &got[..1];
    }
    for (d, w) in got.iter().zip(want) {
        let full = format!("{}; {}", d.message, d.help.as_deref().unwrap_or_default());
        if let Some(kind) = w.get("kind").and_then(Value::as_str) {
            if d.kind.as_str() != kind {
                return Some(format!("kind {} != {kind}: {err}", d.kind));
            }
        }
        for (field, got) in [("line", d.line), ("column", d.column)] {
            if let Some(n) = w.get(field).and_then(Value::as_u64) {
                if got != Some(n as usize) {
                    return Some(format!("{field} {got:?} != {n}: {err}"));
                }
            }
        }
        if let Some(rule) = w.get("rule").and_then(Value::as_str) {
            if d.rule.as_deref() != Some(rule) {
                return Some(format!("rule {:?} != {rule}: {err}", d.rule));
            }
        }
        for needle in w
            .get("message_contains")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let needle = needle.as_str().unwrap_or_default();
            if !full.contains(needle) {
                return Some(format!("message lacks {needle:?}: {err}"));
            }
        }
    }
    None
}

fn run_case(path: &Path, automaton: AutomatonChoice) -> Option<String> {
    let build = |r: Rubric| Engine::builder().automaton(automaton).build(r);
    let text = std::fs::read_to_string(path).unwrap();
    let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let rubric = load_rubric(&case);
    let want_errors: Option<(Vec<Value>, bool)> = case
        .get("expected_errors")
        .and_then(Value::as_array)
        .map(|all| (all.clone(), true))
        .or_else(|| case.get("expected_error").map(|e| (vec![e.clone()], false)));
    if let Some((want, exact)) = want_errors {
        return match rubric.and_then(build) {
            Ok(_) => Some("the rubric was accepted; want an error".into()),
            Err(e) => check_error(&e, &want, exact),
        };
    }
    let engine = match rubric.and_then(build) {
        Ok(e) => e,
        Err(e) => return Some(format!("rubric rejected: {e}")),
    };
    let want_kind = match automaton {
        AutomatonChoice::Dfa => Some(AhoCorasickKind::DFA),
        AutomatonChoice::ContiguousNfa => Some(AhoCorasickKind::ContiguousNFA),
        _ => None,
    };
    if engine.automaton_kind().is_some() && engine.automaton_kind() != want_kind {
        return Some(format!(
            "built {:?}, want {want_kind:?}",
            engine.automaton_kind()
        ));
    }
    let transcript = Transcript::from_value(case["transcript"].clone()).expect("valid transcript");
    let want = &case["expected"];
    let report = engine.score(&transcript);
    let got = serde_json::to_value(&report).unwrap();
    if let Some(d) = diff("report", &got, want) {
        return Some(format!("score(): {d}"));
    }
    if case.get("stream") != Some(&Value::Bool(false)) {
        let mut session = engine.session(SessionMeta::of(&transcript));
        for turn in &transcript.turns {
            session.push(turn.clone());
        }
        let streamed = serde_json::to_value(session.finish()).unwrap();
        if let Some(d) = diff("report", &streamed, want) {
            return Some(format!("session finish(): {d}"));
        }
    }
    // every span slices the original text
    for f in &report.findings {
        if let (Some(t), Some(s), Some(e)) = (f.turn, f.start, f.end) {
            let slice: String = transcript.turns[t]
                .text
                .chars()
                .skip(s)
                .take(e - s)
                .collect();
            // with `redact`, each code point is the original's or the mask
            let mask = engine.rubric().redact().map(|r| r.mask());
            let text = f.text.as_deref().unwrap_or_default();
            let same = slice.chars().count() == text.chars().count()
                && slice
                    .chars()
                    .zip(text.chars())
                    .all(|(o, t)| o == t || Some(t) == mask);
            if !same {
                return Some(format!("finding {} span does not slice its text", f.rule));
            }
        }
    }
    None
}

/// Runs every case with the engine's automaton forced to one kind.
fn golden_cases(automaton: AutomatonChoice) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("testdata/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 50,
        "expected the golden cases, found {}",
        paths.len()
    );
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            run_case(p, automaton)
                .map(|why| format!("{}: {why}", p.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{automaton:?}: {} of {} golden cases failed:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}

/// Every case under each automaton kind the engine builds (a DFA up to 2,000 distinct phrases,
/// a contiguous NFA past it), as aho-corasick's own tests run every kind.
#[test]
fn golden_cases_dfa() {
    golden_cases(AutomatonChoice::Dfa);
}

#[test]
fn golden_cases_contiguous_nfa() {
    golden_cases(AutomatonChoice::ContiguousNfa);
}
