//! Checking a rubric's `rules`: the list, ids and the fields every rule has; each kind's own
//! fields are checked by its module (`crate::rules::<kind>`) through
//! [`crate::rules::check_spec`].

use std::collections::HashMap;

use crate::check::{get, suggest, Checker, Entries, RuleNode};
use crate::error::RubricErrorKind as K;
use crate::model::Common;
use crate::options::{Negation, Role, Severity, Window};
use crate::rules::{self, Rule, RuleKind};
use crate::source::{Node, Place, Pos, Value};

/// Fields every rule may have, whatever its kind.
const COMMON_FIELDS: &[&str] = &[
    "id",
    "name",
    "category",
    "message",
    "kind",
    "role",
    "severity",
    "deduct",
    "max_deduct",
    "bonus",
    "fatal",
    "alert",
    "only_if",
];
/// Common fields that only some kinds take: `window` (see [`RuleKind::takes_window`]) and the
/// text options (see [`RuleKind::matches_text`]).
const WINDOW_FIELDS: &[&str] = &["window"];
const TEXT_FIELDS: &[&str] = &["negation", "word", "except"];

impl Checker<'_> {
    pub(super) fn rules(&mut self, node: &Node) -> Option<Vec<Rule>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "rules", "a list of rules");
            return None;
        };
        if items.len() > self.limits.max_rules {
            self.err(
                K::TooManyRules,
                node.pos,
                format!(
                    "the rubric has {} rules, over the limit of {}",
                    items.len(),
                    self.limits.max_rules
                ),
            );
            return None;
        }
        let mut rules = Vec::with_capacity(items.len());
        let mut ids: HashMap<String, Pos> = HashMap::new();
        let mut ok = true;
        for item in items {
            // the id first, so every message about this rule names it
            self.rule = None;
            let id_node = match &item.value {
                Value::Map(e) => get(e, "id"),
                _ => None,
            };
            if let Some(Value::Str(id)) = id_node.map(|n| &n.value) {
                self.rule = Some(id.clone());
            }
            let rule = self.rule_item(item);
            if let Some(Node {
                pos,
                value: Value::Str(id),
            }) = id_node
            {
                if let Some(first) = ids.get(id) {
                    let first = first.map(|(l, c)| format!(" (first at line {l}, column {c})"));
                    self.err(
                        K::DuplicateId,
                        *pos,
                        format!("duplicate rule id `{id}`{}", first.unwrap_or_default()),
                    )
                    .help = Some("give every rule its own id".into());
                    ok = false;
                } else {
                    ids.insert(id.clone(), *pos);
                }
            }
            match rule {
                Some(r) => rules.push(r),
                None => ok = false,
            }
        }
        self.rule = None;
        ok.then_some(rules)
    }

    fn kind_of(&mut self, node: &Node, raw: Entries<'_>) -> Option<RuleKind> {
        let Some(n) = get(raw, "kind") else {
            self.err(K::MissingField, node.pos, "missing field `kind`")
                .help = Some(format!("one of: {}", RuleKind::names().join(", ")));
            return None;
        };
        let Value::Str(s) = &n.value else {
            self.wrong_type(n, "kind", "a string");
            return None;
        };
        if let Some(k) = RuleKind::from_name(s) {
            return Some(k);
        }
        let names = RuleKind::names();
        let help = match suggest(s, &names) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!("expected one of: {}", names.join(", ")),
        };
        self.err(K::UnknownKind, n.pos, format!("unknown kind `{s}`"))
            .help = Some(help);
        None
    }

    fn rule_item(&mut self, node: &Node) -> Option<Rule> {
        let Value::Map(raw) = &node.value else {
            self.wrong_type(node, "a rule", "a mapping");
            return None;
        };
        let kind = self.kind_of(node, raw);
        let all: Vec<&str> = COMMON_FIELDS
            .iter()
            .chain(WINDOW_FIELDS)
            .chain(TEXT_FIELDS)
            .copied()
            .chain(
                RuleKind::ALL
                    .iter()
                    .flat_map(|k| k.fields().iter().copied()),
            )
            .collect();
        let allowed: Vec<&str> = match kind {
            Some(k) => {
                let mut a: Vec<&str> = COMMON_FIELDS.to_vec();
                if k.takes_window() {
                    a.extend(WINDOW_FIELDS);
                }
                if k.matches_text() {
                    a.extend(TEXT_FIELDS);
                }
                a.extend(k.fields());
                a
            }
            None => all.clone(),
        };
        let context = kind.map_or(String::new(), |k| {
            format!("to rules of kind `{}`", k.as_str())
        });
        let entries = self.mapping(node, "a rule", &allowed, &all, &context)?;
        let id = match get(entries, "id") {
            Some(n) => match self.string(n, "id") {
                Some(id) if valid_id(&id) => Some(id),
                Some(id) => {
                    self.err(
                        K::InvalidValue,
                        n.pos,
                        format!("invalid rule id `{id}`: use letters, digits, `_`, `.` and `-`"),
                    );
                    None
                }
                None => None,
            },
            None => {
                self.err(K::MissingField, node.pos, "missing field `id`")
                    .help = Some("every rule needs a unique `id`".into());
                None
            }
        };
        let common = self.common(entries, kind, node.pos);
        let spec = kind.and_then(|k| {
            self.kind = k.as_str();
            rules::check_spec(
                k,
                self,
                &RuleNode {
                    pos: node.pos,
                    entries,
                },
            )
        });
        let mut common = common?;
        common.id = id?;
        Some(Rule {
            common,
            spec: spec?,
        })
    }

    /// The fields every rule has (the id is read by the caller).
    fn common(&mut self, entries: Entries<'_>, kind: Option<RuleKind>, pos: Pos) -> Option<Common> {
        let mut c = Common {
            id: String::new(),
            name: None,
            category: None,
            message: None,
            role: Role::Agent,
            window: None,
            severity: Severity::Minor,
            deduct: 0.0,
            max_deduct: None,
            fatal: false,
            alert: false,
            negation: Negation::Keep,
            word: false,
            except: Vec::new(),
            only_if: None,
            pos: Place(pos),
        };
        let mut ok = true;
        for (key, _, v) in entries {
            ok &= match key.as_str() {
                "name" => self.label(v, "name").map(|s| c.name = Some(s)).is_some(),
                "category" => self
                    .label(v, "category")
                    .map(|s| c.category = Some(s))
                    .is_some(),
                "message" => self
                    .string(v, "message")
                    .map(|s| c.message = Some(s))
                    .is_some(),
                "role" => self
                    .choice(v, "role", &Role::CHOICES)
                    .map(|r| c.role = r)
                    .is_some(),
                "window" => self.window(v).map(|w| c.window = Some(w)).is_some(),
                "severity" => self
                    .choice(v, "severity", &Severity::CHOICES)
                    .map(|s| c.severity = s)
                    .is_some(),
                "deduct" => self
                    .non_negative(v, "deduct")
                    .map(|x| c.deduct = x)
                    .is_some(),
                "max_deduct" => self
                    .non_negative(v, "max_deduct")
                    .map(|x| c.max_deduct = Some(x))
                    .is_some(),
                "bonus" if kind != Some(RuleKind::Require) => match self.non_negative(v, "bonus") {
                    Some(x) if x > 0.0 => {
                        let k = kind.map_or("this kind", RuleKind::as_str);
                        self.err(
                            K::InvalidValue,
                            v.pos,
                            format!("`bonus` applies to `require` rules only, not `{k}`"),
                        );
                        false
                    }
                    Some(_) => true,
                    None => false,
                },
                "fatal" => self.boolean(v, "fatal").map(|b| c.fatal = b).is_some(),
                "alert" => self.boolean(v, "alert").map(|b| c.alert = b).is_some(),
                "negation" => self
                    .choice(
                        v,
                        "negation",
                        &[("keep", Negation::Keep), ("skip", Negation::Skip)],
                    )
                    .map(|n| c.negation = n)
                    .is_some(),
                "word" => self.boolean(v, "word").map(|b| c.word = b).is_some(),
                "only_if" => self
                    .side(v, "only_if", Role::Any)
                    .map(|side| c.only_if = Some(side))
                    .is_some(),
                "except" => self
                    .match_list(v, "except")
                    .map(|items| c.except = items)
                    .is_some(),
                // the id, the kind, the kind's own fields (and unknown ones, already reported)
                _ => true,
            };
        }
        ok.then_some(c)
    }

    fn window(&mut self, node: &Node) -> Option<Window> {
        let entries = self.mapping(
            node,
            "window",
            &["first", "last", "turns", "seconds"],
            &[],
            "",
        )?;
        if entries.len() != 1 {
            self.err(
                K::InvalidValue,
                node.pos,
                "`window` takes exactly one of `first`, `last`, `turns`, `seconds`",
            );
            return None;
        }
        let (key, _, v) = &entries[0];
        match key.as_str() {
            "first" => self.count(v, "window.first", 1).map(Window::First),
            "last" => self.count(v, "window.last", 1).map(Window::Last),
            "turns" => {
                let (a, b) = self.pair(v, "window.turns")?;
                let whole = |x: f64| x >= 0.0 && x.fract() == 0.0;
                if !whole(a) || !whole(b) {
                    self.err(
                        K::InvalidValue,
                        v.pos,
                        "`window.turns` takes two turn indexes: [from, to]",
                    );
                    return None;
                }
                Some(Window::Turns(a as usize, b as usize))
            }
            "seconds" => self
                .pair(v, "window.seconds")
                .map(|(a, b)| Window::Seconds(a, b)),
            _ => None,
        }
    }

    /// `[from, to]`, both non-negative, from ≤ to.
    fn pair(&mut self, node: &Node, what: &str) -> Option<(f64, f64)> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, what, "a list [from, to]");
            return None;
        };
        if items.len() != 2 {
            self.err(
                K::InvalidValue,
                node.pos,
                format!(
                    "`{what}` takes two values [from, to], found {}",
                    items.len()
                ),
            );
            return None;
        }
        let a = self.non_negative(&items[0], what)?;
        let b = self.non_negative(&items[1], what)?;
        if a > b {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}`: from ({a}) is after to ({b})"),
            );
            return None;
        }
        Some((a, b))
    }
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
