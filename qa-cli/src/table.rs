//! Plain-text tables whose columns line up with Chinese text (display width, not characters).

use unicode_width::UnicodeWidthStr;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table: a header and rows of cells, written with two spaces between columns.
#[derive(Debug)]
pub struct Table {
    columns: Vec<(String, Align)>,
    widths: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            widths: columns.iter().map(|(h, _)| h.width()).collect(),
            columns: columns.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; widths grow to fit it.
    pub fn row(&mut self, cells: Vec<String>) {
        self.fit(&cells);
        self.rows.push(cells);
    }

    /// Widens the columns to fit `cells` without keeping them.
    pub fn fit(&mut self, cells: &[String]) {
        for (w, c) in self.widths.iter_mut().zip(cells) {
            *w = (*w).max(c.width());
        }
    }

    /// The header line.
    pub fn header(&self) -> String {
        let cells: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        self.line(&cells)
    }

    /// One row as a line (the last column is not padded).
    pub fn line(&self, cells: &[String]) -> String {
        let mut out = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let width = self.widths.get(i).copied().unwrap_or(0);
            let pad = width.saturating_sub(cell.width());
            let align = self.columns.get(i).map_or(Align::Left, |c| c.1);
            match align {
                Align::Right => {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
                Align::Left => {
                    out.push_str(cell);
                    if i < last {
                        out.push_str(&" ".repeat(pad));
                    }
                }
            }
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// The whole table: header and rows, each line ending in a newline.
    pub fn render(&self) -> String {
        let mut out = self.header();
        out.push('\n');
        for row in &self.rows {
            out.push_str(&self.line(row));
            out.push('\n');
        }
        out
    }
}

/// A number with at most one decimal, without a trailing `.0` noise for whole numbers in
/// counts, e.g. `75` or `82.5`.
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A share as a percentage with one decimal: `37.5%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `text` on one line (line breaks and tabs as spaces), cut after `max` characters with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_by_characters_and_flattens_lines() {
        assert_eq!(shorten("宽带又断了", 3), "宽带又…");
        assert_eq!(shorten("宽带又", 3), "宽带又");
        assert_eq!(shorten("a\nb😀", 10), "a b😀");
        assert_eq!(shorten("", 3), "");
    }

    #[test]
    fn chinese_columns_line_up() {
        let mut t = Table::new(&[("rule", Align::Left), ("n", Align::Right)]);
        t.row(vec!["服务禁语".into(), "3".into()]);
        t.row(vec!["rude".into(), "12".into()]);
        assert_eq!(t.render(), "rule       n\n服务禁语   3\nrude      12\n");
    }

    #[test]
    fn numbers() {
        assert_eq!(num(75.0), "75");
        assert_eq!(num(82.5), "82.5");
        assert_eq!(percent(0.375), "37.5%");
    }
}
