//! Checking a rubric's top level (`normalize`, `speakers`, `scoring`, `lists`) and its rules:
//! the list, ids and the fields every rule has; each kind's own fields are checked by its module
//! (`crate::rules::<kind>`) through [`crate::rules::check_spec`]. The primitives are the
//! [`Checker`]'s (`crate::check`).

use std::collections::HashMap;

use indexmap::IndexMap;

use super::Rubric;
use crate::check::{
    get, pattern_name, suggest, Checker, Entries, PatternSlot, PatternState, RuleNode,
};
use crate::error::{Diagnostic, RubricError, RubricErrorKind as K};
use crate::limits::Limits;
use crate::model::{
    Bound, Common, List, Metric, NamedPattern, Phrase, Redact, Scoring, Speakers, Threshold,
};
use crate::normalize::Normalizer;
use crate::options::{
    Builtin, ChineseForm, GroupBy, Locale, Negation, Normalize, Role, Severity, Strip, Window,
};
use crate::rules::{self, Rule, RuleKind};
use crate::source::{FileName, Node, Place, Pos, Value};

const TOP_FIELDS: &[&str] = &[
    "rubric",
    "version",
    "locale",
    "normalize",
    "speakers",
    "scoring",
    "lists",
    "patterns",
    "rules",
    "redact",
    "thresholds",
];

/// Checks a whole rubric.
pub(crate) fn rubric(
    node: &Node,
    limits: &Limits,
    file: Option<String>,
) -> Result<Rubric, RubricError> {
    let mut checker = Checker {
        diags: Vec::new(),
        rule: None,
        kind: "",
        limits,
        lists: None,
        normalizer: None,
        case: true,
        regex_bytes: 0,
        patterns: None,
        pattern_stack: Vec::new(),
        expanded_leaves: 0,
        cap_places: Vec::new(),
    };
    let rubric = checker.rubric(node, file.clone());
    match rubric {
        Some(r) if checker.diags.is_empty() => Ok(r),
        _ => {
            let mut diags = checker.diags;
            if diags.is_empty() {
                diags.push(Diagnostic::new(K::InvalidValue, "invalid rubric"));
            }
            diags.sort_by_key(|d| (d.line.unwrap_or(usize::MAX), d.column.unwrap_or(0)));
            Err(RubricError::new(file, diags))
        }
    }
}

