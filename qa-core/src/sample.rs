//! Sampling: how often each phrase of a rubric matches in real conversations, and which of its
//! matches the engine would drop, so a rubric's author sees phrases that never occur and phrases
//! that match everywhere (`qa check --sample`).
//!
//! A phrase is counted where a rule uses it — a phrase of a list used by two rules is two
//! [`SampledPhrase`]s — because the rule decides how it matches: its role, `negation`, `word`
//! and `except`. Matching is the engine's own: the same normalization (strip regions, skipped
//! and invisible characters, full-width, case, 繁體), the same overlapping phrase search, the
//! same negation words and word boundaries, and the rule's compiled `except`. Windows, `only_if`
//! and the other items of a `near` or `all` are not applied: a phrase is counted wherever it
//! matches in a turn of its role (`qa explain` says why a rule fired or not).

use serde::Serialize;

use crate::engine::Engine;
use crate::error::TranscriptError;
use crate::matcher::{Hit, PhraseScan, TurnScratch};
use crate::model::MatchExpr;
use crate::options::{Negation, Role};
use crate::rules::RuleSpec;
use crate::transcript::Transcript;

/// The part of a rule a phrase is in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhrasePart {
    /// The rule's `match` (`forbid`, `require`).
    Match,
    /// A `respond` rule's trigger.
    When,
    /// A `respond` rule's answer.
    Expect,
    /// The rule's `except`.
    Except,
    /// The rule's `only_if` condition.
    OnlyIf,
}

impl PhrasePart {
    /// The part's key in a rubric.
    pub fn as_str(self) -> &'static str {
        match self {
            PhrasePart::Match => "match",
            PhrasePart::When => "when",
            PhrasePart::Expect => "expect",
            PhrasePart::Except => "except",
            PhrasePart::OnlyIf => "only_if",
        }
    }
}

/// A phrase where a rule uses it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampledPhrase {
    /// The rule's id.
    pub rule: String,
    /// Where in the rule.
    pub part: PhrasePart,
    /// The role of the turns where it is looked for.
    pub role: Role,
    /// The phrase as written.
    pub phrase: String,
    /// The list it comes from (`@name` without the `@`), if any.
    pub list: Option<String>,
    /// Inside `near`, `all` or `not`: a match of the phrase alone is not a match of the rule.
    pub constrained: bool,
    /// 1-based (line, column) of the phrase in the rubric source, if known.
    #[serde(skip)]
    pub position: Option<(usize, usize)>,
}

/// Why the engine does not count a phrase's match as a match of its rule.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// In a turn of a role the phrase is not looked for in.
    Role,
    /// `word: true`, and the match does not start and end on word boundaries.
    WordBoundary,
    /// `negation: skip`, and a negation word comes before it in its clause.
    Negation,
    /// It overlaps a match of the rule's `except`.
    Except,
}

/// One match of a sampled phrase.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhraseHit {
    /// Index into [`PhraseSampler::phrases`].
    pub phrase: usize,
    /// The turn's index.
    pub turn: usize,
    /// Character offsets in the turn's original text, end exclusive (as in findings).
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// `None`: a real match; else the first reason (in the order of [`Dropped`]) it is dropped.
    pub dropped: Option<Dropped>,
}

/// How a sampled phrase is matched.
#[derive(Debug, Clone, Copy)]
struct Use {
    rule: usize,
    negation: bool,
    word: bool,
    except: bool,
}

