//! Node.js binding of qa-engine: `require('qa-engine')`.
//!
//! One conversion path ([`convert`]): `index.js` writes transcripts, turns and session meta as
//! JSON text, the core reads it with its serde path (which checks every field and names the
//! field and turn at fault), and reports come back as JSON text that `JSON.parse` turns into
//! plain objects with UTF-16 offsets. Errors become JavaScript `Error`s in one place
//! ([`error`]). All rule logic is in `qa-core`.
//!
//! The scoring methods are `index.js`'s (their types are in `types-header.d.ts`); the native
//! methods they call start with `_` and are taken off the prototypes there. A batch
//! (`scoreMany`) is converted in slices on the main thread, handed over one transcript at a
//! time ([`Batch`]), parsed, checked and scored in parallel on the libuv thread pool, and its
//! reports are taken back in chunks ([`batch_next`]), so the event loop never waits long.

#![deny(missing_docs)]

mod convert;
mod error;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{
    AsyncTask, BufferSlice, Env, External, JsObjectValue, JsValue, ObjectFinalize, Task, Unknown,
};
use napi_derive::napi;
use rayon::prelude::*;
use serde_json::Value;

use crate::error::{guard, Failure, TranscriptFault};

type Result<T> = std::result::Result<T, Failure>;

/// A compiled rubric: build it once, score many conversations with it.
#[napi(custom_finalize)]
#[derive(Debug)]
pub struct Engine {
    inner: qa_core::Engine,
    /// The bytes reported to V8 as held by this object (given back when it is collected).
    external: i64,
}

impl ObjectFinalize for Engine {
    fn finalize(self, env: Env) -> napi::Result<()> {
        env.adjust_external_memory(-self.external)?;
        Ok(())
    }
}

