//! Transcripts: the conversations the engine scores (spec §1), and their validation.
//!
//! A [`Transcript`] is built either directly in Rust or from JSON with
//! [`Transcript::from_json`] / [`Transcript::from_value`], which check every field and name the
//! field and the turn index of the first problem in a [`TranscriptError`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod json;

use crate::error::{TranscriptError, TranscriptErrorKind};
use crate::limits::Limits;

/// One conversation: turns in order plus optional identifying fields echoed into the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Conversation id, echoed into the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Agent id, echoed into the report and used to aggregate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Channel (chat, call, email …), echoed into the report and used to aggregate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Free-form metadata, echoed into the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
    /// The turns, in conversation order.
    pub turns: Vec<Turn>,
}

/// One turn of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Speaker label; the rubric's `speakers` maps it to a role.
    pub speaker: String,
    /// What was said. Any Unicode text, empty allowed.
    pub text: String,
    /// Seconds from the conversation's start at which the turn starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    /// Seconds from the conversation's start at which the turn ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
}

impl Turn {
    /// A turn without timestamps.
    ///
    /// ```
    /// let t = qa_core::Turn::new("agent", "您好");
    /// assert_eq!(t.speaker, "agent");
    /// assert_eq!(t.start, None);
    /// ```
    pub fn new(speaker: impl Into<String>, text: impl Into<String>) -> Turn {
        Turn {
            speaker: speaker.into(),
            text: text.into(),
            start: None,
            end: None,
        }
    }

    /// Sets the start time (seconds).
    pub fn at(mut self, start: f64) -> Turn {
        self.start = Some(start);
        self
    }

    /// Sets the end time (seconds).
    pub fn until(mut self, end: f64) -> Turn {
        self.end = Some(end);
        self
    }

    /// Checks one turn given as a JSON value (`index` is used in error messages).
    ///
    /// ```
    /// let v = serde_json::json!({"speaker": "agent", "text": "hi", "start": 1.5});
    /// let t = qa_core::Turn::from_value(&v, 0).unwrap();
    /// assert_eq!(t.start, Some(1.5));
    /// let bad = serde_json::json!({"speaker": "agent"});
    /// let err = qa_core::Turn::from_value(&bad, 4).unwrap_err();
    /// assert_eq!(err.turn(), Some(4));
    /// assert_eq!(err.field(), Some("text"));
    /// ```
    pub fn from_value(value: &Value, index: usize) -> Result<Turn, TranscriptError> {
        let obj = value.as_object().ok_or_else(|| {
            TranscriptError::new(
                TranscriptErrorKind::WrongType,
                format!("turn {index} must be an object, found {}", type_name(value)),
            )
            .at_turn(index)
        })?;
        let speaker = required_string(obj, "speaker", index)?;
        let text = required_string(obj, "text", index)?;
        let start = optional_time(obj, "start", index)?;
        let end = optional_time(obj, "end", index)?;
        Ok(Turn {
            speaker,
            text,
            start,
            end,
        })
    }
}

/// The kind of a serde_json error while reading transcript JSON: `too_deep` for nesting past
/// serde_json's 128-level limit (only its message says so), else `syntax`.
pub(crate) fn json_error_kind(e: &serde_json::Error) -> TranscriptErrorKind {
    if e.to_string().starts_with("recursion limit exceeded") {
        TranscriptErrorKind::TooDeep
    } else {
        TranscriptErrorKind::Syntax
    }
}

