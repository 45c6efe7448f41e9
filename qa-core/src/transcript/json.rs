//! Reading a transcript from JSON text with the limits checked while it is read: the turn count,
//! each turn's size and the total are checked turn by turn, so a body of a million turns is
//! refused after `max_turns + 1` of them instead of after all are in memory.
//!
//! Two readers, with the same limit checks in the same order:
//! - the fast one ([`Fast`]) deserializes straight into [`Turn`]s (no [`Value`] per turn, no
//!   copy of the text, keys matched without allocating); any problem other than a limit (bad
//!   syntax, a wrong type, a missing field, a negative time, a duplicate it cannot settle…)
//!   only makes it give up;
//! - the validating walker, run only on a text the fast reader gave up on, reads each turn as a
//!   [`Value`] checked by [`Turn::from_value`], and locates any other problem by reading the text
//!   again the plain way, so the errors are exactly [`Transcript::from_json`]'s.
//!
//! The fast reader accepts a text only when the walker would accept it with the same
//! transcript, and it stops at a limit only where the walker would (the walker's per-turn
//! checks run on a turn the fast reader also read whole): a limit error from it is the walker's.

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
    let fast = DeserializeSeed::deserialize(
        Fast {
            limits,
            fault: &fault,
        },
        &mut de,
    )
    .and_then(|t| de.end().map(|()| t));
    match fast {
        Ok(t) => {
            check_meta([&t.id, &t.agent, &t.channel], t.meta.as_ref(), limits)?;
            Ok(t)
        }
        Err(_) => match fault.into_inner() {
            // a limit, found where the walker finds it
            Some(e) => Err(e),
            // anything else: the walker names it
            None => walk(text, limits),
        },
    }
}

/// The validating walker (see the module docs).
fn walk(text: &str, limits: &Limits) -> Result<Transcript, TranscriptError> {
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
                return Err(stop(self.fault, too_many_turns(l)));
            }
            let turn = Turn::from_value(&v, i).map_err(|e| stop(self.fault, e))?;
            check_turn(l, &turn, i).map_err(|e| stop(self.fault, e))?;
            total += turn.text.len() + turn.speaker.len();
            if total > l.max_transcript_bytes {
                return Err(stop(self.fault, too_large(l, i)));
            }
            turns.push(turn);
        }
        Ok(turns)
    }
}

/// The keys of a transcript object the readers look at, matched without allocating.
enum TopKey {
    Turns,
    /// `id`, `agent`, `channel` or `meta`.
    Meta(&'static str),
    Other,
}

impl<'de> de::Deserialize<'de> for TopKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<TopKey, D::Error> {
        struct Keys;
        impl Visitor<'_> for Keys {
            type Value = TopKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
                Ok(match key {
                    "turns" => TopKey::Turns,
                    "id" => TopKey::Meta("id"),
                    "agent" => TopKey::Meta("agent"),
                    "channel" => TopKey::Meta("channel"),
                    "meta" => TopKey::Meta("meta"),
                    _ => TopKey::Other,
                })
            }
        }
        d.deserialize_str(Keys)
    }
}

/// The fast reader of a transcript object (see the module docs): the walker's [`Top`] with
/// typed turns; it keeps the walker's handling of repeated keys (the last one counts, and every
/// `turns` array is read with the limits checked).
struct Fast<'a> {
    limits: &'a Limits,
    fault: &'a RefCell<Option<TranscriptError>>,
}

impl<'de> DeserializeSeed<'de> for Fast<'_> {
    type Value = Transcript;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Transcript, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fast<'_> {
    type Value = Transcript;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transcript object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Transcript, A::Error> {
        let mut turns = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<TopKey>()? {
            match key {
                TopKey::Turns => {
                    turns = Some(map.next_value_seed(FastTurns {
                        limits: self.limits,
                        fault: self.fault,
                    })?);
                }
                TopKey::Meta(key) => {
                    rest.insert(key.to_string(), map.next_value::<Value>()?);
                }
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(turns) = turns else {
            return Err(de::Error::custom("missing turns"));
        };
        // a problem here is named by the walker
        let meta = SessionMeta::from_object(rest).map_err(|_| de::Error::custom("bad meta"))?;
        Ok(Transcript {
            id: meta.id,
            agent: meta.agent,
            channel: meta.channel,
            meta: meta.meta,
            turns,
        })
    }
}

/// The `turns` array for [`Fast`]: [`Turns`] with each turn deserialized as a [`FastTurn`].
struct FastTurns<'a> {
    limits: &'a Limits,
    fault: &'a RefCell<Option<TranscriptError>>,
}

