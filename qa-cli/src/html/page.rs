//! The sections of the page around the conversations, from the aggregates' JSON
//! (`qa report --format json`, overall and by agent and by channel), and its style and script.

use indexmap::IndexMap;
use qa_core::Engine;
use serde_json::Value;

use super::evidence::escape;
use super::{conversation_name, Alert, Breach, RuleInfo, MAX_ALERTS, PAGE};
use crate::table::{num, percent};

/// The page's style: system fonts only, Chinese ones named for each platform.
const STYLE: &str = include_str!("page.css");
/// The page's script: filters and pages of conversations, rendered from the embedded JSON.
pub const SCRIPT: &str = include_str!("page.js");
/// Rows of a per-agent or per-channel table (worst mean score first).
const MAX_GROUP_ROWS: usize = 300;
/// Rules drawn in the Pareto chart (the table lists all with findings).
const PARETO_BARS: usize = 15;

/// What the sections are made of.
pub struct Sections<'a> {
    pub engine: &'a Engine,
    pub overall: &'a Value,
    pub by_agent: &'a Value,
    pub by_channel: &'a Value,
    pub rules: &'a IndexMap<String, RuleInfo>,
    pub alerts: &'a [Alert],
    pub alert_count: u64,
    pub thresholds: Option<&'a [Breach]>,
    pub count: usize,
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// A table's HTML: header cells, then rows of cells already escaped.
fn table(class: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    let mut h = format!("<table class=\"{class}\"><thead><tr>");
    for c in head {
        h.push_str(&format!("<th>{c}</th>"));
    }
    h.push_str("</tr></thead><tbody>");
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            h.push_str(&format!("<td>{c}</td>"));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    h
}

