//! `qa check`, and loading a rubric for the other commands: every error is printed on stderr
//! as `file:line:col: message`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use indexmap::IndexMap;
use qa_core::{Diagnostic, Engine, Format, Limits, MatchExpr, Rubric, RubricError};
use serde::Serialize;

use crate::lint::{self, Warning};
use crate::Status;

/// Reads and compiles a rubric; prints its errors and returns `None` when it is invalid.
pub fn load(path: &Path) -> anyhow::Result<Option<Engine>> {
    match compile(path) {
        Ok((engine, _)) => Ok(Some(engine)),
        Err(e) => {
            for line in e.lines(path) {
                eprintln!("{line}");
            }
            Ok(None)
        }
    }
}

/// Why a rubric could not be loaded.
#[derive(Debug)]
enum LoadError {
    /// The file could not be read (or its name gives no format).
    Io(String),
    /// The rubric is invalid.
    Rubric(RubricError),
}

impl LoadError {
    fn lines(&self, path: &Path) -> Vec<String> {
        match self {
            LoadError::Io(message) => vec![format!("{}: {message}", path.display())],
            LoadError::Rubric(e) => error_lines(e, path),
        }
    }

    fn count(&self) -> usize {
        match self {
            LoadError::Io(_) => 1,
            LoadError::Rubric(e) => e.diagnostics().len(),
        }
    }
}

/// Reads the rubric file once and compiles it; returns the engine and the rubric's text.
fn compile(path: &Path) -> Result<(Engine, String), LoadError> {
    let limits = Limits::default();
    let (text, format) = read_rubric(path, limits.max_rubric_bytes)?;
    let file = path.display().to_string();
    let rubric = Rubric::parse(&text, format, Some(&file), &limits).map_err(LoadError::Rubric)?;
    let engine = Engine::new(rubric).map_err(LoadError::Rubric)?;
    Ok((engine, text))
}

/// The rubric file's text and format. The file is opened and read once (a FIFO has nothing left
/// for a second read), at most `max + 1` bytes of it whatever its size claims to be (a symlink to
/// `/dev/zero` has size 0); a longer text is handed to [`Rubric::parse`] as it is, which refuses
/// it as `rubric_too_large` before parsing.
fn read_rubric(path: &Path, max: usize) -> Result<(String, Format), LoadError> {
    let format = Format::from_path(path).ok_or_else(|| {
        LoadError::Io(
            "unknown rubric format: the file name must end in .yaml, .yml, .json or .toml"
                .to_string(),
        )
    })?;
    let cannot = |e: std::io::Error| LoadError::Io(format!("cannot read: {e}"));
    let file = File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    let text = if bytes.len() > max {
        // cut anywhere: only its length matters now
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        String::from_utf8(bytes).map_err(|_| {
            LoadError::Io("cannot read: stream did not contain valid UTF-8".to_string())
        })?
    };
    Ok((text, format))
}

/// The error's `file:line:col: message` lines; errors found while compiling the engine carry
/// no file name, so the rubric's is put in.
fn error_lines(e: &RubricError, path: &Path) -> Vec<String> {
    let lines = match e.file() {
        Some(_) => e.lines(),
        None => {
            let file = path.display().to_string();
            e.lines()
                .into_iter()
                .map(|l| match l.strip_prefix("<rubric>") {
                    Some(rest) => format!("{file}{rest}"),
                    None => l,
                })
                .collect()
        }
    };
    lines.into_iter().map(|l| at_least(&l)).collect()
}

/// A rubric read up to one byte over the limit is at least that long, not that long.
fn at_least(message: &str) -> String {
    let read = Limits::default().max_rubric_bytes + 1;
    message.replacen(
        &format!("is {read} bytes,"),
        &format!("is at least {read} bytes,"),
        1,
    )
}

