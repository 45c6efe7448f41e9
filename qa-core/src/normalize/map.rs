//! A normalized turn and its map back to the original text, kept as *pieces* rather than one
//! entry per character.
//!
//! A linear piece is a stretch of the normalized text that is the original text character for
//! character with the same UTF-8 lengths (unchanged characters, ASCII lower-cased, most 繁→简
//! conversions): a byte `x` in it is byte `orig + (x - norm)` of the original, and character
//! boundaries line up. Any other output — a character whose normalized form has another
//! length (full-width → half-width) or is several characters (some lower-casings), or a
//! stripped region's separator — is a piece of its own that maps as a whole to its original
//! character's (or region's) range. A character that normalizes to nothing (noise, invisible)
//! leaves a gap: the next output starts a new piece. A turn of unchanged text is one piece.

use std::ops::Range;

use super::SEPARATOR;

/// A normalized turn: the text plus the way back to the original.
#[derive(Debug, Default, Clone)]
pub(crate) struct Normalized {
    /// The normalized text that phrases and regexes run over.
    pub text: String,
    /// Where each stretch of `text` comes from, ascending by `norm`; the first starts at 0.
    pieces: Vec<Piece>,
    /// Byte offsets in `text` of the separators that stand for stripped regions, ascending.
    seps: Vec<u32>,
}

/// `text[norm..]` up to the next piece comes from the original at `orig`: byte for byte when
/// `linear`, else as a whole from `orig..orig_end` (one original character or region).
#[derive(Debug, Clone, Copy)]
struct Piece {
    norm: u32,
    orig: u32,
    orig_end: u32,
    linear: bool,
}

/// Whether `b` is the first byte of a UTF-8 sequence.
#[inline]
fn starts_char(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl Normalized {
    /// Normalized character index of a normalized byte offset (`text.len()` and past map to the
    /// number of characters). Counts from the start (see [`Normalized::char_indices`]).
    #[cfg(test)]
    pub fn char_index(&self, byte: usize) -> usize {
        let b = self.text.as_bytes();
        if byte >= b.len() {
            return b.iter().filter(|&&x| starts_char(x)).count();
        }
        b[..=byte].iter().filter(|&&x| starts_char(x)).count() - 1
    }

    /// [`Normalized::char_index`] of each of `bytes` (ascending), in one pass over the text.
    pub fn char_indices(&self, bytes: &[usize]) -> Vec<usize> {
        let b = self.text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        // character starts in b[..at]
        let (mut at, mut starts) = (0, 0);
        for &x in bytes {
            let upto = if x >= b.len() { b.len() } else { x + 1 };
            if upto > at {
                starts += b[at..upto].iter().filter(|&&c| starts_char(c)).count();
                at = upto;
            }
            out.push(if x >= b.len() { starts } else { starts - 1 });
        }
        out
    }

    /// The piece that normalized byte `byte` (< `text.len()`) is in.
    #[inline]
    fn piece(&self, byte: usize) -> &Piece {
        let i = self.pieces.partition_point(|p| p.norm as usize <= byte);
        &self.pieces[i.saturating_sub(1)]
    }

    /// Original byte where the character holding normalized byte `byte` starts.
    fn orig_start(&self, byte: usize) -> usize {
        let p = self.piece(byte);
        if !p.linear {
            return p.orig as usize;
        }
        let b = self.text.as_bytes();
        let mut s = byte;
        while s > p.norm as usize && !starts_char(b[s]) {
            s -= 1;
        }
        p.orig as usize + (s - p.norm as usize)
    }

    /// Original byte where the character holding normalized byte `byte` ends.
    fn orig_end(&self, byte: usize) -> usize {
        let p = self.piece(byte);
        if !p.linear {
            return p.orig_end as usize;
        }
        let b = self.text.as_bytes();
        let mut e = byte + 1;
        while e < b.len() && !starts_char(b[e]) {
            e += 1;
        }
        p.orig as usize + (e - p.norm as usize)
    }

    /// Original byte range of the normalized byte range `start..end` (non-empty): from the
    /// source of its first character to the end of its last one's.
    pub fn original_range(&self, start: usize, end: usize) -> Range<usize> {
        let last = end.saturating_sub(1).max(start);
        if last >= self.text.len() {
            return 0..0;
        }
        self.orig_start(start)..self.orig_end(last)
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

    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.pieces.clear();
        self.seps.clear();
    }

    pub(super) fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// Starts a linear piece at original byte `orig` unless the last piece goes on there.
    #[inline]
    fn linear_at(&mut self, orig: usize) {
        let norm = self.text.len();
        let continues = self
            .pieces
            .last()
            .is_some_and(|p| p.linear && p.orig as usize + (norm - p.norm as usize) == orig);
        if !continues {
            self.pieces.push(Piece {
                norm: norm as u32,
                orig: orig as u32,
                orig_end: 0,
                linear: true,
            });
        }
    }

    /// Appends `s`, which is `original[orig..orig + s.len()]` normalized character for
    /// character, each to one of the same length.
    #[inline]
    pub(super) fn push_linear(&mut self, s: &str, orig: usize) {
        if s.is_empty() {
            return;
        }
        self.linear_at(orig);
        self.text.push_str(s);
    }

    /// Appends `c`, what the original character at `orig` (of the same length) normalizes to.
    #[inline]
    pub(super) fn push_char_linear(&mut self, c: char, orig: usize) {
        self.linear_at(orig);
        self.text.push(c);
    }

    /// Lower-cases the ASCII letters of `text[from..]` (lengths and pieces stay).
    pub(super) fn ascii_lowercase_from(&mut self, from: usize) {
        self.text[from..].make_ascii_lowercase();
    }

    /// Appends `c`, one of the characters the original `orig_start..orig_end` normalizes to
    /// (not one for one with the same length).
    pub(super) fn push_mapped(&mut self, c: char, orig_start: usize, orig_end: usize) {
        let norm = self.text.len();
        let same = self.pieces.last().is_some_and(|p| {
            !p.linear && p.orig as usize == orig_start && p.orig_end as usize == orig_end
        });
        if !same {
            self.pieces.push(Piece {
                norm: norm as u32,
                orig: orig_start as u32,
                orig_end: orig_end as u32,
                linear: false,
            });
        }
        self.text.push(c);
    }

    /// Appends the separator that stands for the stripped region `region` of the original.
    pub(super) fn push_separator(&mut self, region: Range<usize>) {
        self.seps.push(self.text.len() as u32);
        // a piece of its own even next to another region's separator
        self.pieces.push(Piece {
            norm: self.text.len() as u32,
            orig: region.start as u32,
            orig_end: region.end as u32,
            linear: false,
        });
        self.text.push(SEPARATOR);
    }
}
