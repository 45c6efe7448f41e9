//! Masking personal data (`redact`, 脱敏) in the text the engine hands out.
//!
//! Rules always match the original text; what is masked is only what leaves the engine: a
//! finding's `text` (in reports and in what a live session pushes) and any text a front end
//! passes through [`Engine::redact_text`](crate::Engine::redact_text) (tables, the HTML report).
//! Each masked code point becomes the rubric's `mask`, one for one, so `start`/`end` (code points
//! into the original text) stay valid.
//!
//! Two sources of ranges to mask, merged:
//!
//! - `builtin`: fixed regexes, compiled once per process, run on the **original** text (never
//!   hidden by `normalize.strip`), each match checked at its edges (see [`Edge`]). Digits may be
//!   ASCII or full-width (`０`–`９`); separators are a space, `-`, the ideographic space or `－`:
//!   - `phone_cn`: `1[3-9]` then 9 digits, optionally after `+86`/`86` (and a separator),
//!     with one optional separator between the 3-4-4 groups; no digit right before or after.
//!   - `id_cn`: a region code (6 digits, the first 1–9), a birth date `YYYYMMDD` (years
//!     1800–2099, months 01–12, days 01–31), 3 digits and a check character (a digit or
//!     `X`/`x`), optionally separated 6-8-4; no digit right before or after. The ISO 7064
//!     checksum is **not** verified: an ID with one mistyped digit is still personal data.
//!   - `bank_card`: 16–19 digits in one run with no digit right before or after, or four
//!     groups of 4 digits and an optional fifth of 1–3, each after one separator, with no digit
//!     before or after (not even across one separator). No Luhn check: a 16-digit order number
//!     (`订单号1234567890123456`) is card-shaped and **is** masked.
//!   - `email`: ASCII `local@domain.tld`.
//! - `match`: any match expression, compiled into a matcher of its own and matched as rules
//!   match (the rubric's normalization, lists and patterns), except that `normalize.strip` does
//!   not apply: a phone number inside a stripped URL is still masked.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::Input;

use crate::error::Diagnostic;
use crate::limits::Limits;
use crate::matcher::{AutomatonChoice, ExprId, Hit, MatchCompiler, Matcher, TurnScratch};
use crate::options::{Builtin, Normalize};
use crate::rubric::Rubric;

/// ASCII or full-width digits.
const D: &str = "[0-9０-９]";
/// One separator between digit groups.
const S: &str = "[ \\-\u{3000}－]";

/// What must not touch a builtin's match at either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// Nothing: the regex's own classes are the boundary (`email`).
    Free,
    /// No digit right before or after.
    Digit,
    /// No digit right before or after, nor across one separator (grouped card numbers, so
    /// that four groups out of a longer run of groups are not taken for a card).
    DigitOrGroup,
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}' | '－')
}

impl Edge {
    fn holds(self, text: &str, m: Range<usize>) -> bool {
        let mut before = text[..m.start].chars().rev();
        let mut after = text[m.end..].chars();
        let clear = |it: &mut dyn Iterator<Item = char>, across: bool| match it.next() {
            Some(c) if is_digit(c) => false,
            Some(c) if across && is_separator(c) => !it.next().is_some_and(is_digit),
            _ => true,
        };
        match self {
            Edge::Free => true,
            Edge::Digit => clear(&mut before, false) && clear(&mut after, false),
            Edge::DigitOrGroup => clear(&mut before, true) && clear(&mut after, true),
        }
    }
}

/// The regexes of one builtin, each with its edge check; compiled once per process.
fn builtin_regexes(b: Builtin) -> &'static [(Regex, Edge)] {
    static PHONE: OnceLock<Vec<(Regex, Edge)>> = OnceLock::new();
    static ID: OnceLock<Vec<(Regex, Edge)>> = OnceLock::new();
    static CARD: OnceLock<Vec<(Regex, Edge)>> = OnceLock::new();
    static EMAIL: OnceLock<Vec<(Regex, Edge)>> = OnceLock::new();
    let build = |patterns: &[(String, Edge)]| -> Vec<(Regex, Edge)> {
        patterns
            .iter()
            .map(|(p, e)| (Regex::new(p).expect("a builtin regex compiles"), *e))
            .collect()
    };
    match b {
        Builtin::PhoneCn => PHONE.get_or_init(|| {
            build(&[(
                format!("(?:[+＋]?[8８][6６]{S}?)?[1１][3-9３-９]{D}{S}?{D}{{4}}{S}?{D}{{4}}"),
                Edge::Digit,
            )])
        }),
        Builtin::IdCn => ID.get_or_init(|| {
            let year = format!("(?:[1１][89８９]|[2２][0０]){D}{{2}}");
            let month = "(?:[0０][1-9１-９]|[1１][0-2０-２])";
            let day = "(?:[0０][1-9１-９]|[12１２][0-9０-９]|[3３][01０１])";
            build(&[(
                format!("[1-9１-９]{D}{{5}}{S}?{year}{month}{day}{S}?{D}{{3}}[0-9０-９XxＸｘ]"),
                Edge::Digit,
            )])
        }),
        Builtin::BankCard => CARD.get_or_init(|| {
            build(&[
                (format!("{D}{{16,19}}"), Edge::Digit),
                (
                    format!("{D}{{4}}(?:{S}{D}{{4}}){{3}}(?:{S}{D}{{1,3}})?"),
                    Edge::DigitOrGroup,
                ),
            ])
        }),
        Builtin::Email => EMAIL.get_or_init(|| {
            build(&[(
                r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}".into(),
                Edge::Free,
            )])
        }),
    }
}

