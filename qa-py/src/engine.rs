//! `Engine` and `Session`, the Python classes: each wraps its core type and only converts.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::PyTypeError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyTuple};
use qa_core::{Format, Limits, Report, Rubric, SessionMeta, Transcript, TranscriptError, Turn};
use rayon::prelude::*;

use crate::convert::{self, JsonText};
use crate::errors::{self, RubricSource};
use crate::pool;

/// Runs `f`, turning a panic in the core into a `RuntimeError` instead of a crash.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(errors::panicked)
}

/// A compiled rubric; immutable, so one engine serves every thread.
#[pyclass(frozen, module = "qa_engine._native", name = "Engine")]
#[derive(Debug)]
pub(crate) struct PyEngine {
    engine: qa_core::Engine,
}

impl PyEngine {
    /// Reads a rubric with `read` and compiles it, without the GIL; a panic becomes an error.
    fn compile(
        py: Python<'_>,
        limits: Limits,
        redact: bool,
        source: RubricSource,
        read: impl FnOnce(&Limits) -> Result<Rubric, qa_core::RubricError> + Send,
    ) -> PyResult<PyEngine> {
        let built = py.detach(|| {
            guarded(|| {
                let rubric = read(&limits)?;
                qa_core::Engine::builder()
                    .limits(limits)
                    .redact(redact)
                    .build(rubric)
            })
        })?;
        built
            .map(|engine| PyEngine { engine })
            .map_err(|e| errors::rubric_error(py, &e, source))
    }

    fn from_json_text(
        py: Python<'_>,
        json: &str,
        limits: Limits,
        redact: bool,
    ) -> PyResult<PyEngine> {
        PyEngine::compile(py, limits, redact, RubricSource::Object, |limits| {
            Rubric::parse(json, Format::Json, None, limits)
        })
    }
}

/// A Python transcript dict as a checked core transcript.
fn transcript(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    index: Option<usize>,
) -> PyResult<Transcript> {
    let value =
        convert::to_value(obj).map_err(|bad| errors::bad_transcript(py, &bad, None, index))?;
    Transcript::from_value(value).map_err(|e| errors::transcript_error(py, &e, index))
}

/// One transcript of a `score_many` batch, as read with the GIL.
enum Item {
    /// A dict, converted and checked.
    Checked(Transcript),
    /// JSON text, read by the core (with the engine's limits) when it is scored, without the GIL.
    Json(JsonText),
}

impl Item {
    /// The `index`th item of a batch: a dict (any `Mapping`), or JSON text (`str`, `bytes`).
    fn read(py: Python<'_>, obj: &Bound<'_, PyAny>, index: usize) -> PyResult<Item> {
        if let Some(text) = JsonText::read(obj) {
            return text
                .map(Item::Json)
                .map_err(|e| errors::transcript_error(py, &e, Some(index)));
        }
        if obj.cast::<PyMapping>().is_err() {
            return Err(errors::not_a_transcript(py, obj, index));
        }
        transcript(py, obj, Some(index)).map(Item::Checked)
    }

    /// Scores the item; runs without the GIL.
    fn score(&self, engine: &qa_core::Engine) -> Result<Report, TranscriptError> {
        match self {
            Item::Checked(t) => engine.try_score(t),
            Item::Json(text) => engine.score_json(text.text()?),
        }
    }
}

