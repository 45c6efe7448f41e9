//! `qa eval`: how well a rubric agrees with people (v1.1 additions §4). Scores every input
//! conversation, reads its label (`--label EXPR`) and optionally a human score
//! (`--human-score PATH`), and reports the AUC of the rubric's risk order, each rule's
//! support, precision, recall and lift, and the agreement of scores with the human ones.
//! A conversation without a label is counted as unlabeled and left out of every figure that
//! needs one.

use std::cmp::Ordering;
use std::io::Write;

use qa_core::{Engine, Report, RuleKind};
use serde::Serialize;
use serde_json::Value;

use crate::path::{FieldPath, LabelExpr};
use crate::pipeline::{self, Options};
use crate::stats::{self, RuleAgreement};
use crate::table::{num, Align, Table};
use crate::{ReportFormat, Status};

/// What `qa eval` keeps of one conversation.
#[derive(Debug, Clone)]
struct Scored {
    score: f64,
    findings: usize,
    passed: bool,
    label: Option<bool>,
    human: Option<f64>,
}

/// The risk order of §4: a lower score is riskier; among equal scores, more findings.
fn riskier(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The JSON output, fields in this order (§4).
#[derive(Debug, Serialize, PartialEq)]
pub struct EvalJson {
    rubric: String,
    label: String,
    conversations: u64,
    labeled: u64,
    unlabeled: u64,
    positives: u64,
    auc: Option<f64>,
    /// Why `auc` is null, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    rules: Vec<RuleJson>,
    human: Option<HumanJson>,
}

#[derive(Debug, Serialize, PartialEq)]
struct RuleJson {
    rule: String,
    /// A pure bonus rule: support counts the conversations where it was met.
    bonus: bool,
    /// `null` for a bonus rule whose category holds other bonus rules (it cannot be seen).
    support: Option<u64>,
    positives: Option<u64>,
    precision: Option<f64>,
    recall: Option<f64>,
    lift: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq)]
struct HumanJson {
    path: String,
    /// Conversations with a numeric human score.
    count: u64,
    /// Conversations without one (left out).
    missing: u64,
    mae: Option<f64>,
    pearson: Option<f64>,
    /// The rubric's pass mark, applied to the human score.
    pass: f64,
    kappa: Option<f64>,
}

/// Collects conversations as they stream by.
#[derive(Debug)]
struct Evaluation {
    label: LabelExpr,
    human: Option<FieldPath>,
    scored: Vec<Scored>,
    /// Per rule, in rubric order: the labeled conversations it fired on, and how many were
    /// positive.
    rules: Vec<RuleTally>,
}

/// How a rule shows in a report, and what `qa eval` counted of it.
#[derive(Debug)]
struct RuleTally {
    id: String,
    /// A pure bonus rule (`require` with `bonus`, no `deduct`) has no finding: it counts
    /// where it was met, seen as a bonus in its category when it is the category's only
    /// bonus rule; `None` when that cannot be seen.
    bonus_category: Option<Option<String>>,
    agreement: RuleAgreement,
}

impl Evaluation {
    fn new(engine: &Engine, label: LabelExpr, human: Option<FieldPath>) -> Evaluation {
        let all = engine.rubric().rules();
        let pure_bonus = |r: &qa_core::Rule| {
            r.kind() == RuleKind::Require && r.bonus() > 0.0 && r.deduct() == 0.0
        };
        let rules = all
            .iter()
            .map(|r| {
                let bonus_category = pure_bonus(r).then(|| {
                    let category = r.category()?;
                    let shared = all
                        .iter()
                        .filter(|o| o.bonus() > 0.0 && o.category() == Some(category))
                        .count();
                    (shared == 1).then(|| category.to_string())
                });
                RuleTally {
                    id: r.id().to_string(),
                    bonus_category,
                    agreement: RuleAgreement::default(),
                }
            })
            .collect();
        Evaluation {
            label,
            human,
            scored: Vec::new(),
            rules,
        }
    }

    fn add(&mut self, r: &Report) {
        let label = self.label.eval(r);
        let human = self.human.as_ref().and_then(|p| number(p.lookup(r)?));
        if let Some(label) = label {
            for rule in &mut self.rules {
                let fired = match &rule.bonus_category {
                    None => r.findings.iter().any(|f| f.rule == rule.id),
                    Some(Some(category)) => {
                        r.categories.get(category).is_some_and(|c| c.bonus > 0.0)
                    }
                    Some(None) => false,
                };
                if fired {
                    rule.agreement.support += 1;
                    rule.agreement.hits += u64::from(label);
                }
            }
        }
        self.scored.push(Scored {
            score: r.score,
            findings: r.findings.len(),
            passed: r.passed,
            label,
            human,
        });
    }

