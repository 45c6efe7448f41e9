//! Rubric source text → a format-neutral tree of values, each with its line and column.
//!
//! YAML and JSON are read by `saphyr` (JSON is first checked by `serde_json`, whose syntax
//! errors are JSON-specific), TOML by `toml`'s spanned parser. The rubric checker in
//! [`crate::rubric`] then walks one [`Node`] tree whatever the format, so every format gets the
//! same errors at the same kind of place.

use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};

use crate::error::{Diagnostic, RubricErrorKind};

/// A 1-based (line, column) position; column in characters.
pub(crate) type Pos = Option<(usize, usize)>;

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

pub(crate) fn parse(text: &str, format: Format) -> Result<Node, Diagnostic> {
    match format {
        Format::Yaml => parse_yaml(text),
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
            parse_yaml(text)
        }
        Format::Toml => parse_toml(text),
    }
}

fn syntax(msg: String, pos: Pos) -> Diagnostic {
    Diagnostic::new(RubricErrorKind::Syntax, msg).at(pos)
}

fn parse_yaml(text: &str) -> Result<Node, Diagnostic> {
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
        1 => from_yaml(&docs[0], 0),
        _ => Err(syntax(
            "a rubric file holds one YAML document, found several".into(),
            Some((docs[1].span.start.line(), docs[1].span.start.col() + 1)),
        )),
    }
}

const MAX_SOURCE_DEPTH: usize = 64;

const ALIASES_REFUSED: &str =
    "YAML aliases (*name) are not supported in rubrics; use `lists` and \"@name\"";

fn from_yaml(y: &MarkedYaml<'_>, depth: usize) -> Result<Node, Diagnostic> {
    let pos = Some((y.span.start.line(), y.span.start.col() + 1));
    if depth > MAX_SOURCE_DEPTH {
        return Err(Diagnostic::new(
            RubricErrorKind::TooDeep,
            format!("the rubric is nested more than {MAX_SOURCE_DEPTH} levels deep"),
        )
        .at(pos));
    }
    let value = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Sequence(items) => Value::Seq(
            items
                .iter()
                .map(|i| from_yaml(i, depth + 1))
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
                entries.push((key, kpos, from_yaml(v, depth + 1)?));
            }
            Value::Map(entries)
        }
        YamlData::Tagged(_, inner) => return from_yaml(inner, depth),
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

fn parse_toml(text: &str) -> Result<Node, Diagnostic> {
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
        value: toml_table(table.get_ref(), &lines, 0)?,
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
) -> Result<Value, Diagnostic> {
    let mut entries = Vec::with_capacity(t.len());
    for (k, v) in t.iter() {
        let kpos = lines.pos(k.span().start);
        entries.push((
            k.get_ref().to_string(),
            kpos,
            toml_node(v, lines, depth + 1)?,
        ));
    }
    Ok(Value::Map(entries))
}

fn toml_node(
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    lines: &LineIndex,
    depth: usize,
) -> Result<Node, Diagnostic> {
    use toml::de::DeValue;
    let pos = lines.pos(v.span().start);
    if depth > MAX_SOURCE_DEPTH {
        return Err(Diagnostic::new(
            RubricErrorKind::TooDeep,
            format!("the rubric is nested more than {MAX_SOURCE_DEPTH} levels deep"),
        )
        .at(pos));
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
                .map(|i| toml_node(i, lines, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => toml_table(t, lines, depth)?,
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
