//! Where each finding's evidence goes in its turn's text, and the HTML of a turn with its
//! evidence marked.
//!
//! Every finding with a span gets exactly one `<mark data-rule="…">` whose text is its
//! evidence. Spans of one turn that are disjoint or contain one another are marked in place,
//! nested for containment (equal spans nest too). A span that starts inside a marked span and
//! ends after it (a partial overlap) cannot be marked in place without splitting one of the two
//! marks; it is marked in the conversation's list of findings instead ([`Placement::Listed`]),
//! which is the one choice that keeps every mark's text equal to its finding's text.

use std::ops::Range;

/// Where a finding's evidence is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Marked in the turn's text.
    Inline,
    /// Marked in the list of findings (its span partly overlaps one marked in the text).
    Listed,
    /// Not marked: the finding has no span (whole conversation, timing rules) or a span that
    /// does not fit its turn.
    None,
}

/// Decides the placement of each span of one turn (code point ranges into `len` code points)
/// and returns the inline ones in the order they open: by start, longer first, then by index.
pub fn layout(spans: &[(usize, Range<usize>)], len: usize) -> (Vec<usize>, Vec<Placement>) {
    let mut placement = vec![Placement::None; spans.len()];
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| {
            let r = &spans[i].1;
            r.start <= r.end && r.end <= len
        })
        .collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&spans[a].1, &spans[b].1);
        ra.start
            .cmp(&rb.start)
            .then(rb.end.cmp(&ra.end))
            .then(a.cmp(&b))
    });
    let mut open: Vec<usize> = Vec::new(); // ends of the marks open at this point
    let mut inline = Vec::new();
    for i in order {
        let r = &spans[i].1;
        // marks that end where this one starts (or before) are closed: siblings, not parents
        while open.last().is_some_and(|&end| end <= r.start) {
            open.pop();
        }
        match open.last() {
            Some(&end) if r.end > end => placement[i] = Placement::Listed,
            _ => {
                placement[i] = Placement::Inline;
                open.push(r.end);
                inline.push(i);
            }
        }
    }
    (inline, placement)
}

/// The turn's text as HTML with `<mark>`s around the inline spans (`inline` as [`layout`]
/// returns it; `rule` gives the rule id of a span's finding).
pub fn marked_html(
    text: &str,
    spans: &[(usize, Range<usize>)],
    inline: &[usize],
    rule: &dyn Fn(usize) -> String,
) -> String {
    let bytes = char_to_byte(text);
    let mut out = String::with_capacity(text.len() + 40 * inline.len());
    let mut pos = 0; // code points written
    let mut open: Vec<usize> = Vec::new();
    let close_to = |out: &mut String, pos: &mut usize, end: usize| {
        out.push_str(&escape(&text[bytes[*pos]..bytes[end]]));
        out.push_str("</mark>");
        *pos = end;
    };
    for &i in inline {
        let r = &spans[i].1;
        while let Some(&end) = open.last() {
            if end <= r.start {
                close_to(&mut out, &mut pos, end);
                open.pop();
            } else {
                break;
            }
        }
        out.push_str(&escape(&text[bytes[pos]..bytes[r.start]]));
        pos = r.start;
        out.push_str(&format!(
            "<mark data-rule=\"{}\">",
            escape(&rule(spans[i].0))
        ));
        open.push(r.end);
    }
    while let Some(end) = open.pop() {
        close_to(&mut out, &mut pos, end);
    }
    out.push_str(&escape(&text[bytes[pos]..]));
    out
}

/// Byte offset of every code point of `text`, and of its end.
fn char_to_byte(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect()
}

/// The UTF-16 offsets (for the page's JavaScript) of code point offsets into `text`.
pub fn utf16_offsets(text: &str, points: &[usize]) -> Vec<usize> {
    let mut at = Vec::with_capacity(text.len() + 1);
    let mut units = 0;
    for c in text.chars() {
        at.push(units);
        units += c.len_utf16();
    }
    at.push(units);
    points.iter().map(|&p| at[p.min(at.len() - 1)]).collect()
}

/// `text[range]` in code points.
pub fn slice(text: &str, range: &Range<usize>) -> String {
    text.chars()
        .skip(range.start)
        .take(range.end - range.start)
        .collect()
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(ranges: &[Range<usize>]) -> Vec<(usize, Range<usize>)> {
        ranges.iter().cloned().enumerate().collect()
    }

    fn html(text: &str, ranges: &[Range<usize>]) -> (String, Vec<Placement>) {
        let s = spans(ranges);
        let (inline, placement) = layout(&s, text.chars().count());
        let rules = ["a", "b", "c", "d"];
        (
            marked_html(text, &s, &inline, &|i| rules[i].to_string()),
            placement,
        )
    }

    #[test]
    fn disjoint_and_adjacent_spans_are_marked_in_place() {
        let (h, p) = html("您好请问有什么", &[0..2, 2..4, 5..7]);
        assert_eq!(
            h,
            "<mark data-rule=\"a\">您好</mark><mark data-rule=\"b\">请问</mark>有\
             <mark data-rule=\"c\">什么</mark>"
        );
        assert_eq!(p, vec![Placement::Inline; 3]);
    }

    #[test]
    fn contained_and_equal_spans_nest() {
        let (h, _) = html("这是规定啊", &[1..3, 0..4, 0..4]);
        assert_eq!(
            h,
            "<mark data-rule=\"b\"><mark data-rule=\"c\">这<mark data-rule=\"a\">是规</mark>定\
             </mark></mark>啊"
        );
    }

    #[test]
    fn a_partial_overlap_is_listed_not_split() {
        let (h, p) = html("abcdefgh", &[0..5, 3..8, 4..5]);
        assert_eq!(
            h,
            "<mark data-rule=\"a\">abcd<mark data-rule=\"c\">e</mark></mark>fgh"
        );
        assert_eq!(
            p,
            vec![Placement::Inline, Placement::Listed, Placement::Inline]
        );
    }

    #[test]
    fn empty_spans_and_spans_past_the_end() {
        let (h, p) = html("ab", &[1..1, 0..1, 1..9]);
        assert_eq!(
            h,
            "<mark data-rule=\"b\">a</mark><mark data-rule=\"a\"></mark>b"
        );
        assert_eq!(
            p,
            vec![Placement::Inline, Placement::Inline, Placement::None]
        );
    }

    #[test]
    fn offsets_are_code_points_and_text_is_escaped() {
        // 😀 is one code point, two UTF-16 units, four bytes
        let (h, _) = html("😀<b>&\"'繁體", &[1..4, 7..9]);
        assert_eq!(
            h,
            "😀<mark data-rule=\"a\">&lt;b&gt;</mark>&amp;&quot;&#39;<mark data-rule=\"b\">繁體</mark>"
        );
        assert_eq!(utf16_offsets("😀<b>", &[0, 1, 4]), vec![0, 2, 5]);
        assert_eq!(slice("😀繁體", &(1..3)), "繁體");
    }
}
