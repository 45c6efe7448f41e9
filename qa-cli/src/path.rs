//! Dotted paths into a conversation (`agent`, `meta.quality.S`) and the label expressions built
//! on them (`meta.quality.S<0`), shared by `qa report --by`, `qa eval` and `qa mine`
//! (v1.1 additions §2 and §7).
//!
//! A path is read from what a report echoes of its transcript: `id`, `agent`, `channel` and
//! `meta`; `meta.a.b` walks into nested objects, and a segment that is a number also indexes an
//! array (`meta.tags.0`).

use std::fmt;

use qa_core::{Report, Transcript};
use serde_json::{Map, Value};

/// What a path reads: the echoed fields of a report, or the same fields of a transcript
/// (`qa mine` labels transcripts without scoring them).
pub trait Fields {
    /// The conversation's `id`.
    fn id(&self) -> Option<&str>;
    /// The conversation's `agent`.
    fn agent(&self) -> Option<&str>;
    /// The conversation's `channel`.
    fn channel(&self) -> Option<&str>;
    /// The conversation's `meta` object.
    fn meta(&self) -> Option<&Map<String, Value>>;
}

impl Fields for Report {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    fn channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }
    fn meta(&self) -> Option<&Map<String, Value>> {
        self.meta.as_ref()
    }
}

impl Fields for Transcript {
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
    fn channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }
    fn meta(&self) -> Option<&Map<String, Value>> {
        self.meta.as_ref()
    }
}

/// A dotted path into a conversation's echoed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<String>,
}

