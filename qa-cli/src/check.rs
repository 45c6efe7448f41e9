//! `qa check`, and loading a rubric for the other commands: every error is printed on stderr
//! as `file:line:col: message`.

use crate::sink::{out, outln};
use std::path::Path;

use indexmap::IndexMap;
use qa_core::{Diagnostic, Engine, Limits, MatchExpr, Rubric, RubricError};
use serde::Serialize;

use crate::lint::{self, Warning};
use crate::{pipeline, sample, Status};

/// Reads and compiles a rubric; prints its errors and returns `None` when it is invalid.
pub fn load(path: &Path) -> anyhow::Result<Option<Engine>> {
    match compile(path) {
        Ok((engine, _)) => Ok(Some(engine)),
        Err((e, _)) => {
            for line in e.lines() {
                eprintln!("{line}");
            }
            Ok(None)
        }
    }
}

/// Reads the rubric file once (with the core's cap: a FIFO or `/dev/zero` is read once, at most
/// `max_rubric_bytes` + 1 bytes) and compiles it; returns the engine and the rubric's text, or
/// the error and the text when it could be read (for the source lines of the errors).
fn compile(path: &Path) -> Result<(Engine, String), (RubricError, Option<String>)> {
    let limits = Limits::default();
    let (text, format) = Rubric::read_file(path, &limits).map_err(|e| (e, None))?;
    let file = path.display().to_string();
    let rubric = Rubric::parse(&text, format, Some(&file), &limits);
    match rubric.and_then(Engine::new) {
        Ok(engine) => Ok((engine, text)),
        Err(e) => Err((e, Some(text))),
    }
}

/// Runs `qa check`; with `sample`, counts the rubric's phrases in those inputs too.
pub fn run(
    path: &Path,
    json: bool,
    warnings: bool,
    sample: Option<&pipeline::Options>,
) -> anyhow::Result<Status> {
    let file = path.display().to_string();
    let engine = match compile(path) {
        Ok((engine, _)) => engine,
        Err((e, source)) => {
            if json {
                let errors: Vec<ErrorJson> = e
                    .diagnostics()
                    .iter()
                    .zip(e.lines())
                    .map(|(diagnostic, text)| ErrorJson { diagnostic, text })
                    .collect();
                let out = InvalidJson {
                    file: &file,
                    valid: false,
                    errors,
                };
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for (d, line) in e.diagnostics().iter().zip(e.lines()) {
                    eprintln!("{line}");
                    if let Some(snippet) = source.as_deref().and_then(|t| snippet(t, &file, d)) {
                        eprintln!("{snippet}");
                    }
                }
                let n = e.diagnostics().len();
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
    let sample = match sample {
        Some(options) => Some(sample::run(&engine, options)?),
        None => None,
    };
    // bad input records were reported on stderr; the phrases were counted in the others
    let status = match &sample {
        Some(s) if s.totals.bad > 0 => Status::BadInput,
        _ => Status::Ok,
    };
    if json {
        let warnings: Vec<_> = warnings
            .iter()
            .map(|warning| WarningJson {
                warning,
                line: warning.position.map(|(line, _)| line),
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
            sample: sample.as_ref().map(sample::Sample::to_json),
        };
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(status);
    }
    let version = rubric
        .version()
        .map(|v| format!(" (version {v})"))
        .unwrap_or_default();
    outln!("{file}: ok: {}{version}", rubric.name());
    let kinds: Vec<String> = stats
        .kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    outln!(
        "  {} rules: {}",
        rubric.rules().len(),
        if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        }
    );
    outln!(
        "  {} fatal, {} alert, {} bonus; base {}, pass {}",
        stats.fatal,
        stats.alert,
        stats.bonus,
        crate::table::num(rubric.scoring().base()),
        crate::table::num(rubric.scoring().pass())
    );
    outln!(
        "  {} phrases ({} lists), {} regexes; {} distinct phrases compiled",
        rubric.phrase_count(),
        rubric.lists().len(),
        stats.regexes,
        engine.phrase_count()
    );
    for w in &warnings {
        let place = match w.position {
            Some((line, column)) => format!("{file}:{line}:{column}"),
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
    if let Some(sample) = &sample {
        out!("{}", sample.to_text(&file));
    }
    Ok(status)
}

#[derive(Debug, Serialize)]
struct InvalidJson<'a> {
    file: &'a str,
    valid: bool,
    errors: Vec<ErrorJson<'a>>,
}

#[derive(Debug, Serialize)]
struct ErrorJson<'a> {
    #[serde(flatten)]
    diagnostic: &'a Diagnostic,
    /// The `file:line:col: message` line.
    text: String,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    sample: Option<sample::SampleJson<'a>>,
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
        // a list's regexes, once whatever uses the list
        regexes += rubric
            .lists()
            .map(|(_, list)| list.regexes().len())
            .sum::<usize>();
        Stats {
            kinds,
            fatal: rubric.rules().iter().filter(|r| r.fatal()).count(),
            alert: rubric.rules().iter().filter(|r| r.alert()).count(),
            bonus: rubric.rules().iter().filter(|r| r.bonus() > 0.0).count(),
            regexes,
        }
    }
}

/// The diagnostic's source line with a caret under its column (and under the rest of the
/// token that starts there), as rustc and regex-syntax show errors; `None` without a place.
fn snippet(text: &str, file: &str, d: &Diagnostic) -> Option<String> {
    use annotate_snippets::{Level, Renderer, Snippet};
    let (line, column) = (d.line?, d.column?);
    let start_of_line = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let source_line = text[start_of_line..].lines().next()?;
    let at = source_line
        .char_indices()
        .nth(column - 1)
        .map_or(source_line.len(), |(i, _)| i);
    let token = source_line[at..]
        .find(|c: char| c.is_whitespace() || ",]}".contains(c))
        .unwrap_or(source_line.len() - at);
    let end = at + token.max(source_line[at..].chars().next().map_or(0, char::len_utf8));
    let label = match &d.help {
        Some(help) => help.as_str(),
        None => d.kind.as_str(),
    };
    let message = Level::Error.title(&d.message).snippet(
        Snippet::source(source_line)
            .line_start(line)
            .origin(file)
            .annotation(Level::Error.span(at..end.max(at)).label(label)),
    );
    Some(Renderer::plain().render(message).to_string())
}
