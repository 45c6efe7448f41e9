//! The one place where errors become JavaScript `Error`s.
//!
//! Every error the package throws (or rejects with) is a JavaScript `Error` with a stable
//! `code`, a `kind` and its place:
//!
//! | `name` | `code` | fields |
//! |---|---|---|
//! | `RubricError` | `QA_RUBRIC_ERROR` | `kind`, `line`, `column`, `rule`, `help`, `file` (of the first problem), `diagnostics` (every problem) |
//! | `TranscriptError` | `QA_TRANSCRIPT_ERROR` | `kind`, `turn`, `field`, `line`, `column`, `rule` (always `null`), `index` (position in a `scoreMany` batch) |
//! | `TypeError` / `RangeError` | `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` | a wrong argument (not a transcript) |
//! | `Error` | `QA_SESSION_FINISHED` | `push` or `finish` after `finish` |
//! | `Error` | `QA_INTERNAL_ERROR` | a panic in the engine, caught (a bug: please report it) |
//!
//! Fields that do not apply are `null`, so every error of one `name` has the same shape.
//! `message` is the complete text (for a rubric, one `file:line:col: message` line per problem).

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::{JsValue, Null, Object, ToNapiValue};
use napi::{Env, JsError, JsRangeError, JsTypeError};
use qa_core::{RubricError, TranscriptError, TranscriptErrorKind};

/// Everything that can go wrong in a call, before it is turned into a JavaScript `Error`.
#[derive(Debug)]
pub enum Failure {
    /// The rubric is invalid.
    Rubric(RubricError),
    /// A transcript, turn or session meta is invalid.
    Transcript(TranscriptFault),
    /// An argument of the wrong type (`TypeError`).
    ArgType(String),
    /// An argument with a wrong value (`RangeError`).
    ArgValue(String),
    /// The session was already finished.
    Finished,
    /// A panic caught at the boundary.
    Panic(String),
    /// An error from napi itself (a pending JavaScript exception, …), passed through.
    Napi(napi::Error),
}

/// A transcript error from the core (or one `index.js` found while converting a value, made
/// with the core's type too), with its position in a batch.
#[derive(Debug, Clone)]
pub struct TranscriptFault {
    kind: &'static str,
    /// The message without the `turn N: ` prefix.
    message: String,
    turn: Option<usize>,
    field: Option<String>,
    position: Option<(usize, usize)>,
    /// Position of the transcript in a `scoreMany` batch.
    index: Option<usize>,
}

impl TranscriptFault {
    /// Sets the position of the transcript in a batch.
    pub fn in_batch(mut self, index: usize) -> TranscriptFault {
        self.index = Some(index);
        self
    }
}

impl From<TranscriptError> for TranscriptFault {
    fn from(e: TranscriptError) -> Self {
        TranscriptFault {
            kind: e.kind().as_str(),
            message: e.message().to_string(),
            turn: e.turn(),
            field: e.field().map(str::to_string),
            position: e.position(),
            index: None,
        }
    }
}

impl From<RubricError> for Failure {
    fn from(e: RubricError) -> Self {
        Failure::Rubric(e)
    }
}

impl From<TranscriptError> for Failure {
    fn from(e: TranscriptError) -> Self {
        Failure::Transcript(e.into())
    }
}

impl From<TranscriptFault> for Failure {
    fn from(e: TranscriptFault) -> Self {
        Failure::Transcript(e)
    }
}

impl From<napi::Error> for Failure {
    fn from(e: napi::Error) -> Self {
        Failure::Napi(e)
    }
}