impl Checker<'_> {
    fn rubric(&mut self, node: &Node, file: Option<String>) -> Option<Rubric> {
        let entries = self.mapping(node, "the rubric", TOP_FIELDS, &[], "")?;
        let name = match get(entries, "rubric") {
            Some(n) => self.label(n, "rubric"),
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "missing field `rubric` (the rubric's name)",
                )
                .help = Some("add `rubric: <name>` at the top".into());
                None
            }
        };
        let version = get(entries, "version").and_then(|n| self.label(n, "version"));
        let locale = get(entries, "locale")
            .map(|n| {
                self.choice(
                    n,
                    "locale",
                    &[
                        ("zh", Locale::Zh),
                        ("en", Locale::En),
                        ("auto", Locale::Auto),
                    ],
                )
            })
            .unwrap_or(Some(Locale::Auto));
        let normalize = match get(entries, "normalize") {
            Some(n) => self.normalize(n),
            None => Some(Normalize::default()),
        };
        if let Some(n) = &normalize {
            self.normalizer = Some(Normalizer::new(n));
            self.case = n.case;
        }
        let speakers = match get(entries, "speakers") {
            Some(n) => self.speakers(n),
            None => Some(Speakers::default()),
        };
        let scoring = match get(entries, "scoring") {
            Some(n) => self.scoring(n),
            None => Some(Scoring::default()),
        };
        let lists = match get(entries, "lists") {
            Some(n) => self.lists(n),
            None => Some(IndexMap::new()),
        };
        self.lists = lists.as_ref().map(|l| {
            l.iter()
                .map(|(name, list): (&String, &List)| (name.clone(), list.pos.0))
                .collect()
        });
        let patterns = match get(entries, "patterns") {
            Some(n) => self.patterns(n),
            None => {
                self.patterns = Some(IndexMap::new());
                Some(IndexMap::new())
            }
        };
        let rules = match get(entries, "rules") {
            Some(n) => self.rules(n),
            None => {
                self.err(K::MissingField, node.pos, "missing field `rules`")
                    .help = Some("add `rules:` with a list of rules".into());
                None
            }
        };
        if let Some(rules) = &rules {
            self.rule = None;
            for (name, pos) in std::mem::take(&mut self.cap_places) {
                if !rules.iter().any(|r| r.category() == Some(name.as_str())) {
                    let mut named: Vec<&str> = Vec::new();
                    for c in rules.iter().filter_map(|r| r.category()) {
                        if !named.contains(&c) {
                            named.push(c);
                        }
                    }
                    let help = match crate::check::suggest(&name, &named) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None if named.is_empty() => "no rule has a `category`".to_string(),
                        None => format!("the rules' categories: {}", named.join(", ")),
                    };
                    self.err(
                        K::InvalidValue,
                        pos,
                        format!("scoring.category_caps names `{name}`, a category no rule has"),
                    )
                    .help = Some(help);
                }
            }
        }
        self.rule = None;
        let redact = match get(entries, "redact") {
            Some(n) => self.redact(n).map(Some),
            None => Some(None),
        };
        let thresholds = match get(entries, "thresholds") {
            Some(n) => self.thresholds(n, rules.as_deref()),
            None => Some(Vec::new()),
        };
        let rubric = Rubric {
            name: name?,
            version,
            locale: locale?,
            normalize: normalize?,
            speakers: speakers?,
            scoring: scoring?,
            lists: lists?,
            patterns: patterns?,
            rules: rules?,
            redact: redact?,
            thresholds: thresholds?,
            file: FileName(file),
            pos: Place(node.pos),
        };
        let phrases = rubric.phrase_count();
        if phrases > self.limits.max_phrases {
            self.err(
                K::TooManyPhrases,
                node.pos,
                format!(
                    "the rubric has {phrases} phrases, over the limit of {}",
                    self.limits.max_phrases
                ),
            );
        }
        Some(rubric)
    }

    fn normalize(&mut self, node: &Node) -> Option<Normalize> {
        let entries = self.mapping(
            node,
            "normalize",
            &["fullwidth", "case", "chinese", "skip", "strip"],
            &[],
            "",
        )?;
        let mut n = Normalize::default();
        let mut ok = true;
        for (key, _, v) in entries {
            ok &= match key.as_str() {
                "fullwidth" => self
                    .boolean(v, "normalize.fullwidth")
                    .map(|b| n.fullwidth = b)
                    .is_some(),
                "case" => self
                    .boolean(v, "normalize.case")
                    .map(|b| n.case = b)
                    .is_some(),
                "chinese" => self
                    .choice(
                        v,
                        "normalize.chinese",
                        &[
                            ("simplified", ChineseForm::Simplified),
                            ("none", ChineseForm::None),
                        ],
                    )
                    .map(|c| n.chinese = c)
                    .is_some(),
                "skip" => self
                    .string(v, "normalize.skip")
                    .map(|s| n.skip = s)
                    .is_some(),
                "strip" => self.strip(v).map(|s| n.strip = s).is_some(),
                _ => false,
            };
        }
        ok.then_some(n)
    }

    /// `normalize.strip`: a list of items, each once (a repeated item counts once).
    fn strip(&mut self, node: &Node) -> Option<Vec<Strip>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "normalize.strip", "a list of items");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match self.choice(item, "normalize.strip item", &Strip::CHOICES) {
                Some(s) if !out.contains(&s) => out.push(s),
                Some(_) => {}
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn speakers(&mut self, node: &Node) -> Option<Speakers> {
        let entries = self.mapping(node, "speakers", &["agent", "customer", "other"], &[], "")?;
        let mut s = Speakers::default();
        let mut ok = true;
        for (key, _, v) in entries {
            let labels = match &v.value {
                Value::Str(l) => Some(vec![l.clone()]),
                Value::Seq(items) => items
                    .iter()
                    .map(|i| self.label(i, &format!("speakers.{key}")))
                    .collect::<Option<Vec<_>>>(),
                _ => {
                    self.wrong_type(v, &format!("speakers.{key}"), "a list of labels");
                    None
                }
            };
            let Some(labels) = labels else {
                ok = false;
                continue;
            };
            match key.as_str() {
                "agent" => s.agent = labels,
                "customer" => s.customer = labels,
                "other" => s.other = labels,
                _ => ok = false,
            }
        }
        ok.then_some(s)
    }

    fn scoring(&mut self, node: &Node) -> Option<Scoring> {
        let entries = self.mapping(
            node,
            "scoring",
            &["base", "pass", "max", "category_caps"],
            &[],
            "",
        )?;
        let mut s = Scoring::default();
        let mut ok = true;
        for (key, _, v) in entries {
            if key == "category_caps" {
                match self.category_caps(v) {
                    Some(caps) => s.category_caps = caps,
                    None => ok = false,
                }
                continue;
            }
            let x = self.non_negative(v, &format!("scoring.{key}"));
            match (key.as_str(), x) {
                ("base", Some(x)) => s.base = x,
                ("pass", Some(x)) => s.pass = x,
                ("max", Some(x)) => s.max = Some(x),
                _ => ok = false,
            }
        }
        ok.then_some(s)
    }

    /// `scoring.category_caps`: category → cap (≥ 0); the categories' places are kept to check,
    /// once the rules are read, that some rule names each.
    fn category_caps(&mut self, node: &Node) -> Option<IndexMap<String, f64>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "scoring.category_caps",
                "a mapping of category → number",
            );
            return None;
        };
        let mut caps = IndexMap::new();
        let mut ok = true;
        for (name, kpos, v) in entries {
            if caps.contains_key(name) {
                self.err(
                    K::InvalidValue,
                    *kpos,
                    format!("`{name}` is given twice in scoring.category_caps"),
                );
                ok = false;
                continue;
            }
            match self.non_negative(v, &format!("scoring.category_caps.{name}")) {
                Some(x) => {
                    caps.insert(name.clone(), x);
                    self.cap_places.push((name.clone(), *kpos));
                }
                None => ok = false,
            }
        }
        ok.then_some(caps)
    }

    fn lists(&mut self, node: &Node) -> Option<IndexMap<String, List>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "lists", "a mapping of name → phrases");
            return None;
        };
        let mut lists = IndexMap::new();
        let mut ok = true;
        for (name, kpos, v) in entries {
            let Value::Seq(items) = &v.value else {
                self.wrong_type(v, &format!("lists.{name}"), "a list of phrases");
                ok = false;
                continue;
            };
            let mut phrases = Vec::with_capacity(items.len());
            let mut regexes = Vec::new();
            let what = format!("item of lists.{name}");
            for item in items {
                if let Value::Map(_) = item.value {
                    match self.list_regex(item, &what) {
                        Some(r) => regexes.push(r),
                        None => ok = false,
                    }
                    continue;
                }
                match self.string(item, &what) {
                    Some(p) if self.phrase_ok(&p, item.pos) => phrases.push(Phrase {
                        text: p,
                        pos: Place(item.pos),
                    }),
                    _ => ok = false,
                }
            }
            lists.insert(
                name.clone(),
                List {
                    phrases,
                    regexes,
                    pos: Place(*kpos),
                },
            );
        }
        ok.then_some(lists)
    }

    /// `patterns:`: every pattern is checked here, once, in order (a pattern that uses one
    /// further down checks that one first); rules then copy them.
    fn patterns(&mut self, node: &Node) -> Option<IndexMap<String, NamedPattern>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "patterns", "a mapping of name → match expression");
            return None;
        };
        let mut slots = IndexMap::new();
        let mut ok = true;
        for (name, kpos, v) in entries {
            if pattern_name(&format!("${name}")) != Some(name.as_str()) {
                self.err(
                    K::InvalidValue,
                    *kpos,
                    format!("invalid pattern name `{name}`: it must start with a letter or `_`"),
                )
                .help = Some("`\"$name\"` uses a pattern; `\"$5\"` is a phrase".into());
                ok = false;
                continue;
            }
            slots.insert(
                name.clone(),
                PatternSlot {
                    node: v.clone(),
                    pos: *kpos,
                    state: PatternState::Pending,
                },
            );
        }
        let names: Vec<String> = slots.keys().cloned().collect();
        self.patterns = Some(slots);
        for name in &names {
            let pending = matches!(
                self.patterns
                    .as_ref()
                    .and_then(|p| p.get(name))
                    .map(|s| &s.state),
                Some(PatternState::Pending)
            );
            if pending {
                self.check_pattern(name);
            }
        }
        let mut patterns = IndexMap::new();
        for (name, slot) in self.patterns.as_ref()? {
            match &slot.state {
                PatternState::Done(Some((expr, _, _))) => {
                    patterns.insert(
                        name.clone(),
                        NamedPattern {
                            expr: expr.clone(),
                            pos: Place(slot.pos),
                        },
                    );
                }
                _ => ok = false,
            }
        }
        ok.then_some(patterns)
    }
}

