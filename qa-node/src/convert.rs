//! JSON text in, JSON text out: the one conversion path of the binding.
//!
//! `index.js` writes each transcript, turn or session meta as JSON text (`JSON.stringify`
//! with a check that refuses what it would silently change: see `index.js`), and the core
//! reads that text with its serde path ([`qa_core::Transcript::from_json`],
//! [`qa_core::Engine::score_json`]), which checks every field and names the field and turn of
//! the first problem. Reports and findings go back as JSON text (the CLI's JSON, keys in the
//! spec's order, UTF-16 offsets) that `JSON.parse` turns into plain objects.

use napi::bindgen_prelude::{Function, JsObjectValue, Object};
use napi::{Env, Unknown};
use qa_core::{TranscriptError, TranscriptErrorKind};
use serde_json::Value;

/// Reads a turn or a session meta from the JSON text `index.js` made of it (a transcript goes
/// through [`qa_core::Engine::score_json`] instead). Errors as [`qa_core::Transcript::from_json`]
/// reports them: `too_deep` past serde_json's nesting limit, else `syntax`.
pub fn read_value(json: &str) -> Result<Value, TranscriptError> {
    serde_json::from_str(json).map_err(|e| {
        let kind = if e.to_string().starts_with("recursion limit exceeded") {
            TranscriptErrorKind::TooDeep
        } else {
            TranscriptErrorKind::Syntax
        };
        TranscriptError::new(kind, format!("invalid JSON: {e}"))
    })
}

/// A serializable value as JSON text (reports, findings).
pub fn to_json<T: serde::Serialize>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| napi::Error::from_reason(format!("cannot serialize the result: {e}")))
}

/// A report as the JSON text Node gets: the CLI's JSON, keys in the same order, with UTF-16
/// offsets (so `turnText.slice(f.start, f.end) === f.text`).
pub fn report_json(report: qa_core::Report) -> napi::Result<String> {
    to_json(&report.in_units(qa_core::Units::Utf16))
}

/// `JSON.parse(text)`, called from Rust (for values built here, such as a batch's chunk).
pub fn parse<'env>(env: &Env, text: String) -> napi::Result<Unknown<'env>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<String, Unknown<'env>> = json.get_named_property("parse")?;
    parse.call(text)
}

/// The engine's limits as a JavaScript object with camelCase keys (`maxTurns`, `maxMetaBytes`,
/// …), plus `maxLabelBytes` (the core's `max_meta_bytes` too, for `id`, `agent`, `channel`),
/// which `index.js` checks while converting.
pub fn limits_json(limits: &qa_core::Limits) -> napi::Result<String> {
    let Value::Object(fields) = serde_json::to_value(limits)
        .map_err(|e| napi::Error::from_reason(format!("cannot serialize the limits: {e}")))?
    else {
        return Err(napi::Error::from_reason("the limits are not an object"));
    };
    let mut out: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(k, v)| (camel_case(&k), v))
        .collect();
    out.insert("maxLabelBytes".to_string(), limits.max_meta_bytes.into());
    to_json(&out)
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
