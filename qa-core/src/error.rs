//! Errors: what is wrong with a rubric or a transcript, with a kind and a place.
//!
//! A [`RubricError`] holds every problem found in a rubric (a rubric is checked whole), each a
//! [`Diagnostic`] with a [`RubricErrorKind`], the line and column where the format has them,
//! the rule id, and a suggested fix where there is one. A [`TranscriptError`] names the field and
//! the turn index of a bad transcript.

use std::fmt;

use serde::Serialize;

/// What kind of problem a rubric [`Diagnostic`] reports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RubricErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid YAML, JSON or TOML.
    Syntax,
    /// A field that the rubric format does not have.
    UnknownField,
    /// A rule `kind` that does not exist.
    UnknownKind,
    /// A required field is missing.
    MissingField,
    /// A field has the wrong type (a string where a number is expected, …).
    WrongType,
    /// A field has a value outside what it accepts.
    InvalidValue,
    /// Two rules share one id.
    DuplicateId,
    /// An `@name` reference to a list that `lists` does not define.
    UndefinedList,
    /// A `"$name"` reference to a pattern that `patterns` does not define.
    UndefinedPattern,
    /// A regular expression that does not compile.
    BadRegex,
    /// The rubric text is larger than [`Limits::max_rubric_bytes`](crate::Limits::max_rubric_bytes).
    RubricTooLarge,
    /// More rules than [`Limits::max_rules`](crate::Limits::max_rules).
    TooManyRules,
    /// More phrases than [`Limits::max_phrases`](crate::Limits::max_phrases).
    TooManyPhrases,
    /// A phrase longer than [`Limits::max_phrase_chars`](crate::Limits::max_phrase_chars).
    PhraseTooLong,
    /// A regex over [`Limits::max_regex_bytes`](crate::Limits::max_regex_bytes) once compiled.
    RegexTooLarge,
    /// A regex or match expression nested deeper than
    /// [`Limits::max_nesting`](crate::Limits::max_nesting), or rubric text nested deeper than
    /// [`Limits::max_source_depth`](crate::Limits::max_source_depth).
    TooDeep,
    /// The rubric's regexes together are over
    /// [`Limits::max_regex_total_bytes`](crate::Limits::max_regex_total_bytes) once compiled.
    RegexBudgetExceeded,
}

impl RubricErrorKind {
    /// The kind as a stable `snake_case` string (`"unknown_kind"`, …), as the bindings expose it.
    pub fn as_str(self) -> &'static str {
        match self {
            RubricErrorKind::Io => "io",
            RubricErrorKind::Syntax => "syntax",
            RubricErrorKind::UnknownField => "unknown_field",
            RubricErrorKind::UnknownKind => "unknown_kind",
            RubricErrorKind::MissingField => "missing_field",
            RubricErrorKind::WrongType => "wrong_type",
            RubricErrorKind::InvalidValue => "invalid_value",
            RubricErrorKind::DuplicateId => "duplicate_id",
            RubricErrorKind::UndefinedList => "undefined_list",
            RubricErrorKind::BadRegex => "bad_regex",
            RubricErrorKind::RubricTooLarge => "rubric_too_large",
            RubricErrorKind::TooManyRules => "too_many_rules",
            RubricErrorKind::TooManyPhrases => "too_many_phrases",
            RubricErrorKind::PhraseTooLong => "phrase_too_long",
            RubricErrorKind::RegexTooLarge => "regex_too_large",
            RubricErrorKind::TooDeep => "too_deep",
            RubricErrorKind::RegexBudgetExceeded => "regex_budget_exceeded",
            RubricErrorKind::UndefinedPattern => "undefined_pattern",
        }
    }

    /// Every kind, for front ends that list them (error classes, docs).
    pub const ALL: [RubricErrorKind; 18] = [
        RubricErrorKind::Io,
        RubricErrorKind::Syntax,
        RubricErrorKind::UnknownField,
        RubricErrorKind::UnknownKind,
        RubricErrorKind::MissingField,
        RubricErrorKind::WrongType,
        RubricErrorKind::InvalidValue,
        RubricErrorKind::DuplicateId,
        RubricErrorKind::UndefinedList,
        RubricErrorKind::BadRegex,
        RubricErrorKind::RubricTooLarge,
        RubricErrorKind::TooManyRules,
        RubricErrorKind::TooManyPhrases,
        RubricErrorKind::PhraseTooLong,
        RubricErrorKind::RegexTooLarge,
        RubricErrorKind::TooDeep,
        RubricErrorKind::RegexBudgetExceeded,
        RubricErrorKind::UndefinedPattern,
    ];

    /// The kind named by [`RubricErrorKind::as_str`].
    pub fn from_name(name: &str) -> Option<RubricErrorKind> {
        RubricErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for RubricErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a rubric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// What kind of problem this is.
    pub kind: RubricErrorKind,
    /// What is wrong, in a sentence.
    pub message: String,
    /// 1-based line, where the format has one.
    pub line: Option<usize>,
    /// 1-based column (in characters), where the format has one.
    pub column: Option<usize>,
    /// The id of the rule the problem is in, if any.
    pub rule: Option<String>,
    /// A suggested fix ("did you mean `forbid`?").
    pub help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(kind: RubricErrorKind, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            message: message.into(),
            line: None,
            column: None,
            rule: None,
            help: None,
        }
    }

    pub(crate) fn at(mut self, pos: Option<(usize, usize)>) -> Diagnostic {
        if let Some((line, col)) = pos {
            self.line = Some(line);
            self.column = Some(col);
        }
        self
    }

    pub(crate) fn in_rule(mut self, rule: Option<&str>) -> Diagnostic {
        if self.rule.is_none() {
            self.rule = rule.map(str::to_string);
        }
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The message with its rule and fix, without the place: ``rule `x`: …; did you mean …?``.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(rule) = &self.rule {
            out.push_str(&format!("rule `{rule}`: "));
        }
        out.push_str(&self.message);
        if let Some(help) = &self.help {
            out.push_str("; ");
            out.push_str(help);
        }
        out
    }
}