impl Checker<'_> {
    /// `redact`: `builtin` (each once), `match` (a match expression, as in rules), `mask` (one
    /// character); at least one of `builtin` and `match`.
    fn redact(&mut self, node: &Node) -> Option<Redact> {
        let entries = self.mapping(node, "redact", &["builtin", "match", "mask"], &[], "")?;
        let mut r = Redact {
            builtin: Vec::new(),
            matcher: Vec::new(),
            mask: '*',
            pos: Place(node.pos),
        };
        let mut ok = true;
        for (key, _, v) in entries {
            ok &= match key.as_str() {
                "builtin" => self.builtins(v).map(|b| r.builtin = b).is_some(),
                "match" => self
                    .match_list(v, "redact.match")
                    .map(|m| r.matcher = m)
                    .is_some(),
                "mask" => self.mask(v).map(|c| r.mask = c).is_some(),
                _ => false,
            };
        }
        if ok && r.builtin.is_empty() && r.matcher.is_empty() {
            self.err(
                K::InvalidValue,
                node.pos,
                "`redact` masks nothing: give `builtin`, `match` or both",
            )
            .help = Some(format!(
                "builtins: {}",
                Builtin::CHOICES.map(|(n, _)| n).join(", ")
            ));
            return None;
        }
        ok.then_some(r)
    }

    /// `redact.builtin`: a list of builtin names (a repeated one counts once).
    fn builtins(&mut self, node: &Node) -> Option<Vec<Builtin>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "redact.builtin", "a list of builtin names");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match self.choice(item, "redact.builtin item", &Builtin::CHOICES) {
                Some(b) if !out.contains(&b) => out.push(b),
                Some(_) => {}
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `redact.mask`: exactly one character, visible (not a control or invisible format
    /// character, which would make masked text look shorter).
    fn mask(&mut self, node: &Node) -> Option<char> {
        let s = self.string(node, "redact.mask")?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && !crate::normalize::is_invisible(c) => Some(c),
            (Some(c), None) => {
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!(
                        "`redact.mask` must be a visible character, found U+{:04X}",
                        c as u32
                    ),
                );
                None
            }
            _ => {
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!(
                        "`redact.mask` must be exactly one character, found {} (\"{s}\")",
                        s.chars().count()
                    ),
                )
                .help =
                    Some("each masked character becomes this one, so offsets stay valid".into());
                None
            }
        }
    }

    /// `thresholds`: a list of `{id, metric, by, above | below, min_count}`; `rules` (when they
    /// were read) to check the rule ids of `rule_rate:` metrics.
    fn thresholds(&mut self, node: &Node, rules: Option<&[Rule]>) -> Option<Vec<Threshold>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "thresholds", "a list of thresholds");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ids: HashMap<String, Pos> = HashMap::new();
        let mut ok = true;
        for item in items {
            match self.threshold(item, rules, &mut ids) {
                Some(t) => out.push(t),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn threshold(
        &mut self,
        node: &Node,
        rules: Option<&[Rule]>,
        ids: &mut HashMap<String, Pos>,
    ) -> Option<Threshold> {
        const FIELDS: &[&str] = &["id", "metric", "by", "above", "below", "min_count"];
        let entries = self.mapping(node, "a threshold", FIELDS, &[], "")?;
        let id = match get(entries, "id") {
            Some(n) => match self.label(n, "thresholds id") {
                Some(id) if !valid_id(&id) => {
                    self.err(
                        K::InvalidValue,
                        n.pos,
                        format!(
                            "invalid threshold id `{id}`: use letters, digits, `_`, `.` and `-`"
                        ),
                    );
                    None
                }
                Some(id) => {
                    if let Some(first) = ids.get(&id) {
                        let first = first.map(|(l, c)| format!(" (first at line {l}, column {c})"));
                        self.err(
                            K::DuplicateId,
                            n.pos,
                            format!("duplicate threshold id `{id}`{}", first.unwrap_or_default()),
                        )
                        .help = Some("give every threshold its own id".into());
                        None
                    } else {
                        ids.insert(id.clone(), n.pos);
                        Some(id)
                    }
                }
                None => None,
            },
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "missing field `id` in a threshold",
                )
                .help = Some("every threshold needs a unique `id`, named in its breaches".into());
                None
            }
        };
        let metric = match get(entries, "metric") {
            Some(n) => self.metric(n, rules),
            None => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "missing field `metric` in a threshold",
                )
                .help = Some(format!(
                    "one of: {}, rule_rate:<rule id>",
                    Metric::NAMES.join(", ")
                ));
                None
            }
        };
        let by = get(entries, "by")
            .map(|n| self.choice(n, "thresholds by", &GroupBy::CHOICES))
            .unwrap_or(Some(GroupBy::All));
        let min_count = get(entries, "min_count")
            .map(|n| self.count(n, "min_count", 1))
            .unwrap_or(Some(1));
        let above = get(entries, "above").map(|n| self.number(n, "above"));
        let below = get(entries, "below").map(|n| self.number(n, "below"));
        let bound = match (above, below) {
            (Some(a), None) => a.map(Bound::Above),
            (None, Some(b)) => b.map(Bound::Below),
            (Some(_), Some(_)) => {
                let pos = entries
                    .iter()
                    .filter(|(k, _, _)| k == "above" || k == "below")
                    .nth(1)
                    .map_or(node.pos, |(_, p, _)| *p);
                self.err(
                    K::InvalidValue,
                    pos,
                    "a threshold takes one of `above` and `below`, not both",
                );
                None
            }
            (None, None) => {
                self.err(
                    K::MissingField,
                    node.pos,
                    "a threshold needs `above` or `below` (its limit)",
                )
                .help = Some(
                    "`below: 80` is breached by a value under 80; `above: 0.03` by one over 0.03"
                        .into(),
                );
                None
            }
        };
        Some(Threshold {
            id: id?,
            metric: metric?,
            by: by?,
            bound: bound?,
            min_count: min_count?,
            pos: Place(node.pos),
        })
    }

    /// A threshold's `metric`; a `rule_rate:` rule id must name a rule.
    fn metric(&mut self, node: &Node, rules: Option<&[Rule]>) -> Option<Metric> {
        let name = self.string(node, "metric")?;
        match Metric::parse(&name) {
            Some(Metric::RuleRate(id)) => {
                // `None`: the rules themselves are broken, already reported
                let rules = rules?;
                if rules.iter().any(|r| r.id() == id) {
                    return Some(Metric::RuleRate(id));
                }
                let ids: Vec<&str> = rules.iter().map(|r| r.id()).collect();
                let help = match suggest(&id, &ids) {
                    Some(s) => format!("did you mean `rule_rate:{s}`?"),
                    None if ids.is_empty() => "the rubric has no rules".to_string(),
                    None => format!("the rules: {}", ids.join(", ")),
                };
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!("metric `{name}` names rule `{id}`, which the rubric does not have"),
                )
                .help = Some(help);
                None
            }
            Some(m) => Some(m),
            None => {
                let mut names: Vec<&str> = Metric::NAMES.to_vec();
                names.push("rule_rate:<rule id>");
                let help = match suggest(&name, &Metric::NAMES) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("expected one of: {}", names.join(", ")),
                };
                self.err(
                    K::InvalidValue,
                    node.pos,
                    format!("unknown metric `{name}`"),
                )
                .help = Some(help);
                None
            }
        }
    }
}

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

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
