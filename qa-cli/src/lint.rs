//! Warnings for `qa check`: rules likely to raise false alarms. They are advice about phrases,
//! found with the jieba segmentation dictionary; they change nothing about how a rule matches.
//!
//! - a one-character phrase (滚 matches inside 滚动, 翻滚);
//! - a two-character Chinese phrase that is not itself a common word and that common text
//!   contains across a word boundary: frequent word pairs straddle it and jieba segments them
//!   without it (大麻 in 大麻烦 = 大 + 麻烦, 消协 in 取消协议, 去死 in 过去死机);
//! - a short English phrase without `word: true` (sue inside issue);
//! - a `require` whose window or phrase list is empty, so it can never be met.
//!
//! Only phrases whose match makes a finding are looked at: a `forbid` rule's `match` and a
//! `respond` rule's `when`; phrases under `{not: ...}` are skipped.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use qa_core::{MatchExpr, Rubric, Rule, RuleSpec, Window};
use rayon::prelude::*;

/// Least dictionary frequency for a character to be tried as a neighbour of a phrase.
const CHAR_FREQ: usize = 50;
/// Least frequency of a dictionary word that contains a one-character phrase to be an example.
const CONTAINING_FREQ: usize = 20;
/// Least frequency of both words of a straddling pair (大 + 麻烦) to count as common.
const STRADDLE_FREQ: usize = 1000;
/// A phrase the dictionary knows as a word this frequent is segmented as a unit in running
/// text, so pairs straddling it are not looked for.
const ESTABLISHED_FREQ: usize = 500;
/// Common containing words or straddling pairs from which a phrase is warned about.
const MANY: usize = 3;
/// Examples given in a warning.
const EXAMPLES: usize = 5;

/// One warning.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Warning {
    /// The rule it is about.
    pub rule: String,
    /// The phrase it is about, if any.
    pub phrase: Option<String>,
    /// The list the phrase comes from, if any.
    pub list: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
    /// Example words or texts the phrase would match inside.
    pub examples: Vec<String>,
    /// 1-based (line, column) in the rubric source: the phrase's, or the rule's.
    #[serde(skip)]
    pub position: Option<(usize, usize)>,
}

/// A phrase of a rule, and the list it came from.
struct Phrase<'a> {
    rule: &'a Rule,
    text: &'a str,
    list: Option<&'a str>,
    /// Where the phrase is written (in its list, for a list's phrase).
    position: Option<(usize, usize)>,
    /// Inside `near` or `all`, where other items must match too: only the English check applies.
    constrained: bool,
}

/// Every warning for `rubric`, in rule order.
pub fn lint(rubric: &Rubric) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let mut phrases = Vec::new();
    for rule in rubric.rules() {
        // the phrases whose every match is a finding: `forbid` matches and `respond` triggers
        let exprs: Vec<&MatchExpr> = match rule.spec() {
            RuleSpec::Forbid(f) => vec![f.matcher()],
            RuleSpec::Respond(r) => vec![r.when().matcher()],
            RuleSpec::Require(r) => {
                require_warnings(rubric, rule, r.matcher(), &mut warnings);
                Vec::new()
            }
            _ => Vec::new(),
        };
        for expr in exprs {
            // `not` items have no literal phrase to advise on
            let uses = rubric.phrases_in(expr).into_iter().filter(|u| !u.negated);
            phrases.extend(uses.map(|u| Phrase {
                rule,
                text: u.phrase.as_str(),
                list: u.list,
                position: u.phrase.position().or(rule.position()),
                constrained: u.constrained,
            }));
        }
    }
    let phrase_warnings: Vec<Option<Warning>> = phrases.par_iter().map(phrase_warning).collect();
    warnings.extend(phrase_warnings.into_iter().flatten());
    let order = |w: &Warning| rubric.rules().iter().position(|r| r.id() == w.rule);
    warnings.sort_by_key(order);
    warnings
}

fn require_warnings(rubric: &Rubric, rule: &Rule, expr: &MatchExpr, out: &mut Vec<Warning>) {
    if let Some(Window::Seconds(from, to)) = rule.window() {
        if to - from < 1.0 {
            out.push(Warning {
                rule: rule.id().to_string(),
                phrase: None,
                list: None,
                message: format!(
                    "the window `seconds: [{from}, {to}]` is (nearly) empty: almost no turn \
                     starts inside it, so this `require` will almost always make a finding"
                ),
                examples: Vec::new(),
                position: rule.position(),
            });
        }
    }
    {
        let mut leaves = 0usize;
        expr.for_each_leaf(&mut |leaf| match leaf {
            MatchExpr::List(l) => {
                leaves += rubric
                    .list(l.name())
                    .map_or(0, |l| l.phrases().len() + l.regexes().len())
            }
            _ => leaves += 1,
        });
        if leaves == 0 {
            out.push(Warning {
                rule: rule.id().to_string(),
                phrase: None,
                list: None,
                message: "this `require` has no phrase to match (its lists are empty), so \
                          every conversation gets a finding"
                    .to_string(),
                examples: Vec::new(),
                position: rule.position(),
            });
        }
    }
}

