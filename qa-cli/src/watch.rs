//! `qa watch`: live sessions for many interleaved conversations read as JSON Lines on stdin.
//!
//! A line is a turn, `{"conversation": "c1", "speaker": "agent", "text": "...", "start": 1.0}`
//! (`agent`, `channel` and `meta` may come with a conversation's first line), or a close,
//! `{"conversation": "c1", "end": true}`. Each finding the engine pushes is written at once as
//! `{"conversation": "c1", "finding": {...}}`, and each closed conversation's report as
//! `{"conversation": "c1", "report": {...}}`; every output line is flushed as it is written.
//! At the end of the input every conversation still open is closed, in order of first appearance.
//!
//! Open conversations are bounded (`--max-open`, `--max-open-bytes`, `--idle-lines`): past a
//! bound the least recently active conversation is closed with its report and a note on stderr.
//! Closing one is O(log n). Reading stops when stdout is closed.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::Arc;

use qa_core::{Engine, Finding, Report, Session, SessionMeta, Turn};
use serde_json::{Map, Value};

use crate::input::{self, Item, Record};
use crate::{sink, Status};

/// Default `--max-open`: conversations open at once.
pub const DEFAULT_MAX_OPEN: usize = 10_000;
/// Default `--max-open-bytes`: input bytes of the turns of all open conversations.
pub const DEFAULT_MAX_OPEN_BYTES: usize = 1 << 30;
/// Default `--idle-lines`: input lines after which a conversation without one of its own is
/// closed.
pub const DEFAULT_IDLE_LINES: u64 = 1_000_000;

/// The bounds on open conversations; the least recently active one is closed, with its
/// report, to stay within them.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Conversations open at once.
    pub max_open: usize,
    /// Input bytes of the turns of the open conversations, together.
    pub max_open_bytes: usize,
    /// Input lines a conversation may go without one of its own (0: never closed for that).
    pub idle_lines: u64,
}

/// Runs `qa watch` on stdin until it ends, or until stdout is closed.
pub fn run(engine: &Engine, alerts_only: bool, bounds: Bounds) -> anyhow::Result<Status> {
    if bounds.max_open == 0 || bounds.max_open_bytes == 0 {
        anyhow::bail!("--max-open and --max-open-bytes must be at least 1");
    }
    sink::exit_on_interrupt()?;
    let mut watch = Watch {
        engine,
        alerts_only,
        bounds,
        sessions: HashMap::new(),
        by_activity: BTreeMap::new(),
        open_bytes: 0,
        bad: 0,
        error: None,
    };
    let file: Arc<str> = Arc::from("<stdin>");
    let stdin = io::stdin();
    let _ = input::read_lines(
        stdin.lock(),
        &file,
        input::DEFAULT_MAX_LINE_BYTES,
        &mut |record| watch.line(record),
        &mut |_| {},
    );
    // what is still open, in order of first appearance
    let mut open: Vec<(u64, Rc<str>)> = watch
        .sessions
        .iter()
        .map(|(id, o)| (o.first, id.clone()))
        .collect();
    open.sort_unstable();
    for (_, id) in open {
        watch.close(&id);
    }
    if let Some(e) = watch.error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            // the reader of our output is gone: stop quietly
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

/// An open conversation.
struct Open {
    session: Session,
    /// The input line that opened it.
    first: u64,
    /// The input line of its latest turn: its key in `by_activity`.
    last: u64,
    /// Input bytes of its turns.
    bytes: usize,
}

struct Watch<'a> {
    engine: &'a Engine,
    alerts_only: bool,
    bounds: Bounds,
    sessions: HashMap<Rc<str>, Open>,
    /// Open conversations by the input line of their latest turn, least recent first.
    by_activity: BTreeMap<u64, Rc<str>>,
    /// Input bytes of the turns of every open conversation.
    open_bytes: usize,
    bad: usize,
    /// The first write error; reading stops after it.
    error: Option<io::Error>,
}

/// Why a conversation was closed before its `"end": true`.
#[derive(Debug, Clone, Copy)]
enum Eviction {
    MaxOpen,
    MaxOpenBytes,
    Idle,
}

