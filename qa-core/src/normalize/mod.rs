//! Normalization of turn text and phrases, with a map from every normalized character back to
//! the original text.
//!
//! Per character, in order: 繁體 → 简体 (fast2s, MIT, context-aware but one character for one),
//! full-width ASCII → half-width, lower-casing, then removal of the rubric's noise characters.
//! A match found in the normalized text is mapped back to the original byte range from the first
//! matched character's source to the last one's, so evidence covers the original 繁體 or
//! full-width characters and any noise skipped inside the match.
//!
//! Zero-width and invisible format characters and variation selectors are always removed, like
//! noise characters. `normalize.strip` runs first, on the original text: each stripped region
//! (a mention, a hashtag, ...; see [`regions`]) becomes one [`SEPARATOR`] character that maps
//! back to the whole region. Matches that would contain a separator are dropped by the matcher,
//! negation stops at one, and `near` counts it as one character.

use std::ops::Range;

use crate::options::{ChineseForm, Normalize};

mod map;
mod strip;

pub(crate) use map::Normalized;
pub(crate) use strip::{regions, StripSet};

/// The character a stripped region becomes in the normalized text (a private-use character:
/// the matcher tells a real separator from one in the text by its position, see
/// [`Normalized::is_separator_at`]).
pub(crate) const SEPARATOR: char = '\u{E000}';

/// Zero-width and invisible format characters and variation selectors: always removed.
#[inline]
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}'
    )
}

/// Applies one rubric's normalization.
#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    fullwidth: bool,
    case: bool,
    simplify: bool,
    skip: Vec<char>,
    /// Whether `skip` has a character outside ASCII.
    skip_non_ascii: bool,
    /// Per ASCII character: kept or noise.
    ascii: [u8; 128],
    /// Whether any ASCII character is noise.
    ascii_noise: bool,
    /// The `normalize.strip` items in effect.
    strip: StripSet,
}

/// What an ASCII character of a turn becomes.
const ASCII_KEEP: u8 = 0;
/// Removed (a noise character).
const ASCII_NOISE: u8 = 1;

impl Normalizer {
    pub fn new(n: &Normalize) -> Normalizer {
        let mut me = Normalizer {
            fullwidth: n.fullwidth,
            case: n.case,
            simplify: n.chinese == ChineseForm::Simplified,
            skip: Vec::new(),
            skip_non_ascii: false,
            ascii: [ASCII_KEEP; 128],
            ascii_noise: false,
            strip: StripSet::new(&n.strip),
        };
        let mut skip = Vec::new();
        for c in n.skip.chars() {
            me.map_char(c, &mut |m| skip.push(m));
        }
        skip.sort_unstable();
        skip.dedup();
        me.skip = skip;
        me.skip_non_ascii = me.skip.iter().any(|c| !c.is_ascii());
        for b in 0..128u8 {
            let mut noise = false;
            me.map_char(b as char, &mut |m| noise |= me.is_noise(m));
            if noise {
                me.ascii[b as usize] = ASCII_NOISE;
                me.ascii_noise = true;
            }
        }
        me
    }

    /// Maps one character (already simplified) to its normalized characters.
    #[inline]
    fn map_char(&self, simple: char, out: &mut impl FnMut(char)) {
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

    /// Whether a non-ASCII character might not normalize to itself: a quick over-estimate
    /// (CJK ideographs that fast2s leaves alone, kana, Hangul and CJK punctuation say no).
    #[inline]
    fn may_change(&self, c: char) -> bool {
        let u = c as u32;
        is_invisible(c)
            || (self.simplify && may_simplify(c))
            || (self.fullwidth && (matches!(u, 0xFF01..=0xFF5E) || u == 0x3000))
            || (self.case && !caseless(c))
            || (self.skip_non_ascii && self.is_noise(c))
    }

    /// Normalizes turn text into `out` (reusing its buffers): stripped regions first, then each
    /// other character.
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        out.clear();
        out.reserve(text.len());
        if !self.strip.any() {
            self.normalize_chars(text, 0..text.len(), out);
            return;
        }
        let mut at = 0;
        for r in regions(text, self.strip) {
            self.normalize_chars(text, at..r.start, out);
            at = r.end;
            out.push_separator(r);
        }
        self.normalize_chars(text, at..text.len(), out);
    }