impl<'de> DeserializeSeed<'de> for FastTurns<'_> {
    type Value = Vec<Turn>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Turn>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FastTurns<'_> {
    type Value = Vec<Turn>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of turns")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Turn>, A::Error> {
        let l = self.limits;
        let mut turns = Vec::new();
        let mut total = 0usize;
        while let Some(FastTurn(turn)) = seq.next_element::<FastTurn>()? {
            // the walker's checks, in its order, on a turn it would have read the same
            let i = turns.len();
            if i == l.max_turns {
                return Err(stop(self.fault, too_many_turns(l)));
            }
            check_turn(l, &turn, i).map_err(|e| stop(self.fault, e))?;
            total += turn.text.len() + turn.speaker.len();
            if total > l.max_transcript_bytes {
                return Err(stop(self.fault, too_large(l, i)));
            }
            turns.push(turn);
        }
        Ok(turns)
    }
}

/// One turn read straight from JSON: what [`Turn::from_value`] would make of it, or an error
/// (without its message: the walker gives that) wherever [`Turn::from_value`] might object.
struct FastTurn(Turn);

/// The keys of a turn object.
enum TurnKey {
    Speaker,
    Text,
    Start,
    End,
    Other,
}

impl<'de> de::Deserialize<'de> for TurnKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<TurnKey, D::Error> {
        struct Keys;
        impl Visitor<'_> for Keys {
            type Value = TurnKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<TurnKey, E> {
                Ok(match key {
                    "speaker" => TurnKey::Speaker,
                    "text" => TurnKey::Text,
                    "start" => TurnKey::Start,
                    "end" => TurnKey::End,
                    _ => TurnKey::Other,
                })
            }
        }
        d.deserialize_str(Keys)
    }
}

impl<'de> de::Deserialize<'de> for FastTurn {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<FastTurn, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = FastTurn;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a turn object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FastTurn, A::Error> {
                let (mut speaker, mut text, mut start, mut end) = (None, None, None, None);
                // a repeated key: the last one counts, as in a `Value`'s map
                while let Some(key) = map.next_key::<TurnKey>()? {
                    match key {
                        TurnKey::Speaker => speaker = Some(map.next_value::<String>()?),
                        TurnKey::Text => text = Some(map.next_value::<String>()?),
                        TurnKey::Start => start = map.next_value::<Option<f64>>()?,
                        TurnKey::End => end = map.next_value::<Option<f64>>()?,
                        // read as a `Value`, not skipped: serde_json's nesting limit then
                        // refuses a deep value here (`too_deep`, named by the walker), as the
                        // walker, which reads each turn as a `Value`, does
                        TurnKey::Other => {
                            map.next_value::<Value>()?;
                        }
                    }
                }
                let (Some(speaker), Some(text)) = (speaker, text) else {
                    return Err(de::Error::custom("missing field"));
                };
                // `optional_time`'s check
                let seconds = |t: Option<f64>| t.is_none_or(|x| x.is_finite() && x >= 0.0);
                if !(seconds(start) && seconds(end)) {
                    return Err(de::Error::custom("bad time"));
                }
                Ok(FastTurn(Turn {
                    speaker,
                    text,
                    start,
                    end,
                }))
            }
        }
        d.deserialize_map(Fields)
    }
}

fn too_many_turns(l: &Limits) -> TranscriptError {
    TranscriptError::new(
        TranscriptErrorKind::TooManyTurns,
        format!("the transcript has more than {} turns", l.max_turns),
    )
    .with_field("turns")
}