#[pymethods]
impl PyEngine {
    /// Reads and compiles a rubric file (`.yaml`, `.yml`, `.json` or `.toml`). `redact=False`:
    /// the rubric's `redact` does not mask findings' text (for auditors).
    #[staticmethod]
    #[pyo3(signature = (path, *, limits = None, redact = true))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        limits: Option<&Bound<'_, PyAny>>,
        redact: bool,
    ) -> PyResult<PyEngine> {
        let limits = convert::limits(limits)?;
        PyEngine::compile(py, limits, redact, RubricSource::Text, |limits| {
            Rubric::from_path_with_limits(&path, limits)
        })
    }

    /// Compiles a rubric from its text in `format` (`yaml`, `json` or `toml`).
    #[staticmethod]
    #[pyo3(name = "from_str", signature = (text, format = "yaml", *, limits = None, redact = true))]
    fn from_text(
        py: Python<'_>,
        text: &str,
        format: &str,
        limits: Option<&Bound<'_, PyAny>>,
        redact: bool,
    ) -> PyResult<PyEngine> {
        let fmt = Format::from_name(format).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown rubric format {format:?}: use \"yaml\", \"json\" or \"toml\""
            ))
        })?;
        let limits = convert::limits(limits)?;
        PyEngine::compile(py, limits, redact, RubricSource::Text, |limits| {
            Rubric::parse(text, fmt, None, limits)
        })
    }

    /// Compiles a rubric given as a dict (the structure of the YAML or JSON file).
    #[staticmethod]
    #[pyo3(signature = (rubric, *, limits = None, redact = true))]
    fn from_dict(
        py: Python<'_>,
        rubric: &Bound<'_, PyAny>,
        limits: Option<&Bound<'_, PyAny>>,
        redact: bool,
    ) -> PyResult<PyEngine> {
        let limits = convert::limits(limits)?;
        let value = convert::to_value(rubric).map_err(|bad| errors::bad_rubric_object(py, &bad))?;
        PyEngine::from_json_text(py, &value.to_string(), limits, redact)
    }

    /// Whether findings' text is masked: the rubric has `redact` and it was not turned off.
    #[getter]
    fn redacts(&self) -> bool {
        self.engine.redacts()
    }

    /// `text` with the rubric's `redact` applied, one character for one (offsets into the
    /// original stay valid); unchanged when redaction is off or the rubric has none.
    fn redact_text(&self, text: &str) -> String {
        self.engine.redact_text(text).into_owned()
    }

    /// Scores one transcript dict; returns the report as a dict.
    fn score<'py>(
        &self,
        py: Python<'py>,
        transcript: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = self::transcript(py, transcript, None)?;
        let report = py.detach(|| guarded(|| self.engine.try_score(&t)))?;
        let report = report.map_err(|e| errors::transcript_error(py, &e, None))?;
        convert::to_python(py, &report)
    }

    /// Scores the JSON text of one transcript (`str`, or UTF-8 `bytes`); returns the report as a
    /// dict. The text is read by the core with the engine's limits, without the GIL.
    fn score_json<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = match JsonText::read(text) {
            Some(text) => text.map_err(|e| errors::transcript_error(py, &e, None))?,
            None => {
                let found = text.get_type().name()?;
                return Err(PyTypeError::new_err(format!(
                    "score_json takes JSON text, a str or bytes, found a {found}"
                )));
            }
        };
        let engine = &self.engine;
        let report = py.detach(|| guarded(|| engine.score_json(text.text()?)))?;
        let report = report.map_err(|e| errors::transcript_error(py, &e, None))?;
        convert::to_python(py, &report)
    }

    /// Scores many transcripts in parallel without the GIL; the reports keep the input order.
    #[pyo3(signature = (transcripts, jobs = None, *, errors = "raise"))]
    fn score_many<'py>(
        &self,
        py: Python<'py>,
        transcripts: &Bound<'py, PyAny>,
        jobs: Option<usize>,
        errors: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let keep_errors = match errors {
            "raise" => false,
            "return" => true,
            other => {
                return Err(PyValueError::new_err(format!(
                    "errors must be \"raise\" or \"return\", not {other:?}"
                )))
            }
        };
        let threads = match jobs {
            None | Some(1..=pool::MAX_JOBS) => pool::threads(jobs),
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "jobs must be between 1 and {}, not {n}",
                    pool::MAX_JOBS
                )))
            }
        };
        // one thread scores on this one; more run on a pool of this process (see `pool`)
        let pool =
            match threads {
                1 => None,
                n => Some(pool::with_threads(n).map_err(|e| {
                    PyRuntimeError::new_err(format!("cannot start {n} threads: {e}"))
                })?),
            };
        // Read every transcript with the GIL (JSON text is only taken, to be read by the core
        // without it); a bad one is an error in its place.
        let mut slots: Vec<Result<usize, PyErr>> = Vec::new();
        let mut good: Vec<Item> = Vec::new();
        // errors="raise": the first item that cannot be read; the ones before it are still
        // scored, since one of them may be the first bad transcript (JSON text is only
        // checked when it is scored)
        let mut unreadable: Option<PyErr> = None;
        for (i, item) in transcripts.try_iter()?.enumerate() {
            match Item::read(py, &item?, i) {
                Ok(t) => {
                    slots.push(Ok(good.len()));
                    good.push(t);
                }
                Err(e) if keep_errors => slots.push(Err(e)),
                Err(e) => {
                    unreadable = Some(e);
                    break;
                }
            }
        }
        let engine = &self.engine;
        let results = py.detach(|| {
            guarded(|| match &pool {
                Some(pool) => pool.install(|| {
                    good.par_iter()
                        .map(|item| item.score(engine))
                        .collect::<Vec<_>>()
                }),
                None => good.iter().map(|item| item.score(engine)).collect(),
            })
        })?;
        if let Some(unreadable) = unreadable {
            // every item before it was read (no slot holds an error): raise the first error
            return Err(
                match results
                    .iter()
                    .enumerate()
                    .find_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
                {
                    Some((i, e)) => errors::transcript_error(py, e, Some(i)),
                    None => unreadable,
                },
            );
        }
        let out = PyList::empty(py);
        // one converter for the batch: the field names are made str objects once
        let mut to_python = convert::ToPython::new(py);
        for (i, slot) in slots.into_iter().enumerate() {
            let item = match slot {
                Ok(k) => match &results[k] {
                    Ok(report) => to_python.convert(report)?,
                    Err(e) => {
                        let err = errors::transcript_error(py, e, Some(i));
                        if !keep_errors {
                            return Err(err);
                        }
                        err.into_value(py).into_bound(py).into_any()
                    }
                },
                Err(err) => err.into_value(py).into_bound(py).into_any(),
            };
            out.append(item)?;
        }
        Ok(out)
    }

    /// Scores a column of Arrow data (JSON text or structs, one transcript per row) in
    /// parallel without the GIL; returns a `pyarrow.Table` of report rows, one per input row, in
    /// order. A row that cannot be read has its message in `error`.
    #[pyo3(signature = (data, column = "transcript", *, jobs = None))]
    fn score_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        column: &str,
        jobs: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::arrow::score_arrow(py, &self.engine, data, column, jobs)
    }

    /// Starts a live session for one conversation.
    #[pyo3(signature = (*, id = None, agent = None, channel = None, meta = None))]
    fn session(
        &self,
        py: Python<'_>,
        id: Option<&Bound<'_, PyAny>>,
        agent: Option<&Bound<'_, PyAny>>,
        channel: Option<&Bound<'_, PyAny>>,
        meta: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySession> {
        // the same checks as a transcript's fields
        let fields = PyDict::new(py);
        fields.set_item("turns", PyList::empty(py))?;
        for (name, value) in [
            ("id", id),
            ("agent", agent),
            ("channel", channel),
            ("meta", meta),
        ] {
            if let Some(value) = value {
                fields.set_item(name, value)?;
            }
        }
        let meta = SessionMeta::of(&transcript(py, fields.as_any(), None)?);
        Ok(PySession {
            state: Mutex::new(Some(self.engine.session(meta))),
        })
    }

    /// The rubric's name.
    #[getter]
    fn name(&self) -> &str {
        self.engine.rubric().name()
    }

    /// The rubric's version.
    #[getter]
    fn version(&self) -> Option<&str> {
        self.engine.rubric().version()
    }

    /// The limits this engine applies, by name.
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::limits_dict(py, self.engine.limits())
    }

    /// The checked rubric as a dict that `Engine.from_dict` reads back into an equal engine.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = self.engine.rubric().to_json();
        py.import("json")?.call_method1("loads", (json,))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let rebuild = py.import("qa_engine._native")?.getattr("_rebuild_engine")?;
        let state = (
            self.engine.rubric().to_json(),
            convert::limits_dict(py, self.engine.limits())?,
            self.engine.redacts() || self.engine.rubric().redact().is_none(),
        );
        PyTuple::new(py, [rebuild, state.into_pyobject(py)?.into_any()])
    }

    fn __repr__(&self) -> String {
        let rubric = self.engine.rubric();
        format!(
            "<Engine rubric={:?} rules={}>",
            rubric.name(),
            rubric.rules().len()
        )
    }
}

