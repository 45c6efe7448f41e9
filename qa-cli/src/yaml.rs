//! YAML (read by saphyr) to JSON values, keeping the place (line and column) of every node, so
//! a checker of the values can point at the key or item it is about.

use std::collections::HashMap;

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

    /// The root's items with their places: the root itself when it is a sequence, or the
    /// sequence under `key` when the root is a mapping. An error starts with `line:col: ` when
    /// it has a place.
    pub fn items(&self, key: &str) -> Result<Vec<(Marks, Value)>, String> {
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
                                "{}: unknown top-level key{}; the file holds a list of cases or \
                                 `{key}:`",
                                place(k),
                                match &k.data {
                                    YamlData::Value(Scalar::String(s)) => format!(" `{s}`"),
                                    _ => String::new(),
                                }
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
            .map(|item| {
                let mut marks = Marks::at(item.span.start.line(), item.span.start.col() + 1);
                let value = to_json(item, 0, &mut String::new(), &mut marks)?;
                Ok((marks, value))
            })
            .collect()
    }
}

/// The places of the nodes of one value, by JSON pointer (`/turns/1/text`): a mapping entry's
/// place is its key's, a list item's its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    places: HashMap<String, (usize, usize)>,
}

impl Marks {
    /// Marks with the value itself at `line`, `column` (1-based).
    pub fn at(line: usize, column: usize) -> Marks {
        let mut places = HashMap::new();
        places.insert(String::new(), (line, column));
        Marks { places }
    }

    /// The 1-based (line, column) of the node at `pointer`, or of its nearest marked parent.
    pub fn place(&self, pointer: &str) -> (usize, usize) {
        let mut p = pointer;
        loop {
            if let Some(&place) = self.places.get(p) {
                return place;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return (0, 0),
            }
        }
    }

    /// Records the place of the node at `pointer`.
    pub fn insert(&mut self, pointer: String, line: usize, column: usize) {
        self.places.insert(pointer, (line, column));
    }
}

/// A JSON pointer's segment: `~` and `/` escaped (RFC 6901).
pub fn segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `line:col` of a node, 1-based.
fn place(y: &MarkedYaml<'_>) -> String {
    format!("{}:{}", y.span.start.line(), y.span.start.col() + 1)
}

/// Converts a YAML node to JSON, recording the place of every node under `path` in `marks`.
/// Mapping keys become strings; aliases are refused (saphyr refuses duplicate keys).
fn to_json(
    y: &MarkedYaml<'_>,
    depth: usize,
    path: &mut String,
    marks: &mut Marks,
) -> Result<Value, String> {
    let line = place(y);
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
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (n, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{n}"));
                marks.insert(
                    path.clone(),
                    item.span.start.line(),
                    item.span.start.col() + 1,
                );
                out.push(to_json(item, depth + 1, path, marks)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        YamlData::Mapping(map) => {
            let mut obj = Map::new();
            for (k, v) in map.iter() {
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
                    YamlData::Value(Scalar::Null) => "null".to_string(),
                    _ => return Err(format!("{}: mapping keys must be plain strings", place(k))),
                };
                let len = path.len();
                path.push('/');
                path.push_str(&segment(&key));
                marks.insert(path.clone(), k.span.start.line(), k.span.start.col() + 1);
                let value = to_json(v, depth + 1, path, marks)?;
                path.truncate(len);
                obj.insert(key, value);
            }
            Value::Object(obj)
        }
        YamlData::Tagged(_, inner) => to_json(inner, depth, path, marks)?,
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
        assert_eq!(items[0].1, json!({"name": "a", "n": 1.5}));
        assert_eq!(items[0].0.place(""), (2, 5));
        assert_eq!(items[0].0.place("/n"), (3, 5));
        assert_eq!(items[1].1, json!({"name": "b", "x": [1, null]}));
        assert_eq!(items[1].0.place("/x"), (4, 15));
        assert_eq!(items[1].0.place("/x/1"), (4, 22));
        // an unmarked path: its nearest marked parent
        assert_eq!(items[1].0.place("/x/1/y"), (4, 22));
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
            .starts_with("1:1: unknown top-level key `casez`"));
    }

    #[test]
    fn a_comma_in_a_flow_mapping_ends_the_value() {
        // YAML reads `你们太坑人了` as a second key: the checker of the case must see it
        let doc =
            Document::parse("- {speaker: customer, text: 宽带又断了,你们太坑人了}\n").unwrap();
        let (marks, value) = &doc.items("cases").unwrap()[0];
        assert_eq!(
            value,
            &json!({"speaker": "customer", "text": "宽带又断了", "你们太坑人了": null})
        );
        assert_eq!(marks.place("/你们太坑人了"), (1, 35));
    }

    #[test]
    fn duplicate_keys_are_refused_aliases_resolved() {
        let e = Document::parse("- {name: a, name: b}\n").unwrap_err();
        assert_eq!(e, "1:13: invalid YAML: duplicated key in mapping");
        // saphyr resolves an alias to a copy of its anchor's node
        let doc = Document::parse("- &x {name: a}\n- *x\n").unwrap();
        let items = doc.items("cases").unwrap();
        assert_eq!(items[0].1, items[1].1);
    }
}
