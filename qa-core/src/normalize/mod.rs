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

use crate::options::{ChineseForm, Normalize, Strip};

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
    /// The `normalize.strip` items in effect.
    strip: StripSet,
}

/// Which regions `normalize.strip` removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StripSet {
    pub mentions: bool,
    pub hashtags: bool,
    pub urls: bool,
    pub emoji_tags: bool,
    pub retweets: bool,
}

impl StripSet {
    pub fn new(items: &[Strip]) -> StripSet {
        let mut s = StripSet::default();
        for i in items {
            match i {
                Strip::Mentions => s.mentions = true,
                Strip::Hashtags => s.hashtags = true,
                Strip::Urls => s.urls = true,
                Strip::EmojiTags => s.emoji_tags = true,
                Strip::Retweets => s.retweets = true,
            }
        }
        s
    }

    fn any(self) -> bool {
        self != StripSet::default()
    }
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
    /// Byte offsets in `text` of the separators that stand for stripped regions, ascending.
    seps: Vec<u32>,
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

    /// Whether the normalized text has any stripped region.
    #[inline]
    pub fn has_separators(&self) -> bool {
        !self.seps.is_empty()
    }

    /// Whether a stripped region's separator is at normalized byte `byte`.
    pub fn is_separator_at(&self, byte: usize) -> bool {
        self.seps.binary_search(&(byte as u32)).is_ok()
    }

    /// Whether the normalized byte range `start..end` contains a stripped region's separator.
    pub fn crosses_separator(&self, start: usize, end: usize) -> bool {
        let i = self.seps.partition_point(|&s| (s as usize) < start);
        self.seps.get(i).is_some_and(|&s| (s as usize) < end)
    }

