//! Conversions between Python objects and the core's values: Python data → `serde_json::Value`
//! (checked, with the path of a bad item and a depth limit), reports → plain dicts, limits ↔ dict.

use std::fmt;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple,
};
use qa_core::{Limits, TranscriptError, TranscriptErrorKind};
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
    let mut keys = Keys::default();
    convert(obj, 0, &mut keys).map_err(|bad| {
        let mut bad = *bad;
        // the steps were added on the way out, innermost first
        bad.path.reverse();
        bad
    })
}

/// A bad value; its path is built innermost first as the error propagates (no path is kept
/// while converting good data).
type Bad = Box<BadValue>;

fn bad(kind: BadKind, message: String) -> Bad {
    Box::new(BadValue {
        kind,
        path: Vec::new(),
        message,
    })
}

/// Adds `step` to the path of an error coming out of the value at `step`.
fn at<T>(step: impl FnOnce() -> Step, result: Result<T, Bad>) -> Result<T, Bad> {
    result.map_err(|mut b| {
        b.path.push(step());
        b
    })
}

/// The dict keys already read in one conversion, by identity: the turns of a transcript share
/// their key objects (`json.loads` and literals do), so each is encoded once. Holding the
/// object keeps its identity valid.
#[derive(Default)]
struct Keys<'py> {
    seen: Vec<(Bound<'py, PyString>, String)>,
}

/// Most distinct key objects remembered in one conversion.
const KEYS_REMEMBERED: usize = 32;

