//! Rubric source text → a format-neutral tree of values, each with its line and column.
//!
//! YAML and JSON are read by `saphyr` (JSON is first checked by `serde_json`, whose syntax
//! errors are JSON-specific), TOML by `toml`'s spanned parser. The rubric checker in
//! [`crate::rubric`] then walks one [`Node`] tree whatever the format, so every format gets the
//! same errors at the same kind of place.

use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};

use crate::error::{Diagnostic, RubricErrorKind};
use crate::limits::Limits;

/// A 1-based (line, column) position; column in characters.
pub(crate) type Pos = Option<(usize, usize)>;

/// A position kept in the rubric model. It is where an item was written, not what it means,
/// so it never makes two rubrics unequal.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place(pub Pos);

impl PartialEq for Place {
    fn eq(&self, _: &Place) -> bool {
        true
    }
}

/// The file a rubric was read from; like [`Place`], not part of equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileName(pub Option<String>);

impl PartialEq for FileName {
    fn eq(&self, _: &FileName) -> bool {
        true
    }
}

/// One value of the rubric source.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order: key, key position, value.
    Map(Vec<(String, Pos, Node)>),
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A rubric's source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML 1.2.
    Yaml,
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl Format {
    /// The format a file name's extension names (`.yaml`/`.yml`, `.json`, `.toml`).
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// Parses `yaml`, `yml`, `json` or `toml` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }
}

/// Opens a rubric file once and reads at most `limits.max_rubric_bytes` (plus one byte, to
/// tell a file at the limit from one over it): its reported size is never trusted, so a FIFO, a
/// device or a file that grows is read only that far.
pub(crate) fn read_file(
    path: &std::path::Path,
    limits: &Limits,
) -> Result<(String, Format), Diagnostic> {
    use std::io::Read;
    let io_err = |msg: String| Diagnostic::new(RubricErrorKind::Io, msg);
    let format = Format::from_path(path).ok_or_else(|| {
        io_err(
            "unknown rubric format: the file name must end in .yaml, .yml, .json or .toml".into(),
        )
    })?;
    let file = std::fs::File::open(path).map_err(|e| io_err(format!("cannot read: {e}")))?;
    let cap = limits.max_rubric_bytes as u64;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(too_large(None, limits));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| io_err(format!("cannot read: the file is not UTF-8 text ({e})")))?;
    Ok((text, format))
}

fn too_large(len: Option<usize>, limits: &Limits) -> Diagnostic {
    let size = match len {
        Some(n) => format!("{n} bytes"),
        None => "more bytes".to_string(),
    };
    Diagnostic::new(
        RubricErrorKind::RubricTooLarge,
        format!(
            "the rubric is {size}, over the limit of {} bytes",
            limits.max_rubric_bytes
        ),
    )
    .help("split it, or raise `Limits::max_rubric_bytes`")
}

/// Parses rubric text (a leading UTF-8 byte order mark is ignored, in every format).
pub(crate) fn parse(text: &str, format: Format, limits: &Limits) -> Result<Node, Diagnostic> {
    if text.len() > limits.max_rubric_bytes {
        return Err(too_large(Some(text.len()), limits));
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let depth = limits.source_depth();
    match format {
        Format::Yaml => parse_yaml(text, depth),
        Format::Json => {
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                return Err(Diagnostic::new(
                    RubricErrorKind::Syntax,
                    format!("invalid JSON: {msg}"),
                )
                .at(Some((e.line(), e.column()))));
            }
            parse_yaml(text, depth)
        }
        Format::Toml => parse_toml(text, depth),
    }
}

/// A JSON value as a rubric source tree (no positions). Nesting is held to the same limit.
pub(crate) fn from_json_value(v: &serde_json::Value, limits: &Limits) -> Result<Node, Diagnostic> {
    fn walk(v: &serde_json::Value, depth: usize, max: usize) -> Result<Node, Diagnostic> {
        use serde_json::Value as J;
        if depth > max {
            return Err(too_deep(None, max));
        }
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::Str(s.clone()),
            J::Array(items) => Value::Seq(
                items
                    .iter()
                    .map(|i| walk(i, depth + 1, max))
                    .collect::<Result<_, _>>()?,
            ),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), None, walk(v, depth + 1, max)?)))
                    .collect::<Result<_, Diagnostic>>()?,
            ),
        };
        Ok(Node { pos: None, value })
    }
    walk(v, 0, limits.source_depth())
}

fn too_deep(pos: Pos, max: usize) -> Diagnostic {
    Diagnostic::new(
        RubricErrorKind::TooDeep,
        format!("the rubric is nested more than {max} levels deep"),
    )
    .at(pos)
    .help("raise `Limits::max_source_depth` if the nesting is meant")
}

