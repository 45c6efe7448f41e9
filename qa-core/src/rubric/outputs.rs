//! Checking the parts of a rubric that shape what is handed out over many conversations:
//! `redact` (what is masked) and `thresholds` (alerts over groups of reports).

use std::collections::HashMap;

use super::rules_check::valid_id;
use crate::check::{get, suggest, Checker};
use crate::error::RubricErrorKind as K;
use crate::model::{Bound, Metric, Redact, Threshold};
use crate::options::{Builtin, GroupBy};
use crate::rules::Rule;
use crate::source::{Node, Place, Pos, Value};

impl Checker<'_> {
    /// `redact`: `builtin` (each once), `match` (a match expression, as in rules), `mask` (one
    /// character); at least one of `builtin` and `match`.
    pub(super) fn redact(&mut self, node: &Node) -> Option<Redact> {
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
    pub(super) fn thresholds(
        &mut self,
        node: &Node,
        rules: Option<&[Rule]>,
    ) -> Option<Vec<Threshold>> {
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
