//! `qa score`: writes each report as a JSON line, as an element of one JSON array, or as a
//! table row, in input order, streaming.

use std::io::{self, Write};

use qa_core::{Engine, Finding, Report};

use crate::pipeline::{self, Options};
use crate::sink;
use crate::table::{num, percent, Align, Table};
use crate::{ScoreFormat, Status};

/// Rows read before a table's column widths are fixed and rows start streaming out.
const TABLE_LOOKAHEAD: usize = 200;
/// Findings listed in a table row before `+N more`.
const ROW_FINDINGS: usize = 6;

/// Runs `qa score`. Each report reaches stdout whole, in one write under the output's lock, so
/// SIGINT stops after a whole line (and closes a JSON array).
pub fn score(engine: &Engine, options: &Options, format: ScoreFormat) -> anyhow::Result<Status> {
    sink::exit_on_interrupt()?;
    let totals = match format {
        ScoreFormat::Jsonl => serialized(
            engine,
            options,
            &|report, buf| {
                serde_json::to_writer(&mut *buf, report).expect("a report always serializes");
                buf.push(b'\n');
            },
            &mut |buf| sink::write(&buf),
        )?,
        ScoreFormat::Json => {
            let mut first = true;
            sink::set_trailer(b"[]\n");
            let totals = serialized(
                engine,
                options,
                &|report, buf| {
                    // room for the separator, known only in input order
                    buf.extend_from_slice(b",\n");
                    serde_json::to_writer_pretty(&mut *buf, report)
                        .expect("a report always serializes");
                },
                &mut |mut buf| {
                    if first {
                        buf[..2].copy_from_slice(b"[\n");
                    }
                    sink::write(&buf)?;
                    if first {
                        sink::set_trailer(b"\n]\n");
                        first = false;
                    }
                    Ok(())
                },
            )?;
            sink::write(if first { b"[]\n" } else { b"\n]\n" })?;
            sink::set_trailer(b"");
            totals
        }
        ScoreFormat::Table => {
            let mut buf: Vec<u8> = Vec::new();
            let mut table = ScoreTable::new(engine);
            let totals = pipeline::run(engine, options, &mut |report| {
                buf.clear();
                table.add(&report, &mut buf)?;
                sink::write(&buf)
            })?;
            buf.clear();
            table.finish(&mut buf)?;
            sink::write(&buf)?;
            totals
        }
    };
    match sink::flush() {
        // the reader of our output is gone (`qa score | head`)
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        result => result?,
    }
    Ok(totals.status(options))
}

/// Scores the input with each report serialized by `serialize` in the worker pool, next to its
/// scoring, and hands the bytes to `write` in input order.
fn serialized(
    engine: &Engine,
    options: &Options,
    serialize: &(dyn Fn(&Report, &mut Vec<u8>) + Sync),
    write: &mut dyn FnMut(Vec<u8>) -> io::Result<()>,
) -> anyhow::Result<pipeline::Totals> {
    let mut failed = 0;
    let mut totals = pipeline::each(
        engine,
        options,
        &|t| {
            let report = engine.score(&t);
            let mut buf = Vec::new();
            serialize(&report, &mut buf);
            (report.passed, buf)
        },
        &mut |(passed, buf)| {
            failed += usize::from(!passed);
            write(buf)
        },
    )?;
    totals.failed = failed;
    Ok(totals)
}

/// A streaming table of reports with a summary line.
struct ScoreTable<'a> {
    engine: &'a Engine,
    table: Table,
    pending: Vec<Vec<String>>,
    started: bool,
    count: usize,
    passed: usize,
    fatal: usize,
    findings: usize,
    sum: f64,
    skipped: usize,
}

impl<'a> ScoreTable<'a> {
    fn new(engine: &'a Engine) -> ScoreTable<'a> {
        ScoreTable {
            engine,
            table: Table::new(&[
                ("id", Align::Left),
                ("agent", Align::Left),
                ("channel", Align::Left),
                ("score", Align::Right),
                ("result", Align::Left),
                ("findings", Align::Left),
            ]),
            pending: Vec::new(),
            started: false,
            count: 0,
            passed: 0,
            fatal: 0,
            findings: 0,
            sum: 0.0,
            skipped: 0,
        }
    }

    fn add(&mut self, report: &Report, out: &mut impl Write) -> io::Result<()> {
        self.count += 1;
        self.sum += report.score;
        self.passed += usize::from(report.passed);
        self.fatal += usize::from(report.fatal);
        self.findings += report.findings.len();
        self.skipped += usize::from(!report.skipped.is_empty());
        let dash = || "-".to_string();
        let result = if report.fatal {
            "FATAL"
        } else if report.passed {
            "pass"
        } else {
            "FAIL"
        };
        let row = vec![
            report
                .id
                .clone()
                .unwrap_or_else(|| format!("#{}", self.count)),
            report.agent.clone().unwrap_or_else(dash),
            report.channel.clone().unwrap_or_else(dash),
            format!("{:.1}", report.score),
            result.to_string(),
            findings_cell(self.engine, &report.findings),
        ];
        if self.started {
            writeln!(out, "{}", self.table.line(&row))
        } else {
            self.table.fit(&row);
            self.pending.push(row);
            if self.pending.len() >= TABLE_LOOKAHEAD {
                self.flush(out)?;
            }
            Ok(())
        }
    }

    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}", self.table.header())?;
        for row in self.pending.drain(..) {
            writeln!(out, "{}", self.table.line(&row))?;
        }
        self.started = true;
        Ok(())
    }

    fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.started {
            self.flush(out)?;
        }
        if self.count == 0 {
            return writeln!(out, "\n0 conversations");
        }
        let mean = self.sum / self.count as f64;
        write!(
            out,
            "\n{} conversations · mean score {:.1} · passed {}/{} ({}) · {} fatal · {} findings",
            self.count,
            mean,
            self.passed,
            self.count,
            percent(self.passed as f64 / self.count as f64),
            self.fatal,
            self.findings
        )?;
        if self.skipped > 0 {
            write!(out, " · rules skipped in {} (no timestamps)", self.skipped)?;
        }
        writeln!(out)
    }
}

/// `rude@3 -10, greeting -5, angry@2 alert`: rule, turn, and what the finding did (`capped`
/// when the rule's `max_deduct` was already reached).
fn findings_cell(engine: &Engine, findings: &[Finding]) -> String {
    let deducts = |rule: &str| {
        engine
            .rubric()
            .rules()
            .iter()
            .any(|r| r.id() == rule && r.deduct() > 0.0)
    };
    if findings.is_empty() {
        return "-".to_string();
    }
    let mut parts: Vec<String> = findings
        .iter()
        .take(ROW_FINDINGS)
        .map(|f| {
            let place = f.turn.map(|t| format!("@{t}")).unwrap_or_default();
            let effect = if f.fatal {
                "fatal".to_string()
            } else if f.deduct > 0.0 {
                format!("-{}", num(f.deduct))
            } else if deducts(&f.rule) {
                "capped".to_string()
            } else if f.alert {
                "alert".to_string()
            } else {
                format!("{:?}", f.severity).to_lowercase()
            };
            format!("{}{place} {effect}", f.rule)
        })
        .collect();
    if findings.len() > ROW_FINDINGS {
        parts.push(format!("+{} more", findings.len() - ROW_FINDINGS));
    }
    parts.join(", ")
}