    fn to_json(&self, engine: &Engine) -> EvalJson {
        let labeled: Vec<((f64, usize), bool)> = self
            .scored
            .iter()
            .filter_map(|s| Some(((s.score, s.findings), s.label?)))
            .collect();
        let positives = labeled.iter().filter(|(_, l)| *l).count() as u64;
        let count = labeled.len() as u64;
        let auc = stats::auc(&labeled, riskier);
        let note = match (auc, count) {
            (Some(_), _) => None,
            (None, 0) => Some(format!("no conversation has a label `{}`", self.label)),
            (None, _) if positives == count => {
                Some("every labeled conversation is positive: AUC is undefined".to_string())
            }
            (None, _) => Some("no labeled conversation is positive: AUC is undefined".to_string()),
        };
        let rules = self
            .rules
            .iter()
            .map(|rule| {
                let a = &rule.agreement;
                let seen = !matches!(rule.bonus_category, Some(None));
                RuleJson {
                    rule: rule.id.clone(),
                    bonus: rule.bonus_category.is_some(),
                    support: seen.then_some(a.support),
                    positives: seen.then_some(a.hits),
                    precision: a.precision().filter(|_| seen).map(round),
                    recall: a.recall(positives).filter(|_| seen).map(round),
                    lift: a.lift(positives, count).filter(|_| seen).map(round),
                }
            })
            .collect();
        let human = self.human.as_ref().map(|path| {
            let pass = engine.rubric().scoring().pass();
            let pairs: Vec<(f64, f64, bool)> = self
                .scored
                .iter()
                .filter_map(|s| Some((s.score, s.human?, s.passed)))
                .collect();
            let numbers: Vec<(f64, f64)> = pairs.iter().map(|&(a, b, _)| (a, b)).collect();
            let verdicts: Vec<(bool, bool)> =
                pairs.iter().map(|&(_, h, p)| (p, h >= pass)).collect();
            HumanJson {
                path: path.to_string(),
                count: pairs.len() as u64,
                missing: (self.scored.len() - pairs.len()) as u64,
                mae: stats::mae(&numbers).map(round),
                pearson: stats::pearson(&numbers).map(round),
                pass,
                kappa: stats::cohen_kappa(&verdicts).map(round),
            }
        });
        EvalJson {
            rubric: engine.rubric().name().to_string(),
            label: self.label.to_string(),
            conversations: self.scored.len() as u64,
            labeled: count,
            unlabeled: self.scored.len() as u64 - count,
            positives,
            auc: auc.map(round),
            note,
            rules,
            human,
        }
    }
}

/// A human score: a number, or text that reads as one.
fn number(value: Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Rounds to 4 decimals so JSON output does not carry float noise.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn fixed(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "-".to_string(), |x| format!("{x:.decimals$}"))
}

fn to_table(e: &EvalJson) -> String {
    let mut out = String::new();
    out.push_str(&format!("rubric         {}\n", e.rubric));
    out.push_str(&format!("label          {}\n", e.label));
    out.push_str(&format!(
        "conversations  {}  ({} labeled, {} unlabeled)\n",
        e.conversations, e.labeled, e.unlabeled
    ));
    let share = if e.labeled > 0 {
        format!(" ({:.1}%)", 100.0 * e.positives as f64 / e.labeled as f64)
    } else {
        String::new()
    };
    out.push_str(&format!("positives      {}{share}\n", e.positives));
    out.push_str(&format!(
        "AUC            {}{}\n",
        fixed(e.auc, 3),
        e.note
            .as_ref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default()
    ));
    out.push_str("               (risk order: lower score first, then more findings)\n");
    if let Some(h) = &e.human {
        out.push_str(&format!(
            "\nhuman score    {}  ({} with one, {} without)\n",
            h.path, h.count, h.missing
        ));
        out.push_str(&format!("  MAE          {}\n", fixed(h.mae, 2)));
        out.push_str(&format!("  Pearson r    {}\n", fixed(h.pearson, 3)));
        out.push_str(&format!(
            "  Cohen's κ    {}  (passed vs human score ≥ {})\n",
            fixed(h.kappa, 3),
            num(h.pass)
        ));
    }
    out.push_str(
        "\nrules (support: labeled conversations with a finding, or where a bonus was met)\n",
    );
    let mut t = Table::new(&[
        ("rule", Align::Left),
        ("support", Align::Right),
        ("positives", Align::Right),
        ("precision", Align::Right),
        ("recall", Align::Right),
        ("lift", Align::Right),
    ]);
    for r in &e.rules {
        let count = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        let bonus = if r.bonus { " (bonus)" } else { "" };
        t.row(vec![
            format!("{}{bonus}", r.rule),
            count(r.support),
            count(r.positives),
            fixed(r.precision, 3),
            fixed(r.recall, 3),
            fixed(r.lift, 2),
        ]);
    }
    for line in t.render().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Runs `qa eval`.
pub fn run(
    engine: &Engine,
    options: &Options,
    label: &str,
    human: Option<&str>,
    format: ReportFormat,
) -> anyhow::Result<Status> {
    let label = LabelExpr::parse(label).map_err(|e| anyhow::anyhow!("--label: {e}"))?;
    let human = human
        .map(FieldPath::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--human-score: {e}"))?;
    let mut evaluation = Evaluation::new(engine, label, human);
    let totals = pipeline::run(engine, options, &mut |report| {
        evaluation.add(&report);
        Ok(())
    })?;
    let json = evaluation.to_json(engine);
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(&json)? + "\n",
        ReportFormat::Table => to_table(&json),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(totals.status(options))
}