/// Every problem found in a rubric, in the order they appear in the file.
///
/// `Display` writes one line per problem as `file:line:col: message`.
///
/// ```
/// let err = qa_core::Rubric::from_yaml("rubric: x\nrules:\n  - id: a\n    kind: forbidd\n")
///     .unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(d.kind, qa_core::RubricErrorKind::UnknownKind);
/// assert_eq!((d.line, d.column), (Some(4), Some(11)));
/// assert_eq!(d.rule.as_deref(), Some("a"));
/// assert!(err.to_string().contains("did you mean `forbid`?"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RubricError {
    file: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

impl RubricError {
    pub(crate) fn new(file: Option<String>, diagnostics: Vec<Diagnostic>) -> RubricError {
        debug_assert!(!diagnostics.is_empty());
        RubricError { file, diagnostics }
    }

    pub(crate) fn single(file: Option<String>, diagnostic: Diagnostic) -> RubricError {
        RubricError::new(file, vec![diagnostic])
    }

    /// Names the file the rubric came from (for rubrics parsed from text read elsewhere).
    pub fn with_file(mut self, file: impl Into<String>) -> RubricError {
        self.file = Some(file.into());
        self
    }

    /// The file name the rubric was read from, if it was read from a file.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// Every problem, in file order. Never empty.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The first problem's kind.
    pub fn kind(&self) -> RubricErrorKind {
        self.diagnostics[0].kind
    }

    /// Each problem as one line: `file:line:col: message`.
    pub fn lines(&self) -> Vec<String> {
        let file = self.file.as_deref().unwrap_or("<rubric>");
        self.diagnostics
            .iter()
            .map(|d| match (d.line, d.column) {
                (Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", d.describe()),
                (Some(l), None) => format!("{file}:{l}: {}", d.describe()),
                _ => format!("{file}: {}", d.describe()),
            })
            .collect()
    }
}

impl fmt::Display for RubricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

impl std::error::Error for RubricError {}

/// What kind of problem a [`TranscriptError`] reports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptErrorKind {
    /// The text is not valid JSON.
    Syntax,
    /// A required field (`turns`, `speaker`, `text`) is missing.
    MissingField,
    /// A field has the wrong type.
    WrongType,
    /// A field has a value outside what it accepts (a negative time, …).
    InvalidValue,
    /// The transcript is larger than
    /// [`Limits::max_transcript_bytes`](crate::Limits::max_transcript_bytes).
    TranscriptTooLarge,
    /// More turns than [`Limits::max_turns`](crate::Limits::max_turns).
    TooManyTurns,
    /// A turn longer than [`Limits::max_turn_bytes`](crate::Limits::max_turn_bytes).
    TurnTooLong,
    /// JSON nested deeper than the parser accepts (128 levels), for example in `meta`.
    TooDeep,
    /// A `meta` object, `id`, `agent` or `channel` over
    /// [`Limits::max_meta_bytes`](crate::Limits::max_meta_bytes).
    MetaTooLarge,
}