fn phrase_warning(p: &Phrase<'_>) -> Option<Warning> {
    if p.rule.word() {
        return None; // word boundaries already keep it out of longer words
    }
    let chars: Vec<char> = p.text.chars().filter(|c| !c.is_whitespace()).collect();
    let warn = |message: String, examples: Vec<String>| {
        Some(Warning {
            rule: p.rule.id().to_string(),
            phrase: Some(p.text.to_string()),
            list: p.list.map(str::to_string),
            message,
            examples,
            position: p.position,
        })
    };
    let quoted = format!("\"{}\"{}", p.text, from_list(p.list));
    if chars.len() == 1 && !p.constrained {
        let examples = if is_cjk(chars[0]) {
            containing(p.text)
        } else {
            Vec::new()
        };
        let also = if examples.is_empty() {
            String::new()
        } else {
            format!(" ({})", examples.join(", "))
        };
        return warn(
            format!(
                "phrase {quoted} is one character; it matches inside many words{also}: use a \
                 longer phrase, or `word: true`"
            ),
            examples,
        );
    }
    // Two-character words are where false alarms come from: longer phrases are specific enough
    if chars.len() == 2 && chars.iter().all(|&c| is_cjk(c)) {
        if p.constrained {
            return None;
        }
        let (examples, count) = straddling(p.text, &except_texts(p.rule));
        if count >= MANY {
            return warn(
                format!(
                    "phrase {quoted} is found inside common words, e.g. {}: it may raise \
                     false alarms; add such words to `except`, or set `word: true`",
                    examples.join(", ")
                ),
                examples,
            );
        }
        return None;
    }
    if chars.len() <= 4 && chars.iter().all(|c| c.is_ascii_alphabetic()) {
        let lower = p.text.to_ascii_lowercase();
        let examples: Vec<String> = ENGLISH
            .iter()
            .filter(|w| w.len() > lower.len() && w.contains(lower.as_str()))
            .take(EXAMPLES)
            .map(|w| w.to_string())
            .collect();
        let eg = if examples.is_empty() {
            String::new()
        } else {
            format!(" (e.g. {})", examples.join(", "))
        };
        return warn(
            format!(
                "phrase {quoted} is a short English word that also matches inside longer \
                 words{eg}: set `word: true` on this rule"
            ),
            examples,
        );
    }
    None
}

fn from_list(list: Option<&str>) -> String {
    list.map(|l| format!(" (from list @{l})"))
        .unwrap_or_default()
}

/// The literal phrases of a rule's `except` (the lists they name are not expanded: warnings
/// are advice, and a rule usually spells its exceptions out).
fn except_texts(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    for e in rule.except() {
        e.for_each_leaf(&mut |leaf| {
            if let MatchExpr::Phrase(p) = leaf {
                out.push(p.as_str().to_string());
            }
        });
    }
    out
}

struct Dictionary {
    jieba: Jieba,
    /// Characters common enough to be tried next to a phrase.
    chars: Vec<char>,
}

fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        let jieba = Jieba::new();
        let chars = (0x4E00u32..=0x9FFF)
            .filter_map(char::from_u32)
            .filter(|c| freq(&jieba, c.encode_utf8(&mut [0; 4])) >= CHAR_FREQ)
            .collect();
        Dictionary { jieba, chars }
    })
}

/// A dictionary word's frequency (0 when it is not a word).
fn freq(jieba: &Jieba, word: &str) -> usize {
    if jieba.has_word(word) {
        // for a dictionary word, suggest_freq is its frequency + 1
        jieba.suggest_freq(word).saturating_sub(1)
    } else {
        0
    }
}

/// Common dictionary words of two characters that contain a one-character phrase.
fn containing(phrase: &str) -> Vec<String> {
    let dict = dictionary();
    let mut found: Vec<(String, usize)> = Vec::new();
    for &c in &dict.chars {
        for word in [format!("{phrase}{c}"), format!("{c}{phrase}")] {
            let f = freq(&dict.jieba, &word);
            if f >= CONTAINING_FREQ {
                found.push((word, f));
            }
        }
    }
    best(found, &[]).0
}

/// Texts of three characters where a two-character phrase straddles two common words that
/// the segmenter keeps apart from it: 大 + 麻烦 = 大麻烦, 取 + 消协 + 议 … Not looked for when
/// the phrase is itself a common word (it is then segmented as a unit). Returns the best
/// examples and how many there are.
fn straddling(phrase: &str, except: &[String]) -> (Vec<String>, usize) {
    let dict = dictionary();
    let jieba = &dict.jieba;
    if freq(jieba, phrase) >= ESTABLISHED_FREQ {
        return (Vec::new(), 0);
    }
    let mut chars = phrase.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return (Vec::new(), 0);
    };
    let splits = |text: &str| !jieba.cut(text, false).iter().any(|t| t.word == phrase);
    let mut found: Vec<(String, usize)> = Vec::new();
    for &c in &dict.chars {
        // first + (second c): 大 + 麻烦
        let after = format!("{phrase}{c}");
        let pair = freq(jieba, &format!("{second}{c}")).min(freq(jieba, &first.to_string()));
        if pair >= STRADDLE_FREQ && splits(&after) {
            found.push((after, pair));
        }
        // (c first) + second: 取消 + 协
        let before = format!("{c}{phrase}");
        let pair = freq(jieba, &format!("{c}{first}")).min(freq(jieba, &second.to_string()));
        if pair >= STRADDLE_FREQ && splits(&before) {
            found.push((before, pair));
        }
    }
    best(found, except)
}