impl Sections<'_> {
    fn rule_name(&self, id: &str) -> String {
        self.rules
            .get(id)
            .map_or(id, |r| r.name.as_str())
            .to_string()
    }

    /// Everything up to the first page of conversations.
    pub fn head(&self) -> String {
        let rubric = self.engine.rubric();
        let title = format!(
            "{}{}",
            rubric.name(),
            rubric
                .version()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default()
        );
        let mut h = String::with_capacity(64 << 10);
        h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.push_str(&format!(
            "<title>质检报告 QA report — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            escape(&title)
        ));
        h.push_str(&format!(
            "<main data-qa-report data-conversations=\"{}\">\n<header class=\"top\"><h1>质检报告 QA report</h1><p class=\"rubric\">{} · qa {}</p></header>\n",
            self.count,
            escape(&title),
            env!("CARGO_PKG_VERSION")
        ));
        h.push_str(&self.summary());
        h.push_str(&self.distribution());
        h.push_str(&self.groups("agents", "坐席 Per agent", "agent", self.by_agent));
        h.push_str(&self.groups("channels", "渠道 Per channel", "channel", self.by_channel));
        h.push_str(&self.pareto());
        h.push_str(&self.thresholds());
        h.push_str(&self.alerts());
        h.push_str(&self.skipped());
        h.push_str(&self.conversations_head());
        h
    }

    /// Everything after the first page of conversations, up to the embedded data.
    pub fn tail(&self) -> String {
        let pages = self.count.div_ceil(PAGE).max(1);
        format!(
            "</div>\n<nav id=\"pager\"><button type=\"button\" id=\"prev\" disabled>‹ prev</button><span id=\"page\">1 / {pages}</span><button type=\"button\" id=\"next\"{}>next ›</button></nav>\n</section>\n</main>\n",
            if pages > 1 { "" } else { " disabled" }
        )
    }

    fn summary(&self) -> String {
        let o = &self.overall["overall"];
        let n = u(&o["conversations"]);
        let skipped = self.rules.values().filter(|r| r.skipped > 0).count();
        let mean = o["mean_score"]
            .as_f64()
            .map_or("—".to_string(), |m| format!("{m:.1}"));
        let range = match (o["min_score"].as_f64(), o["max_score"].as_f64()) {
            (Some(lo), Some(hi)) => format!("min {} · max {}", num(lo), num(hi)),
            _ => String::new(),
        };
        let rate = o["pass_rate"].as_f64().map_or("—".to_string(), percent);
        let cards = [
            (
                "conversations",
                "会话 Conversations",
                n.to_string(),
                String::new(),
            ),
            ("mean_score", "平均分 Mean score", mean, range),
            (
                "pass_rate",
                "合格率 Pass rate",
                rate,
                format!("{} of {n} passed", u(&o["passed"])),
            ),
            (
                "fatal",
                "致命 Fatal",
                u(&o["fatal"]).to_string(),
                String::new(),
            ),
            (
                "findings",
                "问题 Findings",
                u(&o["findings"]).to_string(),
                format!("{} points deducted", num(f(&o["deducted"]))),
            ),
            (
                "skipped_rules",
                "未执行规则 Skipped rules",
                skipped.to_string(),
                "rules that could not run somewhere".to_string(),
            ),
        ];
        let mut h = String::from("<section id=\"summary\"><dl class=\"cards\">");
        for (key, label, value, note) in cards {
            h.push_str(&format!(
                "<div><dt>{label}</dt><dd data-summary=\"{key}\">{}</dd><dd class=\"note\">{}</dd></div>",
                escape(&value),
                escape(&note)
            ));
        }
        h.push_str("</dl></section>\n");
        h
    }

    fn distribution(&self) -> String {
        let bins: &[Value] = self.overall["distribution"]
            .as_array()
            .map_or(&[], |v| v.as_slice());
        let pass = self.engine.rubric().scoring().pass();
        let most = bins
            .iter()
            .map(|b| u(&b["count"]))
            .max()
            .unwrap_or(0)
            .max(1);
        let (w, h, left, bottom) = (640.0, 220.0, 40.0, 30.0);
        let bar = (w - left) / bins.len().max(1) as f64;
        let mut svg = format!(
            "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"score distribution\">"
        );
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{w}\" y2=\"{y}\" class=\"axis\"/>",
            y = h - bottom
        ));
        for (i, b) in bins.iter().enumerate() {
            let count = u(&b["count"]);
            let height = (h - bottom - 20.0) * count as f64 / most as f64;
            let x = left + bar * i as f64;
            let y = h - bottom - height;
            let low = f(&b["to"]) <= pass;
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\" class=\"{}\"><title>[{}, {}): {count}</title></rect>",
                x + 2.0,
                bar - 4.0,
                if low { "bar low" } else { "bar" },
                num(f(&b["from"])),
                num(f(&b["to"])),
            ));
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"count\">{count}</text>",
                x + bar / 2.0,
                y - 4.0
            ));
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"label\">{}–{}</text>",
                x + bar / 2.0,
                h - bottom + 16.0,
                num(f(&b["from"])),
                num(f(&b["to"]))
            ));
        }
        svg.push_str("</svg>");
        format!(
            "<section id=\"distribution\"><h2>分数分布 Score distribution</h2>{svg}<p class=\"note\">red: bins below the pass mark ({})</p></section>\n",
            num(pass)
        )
    }

    fn groups(&self, id: &str, title: &str, field: &str, value: &Value) -> String {
        let mut groups: Vec<&Value> = value["groups"]
            .as_array()
            .map(|g| g.iter().collect())
            .unwrap_or_default();
        groups.sort_by(|a, b| {
            f(&a["mean_score"])
                .total_cmp(&f(&b["mean_score"]))
                .then(u(&b["conversations"]).cmp(&u(&a["conversations"])))
        });
        let row = |key: String, g: &Value| -> Vec<String> {
            vec![
                key,
                u(&g["conversations"]).to_string(),
                format!("{:.1}", f(&g["mean_score"])),
                num(f(&g["min_score"])),
                percent(f(&g["pass_rate"])),
                u(&g["fatal"]).to_string(),
                u(&g["findings"]).to_string(),
                g["top_rule"]
                    .as_str()
                    .map_or("—".to_string(), |r| escape(&self.rule_name(r))),
            ]
        };
        let mut rows: Vec<Vec<String>> = groups
            .iter()
            .take(MAX_GROUP_ROWS)
            .map(|g| row(escape(g[field].as_str().unwrap_or("(none)")), g))
            .collect();
        if let Some(other) = value.get("other_groups") {
            rows.push(row(format!("(other {id})"), other));
        }
        let more = groups.len().saturating_sub(MAX_GROUP_ROWS);
        let note = if more > 0 {
            format!(
                "<p class=\"note\">{more} more (the {MAX_GROUP_ROWS} lowest mean scores are shown; <code>qa report --by {field}</code> lists all)</p>"
            )
        } else {
            String::new()
        };
        format!(
            "<section id=\"{id}\"><h2>{title}</h2>{}{note}</section>\n",
            table(
                "groups",
                &[
                    field,
                    "conversations",
                    "mean",
                    "min",
                    "pass rate",
                    "fatal",
                    "findings",
                    "top rule"
                ],
                &rows
            )
        )
    }

    fn pareto(&self) -> String {
        let rules: Vec<&Value> = self.overall["rules"]
            .as_array()
            .map(|r| r.iter().filter(|r| u(&r["findings"]) > 0).collect())
            .unwrap_or_default();
        let mut h = String::from(
            "<section id=\"pareto\"><h2>规则帕累托 Rules (Pareto: most deducted first)</h2>",
        );
        if rules.is_empty() {
            h.push_str("<p>No findings.</p></section>\n");
            return h;
        }
        let shown = &rules[..rules.len().min(PARETO_BARS)];
        let most = shown.iter().map(|r| f(&r["deducted"])).fold(0.0, f64::max);
        let most = if most > 0.0 { most } else { 1.0 };
        let (w, ht, left, bottom) = (640.0, 260.0, 40.0, 80.0);
        let bar = (w - left - 30.0) / shown.len() as f64;
        let plot = ht - bottom - 10.0;
        let mut svg = format!(
            "<svg class=\"chart\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Pareto of rules\">"
        );
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" class=\"axis\"/>",
            y = ht - bottom,
            x2 = w - 30.0
        ));
        let mut points = Vec::new();
        for (i, r) in shown.iter().enumerate() {
            let d = f(&r["deducted"]);
            let height = plot * d / most;
            let x = left + bar * i as f64;
            let y = ht - bottom - height;
            let name = escape(&self.rule_name(r["rule"].as_str().unwrap_or("")));
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\" class=\"bar\"><title>{name}: {} points, {} findings</title></rect>",
                x + 2.0,
                bar - 4.0,
                num(d),
                u(&r["findings"])
            ));
            let cx = x + bar / 2.0;
            svg.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"label\" transform=\"rotate(-35 {cx:.1} {:.1})\" text-anchor=\"end\">{name}</text>",
                ht - bottom + 14.0,
                ht - bottom + 14.0
            ));
            let cy = ht - bottom - plot * f(&r["cumulative_share"]);
            points.push(format!("{cx:.1},{cy:.1}"));
        }
        svg.push_str(&format!(
            "<polyline points=\"{}\" class=\"cumulative\"/>",
            points.join(" ")
        ));
        for p in &points {
            let (x, y) = p.split_once(',').expect("a point");
            svg.push_str(&format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" class=\"cumulative\"/>"
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"label\">100%</text></svg>",
            w - 28.0,
            ht - bottom - plot + 4.0
        ));
        let rows: Vec<Vec<String>> = rules
            .iter()
            .map(|r| {
                let id = r["rule"].as_str().unwrap_or("");
                vec![
                    format!(
                        "{} <code>{}</code>",
                        escape(&self.rule_name(id)),
                        escape(id)
                    ),
                    u(&r["findings"]).to_string(),
                    format!(
                        "{} ({})",
                        u(&r["conversations"]),
                        percent(f(&r["conversation_rate"]))
                    ),
                    num(f(&r["deducted"])),
                    percent(f(&r["share"])),
                    percent(f(&r["cumulative_share"])),
                ]
            })
            .collect();
        h.push_str(&svg);
        h.push_str("<p class=\"note\">bars: points deducted per rule; line: cumulative share of all deductions</p>");
        h.push_str(&table(
            "rules",
            &[
                "rule",
                "findings",
                "conversations",
                "deducted",
                "share",
                "cumulative",
            ],
            &rows,
        ));
        h.push_str("</section>\n");
        h
    }

    /// Threshold breaches (spec v1.1 §1 `thresholds`); `None`: the rubric has no thresholds.
    fn thresholds(&self) -> String {
        let body = match self.thresholds {
            None => "<p>No thresholds in this rubric.</p>".to_string(),
            Some([]) => "<p>No threshold breached.</p>".to_string(),
            Some(breaches) => {
                let rows: Vec<Vec<String>> = breaches
                    .iter()
                    .filter_map(|b| crate::thresholds::row(self.engine, b))
                    .map(|cells| cells.iter().map(|c| escape(c)).collect())
                    .collect();
                table(
                    "breaches",
                    &[
                        "threshold",
                        "metric",
                        "group",
                        "value",
                        "limit",
                        "conversations",
                    ],
                    &rows,
                )
            }
        };
        format!("<section id=\"thresholds\" data-thresholds><h2>阈值预警 Threshold breaches</h2>{body}</section>\n")
    }

    fn alerts(&self) -> String {
        let mut h = format!(
            "<section id=\"alerts\"><h2>告警 Alerts <small>({} findings of alert rules)</small></h2>",
            self.alert_count
        );
        if self.alerts.is_empty() {
            h.push_str("<p>No alerts.</p></section>\n");
            return h;
        }
        let rows: Vec<Vec<String>> = self
            .alerts
            .iter()
            .map(|a| {
                let (id, info) = self.rules.get_index(a.rule).expect("a known rule");
                vec![
                    format!(
                        "<a href=\"#c{}\">{}</a>",
                        a.conversation,
                        escape(&conversation_name(a.id.as_deref(), a.conversation))
                    ),
                    escape(a.agent.as_deref().unwrap_or("—")),
                    format!("{} <code>{}</code>", escape(&info.name), escape(id)),
                    a.turn.map_or("—".to_string(), |t| (t + 1).to_string()),
                    a.text
                        .as_deref()
                        .map_or(String::new(), |t| format!("<q>{}</q>", escape(t))),
                ]
            })
            .collect();
        h.push_str(&table(
            "alerts",
            &["conversation", "agent", "rule", "turn", "evidence"],
            &rows,
        ));
        if self.alert_count > self.alerts.len() as u64 {
            h.push_str(&format!(
                "<p class=\"note\">the first {MAX_ALERTS} are listed; filter the conversations by rule for the others</p>"
            ));
        }
        h.push_str("</section>\n");
        h
    }

    fn skipped(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .rules
            .iter()
            .filter(|(_, r)| r.skipped > 0 || r.not_applicable > 0)
            .map(|(id, r)| {
                vec![
                    format!("{} <code>{}</code>", escape(&r.name), escape(id)),
                    r.skipped.to_string(),
                    escape(&r.reasons.join("; ")),
                    r.not_applicable.to_string(),
                ]
            })
            .collect();
        let body = if rows.is_empty() {
            "<p>Every rule ran on every conversation.</p>".to_string()
        } else {
            table(
                "skipped",
                &[
                    "rule",
                    "skipped in",
                    "reason",
                    "not applicable (only_if) in",
                ],
                &rows,
            )
        };
        format!("<section id=\"skipped\"><h2>未执行规则 Skipped rules</h2>{body}</section>\n")
    }

    fn conversations_head(&self) -> String {
        let mut h = String::from(
            "<section id=\"conversations\"><h2>会话 Conversations</h2><form id=\"filters\" class=\"filters\">",
        );
        h.push_str("<label>坐席 Agent <select id=\"f-agent\"><option value=\"\">all</option>");
        let mut agents: Vec<&Value> = self.by_agent["groups"]
            .as_array()
            .map(|g| g.iter().collect())
            .unwrap_or_default();
        agents.sort_by(|a, b| a["agent"].as_str().cmp(&b["agent"].as_str()));
        for g in agents {
            let key = &g["agent"];
            h.push_str(&format!(
                "<option value=\"{}\">{} ({})</option>",
                escape(&key.to_string()),
                escape(key.as_str().unwrap_or("(none)")),
                u(&g["conversations"])
            ));
        }
        h.push_str("</select></label><label>规则 Rule <select id=\"f-rule\"><option value=\"\">all</option>");
        let findings: IndexMap<&str, u64> = self.overall["rules"]
            .as_array()
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| (r["rule"].as_str().unwrap_or(""), u(&r["conversations"])))
                    .collect()
            })
            .unwrap_or_default();
        for (id, info) in self.rules {
            h.push_str(&format!(
                "<option value=\"{}\">{} · {} ({})</option>",
                escape(id),
                escape(&info.name),
                escape(id),
                findings.get(id.as_str()).copied().unwrap_or(0)
            ));
        }
        h.push_str("</select></label><label><input type=\"checkbox\" id=\"f-failed\"> 不合格 failed only</label>");
        h.push_str("<label>每页 Per page <select id=\"f-size\"><option value=\"25\">25</option><option value=\"100\" selected>100</option><option value=\"500\">500</option></select></label></form>");
        let first = self.count.min(PAGE);
        h.push_str(&format!(
            "<p id=\"shown\" data-matches=\"{}\">{}</p><noscript><p>Without JavaScript only the first {PAGE} conversations are shown and the filters do nothing.</p></noscript><div id=\"list\">",
            self.count,
            if self.count == 0 {
                "No conversations.".to_string()
            } else {
                format!("{first} of {} conversations shown", self.count)
            }
        ));
        h
    }
}
