//! Normalization of turn text and phrases, with a map from every normalized character back to
//! the original text.
//!
//! Per character, in order: 繁體 → 简体 (fast2s, MIT, context-aware but one character for one),
//! full-width ASCII → half-width, lower-casing, then removal of the rubric's noise characters.
//! A match found in the normalized text is mapped back to the original byte range from the first
//! matched character's source to the last one's, so evidence covers the original 繁體 or
//! full-width characters and any noise skipped inside the match.

use crate::rubric::{ChineseForm, Normalize};

/// Applies one rubric's normalization.
#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    fullwidth: bool,
    case: bool,
    simplify: bool,
    skip: Vec<char>,
}

/// A normalized turn: the text plus the way back to the original.
#[derive(Debug, Default, Clone)]
pub(crate) struct Normalized {
    /// The normalized text that phrases and regexes run over.
    pub text: String,
    /// For each normalized character: its byte offset in `text`, and the original byte range.
    chars: Vec<CharMap>,
    /// For each byte of `text`: the index of its character in `chars`.
    char_of_byte: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct CharMap {
    orig_start: u32,
    orig_end: u32,
}

impl Normalized {
    /// Normalized character index of a normalized byte offset (`text.len()` maps to the end).
    pub fn char_index(&self, byte: usize) -> usize {
        self.char_of_byte
            .get(byte)
            .map_or(self.chars.len(), |&c| c as usize)
    }

    /// Original byte range of the normalized byte range `start..end` (non-empty).
    pub fn original_range(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let first = self.char_index(start);
        let last = self.char_index(end.saturating_sub(1).max(start));
        match (self.chars.get(first), self.chars.get(last)) {
            (Some(a), Some(b)) => a.orig_start as usize..b.orig_end as usize,
            _ => 0..0,
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.chars.clear();
        self.char_of_byte.clear();
    }

    fn push(&mut self, c: char, orig_start: usize, orig_end: usize) {
        let idx = self.chars.len() as u32;
        self.chars.push(CharMap {
            orig_start: orig_start as u32,
            orig_end: orig_end as u32,
        });
        self.text.push(c);
        self.char_of_byte
            .extend(std::iter::repeat_n(idx, c.len_utf8()));
    }
}

impl Normalizer {
    pub fn new(n: &Normalize) -> Normalizer {
        let mut me = Normalizer {
            fullwidth: n.fullwidth,
            case: n.case,
            simplify: n.chinese == ChineseForm::Simplified,
            skip: Vec::new(),
        };
        let mut skip = Vec::new();
        for c in n.skip.chars() {
            me.map_char(c, c, &mut |m| skip.push(m));
        }
        skip.sort_unstable();
        skip.dedup();
        me.skip = skip;
        me
    }

    /// Maps one original character (already simplified as `simple`) to its normalized characters.
    #[inline]
    fn map_char(&self, _orig: char, simple: char, out: &mut impl FnMut(char)) {
        let mut c = simple;
        if self.fullwidth {
            c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
        }
        if self.case {
            if c.is_ascii() {
                out(c.to_ascii_lowercase());
            } else {
                for l in c.to_lowercase() {
                    out(l);
                }
            }
        } else {
            out(c);
        }
    }

    #[inline]
    fn is_noise(&self, c: char) -> bool {
        !self.skip.is_empty() && self.skip.binary_search(&c).is_ok()
    }

    /// Normalizes `text` into `out` (reusing its buffers).
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        out.clear();
        out.text.reserve(text.len());
        out.chars.reserve(text.len());
        out.char_of_byte.reserve(text.len());
        let simplified;
        let simple: &str = if self.simplify && !text.is_ascii() {
            simplified = fast2s::convert(text);
            &simplified
        } else {
            text
        };
        let mut simple_chars = simple.chars();
        for (b, c) in text.char_indices() {
            let s = simple_chars.next().unwrap_or(c);
            let end = b + c.len_utf8();
            self.map_char(c, s, &mut |m| {
                if !self.is_noise(m) {
                    out.push(m, b, end);
                }
            });
        }
    }

    /// Normalizes a phrase (no map needed).
    pub fn normalize_phrase(&self, phrase: &str) -> String {
        let mut n = Normalized::default();
        self.normalize_into(phrase, &mut n);
        n.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(skip: &str) -> Normalizer {
        Normalizer::new(&Normalize {
            skip: skip.into(),
            ..Normalize::default()
        })
    }

    #[test]
    fn fullwidth_case_and_traditional() {
        let n = norm("");
        assert_eq!(n.normalize_phrase("ＡＢＣ１２３，"), "abc123,");
        assert_eq!(n.normalize_phrase("這是規定"), "这是规定");
        assert_eq!(n.normalize_phrase("Hello　World"), "hello world");
    }

    #[test]
    fn noise_is_removed_and_spans_cover_it() {
        let n = norm(" *@#-");
        let mut out = Normalized::default();
        n.normalize_into("你是傻@逼吗", &mut out);
        assert_eq!(out.text, "你是傻逼吗");
        let s = out.text.find("傻逼").unwrap();
        let r = out.original_range(s, s + "傻逼".len());
        assert_eq!(&"你是傻@逼吗"[r], "傻@逼");
    }

    #[test]
    fn empty_text() {
        let mut out = Normalized::default();
        norm("").normalize_into("", &mut out);
        assert_eq!(out.text, "");
    }
}
