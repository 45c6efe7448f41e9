//! `qa watch`: live sessions for many interleaved conversations read as JSON Lines on stdin.
//!
//! A line is a turn, `{"conversation": "c1", "speaker": "agent", "text": "...", "start": 1.0}`
//! (`agent`, `channel` and `meta` may come with a conversation's first line), or a close,
//! `{"conversation": "c1", "end": true}`. Each finding the engine pushes is written at once as
//! `{"conversation": "c1", "finding": {...}}`, and each closed conversation's report as
//! `{"conversation": "c1", "report": {...}}`; every output line is flushed as it is written.
//! At the end of the input every conversation still open is closed, in order of first appearance.

use std::io::{self, Write};
use std::sync::Arc;

use indexmap::IndexMap;
use qa_core::{Engine, Finding, Report, Session, SessionMeta, Turn};
use serde_json::{Map, Value};

use crate::input::{self, Item, Record};
use crate::Status;

/// Runs `qa watch` on stdin until it ends.
pub fn run(engine: &Engine, alerts_only: bool) -> anyhow::Result<Status> {
    let mut watch = Watch {
        engine,
        alerts_only,
        sessions: IndexMap::new(),
        out: io::stdout(),
        bad: 0,
        error: None,
    };
    let file: Arc<str> = Arc::from("<stdin>");
    let stdin = io::stdin();
    input::read_lines(
        stdin.lock(),
        &file,
        input::DEFAULT_MAX_LINE_BYTES,
        &mut |record| watch.line(record),
        &mut |_| {},
    )?;
    let open: Vec<String> = watch.sessions.keys().cloned().collect();
    for id in open {
        watch.close(&id);
    }
    if let Some(e) = watch.error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Status::Ok);
        }
        return Err(e.into());
    }
    Ok(if watch.bad > 0 {
        Status::BadInput
    } else {
        Status::Ok
    })
}

struct Watch<'a> {
    engine: &'a Engine,
    alerts_only: bool,
    sessions: IndexMap<String, Session>,
    out: io::Stdout,
    bad: usize,
    /// The first write error; output stops after it.
    error: Option<io::Error>,
}

impl Watch<'_> {
    fn line(&mut self, record: Record) {
        if self.error.is_some() {
            return;
        }
        let result = match record.item {
            Item::Line(text) => self.handle(&text),
            Item::Bad(message) => Err(message),
            Item::Value(_) => Err("expected a JSON line".to_string()),
        };
        if let Err(message) = result {
            self.bad += 1;
            eprintln!("{}: {message}", record.location);
        }
    }

    fn handle(&mut self, text: &str) -> Result<(), String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let Value::Object(obj) = value else {
            return Err("a line must be a JSON object".to_string());
        };
        let id = match obj.get("conversation") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err("`conversation` must be a string".to_string()),
            None => return Err("missing field `conversation`".to_string()),
        };
        if obj.get("end") == Some(&Value::Bool(true)) {
            if obj.contains_key("speaker") || obj.contains_key("text") {
                return Err(
                    "a closing line (`\"end\": true`) carries no turn; send the turn first"
                        .to_string(),
                );
            }
            if !self.sessions.contains_key(&id) {
                return Err(format!("conversation `{id}` is not open"));
            }
            self.close(&id);
            return Ok(());
        }
        if !self.sessions.contains_key(&id) {
            let meta = session_meta(&id, &obj)?;
            self.sessions.insert(id.clone(), self.engine.session(meta));
        }
        let session = self.sessions.get_mut(&id).expect("just inserted");
        let index = session.turn_count();
        let turn =
            Turn::from_value(&Value::Object(obj), index).map_err(|e| format!("`{id}`: {e}"))?;
        let findings = session.try_push(turn).map_err(|e| format!("`{id}`: {e}"))?;
        for finding in findings {
            if !self.alerts_only || finding.alert {
                self.write_finding(&id, &finding);
            }
        }
        Ok(())
    }

    fn close(&mut self, id: &str) {
        if let Some(session) = self.sessions.shift_remove(id) {
            let report = session.finish();
            self.write_report(id, &report);
        }
    }

    fn write_finding(&mut self, id: &str, finding: &Finding) {
        self.write(id, "finding", finding);
    }

    fn write_report(&mut self, id: &str, report: &Report) {
        self.write(id, "report", report);
    }

    /// Writes `{"conversation": id, "<key>": value}` as one flushed line, keeping the value's
    /// own field order.
    fn write(&mut self, id: &str, key: &str, value: &impl serde::Serialize) {
        if self.error.is_some() {
            return;
        }
        let mut out = self.out.lock();
        let result = serde_json::to_string(id)
            .and_then(|id| Ok((id, serde_json::to_string(value)?)))
            .map_err(io::Error::from)
            .and_then(|(id, value)| writeln!(out, "{{\"conversation\":{id},\"{key}\":{value}}}"))
            .and_then(|_| out.flush());
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// The session's meta from a conversation's first line: `agent`, `channel`, `meta`.
fn session_meta(id: &str, obj: &Map<String, Value>) -> Result<SessionMeta, String> {
    let label = |field: &str| -> Result<Option<String>, String> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(format!("`{field}` must be a string")),
        }
    };
    let meta = match obj.get("meta") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err("`meta` must be an object".to_string()),
    };
    Ok(SessionMeta {
        id: Some(id.to_string()),
        agent: label("agent")?,
        channel: label("channel")?,
        meta,
    })
}
