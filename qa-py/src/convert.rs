//! Conversions between Python objects and the core's values: Python data → `serde_json::Value`
//! (checked, with the path of a bad item and a depth limit), reports → plain dicts, limits ↔ dict.

use std::fmt;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use qa_core::Limits;
use serde_json::{Map, Number, Value};

/// Deepest nesting of dicts and lists accepted from Python (serde_json's own parsing limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// One step of the path to a value: a dict key or a list index.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// What is wrong with a Python value that is not JSON data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadKind {
    /// A type JSON has no counterpart for (a set, a datetime, bytes, …) or a non-string key.
    WrongType,
    /// A value JSON cannot hold (NaN, an integer over 64 bits, a lone surrogate).
    InvalidValue,
    /// Nested deeper than [`MAX_DEPTH`] (or a list that contains itself).
    TooDeep,
}

/// A Python value that is not JSON data, with where it is.
#[derive(Debug, Clone)]
pub(crate) struct BadValue {
    pub kind: BadKind,
    /// Path from the converted object to the bad value.
    pub path: Vec<Step>,
    pub message: String,
}

impl BadValue {
    /// The path as `turns[2].start` (empty for the object itself), without its first `skip`
    /// steps.
    pub fn path_string(&self, skip: usize) -> String {
        let mut out = String::new();
        for step in self.path.iter().skip(skip) {
            match step {
                Step::Key(k) if out.is_empty() => out.push_str(k),
                Step::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// The message, after the path from the `skip`th step on.
    pub fn describe(&self, skip: usize) -> String {
        match self.path_string(skip).as_str() {
            "" => self.message.clone(),
            path => format!("`{path}`: {}", self.message),
        }
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(0))
    }
}

/// Converts Python data (dict, list, tuple, str, int, float, bool, None, any `Mapping`, and
/// numbers that implement `__index__` or `__float__`, such as NumPy's) to a JSON value.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, BadValue> {
    let mut path = Vec::new();
    convert(obj, &mut path).map_err(|(kind, message)| BadValue {
        kind,
        path,
        message,
    })
}

type Bad = (BadKind, String);

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".to_string())
}

