//! The JSON Schema (draft-07) of a rubric file, for editors (completion, hover, checking as you
//! type) and other tools: [`rubric_schema`], printed by `qa schema`, committed as
//! `docs/rubric.schema.json`.
//!
//! It is derived from the typed model with `schemars`: the top level, `normalize`, `speakers`,
//! `scoring`, `lists`, the option enums (`role`, `severity`, `window`, `within`, …) and each
//! kind's spec struct derive `JsonSchema`, with attributes that give the file format's names,
//! defaults and bounds and doc comments that become the descriptions. The rule schema is a
//! `oneOf` with one branch per kind, generated from the kind registration (`rule_kinds!` calls
//! [`kind_branch`] for every kind): `kind` is the kind's name, then the fields every rule has
//! ([`Common`]'s), `window` only where the kind takes it and `negation`/`word`/`except` only where
//! it matches text, then the kind's own; `additionalProperties: false`. Adding a kind adds its
//! branch.
//!
//! Written by hand, because no derive can say it: the match expression (a phrase, `"@list"`, a
//! list of items or a `{regex}`/`{phrase}`/`{near, within}`/`{any}`/`{all}`/`{not}` mapping,
//! recursive through `$ref`), a `respond` side (a bare match or `{role, match}`), and the labels
//! that may be numbers.
//!
//! What only the checker (`qa check`) can tell is listed in the schema's description
//! ([`NOT_EXPRESSED`]).

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

use crate::check::NEAR_MAX_ITEMS;
use crate::model::{Common, List, MatchExpr, Metric, Side, Threshold};
use crate::options::{Role, Severity};
use crate::rubric::Rubric;
use crate::rules::Kind;
use crate::rules::Rule;

/// What a rubric must also satisfy that the schema does not (cannot) check; `qa check` does.
pub(crate) const NOT_EXPRESSED: &[&str] = &[
    "rule ids are unique",
    "every `@name` refers to a list under `lists`",
    "regexes compile (the `regex` crate's syntax) and do not match empty text",
    "`window: {turns/seconds: [from, to]}` has from ≤ to",
    "every category under `scoring.category_caps` is named by some rule",
    "`redact` has `builtin` or `match` (or both), and its `mask` is a visible character",
    "threshold ids are unique, and `rule_rate:<rule id>` names a rule of the rubric",
    "a phrase is not empty once normalized (e.g. made only of `normalize.skip` characters)",
    "counts (`first`, `last`, `within`, `max_count`, …) are written as whole numbers: `2.0` passes the schema, not the checker",
    "the limits of untrusted input: sizes, numbers of rules and phrases, nesting depth",
];

/// The draft-07 JSON Schema of a rubric file (YAML, JSON or TOML: the same structure).
///
/// It accepts every valid rubric and rejects unknown kinds, unknown fields and wrong types; the
/// few rules it cannot express (unique ids, defined lists, regexes that compile, `from ≤ to`,
/// limits) are listed in its description.
///
/// ```
/// let schema = qa_core::rubric_schema();
/// assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
/// assert_eq!(schema["required"], serde_json::json!(["rubric", "rules"]));
/// ```
pub fn rubric_schema() -> Value {
    let mut settings = SchemaSettings::draft07();
    // first, so that the draft-07 transforms (a `$ref` with siblings) see its output
    settings.transforms.insert(0, Box::new(FileFormat));
    settings
        .into_generator()
        .into_root_schema_for::<Rubric>()
        .to_value()
}

/// The root's title and description (a `transform` of [`Rubric`]'s derive: the struct's own doc
/// comment is about the checked model, not the file).
pub(crate) fn rubric_description(schema: &mut Schema) {
    let mut text = String::from(
        "A qa-engine rubric: how customer-service conversations are scored (docs/rubric.md). \
         YAML, JSON and TOML files have the same structure.\n\n\
         This schema checks structure, names and types. `qa check` also checks that:",
    );
    for rule in NOT_EXPRESSED {
        text.push_str("\n- ");
        text.push_str(rule);
    }
    schema.insert("title".into(), "qa-engine rubric".into());
    schema.insert("description".into(), text.into());
}

/// Fixes what the derives write for Rust but a rubric file does not mean: no field of a rubric
/// may be `null` (leaving a field out gives its default), so `Option`'s `null` is removed; the
/// non-standard numeric `format`s (`uint`, `double`) go; doc comments wrapped over several lines
/// are joined into paragraphs.
#[derive(Debug, Clone)]
struct FileFormat;