#[napi]
impl Engine {
    /// Reads and compiles a rubric file; the extension (`.yaml`, `.yml`, `.json`, `.toml`)
    /// gives the format. `options.redact: false`: findings' text is the original, not masked
    /// by the rubric's `redact` (for auditors). Throws a `RubricError` when the rubric is
    /// invalid.
    #[napi(factory, ts_args_type = "path: string, options?: EngineOptions")]
    pub fn from_file(env: Env, path: Unknown, options: Option<Unknown>) -> napi::Result<Engine> {
        let run = || {
            let path = string_arg(&path, "path")?;
            let options = EngineOptions::read(&env, options.as_ref())?;
            let rubric = guard(|| Ok(qa_core::Rubric::from_path(&path)?))?;
            Engine::compile(&env, rubric, &options)
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// Compiles a rubric given as text in `format` (`"yaml"` — the default —, `"json"` or
    /// `"toml"`); `options` as for `fromFile` (also in the place of `format`:
    /// `fromString(text, {redact: false})`). Throws a `RubricError` when the rubric is invalid.
    #[napi(
        factory,
        ts_args_type = "text: string, format?: 'yaml' | 'json' | 'toml' | EngineOptions, options?: EngineOptions"
    )]
    pub fn from_string(
        env: Env,
        text: Unknown,
        format: Option<Unknown>,
        options: Option<Unknown>,
    ) -> napi::Result<Engine> {
        let run = || {
            let text = string_arg(&text, "text")?;
            let (format, options) = match &format {
                Some(f) if f.get_type()? == napi::ValueType::Object && options.is_none() => {
                    (None, Some(f))
                }
                _ => (format.as_ref(), options.as_ref()),
            };
            let options = EngineOptions::read(&env, options)?;
            let name = match format {
                None => "yaml".to_string(),
                Some(f) if f.get_type()? == napi::ValueType::Undefined => "yaml".to_string(),
                Some(f) => string_arg(f, "format")?,
            };
            let format = qa_core::Format::from_name(&name).ok_or_else(|| {
                Failure::ArgValue(format!(
                    "format must be \"yaml\", \"json\" or \"toml\", not {name:?}"
                ))
            })?;
            let limits = qa_core::Limits::default();
            let rubric = guard(|| Ok(qa_core::Rubric::parse(&text, format, None, &limits)?))?;
            Engine::compile(&env, rubric, &options)
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// `score(transcript)` in index.js: the report of the transcript's JSON text, as JSON text.
    #[napi(js_name = "_score", skip_typescript)]
    pub fn score_text(&self, env: Env, json: String) -> napi::Result<String> {
        self.score_str(&json).map_err(|e| e.into_napi(&env))
    }

    /// `scoreJson(buffer)` in index.js: the report of JSON text given as UTF-8 bytes.
    #[napi(js_name = "_scoreBytes", skip_typescript)]
    pub fn score_bytes(&self, env: Env, json: BufferSlice) -> napi::Result<String> {
        let run = || match std::str::from_utf8(&json) {
            Ok(text) => self.score_str(text),
            Err(e) => Err(not_utf8(&e).into()),
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// `session(meta)` in index.js: `meta` is the JSON text of the session meta (or null).
    #[napi(js_name = "_session", skip_typescript)]
    pub fn session(&self, env: Env, meta: Option<String>) -> napi::Result<Session> {
        let run = || {
            let meta = match &meta {
                Some(json) => convert::read_value(json)?,
                None => Value::Null,
            };
            let meta = match meta {
                Value::Null => serde_json::Map::new(),
                Value::Object(m) => m,
                _ => {
                    return Err(Failure::ArgType(
                        "the session meta must be an object".to_string(),
                    ))
                }
            };
            if meta.contains_key("turns") {
                return Err(Failure::ArgValue(
                    "the session meta has no `turns`: push them one by one".to_string(),
                ));
            }
            // the core checks meta fields as it checks a transcript's
            let mut shell = meta;
            shell.insert("turns".to_string(), Value::Array(Vec::new()));
            let transcript = qa_core::Transcript::from_value(Value::Object(shell))?;
            let session = self.inner.session(qa_core::SessionMeta::of(&transcript));
            Ok(Session {
                inner: Some(session),
            })
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// The rubric's name.
    #[napi(getter)]
    pub fn rubric_name(&self) -> String {
        self.inner.rubric().name().to_string()
    }

    /// The number of rules in the rubric.
    #[napi(getter)]
    pub fn rule_count(&self) -> u32 {
        self.inner.rubric().rules().len() as u32
    }

    /// The limits this engine applies to what it scores (checked while a transcript is
    /// converted, before it is scored).
    #[napi(getter, ts_return_type = "Limits")]
    pub fn limits<'env>(&self, env: Env) -> napi::Result<Unknown<'env>> {
        convert::parse(&env, convert::limits_json(self.inner.limits())?)
    }

    /// Whether findings' text is masked: the rubric has `redact` and it was not turned off.
    #[napi(getter)]
    pub fn redacts(&self) -> bool {
        self.inner.redacts()
    }

    /// `text` with the rubric's `redact` applied, one code point for one (offsets into the
    /// original stay valid); unchanged when redaction is off or the rubric has none.
    #[napi(ts_args_type = "text: string")]
    pub fn redact_text(&self, env: Env, text: Unknown) -> napi::Result<String> {
        let run = || {
            Ok(self
                .inner
                .redact_text(&string_arg(&text, "text")?)
                .into_owned())
        };
        run().map_err(|e: Failure| e.into_napi(&env))
    }

    /// Approximate memory of the compiled rubric, in bytes; reported to V8 as external memory,
    /// so that engines nobody refers to any more are collected soon.
    #[napi(getter)]
    pub fn memory_usage(&self) -> f64 {
        self.inner.memory_usage() as f64
    }
}

/// The options of `Engine.fromFile` and `Engine.fromString`: `{redact?: boolean}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineOptions {
    #[serde(default = "EngineOptions::on")]
    redact: bool,
}

impl EngineOptions {
    fn on() -> bool {
        true
    }

    /// Reads `options` (undefined or null: the defaults) through `JSON.stringify`, so an
    /// unknown key or a wrong type is an error that names it.
    fn read(env: &Env, options: Option<&Unknown>) -> Result<EngineOptions> {
        let defaults = EngineOptions { redact: true };
        let Some(value) = options else {
            return Ok(defaults);
        };
        match value.get_type()? {
            napi::ValueType::Undefined | napi::ValueType::Null => Ok(defaults),
            napi::ValueType::Object => {
                let json: napi::bindgen_prelude::Object =
                    env.get_global()?.get_named_property("JSON")?;
                let stringify: napi::bindgen_prelude::Function<Unknown, Unknown> =
                    json.get_named_property("stringify")?;
                let text = string_arg(&stringify.call(*value)?, "options")?;
                serde_json::from_str(&text)
                    .map_err(|e| Failure::ArgType(format!("bad `options`: {e}")))
            }
            t => Err(Failure::ArgType(format!(
                "`options` must be an object, found {}",
                type_name(t)
            ))),
        }
    }
}

impl Engine {
    fn compile(env: &Env, rubric: qa_core::Rubric, options: &EngineOptions) -> Result<Engine> {
        let inner = guard(|| {
            Ok(qa_core::Engine::builder()
                .redact(options.redact)
                .build(rubric)?)
        })?;
        let external = i64::try_from(inner.memory_usage()).unwrap_or(i64::MAX);
        env.adjust_external_memory(external)?;
        Ok(Engine { inner, external })
    }

    /// Scores the transcript `json` holds (the core's serde path, its limits checked).
    fn score_str(&self, json: &str) -> Result<String> {
        let report = guard(|| Ok(self.inner.score_json(json)?))?;
        Ok(convert::report_json(report)?)
    }
}

/// A conversation scored turn by turn, as it happens.
#[napi]
#[derive(Debug)]
pub struct Session {
    /// `None` once finished.
    inner: Option<qa_core::Session>,
}

#[napi]
impl Session {
    /// `push(turn)` in index.js: the findings (JSON text) of the turn's JSON text.
    #[napi(js_name = "_push", skip_typescript)]
    pub fn push_text(&mut self, env: Env, json: String) -> napi::Result<String> {
        self.push_turn(&json).map_err(|e| e.into_napi(&env))
    }

    /// `finish()` in index.js: the report as JSON text.
    #[napi(js_name = "_finish", skip_typescript)]
    pub fn finish_text(&mut self, env: Env) -> napi::Result<String> {
        let session = self.inner.take().ok_or(Failure::Finished);
        session
            .and_then(|s| guard(|| Ok(s.finish())))
            .and_then(|report| Ok(convert::report_json(report)?))
            .map_err(|e| e.into_napi(&env))
    }

    /// How many turns were pushed.
    #[napi(getter)]
    pub fn turn_count(&self) -> u32 {
        self.inner.as_ref().map_or(0, |s| s.turn_count() as u32)
    }

    /// Whether `finish()` was called.
    #[napi(getter)]
    pub fn finished(&self) -> bool {
        self.inner.is_none()
    }
}

impl Session {
    fn push_turn(&mut self, json: &str) -> Result<String> {
        let session = self.inner.as_mut().ok_or(Failure::Finished)?;
        let index = session.turn_count();
        let turn = convert::read_value(json)
            .and_then(|value| qa_core::Turn::from_value(&value, index))
            .map_err(|e| match e.turn() {
                Some(_) => e,
                None => e.at_turn(index),
            })?;
        let pushed = guard(|| Ok(session.try_push(turn)?));
        if matches!(pushed, Err(Failure::Panic(_))) {
            self.inner = None; // its state cannot be trusted any more
        }
        let findings = pushed?;
        let findings: Vec<_> = findings
            .iter()
            .map(|f| f.in_units(qa_core::Units::Utf16))
            .collect();
        Ok(convert::to_json(&findings)?)
    }
}

/// A batch being handed over by `index.js`, one transcript's JSON text at a time (so that no
/// single call takes long), scored by [`batch_run`], its reports taken back by [`batch_next`].
#[derive(Debug)]
pub struct Batch {
    engine: qa_core::Engine,
    items: Vec<Item>,
    /// The reports once scored, taken back one chunk at a time.
    results: Arc<Mutex<VecDeque<Chunk>>>,
}

/// One transcript of a batch.
#[derive(Debug)]
enum Item {
    /// Its JSON text.
    Text(String),
    /// Its JSON text as bytes (a `Buffer`), UTF-8 not checked yet.
    Bytes(Vec<u8>),
    /// Refused by `index.js` while converting (it keeps the error and puts it in place).
    Skipped,
}

/// `scoreMany` / `scoreManySettled` in index.js: an empty batch for `engine`.
#[napi(js_name = "_batch", skip_typescript)]
pub fn batch(engine: &Engine) -> External<Batch> {
    External::new(Batch {
        engine: engine.inner.clone(),
        items: Vec::new(),
        results: Arc::default(),
    })
}

/// Adds a transcript's JSON text to a batch.
#[napi(js_name = "_batchAdd", skip_typescript)]
pub fn batch_add(batch: &mut External<Batch>, json: String) {
    batch.items.push(Item::Text(json));
}

/// Adds a transcript's JSON text given as UTF-8 bytes to a batch.
#[napi(js_name = "_batchAddBytes", skip_typescript)]
pub fn batch_add_bytes(batch: &mut External<Batch>, json: BufferSlice) {
    batch.items.push(Item::Bytes(json.to_vec()));
}

/// Holds the place of a transcript `index.js` refused.
#[napi(js_name = "_batchSkip", skip_typescript)]
pub fn batch_skip(batch: &mut External<Batch>) {
    batch.items.push(Item::Skipped);
}

/// Scores a batch on the libuv thread pool. Resolves when the reports can be taken back with
/// [`batch_next`]; when `settle` is false, rejects with the first transcript's error instead,
/// if any.
#[napi(js_name = "_batchRun", skip_typescript)]
pub fn batch_run(batch: &mut External<Batch>, settle: bool) -> AsyncTask<ScoreMany> {
    AsyncTask::new(ScoreMany {
        engine: batch.engine.clone(),
        items: std::mem::take(&mut batch.items),
        results: batch.results.clone(),
        settle,
    })
}

/// The next chunk of a scored batch: an array of reports and `TranscriptError`s (null where
/// `index.js` refused the transcript), or null when there are no more.
#[napi(js_name = "_batchNext", skip_typescript)]
pub fn batch_next<'env>(env: &Env, batch: &External<Batch>) -> napi::Result<Option<Unknown<'env>>> {
    let next = batch
        .results
        .lock()
        .map_err(|_| napi::Error::from_reason("the batch's results are poisoned"))?
        .pop_front();
    let Some(chunk) = next else {
        return Ok(None);
    };
    let array = convert::parse(env, chunk.json)?;
    if !chunk.errors.is_empty() {
        let mut object = array.coerce_to_object()?;
        for (i, e) in chunk.errors {
            object.set_element(i, e.to_js(env)?)?;
        }
    }
    Ok(Some(array))
}

/// A batch scored on the libuv thread pool ([`batch_run`]).
#[derive(Debug)]
pub struct ScoreMany {
    engine: qa_core::Engine,
    items: Vec<Item>,
    results: Arc<Mutex<VecDeque<Chunk>>>,
    settle: bool,
}

/// One transcript's outcome: its report as JSON text, its error, or nothing (refused by
/// `index.js`).
type Outcome = std::result::Result<Option<String>, Failure>;

/// Largest chunk of reports handed back in one call (JSON text, bytes), so that parsing one
/// takes a few milliseconds.
const CHUNK_BYTES: usize = 256 << 10;

/// Most reports in one chunk.
const CHUNK_ITEMS: usize = 512;

impl Task for ScoreMany {
    type Output = std::result::Result<VecDeque<Chunk>, Failure>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let items = std::mem::take(&mut self.items);
        let engine = &self.engine;
        let mut outcomes: Vec<Outcome> = items
            .into_par_iter()
            .enumerate()
            .map(|(i, item)| {
                let text = match &item {
                    Item::Skipped => return Ok(None),
                    Item::Text(text) => text.as_str(),
                    Item::Bytes(bytes) => match std::str::from_utf8(bytes) {
                        Ok(text) => text,
                        Err(e) => return Err(Failure::Transcript(not_utf8(&e).in_batch(i))),
                    },
                };
                guard(|| match engine.score_json(text) {
                    Ok(report) => Ok(Some(convert::report_json(report)?)),
                    Err(e) => Err(Failure::Transcript(TranscriptFault::from(e).in_batch(i))),
                })
            })
            .collect();
        if !self.settle {
            if let Some(first) = outcomes.iter().position(Result::is_err) {
                return Ok(Err(outcomes.swap_remove(first).expect_err("an error")));
            }
        }
        Ok(Ok(chunks(outcomes)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<()> {
        let chunks = output.map_err(|e| e.into_napi(&env))?;
        *self
            .results
            .lock()
            .map_err(|_| napi::Error::from_reason("the batch's results are poisoned"))? = chunks;
        Ok(())
    }
}

/// Reports ready to be taken back: a JSON array of reports (`null` in the place of an error
/// or a refused transcript) and the errors with their places in it.
#[derive(Debug, Default)]
pub struct Chunk {
    json: String,
    errors: Vec<(u32, Failure)>,
}

/// The outcomes in chunks of at most [`CHUNK_ITEMS`] items and about [`CHUNK_BYTES`] bytes.
fn chunks(outcomes: Vec<Outcome>) -> VecDeque<Chunk> {
    let mut out = VecDeque::new();
    let mut chunk = Chunk::default();
    let mut count = 0u32;
    for outcome in outcomes {
        chunk.json.push(if count == 0 { '[' } else { ',' });
        match outcome {
            Ok(Some(report)) => chunk.json.push_str(&report),
            Ok(None) => chunk.json.push_str("null"),
            Err(failure) => {
                chunk.json.push_str("null");
                chunk.errors.push((count, failure));
            }
        }
        count += 1;
        if count as usize >= CHUNK_ITEMS || chunk.json.len() >= CHUNK_BYTES {
            chunk.json.push(']');
            out.push_back(std::mem::take(&mut chunk));
            count = 0;
        }
    }
    if count > 0 {
        chunk.json.push(']');
        out.push_back(chunk);
    }
    out
}

/// The error of a transcript given as bytes that are not UTF-8.
fn not_utf8(e: &std::str::Utf8Error) -> TranscriptFault {
    qa_core::TranscriptError::new(
        qa_core::TranscriptErrorKind::Syntax,
        format!(
            "invalid JSON: the text is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ),
    )
    .into()
}

/// index.js: a `TranscriptError` for a value it refused while converting it (a number that is
/// not finite, a bigint, a lone surrogate, a limit exceeded …), built as the core's are.
#[napi(js_name = "_transcriptError", skip_typescript)]
pub fn transcript_error<'env>(
    env: &'env Env,
    kind: String,
    message: String,
    turn: Option<u32>,
    field: Option<String>,
    index: Option<u32>,
) -> napi::Result<Unknown<'env>> {
    let kind = error::transcript_kind(&kind)
        .ok_or_else(|| napi::Error::from_reason(format!("no transcript error kind {kind:?}")))?;
    let mut e = qa_core::TranscriptError::new(kind, message);
    if let Some(turn) = turn {
        e = e.at_turn(turn as usize);
    }
    if let Some(field) = field {
        e = e.with_field(field);
    }
    let mut fault = TranscriptFault::from(e);
    if let Some(index) = index {
        fault = fault.in_batch(index as usize);
    }
    Ok(Failure::Transcript(fault).to_js(env)?.to_unknown())
}

/// The `kind` strings errors carry: those of the core (`TranscriptErrorKind::as_str`,
/// `RubricErrorKind::as_str`), the same in Rust, the CLI, Python and Node.
#[napi(object)]
#[derive(Debug)]
pub struct ErrorKinds {
    /// Every `kind` of a `TranscriptError`.
    pub transcript: Vec<String>,
    /// Every `kind` of a `RubricError` (and of its diagnostics).
    pub rubric: Vec<String>,
}

/// The `kind` strings errors carry, the same in every front end.
#[napi]
pub fn error_kinds() -> ErrorKinds {
    ErrorKinds {
        transcript: qa_core::TranscriptErrorKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        rubric: qa_core::RubricErrorKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    }
}

/// A string argument, read strictly (no lone surrogates).
fn string_arg(value: &Unknown, name: &str) -> Result<String> {
    if value.get_type()? != napi::ValueType::String {
        return Err(Failure::ArgType(format!(
            "`{name}` must be a string, found {}",
            type_name(value.get_type()?)
        )));
    }
    let js: napi::JsString = value.coerce_to_string()?;
    let utf16 = js.into_utf16()?;
    // the buffer ends with the terminating NUL
    let units = utf16.split_last().map_or(&[][..], |(_, units)| units);
    char::decode_utf16(units.iter().copied())
        .collect::<std::result::Result<String, _>>()
        .map_err(|e| {
            Failure::ArgValue(format!(
                "`{name}` is not valid Unicode: a lone surrogate {:#06x}",
                e.unpaired_surrogate()
            ))
        })
}

/// What JavaScript calls a value's type, for messages.
fn type_name(t: napi::ValueType) -> &'static str {
    use napi::ValueType as T;
    match t {
        T::Undefined => "undefined",
        T::Null => "null",
        T::Boolean => "a boolean",
        T::Number => "a number",
        T::String => "a string",
        T::Symbol => "a symbol",
        T::Object => "an object",
        T::Function => "a function",
        T::External => "an external",
        T::BigInt => "a bigint",
        T::Unknown => "an unknown value",
    }
}