impl Transcript {
    /// Parses and checks one transcript from JSON text.
    ///
    /// ```
    /// let t = qa_core::Transcript::from_json(
    ///     r#"{"id": "c1", "turns": [{"speaker": "客服", "text": "您好"}]}"#,
    /// ).unwrap();
    /// assert_eq!(t.turns.len(), 1);
    ///
    /// let err = qa_core::Transcript::from_json(r#"{"turns": [{"speaker": 3, "text": ""}]}"#)
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "turn 0: `speaker` must be a string, found a number");
    /// ```
    pub fn from_json(text: &str) -> Result<Transcript, TranscriptError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            TranscriptError::new(json_error_kind(&e), format!("invalid JSON: {e}"))
                .with_position(e.line(), e.column())
        })?;
        Transcript::from_value(value)
    }

    /// [`Transcript::from_json`] with `limits` checked while the text is read: the turn count,
    /// turn sizes, the total size and the meta sizes, with the same errors as
    /// [`Engine::try_score`](crate::Engine::try_score) gives, before the rest is in memory.
    ///
    /// ```
    /// let limits = qa_core::Limits { max_turns: 2, ..Default::default() };
    /// let text = r#"{"turns": [{"speaker": "a", "text": ""}, {"speaker": "a", "text": ""}, {"speaker": "a", "text": ""}]}"#;
    /// let err = qa_core::Transcript::from_json_with_limits(text, &limits).unwrap_err();
    /// assert_eq!(err.kind(), qa_core::TranscriptErrorKind::TooManyTurns);
    /// ```
    pub fn from_json_with_limits(
        text: &str,
        limits: &crate::Limits,
    ) -> Result<Transcript, TranscriptError> {
        json::read(text, limits)
    }

    /// Checks one transcript given as a JSON value.
    pub fn from_value(value: Value) -> Result<Transcript, TranscriptError> {
        let Value::Object(mut obj) = value else {
            return Err(TranscriptError::new(
                TranscriptErrorKind::WrongType,
                format!(
                    "a transcript must be a JSON object, found {}",
                    type_name(&value)
                ),
            ));
        };
        let turns = match obj.remove("turns") {
            None => {
                return Err(TranscriptError::new(
                    TranscriptErrorKind::MissingField,
                    "missing field `turns`".to_string(),
                )
                .with_field("turns"))
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Turn::from_value(v, i))
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => {
                return Err(TranscriptError::new(
                    TranscriptErrorKind::WrongType,
                    format!("`turns` must be an array, found {}", type_name(&other)),
                )
                .with_field("turns"))
            }
        };
        let SessionMeta {
            id,
            agent,
            channel,
            meta,
        } = SessionMeta::from_object(obj)?;
        Ok(Transcript {
            id,
            agent,
            channel,
            meta,
            turns,
        })
    }

    /// Whether any turn carries a `start` or `end` time.
    pub fn has_timestamps(&self) -> bool {
        self.turns
            .iter()
            .any(|t| t.start.is_some() || t.end.is_some())
    }
}

/// What a session echoes into its report (a transcript's `id`, `agent`, `channel`, `meta`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionMeta {
    /// Conversation id.
    pub id: Option<String>,
    /// Agent id.
    pub agent: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Free-form metadata.
    pub meta: Option<Map<String, Value>>,
}

impl SessionMeta {
    /// The meta fields of a transcript.
    pub fn of(t: &Transcript) -> SessionMeta {
        SessionMeta {
            id: t.id.clone(),
            agent: t.agent.clone(),
            channel: t.channel.clone(),
            meta: t.meta.clone(),
        }
    }

    /// Meta with just an id.
    pub fn with_id(id: impl Into<String>) -> SessionMeta {
        SessionMeta {
            id: Some(id.into()),
            ..SessionMeta::default()
        }
    }

    /// Reads `id`, `agent`, `channel` and `meta` from a JSON object, checked as a transcript's
    /// are (other keys are ignored): what every front end uses to start a session.
    ///
    /// ```
    /// let v = serde_json::json!({"id": 7, "agent": "A1", "meta": {"vip": true}});
    /// let m = qa_core::SessionMeta::from_value(&v).unwrap();
    /// assert_eq!(m.id.as_deref(), Some("7"));
    /// let bad = serde_json::json!({"channel": ["chat"]});
    /// assert_eq!(qa_core::SessionMeta::from_value(&bad).unwrap_err().field(), Some("channel"));
    /// ```
    pub fn from_value(value: &Value) -> Result<SessionMeta, TranscriptError> {
        match value {
            Value::Null => Ok(SessionMeta::default()),
            Value::Object(obj) => SessionMeta::from_map(obj),
            other => Err(TranscriptError::new(
                TranscriptErrorKind::WrongType,
                format!("session meta must be an object, found {}", type_name(other)),
            )),
        }
    }

    /// [`SessionMeta::from_value`] on the fields of a JSON object.
    pub fn from_map(obj: &Map<String, Value>) -> Result<SessionMeta, TranscriptError> {
        let mut picked = Map::new();
        for key in ["id", "agent", "channel", "meta"] {
            if let Some(v) = obj.get(key) {
                picked.insert(key.to_string(), v.clone());
            }
        }
        SessionMeta::from_object(picked)
    }