/// Runs `qa check`.
pub fn run(path: &Path, json: bool, warnings: bool) -> anyhow::Result<Status> {
    let file = path.display().to_string();
    let (engine, text) = match compile(path) {
        Ok(loaded) => loaded,
        Err(e) => {
            if json {
                let errors: Vec<ErrorJson> = match &e {
                    LoadError::Rubric(e) => e
                        .diagnostics()
                        .iter()
                        .zip(error_lines(e, path))
                        .map(|(diagnostic, text)| {
                            let mut diagnostic = diagnostic.clone();
                            diagnostic.message = at_least(&diagnostic.message);
                            ErrorJson::Rubric { diagnostic, text }
                        })
                        .collect(),
                    LoadError::Io(message) => vec![ErrorJson::Io {
                        kind: "io",
                        message,
                        line: None,
                        column: None,
                        rule: None,
                        help: None,
                        text: format!("{file}: {message}"),
                    }],
                };
                let out = InvalidJson {
                    file: &file,
                    valid: false,
                    errors,
                };
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for line in e.lines(path) {
                    eprintln!("{line}");
                }
                let n = e.count();
                eprintln!(
                    "{file}: invalid rubric: {n} error{}",
                    if n == 1 { "" } else { "s" }
                );
            }
            return Ok(Status::Invalid);
        }
    };
    let rubric = engine.rubric();
    let warnings = if warnings {
        lint::lint(rubric)
    } else {
        Vec::new()
    };
    let stats = Stats::of(&engine);
    if json {
        let warnings: Vec<_> = warnings
            .iter()
            .map(|warning| WarningJson {
                warning,
                line: locate(&text, warning),
            })
            .collect();
        let out = ValidJson {
            file: &file,
            valid: true,
            rubric: rubric.name(),
            version: rubric.version(),
            rules: rubric.rules().len(),
            kinds: &stats.kinds,
            phrases: rubric.phrase_count(),
            regexes: stats.regexes,
            lists: rubric.lists().len(),
            fatal_rules: stats.fatal,
            alert_rules: stats.alert,
            bonus_rules: stats.bonus,
            base: rubric.scoring().base(),
            pass: rubric.scoring().pass(),
            warnings,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Status::Ok);
    }
    let version = rubric
        .version()
        .map(|v| format!(" (version {v})"))
        .unwrap_or_default();
    println!("{file}: ok: {}{version}", rubric.name());
    let kinds: Vec<String> = stats
        .kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!(
        "  {} rules: {}",
        rubric.rules().len(),
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        }
    );
    println!(
        "  {} fatal, {} alert, {} bonus; base {}, pass {}",
        stats.fatal,
        stats.alert,
        stats.bonus,
        crate::table::num(rubric.scoring().base()),
        crate::table::num(rubric.scoring().pass())
    );
    println!(
        "  {} phrases ({} lists), {} regexes; {} distinct phrases compiled",
        rubric.phrase_count(),
        rubric.lists().len(),
        stats.regexes,
        engine.phrase_count()
    );
    for w in &warnings {
        let place = match locate(&text, w) {
            Some(line) => format!("{file}:{line}"),
            None => file.clone(),
        };
        eprintln!("{place}: warning: rule `{}`: {}", w.rule, w.message);
    }
    if !warnings.is_empty() {
        let n = warnings.len();
        eprintln!(
            "{file}: {n} warning{} (the rubric is valid; --no-warnings hides them)",
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(Status::Ok)
}

#[derive(Debug, Serialize)]
struct InvalidJson<'a> {
    file: &'a str,
    valid: bool,
    errors: Vec<ErrorJson<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ErrorJson<'a> {
    Rubric {
        #[serde(flatten)]
        diagnostic: Diagnostic,
        /// The `file:line:col: message` line.
        text: String,
    },
    /// The fields of a [`Diagnostic`] of kind `io`.
    Io {
        kind: &'static str,
        message: &'a str,
        line: Option<usize>,
        column: Option<usize>,
        rule: Option<&'a str>,
        help: Option<&'a str>,
        text: String,
    },
}

#[derive(Debug, Serialize)]
struct ValidJson<'a> {
    file: &'a str,
    valid: bool,
    rubric: &'a str,
    version: Option<&'a str>,
    rules: usize,
    kinds: &'a IndexMap<&'static str, usize>,
    phrases: usize,
    regexes: usize,
    lists: usize,
    fatal_rules: usize,
    alert_rules: usize,
    bonus_rules: usize,
    base: f64,
    pass: f64,
    warnings: Vec<WarningJson<'a>>,
}

#[derive(Debug, Serialize)]
struct WarningJson<'a> {
    #[serde(flatten)]
    warning: &'a Warning,
    line: Option<usize>,
}

#[derive(Debug)]
struct Stats {
    kinds: IndexMap<&'static str, usize>,
    fatal: usize,
    alert: usize,
    bonus: usize,
    regexes: usize,
}

impl Stats {
    fn of(engine: &Engine) -> Stats {
        let rubric = engine.rubric();
        let mut kinds = IndexMap::new();
        for &kind in qa_core::RuleKind::ALL {
            let n = rubric.rules().iter().filter(|r| r.kind() == kind).count();
            if n > 0 {
                kinds.insert(kind.as_str(), n);
            }
        }
        let mut regexes = 0;
        for rule in rubric.rules() {
            for expr in rule.exprs() {
                expr.for_each_leaf(&mut |leaf| {
                    if matches!(leaf, MatchExpr::Regex(_)) {
                        regexes += 1;
                    }
                });
            }
        }
        Stats {
            kinds,
            fatal: rubric.rules().iter().filter(|r| r.fatal()).count(),
            alert: rubric.rules().iter().filter(|r| r.alert()).count(),
            bonus: rubric.rules().iter().filter(|r| r.bonus() > 0.0).count(),
            regexes,
        }
    }
}

/// The 1-based line a warning is about: the phrase's line in its list, or its first line
/// after the rule's id, or the rule's id line. Found in the source text; YAML, JSON and TOML
/// alike write ids and phrases literally.
fn locate(text: &str, w: &Warning) -> Option<usize> {
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let rule_at = find_rule(text, &w.rule);
    if let (Some(phrase), Some(list)) = (&w.phrase, &w.list) {
        let list_at = text
            .find(&format!("\n  {list}:"))
            .or_else(|| text.find(&format!("\"{list}\"")));
        if let Some(start) = list_at {
            if let Some(i) = text[start..].find(phrase.as_str()) {
                return Some(line_of(start + i));
            }
        }
    }
    let start = rule_at?;
    if let Some(phrase) = &w.phrase {
        if let Some(i) = text[start..].find(phrase.as_str()) {
            return Some(line_of(start + i));
        }
    }
    Some(line_of(start))
}

/// Byte offset of a rule's `id` in the source.
fn find_rule(text: &str, id: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(id) {
        let at = from + i;
        let before = text[..at].trim_end_matches(['"', '\'']).trim_end();
        let after = text[at + id.len()..].chars().next();
        let ends = after.is_none_or(|c| !(c.is_alphanumeric() || "_.-".contains(c)));
        if ends
            && (before.ends_with("id:") || before.ends_with("\"id\":") || before.ends_with("id ="))
        {
            return Some(at);
        }
        from = at + id.len();
    }
    None
}
