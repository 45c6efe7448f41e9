//! The rubric's JSON Schema (`qa_core::rubric_schema`, `qa schema`, `docs/rubric.schema.json`):
//! the committed file is what the code generates; the schema is valid draft-07; it accepts every
//! valid rubric of the repository (examples, test rubrics, the golden cases') and rejects
//! unknown kinds, unknown fields and wrong types — each checked against the checker too, so the
//! two cannot drift apart unnoticed.
//!
//! Rubric texts are turned into JSON values by `saphyr` and `toml` directly (not through
//! qa-core's model), so the schema sees what an editor sees.

use std::path::{Path, PathBuf};

use qa_core::{rubric_schema, Format, Limits, Rubric};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&rubric_schema()).expect("the rubric schema compiles")
}

/// Why `instance` is not valid, or `None`.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Option<String> {
    let errs: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    (!errs.is_empty()).then(|| errs.join("\n  "))
}

fn yaml_to_json(y: &saphyr::Yaml<'_>) -> Value {
    use saphyr::{Scalar, Yaml};
    match y {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => json!(b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => json!(s.as_ref()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(_, inner) => yaml_to_json(inner),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

/// A rubric text as the JSON value an editor validates.
fn to_json(text: &str, format: Format) -> Value {
    use saphyr::LoadableYamlNode;
    match format {
        Format::Yaml => {
            let docs = saphyr::Yaml::load_from_str(text).expect("valid YAML");
            yaml_to_json(&docs[0])
        }
        Format::Toml => toml::from_str(text).expect("valid TOML"),
        _ => serde_json::from_str(text).expect("valid JSON"),
    }
}

/// Every rubric file of the repository: `testdata/rubrics/*.yaml` and the example rubrics
/// (`examples/**/*.yaml` but for `qa test` case files).
fn rubric_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && !path.to_string_lossy().ends_with(".cases.yaml")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("testdata/rubrics"), &mut files);
    walk(&root().join("examples"), &mut files);
    files.sort();
    files
}

fn golden_cases() -> Vec<(String, Value)> {
    let mut cases: Vec<(String, Value)> = std::fs::read_dir(root().join("testdata/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let case = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// A golden case's rubric as a JSON value, with its text and format for the checker.
fn case_rubric(case: &Value) -> (Value, String, Format) {
    if let Some(obj) = case.get("rubric") {
        return (obj.clone(), obj.to_string(), Format::Json);
    }
    let text = case["rubric_text"].as_str().expect("rubric_text");
    let format = Format::from_name(case["rubric_format"].as_str().unwrap_or("yaml")).unwrap();
    (to_json(text, format), text.to_string(), format)
}

#[test]
fn committed_schema_is_up_to_date() {
    let path = root().join("docs/rubric.schema.json");
    let generated = rubric_schema();
    let committed: Option<Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    assert!(
        committed.as_ref() == Some(&generated),
        "docs/rubric.schema.json is not the schema the code generates (the rubric model changed?); \
         regenerate it from the workspace root with\n\n    \
         cargo run -p qa-cli -- schema > docs/rubric.schema.json\n"
    );
}

#[test]
fn schema_is_valid_draft_07() {
    let schema = rubric_schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(jsonschema::draft7::meta::is_valid(&schema));
    // draft-07 ignores the siblings of a `$ref`: none may carry meaning
    fn no_ref_siblings(v: &Value, at: &str) {
        match v {
            Value::Object(m) => {
                assert!(
                    !m.contains_key("$ref") || m.len() == 1,
                    "`$ref` with siblings at {at}"
                );
                for (k, x) in m {
                    no_ref_siblings(x, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    no_ref_siblings(x, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }
    no_ref_siblings(&schema, "#");
}

#[test]
fn one_branch_per_kind_with_the_kinds_fields() {
    let schema = rubric_schema();
    let branches = schema["definitions"]["Rule"]["oneOf"].as_array().unwrap();
    let kinds = qa_core::RuleKind::ALL;
    assert_eq!(branches.len(), kinds.len());
    for (branch, kind) in branches.iter().zip(kinds) {
        assert_eq!(branch["properties"]["kind"]["const"], kind.as_str());
        assert_eq!(branch["additionalProperties"], false);
        let props = branch["properties"].as_object().unwrap();
        for field in kind.fields() {
            assert!(props.contains_key(*field), "{kind}: no `{field}`");
        }
        assert_eq!(props.contains_key("window"), kind.takes_window(), "{kind}");
        for field in ["negation", "word", "except"] {
            assert_eq!(props.contains_key(field), kind.matches_text(), "{kind}");
        }
        for field in [
            "id", "name", "category", "message", "role", "severity", "deduct",
        ] {
            assert!(props.contains_key(field), "{kind}: no `{field}`");
        }
        for (name, p) in props {
            assert!(
                p.get("description").is_some(),
                "{kind}: `{name}` has no description"
            );
        }
    }
}

#[test]
fn top_level_fields_have_descriptions() {
    let schema = rubric_schema();
    let props = schema["properties"].as_object().unwrap();
    let names: Vec<&str> = props.keys().map(String::as_str).collect();
    for field in [
        "rubric",
        "version",
        "locale",
        "normalize",
        "speakers",
        "scoring",
        "lists",
        "patterns",
        "rules",
        "redact",
        "thresholds",
    ] {
        assert!(names.contains(&field), "no `{field}`");
        assert!(props[field].get("description").is_some(), "`{field}`");
    }
    assert_eq!(props.len(), 11, "{names:?}");
    for def in ["Normalize", "Speakers", "Scoring", "Redact", "Threshold"] {
        let d = &schema["definitions"][def];
        assert_eq!(d["additionalProperties"], false, "{def}");
        for (name, p) in d["properties"].as_object().unwrap() {
            assert!(p.get("description").is_some(), "{def}.{name}");
        }
    }
    assert!(schema["description"]
        .as_str()
        .unwrap()
        .contains("`qa check` also checks"));
}

#[test]
fn accepts_every_rubric_file() {
    let v = validator();
    let files = rubric_files();
    assert!(files.len() >= 7, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        Rubric::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(e) = errors(&v, &to_json(&text, Format::Yaml)) {
            panic!("{}: rejected by the schema:\n  {e}", path.display());
        }
    }
}

#[test]
fn rubric_files_name_the_schema() {
    for path in rubric_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{}: no yaml-language-server modeline", path.display()));
        let schema = path.parent().unwrap().join(target);
        assert!(
            schema.ends_with("docs/rubric.schema.json") && schema.is_file(),
            "{}: the modeline names {target}",
            path.display()
        );
    }
}

#[test]
fn accepts_every_golden_scoring_rubric() {
    let v = validator();
    let mut n = 0;
    for (name, case) in golden_cases() {
        if case.get("expected").is_none() {
            continue;
        }
        let (value, _, _) = case_rubric(&case);
        if let Some(e) = errors(&v, &value) {
            panic!("{name}: rubric rejected by the schema:\n  {e}");
        }
        n += 1;
    }
    assert!(n >= 70, "{n} scoring cases");
}

/// Error kinds the schema cannot see (it has no list names, no regex engine, no limits, no
/// uniqueness across rules): a rubric whose only errors are of these kinds passes the schema.
const NOT_IN_SCHEMA: &[&str] = &[
    "duplicate_id",
    "undefined_list",
    "undefined_pattern",
    "bad_regex",
    "regex_too_large",
];

#[test]
fn golden_error_rubrics_are_rejected_where_the_schema_can_tell() {
    let v = validator();
    let (mut rejected, mut accepted) = (0, 0);
    for (name, case) in golden_cases() {
        let kinds: Vec<&str> = match (case.get("expected_error"), case.get("expected_errors")) {
            (Some(e), _) => vec![e["kind"].as_str().unwrap()],
            (_, Some(Value::Array(es))) => es.iter().map(|e| e["kind"].as_str().unwrap()).collect(),
            _ => continue,
        };
        if kinds.contains(&"syntax") {
            continue;
        }
        let (value, _, _) = case_rubric(&case);
        // a cycle of patterns is an `invalid_value` the schema cannot see (it has no pattern
        // graph), and so is a category cap naming a category no rule has, or a `rule_rate:`
        // metric naming a rule the rubric lacks
        let blind = name == "error-pattern-cycle.json"
            || name == "error-category-caps-unknown.json"
            || name == "error-threshold-unknown-rule.json";
        if blind || kinds.iter().all(|k| NOT_IN_SCHEMA.contains(k)) {
            assert!(
                errors(&v, &value).is_none(),
                "{name}: {kinds:?} should pass the schema (only the checker can tell)"
            );
            accepted += 1;
        } else {
            assert!(
                errors(&v, &value).is_some(),
                "{name}: {kinds:?} should be rejected by the schema"
            );
            rejected += 1;
        }
    }
    assert!(rejected >= 12 && accepted >= 5, "{rejected} / {accepted}");
}

/// A rubric of one rule.
fn with_rule(rule: Value) -> Value {
    json!({"rubric": "r", "lists": {"polite": ["您好"]}, "rules": [rule]})
}

/// A rubric with `top` merged into a valid one.
fn with_top(top: Value) -> Value {
    let mut r = with_rule(json!({"id": "a", "kind": "forbid", "match": ["x"]}));
    for (k, v) in top.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn checker_accepts(rubric: &Value) -> bool {
    Rubric::from_value(rubric, &Limits::default()).is_ok()
}

#[test]
fn accepts_valid_edge_cases() {
    let v = validator();
    let valid = [
        with_rule(json!({"id": "a.b-c_1", "kind": "forbid", "match": "x"})),
        with_rule(
            json!({"id": "a", "kind": "forbid", "match": [12315, "@polite", {"phrase": "@x"}]}),
        ),
        with_rule(json!({"id": "a", "kind": "forbid", "match": [{"regex": "a+"}], "bonus": 0})),
        with_rule(
            json!({"id": "a", "kind": "forbid", "name": 12, "category": 3.5, "message": "m",
            "role": "any", "severity": "critical", "deduct": 2.5, "max_deduct": 10, "fatal": true,
            "alert": true, "negation": "skip", "word": true, "except": "xx", "window": {"last": 2},
            "match": {"all": [{"not": "y"}, {"any": [["x", "z"]]}]}}),
        ),
        with_rule(
            json!({"id": "a", "kind": "forbid", "match": {"near": [["a", "b"], {"regex": "c"}], "within": 0}}),
        ),
        with_rule(
            json!({"id": "a", "kind": "require", "match": ["x"], "bonus": 2, "window": {"turns": [0, 3]}}),
        ),
        with_rule(
            json!({"id": "a", "kind": "require", "match": ["x"], "window": {"seconds": [0, 30.5]}}),
        ),
        with_rule(json!({"id": "a", "kind": "respond", "when": ["a", "b"], "expect": "c"})),
        with_rule(json!({"id": "a", "kind": "respond", "when": {"match": "a"},
            "expect": {"role": "any", "match": [{"regex": "b"}]}, "within": {"seconds": 1.5}})),
        with_rule(json!({"id": "a", "kind": "response_time", "max_seconds": 30, "scope": "first"})),
        with_rule(json!({"id": "a", "kind": "silence", "max_seconds": 0, "role": "any"})),
        with_rule(json!({"id": "a", "kind": "overlap", "window": {"first": 3}})),
        with_rule(json!({"id": "a", "kind": "duration", "min_seconds": 10})),
        with_rule(json!({"id": "a", "kind": "repeat", "similarity": 1})),
        json!({"rubric": 2026, "version": 2026.11, "rules": []}),
        with_top(
            json!({"locale": "en", "normalize": {"case": false, "chinese": "none", "fullwidth": false, "skip": " ,"},
            "speakers": {"agent": "坐席", "customer": [1001, "客户"], "other": ["bot"]},
            "scoring": {"base": 10, "pass": 6, "max": 12}, "lists": {"empty": []}}),
        ),
    ];
    for rubric in &valid {
        assert!(checker_accepts(rubric), "the checker rejects {rubric}");
        if let Some(e) = errors(&v, rubric) {
            panic!("rejected by the schema: {rubric}\n  {e}");
        }
    }
}

#[test]
fn rejects_unknown_kinds_unknown_fields_and_wrong_types() {
    let v = validator();
    let forbid = |extra: Value| {
        let mut r = json!({"id": "a", "kind": "forbid", "match": ["x"]});
        for (k, x) in extra.as_object().unwrap() {
            r[k] = x.clone();
        }
        with_rule(r)
    };
    let invalid = [
        // unknown kinds
        (
            "unknown kind",
            with_rule(json!({"id": "a", "kind": "forbidd", "match": ["x"]})),
        ),
        (
            "kind not a string",
            with_rule(json!({"id": "a", "kind": 1, "match": ["x"]})),
        ),
        // unknown fields
        ("unknown top-level field", with_top(json!({"rulez": []}))),
        ("unknown field in a rule", forbid(json!({"maxdeduct": 3}))),
        (
            "unknown field in normalize",
            with_top(json!({"normalize": {"lowercase": true}})),
        ),
        (
            "unknown field in scoring",
            with_top(json!({"scoring": {"bass": 100}})),
        ),
        (
            "unknown field in speakers",
            with_top(json!({"speakers": {"bot": ["x"]}})),
        ),
        ("another kind's field", forbid(json!({"similarity": 0.5}))),
        (
            "match on silence",
            with_rule(json!({"id": "a", "kind": "silence", "max_seconds": 3, "match": "x"})),
        ),
        (
            "window on respond",
            with_rule(
                json!({"id": "a", "kind": "respond", "when": "a", "expect": "b", "window": {"first": 1}}),
            ),
        ),
        (
            "window on response_time",
            with_rule(
                json!({"id": "a", "kind": "response_time", "max_seconds": 3, "window": {"first": 1}}),
            ),
        ),
        (
            "window on duration",
            with_rule(
                json!({"id": "a", "kind": "duration", "max_seconds": 3, "window": {"last": 1}}),
            ),
        ),
        (
            "negation on silence",
            with_rule(json!({"id": "a", "kind": "silence", "max_seconds": 3, "negation": "skip"})),
        ),
        (
            "except on repeat",
            with_rule(json!({"id": "a", "kind": "repeat", "except": ["x"]})),
        ),
        (
            "unknown key in a match item",
            forbid(json!({"match": [{"regexp": "a"}]})),
        ),
        (
            "two keys in a match item",
            forbid(json!({"match": [{"regex": "a", "phrase": "b"}]})),
        ),
        (
            "a mapping that is not a side",
            with_rule(json!({"id": "a", "kind": "respond", "when": {"regex": "a"}, "expect": "b"})),
        ),
        (
            "unknown field in a side",
            with_rule(
                json!({"id": "a", "kind": "respond", "when": {"match": "a", "speaker": "x"}, "expect": "b"}),
            ),
        ),
        // bonus
        ("bonus on forbid", forbid(json!({"bonus": 5}))),
        (
            "bonus not a number",
            with_rule(json!({"id": "a", "kind": "require", "match": "x", "bonus": "ten"})),
        ),
        (
            "negative bonus",
            with_rule(json!({"id": "a", "kind": "require", "match": "x", "bonus": -1})),
        ),
        // wrong types and values
        ("deduct not a number", forbid(json!({"deduct": "ten"}))),
        ("negative deduct", forbid(json!({"deduct": -1}))),
        ("fatal not a bool", forbid(json!({"fatal": "yes"}))),
        ("null name", forbid(json!({"name": null}))),
        ("message a number", forbid(json!({"message": 3}))),
        ("role", forbid(json!({"role": "agnet"}))),
        ("severity", forbid(json!({"severity": "huge"}))),
        ("negation", forbid(json!({"negation": "drop"}))),
        (
            "invalid id",
            with_rule(json!({"id": "a b", "kind": "forbid", "match": "x"})),
        ),
        (
            "id a number",
            with_rule(json!({"id": 1, "kind": "forbid", "match": "x"})),
        ),
        ("match a bool", forbid(json!({"match": true}))),
        ("match a float", forbid(json!({"match": 1.5}))),
        ("empty match", forbid(json!({"match": []}))),
        ("empty phrase", forbid(json!({"match": [""]}))),
        ("regex not a string", forbid(json!({"match": {"regex": 1}}))),
        (
            "near of one item",
            forbid(json!({"match": {"near": ["a"], "within": 2}})),
        ),
        (
            "near without within",
            forbid(json!({"match": {"near": ["a", "b"]}})),
        ),
        (
            "near with a not",
            forbid(json!({"match": {"near": ["a", {"not": "b"}], "within": 2}})),
        ),
        (
            "near of nine items",
            forbid(
                json!({"match": {"near": ["1", "2", "3", "4", "5", "6", "7", "8", "9"], "within": 2}}),
            ),
        ),
        ("empty all", forbid(json!({"match": {"all": []}}))),
        ("window first 0", forbid(json!({"window": {"first": 0}}))),
        (
            "window of two kinds",
            forbid(json!({"window": {"first": 1, "last": 2}})),
        ),
        (
            "window turns of one",
            forbid(json!({"window": {"turns": [1]}})),
        ),
        (
            "window seconds negative",
            forbid(json!({"window": {"seconds": [-1, 2]}})),
        ),
        (
            "within turns 0",
            with_rule(
                json!({"id": "a", "kind": "respond", "when": "a", "expect": "b", "within": {"turns": 0}}),
            ),
        ),
        (
            "within of two kinds",
            with_rule(
                json!({"id": "a", "kind": "respond", "when": "a", "expect": "b", "within": {"turns": 1, "seconds": 2}}),
            ),
        ),
        (
            "scope",
            with_rule(
                json!({"id": "a", "kind": "response_time", "max_seconds": 3, "scope": "all"}),
            ),
        ),
        (
            "similarity 0",
            with_rule(json!({"id": "a", "kind": "repeat", "similarity": 0})),
        ),
        (
            "similarity over 1",
            with_rule(json!({"id": "a", "kind": "repeat", "similarity": 1.5})),
        ),
        (
            "max_count negative",
            with_rule(json!({"id": "a", "kind": "overlap", "max_count": -1})),
        ),
        ("locale", with_top(json!({"locale": "fr"}))),
        (
            "normalize.chinese",
            with_top(json!({"normalize": {"chinese": "traditional"}})),
        ),
        (
            "normalize.case",
            with_top(json!({"normalize": {"case": "yes"}})),
        ),
        (
            "speakers a number",
            with_top(json!({"speakers": {"agent": 5}})),
        ),
        (
            "scoring negative",
            with_top(json!({"scoring": {"pass": -1}})),
        ),
        (
            "a list not a list",
            with_top(json!({"lists": {"polite": "您好"}})),
        ),
        (
            "a list of numbers",
            with_top(json!({"lists": {"polite": [1]}})),
        ),
        (
            "rules not a list",
            json!({"rubric": "r", "rules": {"id": "a"}}),
        ),
        ("rubric a list", json!({"rubric": ["r"], "rules": []})),
        // missing fields
        ("no rubric", json!({"rules": []})),
        ("no rules", json!({"rubric": "r"})),
        ("no id", with_rule(json!({"kind": "forbid", "match": "x"}))),
        ("no kind", with_rule(json!({"id": "a", "match": "x"}))),
        ("no match", with_rule(json!({"id": "a", "kind": "require"}))),
        (
            "no expect",
            with_rule(json!({"id": "a", "kind": "respond", "when": "a"})),
        ),
        (
            "no max_seconds",
            with_rule(json!({"id": "a", "kind": "silence"})),
        ),
        (
            "duration without bounds",
            with_rule(json!({"id": "a", "kind": "duration"})),
        ),
    ];
    for (what, rubric) in &invalid {
        assert!(
            !checker_accepts(rubric),
            "{what}: the checker accepts {rubric}"
        );
        assert!(
            errors(&v, rubric).is_some(),
            "{what}: accepted by the schema: {rubric}"
        );
    }
}

/// What the schema cannot express passes it; only the checker rejects it (and the schema's
/// description says so).
#[test]
fn what_only_the_checker_rejects() {
    let v = validator();
    let only_checker = [
        with_rule(json!({"id": "a", "kind": "forbid", "match": "@nosuch"})),
        json!({"rubric": "r", "rules": [
            {"id": "a", "kind": "forbid", "match": "x"},
            {"id": "a", "kind": "forbid", "match": "y"}]}),
        with_rule(json!({"id": "a", "kind": "forbid", "match": {"regex": "a("}})),
        with_rule(json!({"id": "a", "kind": "forbid", "match": "x", "window": {"turns": [3, 1]}})),
        with_rule(json!({"id": "a", "kind": "forbid", "match": "x", "window": {"first": 2.0}})),
        with_top(
            json!({"normalize": {"skip": "-"}, "rules": [{"id": "a", "kind": "forbid", "match": "--"}]}),
        ),
    ];
    for rubric in &only_checker {
        assert!(!checker_accepts(rubric), "the checker accepts {rubric}");
        assert!(errors(&v, rubric).is_none(), "the schema rejects {rubric}");
    }
}
