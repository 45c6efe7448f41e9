//! Reading transcripts: JSON Lines files and stdin line by line (bounded memory), `.json` files
//! holding one transcript, an array of them, or several values one after another. Every record
//! carries its file name and 1-based line, so a bad one is reported as `file:line: message`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::sync::Arc;

use serde_json::Value;

/// Default for `--max-line-bytes`: twice the core's default transcript size limit.
pub const DEFAULT_MAX_LINE_BYTES: usize = 32 << 20;

/// Where a record came from.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file name as given, or `<stdin>`.
    pub file: Arc<str>,
    /// 1-based line of the record's first character; 0 for the input as a whole.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// One transcript to parse, or a problem found while reading.
#[derive(Debug)]
pub enum Item {
    /// One line of a JSON Lines input.
    Line(String),
    /// One transcript value of a `.json` file, and the length of its JSON text.
    Value(Value, usize),
    /// The record could not be read (too long, not UTF-8, broken JSON array).
    Bad(String),
}

/// A record and its place.
#[derive(Debug)]
pub struct Record {
    /// Where it came from.
    pub location: Location,
    /// What it holds.
    pub item: Item,
}

impl Record {
    /// The bytes of input text the record holds: a line's, or the JSON text a value was
    /// parsed from.
    pub fn bytes(&self) -> usize {
        match &self.item {
            Item::Line(text) | Item::Bad(text) => text.len(),
            Item::Value(_, len) => *len,
        }
    }
}

/// An input source as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-`: JSON Lines on stdin.
    Stdin,
    /// A `.json` file.
    Json(String),
    /// Any other file: JSON Lines.
    Jsonl(String),
}

impl Source {
    /// The source a command-line argument names.
    pub fn parse(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else if arg.to_ascii_lowercase().ends_with(".json") {
            Source::Json(arg.to_string())
        } else {
            Source::Jsonl(arg.to_string())
        }
    }

    fn name(&self) -> &str {
        match self {
            Source::Stdin => "<stdin>",
            Source::Json(p) | Source::Jsonl(p) => p,
        }
    }

    /// The file's size in bytes, for the progress bar (`None` for stdin).
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::Json(p) | Source::Jsonl(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }

    /// Checks that the file exists, before any output is written: a missing input is a usage
    /// error. Only its metadata is read; the file is opened once, when it is read (a FIFO
    /// opened twice loses what its writer sent to the first open).
    pub fn check(&self) -> io::Result<()> {
        match self {
            Source::Stdin => Ok(()),
            Source::Json(p) | Source::Jsonl(p) => std::fs::metadata(p).map(|_| ()),
        }
    }
}

/// Reads every source in order and hands each record to `emit`, until `emit` breaks;
/// `progress` gets the number of bytes read as they are read. An input that cannot be opened
/// or read (a directory, no permission, an I/O error) becomes a bad record naming it, after
/// every record read from it before the error; the next inputs are still read. Returns the
/// number of records read.
pub fn read_all(
    sources: &[Source],
    max_line_bytes: usize,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    progress: &mut dyn FnMut(u64),
) -> usize {
    let mut count = 0;
    for source in sources {
        let file: Arc<str> = Arc::from(source.name());
        let mut emit_counted = |r: Record| {
            count += 1;
            emit(r)
        };
        let flow = match source {
            Source::Stdin => {
                let stdin = io::stdin();
                read_lines(
                    stdin.lock(),
                    &file,
                    max_line_bytes,
                    &mut emit_counted,
                    progress,
                )
            }
            Source::Jsonl(path) => match File::open(path) {
                Ok(f) => {
                    let reader = BufReader::with_capacity(1 << 16, f);
                    read_lines(reader, &file, max_line_bytes, &mut emit_counted, progress)
                }
                Err(e) => emit_counted(bad(&file, 0, format!("cannot open: {e}"))),
            },
            Source::Json(path) => read_json_file(path, &file, &mut emit_counted, progress),
        };
        if flow.is_break() {
            break;
        }
    }
    count
}

