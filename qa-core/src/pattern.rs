//! Regexes of a rubric: compiled once, when the rubric is checked, with one set of flags (the
//! rubric's `normalize.case`), and held to the size limits one by one and in total.
//!
//! The engine uses `regex-automata`'s meta regex (what the `regex` crate is built on) because it
//! reports its own heap size: [`Limits::max_regex_bytes`] bounds one regex,
//! [`Limits::max_regex_total_bytes`] all of a rubric's together, so thousands of regexes that are
//! each small enough cannot add up to gigabytes.

use std::fmt;
use std::sync::Arc;

use regex_automata::meta::Regex;

use crate::error::RubricErrorKind;
use crate::limits::Limits;

/// Bytes of lazy-DFA cache each regex may use per scoring thread (the `regex` crate's default
/// is 2 MiB). Counted in [`Limits::max_regex_total_bytes`] once per regex.
const CACHE_BYTES: usize = 256 << 10;

/// A compiled regular expression of a rubric, with its source text.
#[derive(Clone)]
pub struct Pattern {
    source: Arc<str>,
    regex: Regex,
    /// Case-insensitive.
    case_insensitive: bool,
    /// The `max_regex_bytes` it was compiled under.
    size_limit: usize,
}

impl Pattern {
    /// The regex as written in the rubric.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Heap bytes the compiled regex holds (its per-thread search cache not included).
    pub fn memory_usage(&self) -> usize {
        self.regex.memory_usage()
    }

    pub(crate) fn regex(&self) -> &Regex {
        &self.regex
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&&*self.source).finish()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Compiles a regex with the engine's settings; errors carry a kind and a message.
pub(crate) fn compile(
    source: &str,
    case_insensitive: bool,
    limits: &Limits,
) -> Result<Pattern, (RubricErrorKind, String)> {
    // parse first, for a precise position and nesting depth
    let mut parser = regex_syntax::ast::parse::ParserBuilder::new()
        .nest_limit(limits.nesting() as u32)
        .build();
    if let Err(e) = parser.parse(source) {
        let kind = if matches!(e.kind(), regex_syntax::ast::ErrorKind::NestLimitExceeded(_)) {
            RubricErrorKind::TooDeep
        } else {
            RubricErrorKind::BadRegex
        };
        let at = source[..e.span().start.offset.min(source.len())]
            .chars()
            .count();
        return Err((
            kind,
            format!("bad regex `{source}` at character {}: {}", at + 1, e.kind()),
        ));
    }
    let regex = Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .case_insensitive(case_insensitive)
                .nest_limit(limits.nesting() as u32),
        )
        .configure(
            // as the `regex` crate configures it, but for captures: only match bounds are used
            Regex::config()
                .nfa_size_limit(Some(limits.max_regex_bytes))
                .hybrid_cache_capacity(CACHE_BYTES)
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit),
        )
        .build(source)
        .map_err(|e| match e.size_limit() {
            Some(n) => (
                RubricErrorKind::RegexTooLarge,
                format!(
                    "regex `{source}` compiles to more than {n} bytes; simplify it or raise `Limits::max_regex_bytes`"
                ),
            ),
            None => (
                RubricErrorKind::BadRegex,
                format!(
                    "bad regex `{source}`: {}",
                    e.to_string().lines().last().unwrap_or_default()
                ),
            ),
        })?;
    if regex.is_match("") {
        return Err((
            RubricErrorKind::BadRegex,
            format!("regex `{source}` matches empty text, so it would match every turn"),
        ));
    }
    Ok(Pattern {
        source: source.into(),
        regex,
        case_insensitive,
        size_limit: limits.max_regex_bytes,
    })
}

/// Whether a regex compiled under a larger `max_regex_bytes` fits a smaller one (an engine's):
/// its NFA is built again to be measured, only in that case; the compiled regex is kept.
pub(crate) fn fits(p: &Pattern, max_regex_bytes: usize) -> Result<(), String> {
    if p.size_limit <= max_regex_bytes {
        return Ok(());
    }
    let built = regex_automata::nfa::thompson::Compiler::new()
        .syntax(regex_automata::util::syntax::Config::new().case_insensitive(p.case_insensitive))
        .configure(
            regex_automata::nfa::thompson::Config::new()
                .nfa_size_limit(Some(max_regex_bytes))
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit),
        )
        .build(&p.source);
    match built {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "regex `{}` compiles to more than {max_regex_bytes} bytes; simplify it or raise `Limits::max_regex_bytes`",
            p.source
        )),
    }
}

/// What one regex counts against [`Limits::max_regex_total_bytes`].
pub(crate) fn budget_cost(p: &Pattern) -> usize {
    p.memory_usage() + CACHE_BYTES
}

/// The literals every match of `pattern` starts with, when there are few of them: a turn
/// without any of them cannot match, so the regex need not run there.
pub(crate) fn prefix_literals(pattern: &str, case_insensitive: bool) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .ok()?;
    let seq = regex_syntax::hir::literal::Extractor::new().extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}
