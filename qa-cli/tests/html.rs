//! `qa report --html FILE` (spec v1.1 §3), read back without a browser: the markup hooks
//! (`data-qa-report`, `data-conversation`/`data-score`, `<mark data-rule>` whose text is the
//! finding's), escaping of hostile text, code point offsets with emoji, 繁體 and Chinese,
//! overlapping evidence, no external URL, the embedded JSON the page's script renders from,
//! empty input and bad paths. scripts/browser-test.sh checks the same pages in Chromium.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

fn qa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qa"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A fresh temporary folder of this test process.
fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qa-html-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

fn run(args: &[&str]) -> Output {
    qa().args(args).output().expect("qa runs")
}

/// The reports of `qa score` for the same input.
fn reports(rubric: &str, input: &str) -> Vec<Value> {
    let out = run(&["score", rubric, input]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Writes the page for `input` and returns its text (and checks the run's exit status).
fn page(rubric: &str, input: &str, status: i32) -> String {
    let dir = temp_dir();
    let file = dir.join("report.html");
    let out = run(&["report", rubric, input, "--html", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(status),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "report.html")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::read_to_string(file).unwrap()
}

// ── a small reader for the page's HTML ───────────────────────────────────────────────

/// An element of the page: its name, attributes, text content and the elements it is in.
#[derive(Debug, Clone)]
struct Element {
    name: String,
    attrs: HashMap<String, String>,
    text: String,
    /// Index in the element list of each enclosing element, outermost first.
    parents: Vec<usize>,
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

const VOID: [&str; 3] = ["meta", "input", "br"];

/// Every element of `html` in document order, with its text content (script and style
/// content kept raw). The page's markup is regular, so this reader is enough; it panics on
/// anything it does not expect, such as a closing tag that does not match.
fn elements(html: &str) -> Vec<Element> {
    let mut out: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let text = unescape(&rest[..lt]);
        for &i in &open {
            out[i].text.push_str(&text);
        }
        rest = &rest[lt..];
        if rest.starts_with("<!") {
            rest = &rest[rest.find('>').unwrap() + 1..];
            continue;
        }
        let gt = rest.find('>').expect("a tag ends");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let i = open.pop().expect("an open element");
            assert_eq!(out[i].name, name, "closing tag matches");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs_text) = tag.split_once(' ').unwrap_or((tag, ""));
        let mut attrs = HashMap::new();
        while !attrs_text.trim().is_empty() {
            attrs_text = attrs_text.trim_start();
            let end = attrs_text.find(['=', ' ']).unwrap_or(attrs_text.len());
            let key = &attrs_text[..end];
            if attrs_text[end..].starts_with("=\"") {
                let value_start = end + 2;
                let close = attrs_text[value_start..].find('"').unwrap() + value_start;
                attrs.insert(key.to_string(), unescape(&attrs_text[value_start..close]));
                attrs_text = &attrs_text[close + 1..];
            } else {
                attrs.insert(key.to_string(), String::new());
                attrs_text = &attrs_text[end..];
            }
        }
        out.push(Element {
            name: name.to_string(),
            attrs,
            text: String::new(),
            parents: open.clone(),
        });
        let i = out.len() - 1;
        if name == "script" || name == "style" {
            let end = rest.find(&format!("</{name}>")).unwrap();
            out[i].text = rest[..end].to_string();
            rest = &rest[end + name.len() + 3..];
        } else if !VOID.contains(&name) && !self_closing {
            open.push(i);
        }
    }
    assert!(open.is_empty(), "every element is closed");
    out
}

/// The conversations on the page, each with its (rule, text) marks, sorted.
fn conversations(els: &[Element]) -> Vec<(Element, Vec<(String, String)>)> {
    els.iter()
        .enumerate()
        .filter(|(_, e)| e.attrs.contains_key("data-conversation"))
        .map(|(i, e)| {
            let mut marks: Vec<(String, String)> = els
                .iter()
                .filter(|m| m.name == "mark" && m.parents.contains(&i))
                .map(|m| (m.attrs["data-rule"].clone(), m.text.clone()))
                .collect();
            marks.sort();
            (e.clone(), marks)
        })
        .collect()
}

/// The findings of a report that have evidence, as (rule, text), sorted.
fn evidence(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["start"].is_null())
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The embedded JSON script `id`.
fn embedded(els: &[Element], id: &str) -> Value {
    let e = els
        .iter()
        .find(|e| e.name == "script" && e.attrs.get("id").map(String::as_str) == Some(id))
        .unwrap_or_else(|| panic!("script {id}"));
    assert_eq!(e.attrs["type"], "application/json");
    serde_json::from_str(&e.text).unwrap()
}

/// Checks the page of `rubric` on `input` against `qa score`: every conversation with its
/// score, every finding's evidence marked, and the embedded data; returns the elements.
fn check_against_scores(rubric: &str, input: &str) -> Vec<Element> {
    let html = page(rubric, input, 0);
    let els = elements(&html);
    let reports = reports(rubric, input);
    let main: Vec<_> = els
        .iter()
        .filter(|e| e.attrs.contains_key("data-qa-report"))
        .collect();
    assert_eq!(main.len(), 1);
    assert_eq!(main[0].name, "main");
    let convs = conversations(&els);
    assert_eq!(
        convs.len(),
        reports.len().min(100),
        "the first page is in the HTML"
    );
    for ((e, marks), r) in convs.iter().zip(&reports) {
        assert_eq!(e.attrs["data-conversation"], r["id"].as_str().unwrap_or(""));
        let score: f64 = e.attrs["data-score"].parse().unwrap();
        assert_eq!(score, r["score"].as_f64().unwrap(), "{}", r["id"]);
        assert_eq!(marks, &evidence(r), "{}", r["id"]);
    }
    check_embedded(&els, &reports);
    no_external_urls(&els);
    els
}

/// The embedded conversations: one per report, and each finding's UTF-16 offsets cut its
/// text out of the turn exactly as the page's script does.
fn check_embedded(els: &[Element], reports: &[Value]) {
    let data = embedded(els, "qa-data");
    let meta = embedded(els, "qa-meta");
    let data = data.as_array().unwrap();
    assert_eq!(data.len(), reports.len());
    assert_eq!(meta["count"], reports.len());
    for (c, r) in data.iter().zip(reports) {
        assert_eq!(c["id"], r["id"]);
        assert_eq!(c["score"], r["score"]);
        assert_eq!(c["passed"], r["passed"]);
        let findings = c["findings"].as_array().unwrap();
        assert_eq!(findings.len(), r["findings"].as_array().unwrap().len());
        for (f, want) in findings.iter().zip(r["findings"].as_array().unwrap()) {
            assert_eq!(
                meta["rules"][f[0].as_u64().unwrap() as usize][0],
                want["rule"]
            );
            if want["start"].is_null() {
                assert!(f[2].is_null());
                continue;
            }
            let turn = &c["turns"][f[1].as_u64().unwrap() as usize][1];
            let units: Vec<u16> = turn.as_str().unwrap().encode_utf16().collect();
            let (s, e) = (
                f[2].as_u64().unwrap() as usize,
                f[3].as_u64().unwrap() as usize,
            );
            assert_eq!(
                String::from_utf16(&units[s..e]).unwrap(),
                want["text"].as_str().unwrap()
            );
        }
    }
}

fn no_external_urls(els: &[Element]) {
    for e in els {
        for key in ["src", "href"] {
            if let Some(v) = e.attrs.get(key) {
                assert!(!v.contains("//"), "{} {key}={v}", e.name);
            }
        }
        if e.name == "style" {
            assert!(!e.text.contains("url("), "CSS url()");
        }
        assert!(!e.attrs.contains_key("style"));
    }
}

fn example(kind: &str, name: &str) -> String {
    let ext = if kind == "rubrics" { "yaml" } else { "jsonl" };
    examples()
        .join(format!("{kind}/{name}.{ext}"))
        .display()
        .to_string()
}

#[test]
fn every_example_page_matches_qa_score() {
    for name in ["ecommerce", "telecom", "finance", "customer-risk"] {
        let els = check_against_scores(&example("rubrics", name), &example("data", name));
        // every section of the contract is there
        for id in [
            "summary",
            "distribution",
            "agents",
            "channels",
            "pareto",
            "thresholds",
            "alerts",
            "skipped",
            "conversations",
            "filters",
        ] {
            assert!(
                els.iter()
                    .any(|e| e.attrs.get("id").map(String::as_str) == Some(id)),
                "{name}: #{id}"
            );
        }
        assert!(els.iter().filter(|e| e.name == "svg").count() >= 2);
        let thresholds = &els
            .iter()
            .find(|e| e.attrs.contains_key("data-thresholds"))
            .unwrap()
            .text;
        // the section lists what `qa report --format json` lists under `breaches`
        let (rubric, data) = (example("rubrics", name), example("data", name));
        let out = run(&["report", &rubric, &data, "--format", "json"]);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let breaches = json["breaches"].as_array().unwrap();
        let has_thresholds = std::fs::read_to_string(&rubric)
            .unwrap()
            .contains("\nthresholds:");
        if !has_thresholds {
            assert!(
                thresholds.contains("No thresholds in this rubric"),
                "{name}"
            );
        } else if breaches.is_empty() {
            assert!(thresholds.contains("No threshold breached"), "{name}");
        } else {
            for b in breaches {
                let id = b["threshold"].as_str().unwrap();
                assert!(
                    thresholds.contains(id),
                    "{name}: breach {id} not on the page"
                );
            }
        }
    }
}

#[test]
fn summary_and_tables_carry_the_aggregate() {
    let rubric = example("rubrics", "ecommerce");
    let input = example("data", "ecommerce");
    let els = elements(&page(&rubric, &input, 0));
    let out = run(&[
        "report", &rubric, &input, "--format", "json", "--by", "agent",
    ]);
    let agg: Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = |key: &str| {
        els.iter()
            .find(|e| e.attrs.get("data-summary").map(String::as_str) == Some(key))
            .unwrap()
            .text
            .clone()
    };
    let o = &agg["overall"];
    assert_eq!(summary("conversations"), o["conversations"].to_string());
    assert_eq!(summary("fatal"), o["fatal"].to_string());
    assert_eq!(summary("findings"), o["findings"].to_string());
    assert_eq!(
        summary("mean_score"),
        format!("{:.1}", o["mean_score"].as_f64().unwrap())
    );
    assert_eq!(
        summary("pass_rate"),
        format!("{:.1}%", o["pass_rate"].as_f64().unwrap() * 100.0)
    );
    // first-response and slow-response need timestamps some conversations lack
    let skipped: std::collections::BTreeSet<String> = reports(&rubric, &input)
        .iter()
        .flat_map(|r| r["skipped"].as_array().unwrap().clone())
        .map(|s| s["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(!skipped.is_empty());
    assert_eq!(summary("skipped_rules"), skipped.len().to_string());
    // one row per agent in the agents table, one option per agent in the filter
    let agents_table = els
        .iter()
        .position(|e| e.attrs.get("id").map(String::as_str) == Some("agents"))
        .unwrap();
    let rows = els
        .iter()
        .filter(|e| e.name == "tr" && e.parents.contains(&agents_table))
        .count();
    let groups = agg["groups"].as_array().unwrap();
    assert_eq!(rows, groups.len() + 1); // and the header
    let filter = els
        .iter()
        .position(|e| e.attrs.get("id").map(String::as_str) == Some("f-agent"))
        .unwrap();
    let options: Vec<&String> = els
        .iter()
        .filter(|e| e.name == "option" && e.parents.contains(&filter))
        .map(|e| &e.attrs["value"])
        .collect();
    assert_eq!(options.len(), groups.len() + 1);
    assert!(options.contains(&&"\"A012\"".to_string()));
}

const HOSTILE_RUBRIC: &str = r#"
rubric: "<b>hostile</b> & 'quoted'"
rules:
  - {id: x-1, name: "<i>name</i> & \"q\"", message: "</script>'", kind: forbid, match: ["<script>"], deduct: 10, alert: true}
  - {id: amp, kind: forbid, match: ["&"], deduct: 1}
  - {id: quote, kind: forbid, match: ["\"hi\""], deduct: 1}
"#;

#[test]
fn hostile_text_and_ids_are_escaped() {
    let dir = temp_dir();
    let rubric = write(&dir, "r.yaml", HOSTILE_RUBRIC);
    let input = write(
        &dir,
        "in.jsonl",
        concat!(
            r#"{"id": "</script><script>alert(1)</script>", "agent": "a\"b'<i>", "channel": "<!--", "#,
            r#""turns": [{"speaker": "agent", "text": "<script>alert(\"x\")</script> & \"hi\" '"}, "#,
            r#"{"speaker": "<b>who</b>", "text": "&amp;"}]}"#,
            "\n",
            r#"{"id": "&amp;", "turns": [{"speaker": "客服", "text": "]]></script>&lt;"}]}"#,
            "\n"
        ),
    );
    let html = page(&rubric, &input, 0);
    // only the page's own three scripts, whatever the transcripts hold
    assert_eq!(html.matches("<script").count(), 3, "{html}");
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(!html.contains("<i>") && !html.contains("<!--") && !html.contains("<b>"));
    let els = check_against_scores(&rubric, &input);
    let convs = conversations(&els);
    assert_eq!(
        convs[0].0.attrs["data-conversation"],
        "</script><script>alert(1)</script>"
    );
    assert_eq!(convs[1].0.attrs["data-conversation"], "&amp;");
    assert_eq!(
        convs[0].1,
        vec![
            ("amp".to_string(), "&".to_string()),
            ("quote".to_string(), "\"hi\"".to_string()),
            ("x-1".to_string(), "<script>".to_string()),
        ]
    );
    let text = els
        .iter()
        .find(|e| e.attrs.get("class").map(String::as_str) == Some("text"))
        .unwrap();
    assert_eq!(text.text, "<script>alert(\"x\")</script> & \"hi\" '");
    let title = els.iter().find(|e| e.name == "title").unwrap();
    assert!(title.text.contains("<b>hostile</b> & 'quoted'"));
    assert!(els
        .iter()
        .any(|e| e.attrs.get("class").map(String::as_str) == Some("rule")
            && e.text == "<i>name</i> & \"q\""));
    assert!(
        els.iter()
            .any(|e| e.attrs.get("class").map(String::as_str) == Some("msg")
                && e.text == "</script>'")
    );
}

#[test]
fn offsets_are_code_points_with_emoji_traditional_and_fullwidth() {
    let dir = temp_dir();
    let rubric = write(
        &dir,
        "r.yaml",
        "rubric: 偏移\nrules:\n  - {id: rude, kind: forbid, match: [這是規定, 这是规定], deduct: 10}\n  \
         - {id: emoji, kind: forbid, match: [\"👍🏽\"], deduct: 1}\n  \
         - {id: fw, kind: forbid, match: [ＯＫ], deduct: 1}\n",
    );
    let input = write(
        &dir,
        "in.jsonl",
        concat!(
            r#"{"id": "e1", "turns": [{"speaker": "agent", "text": "😀😀您好，這是規定🙂，这是规定！"}]}"#,
            "\n",
            r#"{"id": "e2", "turns": [{"speaker": "agent", "text": "🇨🇳👍🏽ＯＫ👍🏽"}, {"speaker": "agent", "text": ""}]}"#,
            "\n"
        ),
    );
    let els = check_against_scores(&rubric, &input);
    let convs = conversations(&els);
    assert_eq!(
        convs[0].1,
        vec![
            ("rude".to_string(), "这是规定".to_string()),
            ("rude".to_string(), "這是規定".to_string()),
        ]
    );
    assert_eq!(convs[1].1.len(), 3);
}

#[test]
fn overlapping_evidence_nests_or_is_marked_in_the_findings_list() {
    let dir = temp_dir();
    let rubric = write(
        &dir,
        "r.yaml",
        "rubric: overlap\nrules:\n  - {id: outer, kind: forbid, match: [这是规定], deduct: 1}\n  \
         - {id: inner, kind: forbid, match: [规定], deduct: 1}\n  \
         - {id: cross, kind: forbid, match: [规定啊], deduct: 1}\n  \
         - {id: same, kind: forbid, match: [这是规定], deduct: 1}\n",
    );
    let input = write(
        &dir,
        "in.jsonl",
        "{\"id\": \"o\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"这是规定啊\"}]}\n",
    );
    let els = check_against_scores(&rubric, &input);
    let marks: Vec<(usize, &Element)> = els
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == "mark")
        .collect();
    assert_eq!(marks.len(), 4, "one mark per finding");
    let mark = |rule: &str| {
        marks
            .iter()
            .find(|(_, e)| e.attrs["data-rule"] == rule)
            .unwrap()
    };
    // containment nests: inner and same are inside outer
    let (outer, _) = mark("outer");
    assert!(mark("inner").1.parents.contains(outer));
    assert!(mark("same").1.parents.contains(outer));
    // the partial overlap is marked whole in the list of findings, not in the turn
    let cross = mark("cross").1;
    assert_eq!(cross.text, "规定啊");
    assert!(cross
        .parents
        .iter()
        .any(|&p| els[p].attrs.get("class").map(String::as_str) == Some("findings")));
    let turn_text = els
        .iter()
        .find(|e| e.attrs.get("class").map(String::as_str) == Some("text"))
        .unwrap();
    assert_eq!(turn_text.text, "这是规定啊");
}

#[test]
fn links_in_transcripts_stay_text() {
    let dir = temp_dir();
    let rubric = write(
        &dir,
        "r.yaml",
        "rubric: urls\nrules:\n  - {id: link, kind: forbid, match: [{regex: 'https?://\\S+'}], deduct: 1}\n",
    );
    let input = write(
        &dir,
        "in.jsonl",
        "{\"id\": \"https://x.test/a\", \"agent\": \"http://a.test\", \"turns\": [{\"speaker\": \"agent\", \
         \"text\": \"看 https://evil.test/x.js 和 <img src=http://evil.test/p.png>\"}]}\n",
    );
    let els = check_against_scores(&rubric, &input);
    assert!(!els.iter().any(|e| e.name == "img"));
}

#[test]
fn a_conversation_without_id_and_a_whole_conversation_finding() {
    let dir = temp_dir();
    let rubric = write(
        &dir,
        "r.yaml",
        "rubric: r\nscoring: {pass: 99}\nrules:\n  - {id: greet, kind: require, match: [您好], deduct: 5}\n",
    );
    let input = write(
        &dir,
        "in.jsonl",
        "{\"turns\": [{\"speaker\": \"agent\", \"text\": \"在\"}]}\n",
    );
    let els = check_against_scores(&rubric, &input);
    let convs = conversations(&els);
    assert_eq!(convs[0].0.attrs["data-conversation"], "");
    assert_eq!(convs[0].0.attrs["data-score"], "95");
    assert!(convs[0].1.is_empty());
    assert!(els
        .iter()
        .any(|e| e.text == "whole conversation" && e.attrs["class"] == "where"));
}

#[test]
fn many_conversations_put_the_first_page_in_html_and_all_in_json() {
    let dir = temp_dir();
    let line = std::fs::read_to_string(example("data", "ecommerce")).unwrap();
    let many: String = (0..3).map(|_| line.as_str()).collect::<Vec<_>>().concat();
    let mut all = String::new();
    for _ in 0..6 {
        all.push_str(&many); // 6 × 3 × 14 = 252 conversations
    }
    let input = write(&dir, "many.jsonl", &all);
    let rubric = example("rubrics", "ecommerce");
    let els = check_against_scores(&rubric, &input);
    let main = els
        .iter()
        .find(|e| e.attrs.contains_key("data-qa-report"))
        .unwrap();
    assert_eq!(main.attrs["data-conversations"], "252");
    let page = els
        .iter()
        .find(|e| e.attrs.get("id").map(String::as_str) == Some("page"))
        .unwrap();
    assert_eq!(page.text, "1 / 3");
}

#[test]
fn empty_input_writes_an_empty_report() {
    let dir = temp_dir();
    let input = write(&dir, "empty.jsonl", "");
    let rubric = example("rubrics", "ecommerce");
    let html = page(&rubric, &input, 0);
    let els = elements(&html);
    assert!(conversations(&els).is_empty());
    assert_eq!(embedded(&els, "qa-data"), Value::Array(vec![]));
    assert!(html.contains("No conversations."));
    let summary = els
        .iter()
        .find(|e| e.attrs.get("data-summary").map(String::as_str) == Some("mean_score"))
        .unwrap();
    assert_eq!(summary.text, "—");
}

#[test]
fn bad_lines_are_reported_and_the_page_has_the_good_ones() {
    let dir = temp_dir();
    let input = write(
        &dir,
        "in.jsonl",
        "{\"id\": \"ok\", \"turns\": [{\"speaker\": \"agent\", \"text\": \"您好\"}]}\nnot json\n",
    );
    let rubric = example("rubrics", "ecommerce");
    let html = page(&rubric, &input, 3);
    assert_eq!(conversations(&elements(&html)).len(), 1);
}

#[test]
fn stdout_keeps_the_usual_report() {
    let dir = temp_dir();
    let file = dir.join("r.html");
    let rubric = example("rubrics", "telecom");
    let input = example("data", "telecom");
    let out = run(&[
        "report",
        &rubric,
        &input,
        "--format",
        "json",
        "--html",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let agg: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(agg["overall"]["conversations"], 10);
    assert!(file.exists());
}

#[test]
fn unwritable_paths_are_clear_errors() {
    let dir = temp_dir();
    let rubric = example("rubrics", "telecom");
    let input = example("data", "telecom");
    let missing = dir.join("no/such/folder/r.html");
    let out = run(&[
        "report",
        &rubric,
        &input,
        "--html",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--html") && err.contains("no/such/folder"),
        "{err}"
    );
    let out = run(&["report", &rubric, &input, "--html", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is a folder"), "{err}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing left behind"
    );
}
