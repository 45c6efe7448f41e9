//! The shape qa-core keeps (docs/DESIGN.md): no source file over 800 lines, and every rule kind
//! is one module under `src/rules/`.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_over_800_lines() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "{files:?}");
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 800).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these (docs/DESIGN.md): {long:?}");
}

#[test]
fn every_rule_kind_is_a_module() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for kind in [
        "forbid",
        "require",
        "respond",
        "response_time",
        "silence",
        "overlap",
        "duration",
        "repeat",
    ] {
        assert!(
            rules.join(format!("{kind}.rs")).is_file() || rules.join(kind).join("mod.rs").is_file(),
            "src/rules/{kind}.rs"
        );
    }
}
