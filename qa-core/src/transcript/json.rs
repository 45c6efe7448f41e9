//! Reading a transcript from JSON text with the limits checked while it is read: the turn count,
//! each turn's size and the total are checked turn by turn, so a body of a million turns is
//! refused after `max_turns + 1` of them instead of after all are in memory. Each turn is still
//! checked by [`Turn::from_value`], and any other problem (bad syntax, a wrong type at the top
//! level) is located by reading the text again the plain way, so the errors are exactly
//! [`Transcript::from_json`]'s.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{check_meta, check_turn, SessionMeta, Transcript, Turn};
use crate::error::{TranscriptError, TranscriptErrorKind};
use crate::limits::Limits;

/// [`Transcript::from_json`] with `limits` checked while reading (see the module docs).
pub(crate) fn read(text: &str, limits: &Limits) -> Result<Transcript, TranscriptError> {
    let fault = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let read = DeserializeSeed::deserialize(
        Top {
            limits,
            fault: &fault,
        },
        &mut de,
    )
    .and_then(|t| de.end().map(|()| t));
    match read {
        Ok(t) => {
            check_meta([&t.id, &t.agent, &t.channel], t.meta.as_ref(), limits)?;
            Ok(t)
        }
        Err(_) => match fault.into_inner() {
            Some(e) => Err(e),
            // not a limit: the plain reader names the problem
            None => Transcript::from_json(text),
        },
    }
}

/// Stops the read with `e` (kept aside: serde's error type cannot carry it).
fn stop<E: de::Error>(fault: &RefCell<Option<TranscriptError>>, e: TranscriptError) -> E {
    *fault.borrow_mut() = Some(e);
    E::custom("a limit or a bad turn")
}

struct Top<'a> {
    limits: &'a Limits,
    fault: &'a RefCell<Option<TranscriptError>>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Transcript;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Transcript, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Transcript;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transcript object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Transcript, A::Error> {
        let mut turns = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "turns" {
                turns = Some(map.next_value_seed(Turns {
                    limits: self.limits,
                    fault: self.fault,
                })?);
            } else if matches!(key.as_str(), "id" | "agent" | "channel" | "meta") {
                rest.insert(key, map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let Some(turns) = turns else {
            return Err(de::Error::custom("missing turns")); // the plain reader says it
        };
        let meta = SessionMeta::from_map(&rest).map_err(|e| stop(self.fault, e))?;
        Ok(Transcript {
            id: meta.id,
            agent: meta.agent,
            channel: meta.channel,
            meta: meta.meta,
            turns,
        })
    }
}

struct Turns<'a> {
    limits: &'a Limits,
    fault: &'a RefCell<Option<TranscriptError>>,
}

impl<'de> DeserializeSeed<'de> for Turns<'_> {
    type Value = Vec<Turn>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Turn>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Turns<'_> {
    type Value = Vec<Turn>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of turns")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Turn>, A::Error> {
        let l = self.limits;
        let mut turns = Vec::new();
        let mut total = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let i = turns.len();
            if i == l.max_turns {
                return Err(stop(
                    self.fault,
                    TranscriptError::new(
                        TranscriptErrorKind::TooManyTurns,
                        format!("the transcript has more than {} turns", l.max_turns),
                    )
                    .with_field("turns"),
                ));
            }
            let turn = Turn::from_value(&v, i).map_err(|e| stop(self.fault, e))?;
            check_turn(l, &turn, i).map_err(|e| stop(self.fault, e))?;
            total += turn.text.len() + turn.speaker.len();
            if total > l.max_transcript_bytes {
                return Err(stop(
                    self.fault,
                    TranscriptError::new(
                        TranscriptErrorKind::TranscriptTooLarge,
                        format!(
                            "the transcript holds more than {} bytes of text",
                            l.max_transcript_bytes
                        ),
                    )
                    .at_turn(i),
                ));
            }
            turns.push(turn);
        }
        Ok(turns)
    }
}