    /// Normalizes the characters of `text[range]` (no stripping) onto `out`: stretches that
    /// normalize to themselves are copied whole, other characters one by one.
    fn normalize_chars(&self, text: &str, range: Range<usize>, out: &mut Normalized) {
        let bytes = text.as_bytes();
        let from = out.text.len();
        let t2s: &[u64] = if self.simplify { t2s_bits() } else { &[] };
        let (mut i, end) = (range.start, range.end);
        // the start of the stretch of unchanged characters not copied yet
        let mut run = i;
        while i < end {
            let b = bytes[i];
            if b < 0x80 {
                // ASCII: kept (lower-cased at the end) or noise
                if !self.ascii_noise {
                    i = ascii_run_end(bytes, i, end);
                    continue;
                }
                if self.ascii[b as usize] == ASCII_NOISE {
                    out.push_linear(&text[run..i], run);
                    run = i + 1;
                }
                i += 1;
                continue;
            }
            let (c, w) = decode(bytes, i);
            let u = c as u32;
            let maybe = if T2S_BLOCK.contains(&u) {
                // CJK ideographs: no case, no full-width form, not invisible
                bit(t2s, u) || (self.skip_non_ascii && self.is_noise(c))
            } else {
                self.may_change(c)
            };
            if !maybe {
                i += w;
                continue;
            }
            let mut outs = ['\0'; 4];
            let mut n = 0;
            if !is_invisible(c) {
                let s = if bit(t2s, u) {
                    simplify_at(text, i, i + w)
                } else {
                    c
                };
                self.map_char(s, &mut |m| {
                    if !self.is_noise(m) && n < outs.len() {
                        outs[n] = m;
                        n += 1;
                    }
                });
            }
            if n == 1 && outs[0] == c {
                i += w;
                continue;
            }
            out.push_linear(&text[run..i], run);
            match &outs[..n] {
                [one] if one.len_utf8() == w => out.push_char_linear(*one, i),
                many => {
                    for &m in many {
                        out.push_mapped(m, i, i + w);
                    }
                }
            }
            i += w;
            run = i;
        }
        out.push_linear(&text[run..end], run);
        if self.case {
            // every ASCII character the rubric's normalization outputs is lower case
            out.ascii_lowercase_from(from);
        }
    }

    /// Normalizes a phrase (no map needed; nothing is stripped from a phrase).
    pub fn normalize_phrase(&self, phrase: &str) -> String {
        let mut n = Normalized::default();
        self.normalize_chars(phrase, 0..phrase.len(), &mut n);
        n.text
    }
}

