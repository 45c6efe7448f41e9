//! The rubric (spec §2): what a checked rubric holds, read through methods, and the checking of
//! its top level and its rules ([`check`]).
//!
//! A [`Rubric`] is made only by the checker, from text ([`Rubric::from_yaml`],
//! [`Rubric::from_json`], [`Rubric::from_toml`], [`Rubric::from_path`]), from a JSON value
//! ([`Rubric::from_value`]) or through [`RubricBuilder`](crate::RubricBuilder), which runs the
//! same checks. Its fields are private and its enums `#[non_exhaustive]`, so a rubric that exists
//! is valid: regexes are compiled, lists resolve, every rule has what its kind needs. Every item
//! keeps its place in the source, so errors found later (while compiling an engine with smaller
//! limits) still point at the line and column.
//!
//! ```
//! let rubric = qa_core::Rubric::from_yaml(r#"
//! rubric: demo
//! rules:
//!   - id: rude
//!     kind: forbid
//!     match: [这是规定, "@extra"]
//! lists:
//!   extra: [爱买不买]
//! "#).unwrap();
//! assert_eq!(rubric.rules()[0].id(), "rude");
//! assert_eq!(rubric.rules()[0].kind(), qa_core::RuleKind::Forbid);
//! assert_eq!(rubric.phrase_count(), 2);
//! ```

mod check;
mod outputs;
mod rules_check;

use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::error::RubricError;
use crate::limits::Limits;
use crate::model::{List, MatchExpr, NamedPattern, Phrase, Redact, Scoring, Speakers, Threshold};
use crate::options::{Locale, Normalize};
use crate::rules::Rule;
use crate::source::{Format, Place as Pos};

/// A checked rubric: how conversations are scored. Two rubrics are equal when they score alike:
/// where they were read from (file, lines and columns) does not count.
///
/// Its [`JsonSchema`] is the schema of a rubric file (see [`crate::rubric_schema`]): the field
/// attributes and doc comments below are the file format's.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, transform = crate::schema::rubric_description)]
pub struct Rubric {
    /// The rubric's name, echoed in every report (a number is taken as its text).
    #[schemars(rename = "rubric", with = "crate::schema::Label")]
    pub(crate) name: String,
    /// Echoed in reports (a number is taken as its text: quote `"2026.10"` to keep the 0).
    #[schemars(with = "Option<crate::schema::Label>")]
    pub(crate) version: Option<String>,
    /// Which languages' negation words and word segmentation apply.
    #[schemars(default)]
    pub(crate) locale: Locale,
    /// Normalization applied to transcript text and to every phrase alike, character by
    /// character; a finding's evidence is always the original text.
    #[schemars(default)]
    pub(crate) normalize: Normalize,
    /// Speaker label → role, matched case-insensitively and trimmed. A role listed here replaces
    /// that role's default labels; any label not listed is role `other`.
    #[schemars(default)]
    pub(crate) speakers: Speakers,
    /// `score = max(0, base − Σ_rules min(deduct × findings, max_deduct) + Σ bonus)`, at most
    /// `max`; any fatal finding makes it 0; passed = no fatal finding and score ≥ pass.
    #[schemars(default)]
    pub(crate) scoring: Scoring,
    /// Named lists of phrases and `{regex}` items, used in match expressions as `"@name"`.
    #[schemars(with = "Option<IndexMap<String, List>>")]
    pub(crate) lists: IndexMap<String, List>,
    /// Named match expressions, used wherever a match item may stand as `"$name"` (a name
    /// starts with a letter or `_`). A pattern may use lists and other patterns, but not itself
    /// through any chain of references.
    #[schemars(with = "Option<IndexMap<String, MatchExpr>>")]
    pub(crate) patterns: IndexMap<String, NamedPattern>,
    /// The rules, in order (may be empty).
    pub(crate) rules: Vec<Rule>,
    /// Personal data (脱敏) masked, one character for one, in every piece of transcript text the
    /// engine hands out: findings' `text`, tables, HTML, `qa watch`. Rules still match the
    /// original text. None by default.
    #[schemars(with = "Option<Redact>")]
    pub(crate) redact: Option<Redact>,
    /// Alerts over many conversations (异常预警), judged per group by `qa report`.
    #[schemars(with = "Option<Vec<Threshold>>")]
    pub(crate) thresholds: Vec<Threshold>,
    /// The file it was read from, named in errors found later.
    #[schemars(skip)]
    pub(crate) file: crate::source::FileName,
    #[schemars(skip)]
    pub(crate) pos: Pos,
}

