//! `qa check RUBRIC --sample INPUT ...`: how often each phrase of the rubric matches in real
//! conversations, with up to three contexts of real matches; phrases that never match and
//! phrases that match in most conversations are flagged. The matching is the engine's
//! ([`qa_core::PhraseSampler`]); this module reads the input through the batch pipeline
//! (bounded memory), counts and formats.

use std::fmt::Write as _;

use qa_core::{Dropped, Engine, PhraseSampler, SampledPhrase, Transcript};
use serde::Serialize;

use crate::pipeline::{self, Options, Totals};
use crate::table::shorten;

/// Characters shown on each side of a match in a context.
pub const CONTEXT_CHARS: usize = 12;
/// Contexts kept per phrase (each from a different conversation, the first ones in the input).
pub const MAX_CONTEXTS: usize = 3;
/// A phrase with real matches in at least this share of the conversations is flagged.
pub const COMMON_SHARE: f64 = 0.5;
/// The reasons a match is dropped, in the order of the counts.
const REASONS: [Dropped; 4] = [
    Dropped::Role,
    Dropped::WordBoundary,
    Dropped::Negation,
    Dropped::Except,
];

/// A real match with the text around it, from the turn's original text.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The conversation's `id`, or `#N`: its 1-based place in the input.
    pub conversation: String,
    /// The turn's index.
    pub turn: usize,
    /// Up to [`CONTEXT_CHARS`] characters before the match.
    pub before: String,
    /// The match.
    #[serde(rename = "match")]
    pub matched: String,
    /// Up to [`CONTEXT_CHARS`] characters after it.
    pub after: String,
    /// Whether the turn's text goes on before `before` and after `after`.
    #[serde(skip)]
    cut: (bool, bool),
}

impl Context {
    /// `…我要«投诉»你们…`, on one line.
    fn show(&self) -> String {
        let flat = |s: &str| shorten(s, usize::MAX);
        let ellipsis = |cut: bool| if cut { "…" } else { "" };
        format!(
            "{}{}«{}»{}{}",
            ellipsis(self.cut.0),
            flat(&self.before),
            flat(&self.matched),
            flat(&self.after),
            ellipsis(self.cut.1),
        )
    }
}

/// One phrase's counts in one conversation, or over the whole input.
#[derive(Debug, Clone, Default)]
struct Count {
    /// Real matches.
    matches: usize,
    /// Matches dropped, by reason (see [`REASONS`]).
    dropped: [usize; 4],
    /// Conversations with a real match.
    conversations: usize,
    contexts: Vec<Context>,
}

/// One conversation's counts: the phrases that matched or were dropped there.
type Found = Vec<(usize, Count)>;

/// What `--sample` found.
#[derive(Debug)]
pub struct Sample {
    sampler: PhraseSampler,
    counts: Vec<Count>,
    conversations: usize,
    /// Records that could not be read (reported on stderr).
    pub totals: Totals,
}

/// Reads every input and counts the rubric's phrases.
pub fn run(engine: &Engine, options: &Options) -> anyhow::Result<Sample> {
    let sampler = PhraseSampler::new(engine);
    let mut counts = vec![Count::default(); sampler.phrases().len()];
    let mut conversations = 0usize;
    // `each` hands over transcripts already checked against the engine's limits
    let work = |t: Transcript| {
        let hits = sampler.hits(&t);
        (t, hits)
    };
    let totals = pipeline::each(engine, options, &work, &mut |(t, hits)| {
        conversations += 1;
        for (p, found) in count(engine, &t, conversations, &hits) {
            let total = &mut counts[p];
            total.matches += found.matches;
            for (sum, n) in total.dropped.iter_mut().zip(found.dropped) {
                *sum += n;
            }
            total.conversations += found.conversations;
            if total.contexts.len() < MAX_CONTEXTS {
                total.contexts.extend(found.contexts);
            }
        }
        Ok(())
    })?;
    Ok(Sample {
        sampler,
        counts,
        conversations,
        totals,
    })
}