impl<'py> Keys<'py> {
    fn key(&mut self, k: &Bound<'py, PyAny>) -> Result<String, Bad> {
        let Ok(s) = k.cast::<PyString>() else {
            return Err(bad(
                BadKind::WrongType,
                format!("dict keys must be strings, found a {}", type_name(k)),
            ));
        };
        if let Some((_, known)) = self.seen.iter().find(|(o, _)| o.is(s)) {
            return Ok(known.clone());
        }
        let text = string(s)?;
        if self.seen.len() < KEYS_REMEMBERED {
            self.seen.push((s.clone(), text.clone()));
        }
        Ok(text)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".to_string())
}

/// Converts `obj`, nested `depth` levels deep.
fn convert<'py>(obj: &Bound<'py, PyAny>, depth: usize, keys: &mut Keys<'py>) -> Result<Value, Bad> {
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
    if depth >= MAX_DEPTH {
        return Err(bad(
            BadKind::TooDeep,
            format!("nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        // a snapshot of the items (no Python code runs while it is taken): Python code run
        // below (`__float__`) cannot resize it
        let items: Vec<_> = d.iter().collect();
        return object(items.into_iter().map(Ok), depth, keys);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        // index access, not an iterator: a list mutated while we read it cannot fool us
        let mut items = Vec::with_capacity(l.len());
        let mut i = 0;
        while let Ok(item) = l.get_item(i) {
            items.push(at(|| Step::Index(i), convert(&item, depth + 1, keys))?);
            i += 1;
        }
        return Ok(Value::Array(items));
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let mut items = Vec::with_capacity(t.len());
        for (i, item) in t.iter().enumerate() {
            items.push(at(|| Step::Index(i), convert(&item, depth + 1, keys))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let items = m.items().map_err(|e| {
            bad(
                BadKind::WrongType,
                format!("cannot read the mapping's items: {e}"),
            )
        })?;
        let pairs = items.iter().map(|pair| {
            pair.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()
                .map_err(|_| {
                    bad(
                        BadKind::WrongType,
                        "a mapping item is not a pair".to_string(),
                    )
                })
        });
        return object(pairs, depth, keys);
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
    Err(bad(
        BadKind::WrongType,
        format!(
            "a {} is not JSON data (a dict, list, str, int, float, bool or None)",
            type_name(obj)
        ),
    ))
}

/// A JSON object from `(key, value)` pairs, read one after the other.
fn object<'py>(
    pairs: impl Iterator<Item = Result<(Bound<'py, PyAny>, Bound<'py, PyAny>), Bad>>,
    depth: usize,
    keys: &mut Keys<'py>,
) -> Result<Value, Bad> {
    let mut map = Map::new();
    for pair in pairs {
        let (k, v) = pair?;
        let key = keys.key(&k)?;
        match convert(&v, depth + 1, keys) {
            Ok(value) => {
                map.insert(key, value);
            }
            Err(mut b) => {
                b.path.push(Step::Key(key));
                return Err(b);
            }
        }
    }
    Ok(Value::Object(map))
}

fn string(s: &Bound<'_, PyString>) -> Result<String, Bad> {
    s.to_cow().map(|c| c.into_owned()).map_err(|_| {
        bad(
            BadKind::InvalidValue,
            "the string is not valid Unicode (a lone surrogate?)".to_string(),
        )
    })
}

fn integer(obj: &Bound<'_, PyAny>) -> Result<Value, Bad> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::Number(i.into()));
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(Value::Number(u.into()));
    }
    Err(bad(
        BadKind::InvalidValue,
        "the integer does not fit in 64 bits".to_string(),
    ))
}

fn float(x: f64) -> Result<Value, Bad> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| bad(BadKind::InvalidValue, format!("{x} is not a finite number")))
}

/// The JSON text of one transcript (`score_json`, `score_many` items), held by the Python object
/// that carries it: a `bytes` is not copied; a `str` is encoded to UTF-8 once (the limited API
/// of CPython 3.9 has no borrowed UTF-8 view of a str). The core reads the text with its serde
/// path and its limits ([`qa_core::Engine::score_json`]), without the GIL.
pub(crate) enum JsonText {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl JsonText {
    /// `obj` as JSON text: `None` when it is not a `str`, `bytes` or `bytearray`; an error for a
    /// `str` that is not valid Unicode (a lone surrogate), as Node's `scoreJson` gives.
    pub(crate) fn read(obj: &Bound<'_, PyAny>) -> Option<Result<JsonText, TranscriptError>> {
        if let Ok(s) = obj.cast::<PyString>() {
            let text = PyBackedStr::try_from(s.clone()).map_err(|e| not_unicode(obj.py(), &e));
            return Some(text.map(JsonText::Str));
        }
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Some(Ok(JsonText::Bytes(PyBackedBytes::from(b.clone()))));
        }
        if let Ok(b) = obj.cast::<PyByteArray>() {
            // a bytearray may change while we read it without the GIL: copied once
            return Some(Ok(JsonText::Bytes(PyBackedBytes::from(b.clone()))));
        }
        None
    }

    /// The text; bytes are checked to be UTF-8 here (no GIL needed). A byte order mark is not
    /// skipped: like the core and Node, it is a syntax error at line 1, column 1.
    pub(crate) fn text(&self) -> Result<&str, TranscriptError> {
        match self {
            JsonText::Str(s) => Ok(s),
            JsonText::Bytes(b) => std::str::from_utf8(b).map_err(|e| {
                TranscriptError::new(
                    TranscriptErrorKind::Syntax,
                    format!(
                        "invalid JSON: the text is not valid UTF-8 (at byte {})",
                        e.valid_up_to()
                    ),
                )
            }),
        }
    }
}

/// The error of a `str` that has no UTF-8 form: where its lone surrogate is (the
/// `UnicodeEncodeError`'s `start`, an index into the str).
fn not_unicode(py: Python<'_>, err: &PyErr) -> TranscriptError {
    let exc = err.value(py);
    let at = exc.getattr("start").and_then(|v| v.extract::<usize>()).ok();
    let code = at.and_then(|i| {
        let ch = exc.getattr("object").ok()?.get_item(i).ok()?;
        let ord = py.import("builtins").ok()?.getattr("ord").ok()?;
        ord.call1((ch,)).ok()?.extract::<u32>().ok()
    });
    let what = match (code, at) {
        (Some(c), Some(i)) => format!("lone surrogate {c:#06x} at character {i}"),
        _ => "a lone surrogate".to_string(),
    };
    TranscriptError::new(
        TranscriptErrorKind::Syntax,
        format!("invalid JSON: the text is not valid Unicode: {what}"),
    )
}

/// The names of the fields of [`Limits`], as serde writes them (one list, the core's).
fn limit_names() -> Vec<String> {
    match serde_json::to_value(Limits::default()) {
        Ok(Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

/// The limits named in `overrides` (a dict of limit name → int) over the defaults, read with
/// the core's serde path (an unknown name is refused there too).
pub(crate) fn limits(overrides: Option<&Bound<'_, PyAny>>) -> PyResult<Limits> {
    let Some(overrides) = overrides.filter(|o| !o.is_none()) else {
        return Ok(Limits::default());
    };
    let map = overrides
        .cast::<PyMapping>()
        .map_err(|_| PyValueError::new_err("`limits` must be a dict of limit name to int"))?;
    let names = limit_names();
    let mut fields = serde_json::Map::new();
    for pair in map.items()?.iter() {
        let (name, value): (String, Bound<'_, PyAny>) = pair.extract()?;
        if !names.contains(&name) {
            return Err(PyValueError::new_err(format!(
                "unknown limit `{name}`; the limits are: {}",
                names.join(", ")
            )));
        }
        let value = value.extract::<usize>().map_err(|_| {
            PyValueError::new_err(format!("limit `{name}` must be a non-negative integer"))
        })?;
        fields.insert(name, Value::from(value));
    }
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| PyValueError::new_err(format!("bad limits: {e}")))
}

/// The limits as a dict of limit name → int.
pub(crate) fn limits_dict<'py>(py: Python<'py>, limits: &Limits) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    if let Ok(Value::Object(m)) = serde_json::to_value(limits) {
        for (name, value) in m {
            dict.set_item(name, value.as_u64())?;
        }
    }
    Ok(dict)
}

/// A serializable core value (a report, findings) as plain Python dicts and lists.
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    ToPython::new(py).convert(value)
}

/// Builds the Python objects of core values straight from their `Serialize` impls: the one
/// path from a core value to Python.
///
/// It makes the same objects as `pythonize` (dicts in field order, lists, tuples, str, int,
/// float, bool, None, bytes; an enum variant with data as `{variant: data}`; checked equal on
/// every serde shape), but makes each field name a str once for all the dicts it builds, where
/// `pythonize` makes a new str per key of every dict. Kept over `pythonize` (MIT, PyO3 0.29)
/// for the difference measured on the same reports: the 50 dialogues of
/// testdata/corpus/stc3-sample.jsonl scored with testdata/rubrics/rich.yaml (242 findings),
/// release build, both in one process, best of 25 runs of 10 or 20 rounds, µs a report:
///
/// | 1-min load (2 shared cores) | batch (`score_many`) | one per call | `pythonize` | scoring |
/// |---|---|---|---|---|
/// | 15–28 (5 runs)    | 7.7–11.5  | 10.1–14.9 | 9.7–14.2  | 38–57 |
/// | 516–545 (3 runs)  | 11.0–12.3 | 19.7–23.1 | 17.2–24.8 | 58–88 |
///
/// In a batch this is 15–25 % faster than `pythonize` at low load (2–3.5 µs a report, 4–5 % of
/// `score_many` end to end) and up to twice as fast under load; one report per call
/// (`score`, `Session`) the two are even.
///
/// Reading goes the other way through [`to_value`], the one path from Python data to the
/// core: 3.6–5.9 µs a transcript at low load (4.8–6.2 at load 516–545) against 7.2–11.7
/// (9.6–16.3) for `pythonize::depythonize` into a `Value`, which besides has no depth limit
/// (deep data overflows the stack), no path in its errors, reads NaN as `null` and takes sets
/// and dataclasses.
pub(crate) struct ToPython<'py> {
    py: Python<'py>,
    /// Field and variant names, each made a str once.
    names: Vec<(&'static str, Bound<'py, PyString>)>,
    /// Index in `names` of the name looked up last.
    last: usize,
}

impl<'py> ToPython<'py> {
    pub(crate) fn new(py: Python<'py>) -> ToPython<'py> {
        ToPython {
            py,
            names: Vec::new(),
            last: 0,
        }
    }

    /// `value` as Python objects.
    pub(crate) fn convert<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> PyResult<Bound<'py, PyAny>> {
        value.serialize(&mut *self).map_err(|e| e.0)
    }