fn too_large(l: &Limits, i: usize) -> TranscriptError {
    TranscriptError::new(
        TranscriptErrorKind::TranscriptTooLarge,
        format!(
            "the transcript holds more than {} bytes of text",
            l.max_transcript_bytes
        ),
    )
    .at_turn(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the fast reader takes `text` by itself (no walker).
    fn fast(text: &str, limits: &Limits) -> Option<Result<Transcript, TranscriptError>> {
        let fault = RefCell::new(None);
        let mut de = serde_json::Deserializer::from_str(text);
        let read = DeserializeSeed::deserialize(
            Fast {
                limits,
                fault: &fault,
            },
            &mut de,
        )
        .and_then(|t| de.end().map(|()| t));
        match (read, fault.into_inner()) {
            (Ok(t), _) => Some(Ok(t)),
            (Err(_), Some(e)) => Some(Err(e)),
            (Err(_), None) => None,
        }
    }

    fn tight() -> Limits {
        Limits {
            max_turns: 3,
            max_turn_bytes: 12,
            max_transcript_bytes: 30,
            max_meta_bytes: 24,
            ..Limits::default()
        }
    }

    /// The fast reader with the walker behind it gives what the walker alone gives, for both
    /// limits; `taken` says whether the fast reader settles it by itself.
    fn same(text: &str, taken: bool) {
        for limits in [Limits::default(), tight()] {
            assert_eq!(read(text, &limits), walk(text, &limits), "{text}");
        }
        assert_eq!(fast(text, &Limits::default()).is_some(), taken, "{text}");
    }

    #[test]
    fn the_fast_reader_takes_plain_transcripts_as_the_walker_reads_them() {
        for text in [
            r#"{"turns": []}"#,
            r#"{"id": "c1", "agent": 7, "channel": null, "turns": [{"speaker": "客服", "text": "您好"}]}"#,
            r#"{"turns": [{"speaker": "顧客", "text": "ＡＢＣ😀", "start": 0, "end": 1.5e0}]}"#,
            r#"{"turns": [{"speaker": "a", "text": "", "start": null, "end": -0.0}]}"#,
            r#"{"turns": [{"speaker": "a", "text": "x\ny\u00e9\"\\", "extra": [1, {"b": 2}]}]}"#,
            r#"{"tu\u0072ns": [{"spe\u0061ker": "a", "text": "b"}], "other": {"x": [null]}}"#,
            r#"{"turns": [{"speaker": "a", "text": "1", "text": "2", "start": 1, "start": null}]}"#,
            r#"{"turns": [{"speaker": "a", "text": "1"}], "turns": [], "id": 1, "id": "2"}"#,
            r#"{"meta": {"vip": true, "tags": ["a"]}, "turns": [{"speaker": "a", "text": "hi"}]}"#,
            "  {\"turns\": [{\"speaker\": \"a\", \"text\": \"b\"}]}\n",
        ] {
            same(text, true);
        }
    }

    #[test]
    fn a_limit_stops_both_readers_at_the_same_turn() {
        let limits = tight();
        for (text, kind) in [
            (
                r#"{"turns": [{"speaker": "a", "text": ""}, {"speaker": "a", "text": ""}, {"speaker": "a", "text": ""}, {"speaker": "a", "text": ""}, {"bad": 1}"#,
                TranscriptErrorKind::TooManyTurns,
            ),
            (
                r#"{"turns": [{"speaker": "a", "text": "0123456789abc"}, 3]}"#,
                TranscriptErrorKind::TurnTooLong,
            ),
            (
                r#"{"turns": [{"speaker": "a", "text": "0123456789a"}, {"speaker": "a", "text": "0123456789a"}, {"speaker": "a", "text": "0123456789a"}]}"#,
                TranscriptErrorKind::TranscriptTooLarge,
            ),
            (
                r#"{"meta": {"k": "a long value, longer than 24"}, "turns": []}"#,
                TranscriptErrorKind::MetaTooLarge,
            ),
        ] {
            let err = read(text, &limits).unwrap_err();
            assert_eq!(err.kind(), kind, "{text}");
            assert_eq!(Err(err), walk(text, &limits), "{text}");
        }
        // the fast reader settled the turn limits itself (the broken rest was never read)
        assert!(fast(
            r#"{"turns": [{"speaker": "a", "text": "0123456789abc"}, 3]}"#,
            &limits
        )
        .is_some_and(|r| r.is_err()));
    }

    #[test]
    fn anything_else_is_left_to_the_walker_and_named_as_it_names_it() {
        for text in [
            "",
            "[]",
            "{",
            r#"{"turns": {}}"#,
            r#"{"id": "x"}"#,
            r#"{"turns": [{"speaker": 3, "text": ""}]}"#,
            r#"{"turns": [{"speaker": "a"}]}"#,
            r#"{"turns": [{"text": "a"}]}"#,
            r#"{"turns": ["a"]}"#,
            r#"{"turns": [{"speaker": "a", "text": "", "start": -1}]}"#,
            r#"{"turns": [{"speaker": "a", "text": "", "end": "2"}]}"#,
            r#"{"turns": [{"speaker": "a", "text": "", "start": 1e999}]}"#,
            r#"{"turns": [{"speaker": 1, "speaker": "a", "text": ""}]}"#,
            r#"{"turns": [], "meta": [1]}"#,
            r#"{"turns": [], "agent": {"a": 1}}"#,
            r#"{"turns": [{"speaker": "a", "text": "😀"}]} x"#,
            r#"{"turns": [{"speaker": "a", "text": "\ud800"}]}"#,
            &format!(r#"{{"turns": [], "meta": {}}}"#, "[".repeat(200)),
            // nesting past serde_json's limit under a turn's unknown key: too_deep, in turn 0
            &format!(
                r#"{{"turns": [{{"speaker": "a", "text": "", "extra": {}1{}}}]}}"#,
                "[".repeat(200),
                "]".repeat(200)
            ),
        ] {
            same(text, false);
        }
    }
}