    /// The byte ranges of `text` between stripped regions (the whole text when there is none);
    /// empty ranges are left out.
    pub fn segments(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let sep = SEPARATOR.len_utf8();
        let starts = std::iter::once(0).chain(self.seps.iter().map(move |&s| s as usize + sep));
        let ends = self
            .seps
            .iter()
            .map(|&s| s as usize)
            .chain(std::iter::once(self.text.len()));
        starts.zip(ends).filter(|(a, b)| a < b).map(|(a, b)| a..b)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.chars.clear();
        self.char_of_byte.clear();
        self.seps.clear();
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
            strip: StripSet::new(&n.strip),
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

    /// Normalizes turn text into `out` (reusing its buffers): stripped regions first, then each
    /// other character.
    pub fn normalize_into(&self, text: &str, out: &mut Normalized) {
        out.clear();
        out.text.reserve(text.len());
        out.chars.reserve(text.len());
        out.char_of_byte.reserve(text.len());
        if !self.strip.any() {
            self.normalize_chars(text, 0..text.len(), out);
            return;
        }
        let mut at = 0;
        for r in regions(text, self.strip) {
            self.normalize_chars(text, at..r.start, out);
            out.seps.push(out.text.len() as u32);
            out.push(SEPARATOR, r.start, r.end);
            at = r.end;
        }
        self.normalize_chars(text, at..text.len(), out);
    }

    /// Normalizes the characters of `text[range]` (no stripping) onto `out`.
    fn normalize_chars(&self, text: &str, range: Range<usize>, out: &mut Normalized) {
        let from = range.start;
        for (i, c) in text[range].char_indices() {
            let b = from + i;
            let end = b + c.len_utf8();
            if is_invisible(c) {
                continue;
            }
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

    /// Normalizes a phrase (no map needed; nothing is stripped from a phrase).
    pub fn normalize_phrase(&self, phrase: &str) -> String {
        let mut n = Normalized::default();
        self.normalize_chars(phrase, 0..phrase.len(), &mut n);
        n.text
    }
}

/// The regions of `text` that `strip` removes: byte ranges, ascending; regions of different
/// items that overlap are one region (regions that only touch stay two).
pub(crate) fn regions(text: &str, strip: StripSet) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    if strip.mentions {
        mentions(text, &mut found);
    }
    if strip.hashtags {
        hashtags(text, &mut found);
    }
    if strip.urls {
        urls(text, &mut found);
    }
    if strip.emoji_tags {
        emoji_tags(text, &mut found);
    }
    if strip.retweets {
        if let Some(p) = text.find("//@") {
            found.push(p..text.len());
        }
    }
    found.sort_unstable_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(found.len());
    for r in found {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Where a mention ends: whitespace, `@`, `#`, `/`, `:`, `：` or one of `，。！？；、,.!?;()（）[]【】`.
fn ends_mention(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '@' | '#'
                | '/'
                | ':'
                | '：'
                | '，'
                | '。'
                | '！'
                | '？'
                | '；'
                | '、'
                | ','
                | '.'
                | '!'
                | '?'
                | ';'
                | '('
                | ')'
                | '（'
                | '）'
                | '['
                | ']'
                | '【'
                | '】'
        )
}

/// `@` not preceded by an ASCII letter or digit, then one or more characters up to (not
/// including) whitespace or a character of [`ends_mention`].
fn mentions(text: &str, out: &mut Vec<Range<usize>>) {
    for (b, _) in text.match_indices('@') {
        if text[..b]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_alphanumeric())
        {
            continue;
        }
        let rest = &text[b + 1..];
        let len = rest.find(ends_mention).unwrap_or(rest.len());
        if len > 0 {
            out.push(b..b + 1 + len);
        }
    }
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// `#`, 1 to 64 characters other than `#` and line breaks, `#` (paired left to right); else `#`
/// followed by one or more ASCII letters, digits or `_`.
fn hashtags(text: &str, out: &mut Vec<Range<usize>>) {
    let mut at = 0;
    while let Some(p) = text[at..].find('#') {
        let b = at + p;
        let rest = &text[b + 1..];
        // Weibo style: the next `#` within 64 characters, no line break between
        let mut closing = None;
        for (n, (i, c)) in rest.char_indices().enumerate() {
            if c == '#' {
                if n >= 1 {
                    closing = Some(b + 1 + i + 1);
                }
                break;
            }
            if n == 64 || is_line_break(c) {
                break;
            }
        }
        if let Some(end) = closing {
            out.push(b..end);
            at = end;
            continue;
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len > 0 {
            out.push(b..b + 1 + len);
            at = b + 1 + len;
        } else {
            at = b + 1;
        }
    }
}

/// Where a URL ends: whitespace or a CJK character (U+3000–U+303F, U+3400–U+9FFF, U+FF00–U+FFEF).
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '\u{3000}'..='\u{303F}' | '\u{3400}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// `http://` or `https://`, then every following character up to [`ends_url`] or the end.
fn urls(text: &str, out: &mut Vec<Range<usize>>) {
    let mut at = 0;
    while let Some(p) = text[at..].find("http") {
        let b = at + p;
        let scheme = if text[b..].starts_with("http://") {
            "http://".len()
        } else if text[b..].starts_with("https://") {
            "https://".len()
        } else {
            at = b + "http".len();
            continue;
        };
        let rest = &text[b + scheme..];
        let end = b + scheme + rest.find(ends_url).unwrap_or(rest.len());
        out.push(b..end);
        at = end;
    }
}

/// `[`, 1 to 8 characters that are CJK ideographs or letters, `]`.
fn emoji_tags(text: &str, out: &mut Vec<Range<usize>>) {
    for (b, _) in text.match_indices('[') {
        for (n, (i, c)) in text[b + 1..].char_indices().enumerate() {
            if c == ']' {
                if n >= 1 {
                    out.push(b..b + 1 + i + 1);
                }
                break;
            }
            if n == 8 || !c.is_alphabetic() {
                break;
            }
        }
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

    fn stripped(items: &[Strip], text: &str) -> Vec<String> {
        regions(text, StripSet::new(items))
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
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
    fn mention_regions() {
        let m = [Strip::Mentions];
        assert_eq!(
            stripped(&m, "@中国消费者投诉网官网 你好"),
            ["@中国消费者投诉网官网"]
        );
        assert_eq!(stripped(&m, "a@b.com 和 1@x"), Vec::<String>::new());
        assert_eq!(
            stripped(&m, "找@张三：好，@李四,@王五"),
            ["@张三", "@李四", "@王五"]
        );
        assert_eq!(stripped(&m, "@ 或 @"), Vec::<String>::new());
        assert_eq!(stripped(&m, "(@客服)"), ["@客服"]);
        assert_eq!(stripped(&m, "@a#b/c"), ["@a"]);
        assert_eq!(stripped(&m, "@张@李"), ["@张", "@李"]);
    }

    #[test]
    fn hashtag_regions() {
        let h = [Strip::Hashtags];
        assert_eq!(stripped(&h, "看#宽带故障#了吗"), ["#宽带故障#"]);
        assert_eq!(stripped(&h, "#a#b#c"), ["#a#", "#c"]);
        assert_eq!(stripped(&h, "##"), Vec::<String>::new());
        assert_eq!(stripped(&h, "#tag_1!好"), ["#tag_1"]);
        assert_eq!(stripped(&h, "#话题\n下一行"), Vec::<String>::new());
        assert_eq!(stripped(&h, "#ab\ncd#"), ["#ab"]);
        let long = format!("#{}#", "字".repeat(64));
        assert_eq!(stripped(&h, &long), [long]);
        let too_long = format!("#{}#", "字".repeat(65));
        assert_eq!(stripped(&h, &too_long), Vec::<String>::new());
    }

    #[test]
    fn url_emoji_and_retweet_regions() {
        assert_eq!(
            stripped(
                &[Strip::Urls],
                "见https://t.cn/A6x?a=1，或 http://x.y/z 谢谢 httpx://no"
            ),
            ["https://t.cn/A6x?a=1", "http://x.y/z"]
        );
        assert_eq!(stripped(&[Strip::Urls], "https://"), ["https://"]);
        let e = [Strip::EmojiTags];
        assert_eq!(stripped(&e, "太差了[发怒][OK][1][]"), ["[发怒]", "[OK]"]);
        assert_eq!(
            stripped(&e, "[一二三四五六七八][一二三四五六七八九]"),
            ["[一二三四五六七八]"]
        );
        assert_eq!(
            stripped(&[Strip::Retweets], "同问//@张三:太差了//@李四:是"),
            ["//@张三:太差了//@李四:是"]
        );
    }

    #[test]
    fn overlapping_regions_are_one_touching_regions_two() {
        let all = [
            Strip::Mentions,
            Strip::Hashtags,
            Strip::Urls,
            Strip::EmojiTags,
            Strip::Retweets,
        ];
        assert_eq!(stripped(&all, "看https://a.b/#x"), ["https://a.b/#x"]);
        assert_eq!(stripped(&all, "@张三[发怒]好"), ["@张三", "[发怒]"]);
        assert_eq!(stripped(&all, "好#a//@b: c#"), ["#a//@b: c#"]);
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

    #[test]
    fn empty_text() {
        let mut out = Normalized::default();
        norm("").normalize_into("", &mut out);
        assert_eq!(out.text, "");
    }
}