/// Where the ASCII stretch of `bytes[i..end]` that starts at `i` ends (8 bytes at a time).
#[inline]
fn ascii_run_end(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i + 8 <= end {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        let high = u64::from_le_bytes(word) & 0x8080_8080_8080_8080;
        if high != 0 {
            return i + (high.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < end && bytes[i] < 0x80 {
        i += 1;
    }
    i
}

/// The character at `bytes[i..]` (valid UTF-8, not ASCII) and its length.
#[inline]
fn decode(bytes: &[u8], i: usize) -> (char, usize) {
    let b0 = u32::from(bytes[i]);
    let cont = |k: usize| u32::from(bytes[i + k] & 0x3F);
    let (u, w) = if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    };
    (char::from_u32(u).unwrap_or('\u{FFFD}'), w)
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
    bit(t2s_bits(), c as u32)
}

/// Whether code point `u` has its bit in `bits` (a [`t2s_bits`] table, or empty for none).
#[inline]
fn bit(bits: &[u64], u: u32) -> bool {
    let Some(i) = u.checked_sub(*T2S_BLOCK.start()) else {
        return false;
    };
    let i = i as usize;
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
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
    use crate::options::Strip;

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

    fn strip_all() -> Normalizer {
        Normalizer::new(&Normalize {
            strip: vec![
                Strip::Mentions,
                Strip::Hashtags,
                Strip::Urls,
                Strip::EmojiTags,
                Strip::Retweets,
            ],
            ..Normalize::default()
        })
    }

    #[test]
    fn invisible_characters_are_removed_from_text_and_phrases() {
        let n = norm("");
        assert_eq!(n.normalize_phrase("投\u{200b}诉"), "投诉");
        assert_eq!(
            n.normalize_phrase("\u{feff}a\u{2060}b\u{fe0f}c\u{200f}"),
            "abc"
        );
        let text = "\u{200b}我要投\u{200d}诉\u{200b}";
        let mut out = Normalized::default();
        n.normalize_into(text, &mut out);
        assert_eq!(out.text, "我要投诉");
        let s = out.text.find("投诉").unwrap();
        let r = out.original_range(s, s + "投诉".len());
        assert_eq!(&text[r], "投\u{200d}诉");
        assert!(!is_invisible('\u{2065}') && !is_invisible('\u{200A}'));
        assert!(is_invisible('\u{FE00}') && is_invisible('\u{2064}'));
    }

    #[test]
    fn a_region_is_one_separator_mapped_to_the_whole_region() {
        let n = strip_all();
        let text = "@客服 投诉[发怒]太差\u{200b}了";
        let mut out = Normalized::default();
        n.normalize_into(text, &mut out);
        assert_eq!(out.text, "\u{e000} 投诉\u{e000}太差了");
        assert!(out.is_separator_at(0));
        assert!(!out.is_separator_at(1));
        let sep2 = out.text.rfind(SEPARATOR).unwrap();
        assert!(out.is_separator_at(sep2));
        assert_eq!(&text[out.original_range(0, 3)], "@客服");
        assert_eq!(&text[out.original_range(sep2, sep2 + 3)], "[发怒]");
        assert!(out.crosses_separator(0, 1));
        assert!(!out.crosses_separator(3, sep2));
        assert!(out.crosses_separator(4, sep2 + 1));
        let segs: Vec<&str> = out.segments().map(|r| &out.text[r]).collect();
        assert_eq!(segs, [" 投诉", "太差了"]);
        // phrases are not stripped
        assert_eq!(n.normalize_phrase("@客服"), "@客服");
        // a private-use character in the text is not a separator
        n.normalize_into("a\u{e000}b", &mut out);
        assert!(!out.has_separators());
    }

    /// The per-character normalization this module did before its fast paths: one map entry
    /// per normalized character (the reference the pieces are checked against).
    fn reference(n: &Normalizer, text: &str) -> (String, Vec<Range<usize>>) {
        let mut out = String::new();
        let mut map = Vec::new();
        let chars = |range: Range<usize>, out: &mut String, map: &mut Vec<Range<usize>>| {
            for (i, c) in text[range.clone()].char_indices() {
                let b = range.start + i;
                let end = b + c.len_utf8();
                if is_invisible(c) {
                    continue;
                }
                let s = if n.simplify && may_simplify(c) {
                    simplify_at(text, b, end)
                } else {
                    c
                };
                n.map_char(s, &mut |m| {
                    if !n.is_noise(m) {
                        out.push(m);
                        map.push(b..end);
                    }
                });
            }
        };
        let mut at = 0;
        let regs = if n.strip.any() {
            regions(text, n.strip)
        } else {
            Vec::new()
        };
        for r in regs {
            chars(at..r.start, &mut out, &mut map);
            out.push(SEPARATOR);
            map.push(r.clone());
            at = r.end;
        }
        chars(at..text.len(), &mut out, &mut map);
        (out, map)
    }

    fn normalizers() -> Vec<Normalizer> {
        let all = vec![
            crate::options::Strip::Mentions,
            crate::options::Strip::Hashtags,
            crate::options::Strip::Urls,
            crate::options::Strip::EmojiTags,
            crate::options::Strip::Retweets,
        ];
        let mut out = vec![norm(""), norm(" *@＠-é"), strip_all()];
        for (fullwidth, case, chinese) in [
            (false, true, ChineseForm::Simplified),
            (true, false, ChineseForm::Simplified),
            (true, true, ChineseForm::None),
            (false, false, ChineseForm::None),
        ] {
            out.push(Normalizer::new(&Normalize {
                fullwidth,
                case,
                chinese,
                skip: "-Ａ".into(),
                strip: all.clone(),
            }));
        }
        out
    }

    const CHARS: &[char] = &[
        'a', 'B', 'Z', ' ', '@', '-', '*', '#', '[', ']', '/', ':', 'h', 't', 'p', '\n', '＠',
        'Ａ', 'ｚ', '，', '　', '這', '是', '藉', '口', '著', '发', '怒', 'İ', '\u{212A}', 'ẞ',
        'Σ', 'é', '😀', '\u{200b}', '\u{fe0f}', '\u{e000}', '’',
    ];

    proptest::proptest! {
        #[test]
        fn pieces_map_like_one_entry_per_character(
            picks in proptest::collection::vec(0..CHARS.len(), 0..24),
        ) {
            let text: String = picks.iter().map(|&i| CHARS[i]).collect();
            for n in normalizers() {
                let (expected, map) = reference(&n, &text);
                let mut got = Normalized::default();
                n.normalize_into(&text, &mut got);
                proptest::prop_assert_eq!(&got.text, &expected);
                let starts: Vec<usize> = expected.char_indices().map(|(i, _)| i).collect();
                for (a, &s) in starts.iter().enumerate() {
                    for (z, e) in starts.iter().skip(a + 1).copied().chain([expected.len()]).enumerate() {
                        let want = map[a].start..map[a + z].end;
                        proptest::prop_assert_eq!(got.original_range(s, e), want, "{:?} {}..{}", text, s, e);
                    }
                }
                for (byte, _) in expected.bytes().enumerate() {
                    let want = starts.iter().filter(|&&s| s <= byte).count() - 1;
                    proptest::prop_assert_eq!(got.char_index(byte), want);
                }
                proptest::prop_assert_eq!(got.char_index(expected.len()), starts.len());
                let all: Vec<usize> = (0..=expected.len() + 1).collect();
                let one_by_one: Vec<usize> = all.iter().map(|&b| got.char_index(b)).collect();
                proptest::prop_assert_eq!(got.char_indices(&all), one_by_one);
                proptest::prop_assert_eq!(got.original_range(expected.len(), expected.len() + 1), 0..0);
                proptest::prop_assert_eq!(n.normalize_phrase(&text), reference(&norm_like(&n), &text).0);
            }
        }
    }

    /// `n` without `strip` (as phrases are normalized).
    fn norm_like(n: &Normalizer) -> Normalizer {
        let mut n = n.clone();
        n.strip = StripSet::default();
        n
    }

    #[test]
    fn empty_text() {
        let mut out = Normalized::default();
        norm("").normalize_into("", &mut out);
        assert_eq!(out.text, "");
    }
}