impl Transform for FileFormat {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Array(types)) = obj.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let t = types.remove(0);
                obj.insert("type".into(), t);
            }
        }
        if let Some(Value::Array(choices)) = obj.get_mut("enum") {
            choices.retain(|c| !c.is_null());
        }
        let is_null =
            |v: &Value| v.get("type").is_some_and(|t| t == "null") || v == &json!({"const": null});
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(branches)) = obj.get_mut(key) else {
                continue;
            };
            branches.retain(|b| !is_null(b));
            if branches.len() == 1 {
                let Some(Value::Object(only)) = branches.pop() else {
                    continue;
                };
                obj.remove(key);
                for (k, v) in only {
                    obj.entry(k).or_insert(v);
                }
            }
        }
        if obj
            .get("type")
            .is_some_and(|t| t == "integer" || t == "number")
        {
            obj.remove("format");
        }
        if let Some(Value::String(d)) = obj.get_mut("description") {
            *d = unwrap_lines(d);
        }
    }
}

/// Joins the lines of each paragraph of a doc comment (a bullet list keeps its lines).
fn unwrap_lines(doc: &str) -> String {
    doc.split("\n\n")
        .map(|para| {
            let mut out = String::new();
            for (i, line) in para.lines().enumerate() {
                if i > 0 {
                    out.push(if line.starts_with("- ") { '\n' } else { ' ' });
                }
                out.push_str(line.trim());
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The schema of one rule kind: a branch of the rule schema's `oneOf`.
pub(crate) fn kind_branch<K: Kind>(g: &mut SchemaGenerator) -> Value {
    let common = Common::json_schema(g).to_value();
    let own = K::json_schema(g).to_value();
    let mut branch = match own {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let own_props = match branch.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let own_required = branch.remove("required");

    let mut props = Map::new();
    props.insert(
        "kind".into(),
        json!({"const": K::NAME, "description": "What the rule checks."}),
    );
    let skip = |field: &str| match field {
        "window" => !K::TAKES_WINDOW,
        "negation" | "word" | "except" => !K::MATCHES_TEXT,
        _ => false,
    };
    if let Some(Value::Object(common_props)) = common.get("properties") {
        for (name, schema) in common_props {
            if !skip(name) && !own_props.contains_key(name) {
                props.insert(name.clone(), schema.clone());
            }
        }
    }
    props.extend(own_props);

    let mut required = vec![json!("id"), json!("kind")];
    for r in [common.get("required"), own_required.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
    {
        if !required.contains(r) {
            required.push(r.clone());
        }
    }
    branch.insert("title".into(), K::NAME.into());
    branch.insert("type".into(), "object".into());
    branch.insert("properties".into(), Value::Object(props));
    branch.insert("required".into(), Value::Array(required));
    branch.insert("additionalProperties".into(), false.into());
    Value::Object(branch)
}

/// `bonus` is a field every rule may have, but only `require` takes one above 0 (`require`'s
/// branch has its own `bonus`); it is not a field of [`Common`], so it is added here.
pub(crate) fn common_bonus(schema: &mut Schema) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert(
            "bonus".into(),
            json!({
                "description": "Points added when the rule is met: `require` rules only (0 on any other kind).",
                "type": "number",
                "minimum": 0,
                "maximum": 0,
            }),
        );
    }
}

pub(crate) fn default_role() -> Role {
    Role::Agent
}

pub(crate) fn default_severity() -> Severity {
    Severity::Minor
}

/// A name or label: a string, or a number taken as its text (`version: 2026.11`).
pub(crate) struct Label;

impl JsonSchema for Label {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Label".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "number"]})
    }
}

/// Speaker labels: one label, or a list of labels (strings, or numbers taken as their text).
pub(crate) struct Labels;

impl JsonSchema for Labels {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Labels".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": ["string", "number"]}},
            ]
        })
    }
}

/// `scoring.category_caps`: category → a number ≥ 0.
pub(crate) fn category_caps(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 0.0},
    })
}

/// A `respond` side: a bare match expression (any but a mapping, which is the `{role, match}`
/// form), or `{role, match}`.
pub(crate) fn side(g: &mut SchemaGenerator) -> Schema {
    let expr = g.subschema_for::<MatchExpr>();
    let form = g.subschema_for::<Side>();
    json_schema!({
        "oneOf": [
            {"allOf": [expr], "not": {"type": "object"}},
            form,
        ]
    })
}

/// A side as a type, for optional fields (`only_if`): see [`side`].
pub(crate) struct SideForm;

impl JsonSchema for SideForm {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SideForm".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        side(g)
    }
}