/// Rebuilds a pickled engine from its rubric JSON, limits and whether it redacts.
#[pyfunction]
#[pyo3(signature = (rubric_json, limits, redact = true))]
pub(crate) fn _rebuild_engine(
    py: Python<'_>,
    rubric_json: &str,
    limits: &Bound<'_, PyAny>,
    redact: bool,
) -> PyResult<PyEngine> {
    let limits = convert::limits(Some(limits))?;
    PyEngine::from_json_text(py, rubric_json, limits, redact)
}

/// One conversation scored turn by turn. Safe to share, though turns must arrive in order.
#[pyclass(frozen, module = "qa_engine._native", name = "Session")]
#[derive(Debug)]
pub(crate) struct PySession {
    /// `None` once finished.
    state: Mutex<Option<qa_core::Session>>,
}

impl PySession {
    fn lock(&self) -> MutexGuard<'_, Option<qa_core::Session>> {
        // a panic while pushing takes the session out (see `push`): the guard is never torn
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a turn was not pushed.
enum PushFailed {
    Finished,
    Invalid(qa_core::TranscriptError),
    Panicked(Box<dyn std::any::Any + Send>),
}

fn finished() -> PyErr {
    PyRuntimeError::new_err("the session is finished")
}

#[pymethods]
impl PySession {
    /// Adds the next turn; returns the findings that became certain with it.
    fn push<'py>(&self, py: Python<'py>, turn: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let value = convert::to_value(turn).map_err(|bad| {
            let index = py.detach(|| self.lock().as_ref().map(|s| s.turn_count()));
            errors::bad_transcript(py, &bad, Some(index.unwrap_or(0)), None)
        })?;
        // the lock is only taken without the GIL, so two threads cannot deadlock on it
        let pushed = py.detach(|| {
            let mut state = self.lock();
            let session = state.as_mut().ok_or(PushFailed::Finished)?;
            let turn =
                Turn::from_value(&value, session.turn_count()).map_err(PushFailed::Invalid)?;
            match catch_unwind(AssertUnwindSafe(|| session.try_push(turn))) {
                Ok(pushed) => pushed.map_err(PushFailed::Invalid),
                Err(panic) => {
                    // its state may be torn: no further use
                    *state = None;
                    Err(PushFailed::Panicked(panic))
                }
            }
        });
        match pushed {
            Ok(findings) => convert::to_python(py, &findings),
            Err(PushFailed::Invalid(e)) => Err(errors::transcript_error(py, &e, None)),
            Err(PushFailed::Finished) => Err(finished()),
            Err(PushFailed::Panicked(panic)) => Err(errors::panicked(panic)),
        }
    }

    /// Ends the conversation; returns the full report, equal to `Engine.score` on its turns.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = py.detach(|| {
            let session = self.lock().take();
            session.map(|s| guarded(|| s.finish()))
        });
        match report {
            Some(report) => convert::to_python(py, &report?),
            None => Err(finished()),
        }
    }

    /// Number of turns pushed so far.
    #[getter]
    fn turn_count(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| self.lock().as_ref().map(|s| s.turn_count()))
            .ok_or_else(finished)
    }

    /// Whether `finish()` was called.
    #[getter]
    fn finished(&self, py: Python<'_>) -> bool {
        py.detach(|| self.lock().is_none())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match py.detach(|| self.lock().as_ref().map(|s| s.turn_count())) {
            Some(n) => format!("<Session turns={n}>"),
            None => "<Session finished>".to_string(),
        }
    }
}
