//! JavaScript values → JSON values ([`serde_json::Value`]), the form in which the core checks
//! transcripts, turns and session meta.
//!
//! The walk is strict where JavaScript is lenient, so that hostile input becomes a typed error
//! that names its place (a path such as `turns[3].text`) instead of a crash or a silent change:
//! strings must be valid UTF-16 (no lone surrogates), numbers finite, nesting at most
//! [`MAX_DEPTH`] levels (which also stops cyclic objects) and the value at most [`MAX_NODES`]
//! values in all (which stops shared sub-objects from multiplying the work). Like
//! `JSON.stringify`, `undefined` properties are left out and only own enumerable string keys
//! are read; functions, symbols and bigints are refused.
//!
//! The other direction, [`report_to_js`] and [`to_js`], serializes reports and findings to JSON
//! text in Rust and has `JSON.parse` build the objects, so their keys keep the order of the
//! spec (the CLI's JSON).

use napi::bindgen_prelude::{Function, Object};
use napi::bindgen_prelude::{JsObjectValue, JsValue, KeyCollectionMode, KeyConversion, KeyFilter};
use napi::{Env, JsString, Unknown, ValueType};
use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects accepted (`serde_json`'s own recursion limit, so the
/// binding accepts what the CLI's JSON reader accepts).
pub const MAX_DEPTH: usize = 128;

/// Most JSON values (strings, numbers, arrays, objects …) one argument may hold.
pub const MAX_NODES: usize = 10_000_000;

/// One step of the path to a bad value.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSeg {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Why a JavaScript value could not be read as JSON.
#[derive(Debug)]
pub enum ConvertError {
    /// The value is not JSON-like: `kind` is a transcript error kind (`wrong_type`,
    /// `invalid_value`), `path` leads from the argument to the bad value.
    Invalid {
        kind: &'static str,
        message: String,
        path: Vec<PathSeg>,
    },
    /// napi itself failed, e.g. a getter or a Proxy trap threw (the exception stays pending).
    Napi(napi::Error),
}

impl From<napi::Error> for ConvertError {
    fn from(e: napi::Error) -> Self {
        ConvertError::Napi(e)
    }
}

/// Reads a JavaScript value as JSON. A top-level `undefined` reads as `null`.
pub fn to_json(value: &Unknown<'_>) -> Result<Value, ConvertError> {
    let mut walker = Walker {
        path: Vec::new(),
        nodes: 0,
    };
    walker.value(value)
}

/// Reads a JavaScript string strictly: lone surrogates are an error (`Ok(None)` when the value
/// is not a string at all).
pub fn to_string(value: &Unknown<'_>) -> Result<Option<String>, ConvertError> {
    if value.get_type()? != ValueType::String {
        return Ok(None);
    }
    let walker = Walker {
        path: Vec::new(),
        nodes: 0,
    };
    walker.string(value).map(Some)
}

/// What JavaScript calls a value's type, for messages.
pub fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        ValueType::BigInt => "a bigint",
        ValueType::Unknown => "an unknown value",
    }
}

struct Walker {
    path: Vec<PathSeg>,
    nodes: usize,
}

impl Walker {
    fn invalid(&self, kind: &'static str, message: String) -> ConvertError {
        ConvertError::Invalid {
            kind,
            message,
            path: self.path.clone(),
        }
    }

    /// A message about the value at the current path: "`turns[0].text` must …".
    fn at(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                PathSeg::Key(k) if out.is_empty() => out.push_str(k),
                PathSeg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() {
            "the value".to_string()
        } else {
            format!("`{out}`")
        }
    }

    fn value(&mut self, value: &Unknown<'_>) -> Result<Value, ConvertError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.invalid(
                "invalid_value",
                format!("the value holds more than {MAX_NODES} JSON values"),
            ));
        }
        let t = value.get_type()?;
        match t {
            ValueType::Undefined | ValueType::Null => Ok(Value::Null),
            ValueType::Boolean => Ok(Value::Bool(value.coerce_to_bool()?)),
            ValueType::Number => self.number(value.coerce_to_number()?.get_double()?),
            ValueType::String => self.string(value).map(Value::String),
            ValueType::Object => {
                if self.path.len() >= MAX_DEPTH {
                    return Err(self.invalid(
                        "invalid_value",
                        format!(
                            "{} is nested deeper than {MAX_DEPTH} levels (or refers to itself)",
                            self.at()
                        ),
                    ));
                }
                if value.is_array()? {
                    self.array(value)
                } else {
                    self.object(value)
                }
            }
            other => Err(self.invalid(
                "wrong_type",
                format!(
                    "{} must be a JSON value, found {}",
                    self.at(),
                    type_name(other)
                ),
            )),
        }
    }

    fn number(&self, x: f64) -> Result<Value, ConvertError> {
        // integral values stay integers, as JSON.parse would have read them
        if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
            return Ok(Value::Number(Number::from(x as i64)));
        }
        Number::from_f64(x).map(Value::Number).ok_or_else(|| {
            self.invalid(
                "invalid_value",
                format!("{} must be a finite number, found {x}", self.at()),
            )
        })
    }

    fn string(&self, value: &Unknown<'_>) -> Result<String, ConvertError> {
        let js: JsString = value.coerce_to_string()?;
        let utf16 = js.into_utf16()?;
        // the buffer ends with the terminating NUL
        let units = utf16.split_last().map_or(&[][..], |(_, units)| units);
        let mut out = String::with_capacity(units.len());
        let mut offset = 0;
        for c in char::decode_utf16(units.iter().copied()) {
            match c {
                Ok(c) => {
                    out.push(c);
                    offset += c.len_utf16();
                }
                Err(e) => {
                    return Err(self.invalid(
                        "invalid_value",
                        format!(
                            "{} is not valid Unicode: a lone surrogate {:#06x} at UTF-16 \
                             offset {offset}",
                            self.at(),
                            e.unpaired_surrogate()
                        ),
                    ))
                }
            }
        }
        Ok(out)
    }

    fn array(&mut self, value: &Unknown<'_>) -> Result<Value, ConvertError> {
        let array = value.coerce_to_object()?;
        let len = array.get_array_length()?;
        let mut items = Vec::with_capacity((len as usize).min(1 << 16));
        for i in 0..len {
            let item: Unknown = array.get_element(i)?;
            self.path.push(PathSeg::Index(i as usize));
            let v = self.value(&item)?;
            self.path.pop();
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self, value: &Unknown<'_>) -> Result<Value, ConvertError> {
        let object = value.coerce_to_object()?;
        let keys = object.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        )?;
        let len = keys.get_array_length()?;
        let mut map = Map::new();
        for i in 0..len {
            let key: Unknown = keys.get_element(i)?;
            if key.get_type()? != ValueType::String {
                continue; // symbol keys, as JSON.stringify
            }
            let name = self.string(&key)?;
            let item: Unknown = object.get_property(key)?;
            if item.get_type()? == ValueType::Undefined {
                continue;
            }
            self.path.push(PathSeg::Key(name));
            let v = self.value(&item)?;
            let Some(PathSeg::Key(name)) = self.path.pop() else {
                unreachable!("the key pushed above")
            };
            map.insert(name, v);
        }
        Ok(Value::Object(map))
    }
}