impl FieldPath {
    /// Parses `id`, `agent`, `channel`, `meta` or `meta.SEGMENT(.SEGMENT)*`.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let text = text.trim();
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("`{text}` is not a path: a segment is empty"));
        }
        match segments[0].as_str() {
            "id" | "agent" | "channel" if segments.len() == 1 => {}
            "meta" => {}
            "id" | "agent" | "channel" => {
                return Err(format!(
                    "`{text}`: `{}` is text and has no fields",
                    segments[0]
                ))
            }
            first => {
                return Err(format!(
                    "`{text}`: a path starts with id, agent, channel or meta, not `{first}`"
                ))
            }
        }
        Ok(FieldPath {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path in `report`'s echoed transcript fields; `None` when absent
    /// (a JSON `null` is returned as `Some(Value::Null)`).
    pub fn lookup<F: Fields + ?Sized>(&self, report: &F) -> Option<Value> {
        let text = |v: Option<&str>| v.map(|s| Value::String(s.to_owned()));
        match self.segments[0].as_str() {
            "id" => text(report.id()),
            "agent" => text(report.agent()),
            "channel" => text(report.channel()),
            _ => {
                let meta = report.meta()?;
                let Some(first) = self.segments.get(1) else {
                    return Some(Value::Object(meta.clone()));
                };
                let mut value = meta.get(first)?;
                for segment in &self.segments[2..] {
                    value = match value {
                        Value::Object(map) => map.get(segment)?,
                        Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(value.clone())
            }
        }
    }

    /// The group key of `report`: the value as text (a string as itself, anything else as
    /// JSON); `None` when the path is absent or null.
    pub fn key<F: Fields + ?Sized>(&self, report: &F) -> Option<String> {
        match self.lookup(report)? {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A comparison operator of a label expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // until `qa eval` and `qa mine` use label expressions
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[allow(dead_code)] // until `qa eval` and `qa mine` use label expressions
impl Op {
    fn apply(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// `PATH OP NUMBER` or a bare `PATH` (true when the value is true or a non-zero number).
#[derive(Debug, Clone, PartialEq)]
#[allow(dead_code)] // until `qa eval` and `qa mine` use label expressions
pub struct LabelExpr {
    text: String,
    path: FieldPath,
    test: Option<(Op, f64)>,
}

#[allow(dead_code)] // until `qa eval` and `qa mine` use label expressions
impl LabelExpr {
    /// Parses a label expression; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<LabelExpr, String> {
        // Two-character operators first, so `<=` is not read as `<` and `=0`.
        const OPS: [(&str, Op); 6] = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let found = OPS
            .iter()
            .filter_map(|&(sym, op)| text.find(sym).map(|at| (at, sym, op)))
            .min_by_key(|&(at, sym, _)| (at, std::cmp::Reverse(sym.len())));
        let (path, test) = match found {
            None => (text, None),
            Some((at, sym, op)) => {
                let number = text[at + sym.len()..].trim();
                let value: f64 = number
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| {
                        format!("label `{text}`: `{number}` after `{sym}` is not a number")
                    })?;
                (&text[..at], Some((op, value)))
            }
        };
        let path = FieldPath::parse(path).map_err(|e| format!("label `{text}`: {e}"))?;
        Ok(LabelExpr {
            text: text.trim().to_owned(),
            path,
            test,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The label of `report`: `None` when the path is absent or null, or when a comparison
    /// meets a value that is not a number (unlabeled, never guessed).
    pub fn eval<F: Fields + ?Sized>(&self, report: &F) -> Option<bool> {
        let value = self.path.lookup(report)?;
        let number = match &value {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) if self.test.is_none() => return Some(*b),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
            _ => None,
        }?;
        Some(match self.test {
            Some((op, against)) => op.apply(number, against),
            None => number != 0.0,
        })
    }
}

impl fmt::Display for LabelExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(meta: Value) -> Report {
        let mut value = json!({
            "id": "c1", "agent": "A1", "channel": "chat", "rubric": "r", "version": null,
            "score": 100.0, "base": 100.0, "passed": true, "fatal": false,
            "categories": {}, "findings": [], "skipped": []
        });
        if !meta.is_null() {
            value["meta"] = meta;
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn paths_read_echoed_fields_and_nested_meta() {
        let r =
            report(json!({"quality": {"S": -0.5}, "tags": ["vip", 2], "flag": true, "n": null}));
        let key = |p: &str| FieldPath::parse(p).unwrap().key(&r);
        assert_eq!(key("agent").as_deref(), Some("A1"));
        assert_eq!(key("channel").as_deref(), Some("chat"));
        assert_eq!(key("id").as_deref(), Some("c1"));
        assert_eq!(key("meta.quality.S").as_deref(), Some("-0.5"));
        assert_eq!(key("meta.tags.0").as_deref(), Some("vip"));
        assert_eq!(key("meta.tags.1").as_deref(), Some("2"));
        assert_eq!(key("meta.flag").as_deref(), Some("true"));
        assert_eq!(key("meta.n"), None);
        assert_eq!(key("meta.missing"), None);
        assert_eq!(key("meta.quality.S.deeper"), None);
        assert_eq!(key("meta.tags.9"), None);
        assert_eq!(
            FieldPath::parse("meta.x")
                .unwrap()
                .key(&report(Value::Null)),
            None
        );
    }

    #[test]
    fn bad_paths_say_why() {
        for bad in ["", "meta.", "meta..a", "turns.0", "agent.name", ".meta"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_compare_numbers_and_leave_the_rest_unlabeled() {
        let r =
            report(json!({"quality": {"S": -0.5, "T": "1.5", "U": "x"}, "flag": true, "zero": 0}));
        let eval = |e: &str| LabelExpr::parse(e).unwrap().eval(&r);
        assert_eq!(eval("meta.quality.S<0"), Some(true));
        assert_eq!(eval("meta.quality.S <= -0.5"), Some(true));
        assert_eq!(eval("meta.quality.S>=0"), Some(false));
        assert_eq!(eval("meta.quality.S==-0.5"), Some(true));
        assert_eq!(eval("meta.quality.S!=-0.5"), Some(false));
        assert_eq!(eval("meta.quality.S>-1"), Some(true));
        assert_eq!(eval("meta.quality.T>1"), Some(true));
        assert_eq!(eval("meta.quality.U>1"), None);
        assert_eq!(eval("meta.quality.missing<0"), None);
        assert_eq!(eval("meta.flag"), Some(true));
        assert_eq!(eval("meta.zero"), Some(false));
        assert_eq!(eval("meta.quality.S"), Some(true));
        assert_eq!(eval("meta.flag>0"), None);
    }

    #[test]
    fn bad_labels_say_why() {
        for bad in ["meta.x<", "meta.x<abc", "<0", "meta.x<inf", "foo>1"] {
            let err = LabelExpr::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
