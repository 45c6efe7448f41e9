//! `qa`: the command line of qa-engine (spec §5).
//!
//! `check` validates a rubric and warns about rules likely to raise false alarms, `score` scores
//! conversations, `report` aggregates scores, `watch` scores live conversations turn by turn, and
//! `test` runs a rubric's own regression cases. Every rule decision is made by `qa-core`; this
//! crate only reads input, runs the engine and formats what it returns.

mod aggregate;
mod check;
mod input;
mod lint;
mod output;
#[allow(dead_code)] // until `qa report --by meta.PATH`, `qa eval` and `qa mine` use all of it
mod path;
mod pipeline;
mod schema;
mod sink;
mod table;
mod test_cases;
mod thresholds;
mod watch;
mod yaml;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit statuses (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was fine.
    Ok = 0,
    /// A conversation failed (`--fail-on-failed`), a threshold was breached
    /// (`--fail-on-threshold`) or a `qa test` case failed.
    Failed = 1,
    /// The rubric is invalid, or the command line is wrong.
    Invalid = 2,
    /// Some input lines were bad (reported on stderr); the others were processed.
    BadInput = 3,
}

#[derive(Debug, Parser)]
#[command(
    name = "qa",
    version,
    about = "Quality inspection (质检) of customer-service conversations against a rubric",
    after_help = "Exit status: 0 ok, 1 a conversation or test case failed, 2 invalid rubric or \
                  usage, 3 some input lines were bad.\nReference: docs/cli.md"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a rubric: rule counts, or every error as file:line:col: message.
    Check {
        /// The rubric file (.yaml, .yml, .json or .toml).
        rubric: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Do not look for phrases likely to raise false alarms.
        #[arg(long)]
        no_warnings: bool,
    },
    /// Score conversations: one report per conversation, in input order.
    Score {
        /// The rubric file.
        rubric: PathBuf,
        /// Transcript files: .jsonl (one conversation per line), .json (one conversation or an
        /// array of them), or - for JSON Lines on stdin (the default).
        inputs: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ScoreFormat::Jsonl)]
        format: ScoreFormat,
    },
    /// Aggregate scores: count, mean, distribution, pass rate, findings per rule (Pareto).
    Report {
        /// The rubric file.
        rubric: PathBuf,
        /// Transcript files, or - for stdin (the default).
        inputs: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
        /// Group by agent or channel, or list every rule.
        #[arg(long, value_enum)]
        by: Option<GroupBy>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Rules to list in the table's Pareto (all of them in JSON and with --by rule).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// With --by agent|channel: most groups kept apart; the conversations of agents
        /// (channels) seen after that many are counted together, as "other".
        #[arg(long, value_name = "N", default_value_t = aggregate::DEFAULT_MAX_GROUPS)]
        max_groups: usize,
        /// Exit 1 when any of the rubric's `thresholds` is breached.
        #[arg(long)]
        fail_on_threshold: bool,
    },
    /// Live mode: read turns of many conversations as JSON Lines on stdin, write each pushed
    /// finding at once and each conversation's report when it closes.
    Watch {
        /// The rubric file.
        rubric: PathBuf,
        /// Write only the findings of `alert: true` rules as they come (reports stay complete).
        #[arg(long)]
        alerts_only: bool,
        /// Most conversations open at once; past it the least recently active one is closed
        /// with its report (and a note on stderr).
        #[arg(long, value_name = "N", default_value_t = watch::DEFAULT_MAX_OPEN)]
        max_open: usize,
        /// Most input bytes of turns held by the open conversations together; past it the least
        /// recently active ones are closed with their reports.
        #[arg(long, value_name = "BYTES", default_value_t = watch::DEFAULT_MAX_OPEN_BYTES)]
        max_open_bytes: usize,
        /// Close a conversation (with its report) when none of the last N input lines was
        /// its own; 0 never does.
        #[arg(long, value_name = "N", default_value_t = watch::DEFAULT_IDLE_LINES)]
        idle_lines: u64,
        /// Write the original text: the rubric's `redact` does not mask findings' text (for
        /// auditors).
        #[arg(long)]
        no_redact: bool,
    },
    /// Run a rubric's regression cases (YAML or JSONL); exit 1 if any case fails.
    Test {
        /// The rubric file.
        rubric: PathBuf,
        /// The cases file (.yaml, .yml, .json or .jsonl).
        cases: PathBuf,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the JSON Schema (draft-07) of a rubric file, for editors: `qa schema > rubric.schema.json`.
    Schema,
}

/// Options shared by `score` and `report`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Worker threads (default: all cores; at most 4 per core, a larger N is lowered to that).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Exit 1 when any conversation failed.
    #[arg(long)]
    fail_on_failed: bool,
    /// Longest input line read, in bytes; a longer line is reported as bad and skipped.
    #[arg(long, default_value_t = input::DEFAULT_MAX_LINE_BYTES)]
    max_line_bytes: usize,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Write the original text: the rubric's `redact` does not mask findings' text (for
    /// auditors).
    #[arg(long)]
    no_redact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// How `qa score` writes reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// One JSON report per line.
    Jsonl,
    /// One JSON array of reports.
    Json,
    /// A table for people, with a summary line.
    Table,
}

/// How `qa report` writes its aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One JSON object.
    Json,
    /// Tables for people.
    Table,
}

/// What `qa report --by` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// The transcript's `agent`.
    Agent,
    /// The transcript's `channel`.
    Channel,
    /// Every rule of the rubric, with or without findings.
    Rule,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { Status::Invalid as u8 } else { 0 });
        }
    };
    let status = match run(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("qa: {e:#}");
            Status::Invalid
        }
    };
    ExitCode::from(status as u8)
}

fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Check {
            rubric,
            format,
            no_warnings,
        } => check::run(&rubric, format == CheckFormat::Json, !no_warnings),
        Command::Score {
            rubric,
            inputs,
            run,
            format,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!run.no_redact);
            output::score(&engine, &pipeline::Options::new(inputs, &run)?, format)
        }
        Command::Report {
            rubric,
            inputs,
            run,
            by,
            format,
            top,
            max_groups,
            fail_on_threshold,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!run.no_redact);
            let options = pipeline::Options::new(inputs, &run)?;
            let report = aggregate::ReportOptions {
                by,
                format,
                top,
                max_groups,
                fail_on_threshold,
            };
            aggregate::run(&engine, &options, &report)
        }
        Command::Watch {
            rubric,
            alerts_only,
            max_open,
            max_open_bytes,
            idle_lines,
            no_redact,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            let engine = engine.with_redact(!no_redact);
            let bounds = watch::Bounds {
                max_open,
                max_open_bytes,
                idle_lines,
            };
            watch::run(&engine, alerts_only, bounds)
        }
        Command::Test {
            rubric,
            cases,
            quiet,
        } => {
            let Some(engine) = check::load(&rubric)? else {
                return Ok(Status::Invalid);
            };
            test_cases::run(&engine, &cases, quiet)
        }
        Command::Schema => schema::run(),
    }
}