/// Reads a `.json` file whole (opened once) and emits its transcripts.
fn read_json_file(
    path: &str,
    file: &Arc<str>,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    progress: &mut dyn FnMut(u64),
) -> ControlFlow<()> {
    let mut bytes = Vec::new();
    let read = File::open(path)
        .map_err(|e| format!("cannot open: {e}"))
        .and_then(|mut f| {
            f.read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read: {e}"))
        });
    if let Err(message) = read {
        return emit(bad(file, 0, message));
    }
    progress(bytes.len() as u64);
    match String::from_utf8(bytes) {
        Ok(text) => read_json_text(&text, file, emit),
        Err(e) => emit(bad(file, 1, format!("the file is not valid UTF-8: {e}"))),
    }
}

/// The UTF-8 byte order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Reads JSON Lines: one record per non-blank line, until `emit` breaks. A line over `max`
/// bytes is reported and skipped without being held in memory; a UTF-8 byte order mark
/// before the first line is dropped. A read error ends the input with a bad record.
pub fn read_lines(
    mut reader: impl BufRead,
    file: &Arc<str>,
    max: usize,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    progress: &mut dyn FnMut(u64),
) -> ControlFlow<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        let (read, too_long) = match read_line_limited(&mut reader, &mut buf, max) {
            Ok(r) => r,
            Err(e) => {
                let message = if line == 0 {
                    format!("cannot read: {e}")
                } else {
                    format!("cannot read past line {line}: {e}")
                };
                return emit(bad(file, 0, message));
            }
        };
        if read == 0 {
            return ControlFlow::Continue(());
        }
        progress(read as u64);
        line += 1;
        let location = Location {
            file: file.clone(),
            line,
        };
        if too_long {
            emit(Record {
                location,
                item: Item::Bad(format!(
                    "the line is {read} bytes, over the limit of {max} (--max-line-bytes)"
                )),
            })?;
            continue;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let text = match buf.strip_prefix(BOM) {
            Some(rest) if line == 1 => rest,
            _ => &buf[..],
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // a copy of exactly the line's length: `buf` keeps its capacity for the next line, and
        // a batch of lines holds no spare capacity
        let item = match std::str::from_utf8(text) {
            Ok(text) => Item::Line(text.to_string()),
            Err(e) => Item::Bad(format!("the line is not valid UTF-8: {e}")),
        };
        emit(Record { location, item })?;
    }
}

/// Reads one line into `buf`, keeping at most `max` bytes of it; returns the bytes consumed
/// and whether the line was longer than `max` (then `buf` holds only its beginning).
fn read_line_limited(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut consumed = 0usize;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, too_long));
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        if !too_long {
            if buf.len() + chunk.len() > max + 2 {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, too_long));
        }
    }
}

/// Reads a `.json` file: one transcript object, an array of them, or several values in a row.
/// Each transcript is located at the line where its value starts. A syntax error ends the file.
pub fn read_json_text(
    text: &str,
    file: &Arc<str>,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut lines = LineCounter::default();
    let mut pos = skip_ws(text, 0);
    while pos < text.len() {
        if text[pos..].starts_with('[') {
            pos = skip_ws(text, pos + 1);
            if text[pos..].starts_with(']') {
                pos = skip_ws(text, pos + 1);
                continue;
            }
            loop {
                let line = lines.line_at(text, pos);
                match read_value(text, pos, line, file, emit)? {
                    Some(next) => pos = next,
                    None => return ControlFlow::Continue(()),
                }
                if text[pos..].starts_with(',') {
                    pos = skip_ws(text, pos + 1);
                } else if text[pos..].starts_with(']') {
                    pos = skip_ws(text, pos + 1);
                    break;
                } else {
                    let line = lines.line_at(text, pos);
                    let msg = "invalid JSON: expected `,` or `]` after an array item";
                    return emit(bad(file, line, msg.to_string()));
                }
            }
        } else {
            let line = lines.line_at(text, pos);
            match read_value(text, pos, line, file, emit)? {
                Some(next) => pos = next,
                None => return ControlFlow::Continue(()),
            }
        }
    }
    ControlFlow::Continue(())
}

