//! Node.js binding of qa-engine: `require('qa-engine')`.
//!
//! This crate only converts: JavaScript values become JSON values ([`convert`]) that the core
//! checks and scores; reports come back as plain objects with UTF-16 offsets; errors become
//! JavaScript `Error`s in one place ([`error`]). All rule logic is in `qa-core`.
//!
//! `Engine.scoreMany` runs on the libuv thread pool (a napi `AsyncTask`), where the core
//! scores the batch in parallel, so the event loop never waits for a batch.

#![deny(missing_docs)]

mod convert;
mod error;

use napi::bindgen_prelude::{AsyncTask, Env, JsObjectValue, JsValue, Task, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::error::{guard, Failure, Reading};

type Result<T> = std::result::Result<T, Failure>;

/// A compiled rubric: build it once, score many conversations with it.
#[napi]
#[derive(Debug)]
pub struct Engine {
    inner: qa_core::Engine,
}

#[napi]
impl Engine {
    /// Reads and compiles a rubric file; the extension (`.yaml`, `.yml`, `.json`, `.toml`)
    /// gives the format. Throws a `RubricError` when the rubric is invalid.
    #[napi(factory, ts_args_type = "path: string")]
    pub fn from_file(env: Env, path: Unknown) -> napi::Result<Engine> {
        let run = || {
            let path = string_arg(&path, "path")?;
            let rubric = guard(|| Ok(qa_core::Rubric::from_path(&path)?))?;
            Engine::compile(rubric)
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// Compiles a rubric given as text in `format` (`"yaml"` — the default —, `"json"` or
    /// `"toml"`). Throws a `RubricError` when the rubric is invalid.
    #[napi(
        factory,
        ts_args_type = "text: string, format?: 'yaml' | 'json' | 'toml'"
    )]
    pub fn from_string(env: Env, text: Unknown, format: Option<Unknown>) -> napi::Result<Engine> {
        let run = || {
            let text = string_arg(&text, "text")?;
            let name = match &format {
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
            Engine::compile(rubric)
        };
        run().map_err(|e| e.into_napi(&env))
    }

    /// Scores one conversation (a transcript object: `{turns: [{speaker, text, start?, end?}],
    /// id?, agent?, channel?, meta?}`) and returns its report. Throws a `TranscriptError` that
    /// names the turn and field when the transcript is invalid.
    #[napi(ts_args_type = "transcript: Transcript", ts_return_type = "Report")]
    pub fn score<'env>(&self, env: Env, transcript: Unknown) -> napi::Result<Unknown<'env>> {
        self.score_one(&env, &transcript, None)
    }

    /// `score` with `json`, the JSON text `index.js` made of `transcript` (its fast path).
    #[napi(js_name = "_scoreJson", skip_typescript)]
    pub fn score_json<'env>(
        &self,
        env: Env,
        transcript: Unknown,
        json: String,
    ) -> napi::Result<Unknown<'env>> {
        self.score_one(&env, &transcript, Some(&json))
    }

    /// Scores many conversations in parallel, off the main thread. Resolves with the reports
    /// in input order; rejects with the first invalid transcript's `TranscriptError` (its
    /// `index` says which one).
    #[napi(
        ts_args_type = "transcripts: Transcript[]",
        ts_return_type = "Promise<Report[]>"
    )]
    pub fn score_many(&self, transcripts: Unknown) -> AsyncTask<ScoreMany> {
        AsyncTask::new(ScoreMany::new(self, &transcripts, Vec::new(), false))
    }

    /// `scoreMany` (`settle` false) or `scoreManySettled` (true) with `json`, the JSON text
    /// `index.js` made of the first `json.length` transcripts (its fast path); the others are
    /// read here.
    #[napi(js_name = "_scoreManyJson", skip_typescript)]
    pub fn score_many_json(
        &self,
        transcripts: Unknown,
        json: Vec<String>,
        settle: bool,
    ) -> AsyncTask<ScoreMany> {
        AsyncTask::new(ScoreMany::new(self, &transcripts, json, settle))
    }

    /// Like `scoreMany`, but never rejects for a bad transcript: each item of the result is a
    /// report, or the `TranscriptError` of that transcript.
    #[napi(
        ts_args_type = "transcripts: Transcript[]",
        ts_return_type = "Promise<Array<Report | TranscriptError>>"
    )]
    pub fn score_many_settled(&self, transcripts: Unknown) -> AsyncTask<ScoreMany> {
        AsyncTask::new(ScoreMany::new(self, &transcripts, Vec::new(), true))
    }

    /// Starts a live session for one conversation; `meta` holds what the report echoes.
    #[napi(ts_args_type = "meta?: SessionMeta")]
    pub fn session(&self, env: Env, meta: Option<Unknown>) -> napi::Result<Session> {
        let run = || {
            let meta = match &meta {
                Some(m) => convert::to_json(m).map_err(|e| Failure::reading(e, Reading::Meta))?,
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
}

impl Engine {
    fn compile(rubric: qa_core::Rubric) -> Result<Engine> {
        let inner = guard(|| Ok(qa_core::Engine::new(rubric)?))?;
        Ok(Engine { inner })
    }

    /// Scores `transcript`, read from `json` when it is given and readable, else walked.
    fn score_one<'env>(
        &self,
        env: &Env,
        transcript: &Unknown,
        json: Option<&str>,
    ) -> napi::Result<Unknown<'env>> {
        let run = || -> Result<Unknown<'env>> {
            let value = match json.and_then(convert::from_encoded) {
                Some(value) => value,
                None => convert::to_json(transcript)
                    .map_err(|e| Failure::reading(e, Reading::Transcript))?,
            };
            let report = guard(|| {
                let transcript = qa_core::Transcript::from_value(value)?;
                Ok(self.inner.try_score(&transcript)?)
            })?;
            Ok(convert::report_to_js(env, report)?)
        };
        run().map_err(|e| e.into_napi(env))
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
    /// Adds the next turn (`{speaker, text, start?, end?}`); returns the findings that became
    /// certain with it (filter on `alert` for alerts). Throws a `TranscriptError` for a bad turn.
    #[napi(ts_args_type = "turn: Turn", ts_return_type = "Finding[]")]
    pub fn push<'env>(&mut self, env: Env, turn: Unknown) -> napi::Result<Unknown<'env>> {
        self.push_turn(&env, &turn, None)
            .map_err(|e| e.into_napi(&env))
    }

    /// `push` with `json`, the JSON text `index.js` made of `turn` (its fast path).
    #[napi(js_name = "_pushJson", skip_typescript)]
    pub fn push_json<'env>(
        &mut self,
        env: Env,
        turn: Unknown,
        json: String,
    ) -> napi::Result<Unknown<'env>> {
        self.push_turn(&env, &turn, Some(&json))
            .map_err(|e| e.into_napi(&env))
    }

    /// Ends the conversation and returns its report (equal to `engine.score()` on the same
    /// turns). The session cannot be used after this.
    #[napi(ts_return_type = "Report")]
    pub fn finish<'env>(&mut self, env: Env) -> napi::Result<Unknown<'env>> {
        let session = self.inner.take().ok_or(Failure::Finished);
        session
            .and_then(|s| guard(|| Ok(s.finish())))
            .and_then(|report| Ok(convert::report_to_js(&env, report)?))
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
    fn push_turn<'env>(
        &mut self,
        env: &Env,
        turn: &Unknown,
        json: Option<&str>,
    ) -> Result<Unknown<'env>> {
        let session = self.inner.as_mut().ok_or(Failure::Finished)?;
        let index = session.turn_count();
        let value = match json.and_then(convert::from_encoded) {
            Some(value) => value,
            None => {
                convert::to_json(turn).map_err(|e| Failure::reading(e, Reading::Turn(index)))?
            }
        };
        let turn = qa_core::Turn::from_value(&value, index)?;
        let pushed = guard(|| Ok(session.try_push(turn)?));
        if matches!(pushed, Err(Failure::Panic(_))) {
            self.inner = None; // its state cannot be trusted any more
        }
        let findings = pushed?;
        let findings: Vec<_> = findings
            .iter()
            .map(|f| f.in_units(qa_core::Units::Utf16))
            .collect();
        Ok(convert::to_js(env, &findings)?)
    }
}