impl TranscriptErrorKind {
    /// The kind as a stable `snake_case` string.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptErrorKind::Syntax => "syntax",
            TranscriptErrorKind::MissingField => "missing_field",
            TranscriptErrorKind::WrongType => "wrong_type",
            TranscriptErrorKind::InvalidValue => "invalid_value",
            TranscriptErrorKind::TranscriptTooLarge => "transcript_too_large",
            TranscriptErrorKind::TooManyTurns => "too_many_turns",
            TranscriptErrorKind::TurnTooLong => "turn_too_long",
            TranscriptErrorKind::TooDeep => "too_deep",
            TranscriptErrorKind::MetaTooLarge => "meta_too_large",
        }
    }

    /// Every kind, for front ends that list them (error classes, docs).
    pub const ALL: [TranscriptErrorKind; 9] = [
        TranscriptErrorKind::Syntax,
        TranscriptErrorKind::MissingField,
        TranscriptErrorKind::WrongType,
        TranscriptErrorKind::InvalidValue,
        TranscriptErrorKind::TranscriptTooLarge,
        TranscriptErrorKind::TooManyTurns,
        TranscriptErrorKind::TurnTooLong,
        TranscriptErrorKind::TooDeep,
        TranscriptErrorKind::MetaTooLarge,
    ];

    /// The kind named by [`TranscriptErrorKind::as_str`].
    pub fn from_name(name: &str) -> Option<TranscriptErrorKind> {
        TranscriptErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for TranscriptErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bad transcript or turn: the field and turn index at fault.
///
/// The engine makes these when it checks a transcript; bindings and other front ends make
/// their own for what they check before the core sees the data (a value that is not JSON, a
/// lone surrogate), so that every transcript problem has one type:
///
/// ```
/// use qa_core::{TranscriptError, TranscriptErrorKind};
///
/// let e = TranscriptError::new(TranscriptErrorKind::InvalidValue, "a lone surrogate")
///     .at_turn(2)
///     .with_field("text");
/// assert_eq!((e.kind(), e.turn(), e.field()), (TranscriptErrorKind::InvalidValue, Some(2), Some("text")));
/// assert_eq!(e.to_string(), "turn 2: a lone surrogate");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptError {
    kind: TranscriptErrorKind,
    message: String,
    turn: Option<usize>,
    field: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
}

impl TranscriptError {
    /// An error of `kind` with a message that says what is wrong (without the turn prefix,
    /// which `Display` adds).
    pub fn new(kind: TranscriptErrorKind, message: impl Into<String>) -> TranscriptError {
        TranscriptError {
            kind,
            message: message.into(),
            turn: None,
            field: None,
            line: None,
            column: None,
        }
    }

    /// Names the 0-based index of the turn at fault.
    pub fn at_turn(mut self, turn: usize) -> TranscriptError {
        self.turn = Some(turn);
        self
    }

    /// Names the field at fault (`turns`, `speaker`, `text`, `start`, `meta`, …).
    pub fn with_field(mut self, field: impl Into<String>) -> TranscriptError {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn with_position(mut self, line: usize, column: usize) -> TranscriptError {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> TranscriptErrorKind {
        self.kind
    }

    /// The 0-based index of the turn at fault, if the problem is in a turn.
    pub fn turn(&self) -> Option<usize> {
        self.turn
    }

    /// The field at fault (`turns`, `speaker`, `text`, `start`, `end`, …).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// Line and column of a JSON syntax error within the parsed text.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.line.zip(self.column)
    }

    /// The message without the turn prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.turn {
            Some(t) => write!(f, "turn {t}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TranscriptError {}
