//! `qa report`: aggregates reports as they stream by (nothing is kept per conversation):
//! count, mean and distribution of scores, pass rate, and findings per rule with their share of
//! all deductions, sorted so that the few rules that cause most of them come first (Pareto).

use std::io::Write;
use std::path::Path;

use indexmap::IndexMap;
use qa_core::{Breach, Engine, Report, ThresholdMonitor};
use serde::Serialize;

use crate::html;
use crate::path::FieldPath;
use crate::pipeline::{self, Options};
use crate::table::{num, percent, Align, Table};
use crate::{GroupBy, ReportFormat, Status};

/// Score distribution bins.
const BINS: usize = 10;
/// Default `--max-groups`: distinct agents (channels, values of a path) with a group of their
/// own.
pub const DEFAULT_MAX_GROUPS: usize = 100_000;

/// Scores of a set of conversations.
#[derive(Debug, Default, Clone)]
struct Scores {
    count: u64,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
    passed: u64,
    fatal: u64,
    findings: u64,
    deducted: f64,
}

impl Scores {
    fn add(&mut self, r: &Report, deducted: f64) {
        self.count += 1;
        self.sum += r.score;
        self.min = Some(self.min.map_or(r.score, |m| m.min(r.score)));
        self.max = Some(self.max.map_or(r.score, |m| m.max(r.score)));
        self.passed += u64::from(r.passed);
        self.fatal += u64::from(r.fatal);
        self.findings += r.findings.len() as u64;
        self.deducted += deducted;
    }

    fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    fn pass_rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.passed as f64 / self.count as f64)
    }

    fn to_json(&self) -> ScoresJson {
        ScoresJson {
            conversations: self.count,
            mean_score: self.mean().map(round),
            min_score: self.min,
            max_score: self.max,
            passed: self.passed,
            pass_rate: self.pass_rate().map(round),
            fatal: self.fatal,
            findings: self.findings,
            deducted: round(self.deducted),
        }
    }
}

/// The JSON output, fields in this order.
#[derive(Debug, Serialize)]
struct ReportJson<'a> {
    rubric: &'a str,
    version: Option<&'a str>,
    overall: ScoresJson,
    distribution: Vec<BinJson>,
    rules: Vec<RuleJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<GroupJson<'a>>>,
    /// The conversations of every agent (channel) past `--max-groups`, together.
    #[serde(skip_serializing_if = "Option::is_none")]
    other_groups: Option<OtherJson<'a>>,
    /// The rubric's `thresholds` breached (always present; empty when none is).
    breaches: &'a [Breach],
}

#[derive(Debug, Serialize)]
struct OtherJson<'a> {
    #[serde(flatten)]
    scores: ScoresJson,
    top_rule: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct ScoresJson {
    conversations: u64,
    mean_score: Option<f64>,
    min_score: Option<f64>,
    max_score: Option<f64>,
    passed: u64,
    pass_rate: Option<f64>,
    fatal: u64,
    findings: u64,
    deducted: f64,
}

#[derive(Debug, Serialize)]
struct BinJson {
    from: f64,
    to: f64,
    count: u64,
}

#[derive(Debug, Serialize)]
struct RuleJson<'a> {
    rule: &'a str,
    name: &'a str,
    findings: u64,
    conversations: u64,
    conversation_rate: f64,
    deducted: f64,
    share: f64,
    cumulative_share: f64,
}

#[derive(Debug, Serialize)]
struct GroupJson<'a> {
    #[serde(flatten)]
    key: IndexMap<&'a str, Option<&'a str>>,
    #[serde(flatten)]
    scores: ScoresJson,
    top_rule: Option<&'a str>,
}

/// Findings of one rule.
#[derive(Debug, Default, Clone)]
struct RuleTally {
    name: String,
    findings: u64,
    conversations: u64,
    deducted: f64,
}

/// Points deducted per rule in one group: (index in `Aggregate::rules`, points), sorted by
/// index; only rules with findings in the group take room.
#[derive(Debug, Default, Clone)]
struct RulePoints(Vec<(u32, f64)>);

impl RulePoints {
    fn add(&mut self, rule: usize, points: f64) {
        let rule = rule as u32;
        match self.0.binary_search_by_key(&rule, |&(r, _)| r) {
            Ok(i) => self.0[i].1 += points,
            Err(i) => self.0.insert(i, (rule, points)),
        }
    }

    /// The rule that took the most points (the first in rubric order on a tie), if any did.
    fn top(&self) -> Option<usize> {
        let mut best: Option<(u32, f64)> = None;
        for &(rule, points) in &self.0 {
            if points > 0.0 && best.is_none_or(|(_, b)| points > b) {
                best = Some((rule, points));
            }
        }
        best.map(|(rule, _)| rule as usize)
    }
}