    fn from_object(mut obj: Map<String, Value>) -> Result<SessionMeta, TranscriptError> {
        let id = optional_label(&mut obj, "id")?;
        let agent = optional_label(&mut obj, "agent")?;
        let channel = optional_label(&mut obj, "channel")?;
        let meta = match obj.remove("meta") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                return Err(TranscriptError::new(
                    TranscriptErrorKind::WrongType,
                    format!("`meta` must be an object, found {}", type_name(&other)),
                )
                .with_field("meta"))
            }
        };
        Ok(SessionMeta {
            id,
            agent,
            channel,
            meta,
        })
    }
}

/// Checks `id`, `agent`, `channel` and `meta` against
/// [`Limits::max_meta_bytes`](crate::Limits::max_meta_bytes).
pub(crate) fn check_meta(
    labels: [&Option<String>; 3],
    meta: Option<&Map<String, Value>>,
    limits: &crate::Limits,
) -> Result<(), TranscriptError> {
    {
        let max = limits.max_meta_bytes;
        for (field, v) in ["id", "agent", "channel"].into_iter().zip(labels) {
            if let Some(v) = v.as_deref().filter(|v| v.len() > max) {
                return Err(TranscriptError::new(
                    TranscriptErrorKind::MetaTooLarge,
                    format!("`{field}` is {} bytes, over the limit of {max}", v.len()),
                )
                .with_field(field));
            }
        }
        if let Some(meta) = meta {
            // its JSON text, counted exactly, no further than the limit
            let mut counter = Counter { bytes: 0, max };
            if serde_json::to_writer(&mut counter, meta).is_err() {
                return Err(TranscriptError::new(
                    TranscriptErrorKind::MetaTooLarge,
                    format!("`meta` is over the limit of {max} bytes of JSON"),
                )
                .with_field("meta"));
            }
        }
        Ok(())
    }
}

/// Counts the bytes written to it, and fails past `max`.
struct Counter {
    bytes: usize,
    max: usize,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        if self.bytes > self.max {
            return Err(std::io::Error::other("over the limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn required_string(
    obj: &Map<String, Value>,
    field: &str,
    index: usize,
) -> Result<String, TranscriptError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(TranscriptError::new(
            TranscriptErrorKind::MissingField,
            format!("missing field `{field}`"),
        )
        .at_turn(index)
        .with_field(field)),
        Some(other) => Err(TranscriptError::new(
            TranscriptErrorKind::WrongType,
            format!("`{field}` must be a string, found {}", type_name(other)),
        )
        .at_turn(index)
        .with_field(field)),
    }
}

fn optional_time(
    obj: &Map<String, Value>,
    field: &str,
    index: usize,
) -> Result<Option<f64>, TranscriptError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(TranscriptError::new(
                TranscriptErrorKind::InvalidValue,
                format!("`{field}` must be a non-negative number of seconds, found {n}"),
            )
            .at_turn(index)
            .with_field(field)),
        },
        Some(other) => Err(TranscriptError::new(
            TranscriptErrorKind::WrongType,
            format!(
                "`{field}` must be a number of seconds, found {}",
                type_name(other)
            ),
        )
        .at_turn(index)
        .with_field(field)),
    }
}

/// `id`, `agent`, `channel`: strings; numbers are accepted and kept as their text.
fn optional_label(
    obj: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<String>, TranscriptError> {
    match obj.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(TranscriptError::new(
            TranscriptErrorKind::WrongType,
            format!("`{field}` must be a string, found {}", type_name(&other)),
        )
        .with_field(field)),
    }
}

/// One turn's text and speaker against `max_turn_bytes`.
pub(crate) fn check_turn(l: &Limits, turn: &Turn, index: usize) -> Result<(), TranscriptError> {
    use TranscriptErrorKind as TK;
    if turn.text.len() > l.max_turn_bytes {
        return Err(TranscriptError::new(
            TK::TurnTooLong,
            format!(
                "the text is {} bytes, over the limit of {}",
                turn.text.len(),
                l.max_turn_bytes
            ),
        )
        .at_turn(index)
        .with_field("text"));
    }
    if turn.speaker.len() > l.max_turn_bytes {
        return Err(TranscriptError::new(
            TK::TurnTooLong,
            "the speaker label is over the turn size limit".to_string(),
        )
        .at_turn(index)
        .with_field("speaker"));
    }
    Ok(())
}