/// Converts `obj`; on error, `path` is left pointing at the bad value.
fn convert(obj: &Bound<'_, PyAny>, path: &mut Vec<Step>) -> Result<Value, Bad> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return string(s).map(Value::String);
    }
    if obj.is_instance_of::<PyInt>() {
        return integer(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return float(f.value());
    }
    if path.len() >= MAX_DEPTH {
        return Err((
            BadKind::TooDeep,
            format!("nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        // a snapshot of the items: Python code run below (`__float__`) cannot resize it
        return object(&d.items(), path);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        // index access, not an iterator: a list mutated while we read it cannot fool us
        let mut items = Vec::with_capacity(l.len());
        let mut i = 0;
        while let Ok(item) = l.get_item(i) {
            path.push(Step::Index(i));
            items.push(convert(&item, path)?);
            path.pop();
            i += 1;
        }
        return Ok(Value::Array(items));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let mut items = Vec::with_capacity(t.len());
        for (i, item) in t.iter().enumerate() {
            path.push(Step::Index(i));
            items.push(convert(&item, path)?);
            path.pop();
        }
        return Ok(Value::Array(items));
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let items = m.items().map_err(|e| {
            (
                BadKind::WrongType,
                format!("cannot read the mapping's items: {e}"),
            )
        })?;
        return object(&items, path);
    }
    // NumPy and other numeric scalars
    if obj.hasattr("__index__").unwrap_or(false) {
        return integer(obj);
    }
    if obj.hasattr("__float__").unwrap_or(false) {
        if let Ok(x) = obj.extract::<f64>() {
            return float(x);
        }
    }
    Err((
        BadKind::WrongType,
        format!(
            "a {} is not JSON data (a dict, list, str, int, float, bool or None)",
            type_name(obj)
        ),
    ))
}

/// A JSON object from a list of `(key, value)` pairs.
fn object(items: &Bound<'_, PyList>, path: &mut Vec<Step>) -> Result<Value, Bad> {
    let mut map = Map::new();
    for pair in items.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract().map_err(|_| {
            (
                BadKind::WrongType,
                "a mapping item is not a pair".to_string(),
            )
        })?;
        let key = key(&k)?;
        path.push(Step::Key(key.clone()));
        let value = convert(&v, path)?;
        path.pop();
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

fn string(s: &Bound<'_, PyString>) -> Result<String, Bad> {
    s.to_cow().map(|c| c.into_owned()).map_err(|_| {
        (
            BadKind::InvalidValue,
            "the string is not valid Unicode (a lone surrogate?)".to_string(),
        )
    })
}

fn key(k: &Bound<'_, PyAny>) -> Result<String, Bad> {
    match k.cast::<PyString>() {
        Ok(s) => string(s),
        Err(_) => Err((
            BadKind::WrongType,
            format!("dict keys must be strings, found a {}", type_name(k)),
        )),
    }
}

fn integer(obj: &Bound<'_, PyAny>) -> Result<Value, Bad> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::Number(i.into()));
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(Value::Number(u.into()));
    }
    Err((
        BadKind::InvalidValue,
        "the integer does not fit in 64 bits".to_string(),
    ))
}

fn float(x: f64) -> Result<Value, Bad> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| (BadKind::InvalidValue, format!("{x} is not a finite number")))
}

/// The limits named in `overrides` (a dict of limit name → int) over the defaults.
pub(crate) fn limits(overrides: Option<&Bound<'_, PyAny>>) -> PyResult<Limits> {
    let mut limits = Limits::default();
    let Some(overrides) = overrides.filter(|o| !o.is_none()) else {
        return Ok(limits);
    };
    let map = overrides
        .cast::<PyMapping>()
        .map_err(|_| PyValueError::new_err("`limits` must be a dict of limit name to int"))?;
    for pair in map.items()?.iter() {
        let (name, value): (String, Bound<'_, PyAny>) = pair.extract()?;
        let slot = limit_slot(&mut limits, &name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown limit `{name}`; the limits are: {}",
                LIMIT_NAMES.join(", ")
            ))
        })?;
        *slot = value.extract::<usize>().map_err(|_| {
            PyValueError::new_err(format!("limit `{name}` must be a non-negative integer"))
        })?;
    }
    Ok(limits)
}

/// Every field of [`Limits`], by name.
pub(crate) const LIMIT_NAMES: [&str; 9] = [
    "max_rubric_bytes",
    "max_rules",
    "max_phrases",
    "max_phrase_chars",
    "max_regex_bytes",
    "max_nesting",
    "max_transcript_bytes",
    "max_turns",
    "max_turn_bytes",
];

fn limit_slot<'l>(limits: &'l mut Limits, name: &str) -> Option<&'l mut usize> {
    Some(match name {
        "max_rubric_bytes" => &mut limits.max_rubric_bytes,
        "max_rules" => &mut limits.max_rules,
        "max_phrases" => &mut limits.max_phrases,
        "max_phrase_chars" => &mut limits.max_phrase_chars,
        "max_regex_bytes" => &mut limits.max_regex_bytes,
        "max_nesting" => &mut limits.max_nesting,
        "max_transcript_bytes" => &mut limits.max_transcript_bytes,
        "max_turns" => &mut limits.max_turns,
        "max_turn_bytes" => &mut limits.max_turn_bytes,
        _ => return None,
    })
}

/// The limits as a dict of limit name → int.
pub(crate) fn limits_dict<'py>(py: Python<'py>, limits: &Limits) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let mut copy = limits.clone();
    for name in LIMIT_NAMES {
        let value = *limit_slot(&mut copy, name).expect("every listed limit has a slot");
        dict.set_item(name, value)?;
    }
    Ok(dict)
}

/// A serializable core value (a report, findings) as plain Python dicts and lists.
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(PyErr::from)
}
