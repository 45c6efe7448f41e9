//! `qa report`'s threshold breaches as text, and `--fail-on-threshold`. The breaches themselves
//! are computed by `qa_core::ThresholdMonitor`; this only formats them.

use qa_core::{Bound, Breach, Engine, Metric};

use crate::table::{percent, Align, Table};
use crate::Status;

/// The exit status with `--fail-on-threshold`: 1 when a threshold was breached (`breached`
/// already says whether the flag was given), unless the input was bad (3 stays).
pub fn status(status: Status, breached: bool) -> Status {
    match status {
        Status::Ok if breached => Status::Failed,
        other => other,
    }
}

/// A metric's value as people read it: rates as percentages.
fn value(metric: &Metric, x: f64) -> String {
    match metric {
        Metric::PassRate | Metric::FatalRate | Metric::RuleRate(_) => percent(x),
        Metric::FindingsPerConversation => format!("{x:.2}"),
        _ => format!("{x:.1}"),
    }
}

/// The "threshold breaches" section of the table output; empty when the rubric has no
/// thresholds.
pub fn table(engine: &Engine, breaches: &[Breach]) -> String {
    let thresholds = engine.rubric().thresholds();
    if thresholds.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nthreshold breaches\n");
    if breaches.is_empty() {
        out.push_str(&format!(
            "  none ({} threshold{} judged)\n",
            thresholds.len(),
            if thresholds.len() == 1 { "" } else { "s" }
        ));
        return out;
    }
    let mut t = Table::new(&[
        ("threshold", Align::Left),
        ("metric", Align::Left),
        ("group", Align::Left),
        ("value", Align::Right),
        ("limit", Align::Left),
        ("n", Align::Right),
    ]);
    for b in breaches {
        if let Some(cells) = row(engine, b) {
            t.row(cells.to_vec());
        }
    }
    for line in t.render().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A breach as people read it, for the text table and the HTML page: threshold, metric, group
/// (`-` without one), value, limit (`above`/`below` it) and conversations; rates as
/// percentages. `None` for a breach of a threshold the rubric does not have.
pub fn row(engine: &Engine, b: &Breach) -> Option<[String; 6]> {
    let th = engine
        .rubric()
        .thresholds()
        .iter()
        .find(|t| t.id() == b.threshold)?;
    let limit = match th.bound() {
        Bound::Below(x) => format!("below {}", value(th.metric(), x)),
        Bound::Above(x) => format!("above {}", value(th.metric(), x)),
        _ => value(th.metric(), b.limit),
    };
    Some([
        b.threshold.clone(),
        th.metric().name(),
        b.group.clone().unwrap_or_else(|| "-".into()),
        value(th.metric(), b.value),
        limit,
        b.count.to_string(),
    ])
}