/// Emits the JSON value at `pos` (which starts on `line`); the position after it and the
/// whitespace that follows, or `None` after emitting its syntax error.
fn read_value(
    text: &str,
    pos: usize,
    line: usize,
    file: &Arc<str>,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> ControlFlow<(), Option<usize>> {
    match next_value(&text[pos..]) {
        Ok((value, len)) => {
            emit(Record {
                location: Location {
                    file: file.clone(),
                    line,
                },
                item: Item::Value(value, len),
            })?;
            ControlFlow::Continue(Some(skip_ws(text, pos + len)))
        }
        Err(e) => {
            emit_syntax(file, line, e, emit)?;
            ControlFlow::Continue(None)
        }
    }
}

fn bad(file: &Arc<str>, line: usize, message: String) -> Record {
    Record {
        location: Location {
            file: file.clone(),
            line,
        },
        item: Item::Bad(message),
    }
}

fn emit_syntax(
    file: &Arc<str>,
    line: usize,
    e: serde_json::Error,
    emit: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> ControlFlow<()> {
    // serde_json counts lines from the value's start; report the file's line
    let at = line + e.line().saturating_sub(1);
    emit(bad(
        file,
        at,
        format!("invalid JSON: {e}; the rest of the file is skipped"),
    ))
}

/// Parses the first JSON value of `text`; returns it and the bytes it took.
fn next_value(text: &str) -> Result<(Value, usize), serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok((v, stream.byte_offset())),
        Some(Err(e)) => Err(e),
        None => Err(serde::de::Error::custom("unexpected end of file")),
    }
}

fn skip_ws(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    // a UTF-8 byte order mark at the start
    if pos == 0 && text.starts_with('\u{feff}') {
        return skip_ws(text, 3);
    }
    pos
}

/// Turns increasing byte offsets into 1-based line numbers in one pass over the text.
#[derive(Debug, Default)]
struct LineCounter {
    pos: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, pos: usize) -> usize {
        if pos >= self.pos {
            self.newlines += text.as_bytes()[self.pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = pos;
        }
        self.newlines + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_json(text: &str) -> Vec<(usize, String)> {
        let file: Arc<str> = Arc::from("t.json");
        let mut out = Vec::new();
        let _ = read_json_text(text, &file, &mut |r| {
            let what = match r.item {
                Item::Value(v, _) => v["id"].to_string(),
                Item::Bad(m) => format!("bad: {m}"),
                Item::Line(_) => unreachable!(),
            };
            out.push((r.location.line, what));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn json_array_items_keep_their_lines() {
        let got = collect_json("[\n {\"id\": 1},\n\n {\"id\": 2}\n]\n");
        assert_eq!(got, vec![(2, "1".into()), (4, "2".into())]);
    }

    #[test]
    fn json_single_object_and_concatenated_values() {
        let got = collect_json("{\"id\": 1}\n{\"id\": 2}");
        assert_eq!(got, vec![(1, "1".into()), (2, "2".into())]);
    }

    #[test]
    fn json_syntax_error_is_located() {
        let got = collect_json("[\n {\"id\": 1},\n {\"id\": }\n]");
        assert_eq!(got[0], (2, "1".into()));
        assert_eq!(got[1].0, 3);
        assert!(got[1].1.starts_with("bad: invalid JSON"));
    }

    #[test]
    fn long_lines_are_skipped_not_kept() {
        let text = format!("{{\"a\":1}}\n{}\n{{\"b\":2}}\n", "x".repeat(100));
        let file: Arc<str> = Arc::from("t.jsonl");
        let mut out = Vec::new();
        let _ = read_lines(
            text.as_bytes(),
            &file,
            20,
            &mut |r| {
                out.push(r);
                ControlFlow::Continue(())
            },
            &mut |_| {},
        );
        assert_eq!(out.len(), 3);
        assert!(matches!(&out[0].item, Item::Line(l) if l == "{\"a\":1}"));
        assert!(matches!(&out[1].item, Item::Bad(m) if m.contains("over the limit")));
        assert_eq!(out[2].location.line, 3);
    }

    #[test]
    fn a_bom_before_the_first_line_is_dropped() {
        let file: Arc<str> = Arc::from("t.jsonl");
        let mut out = Vec::new();
        let text = "\u{feff}{\"a\":1}\n\u{feff}{\"b\":2}\n";
        let _ = read_lines(
            text.as_bytes(),
            &file,
            100,
            &mut |r| {
                out.push(r);
                ControlFlow::Continue(())
            },
            &mut |_| {},
        );
        assert!(matches!(&out[0].item, Item::Line(l) if l == "{\"a\":1}"));
        // only at the start of the input
        assert!(matches!(&out[1].item, Item::Line(l) if l.starts_with('\u{feff}')));
    }
}
