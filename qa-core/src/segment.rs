//! Word segmentation for `word: true` and `repeat`: jieba-rs for Chinese, letters and digits for
//! everything else. The jieba dictionary is loaded once per process, on first use, and shared.

use std::sync::OnceLock;

use jieba_rs::Jieba;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Whether `c` is a CJK ideograph (segmented by the dictionary rather than by letters).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether `c` belongs to a word: a letter or a digit (ideographs are letters), as the spec's
/// `word` option says. This is the one definition the engine uses (word boundaries, `repeat`'s
/// words, English negation words).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Byte offsets of the word boundaries of `text` between two CJK characters, sorted.
pub(crate) fn cjk_boundaries(text: &str, out: &mut Vec<usize>) {
    out.clear();
    for token in jieba().cut(text, true) {
        out.push(token.byte_start);
        out.push(token.byte_end);
    }
    out.sort_unstable();
    out.dedup();
}

/// The words of `text` for `repeat`: CJK runs segmented by jieba, other runs of letters and
/// digits as words; punctuation, spaces and symbols are not words.
pub(crate) fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut push_run = |start: usize, end: usize, cjk: bool| {
        let run = &text[start..end];
        if cjk {
            words.extend(jieba().cut(run, true).into_iter().map(|t| t.word));
        } else {
            words.push(run);
        }
    };
    // (start, is_cjk) of the run being read
    let mut run: Option<(usize, bool)> = None;
    for (i, c) in text.char_indices() {
        let class = if is_cjk(c) {
            Some(true)
        } else if is_word_char(c) {
            Some(false)
        } else {
            None
        };
        match run {
            Some((_, k)) if class == Some(k) => {}
            Some((s, k)) => {
                push_run(s, i, k);
                run = class.map(|k2| (i, k2));
            }
            None => run = class.map(|k2| (i, k2)),
        }
    }
    if let Some((s, k)) = run {
        push_run(s, text.len(), k);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_mixed() {
        let w = words("hello, world! 我想退货");
        assert_eq!(w[..2], ["hello", "world"]);
        assert!(w.contains(&"退货"));
    }

    #[test]
    fn boundaries_keep_compound_words_whole() {
        let mut b = Vec::new();
        let text = "这事真是大麻烦";
        cjk_boundaries(text, &mut b);
        let after_dama = text.find("大麻").unwrap() + "大麻".len();
        assert!(!b.contains(&after_dama));
    }
}