/// Finds every match of every phrase of a rubric in transcripts, as its engine matches them.
///
/// ```
/// use qa_core::{Dropped, Engine, PhraseSampler, Rubric, Transcript, Turn};
///
/// let rubric = Rubric::from_yaml(r#"
/// rubric: r
/// lists: {complaint: [投诉, 曝光]}
/// rules:
///   - {id: complaint, kind: forbid, role: customer, match: ["@complaint"], negation: skip}
/// "#).unwrap();
/// let sampler = PhraseSampler::new(&Engine::new(rubric).unwrap());
/// assert_eq!(sampler.phrases()[0].phrase, "投诉");
/// let t = Transcript {
///     turns: vec![
///         Turn::new("customer", "我要投訴，不是投诉你"),
///         Turn::new("agent", "请不要投诉"),
///     ],
///     ..Default::default()
/// };
/// let hits = sampler.hits(&t);
/// let found: Vec<_> = hits.iter().map(|h| (h.turn, h.start, h.dropped)).collect();
/// assert_eq!(
///     found,
///     [(0, 2, None), (0, 7, Some(Dropped::Negation)), (1, 3, Some(Dropped::Role))]
/// );
/// ```
#[derive(Debug)]
pub struct PhraseSampler {
    engine: Engine,
    phrases: Vec<SampledPhrase>,
    uses: Vec<Use>,
    scan: PhraseScan,
}

impl PhraseSampler {
    /// Collects the phrases of every rule of the engine's rubric, in rubric order.
    pub fn new(engine: &Engine) -> PhraseSampler {
        let rubric = engine.rubric();
        let mut phrases = Vec::new();
        let mut uses = Vec::new();
        // (rule, part, list, phrase): a phrase written twice in one part is sampled once
        let mut seen = std::collections::HashSet::new();
        for (index, rule) in rubric.rules().iter().enumerate() {
            let negation = rule.negation() == Negation::Skip;
            let word = rule.word();
            let has_except = !rule.except().is_empty();
            let mut parts: Vec<(PhrasePart, Role, &MatchExpr, Use)> = Vec::new();
            let matched = Use {
                rule: index,
                negation,
                word,
                except: has_except,
            };
            match rule.spec() {
                RuleSpec::Respond(r) => {
                    parts.push((
                        PhrasePart::When,
                        r.when().role(),
                        r.when().matcher(),
                        matched,
                    ));
                    parts.push((
                        PhrasePart::Expect,
                        r.expect().role(),
                        r.expect().matcher(),
                        matched,
                    ));
                }
                spec => {
                    for e in spec.exprs() {
                        parts.push((PhrasePart::Match, rule.role(), e, matched));
                    }
                }
            }
            // `except` is matched without negation or word boundaries, on the turns the rule
            // looks at (both sides of a `respond`)
            let except_role = match rule.spec() {
                RuleSpec::Respond(_) => Role::Any,
                _ => rule.role(),
            };
            let plain = Use {
                rule: index,
                negation: false,
                word: false,
                except: false,
            };
            for e in rule.except() {
                parts.push((PhrasePart::Except, except_role, e, plain));
            }
            if let Some(side) = rule.only_if() {
                let condition = Use {
                    except: false,
                    ..matched
                };
                parts.push((PhrasePart::OnlyIf, side.role(), side.matcher(), condition));
            }
            for (part, role, expr, how) in parts {
                for w in rubric.phrases_in(expr) {
                    if !seen.insert((index, part, w.list, w.phrase.as_str())) {
                        continue;
                    }
                    phrases.push(SampledPhrase {
                        rule: rule.id().to_string(),
                        part,
                        role,
                        phrase: w.phrase.as_str().to_string(),
                        list: w.list.map(str::to_string),
                        constrained: w.constrained,
                        position: w.phrase.position(),
                    });
                    uses.push(how);
                }
            }
        }
        let scan = PhraseScan::new(
            &engine.inner.matcher,
            phrases.iter().map(|p| p.phrase.as_str()),
        );
        PhraseSampler {
            engine: engine.clone(),
            phrases,
            uses,
            scan,
        }
    }

    /// The phrases, one per rule, part and list that uses it.
    pub fn phrases(&self) -> &[SampledPhrase] {
        &self.phrases
    }

