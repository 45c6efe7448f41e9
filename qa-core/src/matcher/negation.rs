//! `negation: skip`: whether a match follows a negation word of the rubric's locale, in the same
//! clause, at most 4 characters before it.

use super::Hit;
use crate::normalize::{Normalized, SEPARATOR};
use crate::options::Locale;
use crate::segment;

/// Negation words of the rubric's locale.
#[derive(Debug)]
pub(crate) struct Negators {
    zh: bool,
    en: bool,
}

const ZH_NEGATORS: &[&str] = &[
    "不是", "不能", "不会", "绝不", "不要", "没有", "从不", "并非", "不", "没", "未", "无", "别",
    "非", "莫", "勿",
];
/// Words that start like a negation but are not one.
const ZH_NOT_NEGATIONS: &[&str] = &[
    "非常",
    "无论",
    "不错",
    "不过",
    "不久",
    "不少",
    "不断",
    "不仅",
    "不但",
    "无比",
    "别人",
    "别的",
    "不管",
    "未来",
    "无限",
    "非凡",
    "不然",
    "不如",
    "毫无疑问",
];
const EN_NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "don’t",
    "can't",
    "cant",
    "can’t",
    "cannot",
    "won't",
    "won’t",
    "isn't",
    "isn’t",
    "aren't",
    "aren’t",
    "doesn't",
    "doesn’t",
    "didn't",
    "didn’t",
    "wasn't",
    "weren't",
    "shouldn't",
    "wouldn't",
    "couldn't",
    "without",
    "nor",
    "neither",
];
const CLAUSE_BREAKS: &[char] = &[
    '，', '。', '！', '？', '；', ',', '.', '!', '?', ';', '\n', '\r',
];
const NEGATION_GAP: usize = 4;

/// Whether character `c` at normalized byte `at` ends a clause: a clause break, or a stripped
/// region's separator.
fn ends_clause(norm: &Normalized, c: char, at: usize) -> bool {
    CLAUSE_BREAKS.contains(&c) || (c == SEPARATOR && norm.is_separator_at(at))
}

impl Negators {
    pub fn new(locale: Locale) -> Negators {
        Negators {
            zh: locale != Locale::En,
            en: locale != Locale::Zh,
        }
    }

    /// Whether a negation word ends at most 4 characters before `span`, in the same clause.
    #[inline]
    pub fn negated(&self, norm: &Normalized, span: Hit) -> bool {
        self.negation(norm, span).is_some()
    }

    /// The negation word that ends at most 4 characters before `span` in the same clause, and
    /// the normalized byte where it starts.
    pub fn negation(&self, norm: &Normalized, span: Hit) -> Option<(usize, &'static str)> {
        if span == Hit::WHOLE {
            return None;
        }
        let text = &norm.text;
        let start = span.start as usize;
        // the gap: up to NEGATION_GAP characters, no clause break
        let mut gap_end = start; // byte where the negator must end
        for gap in 0..=NEGATION_GAP {
            let head = &text[..gap_end];
            if let Some(neg) = self.ends_with_negator(head, &text[gap_end..]) {
                return Some((gap_end - neg.len(), neg));
            }
            if gap == NEGATION_GAP {
                break;
            }
            match head.chars().next_back() {
                // a stripped region ends a clause too
                Some(c) if !ends_clause(norm, c, gap_end - c.len_utf8()) => gap_end -= c.len_utf8(),
                _ => break,
            }
        }
        None
    }

    fn ends_with_negator(&self, head: &str, rest: &str) -> Option<&'static str> {
        if self.zh {
            for neg in ZH_NEGATORS {
                if let Some(at) = head.strip_suffix(neg).map(str::len) {
                    if !ZH_NOT_NEGATIONS.iter().any(|w| covers(head, at, rest, w)) {
                        return Some(neg);
                    }
                }
            }
        }
        if self.en {
            for neg in EN_NEGATORS {
                if let Some(at) = head.strip_suffix(neg).map(str::len) {
                    let before_ok = head[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !segment::is_word_char(c));
                    let after_ok = rest
                        .chars()
                        .next()
                        .is_none_or(|c| !segment::is_word_char(c));
                    if before_ok && after_ok {
                        return Some(neg);
                    }
                }
            }
        }
        None
    }
}

fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Whether an occurrence of the word `w` in `head + rest` covers byte `at` of `head` (where a
/// negation character was found): then that character is part of `w`, not a negation.
fn covers(head: &str, at: usize, rest: &str, w: &str) -> bool {
    let n = w.chars().count();
    let lo = head[..at]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i);
    let window = format!("{}{}", &head[lo..], first_chars(rest, n));
    window
        .match_indices(w)
        .any(|(pos, _)| lo + pos <= at && lo + pos + w.len() > at)
}
