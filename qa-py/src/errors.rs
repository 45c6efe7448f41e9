//! The one place where errors become Python exceptions.
//!
//! A core [`RubricError`] becomes `qa_engine.RubricError`, a core [`TranscriptError`] or a
//! transcript that is not JSON data becomes `qa_engine.TranscriptError`, each with its fields
//! (`line` and `column` for JSON text that does not parse).
//! A panic in the core (a bug) becomes a `RuntimeError`, never a crash. The exception classes
//! are plain Python (`qa_engine/_errors.py`) so that users can construct, catch and pickle them.

use std::any::Any;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use qa_core::{RubricError, RubricErrorKind, TranscriptError, TranscriptErrorKind};

use crate::convert::{BadKind, BadValue, Step};

static RUBRIC_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TRANSCRIPT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

const ERRORS_MODULE: &str = "qa_engine._errors";

/// Where a rubric came from, which decides whether its positions mean anything to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RubricSource {
    /// Text or a file: lines and columns point into it.
    Text,
    /// A Python dict, serialized by us: positions would point into our JSON, so none are given.
    Object,
}

/// `qa_engine.RubricError` for every diagnostic of a core rubric error.
pub(crate) fn rubric_error(py: Python<'_>, err: &RubricError, source: RubricSource) -> PyErr {
    build_rubric_error(py, err, source).unwrap_or_else(|e| e)
}

fn build_rubric_error(
    py: Python<'_>,
    err: &RubricError,
    source: RubricSource,
) -> Result<PyErr, PyErr> {
    let positions = source == RubricSource::Text;
    let errors = PyList::empty(py);
    for d in err.diagnostics() {
        let item = PyDict::new(py);
        item.set_item("kind", d.kind.as_str())?;
        item.set_item("message", &d.message)?;
        item.set_item("line", d.line.filter(|_| positions))?;
        item.set_item("column", d.column.filter(|_| positions))?;
        item.set_item("rule", &d.rule)?;
        item.set_item("help", &d.help)?;
        errors.append(item)?;
    }
    let message = if positions {
        err.to_string()
    } else {
        let file = err.file().unwrap_or("<rubric>");
        err.diagnostics()
            .iter()
            .map(|d| format!("{file}: {}", d.describe()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let class = RUBRIC_ERROR.import(py, ERRORS_MODULE, "RubricError")?;
    let exc = class.call1((message, errors, err.file()))?;
    Ok(PyErr::from_value(exc))
}

/// `qa_engine.RubricError` for a rubric dict that is not JSON data.
pub(crate) fn bad_rubric_object(py: Python<'_>, bad: &BadValue) -> PyErr {
    let kind = match bad.kind {
        BadKind::WrongType => RubricErrorKind::WrongType,
        BadKind::InvalidValue => RubricErrorKind::InvalidValue,
        BadKind::TooDeep => RubricErrorKind::TooDeep,
    };
    let build = || -> Result<PyErr, PyErr> {
        let item = PyDict::new(py);
        item.set_item("kind", kind.as_str())?;
        item.set_item("message", bad.to_string())?;
        item.set_item("line", py.None())?;
        item.set_item("column", py.None())?;
        item.set_item("rule", py.None())?;
        item.set_item("help", py.None())?;
        let class = RUBRIC_ERROR.import(py, ERRORS_MODULE, "RubricError")?;
        let message = format!("<rubric>: {bad}");
        let exc = class.call1((message, PyList::new(py, [item])?, py.None()))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// `qa_engine.TranscriptError` for a core transcript error; `index` is the transcript's
/// position in a batch.
pub(crate) fn transcript_error(
    py: Python<'_>,
    err: &TranscriptError,
    index: Option<usize>,
) -> PyErr {
    new_transcript_error(
        py,
        err.to_string(),
        err.kind().as_str(),
        err.turn(),
        err.field(),
        index,
        err.position(),
    )
}

/// `qa_engine.TranscriptError` for an item of a `score_many` batch that is neither a dict (any
/// `Mapping`) nor JSON text.
pub(crate) fn not_a_transcript(py: Python<'_>, item: &Bound<'_, PyAny>, index: usize) -> PyErr {
    let type_name = item
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".to_string());
    let message = format!(
        "item {index}: a transcript is a dict or its JSON text (str or bytes), found {type_name}"
    );
    let kind = TranscriptErrorKind::WrongType.as_str();
    new_transcript_error(py, message, kind, None, None, Some(index), None)
}

/// `qa_engine.TranscriptError` for a transcript that is not JSON data. `turn` is the index of
/// the turn the value was (for a turn pushed to a session, whose path starts inside it).
pub(crate) fn bad_transcript(
    py: Python<'_>,
    bad: &BadValue,
    turn: Option<usize>,
    index: Option<usize>,
) -> PyErr {
    // the core's names, so that a kind is the same string in Rust, Python, Node and the CLI
    let kind = match bad.kind {
        BadKind::WrongType => TranscriptErrorKind::WrongType,
        BadKind::InvalidValue => TranscriptErrorKind::InvalidValue,
        BadKind::TooDeep => TranscriptErrorKind::TooDeep,
    };
    // `turns[2].start.x` → turn 2, field `start`; `meta.a` → field `meta`
    let (turn, field, skip) = match (turn, bad.path.as_slice()) {
        (Some(t), [Step::Key(f), ..]) => (Some(t), Some(f.as_str()), 0),
        (Some(t), _) => (Some(t), None, 0),
        (None, [Step::Key(turns), Step::Index(i), rest @ ..]) if turns == "turns" => {
            let field = match rest {
                [Step::Key(f), ..] => Some(f.as_str()),
                _ => None,
            };
            (Some(*i), field, 2)
        }
        (None, [Step::Key(f), ..]) => (None, Some(f.as_str()), 0),
        (None, _) => (None, None, 0),
    };
    let message = match turn {
        Some(t) => format!("turn {t}: {}", bad.describe(skip)),
        None => bad.to_string(),
    };
    new_transcript_error(py, message, kind.as_str(), turn, field, index, None)
}

fn new_transcript_error(
    py: Python<'_>,
    message: String,
    kind: &str,
    turn: Option<usize>,
    field: Option<&str>,
    index: Option<usize>,
    position: Option<(usize, usize)>,
) -> PyErr {
    let (line, column) = position.unzip();
    let build = || -> Result<PyErr, PyErr> {
        let class = TRANSCRIPT_ERROR.import(py, ERRORS_MODULE, "TranscriptError")?;
        let exc = class.call1((message, kind, turn, field, index, line, column))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A `RuntimeError` for a panic caught in the core: a bug, reported instead of crashing.
pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    PyRuntimeError::new_err(format!(
        "internal error in qa-core (please report it as a bug): {what}"
    ))
}