/// `engine.scoreMany` as an async task: the transcripts are read as JSON values on the main
/// thread (JavaScript values cannot be read elsewhere) — or taken as the JSON text `index.js`
/// made of them, parsed on the pool —, then checked and scored on the libuv thread pool.
#[derive(Debug)]
pub struct ScoreMany {
    engine: qa_core::Engine,
    input: Option<Result<Vec<Source>>>,
    settle: bool,
}

/// One transcript of a batch, as read on the main thread.
#[derive(Debug)]
enum Source {
    /// Read with [`convert::to_json`].
    Value(Value),
    /// The JSON text `index.js` made of it.
    Json(String),
    /// Refused while reading (a value that is not JSON data): its error, settled in its place.
    Refused(Failure),
}

/// One transcript's outcome.
type Outcome = std::result::Result<qa_core::Report, Failure>;

impl ScoreMany {
    fn new(engine: &Engine, transcripts: &Unknown, json: Vec<String>, settle: bool) -> ScoreMany {
        ScoreMany {
            engine: engine.inner.clone(),
            input: Some(read_batch(transcripts, json)),
            settle,
        }
    }
}

/// The batch: the first `json.len()` transcripts are their JSON text, the others are read
/// from the array.
fn read_batch(transcripts: &Unknown, json: Vec<String>) -> Result<Vec<Source>> {
    if !napi::bindgen_prelude::JsValue::is_array(transcripts)? {
        return Err(Failure::ArgType(
            "scoreMany takes an array of transcripts".to_string(),
        ));
    }
    // read each transcript alone, so that an error names the transcript's index
    let array = napi::bindgen_prelude::JsValue::coerce_to_object(transcripts)?;
    let len = napi::bindgen_prelude::JsObjectValue::get_array_length(&array)?;
    let given = json.len();
    let mut sources: Vec<Source> = json.into_iter().map(Source::Json).collect();
    for i in given as u32..len {
        let item: Unknown = napi::bindgen_prelude::JsObjectValue::get_element(&array, i)?;
        match convert::to_json(&item) {
            Ok(value) => sources.push(Source::Value(value)),
            // a transcript that is not JSON data is that transcript's error, not the batch's
            Err(e) => match Failure::reading(e, Reading::Transcript) {
                Failure::Transcript(t) => {
                    sources.push(Source::Refused(Failure::Transcript(t.in_batch(i as usize))))
                }
                other => return Err(other),
            },
        }
    }
    Ok(sources)
}

