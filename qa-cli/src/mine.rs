//! `qa mine`: finds the words and phrases whose presence best separates labeled conversations
//! and writes them as a draft rubric (v1.1 additions §4).
//!
//! Each conversation's turns of the chosen role give a set of features: jieba words (of two
//! characters or more, with a letter) and the 2- to 4-character n-grams of each run of CJK
//! characters, after the text is lowercased, full-width forms are folded, and @mentions and
//! URLs are cut out (the draft strips them too). A feature counts once per conversation.
//! Features are ranked by the z-score of the log-odds ratio with an informative Dirichlet prior
//! ("Fightin' Words", Monroe, Colaresi & Quinn 2008; see [`stats::log_odds`]), the prior of a
//! feature being proportional to its count in all labeled conversations. The best `--top` of
//! each side become rules: `forbid` rules that deduct for phrases of the positive class,
//! pure-bonus `require` rules for phrases of the negative class, each weighted by the size of
//! its log-odds ratio. Sorting breaks every tie, so the same input gives the same rubric.

use std::collections::HashMap;
use std::io::Write;
use std::ops::ControlFlow;

use jieba_rs::Jieba;
use qa_core::{Role, Speakers, Transcript};
use rayon::prelude::*;

use crate::input::{self, Item};
use crate::path::LabelExpr;
use crate::stats::{self, PhraseCounts};

/// The prior's total α₀ as a share of all feature occurrences: a feature's prior pseudo-count
/// is this share of its own count over both classes.
const PRIOR_SHARE: f64 = 0.1;
/// The longest character n-gram.
const MAX_NGRAM: usize = 4;
/// Points per unit of log-odds ratio; a rule deducts (or adds) at least 1 and at most
/// [`MAX_WEIGHT`].
const POINTS_PER_LOG_ODDS: f64 = 4.0;
/// The largest deduct or bonus of one mined rule.
const MAX_WEIGHT: f64 = 10.0;

/// Which turns `qa mine` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MineRole {
    /// The customer's turns (the default).
    Customer,
    /// The agent's turns.
    Agent,
    /// Every turn.
    Any,
}

impl MineRole {
    fn keeps(self, role: Role) -> bool {
        match self {
            MineRole::Customer => role == Role::Customer,
            MineRole::Agent => role == Role::Agent,
            MineRole::Any => true,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            MineRole::Customer => "customer",
            MineRole::Agent => "agent",
            MineRole::Any => "any",
        }
    }
}

/// What `qa mine` was asked.
#[derive(Debug)]
pub struct MineArgs {
    /// The label expression.
    pub label: String,
    /// Whose turns to read.
    pub role: MineRole,
    /// Phrases kept on each side.
    pub top: usize,
    /// Fewest conversations a phrase must appear in.
    pub min_support: usize,
    /// Longest input line, in bytes.
    pub max_line_bytes: usize,
}

/// One mined phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Mined {
    /// The phrase (normalized: lowercase, half-width).
    pub phrase: String,
    /// Conversations of the positive class that contain it.
    pub pos: u64,
    /// Conversations of the negative class that contain it.
    pub neg: u64,
    /// Log-odds ratio, positive minus negative.
    pub delta: f64,
    /// Its z-score.
    pub z: f64,
}

impl Mined {
    fn support(&self) -> u64 {
        self.pos + self.neg
    }

    /// Deduct (or bonus) points: the size of the log-odds ratio, at least 1.
    fn weight(&self) -> f64 {
        (self.delta.abs() * POINTS_PER_LOG_ODDS)
            .round()
            .clamp(1.0, MAX_WEIGHT)
    }
}

/// The result of mining: counts and the phrases of each side, strongest first.
#[derive(Debug, Default)]
pub struct Mining {
    /// Conversations read.
    pub conversations: u64,
    /// Of those, without a label.
    pub unlabeled: u64,
    /// Labeled positive.
    pub positives: u64,
    /// Labeled negative.
    pub negatives: u64,
    /// Phrases of the positive class.
    pub risk: Vec<Mined>,
    /// Phrases of the negative class.
    pub good: Vec<Mined>,
}

/// Cuts text into the features of one conversation.
pub struct Features {
    jieba: Jieba,
}

impl Features {
    /// Loads jieba's dictionary (a fraction of a second).
    pub fn new() -> Features {
        Features {
            jieba: Jieba::new(),
        }
    }

