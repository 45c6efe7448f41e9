//! Normalization of turn text and phrases, with a map from every normalized character back to
//! the original text.
//!
//! Per character, in order: 繁體 → 简体 (fast2s, MIT, context-aware but one character for one),
//! full-width ASCII → half-width, lower-casing, then removal of the rubric's noise characters.
//! A match found in the normalized text is mapped back to the original byte range from the first
//! matched character's source to the last one's, so evidence covers the original 繁體 or
//! full-width characters and any noise skipped inside the match.

use crate::options::{ChineseForm, Normalize};

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
        if simple.is_ascii() {
            // the common case: no full-width form, ASCII lower-casing
            out(if self.case {
                simple.to_ascii_lowercase()
            } else {
                simple
            });
            return;
        }
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
            } else if caseless(c) {
                out(c);
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
        for (b, c) in text.char_indices() {
            let end = b + c.len_utf8();
            let s = if self.simplify && may_simplify(c) {
                simplify_at(text, b, end)
            } else {
                c
            };
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

/// Whether `c` is in a block without letter case (CJK ideographs and punctuation, kana,
/// Hangul syllables), where lower-casing is the identity: a fast path past the Unicode tables.
#[inline]
fn caseless(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF)
}

/// The block of CJK ideographs that fast2s converts (every key of its table is in it).
const T2S_BLOCK: std::ops::RangeInclusive<u32> = 0x4E00..=0x9FFF;

/// Characters fast2s may change in some context: one bit per character of [`T2S_BLOCK`],
/// computed once per process from fast2s itself (a character changes alone, or is one of its
/// context-dependent characters).
fn t2s_bits() -> &'static [u64] {
    static BITS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    BITS.get_or_init(|| {
        let n = (T2S_BLOCK.end() - T2S_BLOCK.start() + 1) as usize;
        let mut bits = vec![0u64; n.div_ceil(64)];
        let mut buf = [0u8; 4];
        // converted only next to certain characters (fast2s' special cases)
        let contextual = ['藉', '著', '苧', '闔', '鍾', '讎', '畫'];
        for u in T2S_BLOCK {
            let Some(c) = char::from_u32(u) else { continue };
            let alone = fast2s::convert(c.encode_utf8(&mut buf));
            if !alone.starts_with(c) || contextual.contains(&c) {
                let i = (u - T2S_BLOCK.start()) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    })
}

/// Whether fast2s might change `c` (a bitmap look-up; false for everything outside the block).
#[inline]
fn may_simplify(c: char) -> bool {
    let u = c as u32;
    if !T2S_BLOCK.contains(&u) {
        return false;
    }
    let i = (u - T2S_BLOCK.start()) as usize;
    t2s_bits()[i / 64] & (1 << (i % 64)) != 0
}

/// fast2s' conversion of the character at `text[start..end]`, which looks at its neighbours:
/// the same as converting the whole text and taking that character, without doing so.
fn simplify_at(text: &str, start: usize, end: usize) -> char {
    let from = text[..start]
        .char_indices()
        .next_back()
        .map_or(start, |(i, _)| i);
    let to = text[end..]
        .chars()
        .next()
        .map_or(end, |c| end + c.len_utf8());
    let converted = fast2s::convert(&text[from..to]);
    let skip = usize::from(from < start);
    converted
        .chars()
        .nth(skip)
        .unwrap_or_else(|| text[start..end].chars().next().unwrap_or(' '))
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
    fn caseless_blocks_have_no_case() {
        for u in (0x2E80..=0x9FFF)
            .chain(0xAC00..=0xD7A3)
            .chain(0xF900..=0xFAFF)
        {
            if let Some(c) = char::from_u32(u) {
                assert!(caseless(c));
                assert_eq!(c.to_lowercase().collect::<String>(), c.to_string(), "{u:x}");
            }
        }
    }

    #[test]
    fn fast2s_changes_nothing_outside_its_block() {
        let mut buf = [0u8; 4];
        for u in 0x80..=0xFFFF {
            if T2S_BLOCK.contains(&u) {
                continue;
            }
            if let Some(c) = char::from_u32(u) {
                assert_eq!(
                    fast2s::convert(c.encode_utf8(&mut buf)),
                    c.to_string(),
                    "{u:x}"
                );
            }
        }
    }

    #[test]
    fn per_character_simplification_equals_whole_text() {
        let texts = [
            "這是規定，請您理解，我們無法處理",
            "乾隆乾坤乾燥，看著藉口憑藉慰藉，計畫企畫畫面",
            "闔家鍾書校讎仇讎，兒寬答覆回覆甚夥",
            "藉",
            "a著b",
            "ＯＫ，已經為您處理完畢",
        ];
        for t in texts {
            let converted = fast2s::convert(t);
            let mut whole = converted.chars();
            for (b, c) in t.char_indices() {
                let expected = whole.next().unwrap();
                let got = if may_simplify(c) {
                    simplify_at(t, b, b + c.len_utf8())
                } else {
                    c
                };
                assert_eq!(got, expected, "{t} at {b}");
            }
        }
    }

    #[test]
    fn empty_text() {
        let mut out = Normalized::default();
        norm("").normalize_into("", &mut out);
        assert_eq!(out.text, "");
    }
}