impl Failure {
    /// The JavaScript `Error` for this failure, as a napi error that throws (or rejects with)
    /// exactly that object.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        if let Failure::Napi(e) = self {
            return e;
        }
        match self.to_js(env) {
            Ok(object) => napi::Error::from(object.to_unknown()),
            Err(e) => e,
        }
    }

    /// Builds the JavaScript `Error` object.
    pub fn to_js<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        match self {
            Failure::Rubric(e) => rubric_error(env, e),
            Failure::Transcript(t) => transcript_error(env, t),
            Failure::ArgType(msg) => {
                let e = JsTypeError::from(napi::Error::new("ERR_INVALID_ARG_TYPE", msg.clone()));
                e.into_unknown(*env).coerce_to_object()
            }
            Failure::ArgValue(msg) => {
                let e = JsRangeError::from(napi::Error::new("ERR_INVALID_ARG_VALUE", msg.clone()));
                e.into_unknown(*env).coerce_to_object()
            }
            Failure::Finished => plain_error(
                env,
                "QA_SESSION_FINISHED",
                "the session is finished: start a new one with engine.session()",
            ),
            Failure::Panic(msg) => plain_error(
                env,
                "QA_INTERNAL_ERROR",
                &format!("internal error in qa-engine (please report it): {msg}"),
            ),
            Failure::Napi(e) => env.create_error(napi::Error::new(e.status, e.reason.clone())),
        }
    }
}

fn plain_error<'env>(env: &'env Env, code: &str, message: &str) -> napi::Result<Object<'env>> {
    JsError::from(napi::Error::new(code, message))
        .into_unknown(*env)
        .coerce_to_object()
}

/// `Some(x)` as `x`, `None` as `null`.
fn set_opt<V: ToNapiValue>(object: &mut Object, key: &str, value: Option<V>) -> napi::Result<()> {
    match value {
        Some(v) => object.set(key, v),
        None => object.set(key, Null),
    }
}

fn rubric_error<'env>(env: &'env Env, e: &RubricError) -> napi::Result<Object<'env>> {
    let mut object = plain_error(env, "QA_RUBRIC_ERROR", &e.to_string())?;
    object.set("name", "RubricError")?;
    let first = &e.diagnostics()[0];
    object.set("kind", first.kind.as_str())?;
    set_opt(&mut object, "line", first.line.map(|n| n as u32))?;
    set_opt(&mut object, "column", first.column.map(|n| n as u32))?;
    set_opt(&mut object, "rule", first.rule.as_deref())?;
    set_opt(&mut object, "help", first.help.as_deref())?;
    set_opt(&mut object, "file", e.file())?;
    let mut all = env.create_array(e.diagnostics().len() as u32)?;
    for (i, (d, line)) in e.diagnostics().iter().zip(e.lines()).enumerate() {
        let mut item = Object::new(env)?;
        item.set("kind", d.kind.as_str())?;
        item.set("message", d.message.as_str())?;
        set_opt(&mut item, "line", d.line.map(|n| n as u32))?;
        set_opt(&mut item, "column", d.column.map(|n| n as u32))?;
        set_opt(&mut item, "rule", d.rule.as_deref())?;
        set_opt(&mut item, "help", d.help.as_deref())?;
        item.set("text", line)?;
        all.set(i as u32, item)?;
    }
    object.set("diagnostics", all)?;
    Ok(object)
}

fn transcript_error<'env>(env: &'env Env, t: &TranscriptFault) -> napi::Result<Object<'env>> {
    let mut message = match t.turn {
        Some(turn) => format!("turn {turn}: {}", t.message),
        None => t.message.clone(),
    };
    if let Some(index) = t.index {
        message = format!("transcript {index}: {message}");
    }
    let mut object = plain_error(env, "QA_TRANSCRIPT_ERROR", &message)?;
    object.set("name", "TranscriptError")?;
    object.set("kind", t.kind)?;
    set_opt(&mut object, "turn", t.turn.map(|n| n as u32))?;
    set_opt(&mut object, "field", t.field.as_deref())?;
    set_opt(&mut object, "line", t.position.map(|p| p.0 as u32))?;
    set_opt(&mut object, "column", t.position.map(|p| p.1 as u32))?;
    object.set("rule", Null)?;
    set_opt(&mut object, "index", t.index.map(|n| n as u32))?;
    Ok(object)
}

/// Runs `f`, turning a panic into [`Failure::Panic`] so that no panic unwinds into Node.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".to_string());
            Err(Failure::Panic(msg))
        }
    }
}

/// The transcript error kind named `name`.
pub fn transcript_kind(name: &str) -> Option<TranscriptErrorKind> {
    TranscriptErrorKind::from_name(name)
}