impl Task for ScoreMany {
    type Output = Result<Vec<Outcome>>;
    type JsValue = Unknown<'static>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let input = self.input.take().expect("compute runs once");
        let engine = &self.engine;
        Ok(guard(|| {
            let sources = input?;
            let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(sources.len());
            let mut good = Vec::with_capacity(sources.len());
            for (i, source) in sources.into_iter().enumerate() {
                let value = match source {
                    Source::Value(value) => value,
                    Source::Refused(failure) => {
                        outcomes.push(Some(Err(failure)));
                        continue;
                    }
                    // index.js only sends JSON that `convert::to_json` would read the same
                    Source::Json(text) => match convert::from_encoded(&text) {
                        Some(value) => value,
                        None => {
                            outcomes.push(Some(Err(Failure::Panic(format!(
                                "the JSON text of transcript {i} is unreadable"
                            )))));
                            continue;
                        }
                    },
                };
                match qa_core::Transcript::from_value(value) {
                    Ok(t) => {
                        good.push(t);
                        outcomes.push(None);
                    }
                    Err(e) => outcomes.push(Some(Err(Failure::Transcript(
                        error::TranscriptFault::from(e).in_batch(i),
                    )))),
                }
            }
            let mut scored = engine.try_score_many(&good).into_iter();
            Ok(outcomes
                .into_iter()
                .enumerate()
                .map(|(i, o)| {
                    o.unwrap_or_else(|| match scored.next().expect("one result per transcript") {
                        Ok(report) => Ok(report),
                        Err(e) => Err(Failure::Transcript(
                            error::TranscriptFault::from(e).in_batch(i),
                        )),
                    })
                })
                .collect())
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        let outcomes = output.map_err(|e| e.into_napi(&env))?;
        if !self.settle {
            if let Some(Err(_)) = outcomes.iter().find(|o| o.is_err()) {
                let first = outcomes.into_iter().find_map(|o| o.err());
                return Err(first.expect("found above").into_napi(&env));
            }
        }
        // the reports (offsets in UTF-16) as one JSON array, parsed at once; the errors of a
        // settled batch take their places
        let (reports, errors): (Vec<_>, Vec<_>) = outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| match o {
                Ok(report) => (Some(report), None),
                Err(e) => (None, Some((i as u32, e))),
            })
            .unzip();
        let reports: Vec<_> = reports
            .iter()
            .map(|r| r.as_ref().map(|r| r.in_units(qa_core::Units::Utf16)))
            .collect();
        let array = convert::to_js(&env, &reports)?;
        if errors.iter().any(Option::is_some) {
            let mut object = array.coerce_to_object()?;
            for (i, e) in errors.into_iter().flatten() {
                object.set_element(i, e.to_js(&env)?)?;
            }
        }
        Ok(array)
    }
}

/// A string argument, read strictly (no lone surrogates).
fn string_arg(value: &Unknown, name: &str) -> Result<String> {
    match convert::to_string(value) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(Failure::ArgType(format!(
            "`{name}` must be a string, found {}",
            convert::type_name(value.get_type()?)
        ))),
        Err(convert::ConvertError::Napi(e)) => Err(Failure::Napi(e)),
        Err(convert::ConvertError::Invalid { message, .. }) => Err(Failure::ArgValue(
            message.replacen("the value", &format!("`{name}`"), 1),
        )),
    }
}
