//! Checking a rubric's top level (`normalize`, `speakers`, `scoring`, `lists`, `patterns`);
//! `redact` and `thresholds` are checked in `outputs`, the rules in `rules_check`. The
//! primitives are the [`Checker`]'s (`crate::check`).

use indexmap::IndexMap;

use super::Rubric;
use crate::check::{get, pattern_name, Checker, PatternSlot, PatternState};
use crate::error::{Diagnostic, RubricError, RubricErrorKind as K};
use crate::limits::Limits;
use crate::model::{List, NamedPattern, Phrase, Scoring, Speakers};
use crate::normalize::Normalizer;
use crate::options::{ChineseForm, Locale, Normalize, Strip};
use crate::source::{FileName, Node, Place, Value};

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