/// Every match of `re` in `text` whose edges hold. A match whose edges do not hold is tried
/// again one character later, so a valid match that overlaps it is not missed.
fn find_builtin(re: &Regex, edge: Edge, text: &str, out: &mut Vec<Range<usize>>) {
    let mut at = 0;
    while at < text.len() {
        let Some(m) = re.search(&Input::new(text).range(at..)) else {
            break;
        };
        if edge.holds(text, m.range()) {
            out.push(m.range());
            at = m.end();
        } else {
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
}

/// A rubric's `redact`, compiled.
#[derive(Debug)]
pub(crate) struct Redactor {
    builtins: Vec<Builtin>,
    /// `redact.match`: its own matcher (without `normalize.strip`) and expression.
    matcher: Option<(Matcher, ExprId)>,
    mask: char,
}

impl Redactor {
    /// Compiles the rubric's `redact`, if it has one.
    pub fn build(
        rubric: &Rubric,
        limits: &Limits,
        automaton: AutomatonChoice,
    ) -> Result<Option<Redactor>, Diagnostic> {
        let Some(redact) = rubric.redact() else {
            return Ok(None);
        };
        let matcher = if redact.matcher().is_empty() {
            None
        } else {
            let normalize = Normalize {
                strip: Vec::new(),
                ..rubric.normalize().clone()
            };
            let mut mc = MatchCompiler::new(&rubric.lists, &normalize);
            let items: Vec<ExprId> = redact
                .matcher()
                .iter()
                .map(|e| mc.expr(e, false, false))
                .collect();
            let expr = mc.any(items);
            let matcher = mc
                .finish(&[], rubric.locale(), limits, automaton)
                .map_err(|d| d.at(redact.pos.0).help("in `redact.match`"))?;
            Some((matcher, expr))
        };
        Ok(Some(Redactor {
            builtins: redact.builtin().to_vec(),
            matcher,
            mask: redact.mask(),
        }))
    }

    /// The byte ranges of `text` to mask, sorted, overlapping ones merged.
    pub fn ranges(&self, text: &str, scratch: &mut TurnScratch, out: &mut Vec<Range<usize>>) {
        out.clear();
        // every builtin but `email` needs a digit, `email` an `@`: most turns have neither
        let digits = text.char_indices().any(|(_, c)| is_digit(c));
        let at = text.contains('@');
        for &b in &self.builtins {
            let possible = match b {
                Builtin::Email => at,
                _ => digits,
            };
            if !possible {
                continue;
            }
            for (re, edge) in builtin_regexes(b) {
                find_builtin(re, *edge, text, out);
            }
        }
        if let Some((matcher, expr)) = &self.matcher {
            matcher.scan(text, scratch);
            let mut hits: Vec<Hit> = Vec::new();
            matcher.eval(*expr, scratch, &mut hits);
            scratch.take_near_overflow();
            out.extend(
                hits.into_iter()
                    .map(|h| scratch.original_range(h))
                    .filter(|r| !r.is_empty()),
            );
        }
        out.sort_unstable_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
        for r in out.drain(..) {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        *out = merged;
    }

    /// `text[part]` with each code point inside `ranges` (of the whole text) replaced by the
    /// mask.
    pub fn mask_part<'t>(
        &self,
        text: &'t str,
        part: Range<usize>,
        ranges: &[Range<usize>],
    ) -> Cow<'t, str> {
        let body = &text[part.clone()];
        let first = ranges.partition_point(|r| r.end <= part.start);
        let touching = &ranges[first..];
        if touching.first().is_none_or(|r| r.start >= part.end) {
            return Cow::Borrowed(body);
        }
        let mut out = String::with_capacity(body.len());
        let mut i = 0;
        for (b, c) in body.char_indices() {
            let at = part.start + b;
            while touching.get(i).is_some_and(|r| r.end <= at) {
                i += 1;
            }
            if touching.get(i).is_some_and(|r| r.start <= at) {
                out.push(self.mask);
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }

    /// The whole of `text`, masked.
    pub fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut scratch = TurnScratch::default();
        let mut ranges = Vec::new();
        self.ranges(text, &mut scratch, &mut ranges);
        self.mask_part(text, 0..text.len(), &ranges)
    }
}

/// A session's masking of one turn: the ranges are found once per turn, the first time a
/// finding's evidence needs them.
#[derive(Debug, Default)]
pub(crate) struct TurnRedaction {
    scratch: TurnScratch,
    ranges: Vec<Range<usize>>,
    ready: bool,
}

impl TurnRedaction {
    /// Forgets the last turn's ranges.
    pub fn next_turn(&mut self) {
        self.ready = false;
    }

    /// The evidence `text[part]` of a finding, masked.
    pub fn evidence(&mut self, redactor: &Redactor, text: &str, part: Range<usize>) -> String {
        if !self.ready {
            redactor.ranges(text, &mut self.scratch, &mut self.ranges);
            self.ready = true;
        }
        redactor.mask_part(text, part, &self.ranges).into_owned()
    }
}