/// The aggregate of a run, built report by report; `qa report --html` keeps two more (by
/// agent, by channel) for its tables.
#[derive(Debug)]
pub struct Aggregate {
    overall: Scores,
    /// Upper end of the score scale (`scoring.max`, or `base`).
    top: f64,
    bins: [u64; BINS],
    rules: IndexMap<String, RuleTally>,
    /// At most `max_groups` groups; memory per group: its name, about 200 bytes, and 16 bytes
    /// per rule with findings in it.
    groups: IndexMap<Option<String>, (Scores, RulePoints)>,
    max_groups: usize,
    /// Conversations of the groups past `max_groups`, together.
    others: Option<(Scores, RulePoints)>,
    by: Option<GroupBy>,
}

impl Aggregate {
    /// An empty aggregate over the rubric's rules, grouped `by` (at most `max_groups` groups).
    pub fn new(engine: &Engine, by: Option<GroupBy>, max_groups: usize) -> Aggregate {
        let rubric = engine.rubric();
        let rules = rubric
            .rules()
            .iter()
            .map(|r| {
                let tally = RuleTally {
                    name: r.display_name().to_string(),
                    ..RuleTally::default()
                };
                (r.id().to_string(), tally)
            })
            .collect();
        Aggregate {
            overall: Scores::default(),
            top: rubric.scoring().max(),
            bins: [0; BINS],
            rules,
            groups: IndexMap::new(),
            max_groups,
            others: None,
            by,
        }
    }

    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        let deducted: f64 = r.findings.iter().map(|f| f.deduct).sum();
        self.overall.add(r, deducted);
        let bin = if self.top > 0.0 {
            ((r.score / self.top) * BINS as f64).floor() as usize
        } else {
            BINS - 1
        };
        self.bins[bin.min(BINS - 1)] += 1;
        let mut seen: Vec<&str> = Vec::new();
        for f in &r.findings {
            let tally = self.rules.entry(f.rule.clone()).or_default();
            tally.findings += 1;
            tally.deducted += f.deduct;
            if !seen.contains(&f.rule.as_str()) {
                seen.push(&f.rule);
                tally.conversations += 1;
            }
        }
        let Some(path) = self.group_path() else {
            return;
        };
        let key = path.key(r);
        let (scores, rule_points) =
            if self.groups.contains_key(&key) || self.groups.len() < self.max_groups {
                self.groups.entry(key).or_default()
            } else {
                if self.others.is_none() {
                    eprintln!(
                        "qa: warning: over {} distinct {}; the conversations of the others are \
                         counted together (--max-groups)",
                        self.max_groups,
                        plural(path)
                    );
                }
                self.others.get_or_insert_with(Default::default)
            };
        scores.add(r, deducted);
        for f in &r.findings {
            if let Some(rule) = self.rules.get_index_of(&f.rule) {
                rule_points.add(rule, f.deduct);
            }
        }
    }

    /// The path conversations are grouped by, if they are.
    fn group_path(&self) -> Option<&FieldPath> {
        match &self.by {
            Some(GroupBy::Field(path)) => Some(path),
            _ => None,
        }
    }

    fn rule_id(&self, index: usize) -> &str {
        self.rules
            .get_index(index)
            .map_or("", |(id, _)| id.as_str())
    }

    /// Rules sorted for the Pareto: most deducted first, then most findings, then rubric
    /// order; each with its share of all deductions and the cumulative share.
    fn pareto(&self, all: bool) -> Vec<(&str, &RuleTally, f64, f64)> {
        let mut rules: Vec<(usize, &String, &RuleTally)> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| all || t.findings > 0)
            .map(|(i, (id, t))| (i, id, t))
            .collect();
        rules.sort_by(|a, b| {
            b.2.deducted
                .total_cmp(&a.2.deducted)
                .then(b.2.findings.cmp(&a.2.findings))
                .then(a.0.cmp(&b.0))
        });
        let total = self.overall.deducted;
        let mut cumulative = 0.0;
        rules
            .into_iter()
            .map(|(_, id, t)| {
                let share = if total > 0.0 { t.deducted / total } else { 0.0 };
                cumulative += share;
                (id.as_str(), t, share, cumulative.min(1.0))
            })
            .collect()
    }

    fn bin_range(&self, i: usize) -> (f64, f64) {
        let step = self.top / BINS as f64;
        (step * i as f64, step * (i + 1) as f64)
    }

    fn to_json(&self, engine: &Engine, breaches: &[Breach]) -> anyhow::Result<String> {
        let mut text = serde_json::to_string_pretty(&self.json(engine, breaches))?;
        text.push('\n');
        Ok(text)
    }

    /// The aggregate as the JSON value `qa report --format json` prints (for `--html`).
    pub fn to_value(&self, engine: &Engine, breaches: &[Breach]) -> serde_json::Value {
        serde_json::to_value(self.json(engine, breaches)).expect("an aggregate always serializes")
    }

    fn json<'a>(&'a self, engine: &'a Engine, breaches: &'a [Breach]) -> ReportJson<'a> {
        let rubric = engine.rubric();
        let count = self.overall.count.max(1) as f64;
        let rules = self
            .pareto(true)
            .into_iter()
            .map(|(id, t, share, cumulative)| RuleJson {
                rule: id,
                name: &t.name,
                findings: t.findings,
                conversations: t.conversations,
                conversation_rate: round(t.conversations as f64 / count),
                deducted: round(t.deducted),
                share: round(share),
                cumulative_share: round(cumulative),
            })
            .collect();
        let distribution = (0..BINS)
            .map(|i| {
                let (from, to) = self.bin_range(i);
                BinJson {
                    from: round(from),
                    to: round(to),
                    count: self.bins[i],
                }
            })
            .collect();
        let (by, groups) = match self.group_path() {
            Some(path) => {
                let field = path.as_str();
                let groups = self
                    .groups_sorted()
                    .into_iter()
                    .map(|(key, scores, top)| GroupJson {
                        key: IndexMap::from([(field, key)]),
                        scores: scores.to_json(),
                        top_rule: top,
                    })
                    .collect();
                (Some(field), Some(groups))
            }
            _ => (None, None),
        };
        let other_groups = self.others.as_ref().map(|(scores, points)| OtherJson {
            scores: scores.to_json(),
            top_rule: points.top().map(|i| self.rule_id(i)),
        });
        ReportJson {
            rubric: rubric.name(),
            version: rubric.version(),
            overall: self.overall.to_json(),
            distribution,
            rules,
            by,
            groups,
            other_groups,
            breaches,
        }
    }

    /// Groups by key (numbers by value before text, conversations without a key last), each with
    /// the rule that took the most.
    fn groups_sorted(&self) -> Vec<(Option<&str>, &Scores, Option<&str>)> {
        let mut groups: Vec<_> = self
            .groups
            .iter()
            .map(|(key, (scores, points))| {
                let top = points.top().map(|i| self.rule_id(i));
                (key.as_deref(), scores, top)
            })
            .collect();
        groups.sort_by(|a, b| compare_keys(a.0, b.0));
        groups
    }

    fn to_table(&self, engine: &Engine, top: usize) -> String {
        let rubric = engine.rubric();
        let o = &self.overall;
        let mut out = String::new();
        let version = rubric
            .version()
            .map(|v| format!(" (version {v})"))
            .unwrap_or_default();
        out.push_str(&format!("rubric         {}{version}\n", rubric.name()));
        out.push_str(&format!("conversations  {}\n", o.count));
        if let (Some(mean), Some(rate)) = (o.mean(), o.pass_rate()) {
            out.push_str(&format!(
                "mean score     {mean:.1}  (min {}, max {})\n",
                num(o.min.unwrap_or(0.0)),
                num(o.max.unwrap_or(0.0))
            ));
            out.push_str(&format!(
                "pass rate      {}  ({} of {}; {} fatal)\n",
                percent(rate),
                o.passed,
                o.count,
                o.fatal
            ));
            out.push_str(&format!(
                "findings       {}  ({} points deducted)\n",
                o.findings,
                num(o.deducted)
            ));
            out.push_str("\nscore distribution\n");
            let most = *self.bins.iter().max().unwrap_or(&1).max(&1);
            let mut dist = Table::new(&[
                ("scores", Align::Left),
                ("n", Align::Right),
                ("", Align::Left),
            ]);
            for i in (0..BINS).rev() {
                let (from, to) = self.bin_range(i);
                let close = if i == BINS - 1 { "]" } else { ")" };
                let bar = "█".repeat(((self.bins[i] * 30).div_ceil(most)) as usize);
                dist.row(vec![
                    format!("[{}, {}{close}", num(from), num(to)),
                    self.bins[i].to_string(),
                    bar,
                ]);
            }
            out.push_str(&indent(&dist.render()));
        }
        if let Some(path) = self.group_path() {
            let label = path.as_str();
            out.push_str(&format!("\nby {label}\n"));
            let mut t = Table::new(&[
                (label, Align::Left),
                ("n", Align::Right),
                ("mean", Align::Right),
                ("min", Align::Right),
                ("pass rate", Align::Right),
                ("fatal", Align::Right),
                ("findings", Align::Right),
                ("top rule", Align::Left),
            ]);
            let others = self.others.as_ref().map(|(s, points)| {
                let top = points.top().map(|i| self.rule_id(i));
                (format!("(other {})", plural(path)), s, top)
            });
            let rows = self
                .groups_sorted()
                .into_iter()
                .map(|(key, s, top)| (key.unwrap_or(NULL_GROUP).to_string(), s, top))
                .chain(others);
            for (key, s, top_rule) in rows {
                t.row(vec![
                    key,
                    s.count.to_string(),
                    format!("{:.1}", s.mean().unwrap_or(0.0)),
                    num(s.min.unwrap_or(0.0)),
                    percent(s.pass_rate().unwrap_or(0.0)),
                    s.fatal.to_string(),
                    s.findings.to_string(),
                    top_rule.unwrap_or("-").to_string(),
                ]);
            }
            out.push_str(&indent(&t.render()));
        }
        let all = self.by == Some(GroupBy::Rule);
        let rules = self.pareto(all);
        let shown = if all {
            rules.len()
        } else {
            top.min(rules.len())
        };
        out.push_str(if all {
            "\nrules (Pareto: most deducted first)\n"
        } else {
            "\ntop rules (Pareto: most deducted first)\n"
        });
        if rules.is_empty() {
            out.push_str("  no findings\n");
            return out;
        }
        let mut t = Table::new(&[
            ("rule", Align::Left),
            ("name", Align::Left),
            ("findings", Align::Right),
            ("conversations", Align::Right),
            ("deducted", Align::Right),
            ("share", Align::Right),
            ("cumulative", Align::Right),
        ]);
        let count = o.count.max(1) as f64;
        for (id, tally, share, cumulative) in rules.iter().take(shown) {
            t.row(vec![
                id.to_string(),
                tally.name.clone(),
                tally.findings.to_string(),
                format!(
                    "{} ({})",
                    tally.conversations,
                    percent(tally.conversations as f64 / count)
                ),
                num(tally.deducted),
                percent(*share),
                percent(*cumulative),
            ]);
        }
        out.push_str(&indent(&t.render()));
        if shown < rules.len() {
            out.push_str(&format!(
                "  … {} more rules with findings (--top N, or --by rule for all)\n",
                rules.len() - shown
            ));
        }
        out
    }
}