    /// Every match of every phrase in the transcript, by turn and position. Size limits are not
    /// applied (see [`PhraseSampler::try_hits`]).
    pub fn hits(&self, transcript: &Transcript) -> Vec<PhraseHit> {
        let compiled = &self.engine.inner;
        let matcher = &compiled.matcher;
        let speakers = compiled.rubric.speakers();
        let mut scratch = TurnScratch::default();
        let mut found = Vec::new();
        let mut excepted: Vec<Option<Vec<Hit>>> = vec![None; compiled.rubric.rules().len()];
        let mut out = Vec::new();
        for (index, turn) in transcript.turns.iter().enumerate() {
            matcher.scan(&turn.text, &mut scratch);
            self.scan.find(&scratch, &mut found);
            if found.is_empty() {
                continue;
            }
            let role = speakers.role_of(&turn.speaker);
            excepted.iter_mut().for_each(|e| *e = None);
            let first = out.len();
            for &(p, hit) in &found {
                let phrase = &self.phrases[p as usize];
                let how = self.uses[p as usize];
                let dropped = if !phrase.role.covers(role) {
                    Some(Dropped::Role)
                } else if how.word && !scratch.word_bounded(hit) {
                    Some(Dropped::WordBoundary)
                } else if how.negation && matcher.negated(&scratch, hit) {
                    Some(Dropped::Negation)
                } else if how.except && {
                    let spans = excepted[how.rule].get_or_insert_with(|| {
                        let mut spans = Vec::new();
                        if let Some(ex) = compiled.rules.except(how.rule) {
                            matcher.eval_unmerged(ex, &mut scratch, &mut spans);
                        }
                        spans
                    });
                    spans.iter().any(|e| e.overlaps(hit))
                } {
                    Some(Dropped::Except)
                } else {
                    None
                };
                let range = scratch.original_range(hit);
                out.push(PhraseHit {
                    phrase: p as usize,
                    turn: index,
                    start: range.start,
                    end: range.end,
                    dropped,
                });
            }
            // byte offsets to character offsets, in one pass over the turn
            let hits = &mut out[first..];
            hits.sort_by_key(|h| (h.start, h.end, h.phrase));
            let mut bytes: Vec<usize> = hits.iter().flat_map(|h| [h.start, h.end]).collect();
            bytes.sort_unstable();
            bytes.dedup();
            let chars = char_offsets(&turn.text, &bytes);
            let to_chars = |b: usize| bytes.binary_search(&b).map_or(0, |i| chars[i]);
            for h in hits.iter_mut() {
                h.start = to_chars(h.start);
                h.end = to_chars(h.end);
            }
        }
        out
    }

    /// [`PhraseSampler::hits`] after checking the transcript against the engine's limits.
    pub fn try_hits(&self, transcript: &Transcript) -> Result<Vec<PhraseHit>, TranscriptError> {
        self.engine.inner.check_transcript(transcript)?;
        Ok(self.hits(transcript))
    }
}

