//! Checking match expressions: phrases (not empty once normalized, within the length limit),
//! `@list` references, regexes (compiled here, once, with the rubric's flags, within the size
//! limits one by one and in total), `near`, `any`, `all`, `not`; and the parts of rules made of
//! them (`respond` sides, `within`).

use super::{get, suggest, Checker, PatternState};
use crate::error::RubricErrorKind as K;
use crate::model::{ListRef, MatchExpr, Near, Phrase, RegexItem, Side};
use crate::options::{Role, Within};
use crate::pattern;
use crate::source::{Node, Place, Pos, Value};

/// The name in `"$name"` when the string is a pattern reference: `$` then a letter or `_`
/// (so `"$"`, `"$5"` and `"$ off"` stay phrases).
pub(crate) fn pattern_name(s: &str) -> Option<&str> {
    let name = s.strip_prefix('$')?;
    let first = name.chars().next()?;
    (first.is_alphabetic() || first == '_').then_some(name)
}

/// An expression's height (levels from its top to its deepest leaf, counted as `match_expr`
/// counts depth) and number of leaves.
fn shape(e: &MatchExpr) -> (usize, usize) {
    let many = |items: &[MatchExpr]| {
        items
            .iter()
            .map(shape)
            .fold((0usize, 0usize), |(h, n), (ih, il)| {
                (h.max(ih + 1), n.saturating_add(il))
            })
    };
    match e {
        MatchExpr::Near(n) => many(n.items()),
        MatchExpr::Any(items) | MatchExpr::All(items) => many(items),
        MatchExpr::Not(inner) => {
            let (h, n) = shape(inner);
            (h + 1, n)
        }
        _ => (0, 1),
    }
}

/// Most items a `near` takes (and so the width of the set of items a chain has found).
pub const NEAR_MAX_ITEMS: usize = 8;