impl Serialize for Rubric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("rubric", &self.name)?;
        if let Some(v) = &self.version {
            m.serialize_entry("version", v)?;
        }
        m.serialize_entry("locale", &self.locale)?;
        m.serialize_entry("normalize", &self.normalize)?;
        m.serialize_entry("speakers", &self.speakers)?;
        m.serialize_entry("scoring", &self.scoring)?;
        m.serialize_entry("lists", &self.lists)?;
        if !self.patterns.is_empty() {
            m.serialize_entry("patterns", &self.patterns)?;
        }
        m.serialize_entry("rules", &self.rules)?;
        if let Some(r) = &self.redact {
            m.serialize_entry("redact", r)?;
        }
        if !self.thresholds.is_empty() {
            m.serialize_entry("thresholds", &self.thresholds)?;
        }
        m.end()
    }
}

impl Rubric {
    /// Reads a YAML rubric with the default [`Limits`].
    pub fn from_yaml(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Yaml, None, &Limits::default())
    }

    /// Reads a JSON rubric with the default [`Limits`].
    pub fn from_json(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Json, None, &Limits::default())
    }

    /// Reads a TOML rubric with the default [`Limits`].
    pub fn from_toml(text: &str) -> Result<Rubric, RubricError> {
        Rubric::parse(text, Format::Toml, None, &Limits::default())
    }

    /// Reads a rubric file; the extension (`.yaml`, `.yml`, `.json`, `.toml`) gives the format.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Rubric, RubricError> {
        Rubric::from_path_with_limits(path, &Limits::default())
    }

    /// [`Rubric::from_path`] with explicit limits. The file is opened once and read up to the
    /// size limit (never trusting its reported size: a FIFO or `/dev/zero` is read only that
    /// far).
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let path = path.as_ref();
        let (text, format) = Rubric::read_file(path, limits)?;
        Rubric::parse(&text, format, Some(&path.display().to_string()), limits)
    }

    /// Reads a rubric file's text and format once, at most `limits.max_rubric_bytes` (see
    /// [`Rubric::from_path_with_limits`]): for front ends that keep the text, to show errors
    /// with their source lines.
    pub fn read_file(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<(String, Format), RubricError> {
        let path = path.as_ref();
        crate::source::read_file(path, limits)
            .map_err(|d| RubricError::single(Some(path.display().to_string()), d))
    }

    /// Reads a rubric in any format; `file` names it in errors.
    pub fn parse(
        text: &str,
        format: Format,
        file: Option<&str>,
        limits: &Limits,
    ) -> Result<Rubric, RubricError> {
        let file = file.map(str::to_string);
        let node = crate::source::parse(text, format, limits)
            .map_err(|d| RubricError::single(file.clone(), d))?;
        check::rubric(&node, limits, file)
    }

    /// Reads a rubric from a JSON value (as `serde_json` or a binding produced it), with the
    /// same checks as text; errors have no line and column.
    ///
    /// ```
    /// let v = serde_json::json!({"rubric": "r", "rules": [{"id": "x", "kind": "forbid", "match": ["a"]}]});
    /// let rubric = qa_core::Rubric::from_value(&v, &qa_core::Limits::default()).unwrap();
    /// assert_eq!(rubric.rules().len(), 1);
    /// ```
    pub fn from_value(value: &serde_json::Value, limits: &Limits) -> Result<Rubric, RubricError> {
        let node = crate::source::from_json_value(value, limits)
            .map_err(|d| RubricError::single(None, d))?;
        check::rubric(&node, limits, None)
    }

    /// The rubric's name (`rubric:` in the file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Optional version, echoed in reports.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Which languages' negation words and segmentation apply.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// How text and phrases are normalized before matching.
    pub fn normalize(&self) -> &Normalize {
        &self.normalize
    }

    /// Speaker label → role.
    pub fn speakers(&self) -> &Speakers {
        &self.speakers
    }

    /// Base, pass mark and maximum.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// The named lists, in rubric order.
    pub fn lists(&self) -> impl ExactSizeIterator<Item = (&str, &List)> {
        self.lists.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// One named list.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.lists.get(name)
    }

    /// Every phrase written in `expr`, directly or through a named list, in order (regexes
    /// have none). For tools that look at a rubric's phrases one by one (`qa check`'s warnings,
    /// [`crate::PhraseSampler`]).
    pub fn phrases_in<'a>(&'a self, expr: &'a MatchExpr) -> Vec<PhraseUse<'a>> {
        let mut out = Vec::new();
        self.phrases_into(expr, false, false, &mut out);
        out
    }

    fn phrases_into<'a>(
        &'a self,
        expr: &'a MatchExpr,
        constrained: bool,
        negated: bool,
        out: &mut Vec<PhraseUse<'a>>,
    ) {
        let phrase = |phrase, list| PhraseUse {
            phrase,
            list,
            constrained,
            negated,
        };
        match expr {
            MatchExpr::Phrase(p) => out.push(phrase(p, None)),
            MatchExpr::List(l) => {
                let phrases = self.list(l.name()).map_or(&[][..], List::phrases);
                out.extend(phrases.iter().map(|p| phrase(p, Some(l.name()))));
            }
            MatchExpr::Regex(_) => {}
            MatchExpr::Any(items) => items
                .iter()
                .for_each(|i| self.phrases_into(i, constrained, negated, out)),
            MatchExpr::Near(n) => n
                .items()
                .iter()
                .for_each(|i| self.phrases_into(i, true, negated, out)),
            MatchExpr::All(items) => items
                .iter()
                .for_each(|i| self.phrases_into(i, true, negated, out)),
            MatchExpr::Not(inner) => self.phrases_into(inner, true, true, out),
        }
    }

    /// The named patterns, in rubric order (each with its own `"$name"` references expanded).
    pub fn patterns(&self) -> impl ExactSizeIterator<Item = (&str, &NamedPattern)> {
        self.patterns.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// One named pattern.
    pub fn pattern(&self, name: &str) -> Option<&NamedPattern> {
        self.patterns.get(name)
    }

    /// The rules, in rubric order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// `redact`: what is masked in the text the engine hands out, if the rubric says.
    pub fn redact(&self) -> Option<&Redact> {
        self.redact.as_ref()
    }

    /// `thresholds`, in rubric order.
    pub fn thresholds(&self) -> &[Threshold] {
        &self.thresholds
    }

    /// The file the rubric was read from, if any.
    pub fn file(&self) -> Option<&str> {
        self.file.0.as_deref()
    }

    /// The rubric as JSON text that [`Rubric::from_json`] reads back into an equal rubric
    /// (positions aside).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a rubric always serializes")
    }

    /// Number of phrases in all rules (after expanding `@name` references).
    pub fn phrase_count(&self) -> usize {
        let mut n = 0;
        for rule in &self.rules {
            for expr in rule.exprs() {
                expr.for_each_leaf(&mut |leaf| match leaf {
                    MatchExpr::Phrase(_) => n += 1,
                    MatchExpr::List(l) => {
                        n += self.lists.get(&l.name).map_or(0, |l| l.phrases.len())
                    }
                    _ => {}
                });
            }
        }
        n
    }
}

/// A phrase written in a match expression ([`Rubric::phrases_in`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct PhraseUse<'a> {
    /// The phrase as written.
    pub phrase: &'a Phrase,
    /// The named list it came from, if any.
    pub list: Option<&'a str>,
    /// Inside `near`, `all` or `not`: its match alone does not make the expression match.
    pub constrained: bool,
    /// Inside `not`.
    pub negated: bool,
}