/// One conversation's counts, with the context of each phrase's first real match.
fn count(engine: &Engine, t: &Transcript, ordinal: usize, hits: &[qa_core::PhraseHit]) -> Found {
    let mut found: Found = Vec::new();
    for h in hits {
        let i = match found.iter().position(|(p, _)| *p == h.phrase) {
            Some(i) => i,
            None => {
                found.push((h.phrase, Count::default()));
                found.len() - 1
            }
        };
        let c = &mut found[i].1;
        match h.dropped {
            Some(reason) => {
                let r = REASONS.iter().position(|x| *x == reason).unwrap_or(0);
                c.dropped[r] += 1;
            }
            None => {
                c.matches += 1;
                if c.contexts.is_empty() {
                    c.conversations = 1;
                    c.contexts.push(context(engine, t, ordinal, h));
                }
            }
        }
    }
    found
}

/// The context of a match, from the text as the engine hands it out: the rubric's `redact`
/// masks it one code point for one, so the match's offsets still fit.
fn context(engine: &Engine, t: &Transcript, ordinal: usize, h: &qa_core::PhraseHit) -> Context {
    let raw = t.turns.get(h.turn).map_or("", |turn| turn.text.as_str());
    let text = engine.redact_text(raw);
    let from = h.start.saturating_sub(CONTEXT_CHARS);
    let mut chars = text.chars().skip(from);
    let before: String = chars.by_ref().take(h.start - from).collect();
    let matched: String = chars.by_ref().take(h.end - h.start).collect();
    let after: String = chars.by_ref().take(CONTEXT_CHARS).collect();
    Context {
        conversation: t.id.clone().unwrap_or_else(|| format!("#{ordinal}")),
        turn: h.turn,
        before,
        matched,
        after,
        cut: (from > 0, chars.next().is_some()),
    }
}

/// A flag on a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Flag {
    /// No real match in the input.
    NeverMatched,
    /// Real matches in at least [`COMMON_SHARE`] of the conversations.
    TooCommon,
}

impl Sample {
    fn flag(&self, c: &Count) -> Option<Flag> {
        if self.conversations == 0 {
            None
        } else if c.matches == 0 {
            Some(Flag::NeverMatched)
        } else if c.conversations as f64 >= COMMON_SHARE * self.conversations as f64 {
            Some(Flag::TooCommon)
        } else {
            None
        }
    }

    fn share(&self, c: &Count) -> f64 {
        if self.conversations == 0 {
            0.0
        } else {
            c.conversations as f64 / self.conversations as f64
        }
    }