    /// Adds the features of `text` to `out` (not deduplicated).
    pub fn add(&self, text: &str, out: &mut Vec<String>) {
        let text = clean(text);
        for piece in text.split(|c: char| !c.is_alphanumeric()) {
            if piece.is_empty() {
                continue;
            }
            for token in self.jieba.cut(piece, false) {
                let word = token.word;
                let chars = word.chars().count();
                if chars >= 2 && word.chars().any(char::is_alphabetic) {
                    out.push(word.to_string());
                }
            }
            // n-grams of each run of CJK characters
            let chars: Vec<char> = piece.chars().collect();
            let mut start = 0;
            while start < chars.len() {
                if !is_cjk(chars[start]) {
                    start += 1;
                    continue;
                }
                let mut end = start;
                while end < chars.len() && is_cjk(chars[end]) {
                    end += 1;
                }
                for n in 2..=MAX_NGRAM {
                    for w in chars[start..end].windows(n) {
                        out.push(w.iter().collect());
                    }
                }
                start = end;
            }
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Lowercases, folds full-width forms, and cuts out @mentions and URLs (as the draft's
/// `normalize.strip: [mentions, urls]` does), leaving a space where each was.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev: Option<char> = None;
    let rest_starts = |s: &str, at: usize| text[at..].starts_with(s);
    let mut at = 0;
    while let Some(c) = chars.next() {
        let len = c.len_utf8();
        if c == '@' && !prev.is_some_and(|p| p.is_ascii_alphanumeric()) {
            // a mention: up to whitespace, @, #, /, colons or punctuation
            let mut skipped = len;
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() || "@#/:：，。！？；、,.!?;()（）[]【】".contains(n)
                {
                    break;
                }
                skipped += n.len_utf8();
                chars.next();
            }
            at += skipped;
            out.push(' ');
            prev = Some(' ');
            continue;
        }
        if (c == 'h' || c == 'H') && (rest_starts("http://", at) || rest_starts("https://", at)) {
            let mut skipped = len;
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() || is_cjk(n) || ('\u{3000}'..='\u{303F}').contains(&n) {
                    break;
                }
                skipped += n.len_utf8();
                chars.next();
            }
            at += skipped;
            out.push(' ');
            prev = Some(' ');
            continue;
        }
        at += len;
        let folded = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        out.extend(folded.to_lowercase());
        prev = Some(c);
    }
    out
}

/// One conversation to mine: its label, and its features (sorted, deduplicated).
pub type Doc = (Option<bool>, Vec<String>);

/// Mines labeled conversations: `docs` holds each conversation's label and its features
/// (deduplicated).
pub fn mine(docs: &[Doc], top: usize, min_support: usize) -> Mining {
    let mut mining = Mining {
        conversations: docs.len() as u64,
        ..Mining::default()
    };
    let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
    for (label, features) in docs {
        let Some(label) = *label else {
            mining.unlabeled += 1;
            continue;
        };
        if label {
            mining.positives += 1;
        } else {
            mining.negatives += 1;
        }
        for f in features {
            let c = counts.entry(f.as_str()).or_default();
            if label {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }
    if mining.positives == 0 || mining.negatives == 0 {
        return mining;
    }
    let pos_total: f64 = counts.values().map(|c| c.0 as f64).sum();
    let neg_total: f64 = counts.values().map(|c| c.1 as f64).sum();
    let all = pos_total + neg_total;
    let prior_total = PRIOR_SHARE * all;
    let mut ranked: Vec<Mined> = counts
        .into_iter()
        .filter(|(_, (p, n))| (p + n) as usize >= min_support.max(1))
        .map(|(phrase, (pos, neg))| {
            let prior = prior_total * (pos + neg) as f64 / all;
            let lo = stats::log_odds(
                PhraseCounts {
                    pos: pos as f64,
                    neg: neg as f64,
                    prior,
                },
                (pos_total, neg_total, prior_total),
            );
            Mined {
                phrase: phrase.to_string(),
                pos,
                neg,
                delta: lo.delta,
                z: lo.z,
            }
        })
        .collect();
    // strongest first; then more support, shorter, and by text, so the order is total
    ranked.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then(b.support().cmp(&a.support()))
            .then(a.phrase.chars().count().cmp(&b.phrase.chars().count()))
            .then(a.phrase.cmp(&b.phrase))
    });
    for m in ranked {
        let side = if m.z > 0.0 {
            &mut mining.risk
        } else if m.z < 0.0 {
            &mut mining.good
        } else {
            continue;
        };
        // a phrase inside a kept one, or holding one, adds little but double counting
        if side.len() >= top
            || side
                .iter()
                .any(|k| k.phrase.contains(&m.phrase) || m.phrase.contains(&k.phrase))
        {
            continue;
        }
        side.push(m);
    }
    mining
}

/// The draft rubric of a mining, as YAML.
pub fn to_yaml(m: &Mining, label: &str, role: MineRole) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let bonus: f64 = m.good.iter().map(Mined::weight).sum();
    let mut out = String::new();
    out.push_str(&format!(
        "# Drafted by `qa mine --label {label} --role {}` from {} conversations: {} positive, \
         {} negative, {} unlabeled.\n",
        role.as_str(),
        m.conversations,
        m.positives,
        m.negatives,
        m.unlabeled
    ));
    out.push_str(
        "# Phrases ranked by log-odds ratio with an informative Dirichlet prior (Monroe et al.\n\
         # 2008). `forbid` rules: phrases of the positive class, deducting by strength (once per\n\
         # conversation); `require` rules with `bonus`: phrases of the negative class (pure bonus).\n\
         # Each comment: conversations with the phrase (support), how many of them were of the\n\
         # rule's class (precision), the log-odds ratio and its z-score. Review before use.\n",
    );
    out.push_str(&format!("rubric: {}\n", q(&format!("mined: {label}"))));
    out.push_str("locale: auto\nnormalize:\n  strip: [mentions, urls]\n");
    out.push_str(&format!(
        "scoring:\n  base: 100\n  pass: 60\n  max: {}     # base + every bonus\n",
        crate::table::num(100.0 + bonus)
    ));
    if m.risk.is_empty() && m.good.is_empty() {
        out.push_str("rules: []   # no phrase separates the classes\n");
        return out;
    }
    out.push_str("rules:\n");
    let rule = |out: &mut String, i: usize, x: &Mined, risk: bool| {
        let (hits, id) = if risk {
            (x.pos, format!("risk-{:03}", i + 1))
        } else {
            (x.neg, format!("good-{:03}", i + 1))
        };
        out.push_str(&format!(
            "  # support {}, precision {:.3} ({hits} {}), log-odds {:+.2}, z {:+.1}\n",
            x.support(),
            hits as f64 / x.support() as f64,
            if risk { "positive" } else { "negative" },
            x.delta,
            x.z
        ));
        let word = if x.phrase.is_ascii() {
            ", word: true"
        } else {
            ""
        };
        let weight = crate::table::num(x.weight());
        let (kind, points) = if risk {
            ("forbid", format!("deduct: {weight}"))
        } else {
            ("require", format!("bonus: {weight}"))
        };
        out.push_str(&format!(
            "  - {{id: {id}, name: {}, kind: {kind}, role: {}, match: [{}]{word}, {points}}}\n",
            q(&x.phrase),
            role.as_str(),
            q(&x.phrase),
        ));
    };
    for (i, x) in m.risk.iter().enumerate() {
        rule(&mut out, i, x, true);
    }
    for (i, x) in m.good.iter().enumerate() {
        rule(&mut out, i, x, false);
    }
    out
}