fn syntax(msg: String, pos: Pos) -> Diagnostic {
    Diagnostic::new(RubricErrorKind::Syntax, msg).at(pos)
}

fn parse_yaml(text: &str, max_depth: usize) -> Result<Node, Diagnostic> {
    let mut loader = YamlLoader::<MarkedYaml<'_>>::default();
    // an alias is refused, not expanded: with no budget for expansion, the loader stops at the
    // first one (so no billion laughs, and no copies that the rubric checker cannot place)
    loader.alias_limit(0);
    let parsed = saphyr_parser::Parser::new_from_str(text).load(&mut loader, true);
    if let Some(e) = parsed.err().or_else(|| loader.error().cloned()) {
        let m = e.marker();
        let pos = Some((m.line(), m.col() + 1));
        if e.info().starts_with("alias expansion") {
            return Err(syntax(ALIASES_REFUSED.into(), pos));
        }
        return Err(syntax(format!("invalid YAML: {}", e.info()), pos));
    }
    let docs = loader.into_documents();
    match docs.len() {
        0 => Ok(Node {
            pos: Some((1, 1)),
            value: Value::Null,
        }),
        1 => from_yaml(&docs[0], 0, max_depth),
        _ => Err(syntax(
            "a rubric file holds one YAML document, found several".into(),
            Some((docs[1].span.start.line(), docs[1].span.start.col() + 1)),
        )),
    }
}

const ALIASES_REFUSED: &str =
    "YAML aliases (*name) are not supported in rubrics; use `lists` and \"@name\"";

fn from_yaml(y: &MarkedYaml<'_>, depth: usize, max: usize) -> Result<Node, Diagnostic> {
    let pos = Some((y.span.start.line(), y.span.start.col() + 1));
    if depth > max {
        return Err(too_deep(pos, max));
    }
    let value = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|i| from_yaml(i, depth + 1, max))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let kpos = Some((k.span.start.line(), k.span.start.col() + 1));
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    YamlData::Value(Scalar::Null) => "null".to_string(),
                    YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
                    _ => return Err(syntax("mapping keys must be plain strings".into(), kpos)),
                };
                entries.push((key, kpos, from_yaml(v, depth + 1, max)?));
            }
            Value::Map(entries)
        }
        YamlData::Tagged(_, inner) => return from_yaml(inner, depth, max),
        YamlData::Alias(_) => return Err(syntax(ALIASES_REFUSED.into(), pos)),
        YamlData::BadValue | YamlData::Representation(..) => {
            return Err(syntax("a value that cannot be read".into(), pos))
        }
    };
    Ok(Node { pos, value })
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

fn parse_toml(text: &str, max: usize) -> Result<Node, Diagnostic> {
    let lines = LineIndex::new(text);
    let table = toml::de::DeTable::parse(text).map_err(|e| {
        syntax(
            format!("invalid TOML: {}", e.message()),
            e.span().map(|s| lines.pos(s.start)).flatten_pos(),
        )
    })?;
    let span = table.span();
    Ok(Node {
        pos: lines.pos(span.start),
        value: toml_table(table.get_ref(), &lines, 0, max)?,
    })
}

trait FlattenPos {
    fn flatten_pos(self) -> Pos;
}

impl FlattenPos for Option<Pos> {
    fn flatten_pos(self) -> Pos {
        self.flatten()
    }
}

fn toml_table(
    t: &toml::de::DeTable<'_>,
    lines: &LineIndex,
    depth: usize,
    max: usize,
) -> Result<Value, Diagnostic> {
    let mut entries = Vec::with_capacity(t.len());
    for (k, v) in t.iter() {
        let kpos = lines.pos(k.span().start);
        entries.push((
            k.get_ref().to_string(),
            kpos,
            toml_node(v, lines, depth + 1, max)?,
        ));
    }
    Ok(Value::Map(entries))
}

fn toml_node(
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    lines: &LineIndex,
    depth: usize,
    max: usize,
) -> Result<Node, Diagnostic> {
    use toml::de::DeValue;
    let pos = lines.pos(v.span().start);
    if depth > max {
        return Err(too_deep(pos, max));
    }
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()).ok() {
            Some(i) => Value::Int(i),
            None => return Err(syntax("integer out of range".into(), pos)),
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>().ok() {
            Some(f) => Value::Float(f),
            None => return Err(syntax("invalid float".into(), pos)),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::Seq(
            items
                .iter()
                .map(|i| toml_node(i, lines, depth + 1, max))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => toml_table(t, lines, depth, max)?,
    };
    Ok(Node { pos, value })
}

/// Byte offset → 1-based (line, column in characters).
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn pos(&self, byte: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= byte).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..byte)?.chars().count() + 1;
        Some((line, col))
    }
}