impl Checker<'_> {
    /// Checks a literal phrase: not empty (after normalization), within the length limit.
    pub(crate) fn phrase_ok(&mut self, phrase: &str, pos: Pos) -> bool {
        let chars = phrase.chars().count();
        if chars > self.limits.max_phrase_chars {
            self.err(
                K::PhraseTooLong,
                pos,
                format!(
                    "a phrase of {chars} characters, over the limit of {}",
                    self.limits.max_phrase_chars
                ),
            );
            return false;
        }
        let empty = match &self.normalizer {
            Some(n) => n.normalize_phrase(phrase).is_empty(),
            None => phrase.is_empty(),
        };
        if empty {
            self.err(
                K::InvalidValue,
                pos,
                "an empty phrase (or one made only of `normalize.skip` characters) would match everywhere",
            );
            return false;
        }
        true
    }

    /// A match expression given as a list of items (`except`).
    pub(crate) fn match_list(&mut self, node: &Node, what: &str) -> Option<Vec<MatchExpr>> {
        match self.match_expr(node, what, 0)? {
            MatchExpr::Any(items) => Some(items),
            one => Some(vec![one]),
        }
    }

    pub(crate) fn match_expr(
        &mut self,
        node: &Node,
        what: &str,
        depth: usize,
    ) -> Option<MatchExpr> {
        if depth > self.limits.nesting() {
            self.err(
                K::TooDeep,
                node.pos,
                format!(
                    "`{what}` is nested more than {} levels deep",
                    self.limits.nesting()
                ),
            );
            return None;
        }
        match &node.value {
            // `12315` in a YAML list is a number; as a phrase it means its digits
            Value::Int(i) => self.phrase(i.to_string(), node.pos),
            Value::Str(s) => match (s.strip_prefix('@'), pattern_name(s)) {
                (Some(name), _) => self.list_ref(name, node.pos),
                (None, Some(name)) => self.pattern_ref(name, node.pos, depth),
                (None, None) => self.phrase(s.clone(), node.pos),
            },
            Value::Seq(items) => {
                if items.is_empty() {
                    self.err(
                        K::InvalidValue,
                        node.pos,
                        format!("`{what}` is an empty list"),
                    );
                    return None;
                }
                let parts: Vec<Option<MatchExpr>> = items
                    .iter()
                    .map(|i| self.match_expr(i, what, depth + 1))
                    .collect();
                parts
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(MatchExpr::Any)
            }
            Value::Map(_) => self.match_item(node, what, depth),
            _ => {
                self.wrong_type(node, what, "a phrase, a list or a match item");
                None
            }
        }
    }

    fn phrase(&mut self, text: String, pos: Pos) -> Option<MatchExpr> {
        self.phrase_ok(&text, pos).then(|| {
            MatchExpr::Phrase(Phrase {
                text,
                pos: Place(pos),
            })
        })
    }

    fn list_ref(&mut self, name: &str, pos: Pos) -> Option<MatchExpr> {
        // `None`: the lists themselves are broken, already reported
        let lists = self.lists.as_ref()?;
        if lists.contains_key(name) {
            return Some(MatchExpr::List(ListRef {
                name: name.to_string(),
                pos: Place(pos),
            }));
        }
        let names: Vec<&str> = lists.keys().map(String::as_str).collect();
        let help = match suggest(name, &names) {
            Some(n) => format!("did you mean `@{n}`?"),
            None if names.is_empty() => "define it under `lists:`".to_string(),
            None => format!("defined lists: {}", names.join(", ")),
        };
        self.err(K::UndefinedList, pos, format!("undefined list `@{name}`"))
            .help = Some(help);
        None
    }

    /// A `"$name"` reference: a copy of the named pattern's checked expression. Checks the
    /// pattern first if it is not yet (patterns are checked once); a reference back to a pattern
    /// being checked closes a cycle.
    fn pattern_ref(&mut self, name: &str, pos: Pos, depth: usize) -> Option<MatchExpr> {
        // `None`: `patterns` itself is broken, already reported
        let patterns = self.patterns.as_ref()?;
        let Some(slot) = patterns.get(name) else {
            let names: Vec<&str> = patterns.keys().map(String::as_str).collect();
            let help = match suggest(name, &names) {
                Some(n) => format!("did you mean `${n}`?"),
                None if names.is_empty() => "define it under `patterns:`".to_string(),
                None => format!("defined patterns: {}", names.join(", ")),
            };
            self.err(
                K::UndefinedPattern,
                pos,
                format!("undefined pattern `${name}`"),
            )
            .help = Some(help);
            return None;
        };
        match slot.state {
            PatternState::Checking => {
                let from = self
                    .pattern_stack
                    .iter()
                    .position(|n| n == name)
                    .unwrap_or(0);
                let chain: Vec<String> = self.pattern_stack[from..]
                    .iter()
                    .chain(std::iter::once(&name.to_string()))
                    .map(|n| format!("${n}"))
                    .collect();
                self.err(
                    K::InvalidValue,
                    pos,
                    format!(
                        "pattern `${name}` uses itself: a cycle of patterns {}",
                        chain.join(" → ")
                    ),
                )
                .help =
                    Some("a pattern cannot use itself, directly or through other patterns".into());
                return None;
            }
            PatternState::Pending => self.check_pattern(name),
            PatternState::Done(_) => {}
        }
        let (expr, height, leaves) = match &self.patterns.as_ref()?.get(name)?.state {
            PatternState::Done(Some((e, h, l))) => (e, *h, *l),
            _ => return None, // its errors are reported at the pattern
        };
        if depth + height > self.limits.max_nesting {
            self.err(
                K::TooDeep,
                pos,
                format!(
                    "`${name}` here nests its expression more than {} levels deep",
                    self.limits.max_nesting
                ),
            );
            return None;
        }
        self.expanded_leaves = self.expanded_leaves.saturating_add(leaves);
        if self.expanded_leaves > self.limits.max_phrases {
            self.err(
                K::TooManyPhrases,
                pos,
                format!(
                    "expanding `${name}` here brings the items copied from patterns to more than {}",
                    self.limits.max_phrases
                ),
            );
            return None;
        }
        Some(expr.clone())
    }

    /// Checks one named pattern, outside any rule, and records the result.
    pub(crate) fn check_pattern(&mut self, name: &str) {
        let Some(slot) = self.patterns.as_mut().and_then(|p| p.get_mut(name)) else {
            return;
        };
        slot.state = PatternState::Checking;
        let node = slot.node.clone();
        self.pattern_stack.push(name.to_string());
        let rule = self.rule.take();
        let checked = self.match_expr(&node, &format!("patterns.{name}"), 0);
        self.rule = rule;
        self.pattern_stack.pop();
        let done = checked.map(|e| {
            let (height, leaves) = shape(&e);
            (e, height, leaves)
        });
        if let Some(slot) = self.patterns.as_mut().and_then(|p| p.get_mut(name)) {
            slot.state = PatternState::Done(done);
        }
    }

    /// A `{regex: …}` item of a list: compiled like any regex of the rubric.
    pub(crate) fn list_regex(&mut self, node: &Node, what: &str) -> Option<RegexItem> {
        let entries = self.mapping(node, what, &["regex"], &[], "")?;
        let Some(r) = get(entries, "regex") else {
            self.err(
                K::MissingField,
                node.pos,
                format!("an {what} written as a mapping is `{{regex: …}}`"),
            );
            return None;
        };
        match self.regex(r)? {
            MatchExpr::Regex(item) => Some(item),
            _ => None,
        }
    }

    /// A match item written as a mapping: `{regex}`, `{phrase}`, `{near, within}`, `{any}`,
    /// `{all}`, `{not}`.
    fn match_item(&mut self, node: &Node, what: &str, depth: usize) -> Option<MatchExpr> {
        let entries = self.mapping(
            node,
            &format!("a match item of `{what}`"),
            &["regex", "near", "within", "any", "all", "not", "phrase"],
            &[],
            "",
        )?;
        let keys: Vec<&str> = entries.iter().map(|(k, _, _)| k.as_str()).collect();
        match keys.as_slice() {
            ["regex"] => self.regex(&entries[0].2),
            ["phrase"] => {
                let p = self.string(&entries[0].2, "phrase")?;
                self.phrase(p, entries[0].2.pos)
            }
            ["near", "within"] | ["within", "near"] => {
                let near = get(entries, "near")?;
                let within = self.count(get(entries, "within")?, "within", 0);
                let items = self.sub_items(near, "near", depth)?;
                if items.len() < 2 || items.len() > NEAR_MAX_ITEMS {
                    self.err(
                        K::InvalidValue,
                        near.pos,
                        format!(
                            "`near` takes 2 to {NEAR_MAX_ITEMS} items, found {}",
                            items.len()
                        ),
                    );
                    return None;
                }
                if items.iter().any(|i| matches!(i, MatchExpr::Not(_))) {
                    self.err(K::InvalidValue, near.pos, "`not` cannot be a `near` item");
                    return None;
                }
                Some(MatchExpr::Near(Near {
                    items,
                    within: within?,
                    pos: Place(node.pos),
                }))
            }
            ["near"] => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "`near` needs `within` (characters)",
                );
                None
            }
            ["any"] => self
                .sub_items(&entries[0].2, "any", depth)
                .map(MatchExpr::Any),
            ["all"] => self
                .sub_items(&entries[0].2, "all", depth)
                .map(MatchExpr::All),
            ["not"] => self
                .match_expr(&entries[0].2, "not", depth + 1)
                .map(|m| MatchExpr::Not(Box::new(m))),
            _ => {
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!(
                        "a match item is one of {{regex}}, {{near, within}}, {{any}}, {{all}}, {{not}}; found keys {}",
                        keys.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn sub_items(&mut self, node: &Node, what: &str, depth: usize) -> Option<Vec<MatchExpr>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, what, "a list");
            return None;
        };
        if items.is_empty() {
            self.err(
                K::InvalidValue,
                node.pos,
                format!("`{what}` is an empty list"),
            );
            return None;
        }
        items
            .iter()
            .map(|i| self.match_expr(i, what, depth + 1))
            .collect::<Vec<_>>()
            .into_iter()
            .collect()
    }

    fn regex(&mut self, node: &Node) -> Option<MatchExpr> {
        let source = self.string(node, "regex")?;
        if self.regex_bytes > self.limits.max_regex_total_bytes {
            return None; // over the budget: reported once, at the regex that went over
        }
        match pattern::compile(&source, self.case, self.limits) {
            Ok(p) => {
                self.regex_bytes = self.regex_bytes.saturating_add(pattern::budget_cost(&p));
                if self.regex_bytes > self.limits.max_regex_total_bytes {
                    self.err(
                        K::RegexBudgetExceeded,
                        node.pos,
                        format!(
                            "the rubric's regexes take more than {} bytes together once compiled (this one brings them to {})",
                            self.limits.max_regex_total_bytes, self.regex_bytes
                        ),
                    )
                    .help = Some(
                        "use fewer or simpler regexes (phrases and lists cost far less), or raise `Limits::max_regex_total_bytes`".into(),
                    );
                    // stop compiling: every further regex would cost time and memory for nothing
                    self.regex_bytes = usize::MAX;
                    return None;
                }
                Some(MatchExpr::Regex(RegexItem {
                    pattern: p,
                    pos: Place(node.pos),
                }))
            }
            Err((kind, msg)) => {
                self.err(kind, node.pos, msg);
                None
            }
        }
    }

    /// One side of a `respond` rule: `{role, match}`, or just the match (`when: [a, b]`).
    pub(crate) fn side(&mut self, node: &Node, what: &str, default_role: Role) -> Option<Side> {
        let Value::Map(_) = &node.value else {
            let matcher = self.match_expr(node, what, 0)?;
            return Some(Side {
                role: default_role,
                matcher,
            });
        };
        let entries = self.mapping(node, what, &["role", "match"], &[], "")?;
        let role = match get(entries, "role") {
            Some(r) => self.choice(r, &format!("{what}.role"), &Role::CHOICES),
            None => Some(default_role),
        };
        let matcher = match get(entries, "match") {
            Some(m) => self.match_expr(m, &format!("{what}.match"), 0),
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    format!("missing field `{what}.match`"),
                );
                None
            }
        };
        Some(Side {
            role: role?,
            matcher: matcher?,
        })
    }

    pub(crate) fn within(&mut self, node: &Node) -> Option<Within> {
        let entries = self.mapping(node, "within", &["turns", "seconds"], &[], "")?;
        if entries.len() != 1 {
            self.err(
                K::InvalidValue,
                node.pos,
                "`within` takes exactly one of `turns` or `seconds`",
            );
            return None;
        }
        let (key, _, v) = &entries[0];
        match key.as_str() {
            "turns" => self.count(v, "within.turns", 1).map(Within::Turns),
            "seconds" => self.non_negative(v, "within.seconds").map(Within::Seconds),
            _ => None,
        }
    }
}