/// The character offsets of the byte offsets `bytes` (ascending, on character boundaries).
fn char_offsets(text: &str, bytes: &[usize]) -> Vec<usize> {
    let (mut byte, mut chars) = (0, 0);
    bytes
        .iter()
        .map(|&b| {
            chars += text[byte..b].chars().count();
            byte = b;
            chars
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rubric, Turn};

    fn sampler(yaml: &str) -> PhraseSampler {
        PhraseSampler::new(&Engine::new(Rubric::from_yaml(yaml).unwrap()).unwrap())
    }

    fn transcript(turns: &[(&str, &str)]) -> Transcript {
        Transcript {
            turns: turns.iter().map(|(s, t)| Turn::new(*s, *t)).collect(),
            ..Default::default()
        }
    }

    /// (phrase text, turn, start, end, dropped) of every hit.
    fn found(
        s: &PhraseSampler,
        t: &Transcript,
    ) -> Vec<(String, usize, usize, usize, Option<Dropped>)> {
        s.hits(t)
            .into_iter()
            .map(|h| {
                let p = &s.phrases()[h.phrase];
                (p.phrase.clone(), h.turn, h.start, h.end, h.dropped)
            })
            .collect()
    }

    #[test]
    fn phrases_by_rule_part_and_list() {
        let s = sampler(
            r#"
rubric: r
lists: {angry: [投诉, 垃圾]}
rules:
  - id: a
    kind: forbid
    match: ["@angry", {near: [退款, 不行], within: 4}, {regex: '\d+'}]
    except: [垃圾短信]
    only_if: {role: customer, match: [退款]}
  - id: b
    kind: respond
    when: {match: ["@angry"]}
    expect: {match: [抱歉]}
"#,
        );
        let got: Vec<_> = s
            .phrases()
            .iter()
            .map(|p| {
                (
                    p.rule.as_str(),
                    p.part.as_str(),
                    p.role.as_str(),
                    p.phrase.as_str(),
                    p.list.as_deref(),
                    p.constrained,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", "match", "agent", "投诉", Some("angry"), false),
                ("a", "match", "agent", "垃圾", Some("angry"), false),
                ("a", "match", "agent", "退款", None, true),
                ("a", "match", "agent", "不行", None, true),
                ("a", "except", "agent", "垃圾短信", None, false),
                ("a", "only_if", "customer", "退款", None, false),
                ("b", "when", "customer", "投诉", Some("angry"), false),
                ("b", "when", "customer", "垃圾", Some("angry"), false),
                ("b", "expect", "agent", "抱歉", None, false),
            ]
        );
        assert!(s.phrases()[0].position.is_some());
    }

    #[test]
    fn drops_as_the_engine_does() {
        let s = sampler(
            r#"
rubric: r
rules:
  - {id: spam, kind: forbid, match: [垃圾], except: [垃圾短信], role: any}
  - {id: sue, kind: forbid, match: [sue], word: true, role: any}
"#,
        );
        let t = transcript(&[
            ("customer", "垃圾短信太多，真垃圾"),
            ("agent", "Sue? no issue 😀 SUE"),
        ]);
        assert_eq!(
            found(&s, &t),
            [
                ("垃圾".into(), 0, 0, 2, Some(Dropped::Except)),
                ("垃圾短信".into(), 0, 0, 4, None),
                ("垃圾".into(), 0, 8, 10, None),
                ("sue".into(), 1, 0, 3, None),
                ("sue".into(), 1, 10, 13, Some(Dropped::WordBoundary)),
                ("sue".into(), 1, 16, 19, None),
            ]
        );
        // the engine agrees: the kept matches are its findings
        let report = s.engine.score(&t);
        let spans: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.turn, f.start, f.end))
            .collect();
        assert_eq!(
            spans,
            [
                ("spam", Some(0), Some(8), Some(10)),
                ("sue", Some(1), Some(0), Some(3)),
                ("sue", Some(1), Some(16), Some(19)),
            ]
        );
    }

    #[test]
    fn normalization_strip_and_invisible_characters() {
        let s = sampler(
            r#"
rubric: r
normalize: {strip: [mentions, hashtags]}
rules:
  - {id: c, kind: forbid, role: any, match: [投诉, ＡＢＣ]}
"#,
        );
        let t = transcript(&[
            ("customer", "@中国消费者投诉网 我要投\u{200b}诉 #投诉# abc"),
            ("customer", ""),
        ]);
        // the mention and the hashtag are stripped; the zero-width space is skipped, inside
        // the match; full-width ＡＢＣ matches abc
        assert_eq!(
            found(&s, &t),
            [
                ("投诉".into(), 0, 12, 15, None),
                ("ＡＢＣ".into(), 0, 21, 24, None),
            ]
        );
        assert!(s.hits(&Transcript::default()).is_empty());
    }

    #[test]
    fn limits_are_checked_by_try_hits() {
        let rubric =
            Rubric::from_yaml("rubric: r\nrules:\n  - {id: a, kind: forbid, match: [x]}\n")
                .unwrap();
        let limits = crate::Limits {
            max_turns: 1,
            ..Default::default()
        };
        let engine = Engine::builder().limits(limits).build(rubric).unwrap();
        let s = PhraseSampler::new(&engine);
        let t = transcript(&[("agent", "x"), ("agent", "x")]);
        assert!(s.try_hits(&t).is_err());
        assert_eq!(s.hits(&t).len(), 2);
    }
}