/// How the table shows the group of conversations without a key (JSON: `null`).
const NULL_GROUP: &str = "null";

/// What the groups of `path` are, in the plural: `agents`, `channels`, `values of meta.x`.
fn plural(path: &FieldPath) -> String {
    match path.as_str() {
        "agent" => "agents".to_string(),
        "channel" => "channels".to_string(),
        "id" => "ids".to_string(),
        other => format!("values of {other}"),
    }
}

/// The order of group keys: numbers by value, then text, then no key (`null`).
fn compare_keys(a: Option<&str>, b: Option<&str>) -> std::cmp::Ordering {
    let number = |k: &str| k.parse::<f64>().ok().filter(|n| n.is_finite());
    match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(a), Some(b)) => match (number(a), number(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y).then(a.cmp(b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        },
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// Rounds to 4 decimals so JSON output does not carry float noise.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// What `qa report` was asked for, besides its inputs.
#[derive(Debug, Clone)]
pub struct ReportOptions<'a> {
    /// `--by`.
    pub by: Option<GroupBy>,
    /// `--format`.
    pub format: ReportFormat,
    /// `--top`.
    pub top: usize,
    /// `--max-groups`.
    pub max_groups: usize,
    /// `--fail-on-threshold`.
    pub fail_on_threshold: bool,
    /// `--html`: also write the page there.
    pub html: Option<&'a Path>,
}

/// Runs `qa report`.
pub fn run(engine: &Engine, options: &Options, report: &ReportOptions) -> anyhow::Result<Status> {
    if report.max_groups == 0 {
        anyhow::bail!("--max-groups must be at least 1");
    }
    let mut agg = Aggregate::new(engine, report.by.clone(), report.max_groups);
    let mut monitor = ThresholdMonitor::new(engine.rubric());
    let mut page = match report.html {
        Some(path) => Some(html::Writer::create(path, engine, report.max_groups)?),
        None => None,
    };
    let totals = pipeline::run_keeping(engine, options, page.is_some(), &mut |r, t| {
        agg.add(&r);
        monitor.add(&r);
        match (&mut page, t) {
            (Some(page), Some(transcript)) => page.add(&r, &transcript),
            _ => Ok(()),
        }
    })?;
    let breaches = monitor.breaches();
    if let Some(page) = page {
        let judged = (!engine.rubric().thresholds().is_empty()).then_some(&breaches[..]);
        page.finish(engine, &agg.to_value(engine, &breaches), judged)?;
    }
    let text = match report.format {
        ReportFormat::Json => agg.to_json(engine, &breaches)?,
        ReportFormat::Table => {
            agg.to_table(engine, report.top) + &crate::thresholds::table(engine, &breaches)
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(crate::thresholds::status(
        totals.status(options),
        report.fail_on_threshold && !breaches.is_empty(),
    ))
}