/// Runs `qa mine`: reads every input, mines, and prints the draft rubric. Bad records are
/// reported on stderr and skipped (exit 3).
pub fn run(inputs: Vec<String>, args: &MineArgs) -> anyhow::Result<crate::Status> {
    let label = LabelExpr::parse(&args.label).map_err(|e| anyhow::anyhow!("--label: {e}"))?;
    if args.top == 0 {
        anyhow::bail!("--top must be at least 1");
    }
    if args.max_line_bytes == 0 {
        anyhow::bail!("--max-line-bytes must be at least 1");
    }
    let sources = crate::pipeline::sources(inputs)?;
    let mut records = Vec::new();
    input::read_all(
        &sources,
        args.max_line_bytes,
        &mut |r| {
            records.push(r);
            ControlFlow::Continue(())
        },
        &mut |_| {},
    );
    let features = Features::new();
    let speakers = Speakers::default();
    let read: Vec<Result<Doc, String>> = records
        .into_par_iter()
        .map(|record| {
            let transcript = match record.item {
                Item::Line(text) => Transcript::from_json(&text),
                Item::Value(value, _) => Transcript::from_value(value),
                Item::Bad(message) => return Err(format!("{}: {message}", record.location)),
            }
            .map_err(|e| format!("{}: {e}", record.location))?;
            let mut found = Vec::new();
            for turn in &transcript.turns {
                if args.role.keeps(speakers.role_of(&turn.speaker)) {
                    features.add(&turn.text, &mut found);
                }
            }
            found.sort_unstable();
            found.dedup();
            Ok((label.eval(&transcript), found))
        })
        .collect();
    let mut bad = 0;
    let mut docs = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(doc) => docs.push(doc),
            Err(message) => {
                bad += 1;
                eprintln!("{message}");
            }
        }
    }
    let mining = mine(&docs, args.top, args.min_support);
    if mining.positives + mining.negatives == 0 {
        anyhow::bail!("no conversation has a label `{label}`: nothing to mine");
    }
    if mining.positives == 0 || mining.negatives == 0 {
        anyhow::bail!(
            "--label `{label}` is {} for every labeled conversation: nothing to compare",
            mining.positives > 0
        );
    }
    let mut out = std::io::stdout().lock();
    out.write_all(to_yaml(&mining, label.as_str(), args.role).as_bytes())?;
    out.flush()?;
    Ok(if bad > 0 {
        crate::Status::BadInput
    } else {
        crate::Status::Ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Features::new().add(text, &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn features_are_words_and_cjk_ngrams_without_mentions_or_urls() {
        let f = features("@华强北商城 我要投诉！见 https://t.cn/abc Refund NOW");
        for want in ["我要", "要投", "投诉", "我要投诉", "refund", "now"] {
            assert!(f.contains(&want.to_string()), "{want} in {f:?}");
        }
        for not in ["华强", "商城", "t.cn", "abc", "我", "https"] {
            assert!(!f.contains(&not.to_string()), "{not} in {f:?}");
        }
        // full-width letters fold, n-grams never cross punctuation
        let f = features("ＯＫ，好的");
        assert!(f.contains(&"ok".to_string()));
        assert!(!f.iter().any(|x| x.contains('，')));
        assert!(features("").is_empty());
        assert!(features("😡😡 ！！").is_empty());
    }

    fn doc(label: Option<bool>, words: &[&str]) -> Doc {
        (label, words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn mining_ranks_each_side_and_is_deterministic() {
        let mut docs = Vec::new();
        for _ in 0..8 {
            docs.push(doc(Some(true), &["投诉", "订单"]));
            docs.push(doc(Some(false), &["谢谢", "订单"]));
        }
        docs.push(doc(Some(true), &["谢谢"]));
        docs.push(doc(None, &["投诉"]));
        let m = mine(&docs, 5, 2);
        assert_eq!((m.positives, m.negatives, m.unlabeled), (9, 8, 1));
        assert_eq!(m.risk.len(), 1);
        assert_eq!(m.risk[0].phrase, "投诉");
        assert_eq!((m.risk[0].pos, m.risk[0].neg), (8, 0));
        assert_eq!(m.good[0].phrase, "谢谢");
        assert_eq!((m.good[0].pos, m.good[0].neg), (1, 8));
        // 订单 is as common on both sides (8 and 8 of 9 and 8): weaker than both
        assert!(m
            .good
            .iter()
            .chain(&m.risk)
            .all(|x| x.phrase != "订单" || x.z.abs() < m.risk[0].z.abs()));
        let again = mine(&docs, 5, 2);
        assert_eq!(again.risk, m.risk);
        assert_eq!(again.good, m.good);
        // --min-support drops rare phrases
        assert!(mine(&docs, 5, 10).risk.is_empty());
    }

    #[test]
    fn the_draft_is_a_rubric_the_engine_accepts() {
        let mut docs = Vec::new();
        for _ in 0..5 {
            docs.push(doc(Some(true), &["投诉", "refund", "true"]));
            docs.push(doc(Some(false), &["谢谢", "ok"]));
        }
        let m = mine(&docs, 10, 2);
        let yaml = to_yaml(&m, "meta.quality.S<0", MineRole::Customer);
        let rubric = qa_core::Rubric::from_yaml(&yaml).expect(&yaml);
        let engine = qa_core::Engine::new(rubric).expect(&yaml);
        let t =
            Transcript::from_json(r#"{"turns": [{"speaker": "customer", "text": "我要投诉"}]}"#)
                .unwrap();
        let report = engine.score(&t);
        assert!(report.score < 100.0, "{yaml}");
        assert!(yaml.contains("word: true"));
        assert!(
            yaml.contains("support 5, precision 1.000 (5 positive)"),
            "{yaml}"
        );
    }
}
