//! `normalize.strip`: the regions of social-media noise (mentions, hashtags, URLs, emoji tags,
//! retweet tails) found on the original text before normalization.

use std::ops::Range;

use crate::options::Strip;

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

    pub(crate) fn any(self) -> bool {
        self != StripSet::default()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(items: &[Strip], text: &str) -> Vec<String> {
        regions(text, StripSet::new(items))
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
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
}