impl Watch<'_> {
    fn line(&mut self, record: Record) -> ControlFlow<()> {
        let now = record.location.line as u64;
        let size = record.bytes();
        let result = match record.item {
            Item::Line(text) => self.handle(&text, now, size),
            Item::Bad(message) => Err(message),
            Item::Value(..) => Err("expected a JSON line".to_string()),
        };
        if let Err(message) = result {
            self.bad += 1;
            eprintln!("{}: {message}", record.location);
        }
        self.close_idle(now);
        if self.error.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn handle(&mut self, text: &str, now: u64, size: usize) -> Result<(), String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let Value::Object(obj) = value else {
            return Err("a line must be a JSON object".to_string());
        };
        let id: Rc<str> = match obj.get("conversation") {
            Some(Value::String(s)) => Rc::from(s.as_str()),
            Some(Value::Number(n)) => Rc::from(n.to_string()),
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
        let meta = if self.sessions.contains_key(&id) {
            None
        } else {
            Some(session_meta(&id, &obj)?)
        };
        let value = Value::Object(obj);
        let findings = match meta {
            // a new conversation opens only once its first turn is accepted
            Some(meta) => {
                let mut session = self.engine.session(meta);
                let turn = Turn::from_value(&value, 0).map_err(|e| format!("`{id}`: {e}"))?;
                let findings = session.try_push(turn).map_err(|e| format!("`{id}`: {e}"))?;
                self.make_room(size);
                self.sessions.insert(
                    id.clone(),
                    Open {
                        session,
                        first: now,
                        last: now,
                        bytes: size,
                    },
                );
                self.by_activity.insert(now, id.clone());
                self.open_bytes += size;
                findings
            }
            None => {
                let open = self.sessions.get_mut(&id).expect("open");
                let index = open.session.turn_count();
                let turn = Turn::from_value(&value, index).map_err(|e| format!("`{id}`: {e}"))?;
                let findings = open
                    .session
                    .try_push(turn)
                    .map_err(|e| format!("`{id}`: {e}"))?;
                self.by_activity.remove(&open.last);
                open.last = now;
                open.bytes += size;
                self.by_activity.insert(now, id.clone());
                self.open_bytes += size;
                if self.open_bytes > self.bounds.max_open_bytes {
                    self.evict_for_bytes(0, Some(&id));
                }
                findings
            }
        };
        for finding in findings {
            if !self.alerts_only || finding.alert {
                self.write_finding(&id, &finding);
            }
        }
        Ok(())
    }

    /// Closes the least recently active conversations until one more of `size` bytes fits.
    fn make_room(&mut self, size: usize) {
        while self.sessions.len() >= self.bounds.max_open {
            let Some((_, id)) = self.by_activity.first_key_value() else {
                break;
            };
            let id = id.clone();
            self.evict(&id, Eviction::MaxOpen);
        }
        self.evict_for_bytes(size, None);
    }

    /// Closes the least recently active conversations (never `keep`) until `extra` more bytes
    /// fit within `--max-open-bytes`.
    fn evict_for_bytes(&mut self, extra: usize, keep: Option<&str>) {
        while self.open_bytes + extra > self.bounds.max_open_bytes {
            let victim = self
                .by_activity
                .values()
                .find(|id| Some(&***id) != keep)
                .cloned();
            match victim {
                Some(id) => self.evict(&id, Eviction::MaxOpenBytes),
                None => break,
            }
        }
    }

    /// Closes the conversations that had no line of their own in the last `--idle-lines`.
    fn close_idle(&mut self, now: u64) {
        let idle = self.bounds.idle_lines;
        if idle == 0 {
            return;
        }
        while let Some((&last, id)) = self.by_activity.first_key_value() {
            if now - last < idle {
                break;
            }
            let id = id.clone();
            self.evict(&id, Eviction::Idle);
        }
    }

    /// Closes a conversation before its end, with its report and a note on stderr.
    fn evict(&mut self, id: &str, why: Eviction) {
        let b = self.bounds;
        let reason = match why {
            Eviction::MaxOpen => format!(
                "{} conversations are open, the most allowed (--max-open {})",
                self.sessions.len(),
                b.max_open
            ),
            Eviction::MaxOpenBytes => format!(
                "the open conversations hold {} bytes of turns, the most allowed \
                 (--max-open-bytes {})",
                self.open_bytes, b.max_open_bytes
            ),
            Eviction::Idle => format!(
                "no line of it in the last {} lines (--idle-lines {})",
                b.idle_lines, b.idle_lines
            ),
        };
        eprintln!(
            "qa watch: closed conversation `{id}`, the least recently active: {reason}; a later \
             line of it starts it afresh"
        );
        self.close(id);
    }

    fn close(&mut self, id: &str) {
        if let Some(open) = self.sessions.remove(id) {
            self.by_activity.remove(&open.last);
            self.open_bytes -= open.bytes;
            let report = open.session.finish();
            self.write_report(id, &report);
        }
    }

    fn write_finding(&mut self, id: &str, finding: &Finding) {
        self.write(id, "finding", finding);
    }

    fn write_report(&mut self, id: &str, report: &Report) {
        self.write(id, "report", report);
    }

    /// Writes `{"conversation": id, "<key>": value}` as one flushed line (one write, under the
    /// output's lock: SIGINT never cuts it), keeping the value's own field order.
    fn write(&mut self, id: &str, key: &str, value: &impl serde::Serialize) {
        if self.error.is_some() {
            return;
        }
        let result = serde_json::to_string(id)
            .and_then(|id| Ok((id, serde_json::to_string(value)?)))
            .map_err(io::Error::from)
            .and_then(|(id, value)| {
                let line = format!("{{\"conversation\":{id},\"{key}\":{value}}}\n");
                sink::write_flush(line.as_bytes())
            });
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// The session's meta from a conversation's first line: `agent`, `channel`, `meta`.
/// The meta of a new conversation: its id, and `agent`, `channel`, `meta` of its first line,
/// read and checked by the core as a transcript's are.
fn session_meta(id: &str, obj: &Map<String, Value>) -> Result<SessionMeta, String> {
    let mut meta = SessionMeta::from_map(obj).map_err(|e| e.to_string())?;
    meta.id = Some(id.to_string());
    Ok(meta)
}
