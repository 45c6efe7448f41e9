//! YAML (read by saphyr) to JSON values, keeping the line of each node where it is needed.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (a YAML bomb is not a test case).
const MAX_DEPTH: usize = 128;

/// A parsed YAML document.
#[derive(Debug)]
pub struct Document<'a> {
    root: Option<MarkedYaml<'a>>,
}

impl<'a> Document<'a> {
    /// Parses one YAML document (an empty text is a null document).
    pub fn parse(text: &'a str) -> Result<Document<'a>, String> {
        let mut docs = MarkedYaml::load_from_str(text).map_err(|e| {
            let m = e.marker();
            format!("{}:{}: invalid YAML: {}", m.line(), m.col() + 1, e.info())
        })?;
        if docs.len() > 1 {
            return Err("the file holds several YAML documents; put every case in one".into());
        }
        Ok(Document { root: docs.pop() })
    }

    /// The root's items with their 1-based lines: the root itself when it is a sequence, or
    /// the sequence under `key` when the root is a mapping.
    pub fn items(&self, key: &str) -> Result<Vec<(usize, Value)>, String> {
        let Some(root) = &self.root else {
            return Ok(Vec::new());
        };
        let seq = match &root.data {
            YamlData::Sequence(items) => items,
            YamlData::Mapping(map) => {
                let mut found = None;
                for (k, v) in map.iter() {
                    match &k.data {
                        YamlData::Value(Scalar::String(s)) if s == key => found = Some(v),
                        _ => {
                            return Err(format!(
                            "{}: unknown top-level key; the file holds a list of cases or `{key}:`",
                            k.span.start.line()
                        ))
                        }
                    }
                }
                match found.map(|v| &v.data) {
                    Some(YamlData::Sequence(items)) => items,
                    Some(YamlData::Value(Scalar::Null)) | None => return Ok(Vec::new()),
                    Some(_) => return Err(format!("`{key}` must be a list")),
                }
            }
            YamlData::Value(Scalar::Null) => return Ok(Vec::new()),
            _ => return Err(format!("the file must hold a list of cases or `{key}:`")),
        };
        seq.iter()
            .map(|item| Ok((item.span.start.line(), to_json(item, 0)?)))
            .collect()
    }
}

/// Converts a YAML node to JSON. Mapping keys become strings; aliases are refused.
pub fn to_json(y: &MarkedYaml<'_>, depth: usize) -> Result<Value, String> {
    let line = y.span.start.line();
    if depth > MAX_DEPTH {
        return Err(format!("{line}: nested more than {MAX_DEPTH} levels deep"));
    }
    Ok(match &y.data {
        YamlData::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::Number((*i).into()),
            Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
                .map(Value::Number)
                .ok_or_else(|| format!("{line}: a number that JSON cannot hold"))?,
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut obj = Map::new();
            for (k, v) in map.iter() {
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
                    YamlData::Value(Scalar::Null) => "null".to_string(),
                    _ => return Err(format!("{line}: mapping keys must be plain strings")),
                };
                obj.insert(key, to_json(v, depth + 1)?);
            }
            Value::Object(obj)
        }
        YamlData::Tagged(_, inner) => to_json(inner, depth)?,
        YamlData::Alias(_) => {
            return Err(format!("{line}: YAML aliases (*name) are not supported"))
        }
        YamlData::BadValue | YamlData::Representation(..) => {
            return Err(format!("{line}: a value that cannot be read"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cases_with_lines() {
        let doc = Document::parse("cases:\n  - name: a\n    n: 1.5\n  - {name: b, x: [1, null]}\n")
            .unwrap();
        let items = doc.items("cases").unwrap();
        assert_eq!(items[0], (2, json!({"name": "a", "n": 1.5})));
        assert_eq!(items[1], (4, json!({"name": "b", "x": [1, null]})));
    }

    #[test]
    fn bare_list_and_errors() {
        let doc = Document::parse("- {name: a}\n").unwrap();
        assert_eq!(doc.items("cases").unwrap().len(), 1);
        assert!(Document::parse("a: [").is_err());
        let doc = Document::parse("casez: []\n").unwrap();
        assert!(doc
            .items("cases")
            .unwrap_err()
            .contains("unknown top-level key"));
    }
}
