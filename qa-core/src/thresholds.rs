//! Threshold alerts over many conversations (`thresholds`, 异常预警): a pure aggregator that
//! takes reports one at a time and says which thresholds are breached in which groups. Front
//! ends (`qa report`, its HTML view) only format what it returns.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::{Metric, Threshold};
use crate::options::GroupBy;
use crate::report::Report;
use crate::rubric::Rubric;

/// A threshold breached by one group of conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// The threshold's id.
    pub threshold: String,
    /// The group: the agent or channel (`None` for conversations without one), or `"all"` for
    /// a threshold `by: all`.
    pub group: Option<String>,
    /// The metric's value in the group.
    pub value: f64,
    /// The threshold's limit (`above` or `below`).
    pub limit: f64,
    /// Conversations in the group.
    pub count: usize,
}

/// Per group: conversations and the sum the metric is the mean of.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: usize,
    sum: f64,
}

/// Judges a rubric's `thresholds` over the reports it is given, per group.
///
/// Each metric is a mean over a group's conversations: `mean_score` of scores, `pass_rate` of
/// `passed`, `fatal_rate` of `fatal`, `findings_per_conversation` of the number of findings (of
/// any rule, whatever they deducted), `rule_rate:<id>` of "has at least one finding of rule
/// `id`". A group with fewer than `min_count` conversations is not judged; one is breached
/// when its value is strictly below `below` (strictly above `above`): equal to the limit is
/// no breach. Memory: one tally per threshold and group.
///
/// ```
/// use qa_core::{Engine, Rubric, ThresholdMonitor, Transcript, Turn};
///
/// let engine = Engine::new(Rubric::from_yaml(r#"
/// rubric: r
/// rules:
///   - {id: rude, kind: forbid, match: [爱买不买], deduct: 50}
/// thresholds:
///   - {id: low, metric: mean_score, by: agent, below: 80}
/// "#).unwrap()).unwrap();
/// let mut monitor = ThresholdMonitor::new(engine.rubric());
/// for (agent, text) in [("a1", "爱买不买"), ("a1", "您好"), ("a2", "您好")] {
///     let t = Transcript {
///         agent: Some(agent.into()),
///         turns: vec![Turn::new("agent", text)],
///         ..Default::default()
///     };
///     monitor.add(&engine.score(&t));
/// }
/// let breaches = monitor.breaches();
/// assert_eq!(breaches.len(), 1);
/// assert_eq!(breaches[0].group.as_deref(), Some("a1"));
/// assert_eq!((breaches[0].value, breaches[0].limit, breaches[0].count), (75.0, 80.0, 2));
/// ```
#[derive(Debug, Clone)]
pub struct ThresholdMonitor {
    thresholds: Vec<Threshold>,
    /// Per threshold: group → tally, in order of first appearance.
    groups: Vec<IndexMap<Option<String>, Tally>>,
}

impl ThresholdMonitor {
    /// A monitor of the rubric's `thresholds` (none: it never reports a breach).
    pub fn new(rubric: &Rubric) -> ThresholdMonitor {
        ThresholdMonitor::of(rubric.thresholds().to_vec())
    }

    /// A monitor of these thresholds (each `rule_rate:` rule id is taken as it is).
    pub fn of(thresholds: Vec<Threshold>) -> ThresholdMonitor {
        let groups = vec![IndexMap::new(); thresholds.len()];
        ThresholdMonitor { thresholds, groups }
    }

    /// The thresholds judged.
    pub fn thresholds(&self) -> &[Threshold] {
        &self.thresholds
    }

    /// Counts one conversation's report.
    pub fn add(&mut self, report: &Report) {
        for (t, groups) in self.thresholds.iter().zip(&mut self.groups) {
            let key = match t.by {
                GroupBy::All => Some("all"),
                GroupBy::Agent => report.agent.as_deref(),
                GroupBy::Channel => report.channel.as_deref(),
            };
            let x = match &t.metric {
                Metric::MeanScore => report.score,
                Metric::PassRate => f64::from(u8::from(report.passed)),
                Metric::FatalRate => f64::from(u8::from(report.fatal)),
                Metric::FindingsPerConversation => report.findings.len() as f64,
                Metric::RuleRate(rule) => {
                    f64::from(u8::from(report.findings.iter().any(|f| &f.rule == rule)))
                }
            };
            let tally = groups.entry(key.map(str::to_string)).or_default();
            tally.count += 1;
            tally.sum += x;
        }
    }

    /// Every breach so far: thresholds in rubric order; within one, groups by name, the group
    /// of conversations without an agent (channel) last.
    pub fn breaches(&self) -> Vec<Breach> {
        let mut out = Vec::new();
        for (t, groups) in self.thresholds.iter().zip(&self.groups) {
            let mut keys: Vec<(&Option<String>, &Tally)> = groups.iter().collect();
            keys.sort_by(|a, b| (a.0.is_none(), a.0).cmp(&(b.0.is_none(), b.0)));
            for (group, tally) in keys {
                if tally.count < t.min_count {
                    continue;
                }
                let value = tally.sum / tally.count as f64;
                if t.bound.breached_by(value) {
                    out.push(Breach {
                        threshold: t.id.clone(),
                        group: group.clone(),
                        value,
                        limit: t.bound.limit(),
                        count: tally.count,
                    });
                }
            }
        }
        out
    }
}