    /// The JSON form (under `sample` in `qa check --format json`).
    pub fn to_json(&self) -> SampleJson<'_> {
        let phrases = self
            .sampler
            .phrases()
            .iter()
            .zip(&self.counts)
            .map(|(p, c)| PhraseJson {
                phrase: p,
                line: p.position.map(|(l, _)| l),
                column: p.position.map(|(_, c)| c),
                matches: c.matches,
                conversations: c.conversations,
                share: self.share(c),
                dropped: DroppedJson {
                    role: c.dropped[0],
                    word_boundary: c.dropped[1],
                    negation: c.dropped[2],
                    except: c.dropped[3],
                },
                flag: self.flag(c),
                contexts: &c.contexts,
            })
            .collect();
        SampleJson {
            conversations: self.conversations,
            bad_records: self.totals.bad,
            common_share: COMMON_SHARE,
            phrases,
        }
    }

    /// The text form: the phrases rule by rule, then the flagged ones.
    pub fn to_text(&self, file: &str) -> String {
        let mut out = String::new();
        let n = self.conversations;
        let _ = writeln!(
            out,
            "\nsample: {n} conversation{}; a phrase is flagged when it never matched, or matched \
             in ≥ {:.0}% of them",
            if n == 1 { "" } else { "s" },
            COMMON_SHARE * 100.0
        );
        if n == 0 {
            out.push_str("  nothing to count: the input holds no conversations\n");
            return out;
        }
        let mut rule = None;
        let mut flagged: Vec<(Flag, String)> = Vec::new();
        for (p, c) in self.sampler.phrases().iter().zip(&self.counts) {
            let heading = (p.rule.as_str(), p.part);
            if rule != Some(heading) {
                rule = Some(heading);
                let _ = writeln!(
                    out,
                    "rule `{}` {} ({} turns)",
                    p.rule,
                    p.part.as_str(),
                    p.role.as_str()
                );
            }
            let name = describe(p);
            let flag = self.flag(c);
            let counted = if c.matches == 0 {
                "never matched".to_string()
            } else {
                format!(
                    "{} match{} in {} conversation{} ({:.1}%)",
                    c.matches,
                    if c.matches == 1 { "" } else { "es" },
                    c.conversations,
                    if c.conversations == 1 { "" } else { "s" },
                    self.share(c) * 100.0
                )
            };
            let _ = write!(out, "  {name}: {counted}{}", dropped(&c.dropped));
            match flag {
                Some(Flag::NeverMatched) => out.push_str("  [never matched]"),
                Some(Flag::TooCommon) => out.push_str("  [too common?]"),
                None => {}
            }
            out.push('\n');
            for ctx in &c.contexts {
                let _ = writeln!(
                    out,
                    "      {}  ({} turn {})",
                    ctx.show(),
                    ctx.conversation,
                    ctx.turn
                );
            }
            if let Some(f) = flag {
                let place = match p.position {
                    Some((line, column)) => format!("{file}:{line}:{column}"),
                    None => file.to_string(),
                };
                flagged.push((
                    f,
                    format!("{place}: rule `{}` {}: {name}", p.rule, p.part.as_str()),
                ));
            }
        }
        for (flag, title) in [
            (Flag::NeverMatched, "never matched"),
            (
                Flag::TooCommon,
                "too common? (matched in most conversations)",
            ),
        ] {
            let these: Vec<&String> = flagged
                .iter()
                .filter(|(f, _)| *f == flag)
                .map(|(_, s)| s)
                .collect();
            if !these.is_empty() {
                let _ = writeln!(
                    out,
                    "\n{} phrase{} {title}:",
                    these.len(),
                    if these.len() == 1 { "" } else { "s" }
                );
                for s in these {
                    let _ = writeln!(out, "  {s}");
                }
            }
        }
        out
    }
}

/// `投诉 (@complaint, in near/all)`.
fn describe(p: &SampledPhrase) -> String {
    let mut notes = Vec::new();
    if let Some(list) = &p.list {
        notes.push(format!("@{list}"));
    }
    if p.constrained {
        notes.push("in near/all/not".to_string());
    }
    if notes.is_empty() {
        p.phrase.clone()
    } else {
        format!("{} ({})", p.phrase, notes.join(", "))
    }
}

/// `; 3 dropped (negation 3)`, or nothing.
fn dropped(counts: &[usize; 4]) -> String {
    let total: usize = counts.iter().sum();
    if total == 0 {
        return String::new();
    }
    let parts: Vec<String> = ["other role", "word boundary", "negation", "except"]
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    format!("; {total} dropped ({})", parts.join(", "))
}

/// `sample` in `qa check --format json`.
#[derive(Debug, Serialize)]
pub struct SampleJson<'a> {
    conversations: usize,
    bad_records: usize,
    common_share: f64,
    phrases: Vec<PhraseJson<'a>>,
}

#[derive(Debug, Serialize)]
struct PhraseJson<'a> {
    #[serde(flatten)]
    phrase: &'a SampledPhrase,
    line: Option<usize>,
    column: Option<usize>,
    matches: usize,
    conversations: usize,
    share: f64,
    dropped: DroppedJson,
    flag: Option<Flag>,
    contexts: &'a [Context],
}

#[derive(Debug, Serialize)]
struct DroppedJson {
    role: usize,
    word_boundary: usize,
    negation: usize,
    except: usize,
}