    fn name(&mut self, name: &'static str) -> Bound<'py, PyString> {
        // a struct's fields come in the same order every time: look after the last one first
        let n = self.names.len();
        for i in (self.last + 1..n).chain(0..(self.last + 1).min(n)) {
            let (known, s) = &self.names[i];
            // the same name is the same static text (its pointer), almost always
            if std::ptr::eq(*known, name) || *known == name {
                self.last = i;
                return s.clone();
            }
        }
        let s = PyString::new(self.py, name);
        self.names.push((name, s.clone()));
        self.last = n;
        s
    }

    /// `{variant: value}`, the shape of an enum variant with data.
    fn variant(&mut self, variant: &'static str, value: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.name(variant), value)?;
        Ok(dict.into_any())
    }
}

/// A Python error met while building the objects, or the error of a `Serialize` impl.
#[derive(Debug)]
pub(crate) struct ToPythonError(PyErr);

impl fmt::Display for ToPythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ToPythonError {}

impl serde::ser::Error for ToPythonError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ToPythonError(PyRuntimeError::new_err(message.to_string()))
    }
}

impl From<PyErr> for ToPythonError {
    fn from(e: PyErr) -> Self {
        ToPythonError(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, ToPythonError>;

/// A list or a tuple being built; with `variant`, the data of an enum variant.
pub(crate) struct SeqOut<'a, 'py> {
    to: &'a mut ToPython<'py>,
    items: Vec<Bound<'py, PyAny>>,
    tuple: bool,
    variant: Option<&'static str>,
}

impl<'py> SeqOut<'_, 'py> {
    fn push<T: ?Sized + serde::Serialize>(&mut self, value: &T) -> Result<(), ToPythonError> {
        self.items.push(value.serialize(&mut *self.to)?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let py = self.to.py;
        let seq = if self.tuple {
            PyTuple::new(py, self.items)?.into_any()
        } else {
            PyList::new(py, self.items)?.into_any()
        };
        match self.variant {
            Some(variant) => self.to.variant(variant, seq),
            None => Ok(seq),
        }
    }
}

/// A dict being built (a map or a struct); with `variant`, the data of an enum variant.
pub(crate) struct DictOut<'a, 'py> {
    to: &'a mut ToPython<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> DictOut<'_, 'py> {
    fn field<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ToPythonError> {
        let key = self.to.name(key);
        let value = value.serialize(&mut *self.to)?;
        self.dict.set_item(key, value)?;
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        match self.variant {
            Some(variant) => self.to.variant(variant, self.dict.into_any()),
            None => Ok(self.dict.into_any()),
        }
    }
}

impl<'a, 'py> serde::Serializer for &'a mut ToPython<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;
    type SerializeSeq = SeqOut<'a, 'py>;
    type SerializeTuple = SeqOut<'a, 'py>;
    type SerializeTupleStruct = SeqOut<'a, 'py>;
    type SerializeTupleVariant = SeqOut<'a, 'py>;
    type SerializeMap = DictOut<'a, 'py>;
    type SerializeStruct = DictOut<'a, 'py>;
    type SerializeStructVariant = DictOut<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(PyBytes::new(self.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: ?Sized + serde::Serialize>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out<'py> {
        Ok(self.name(variant).into_any())
    }
    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let value = value.serialize(&mut *self)?;
        self.variant(variant, value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqOut<'a, 'py>, ToPythonError> {
        Ok(SeqOut {
            to: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
            tuple: false,
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqOut<'a, 'py>, ToPythonError> {
        Ok(SeqOut {
            to: self,
            items: Vec::with_capacity(len),
            tuple: true,
            variant: None,
        })
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<SeqOut<'a, 'py>, ToPythonError> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqOut<'a, 'py>, ToPythonError> {
        let mut seq = self.serialize_tuple(len)?;
        seq.variant = Some(variant);
        Ok(seq)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<DictOut<'a, 'py>, ToPythonError> {
        let dict = PyDict::new(self.py);
        Ok(DictOut {
            to: self,
            dict,
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<DictOut<'a, 'py>, ToPythonError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<DictOut<'a, 'py>, ToPythonError> {
        let mut dict = self.serialize_map(None)?;
        dict.variant = Some(variant);
        Ok(dict)
    }
}

impl<'py> serde::ser::SerializeSeq for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_element<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTuple for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_element<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTupleStruct for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTupleVariant for SeqOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeMap for DictOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_key<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &T,
    ) -> Result<(), ToPythonError> {
        self.key = Some(key.serialize(&mut *self.to)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), ToPythonError> {
        let key = self.key.take().ok_or_else(|| {
            <ToPythonError as serde::ser::Error>::custom("a map value without its key")
        })?;
        let value = value.serialize(&mut *self.to)?;
        self.dict.set_item(key, value)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeStruct for DictOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.field(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeStructVariant for DictOut<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ToPythonError;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ToPythonError> {
        self.field(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}