/// Reads the JSON text that `index.js` made of a JavaScript value (its fast path, which gives
/// up on anything [`to_json`] would refuse or read differently) as [`to_json`] reads the value
/// itself: integers (below 2^53) as integers, other numbers as the double whose shortest text
/// they are (`str::parse`, correctly rounded, where serde_json without `float_roundtrip` may
/// miss by one unit in the last place). `None` for anything else than that text — whitespace,
/// nesting deeper than [`MAX_DEPTH`] … — then the value is read with [`to_json`].
pub fn from_encoded(json: &str) -> Option<Value> {
    let mut p = Encoded { text: json, at: 0 };
    let value = p.value(0)?;
    (p.at == json.len()).then_some(value)
}

/// A reader of the JSON text `index.js` writes.
struct Encoded<'a> {
    text: &'a str,
    at: usize,
}

impl Encoded<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let ok = self.peek() == Some(byte);
        if ok {
            self.at += 1;
        }
        ok
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        self.text[self.at..].starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => {
                self.at += 1;
                let mut map = Map::new();
                if self.eat(b'}') {
                    return Some(Value::Object(map));
                }
                loop {
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let value = self.value(depth + 1)?;
                    map.insert(key, value);
                    if self.eat(b'}') {
                        return Some(Value::Object(map));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            _ => self.number(),
        }
    }

    /// A string as `JSON.stringify` writes it.
    fn string(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        if bytes.get(start) != Some(&b'"') {
            return None;
        }
        let mut end = start + 1;
        let mut escaped = false;
        loop {
            match *bytes.get(end)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    end += 2;
                }
                _ => end += 1,
            }
        }
        self.at = end + 1;
        if escaped {
            serde_json::from_str(self.text.get(start..=end)?).ok()
        } else {
            Some(self.text[start + 1..end].to_string())
        }
    }

    /// A number as JavaScript writes it (`String(x)`).
    fn number(&mut self) -> Option<Value> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        let mut float = false;
        while let Some(&c) = bytes.get(end) {
            match c {
                b'0'..=b'9' | b'-' => {}
                b'.' | b'e' | b'E' | b'+' => float = true,
                _ => break,
            }
            end += 1;
        }
        self.at = end;
        let text = &self.text[start..end];
        if !float {
            let n: i64 = text.parse().ok()?;
            return (n.unsigned_abs() < 1 << 53).then(|| Value::Number(n.into()));
        }
        let x: f64 = text.parse().ok()?;
        // what `to_json` makes of the same double
        (x.fract() != 0.0 && x.is_finite())
            .then(|| Number::from_f64(x).map(Value::Number))
            .flatten()
    }
}

/// A serializable value as the plain object `JSON.parse` makes of its JSON text: one native
/// call instead of one per field (napi's serde support sets properties one by one, which
/// costs more than the scoring), and numbers stay numbers (no bigints).
pub fn to_js<'env, T: serde::Serialize>(env: &Env, value: &T) -> napi::Result<Unknown<'env>> {
    let text = serde_json::to_string(value)
        .map_err(|e| napi::Error::from_reason(format!("cannot serialize the result: {e}")))?;
    parse(env, text)
}

/// `JSON.parse(text)`.
pub fn parse<'env>(env: &Env, text: String) -> napi::Result<Unknown<'env>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<String, Unknown<'env>> = json.get_named_property("parse")?;
    parse.call(text)
}

/// A report as the plain object Node gets: the CLI's JSON, keys in the same order, with
/// UTF-16 offsets (so `turnText.slice(f.start, f.end) === f.text`).
pub fn report_to_js<'env>(env: &Env, report: qa_core::Report) -> napi::Result<Unknown<'env>> {
    to_js(env, &report.in_units(qa_core::Units::Utf16))
}