/// The most frequent examples not covered by an `except` phrase, and how many there are.
fn best(mut found: Vec<(String, usize)>, except: &[String]) -> (Vec<String>, usize) {
    found.retain(|(text, _)| {
        !except
            .iter()
            .any(|e| e.contains(text.as_str()) || text.contains(e.as_str()))
    });
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut seen = std::collections::HashSet::new();
    found.retain(|(text, _)| seen.insert(text.clone()));
    let count = found.len();
    let examples = found.into_iter().take(EXAMPLES).map(|(t, _)| t).collect();
    (examples, count)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Common English words, for examples of short phrases matching inside longer words.
const ENGLISH: &[&str] = &[
    "about",
    "address",
    "again",
    "answer",
    "assist",
    "assistance",
    "associate",
    "bass",
    "because",
    "being",
    "business",
    "call",
    "cancel",
    "class",
    "classic",
    "come",
    "company",
    "could",
    "customer",
    "damage",
    "delivery",
    "different",
    "discuss",
    "each",
    "early",
    "enough",
    "even",
    "every",
    "example",
    "expect",
    "first",
    "follow",
    "good",
    "great",
    "hand",
    "happen",
    "hello",
    "help",
    "here",
    "high",
    "history",
    "hold",
    "home",
    "hour",
    "issue",
    "issues",
    "item",
    "just",
    "know",
    "last",
    "late",
    "later",
    "like",
    "little",
    "look",
    "make",
    "manage",
    "message",
    "minute",
    "moment",
    "money",
    "month",
    "more",
    "name",
    "need",
    "never",
    "next",
    "night",
    "nothing",
    "number",
    "offer",
    "office",
    "often",
    "order",
    "other",
    "pass",
    "passage",
    "password",
    "people",
    "phone",
    "place",
    "please",
    "point",
    "price",
    "problem",
    "product",
    "pursue",
    "question",
    "really",
    "reason",
    "receive",
    "refund",
    "request",
    "return",
    "right",
    "said",
    "same",
    "scrap",
    "scrape",
    "scratch",
    "service",
    "shell",
    "should",
    "show",
    "sign",
    "something",
    "sorry",
    "still",
    "subscribe",
    "such",
    "support",
    "sure",
    "tell",
    "thank",
    "thanks",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "thing",
    "think",
    "this",
    "those",
    "through",
    "time",
    "today",
    "together",
    "tissue",
    "under",
    "until",
    "update",
    "usual",
    "value",
    "very",
    "wait",
    "want",
    "week",
    "well",
    "what",
    "when",
    "where",
    "which",
    "while",
    "white",
    "whole",
    "will",
    "with",
    "within",
    "without",
    "word",
    "work",
    "world",
    "would",
    "wrong",
    "year",
    "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(yaml: &str) -> Vec<Warning> {
        lint(&Rubric::from_yaml(yaml).unwrap())
    }

    #[test]
    fn straddled_phrase_names_example_words() {
        let w = warnings("rubric: r\nrules: [{id: drugs, kind: forbid, match: [大麻]}]\n");
        assert_eq!(w.len(), 1);
        assert!(w[0].examples.contains(&"大麻烦".to_string()), "{w:?}");
        assert!(w[0].message.contains("大麻烦"));
    }

    #[test]
    fn distinctive_phrase_and_word_rules_are_quiet() {
        let w = warnings(
            "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [这是规定, 不归我管]}\n  - {id: b, kind: forbid, match: [滚, hi], word: true}\n",
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn one_character_and_short_english() {
        let w = warnings("rubric: r\nrules: [{id: a, kind: forbid, match: [滚, sue]}]\n");
        assert_eq!(w.len(), 2);
        assert!(w[0].message.contains("one character"), "{w:?}");
        assert!(w[1].examples.contains(&"issue".to_string()), "{w:?}");
    }

    #[test]
    fn except_words_silence_examples() {
        let plain = warnings("rubric: r\nrules: [{id: a, kind: forbid, match: [消协]}]\n");
        assert!(plain[0].examples.iter().any(|e| e.contains("消协")));
        let excepted = warnings(
            "rubric: r\nrules: [{id: a, kind: forbid, match: [消协], except: [取消协议, 取消协助, 消协会, 消协调, 消协定, 消协商, 消协同, 消协作, 撤消协]}]\n",
        );
        assert!(excepted.is_empty(), "{excepted:?}");
    }
}