impl JsonSchema for MatchExpr {
    fn schema_name() -> Cow<'static, str> {
        "MatchExpr".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let expr = g.subschema_for::<MatchExpr>().to_value();
        let items = json!({"type": "array", "minItems": 1, "items": expr});
        let near_item = json!({"allOf": [expr], "not": {"type": "object", "required": ["not"]}});
        let item = |key: &str, schema: Value, description: &str| {
            json!({
                "type": "object",
                "description": description,
                "properties": {key: schema},
                "required": [key],
                "additionalProperties": false,
            })
        };
        json_schema!({
            "description": "A match expression: a phrase, \"@name\" (a list), \"$name\" (a pattern), a list of items (any matches), or one of {regex}, {phrase}, {near, within}, {any}, {all}, {not}.",
            "oneOf": [
                {
                    "type": "string",
                    "minLength": 1,
                    "description": "A phrase (after normalization); \"@name\": any item of list `name`; \"$name\" (`$` then a letter or `_`): pattern `name`.",
                },
                {
                    "type": "integer",
                    "description": "A number is the phrase of its digits (`12315`).",
                },
                {
                    "type": "array",
                    "minItems": 1,
                    "items": expr,
                    "description": "Any item matches.",
                },
                item("phrase", json!({"type": "string", "minLength": 1}), "A literal phrase (one that starts with `@` or `$`)."),
                item("regex", json!({"type": "string", "minLength": 1}), "A regular expression (the `regex` crate's syntax), run on normalized text; case-insensitive when `normalize.case` is on."),
                {
                    "type": "object",
                    "description": format!("All items in the same turn, in any order, with at most `within` normalized characters between one item's end and the next one's start; 2 to {NEAR_MAX_ITEMS} items, none a `not`."),
                    "properties": {
                        "near": {"type": "array", "minItems": 2, "maxItems": NEAR_MAX_ITEMS, "items": near_item},
                        "within": {"type": "integer", "minimum": 0, "description": "Most characters between one item and the next."},
                    },
                    "required": ["near", "within"],
                    "additionalProperties": false,
                },
                item("any", items.clone(), "Any item matches."),
                item("all", items, "Every item, in the same turn."),
                item("not", expr, "Inside `any`/`all`: the turn has no match of the item."),
            ]
        })
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> Cow<'static, str> {
        "Threshold".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let metrics: Vec<Value> = Metric::NAMES.iter().map(|&m| m.into()).collect();
        json_schema!({
            "description": "An alert over many conversations: breached by a group whose metric is strictly above `above` or strictly below `below`.",
            "type": "object",
            "properties": {
                "id": {"type": ["string", "number"], "description": "Unique id of the threshold, named in its breaches."},
                "metric": {
                    "description": "What is measured per group: mean_score, pass_rate, fatal_rate, findings_per_conversation, or rule_rate:<rule id> (the share of conversations with at least one finding of that rule).",
                    "anyOf": [
                        {"enum": metrics},
                        {"type": "string", "pattern": "^rule_rate:[A-Za-z0-9_.-]+$"},
                    ],
                },
                "by": {"enum": ["all", "agent", "channel"], "default": "all", "description": "What conversations are grouped by."},
                "above": {"type": "number", "description": "Breached when the value is greater than this."},
                "below": {"type": "number", "description": "Breached when the value is less than this."},
                "min_count": {"type": "integer", "minimum": 1, "default": 1, "description": "Groups with fewer conversations are not judged."},
            },
            "required": ["id", "metric"],
            "oneOf": [
                {"required": ["above"], "not": {"required": ["below"]}},
                {"required": ["below"], "not": {"required": ["above"]}},
            ],
            "additionalProperties": false,
        })
    }
}

impl JsonSchema for List {
    fn schema_name() -> Cow<'static, str> {
        "List".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A named list, used as \"@name\": it matches where any item matches.",
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1, "description": "A literal phrase (`@` and `$` have no meaning here)."},
                    {
                        "type": "object",
                        "description": "A regular expression (the `regex` crate's syntax), run on normalized text; case-insensitive when `normalize.case` is on.",
                        "properties": {"regex": {"type": "string", "minLength": 1}},
                        "required": ["regex"],
                        "additionalProperties": false,
                    },
                ]
            }
        })
    }
}

impl JsonSchema for Rule {
    fn schema_name() -> Cow<'static, str> {
        "Rule".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A rule: `id`, `kind`, the fields every rule has and the kind's own. Fields that have no meaning for the kind are errors.",
            "type": "object",
            "required": ["id", "kind"],
            "properties": {"kind": {"enum": crate::rules::RuleKind::names()}},
            "oneOf": crate::rules::kind_branches(g),
        })
    }
}
